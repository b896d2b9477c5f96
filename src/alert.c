/* livewatch: alert (being written) */
#include <glib.h>
