#include "name.h"

#include <glib.h>
#include <string.h>

bool lw_name_valid(const char *name)
{
	if (!name || !*name || name[0] == '.')
		return false;
	gsize n = 0;
	for (const char *p = name; *p; p++, n++)
		if (n >= LW_NAME_MAX || (!g_ascii_isalnum(*p) && !strchr("._-", *p)))
			return false;
	return true;
}
