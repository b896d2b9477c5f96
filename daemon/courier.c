/* Each sink has a lane: a thread running a main loop on a GMainContext
 * of its own, so a webhook that hangs delays nothing but its own later
 * alerts.  A job is split into one task per sink, queued on the lanes
 * with g_main_context_invoke_full() (same priority, so in order); the
 * lane that finishes a job's last task does what comes after (the
 * outbox) and hands the job back to the owner.  Between tasks a lane's
 * loop keeps running, so what its sink left in the context (libnotify's
 * D-Bus proxy: a click on a notification) is handled at once, not when
 * the next alert comes.
 *
 * Lanes are named after their sink, so the same sink in a reloaded
 * configuration keeps its order; every desktop sink shares one lane,
 * because libnotify and the desktop sink's memory of the server are one
 * per process. */
#include "courier.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"

struct job {
	struct lw_poll_ctx *ctx;
	GPtrArray *alerts;          /* or NULL: retry only */
	enum lw_courier_after after;
	lw_courier_done_fn done;
	void *data;
	GMutex lock;                /* errors, cancelled */
	GPtrArray *errors;          /* char * */
	bool cancelled;
	gint tasks_left;            /* atomic */
};

struct lane {
	char *name;
	GThread *thread;
	GMainContext *ctx;          /* the lane's; tasks are sources in it */
	GMainLoop *loop;
	struct lw_courier *c;
};

struct task {
	struct job *job;
	struct lw_sink *sink;
	struct lane *lane;
};

struct lw_courier {
	GHashTable *lanes;          /* name -> struct lane * (owner's thread only) */
	GAsyncQueue *finished;      /* struct job *, back to the owner */
	GCancellable *cancel;
	int wake[2];                /* a lane writes a byte when a job is finished */
	guint wake_src;
	GMutex lock;
	GCond ended_cond;
	guint lanes_ended;
};

static void job_free(struct job *j)
{
	if (j->alerts)
		g_ptr_array_unref(j->alerts);
	g_ptr_array_unref(j->errors);
	g_mutex_clear(&j->lock);
	g_free(j);
}

static void job_error(struct job *j, GError *err)
{
	g_mutex_lock(&j->lock);
	g_ptr_array_add(j->errors, g_strdup(err->message));
	g_mutex_unlock(&j->lock);
	g_error_free(err);
}

/* The job's last task is done: the outbox, then back to the owner. */
static void job_finish(struct lw_courier *c, struct job *j)
{
	const char *dir = lw_store_state_dir(j->ctx->store);
	GError *err = NULL;
	if (!j->cancelled && !g_cancellable_is_cancelled(c->cancel)) {
		if (j->after == LW_COURIER_REMOVE && lw_outbox_remove(dir, j->alerts, &err) < 0)
			job_error(j, err);
		else if (j->after == LW_COURIER_OUTBOX_DONE && lw_outbox_done(dir, &err) < 0)
			job_error(j, err);
	} else {
		j->cancelled = true;
	}
	g_async_queue_push(c->finished, j);
	/* a full pipe already holds a wake-up */
	static const char byte = 1;
	while (write(c->wake[1], &byte, 1) < 0 && errno == EINTR)
		;
}

static gboolean run_task(gpointer data)
{
	struct task *t = data;
	struct lw_courier *c = t->lane->c;
	struct job *j = t->job;
	if (!g_cancellable_is_cancelled(c->cancel)) {
		g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
		lw_sink_set_cancellable(t->sink, c->cancel);
		lw_poll_deliver_to(j->ctx, t->sink, j->alerts, errors);
		g_mutex_lock(&j->lock);
		g_ptr_array_extend_and_steal(j->errors, g_steal_pointer(&errors));
		g_mutex_unlock(&j->lock);
	}
	if (g_cancellable_is_cancelled(c->cancel)) {
		g_mutex_lock(&j->lock);
		j->cancelled = true;
		g_mutex_unlock(&j->lock);
	}
	if (g_atomic_int_dec_and_test(&j->tasks_left))
		job_finish(c, j);
	return G_SOURCE_REMOVE;
}

static gboolean quit_lane(gpointer data)
{
	struct lane *l = data;
	g_main_loop_quit(l->loop);
	return G_SOURCE_REMOVE;
}

static gpointer lane_thread(gpointer data)
{
	struct lane *l = data;
	struct lw_courier *c = l->c;
	/* Sources and signal subscriptions a sink makes (libnotify's D-Bus
	 * proxy) belong to this thread, not to the loop's context. */
	g_main_context_push_thread_default(l->ctx);
	g_main_loop_run(l->loop);
	/* tasks queued behind the quit still end their jobs (cancelled) */
	while (g_main_context_iteration(l->ctx, FALSE))
		;
	g_main_context_pop_thread_default(l->ctx);
	g_mutex_lock(&c->lock);
	c->lanes_ended++;
	g_cond_signal(&c->ended_cond);
	g_mutex_unlock(&c->lock);
	return NULL;
}

static struct lane *lane_for(struct lw_courier *c, struct lw_sink *s)
{
	const char *name = strcmp(lw_sink_type(s), "desktop") ? lw_sink_name(s) : "";
	struct lane *l = g_hash_table_lookup(c->lanes, name);
	if (l)
		return l;
	l = g_new0(struct lane, 1);
	l->name = g_strdup(name);
	l->c = c;
	l->ctx = g_main_context_new();
	l->loop = g_main_loop_new(l->ctx, FALSE);
	g_hash_table_insert(c->lanes, l->name, l);
	g_autofree char *tname = g_strdup_printf("sink %s", *name ? name : "desktop");
	l->thread = g_thread_new(tname, lane_thread, l);
	return l;
}

static void reap(struct lw_courier *c)
{
	struct job *j;
	while ((j = g_async_queue_try_pop(c->finished))) {
		j->done(j->data, j->errors, j->cancelled);
		job_free(j);
	}
}

static gboolean on_wake(gint fd, GIOCondition cond, gpointer data)
{
	char buf[64];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	reap(data);
	return G_SOURCE_CONTINUE;
}

struct lw_courier *lw_courier_new(void)
{
	struct lw_courier *c = g_new0(struct lw_courier, 1);
	if (!g_unix_open_pipe(c->wake, FD_CLOEXEC, NULL))
		g_error("courier: cannot make a pipe: %s", g_strerror(errno));
	g_unix_set_fd_nonblocking(c->wake[0], TRUE, NULL);
	g_unix_set_fd_nonblocking(c->wake[1], TRUE, NULL);
	c->lanes = g_hash_table_new(g_str_hash, g_str_equal);
	c->finished = g_async_queue_new();
	c->cancel = g_cancellable_new();
	g_mutex_init(&c->lock);
	g_cond_init(&c->ended_cond);
	c->wake_src = g_unix_fd_add(c->wake[0], G_IO_IN, on_wake, c);
	return c;
}

void lw_courier_send(struct lw_courier *c, struct lw_poll_ctx *ctx, GPtrArray *alerts,
                     enum lw_courier_after after, lw_courier_done_fn done, void *data)
{
	struct job *j = g_new0(struct job, 1);
	j->ctx = ctx;
	j->alerts = alerts ? g_ptr_array_ref(alerts) : NULL;
	j->after = alerts ? after : LW_COURIER_KEEP_OUTBOX;
	j->done = done;
	j->data = data;
	j->errors = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&j->lock);
	guint n = ctx->sinks->len;
	if (n == 0) {
		job_finish(c, j);
		return;
	}
	/* every task is queued before any can finish the job */
	g_atomic_int_set(&j->tasks_left, (gint)n);
	for (guint i = 0; i < n; i++) {
		struct task *t = g_new0(struct task, 1);
		t->job = j;
		t->sink = ctx->sinks->pdata[i];
		t->lane = lane_for(c, t->sink);
		g_main_context_invoke_full(t->lane->ctx, G_PRIORITY_DEFAULT, run_task, t, g_free);
	}
}

bool lw_courier_stop(struct lw_courier *c, guint wait_ms)
{
	g_cancellable_cancel(c->cancel);
	guint n = g_hash_table_size(c->lanes);
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, c->lanes);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct lane *l = v;
		g_main_context_invoke_full(l->ctx, G_PRIORITY_DEFAULT, quit_lane, l, NULL);
	}

	gint64 until = g_get_monotonic_time() + (gint64)wait_ms * 1000;
	g_mutex_lock(&c->lock);
	while (c->lanes_ended < n)
		if (!g_cond_wait_until(&c->ended_cond, &c->lock, until))
			break;
	bool ended = c->lanes_ended == n;
	g_mutex_unlock(&c->lock);
	if (!ended)
		return false;

	g_hash_table_iter_init(&it, c->lanes);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct lane *l = v;
		g_thread_join(l->thread);
		g_main_loop_unref(l->loop);
		g_main_context_unref(l->ctx);
		g_free(l->name);
		g_free(l);
	}
	g_hash_table_unref(c->lanes);
	reap(c);
	g_source_remove(c->wake_src);
	close(c->wake[0]);
	close(c->wake[1]);
	g_async_queue_unref(c->finished);
	g_object_unref(c->cancel);
	g_mutex_clear(&c->lock);
	g_cond_clear(&c->ended_cond);
	g_free(c);
	return true;
}
