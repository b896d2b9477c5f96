/* livewatch: config (being written) */
#include <glib.h>
