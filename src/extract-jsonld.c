/* livewatch: extract-jsonld (being written) */
#include <glib.h>
