/* livewatch: log (being written) */
#include <glib.h>
