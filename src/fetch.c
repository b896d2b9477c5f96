/* livewatch: fetch (being written) */
#include <glib.h>
