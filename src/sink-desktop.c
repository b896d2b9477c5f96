/* livewatch: sink-desktop (being written) */
#include <glib.h>
