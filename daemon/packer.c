/* Keeping the history packed while the daemon runs (packer.h).
 *
 * Packing runs on a thread with its own libgit2 handle: a full repack of
 * a long history takes minutes of CPU, and even packing a thousand loose
 * objects is too long for the loop.  Commits go on meanwhile; gc.c only
 * deletes what its new pack holds.  The timer callback never runs in the
 * middle of recording a page (that is synchronous in the loop). */
#include "packer.h"

#include <git2.h>

#include "error.h"
#include "gc.h"
#include "log.h"
#include "memory.h"

/* When the daemon asks whether the history needs packing (first soon
 * after the start: poll may have left it due), and how long it waits
 * after packing failed. */
#define GC_FIRST_S 10
#define GC_CHECK_S 60
/* How often the loop counts the packs its commits wrote (a look at a
 * number, not at the disk): at LW_GC_SMALL_MAX they are packed together
 * at once.  1,000 blogs' first polls write hundreds a minute. */
#define GC_QUICK_S 2
#define GC_RETRY_S 3600
/* The most objects one packing gives libgit2's packbuilder (gc.h,
 * lw_gc_opts.max_objects): what it holds grows with them (8,700
 * objects of 100 blogs took 23 MB more; 200, 2 MB).  And the most one
 * merge by copying takes (max_copied: ~80 bytes an object, so ~10 MB):
 * the geometric merge now and then takes the whole history.  Packs
 * past that stay as they are until `livewatch gc` packs everything. */
#define GC_PACK_MAX 4096
#define GC_COPY_MAX (128 * 1024)

struct gc_job;

static struct {
	struct lw_store *store;
	const bool *stopping;
	guint timer;
	guint quick;                /* the GC_QUICK_S timer */
	struct gc_job *job;         /* the packing in progress, or NULL */
	gint64 next;                /* monotonic µs before which no packing starts */
} P;

struct gc_job {
	char *git_dir;
	char *state_dir;
	gint cancel;
	gint done;
	int rc;
	struct lw_gc_stats stats;
	GPtrArray *doomed;          /* packs the new one replaces: deleted by the loop */
	GError *error;
	gint64 started;             /* monotonic µs */
	GThread *thread;
};

static gboolean gc_finished(gpointer data);

static gpointer gc_thread(gpointer data)
{
	struct gc_job *j = data;
	git_repository *repo = NULL;
	if (git_repository_open_ext(&repo, j->git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		const git_error *ge = git_error_last();
		g_set_error(&j->error, LW_ERROR, LW_ERROR_STORE, "cannot open '%s' to pack it: %s",
		            j->git_dir, ge && ge->message ? ge->message : "unknown libgit2 error");
		j->rc = -1;
	} else {
		/* one thread for deltas: the daemon shares the machine */
		struct lw_gc_opts o = { .full = false, .threads = 1, .cancel = &j->cancel,
		                        .max_objects = GC_PACK_MAX, .max_copied = GC_COPY_MAX,
		                        .doomed = j->doomed };
		j->rc = lw_gc_run_opts(repo, j->git_dir, j->state_dir, &o, &j->stats, &j->error);
	}
	git_repository_free(repo);
	g_atomic_int_set(&j->done, 1);
	g_idle_add(gc_finished, NULL);
	return NULL;
}

/* Joins the packing thread and says what it did. */
static void gc_end(void)
{
	struct gc_job *j = P.job;
	P.job = NULL;
	g_thread_join(j->thread);
	lw_memory_trim();   /* what the packbuilder held goes back to the system */
	double secs = (double)(g_get_monotonic_time() - j->started) / G_USEC_PER_SEC;
	if (j->rc < 0 && g_atomic_int_get(&j->cancel)) {
		lw_info("gc: stopped after %.1f s", secs);
	} else if (j->rc < 0) {
		P.next = g_get_monotonic_time() + (gint64)GC_RETRY_S * G_USEC_PER_SEC;
		lw_warn("%s, trying again in %d s", j->error->message, GC_RETRY_S);
	} else {
		/* The replaced packs go here, between two polls, and the
		 * loop's handle forgets them at once: it may list a pack whose
		 * .pack it has not opened yet, and could not read it later. */
		if (j->doomed->len && P.store) {
			lw_gc_delete_packs(j->git_dir, j->doomed);
			lw_gc_reopen(lw_store_repo(P.store), lw_store_git_dir(P.store), NULL);
		}
		g_autofree char *what = lw_gc_stats_describe(&j->stats);
		/* a crowded history with no packs left that fit GC_COPY_MAX
		 * is looked at every minute: that only at debug level */
		bool same = j->stats.packs_after == j->stats.packs_before &&
			    j->stats.loose_after == j->stats.loose_before;
		if (same)
			lw_debug("gc: nothing to merge: %s", what);
		else
			lw_info("gc: %s%s in %.1f s", what, j->stats.full ? " (full)" : "", secs);
	}
	g_ptr_array_unref(j->doomed);
	g_clear_error(&j->error);
	g_free(j->git_dir);
	g_free(j->state_dir);
	g_free(j);
}

static gboolean gc_finished(gpointer data)
{
	if (P.job && g_atomic_int_get(&P.job->done))
		gc_end();
	return G_SOURCE_REMOVE;
}

static void gc_begin(void)
{
	struct gc_job *j = g_new0(struct gc_job, 1);
	j->git_dir = g_strdup(lw_store_git_dir(P.store));
	j->state_dir = g_strdup(lw_store_state_dir(P.store));
	j->doomed = g_ptr_array_new_with_free_func(g_free);
	j->started = g_get_monotonic_time();
	lw_debug("gc: packing the history");
	/* what this run packs; the packs written from now on are the next */
	lw_store_packs_written(P.store, true);
	P.job = j;
	j->thread = g_thread_new("gc", gc_thread, j);
}

static gboolean on_quick_timer(gpointer data)
{
	(void)data;
	if (!*P.stopping && !P.job && g_get_monotonic_time() >= P.next &&
	    lw_store_packs_written(P.store, false) >= LW_GC_SMALL_MAX)
		gc_begin();
	return G_SOURCE_CONTINUE;
}

static gboolean on_gc_timer(gpointer data)
{
	if (data) {
		/* the first check: from now on, once a minute */
		P.timer = g_timeout_add_seconds(GC_CHECK_S, on_gc_timer, NULL);
		on_gc_timer(NULL);
		return G_SOURCE_REMOVE;
	}
	/* git's index catches up with the commits of the last minute */
	GError *err = NULL;
	if (!*P.stopping && lw_store_flush(P.store, false, &err) < 0) {
		lw_warn("%s", err->message);
		g_clear_error(&err);
	}
	/* the index a flush read is freed, and a minute of polls' buffers */
	lw_memory_trim();
	if (*P.stopping || P.job || g_get_monotonic_time() < P.next)
		return G_SOURCE_CONTINUE;
	if (lw_gc_due(lw_store_repo(P.store), lw_store_git_dir(P.store)))
		gc_begin();
	return G_SOURCE_CONTINUE;
}

/* Stopping: a packing in progress stops at its next step and deletes
 * nothing (what it wrote so far is removed). */
void lw_packer_stop(void)
{
	if (P.timer)
		g_source_remove(P.timer);
	if (P.quick)
		g_source_remove(P.quick);
	P.timer = P.quick = 0;
	if (!P.job)
		return;
	g_atomic_int_set(&P.job->cancel, 1);
	gc_end();
}

void lw_packer_start(struct lw_store *store, const bool *stopping)
{
	P.store = store;
	P.stopping = stopping;
	P.job = NULL;
	P.next = 0;
	P.timer = g_timeout_add_seconds(GC_FIRST_S, on_gc_timer, GINT_TO_POINTER(1));
	P.quick = g_timeout_add_seconds(GC_QUICK_S, on_quick_timer, NULL);
}
