/* livewatch: follow */
#include <glib.h>
