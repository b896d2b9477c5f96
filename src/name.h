/* Names that become file or folder names: blog names (<blog>/ in the
 * history, .git/livewatch/<blog>.json), sink names (retry/<sink>/) and
 * entry ids (<id>.md).  One rule for all of them, so a name the config
 * accepts is one the store can write. */
#pragma once

#include <stdbool.h>
#include "caps.h"

/* True when name is 1 to LW_NAME_MAX (caps.h: DESIGN.md's 120) bytes of [A-Za-z0-9._-] and does
 * not start with '.' (no hidden file, no "." or ".."): it never leaves
 * its folder.  False for NULL. */
bool lw_name_valid(const char *name);
