/* livewatch: poll (being written) */
#include <glib.h>
