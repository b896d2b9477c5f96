#include "error.h"

G_DEFINE_QUARK(livewatch-error-quark, lw_error)
