/* livewatch: extract-guardian (being written) */
#include <glib.h>
