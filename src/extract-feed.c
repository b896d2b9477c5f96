/* livewatch: extract-feed */
#include <glib.h>
