/* livewatch: sink-file (being written) */
#include <glib.h>
