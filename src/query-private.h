/* What the parts of the query module share: the parsed tree (query.c
 * parses it, query-eval.c evaluates it, query-needs.c reads the terms it
 * needs); not for use outside them. */
#pragma once

#include <glib.h>
#include "query.h"

enum field_bit { F_TITLE = 1, F_BODY = 2, F_ALL = 3 };

enum kind { N_WORD, N_PREFIX, N_TYPO, N_PHRASE, N_REGEX, N_AND, N_OR, N_NOT, N_NEAR, N_FIELD };

struct qword {
	char *fold;
	gsize base_len;
};

struct node {
	enum kind kind;
	struct qword w;        /* WORD, PREFIX, TYPO */
	gunichar *ucs;         /* TYPO: base as code points */
	glong ucs_len;
	GArray *phrase;        /* PHRASE: struct qword */
	GRegex *re;            /* REGEX */
	char *re_src;
	GPtrArray *kids;       /* AND, OR: n; NOT, FIELD: 1; NEAR: 2 */
	guint near;
	unsigned fields;       /* FIELD */
};

struct lw_query {
	struct node *root;
};
