/* The exec sink: runs a program per alert, without a shell, with the
 * alert JSON on its stdin and LIVEWATCH_* variables in its environment.
 * Synchronous and bounded: the child is killed (its whole process group)
 * when it outlives `timeout`, and the daemon neither blocks on a child
 * that does not read stdin nor holds more than a few KB of its stderr. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib-unix.h>

#include "error.h"
#include "caps.h"
#include "sink-private.h"

#define DEFAULT_TIMEOUT_S 10
/* After SIGTERM, the child has this long to go before SIGKILL. */
#define KILL_GRACE_MS 1000

struct exec_sink {
	char **argv;
	char *command;    /* as configured, for messages */
	long timeout_ms;
	/* Within a batch, after a timeout: the rest of the batch is not run,
	 * so a hanging hook costs one timeout per poll, not one per alert. */
	bool in_batch;
	bool batch_timed_out;
};

struct exec_opts {
	char *command;
	long timeout;
	int format;       /* only json */
};

static const char *const exec_formats[] = { "json", NULL };

static const struct lw_value_key exec_keys[] = {
	{ .key = "command", .type = LW_VALUE_STRING, LW_VALUE_AT(struct exec_opts, command) },
	{ .key = "timeout", .type = LW_VALUE_SECONDS, LW_VALUE_AT(struct exec_opts, timeout),
	  .min = 1, .max = 120 },
	{ .key = "format", .type = LW_VALUE_ENUM, LW_VALUE_AT(struct exec_opts, format),
	  .names = exec_formats },
	{ NULL },
};

/* argv[0] as it would be run: a path (with a '/') as it is, a bare name
 * looked up in PATH.  NULL when not found. */
static char *find_program(const char *prog)
{
	if (strchr(prog, '/'))
		return g_file_test(prog, G_FILE_TEST_IS_EXECUTABLE) &&
		       !g_file_test(prog, G_FILE_TEST_IS_DIR) ? g_strdup(prog) : NULL;
	return g_find_program_in_path(prog);
}

static void exec_free(void *priv)
{
	struct exec_sink *x = priv;
	g_strfreev(x->argv);
	g_free(x->command);
	g_free(x);
}

static int exec_setup(struct lw_sink *s, const struct lw_sink_config *cfg, GError **error)
{
	struct exec_opts o = { .timeout = DEFAULT_TIMEOUT_S };
	if (lw_sink_cfg_read(cfg, exec_keys, &o, error) < 0) {
		g_free(o.command);
		return -1;
	}
	g_autofree char *command = o.command;
	if (!command || !*command) {
		lw_sink_cfg_error(error, cfg, "command", "type exec needs 'command = PROGRAM [ARGS]'");
		return -1;
	}
	char **argv = NULL;
	g_autoptr(GError) perr = NULL;
	if (!g_shell_parse_argv(command, NULL, &argv, &perr)) {
		lw_sink_cfg_error(error, cfg, "command", "cannot parse command '%s': %s", command,
				  perr->message);
		return -1;
	}
	/* Like the file sink's path: "~/" is the home folder, and a relative
	 * path is taken from the config's folder (the daemon's working
	 * folder is "/" under systemd).  A bare name is for PATH. */
	if (strchr(argv[0], '/')) {
		char *abs = lw_sink_cfg_path(cfg, argv[0]);
		g_free(argv[0]);
		argv[0] = abs;
	}
	struct exec_sink *x = g_new0(struct exec_sink, 1);
	s->priv = x;
	x->argv = argv;
	x->command = g_strdup(command);
	x->timeout_ms = o.timeout * 1000L;

	/* Found now, so `livewatch check` and the daemon's start say so; the
	 * program is still looked up again for each alert. */
	g_autofree char *found = find_program(argv[0]);
	if (!found) {
		lw_sink_cfg_error(error, cfg, "command", "program '%s' not found%s", argv[0],
				  strchr(argv[0], '/') ? " or not executable" : " in PATH");
		return -1;
	}
	return 0;
}

/* ---- one run ---- */

struct run {
	GSubprocess *proc;
	pid_t pid;
	bool exited;
	bool timed_out;
	bool grace_over;

	int in_fd;            /* our end of the child's stdin, -1 once closed */
	const char *in_buf;
	gsize in_len, in_off;
	GSource *in_src;

	gint cancelled;       /* the sink's cancellable fired: stop the child (set from
	                         the cancelling thread: atomic) */
	GMainContext *ctx;    /* the context supervise() iterates */
	int err_fd;           /* our end of the child's stderr */
	GString *err_tail;
	GSource *err_src;
};

static void child_setup(gpointer unused)
{
	/* Its own process group, so a timeout takes its children too. */
	setpgid(0, 0);
}

/* write() that cannot raise SIGPIPE: the signal is blocked for this
 * thread around the call and, if the write raised it, taken back. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	bool was_pending = sigismember(&pending, SIGPIPE);
	ssize_t n = write(fd, buf, len);
	int err = errno;
	if (n < 0 && err == EPIPE && !was_pending) {
		static const struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return n;
}

static void close_stdin(struct run *r)
{
	if (r->in_src) {
		g_source_destroy(r->in_src);
		g_source_unref(r->in_src);
		r->in_src = NULL;
	}
	if (r->in_fd >= 0) {
		close(r->in_fd);
		r->in_fd = -1;
	}
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer data)
{
	struct run *r = data;
	while (r->in_off < r->in_len) {
		ssize_t n = write_nosigpipe(fd, r->in_buf + r->in_off, r->in_len - r->in_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return G_SOURCE_CONTINUE;
		if (n <= 0)
			break;     /* EPIPE: the child does not want it */
		r->in_off += (gsize)n;
	}
	/* All written (or refused): EOF for the child.  The source is
	 * destroyed by close_stdin(); returning REMOVE would destroy it twice. */
	close_stdin(r);
	return G_SOURCE_CONTINUE;
}

static void keep_tail(GString *tail, const char *buf, gsize n)
{
	g_string_append_len(tail, buf, (gssize)n);
	if (tail->len > 2 * LW_EXEC_STDERR_KEEP)
		g_string_erase(tail, 0, (gssize)(tail->len - LW_EXEC_STDERR_KEEP));
}

/* Reads what the child wrote to stderr, keeping the tail.  Returns false
 * at end of file or on an error. */
static bool read_stderr(struct run *r, int max_reads)
{
	char buf[4096];
	for (int i = 0; i < max_reads; i++) {
		ssize_t n = read(r->err_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		keep_tail(r->err_tail, buf, (gsize)n);
	}
	return true;
}

static gboolean on_stderr(gint fd, GIOCondition cond, gpointer data)
{
	struct run *r = data;
	if (read_stderr(r, 16))
		return G_SOURCE_CONTINUE;
	g_source_unref(r->err_src);
	r->err_src = NULL;
	return G_SOURCE_REMOVE;
}

static void on_child_exit(GObject *proc, GAsyncResult *res, gpointer data)
{
	struct run *r = data;
	g_subprocess_wait_finish(G_SUBPROCESS(proc), res, NULL);
	r->exited = true;
}

static gboolean on_timeout(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* Runs in the thread that cancels (GLib 2.74's GCancellable source can
 * leak its watcher when that is another thread, so no source: a flag and
 * a wake-up of the supervising loop). */
static void on_cancel(GCancellable *cancel, gpointer data)
{
	struct run *r = data;
	g_atomic_int_set(&r->cancelled, 1);
	g_main_context_wakeup(r->ctx);
}

static void signal_group(struct run *r, int sig)
{
	if (r->exited)
		return;
	if (r->pid <= 0 || kill(-r->pid, sig) < 0)
		g_subprocess_send_signal(r->proc, sig);
}

/* Iterates ctx until the child exited or *flag is set or the delivery is
 * cancelled (flag may be NULL: until the child exited). */
static void wait_for(GMainContext *ctx, struct run *r, long ms, bool *flag)
{
	GSource *t = NULL;
	if (flag) {
		t = g_timeout_source_new((guint)ms);
		g_source_set_callback(t, on_timeout, flag, NULL);
		g_source_attach(t, ctx);
	}
	while (!r->exited && !(flag && (*flag || g_atomic_int_get(&r->cancelled))))
		g_main_context_iteration(ctx, TRUE);
	if (t) {
		g_source_destroy(t);
		g_source_unref(t);
	}
}

static GSource *fd_source(GMainContext *ctx, int fd, GIOCondition cond, GUnixFDSourceFunc fn,
			  struct run *r)
{
	GSource *src = g_unix_fd_source_new(fd, cond);
	g_source_set_callback(src, (GSourceFunc)(void (*)(void))fn, r, NULL);
	g_source_attach(src, ctx);
	return src;
}

static void setenv_capped(GSubprocessLauncher *l, const char *name, const char *value)
{
	g_autofree char *v = g_utf8_make_valid(value ? value : "", -1);
	gsize len = strlen(v);
	if (len > LW_EXEC_MAX_ENV_VALUE) {
		len = LW_EXEC_MAX_ENV_VALUE;
		while (len > 0 && (v[len] & 0xC0) == 0x80)
			len--;
		v[len] = '\0';
	}
	g_subprocess_launcher_setenv(l, name, v, TRUE);
}

static void set_alert_env(GSubprocessLauncher *l, const struct lw_alert *a)
{
	/* systemd's hand to the daemon, not to its hooks. */
	static const char *const daemon_only[] = {
		"NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC",
		"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(daemon_only); i++)
		g_subprocess_launcher_unsetenv(l, daemon_only[i]);
	g_autofree char *id = lw_alert_id(a);
	setenv_capped(l, "LIVEWATCH_ALERT_ID", id);
	setenv_capped(l, "LIVEWATCH_RULE", a->rule);
	setenv_capped(l, "LIVEWATCH_BLOG", a->blog);
	setenv_capped(l, "LIVEWATCH_ENTRY", a->entry);
	setenv_capped(l, "LIVEWATCH_CHANGE", a->change);
	setenv_capped(l, "LIVEWATCH_TITLE", a->title);
	setenv_capped(l, "LIVEWATCH_URL", a->url);
	setenv_capped(l, "LIVEWATCH_URGENCY", a->urgency);
	setenv_capped(l, "LIVEWATCH_PUBLISHED", a->published);
	setenv_capped(l, "LIVEWATCH_SNIPPET", a->snippet);
	g_autofree char *matched = a->matched ? g_strjoinv(",", a->matched) : g_strdup("");
	setenv_capped(l, "LIVEWATCH_MATCHED", matched);
}

/* The last non-empty line of the child's stderr, printable, or "". */
static char *last_line(GString *tail)
{
	g_autofree char *valid = g_utf8_make_valid(tail->str, (gssize)tail->len);
	g_strchomp(valid);
	char *nl = strrchr(valid, '\n');
	const char *line = nl ? nl + 1 : valid;
	GString *s = g_string_new(NULL);
	for (const char *p = line; *p && s->len < 300; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
			g_string_append_c(s, ' ');
		else
			g_string_append_unichar(s, c);
	}
	g_strstrip(s->str);
	s->len = strlen(s->str);
	return g_string_free(s, FALSE);
}

/* Feeds, drains and waits for a started child, killing it at the
 * timeout; sets the error for anything but exit status 0. */
static int supervise(struct lw_sink *s, struct run *r, GMainContext *ctx, GError **error)
{
	struct exec_sink *x = s->priv;
	/* NULL when GLib's worker already reaped a quick child. */
	const char *id = g_subprocess_get_identifier(r->proc);
	r->pid = id ? (pid_t)g_ascii_strtoll(id, NULL, 10) : 0;
	g_subprocess_wait_async(r->proc, NULL, on_child_exit, r);
	r->in_src = fd_source(ctx, r->in_fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, on_stdin, r);
	r->err_src = fd_source(ctx, r->err_fd, G_IO_IN | G_IO_ERR | G_IO_HUP, on_stderr, r);

	gulong cancel_id = 0;
	r->ctx = ctx;
	if (s->cancel)
		cancel_id = g_cancellable_connect(s->cancel, G_CALLBACK(on_cancel), r, NULL);
	wait_for(ctx, r, x->timeout_ms, &r->timed_out);
	if (!r->exited) {
		signal_group(r, SIGTERM);
		wait_for(ctx, r, KILL_GRACE_MS, &r->grace_over);
		if (!r->exited) {
			signal_group(r, SIGKILL);
			/* SIGKILL cannot be ignored: this ends, and reaps it. */
			wait_for(ctx, r, 0, NULL);
		}
	}
	close_stdin(r);
	if (r->err_src) {
		g_source_destroy(r->err_src);
		g_source_unref(r->err_src);
		r->err_src = NULL;
		/* What is already in the pipe, but no waiting for EOF: a child
		 * of the child may hold it open. */
		read_stderr(r, 16);
	}
	if (cancel_id)
		g_cancellable_disconnect(s->cancel, cancel_id);

	g_autofree char *status = NULL;
	bool ok = r->exited && !g_subprocess_get_if_signaled(r->proc) &&
		  g_subprocess_get_exit_status(r->proc) == 0;
	if (g_atomic_int_get(&r->cancelled) && !ok) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
			    "sink '%s': '%s' stopped: livewatch is stopping", s->name, x->command);
		return -1;
	}
	if (r->timed_out)
		status = g_strdup_printf("timed out after %ld s, killed", x->timeout_ms / 1000);
	else if (g_subprocess_get_if_signaled(r->proc))
		status = g_strdup_printf("killed by signal %d", g_subprocess_get_term_sig(r->proc));
	else if (g_subprocess_get_exit_status(r->proc) != 0)
		status = g_strdup_printf("exited with status %d",
					 g_subprocess_get_exit_status(r->proc));
	if (!status)
		return 0;
	if (r->timed_out && x->in_batch)
		x->batch_timed_out = true;
	s->timed_out = r->timed_out;
	g_autofree char *why = last_line(r->err_tail);
	g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': '%s' %s%s%s", s->name, x->command,
		    status, *why ? ": " : "", why);
	return -1;
}

static void exec_begin_batch(struct lw_sink *s)
{
	struct exec_sink *x = s->priv;
	x->in_batch = true;
	x->batch_timed_out = false;
}

static int exec_end_batch(struct lw_sink *s, GError **error)
{
	struct exec_sink *x = s->priv;
	x->in_batch = false;
	x->batch_timed_out = false;
	return 0;
}

static int exec_deliver(struct lw_sink *s, const struct lw_alert *a, GError **error)
{
	struct exec_sink *x = s->priv;
	int in_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	GError *err = NULL;
	int ret = -1;

	if (x->batch_timed_out) {
		g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': '%s' skipped for the rest "
			    "of this poll after timing out", s->name, x->command);
		return -1;
	}

	char *found = find_program(x->argv[0]);
	if (!found) {
		g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': cannot run '%s': program "
			    "'%s' not found%s", s->name, x->command, x->argv[0],
			    strchr(x->argv[0], '/') ? " or not executable" : " in PATH");
		return -1;
	}
	g_free(found);
	if (!g_unix_open_pipe(in_pipe, FD_CLOEXEC, NULL) ||
	    !g_unix_open_pipe(err_pipe, FD_CLOEXEC, NULL)) {
		g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': cannot run '%s': %s",
			    s->name, x->command, g_strerror(errno));
		for (int i = 0; i < 2; i++) {
			if (in_pipe[i] >= 0)
				close(in_pipe[i]);
			if (err_pipe[i] >= 0)
				close(err_pipe[i]);
		}
		return -1;
	}
	g_unix_set_fd_nonblocking(in_pipe[1], TRUE, NULL);
	g_unix_set_fd_nonblocking(err_pipe[0], TRUE, NULL);

	GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_subprocess_launcher_take_stdin_fd(l, in_pipe[0]);
	g_subprocess_launcher_take_stderr_fd(l, err_pipe[1]);
	g_subprocess_launcher_set_child_setup(l, child_setup, NULL, NULL);
	set_alert_env(l, a);

	char *json = lw_alert_to_json(a);
	char *line = g_strconcat(json, "\n", NULL);
	g_free(json);
	struct run r = {
		.in_fd = in_pipe[1], .in_buf = line, .in_len = strlen(line),
		.err_fd = err_pipe[0], .err_tail = g_string_new(NULL),
	};

	GMainContext *ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);
	r.proc = g_subprocess_launcher_spawnv(l, (const char *const *)x->argv, &err);
	/* Drops the child's ends of the pipes, so its exit means EOF here. */
	g_object_unref(l);
	if (r.proc) {
		ret = supervise(s, &r, ctx, error);
		g_object_unref(r.proc);
	} else {
		g_set_error(error, LW_ERROR, LW_ERROR_SINK, "sink '%s': cannot run '%s': %s",
			    s->name, x->command, err->message);
		g_error_free(err);
		close_stdin(&r);
	}
	/* Dispatch whatever the finished wait left, then let go. */
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	close(r.err_fd);
	g_string_free(r.err_tail, TRUE);
	g_free(line);
	return ret;
}

const struct lw_sink_ops lw_sink_exec_ops = {
	.type = "exec",
	.keys = exec_keys,
	.retry = true,
	.setup = exec_setup,
	.deliver = exec_deliver,
	.begin_batch = exec_begin_batch,
	.end_batch = exec_end_batch,
	.free_priv = exec_free,
};
