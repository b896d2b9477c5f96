/* livewatch: rules (being written) */
#include <glib.h>
