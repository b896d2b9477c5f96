/* Every cap on what outsiders (pages, servers, config and rule files,
 * other processes' files) can make livewatch hold, read or send, in one
 * table (like curl's DYN_* list), each with why it is what it is.
 * LW_DEFAULT_* are defaults of config keys a user may change
 * (config.ini.example); the rest are fixed.  Passing a cap is an error
 * naming the input, or a cut the module's header describes.
 *
 * Not here because they are not caps on input: timeouts and intervals
 * (config.h, schedule.h, sink.h), and the thresholds that say when
 * livewatch tidies its own files: packing (gc.h's LW_GC_LOOSE_MAX,
 * LW_GC_PACKS_MAX), reflog trimming (store-private.h's REFLOG_MAX_BYTES),
 * rewriting an id index (store-ids.c's LW_IDS_TAIL_MAX). */
#pragma once

/* ---- names ---- */

/* Blog and sink names and entry ids become file names (name.h); DESIGN.md
 * says 120 bytes, which leaves room for ".md", ".json" or ".ids" under
 * any file system's 255. */
#define LW_NAME_MAX 120
#define LW_ENTRY_ID_MAX LW_NAME_MAX

/* ---- fetching a page ---- */

/* max_size: one page's body.  The Guardian's longest live blog page is a
 * few MB; 20 MB stops a broken or hostile server without cutting a page. */
#define LW_DEFAULT_MAX_SIZE (20u * 1024 * 1024)
/* max_redirects: a live blog moves once or twice (http → https, a new
 * slug); more is a loop. */
#define LW_DEFAULT_MAX_REDIRECTS 5
/* Everything the server sends besides the body: curl 7.88 stops at 300 KB
 * itself, this is a clearer error first. */
#define LW_FETCH_MAX_HEADER_BYTES (256u * 1024u)
/* One header value kept (Content-Type, Retry-After, ...). */
#define LW_FETCH_MAX_HEADER_VALUE 8192u
/* An ETag or Last-Modified kept to send back: longer is not a validator
 * but an attempt to grow our state file. */
#define LW_FETCH_MAX_COND_VALUE 1024u
/* A charset name (the longest IANA name is 45 bytes). */
#define LW_FETCH_MAX_CHARSET 64u

/* ---- reading a page ---- */

/* Where a <meta charset> must be: HTML says the first 1024 bytes;
 * real pages put comments first. */
#define LW_CHARSET_SNIFF_BYTES 4096
/* max_entries: posts on one page.  A busy live blog shows a few hundred;
 * more is an error (LW_ERROR_TOO_BIG), not a cut, so nothing is taken
 * for removed. */
#define LW_DEFAULT_MAX_ENTRIES 5000
/* The body text of one post; past it the body is cut (extract.h). */
#define LW_DEFAULT_MAX_ENTRY_BYTES (1024u * 1024u)
/* Nesting of a JSON-LD block: real ones nest 5 or 6 deep; deeper is a
 * bomb meant for a recursive parser. */
#define LW_DEFAULT_MAX_JSON_DEPTH 64
/* One JSON-LD script, and all of a page's: blogs that put every post's
 * text in their JSON-LD reach a few MB. */
#define LW_JSONLD_MAX_BYTES (8u * 1024 * 1024)
#define LW_JSONLD_MAX_TOTAL (16u * 1024 * 1024)
/* A page-level JSON-LD field (headline, dates, coverage end) read
 * without building the block's tree. */
#define LW_JSONLD_PAGE_FIELD_MAX 4096
/* JSON-LD updates that match no HTML post by id and are compared by
 * text: some publishers' JSON-LD holds the whole blog, the HTML a page. */
#define LW_JSONLD_MAX_TEXT_MATCHES 500
/* Links looked at on a series page (follow =). */
#define LW_FOLLOW_MAX_LINKS 20000

/* ---- config and rule files ---- */

/* Problems said for one INI file: every syntax error and every bad key
 * up to this many, then how many more.  Each syntax error costs inih one
 * more pass over the file (ini-file.c), so this also bounds a garbage
 * file's parse to LW_INI_PROBLEMS_MAX + 1 passes. */
#define LW_INI_PROBLEMS_MAX 100

/* ---- rules ---- */

/* Rules loaded: a newsroom's thousands fit; a runaway generator does not. */
#define LW_RULES_MAX 10000
/* One query's text and nesting, and the largest NEAR/n. */
#define LW_QUERY_MAX_BYTES 4096
#define LW_QUERY_MAX_DEPTH 64
#define LW_QUERY_NEAR_MAX 1000
/* Words of one text matched against the rules; beyond are ignored. */
#define LW_WORDS_MAX 200000

/* ---- the history and the state beside it ---- */

/* An entry file read back (it holds at most LW_DEFAULT_MAX_ENTRY_BYTES of
 * body unless the cap was raised; 16 MB stops a file someone else put
 * there). */
#define LW_ENTRY_FILE_MAX (16 * 1024 * 1024)
/* A blog's fetch state (.git/livewatch/<blog>.json). */
#define LW_STATE_FILE_MAX (64 * 1024 * 1024)
/* Versions of one entry `show` returns (the oldest). */
#define LW_HISTORY_VERSIONS_MAX 10000
/* Word diffs: past these the diff is "all deleted, all inserted" (wdiff.h),
 * so one huge edit cannot cost quadratic time. */
#define LW_WDIFF_MAX_WORDS 50000
#define LW_WDIFF_MAX_EDITS 1000

/* ---- alerts ---- */

/* The outbox read at once, and one line of it (outbox.h): a day of
 * alerts from thousands of rules is a few MB. */
#define LW_OUTBOX_MAX_BYTES (64u << 20)
#define LW_OUTBOX_MAX_LINE (1u << 20)
/* The file sink looks for an alert's id in the file's last MiB, where a
 * re-delivered alert's twin is (sink.h). */
#define LW_FILE_SINK_WINDOW (1u << 20)
/* A LIVEWATCH_* value for an exec hook: Linux refuses a single
 * environment string over 128 KB. */
#define LW_EXEC_MAX_ENV_VALUE 8192u
/* Of a hook's stderr, the last bytes kept for the message. */
#define LW_EXEC_STDERR_KEEP 4096u
/* header, header2 .. header9 of a webhook. */
#define LW_WEBHOOK_MAX_HEADERS 9
/* ntfy keeps a message body of up to 4096 bytes as text, past that it
 * becomes an attachment; header texts are cut long before any limit. */
#define LW_NTFY_MAX_BODY 4000u
#define LW_NTFY_MAX_TITLE_CHARS 200
#define LW_WEBHOOK_MAX_CLICK_BYTES 2048u
/* Of a webhook's response body: what is kept for a message, and how
 * much is read at all (the status is known by then). */
#define LW_WEBHOOK_MAX_REPLY 256u
#define LW_WEBHOOK_MAX_REPLY_READ (64u * 1024u)
