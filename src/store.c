/* livewatch: store (being written) */
#include <glib.h>
