/* livewatch: text (being written) */
#include <glib.h>
