/* What the parts of the history reader share (history.c, history-walk.c,
 * history-versions.c); not for use outside them. */
#pragma once

#include <git2.h>
#include "history.h"
#include "caps.h"

struct lw_history_reader {
	git_repository *repo;
	char *path;
};

/* HEAD's tree into *tree (an unborn HEAD is not an error: *tree stays
 * NULL); -1 with an error when HEAD cannot be read. */
int history_head_tree(struct lw_history_reader *r, git_tree **tree, GError **error);

/* The tree at path under root (NULL allowed), or NULL when there is none. */
git_tree *history_tree_at(struct lw_history_reader *r, const git_tree *root, const char *path);

/* An entry file: a blob "<id>.md" with a valid id. */
bool history_is_entry_file(const git_tree_entry *te);

/* A folder named like a day, "YYYY-MM-DD". */
bool history_is_day_folder(const git_tree_entry *te);

/* The tree te (of <blog>/entries/) into *out, also added to held (which
 * frees it); -1 with an error naming it when it cannot be read. */
int history_subtree(struct lw_history_reader *r, const git_tree_entry *te, const char *blog,
                    GPtrArray *held, git_tree **out, GError **error);

/* False with LW_ERROR_FAILED naming the one that is not a valid name. */
bool history_valid_names(const char *blog, const char *id, GError **error);

/* True when the commit message has a trailer `key` whose space-separated
 * words include id (Livewatch-Stealth, Livewatch-Restored). */
bool history_trailer_lists(const char *message, const char *key, const char *id);
