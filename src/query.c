/* livewatch: query (being written) */
#include <glib.h>
