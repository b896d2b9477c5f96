/* livewatch: extract-xpath */
#include <glib.h>
