/* livewatch: diff (being written) */
#include <glib.h>
