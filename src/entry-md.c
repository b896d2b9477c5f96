/* livewatch: entry-md (being written) */
#include <glib.h>
