/* livewatch: words (being written) */
#include <glib.h>
