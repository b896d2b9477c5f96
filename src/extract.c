/* livewatch: extract (being written) */
#include <glib.h>
