/*
 * migratectl: the thin client of migrated. It owns the table of verbs (name,
 * usage, argument counts, the function that builds the request's args and
 * the printer of the human output), the one dispatcher that runs them, the
 * blocking connection to the control socket, and the human and --json
 * renderings of replies and --watch events. It decides nothing: every check
 * that matters is the daemon's, and its refusals are printed as they come.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "now.h"
#include "proto.h"

#ifndef MIGRATED_VERSION
#define MIGRATED_VERSION	"unknown"
#endif

#define EXIT_OK			0
#define EXIT_REFUSED		1	/* migrated said ok:false */
#define EXIT_USAGE		2	/* bad invocation or local problem */
#define EXIT_UNREACHABLE	3	/* no socket, no reply, or it hung up */
#define EXIT_TIMEOUT		4	/* wait: the phase did not come in time */

#define CTL_ID			1	/* the one request's id */
#define CTL_PLAN_MAX		(60 * 1024)
#define CTL_REPLY_TIMEOUT	30	/* seconds to wait for the reply */
#define CTL_CHECK_TIMEOUT	300	/* check: every check's answer */
#define CTL_RECONNECT_MS	1000	/* wait: between tries to reconnect */
#define CTL_READ_CHUNK		16384

/* One run of a verb: its arguments, the request it builds, the reply. */
struct ctl_ctx {
	const struct ctl_cmd	 *cmd;
	int			  argc;
	char			**argv;		/* positional arguments */
	int			  watch;	/* -w, --watch */
	long long		  limit;	/* -n COUNT; 0 when not given */
	const char		 *phase;	/* wait --phase */
	int			  done;		/* wait --done */
	long long		  timeout_ms;	/* wait --timeout; -1: none */
	json_t			 *args;		/* the request's args */
	json_t			 *data;		/* the reply's data */
};

struct ctl_cmd {
	const char	*name;
	const char	*usage;		/* after "migratectl " */
	const char	*help;		/* one line for --help */
	int		 min;		/* positional arguments */
	int		 max;		/* -1: no maximum */
	int		 flags;
#define CTL_F_WATCH	0x01		/* takes -w, --watch */
#define CTL_F_LIMIT	0x02		/* takes -n COUNT */
#define CTL_F_WAIT	0x04		/* takes --phase, --done, --timeout */
#define CTL_F_VERDICT	0x08		/* exit 1 when data.failed > 0 */
	/* Fill ctx->args (NULL: none); -1 after saying why (exit 2). */
	int		(*build)(struct ctl_ctx *);
	/* Print ctx->data, a successful reply's, for humans. */
	void		(*show)(struct ctl_ctx *);
};

struct ctl_conn {
	const char	*path;
	int		 fd;
	struct evbuffer	*in;
	int		 reply_timeout;	/* seconds; 0: none */
	int		 quiet;		/* a timeout or hang-up is the
					   caller's to tell */
	int		 retrying;	/* wait: reconnecting, quietly */
	int		 timed_out;
};

static int	 build_status(struct ctl_ctx *);
static int	 build_create(struct ctl_ctx *);
static int	 build_name(struct ctl_ctx *);
static int	 build_reason(struct ctl_ctx *);
static int	 build_set(struct ctl_ctx *);
static int	 build_history(struct ctl_ctx *);
static int	 build_wait(struct ctl_ctx *);

static void	 show_list(struct ctl_ctx *);
static void	 show_status(struct ctl_ctx *);
static void	 show_created(struct ctl_ctx *);
static void	 show_phase(struct ctl_ctx *);
static void	 show_set(struct ctl_ctx *);
static void	 show_history(struct ctl_ctx *);
static void	 show_plan(struct ctl_ctx *);
static void	 show_deleted(struct ctl_ctx *);
static void	 show_stats(struct ctl_ctx *);
static void	 show_check(struct ctl_ctx *);
static void	 show_verify(struct ctl_ctx *);

/*
 * The verbs. The order is the order of --help. Requests carry the names
 * the daemon's cmd-*.c files expect; replies are printed by .show.
 */
static const struct ctl_cmd ctl_cmds[] = {
	{ .name = "list", .usage = "list",
	  .help = "one line per migration",
	  .min = 0, .max = 0, .show = show_list },
	{ .name = "status", .usage = "status [NAME] [--watch]",
	  .help = "one in detail, or all as a table; -w: live",
	  .min = 0, .max = 1, .flags = CTL_F_WATCH,
	  .build = build_status, .show = show_status },
	{ .name = "create", .usage = "create PLANFILE",
	  .help = "validate a plan and store it as a new migration",
	  .min = 1, .max = 1, .build = build_create, .show = show_created },
	{ .name = "check", .usage = "check NAME",
	  .help = "run every preflight check now, change nothing",
	  .min = 1, .max = 1, .flags = CTL_F_VERDICT,
	  .build = build_name, .show = show_check },
	{ .name = "start", .usage = "start NAME",
	  .help = "begin a planned migration (preflight first)",
	  .min = 1, .max = 1, .build = build_name, .show = show_phase },
	{ .name = "pause", .usage = "pause NAME [REASON ...]",
	  .help = "stop advancing; traffic stays where it is",
	  .min = 1, .max = -1, .build = build_reason, .show = show_phase },
	{ .name = "resume", .usage = "resume NAME",
	  .help = "continue a paused migration",
	  .min = 1, .max = 1, .build = build_name, .show = show_phase },
	{ .name = "promote", .usage = "promote NAME",
	  .help = "end the current bake now, go to the next step",
	  .min = 1, .max = 1, .build = build_name, .show = show_phase },
	{ .name = "abort", .usage = "abort NAME [REASON ...]",
	  .help = "roll back to the droplets",
	  .min = 1, .max = -1, .build = build_reason, .show = show_phase },
	{ .name = "approve", .usage = "approve NAME",
	  .help = "let the cutover begin (ready), or allow decommissioning",
	  .min = 1, .max = 1, .build = build_name, .show = show_phase },
	{ .name = "verify", .usage = "verify NAME",
	  .help = "compare source and target data now (status shows it)",
	  .min = 1, .max = 1, .build = build_name, .show = show_verify },
	{ .name = "retry", .usage = "retry NAME",
	  .help = "try a failed migration's phase again",
	  .min = 1, .max = 1, .build = build_name, .show = show_phase },
	{ .name = "set", .usage = "set NAME KEY=VALUE",
	  .help = "tune a plan value (a gate) at run time",
	  .min = 2, .max = 2, .build = build_set, .show = show_set },
	{ .name = "wait",
	  .usage = "wait NAME --phase PHASE | --done [--timeout DURATION]",
	  .help = "for CI: 0 once reached, 1 stopped, 4 timed out",
	  .min = 1, .max = 1, .flags = CTL_F_WAIT, .build = build_wait },
	{ .name = "history", .usage = "history NAME [-n COUNT]",
	  .help = "the journal: transitions and effects",
	  .min = 1, .max = 1, .flags = CTL_F_LIMIT,
	  .build = build_history, .show = show_history },
	{ .name = "stats", .usage = "stats",
	  .help = "the daemon's own figures (poll lateness)",
	  .min = 0, .max = 0, .show = show_stats },
	{ .name = "plan", .usage = "plan NAME",
	  .help = "the steps, and the transitions possible from here",
	  .min = 1, .max = 1, .build = build_name, .show = show_plan },
	{ .name = "delete", .usage = "delete NAME",
	  .help = "forget a migration that is not running",
	  .min = 1, .max = 1, .build = build_name, .show = show_deleted },
};
#define CTL_NCMDS	(sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static int	 json_out;		/* --json */

static void	 usage(FILE *);
static void	 warnx_(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 warn_(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static const struct ctl_cmd *ctl_lookup(const char *);
static int	 ctl_parse_args(struct ctl_ctx *, int, char **);
static int	 ctl_connect(struct ctl_conn *);
static int	 ctl_send(struct ctl_conn *, json_t *);
static int	 ctl_recv(struct ctl_conn *, json_t **);
static int	 ctl_reply(struct ctl_conn *, json_t **);
static int	 ctl_watch(struct ctl_conn *);
static void	 ctl_conn_close(struct ctl_conn *);
static int	 ctl_options(int *, char ***, const char **);
static int	 ctl_run(struct ctl_ctx *, const char *);
static int	 ctl_wait(struct ctl_ctx *, const char *);
static int	 parse_duration(const char *, long long *);
static int	 wait_opt(struct ctl_ctx *, int, char **, int *);
static int	 ctl_refused(json_t *);
static void	 print_json(json_t *);
static void	 on_signal(int);

static const char	*jstr(json_t *, const char *);
static int		 jint(json_t *, const char *, long long *);
static const char	*vis(const char *);
static void		 putvis(FILE *, const char *);
static char		*fmt_secs(long long, char *, size_t);
static char		*fmt_ms(json_t *, char *, size_t);
static char		*fmt_age(json_t *, char *, size_t);
static char		*fmt_time(json_t *, int, char *, size_t);
static char		*fmt_num(json_t *, char *, size_t);
static char		*fmt_step(json_t *, char *, size_t);
static char		*fmt_weights(json_t *, char *, size_t);
static const char	*gate_verdict(json_t *);
static void		 show_table(json_t *);
static void		 show_gate_rows(json_t *);
static void		 show_one(json_t *);
static void		 show_live(json_t *);

/* The short form after a mistake, the whole of it for --help. */
static void
usage(FILE *f)
{
	size_t	i;

	if (f == stderr) {
		fprintf(f, "usage: migratectl [-s PATH] [--json] COMMAND "
		    "[ARG ...]\n(see migratectl --help for the commands)\n");
		return;
	}
	fprintf(f, "usage: migratectl [-s PATH] [--json] COMMAND [ARG ...]\n"
	    "       migratectl -h | --help | --version\n\ncommands:\n");
	for (i = 0; i < CTL_NCMDS; i++)
		if (strlen(ctl_cmds[i].usage) > 26)
			fprintf(f, "  %s\n  %-26s %s\n", ctl_cmds[i].usage, "",
			    ctl_cmds[i].help);
		else
			fprintf(f, "  %-26s %s\n", ctl_cmds[i].usage,
			    ctl_cmds[i].help);
	fprintf(f, "\noptions:\n"
	    "  -s, --socket PATH          control socket (default: "
	    "$MIGRATED_SOCKET,\n"
	    "                             else %s)\n"
	    "  --json                     print replies as JSON, one object "
	    "per line\n"
	    "  -h, --help                 this help\n"
	    "  --version                  print the version\n"
	    "\nexit status: 0 done, 1 refused by migrated (check: a check "
	    "failed;\n  wait: the migration stopped), 2 usage, 3 migrated "
	    "unreachable,\n  4 wait timed out\n", PROTO_SOCKET);
}

static void
warnx_(const char *fmt, ...)
{
	va_list	ap;

	fputs("migratectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
warn_(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	fputs("migratectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(saved));
}

static const struct ctl_cmd *
ctl_lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < CTL_NCMDS; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

/*
 * Options may come anywhere among a verb's arguments ("status shop -w");
 * "--" ends them, so a pause reason may start with a dash. Options are
 * moved out and the positional arguments packed at the front of argv.
 */
static int
ctl_parse_args(struct ctl_ctx *a, int argc, char **argv)
{
	const struct ctl_cmd	*cmd = a->cmd;
	int			 i, n = 0, opts = 1;
	const char		*count;
	char			*end;

	for (i = 0; i < argc; i++) {
		const char	*s = argv[i];

		if (!opts || s[0] != '-' || s[1] == '\0') {
			argv[n++] = argv[i];
			continue;
		}
		if (strcmp(s, "--") == 0) {
			opts = 0;
		} else if (strcmp(s, "--json") == 0) {
			json_out = 1;
		} else if ((cmd->flags & CTL_F_WATCH) &&
		    (strcmp(s, "-w") == 0 || strcmp(s, "--watch") == 0)) {
			a->watch = 1;
		} else if ((cmd->flags & CTL_F_WAIT) &&
		    (strncmp(s, "--phase", 7) == 0 ||
		    strcmp(s, "--done") == 0 ||
		    strncmp(s, "--timeout", 9) == 0)) {
			if (wait_opt(a, argc, argv, &i) == -1)
				return -1;
		} else if ((cmd->flags & CTL_F_LIMIT) &&
		    (strncmp(s, "-n", 2) == 0 || strcmp(s, "--limit") == 0 ||
		    strncmp(s, "--limit=", 8) == 0)) {
			if (strcmp(s, "-n") == 0 || strcmp(s, "--limit") == 0) {
				if (++i == argc) {
					warnx_("%s: %s needs a COUNT",
					    cmd->name, s);
					return -1;
				}
				count = argv[i];
			} else if (s[1] == 'n')
				count = s + 2;
			else
				count = s + 8;
			errno = 0;
			a->limit = strtoll(count, &end, 10);
			if (errno != 0 || end == count || *end != '\0' ||
			    a->limit < 1 || a->limit > INT_MAX) {
				warnx_("%s: COUNT must be a positive number, "
				    "not \"%s\"", cmd->name, vis(count));
				return -1;
			}
		} else {
			warnx_("%s: unknown option \"%s\"%s", cmd->name, vis(s),
			    cmd->max == -1 ? " (put \"--\" before text that "
			    "starts with a dash)" : "");
			return -1;
		}
	}
	a->argc = n;
	a->argv = argv;
	if ((cmd->flags & CTL_F_WAIT) && (a->phase == NULL) == !a->done) {
		warnx_("%s: give --phase PHASE or --done%s", cmd->name,
		    a->done ? ", not both" : "");
		return -1;
	}
	if (n < cmd->min || (cmd->max != -1 && n > cmd->max)) {
		warnx_("%s: %s arguments", cmd->name,
		    n < cmd->min ? "missing" : "too many");
		return -1;
	}
	return 0;
}

/* "90", "90s", "5m", "2h", "1500ms": a wait's timeout in ms. */
static int
parse_duration(const char *s, long long *ms)
{
	char		*end;
	long long	 n, mul = 1000;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || end == s || n < 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mul = 3600 * 1000;
	else
		return -1;
	if (n > LLONG_MAX / mul / 2)
		return -1;
	*ms = n * mul;
	return 0;
}

/* One of wait's options at argv[*i] ("--phase X" or "--phase=X"). */
static int
wait_opt(struct ctl_ctx *a, int argc, char **argv, int *i)
{
	const char	*s = argv[*i], *eq = strchr(s, '='), *v = NULL;
	size_t		 len = eq ? (size_t)(eq - s) : strlen(s);

	if (len == 6 && strncmp(s, "--done", 6) == 0 && eq == NULL) {
		a->done = 1;
		return 0;
	}
	if (!(len == 7 && strncmp(s, "--phase", 7) == 0) &&
	    !(len == 9 && strncmp(s, "--timeout", 9) == 0)) {
		warnx_("%s: unknown option \"%s\"", a->cmd->name, vis(s));
		return -1;
	}
	if (eq != NULL)
		v = eq + 1;
	else if (*i + 1 < argc)
		v = argv[++*i];
	if (v == NULL || *v == '\0') {
		warnx_("%s: %.*s needs a %s", a->cmd->name, (int)len, s,
		    len == 7 ? "PHASE" : "DURATION");
		return -1;
	}
	if (len == 7) {
		a->phase = v;
		return 0;
	}
	if (parse_duration(v, &a->timeout_ms) == -1) {
		warnx_("%s: --timeout takes a duration like 90s, 30m or 2h, "
		    "not \"%s\"", a->cmd->name, vis(v));
		return -1;
	}
	return 0;
}

static int
build_name(struct ctl_ctx *ctx)
{
	if (json_object_set_new(ctx->args, "name",
	    json_string(ctx->argv[0])) == -1) {
		warnx_("%s: NAME must be UTF-8 text", ctx->cmd->name);
		return -1;
	}
	return 0;
}

static int
build_status(struct ctl_ctx *ctx)
{
	if (ctx->argc > 0 && build_name(ctx) == -1)
		return -1;
	if (ctx->watch &&
	    json_object_set_new(ctx->args, "watch", json_true()) == -1)
		return -1;
	return 0;
}

/* NAME then the rest of the words, joined by spaces, as the reason. */
static int
build_reason(struct ctl_ctx *ctx)
{
	size_t	 len = 0;
	char	*reason;
	int	 i, rc;

	if (build_name(ctx) == -1)
		return -1;
	if (ctx->argc < 2)
		return 0;
	for (i = 1; i < ctx->argc; i++)
		len += strlen(ctx->argv[i]) + 1;
	if ((reason = malloc(len)) == NULL) {
		warn_("malloc");
		return -1;
	}
	reason[0] = '\0';
	for (i = 1; i < ctx->argc; i++) {
		if (i > 1)
			strcat(reason, " ");
		strcat(reason, ctx->argv[i]);
	}
	rc = json_object_set_new(ctx->args, "reason", json_string(reason));
	if (rc == -1)
		warnx_("%s: the reason is not valid UTF-8 text",
		    ctx->cmd->name);
	free(reason);
	return rc;
}

static int
build_set(struct ctl_ctx *ctx)
{
	const char	*kv = ctx->argv[1];
	const char	*eq = strchr(kv, '=');
	json_t		*key;

	if (eq == NULL || eq == kv) {
		warnx_("set: expected KEY=VALUE, e.g. gates.max_5xx_rate=0.5, "
		    "not \"%s\"", vis(kv));
		return -1;
	}
	if (build_name(ctx) == -1)
		return -1;
	if ((key = json_stringn(kv, (size_t)(eq - kv))) == NULL ||
	    json_object_set_new(ctx->args, "key", key) == -1 ||
	    json_object_set_new(ctx->args, "value",
	    json_string(eq + 1)) == -1) {
		warnx_("set: KEY=VALUE must be UTF-8 text");
		return -1;
	}
	return 0;
}

static int
build_wait(struct ctl_ctx *ctx)
{
	if (build_name(ctx) == -1)
		return -1;
	if (ctx->phase != NULL && json_object_set_new(ctx->args, "phase",
	    json_string(ctx->phase)) == -1) {
		warnx_("wait: PHASE must be UTF-8 text");
		return -1;
	}
	if (ctx->done &&
	    json_object_set_new(ctx->args, "done", json_true()) == -1)
		return -1;
	return 0;
}

static int
build_history(struct ctl_ctx *ctx)
{
	if (build_name(ctx) == -1)
		return -1;
	if (ctx->limit > 0 && json_object_set_new(ctx->args, "limit",
	    json_integer(ctx->limit)) == -1)
		return -1;
	return 0;
}

/*
 * The plan travels as text with its absolute path: the daemon may not be
 * able to read the operator's files, and the path is what its file:line
 * errors will name.
 */
static int
build_create(struct ctl_ctx *ctx)
{
	const char	*file = ctx->argv[0];
	char		*path = NULL, *text = NULL;
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	json_t		*jtext;
	int		 fd = -1, rc = -1;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		warn_("create: cannot read plan %s", vis(file));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		warnx_("create: %s is not a regular file; give the plan's path",
		    vis(file));
		goto done;
	}
	if (st.st_size > CTL_PLAN_MAX) {
		warnx_("create: %s is %lld bytes; a plan may have at most "
		    "60 KiB (%d bytes)", vis(file), (long long)st.st_size,
		    CTL_PLAN_MAX);
		goto done;
	}
	if ((path = realpath(file, NULL)) == NULL) {
		warn_("create: %s", vis(file));
		goto done;
	}
	/* One byte more than allowed tells a file that grew meanwhile. */
	if ((text = malloc(CTL_PLAN_MAX + 1)) == NULL) {
		warn_("malloc");
		goto done;
	}
	while (len < CTL_PLAN_MAX + 1) {
		n = read(fd, text + len, CTL_PLAN_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			warn_("create: cannot read plan %s", vis(file));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CTL_PLAN_MAX) {
		warnx_("create: %s is over 60 KiB (%d bytes), the most a plan "
		    "may have", vis(file), CTL_PLAN_MAX);
		goto done;
	}
	if (memchr(text, '\0', len) != NULL) {
		warnx_("create: %s contains a NUL byte; a plan is an INI text "
		    "file", vis(file));
		goto done;
	}
	if ((jtext = json_stringn(text, len)) == NULL) {
		warnx_("create: %s is not UTF-8 text; a plan is an INI text "
		    "file", vis(file));
		goto done;
	}
	if (json_object_set_new(ctx->args, "path", json_string(path)) == -1 ||
	    json_object_set_new(ctx->args, "text", jtext) == -1) {
		warnx_("create: plan path %s is not UTF-8", vis(path));
		goto done;
	}
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	free(text);
	free(path);
	return rc;
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* 1 with *v set when o[key] is a number, 0 when absent or null. */
static int
jint(json_t *o, const char *key, long long *v)
{
	json_t	*j = json_object_get(o, key);

	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 1;
	}
	if (json_is_real(j)) {
		*v = (long long)json_real_value(j);
		return 1;
	}
	return 0;
}

/*
 * Text from the daemon may quote plans or remote replies: control
 * characters are shown as '?' so they cannot drive the terminal. The copy
 * has the same length, so column widths computed on the original hold.
 */
static const char *
vis(const char *s)
{
	static char	 buf[8][512];
	static int	 next;
	const char	*p;
	char		*d;
	size_t		 i;

	if (s == NULL)
		return "-";
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			break;
	if (*p == '\0')
		return s;
	d = buf[next++ % 8];
	for (i = 0; s[i] != '\0' && i < sizeof(buf[0]) - 1; i++)
		d[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' :
		    s[i];
	d[i] = '\0';
	return d;
}

/* Like vis() for text of any length, keeping newlines. */
static void
putvis(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s != '\n' && ((unsigned char)*s < 0x20 || *s == 0x7f))
			fputc('?', f);
		else
			fputc(*s, f);
	}
}

/* 12s, 3m12s, 2h05m, 4d03h. */
static char *
fmt_secs(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
	return buf;
}

/* A duration in ms: 850ms, 1.2s, 3m12s; "-" when null. */
static char *
fmt_ms(json_t *v, char *buf, size_t len)
{
	long long	ms;

	if (json_is_integer(v))
		ms = json_integer_value(v);
	else if (json_is_real(v))
		ms = (long long)json_real_value(v);
	else {
		snprintf(buf, len, "-");
		return buf;
	}
	if (ms < 1000)
		snprintf(buf, len, "%lldms", ms);
	else if (ms < 60000 && ms % 1000 != 0)
		snprintf(buf, len, "%lld.%llds", ms / 1000, ms % 1000 / 100);
	else
		fmt_secs(ms / 1000, buf, len);
	return buf;
}

/* Time since a unix-ms timestamp. */
static char *
fmt_age(json_t *since, char *buf, size_t len)
{
	if (!json_is_integer(since)) {
		snprintf(buf, len, "-");
		return buf;
	}
	return fmt_secs((now_ms() - json_integer_value(since)) / 1000, buf,
	    len);
}

/* 2026-11-25 09:00:01[.123], local time. */
static char *
fmt_time(json_t *v, int with_ms, char *buf, size_t len)
{
	long long	 ms;
	time_t		 t;
	struct tm	 tm;
	size_t		 n;

	if (!json_is_integer(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	ms = json_integer_value(v);
	t = (time_t)(ms / 1000);
	if (localtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm)) == 0) {
		snprintf(buf, len, "%lld", ms);
		return buf;
	}
	if (with_ms)
		snprintf(buf + n, len - n, ".%03lld", ms % 1000);
	return buf;
}

static char *
fmt_num(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.4g", json_real_value(v));
	else if (json_is_string(v))
		snprintf(buf, len, "%s", vis(json_string_value(v)));
	else
		snprintf(buf, len, "-");
	return buf;
}

/* "step" counts from 1 (0 before the traffic shift starts) to "nsteps". */
static char *
fmt_step(json_t *m, char *buf, size_t len)
{
	long long	step, nsteps;

	if (!jint(m, "nsteps", &nsteps) || nsteps <= 0)
		snprintf(buf, len, "-");
	else if (!jint(m, "step", &step) || step < 1)
		snprintf(buf, len, "-/%lld", nsteps);
	else
		snprintf(buf, len, "%lld/%lld", step, nsteps);
	return buf;
}

static char *
fmt_weights(json_t *m, char *buf, size_t len)
{
	long long	ecs;

	if (jint(m, "ecs_weight", &ecs))
		snprintf(buf, len, "droplets %lld%% / ecs %lld%%", 100 - ecs,
		    ecs);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* ok: within its limit; HOLD: no data yet (never a pass); BREACH. */
static const char *
gate_verdict(json_t *g)
{
	json_t	*ok = json_object_get(g, "ok");

	if (json_is_true(ok))
		return "ok";
	if (json_is_false(ok))
		return "BREACH";
	return "HOLD";
}

/* NAME PHASE STEP ECS% SINCE REASON, for list and status without NAME. */
static void
show_table(json_t *migrations)
{
	json_t		*m, *since;
	size_t		 i;
	int		 wname = 4, wphase = 5, w;
	long long	 ecs;
	char		 step[32], age[32], pct[16];

	if (json_array_size(migrations) == 0) {
		printf("no migrations\n");
		return;
	}
	json_array_foreach(migrations, i, m) {
		if ((w = (int)strlen(vis(jstr(m, "name")))) > wname)
			wname = w;
		if ((w = (int)strlen(vis(jstr(m, "phase")))) > wphase)
			wphase = w;
	}
	printf("%-*s  %-*s  %-7s  %4s  %-7s  %s\n", wname, "NAME", wphase,
	    "PHASE", "STEP", "ECS%", "SINCE", "REASON");
	json_array_foreach(migrations, i, m) {
		if ((since = json_object_get(m, "since")) == NULL)
			since = json_object_get(m, "phase_since");
		if (jint(m, "ecs_weight", &ecs))
			snprintf(pct, sizeof(pct), "%lld", ecs);
		else
			snprintf(pct, sizeof(pct), "-");
		printf("%-*s  %-*s  %-7s  %4s  %-7s  %s\n", wname,
		    vis(jstr(m, "name")), wphase, vis(jstr(m, "phase")),
		    fmt_step(m, step, sizeof(step)), pct,
		    fmt_age(since, age, sizeof(age)), vis(jstr(m, "reason")));
	}
}

static void
show_list(struct ctl_ctx *ctx)
{
	show_table(json_object_get(ctx->data, "migrations"));
}

/* The gates' rows: name, value, limit and verdict, names aligned. */
static void
show_gate_rows(json_t *g)
{
	json_t		*v;
	const char	*key;
	int		 w = 4;
	char		 b1[64], b2[64];

	json_object_foreach(g, key, v)
		if ((int)strlen(key) > w)
			w = (int)strlen(key);
	json_object_foreach(g, key, v)
		printf("  %-*s  %10s  limit %-10s  %s\n", w, vis(key),
		    fmt_num(json_object_get(v, "value"), b1, sizeof(b1)),
		    fmt_num(json_object_get(v, "limit"), b2, sizeof(b2)),
		    gate_verdict(v));
}

/*
 * show_one's parts, in the order they print.
 */
static void
show_one_phase(json_t *m)
{
	char	b1[64], b2[64];

	printf("name:       %s\n", vis(jstr(m, "name")));
	printf("phase:      %s, since %s (%s)\n", vis(jstr(m, "phase")),
	    fmt_age(json_object_get(m, "phase_since"), b1, sizeof(b1)),
	    fmt_time(json_object_get(m, "phase_since"), 0, b2, sizeof(b2)));
	if (jstr(m, "resume_to") != NULL)
		printf("resume to:  %s\n", vis(jstr(m, "resume_to")));
	if (jstr(m, "reason") != NULL)
		printf("reason:     %s\n", vis(jstr(m, "reason")));
	if (jstr(m, "effect") != NULL)
		printf("effect:     %s\n", vis(jstr(m, "effect")));
}

/* The step among the steps, and the weights set and read. */
static void
show_one_traffic(json_t *m)
{
	json_t		*v, *steps, *tr;
	size_t		 i;
	long long	 step = 0;
	char		 b1[64], b2[64], b3[64];

	printf("step:       %s", fmt_step(m, b1, sizeof(b1)));
	jint(m, "step", &step);
	steps = json_object_get(m, "steps");
	if (json_array_size(steps) > 0) {
		printf("  (ecs %%:");
		json_array_foreach(steps, i, v)
			printf((long long)i + 1 == step ? " [%s]" : " %s",
			    fmt_num(v, b2, sizeof(b2)));
		printf(")");
	}
	printf("\n");
	printf("weights:    %s", fmt_weights(m, b1, sizeof(b1)));
	tr = json_object_get(m, "traffic");
	if (json_is_object(tr))
		printf("  (listener read: droplets %s, ecs %s%s)",
		    fmt_num(json_object_get(tr, "droplets"), b2, sizeof(b2)),
		    fmt_num(json_object_get(tr, "ecs"), b3, sizeof(b3)),
		    json_is_true(json_object_get(tr, "rule")) ?
		    ", Method B rule" : "");
	printf("\n");
}

static void
show_verify(struct ctl_ctx *ctx)
{
	printf("%s: data comparison %s; `migratectl status %s` shows its "
	    "progress and verdict\n", vis(jstr(ctx->data, "name")),
	    json_is_true(json_object_get(ctx->data, "already_running")) ?
	    "already running" : "started", vis(jstr(ctx->data, "name")));
}

/* The data comparison: running, or its last verdict. */
static void
show_one_verify(json_t *m)
{
	json_t	*v = json_object_get(m, "verify");
	char	 b1[64];

	if (!json_is_object(v))
		return;
	if (jstr(v, "progress") != NULL)
		printf("verify:     running %s: %s\n", fmt_ms(
		    json_object_get(v, "elapsed_ms"), b1, sizeof(b1)),
		    vis(jstr(v, "progress")));
	else
		printf("verify:     %s: %s\n", vis(jstr(v, "state")),
		    jstr(v, "detail") != NULL ? vis(jstr(v, "detail")) : "-");
}

/* Ready: what the cutover waits for; the window's next edge. */
static void
show_one_ready(json_t *m)
{
	json_t	*r = json_object_get(m, "ready"), *v, *t;
	size_t	 i;

	if (!json_is_object(r))
		return;
	printf("ready:      approval %s%s, window %s",
	    vis(jstr(r, "approval")), json_is_true(json_object_get(r,
	    "approved")) ? " (approved)" : "", jstr(r, "window") != NULL ?
	    vis(jstr(r, "window")) : "any time");
	if ((t = json_object_get(r, "window_opens")) != NULL)
		printf(", opens %s (%s)", vis(jstr(t, "local")),
		    vis(jstr(t, "utc")));
	else if ((t = json_object_get(r, "window_closes")) != NULL)
		printf(", open until %s (%s)", vis(jstr(t, "local")),
		    vis(jstr(t, "utc")));
	printf("\n");
	if (json_array_size(json_object_get(r, "waiting_for")) == 0)
		return;
	printf("waiting:   ");
	json_array_foreach(json_object_get(r, "waiting_for"), i, v)
		printf(" %s", vis(json_string_value(v)));
	printf(" (both must hold)\n");
}

/* A rate in bytes a second, "670 kB/s"; "-" when not known. */
static char *
fmt_bps(json_t *v, char *buf, size_t len)
{
	double	x;

	if (!json_is_number(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	x = json_number_value(v);
	if (x >= 1e6)
		snprintf(buf, len, "%.1f MB", x / 1e6);
	else
		snprintf(buf, len, "%.0f kB", x / 1e3);
	return buf;
}

/* The replica's pace (lag.catchup): rates, backlog, catching up or not. */
static void
show_pace(json_t *lag)
{
	json_t	*c = json_object_get(lag, "catchup"), *v;
	char	 b1[32], b2[32], b3[32], b4[64], b5[64];

	if (!json_is_object(c) ||
	    !json_is_number(json_object_get(c, "source_bytes_s")))
		return;
	v = json_object_get(c, "source_commits_s");
	printf("pace:       source %s%.0f commits/s, %s/s; target %s/s; "
	    "%s behind; ", json_is_number(v) ? "" : "? ", json_is_number(v) ?
	    json_number_value(v) : 0,
	    fmt_bps(json_object_get(c, "source_bytes_s"), b1, sizeof(b1)),
	    fmt_bps(json_object_get(c, "target_bytes_s"), b2, sizeof(b2)),
	    fmt_bps(json_object_get(c, "backlog_bytes"), b3, sizeof(b3)));
	v = json_object_get(c, "catching_up");
	if (json_is_false(v))
		printf("not catching up, no progress for %s (max_catchup %s)"
		    "%s\n", fmt_ms(json_object_get(c, "stalled_ms"), b4,
		    sizeof(b4)), fmt_ms(json_object_get(c, "max_catchup_ms"), b5,
		    sizeof(b5)), json_is_true(json_object_get(c, "alert")) ?
		    ": ALERT" : "");
	else if (json_is_true(v) &&
	    json_integer_value(json_object_get(c, "eta_ms")) == 0)
		printf("caught up\n");
	else if (json_is_true(v))
		printf("catching up, done in %s\n",
		    fmt_ms(json_object_get(c, "eta_ms"), b4, sizeof(b4)));
	else
		printf("catching up: not known yet\n");
}

/* Bake, lag, progress and, once there is one, the cutover. */
static void
show_one_work(json_t *m)
{
	json_t	*bake, *lag, *cut;
	char	 b1[64], b2[64];

	bake = json_object_get(m, "bake");
	if (json_is_object(bake))
		printf("bake:       %s left of %s\n",
		    fmt_ms(json_object_get(bake, "remaining_ms"), b1,
		    sizeof(b1)),
		    fmt_ms(json_object_get(bake, "total_ms"), b2, sizeof(b2)));
	else
		printf("bake:       -\n");
	lag = json_object_get(m, "lag");
	printf("lag:        replica %s, heartbeat %s\n",
	    fmt_ms(json_object_get(lag, "replica_ms"), b1, sizeof(b1)),
	    fmt_ms(json_object_get(lag, "heartbeat_ms"), b2, sizeof(b2)));
	show_pace(lag);
	if (jstr(m, "progress") != NULL)
		printf("progress:   %s\n", vis(jstr(m, "progress")));
	show_one_ready(m);
	show_one_verify(m);
	cut = json_object_get(m, "cutover");
	if (!json_is_object(cut))
		return;
	printf("cutover:    at %s, read-only %s before the switch, first "
	    "write after %s\n", vis(jstr(cut, "final_position")),
	    fmt_ms(json_object_get(cut, "freeze_ms"), b1, sizeof(b1)),
	    fmt_ms(json_object_get(cut, "write_gap_ms"), b2, sizeof(b2)));
	if (jstr(cut, "proof") != NULL)
		printf("proof:      %s: %s\n", vis(jstr(cut, "proof")),
		    vis(jstr(cut, "proof_detail")));
	else if (jstr(cut, "proof_progress") != NULL)
		printf("proof:      running: %s\n",
		    vis(jstr(cut, "proof_progress")));
	else
		printf("proof:      -\n");
}

/* The gates held on missing data: how long, and the alert past max_hold. */
static void
show_hold(json_t *h)
{
	char	b1[64], b2[64];

	if (!json_is_object(h))
		return;
	printf("  held on missing data for %s (max_hold %s, then %s)%s\n",
	    fmt_ms(json_object_get(h, "held_ms"), b1, sizeof(b1)),
	    fmt_ms(json_object_get(h, "max_hold_ms"), b2, sizeof(b2)),
	    vis(jstr(h, "on_hold")), json_is_true(json_object_get(h,
	    "alert")) ? ": ALERT" : "");
}

static void
show_one_gates(json_t *m)
{
	json_t	*g = json_object_get(m, "gates");

	if (json_object_size(g) == 0) {
		printf("gates:      -\n");
		return;
	}
	printf("gates:\n");
	show_gate_rows(g);
	show_hold(json_object_get(m, "hold"));
}

/* The judgment, the approval, what it accepts, and where it came from. */
static void
show_one_record(json_t *m)
{
	json_t	*v, *jd;
	size_t	 i;
	char	 b1[64], b3[64];

	jd = json_object_get(m, "judgment");
	if (json_is_object(jd))
		printf("judgment:   %s: %s (%s ago)\n",
		    vis(jstr(jd, "verdict")), vis(jstr(jd, "detail")),
		    fmt_age(json_object_get(jd, "at"), b1, sizeof(b1)));
	printf("approved:   %s\n",
	    json_is_true(json_object_get(m, "approved")) ? "yes" : "no");
	printf("accepts:   ");
	if (json_array_size(json_object_get(m, "accepts")) == 0)
		printf(" -");
	json_array_foreach(json_object_get(m, "accepts"), i, v)
		printf(" %s", vis(json_string_value(v)));
	printf("\n");
	printf("plan:       %s\n", vis(jstr(m, "plan_path")));
	printf("created:    %s\n", fmt_time(json_object_get(m, "created"), 0,
	    b3, sizeof(b3)));
	printf("updated:    %s\n", fmt_time(json_object_get(m, "updated"), 0,
	    b3, sizeof(b3)));
}

/* The [files] sync: the last run and its result, the next, the final. */
static void
show_one_files(json_t *m)
{
	json_t	*f = json_object_get(m, "files"), *ok, *next;
	char	 b1[64];

	if (!json_is_object(f))
		return;
	ok = json_object_get(f, "last_ok");
	if (json_is_integer(json_object_get(f, "last_at")))
		printf("files:      last run %s, %s ago", json_is_true(ok) ?
		    "ok" : "FAILED", fmt_age(json_object_get(f, "last_at"),
		    b1, sizeof(b1)));
	else
		printf("files:      no sync yet");
	if (jstr(f, "running") != NULL)
		printf(", %s running", vis(jstr(f, "running")));
	next = json_object_get(f, "next_at");
	if (json_is_integer(next))
		printf(", next in %s", fmt_secs((json_integer_value(next) -
		    now_ms()) / 1000, b1, sizeof(b1)));
	if (json_is_integer(json_object_get(f, "final_passed_at")))
		printf(", final sync passed %s ago", fmt_age(json_object_get(f,
		    "final_passed_at"), b1, sizeof(b1)));
	printf("\n");
	if (json_is_false(ok) && jstr(f, "last") != NULL)
		printf("            %s\n", vis(jstr(f, "last")));
}

/* One migration as "key: value" lines. */
static void
show_one(json_t *m)
{
	show_one_phase(m);
	show_one_traffic(m);
	show_one_work(m);
	show_one_files(m);
	show_one_gates(m);
	show_one_record(m);
}

static void
show_status(struct ctl_ctx *ctx)
{
	json_t	*migrations = json_object_get(ctx->data, "migrations");
	json_t	*m;
	size_t	 i;

	if (ctx->argc == 0) {
		show_table(migrations);
		return;
	}
	json_array_foreach(migrations, i, m) {
		if (i > 0)
			printf("\n");
		show_one(m);
	}
}

/* The compact view --watch redraws on every event. */
static void
show_live(json_t *data)
{
	json_t		*migrations = json_object_get(data, "migrations");
	json_t		*m, *bake, *lag;
	size_t		 i;
	char		 b1[64], b2[64], b3[64];
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (isatty(STDOUT_FILENO)) {
		fputs("\033[H\033[2J", stdout);
		localtime_r(&now, &tm);
		strftime(b1, sizeof(b1), "%H:%M:%S", &tm);
		printf("migratectl status --watch    %s    (^C to stop)\n\n",
		    b1);
	} else {
		localtime_r(&now, &tm);
		strftime(b1, sizeof(b1), "%Y-%m-%d %H:%M:%S", &tm);
		printf("--- %s\n", b1);
	}
	if (jstr(data, "waiting_for") != NULL)
		printf("%s: no such migration yet; waiting for it to be "
		    "created\n", vis(jstr(data, "waiting_for")));
	else if (json_array_size(migrations) == 0)
		printf("no migrations\n");
	json_array_foreach(migrations, i, m) {
		if (i > 0)
			printf("\n");
		printf("%s: %s, step %s, %s", vis(jstr(m, "name")),
		    vis(jstr(m, "phase")), fmt_step(m, b1, sizeof(b1)),
		    fmt_weights(m, b2, sizeof(b2)));
		bake = json_object_get(m, "bake");
		if (json_is_object(bake))
			printf(", bake %s left",
			    fmt_ms(json_object_get(bake, "remaining_ms"), b3,
			    sizeof(b3)));
		printf("\n");
		if (jstr(m, "reason") != NULL)
			printf("  reason: %s\n", vis(jstr(m, "reason")));
		if (jstr(m, "effect") != NULL)
			printf("  effect: %s\n", vis(jstr(m, "effect")));
		if (jstr(m, "progress") != NULL)
			printf("  %s\n", vis(jstr(m, "progress")));
		/* One migration watched: its lag and gates too. */
		lag = json_object_get(m, "lag");
		if (json_is_object(lag))
			printf("  lag: replica %s, heartbeat %s\n",
			    fmt_ms(json_object_get(lag, "replica_ms"), b1,
			    sizeof(b1)),
			    fmt_ms(json_object_get(lag, "heartbeat_ms"), b2,
			    sizeof(b2)));
		show_gate_rows(json_object_get(m, "gates"));
		show_hold(json_object_get(m, "hold"));
	}
	fflush(stdout);
}

static void
show_created(struct ctl_ctx *ctx)
{
	json_t		*e = json_object_get(ctx->data, "estimate"), *st;
	json_t		*r;
	size_t		 i;

	printf("created %s (%s)\n", vis(jstr(ctx->data, "name")),
	    vis(jstr(ctx->data, "phase")));
	if (!json_is_object(e))
		return;
	/* The traffic estimate: what one bake of each step should bring. */
	r = json_object_get(e, "rate_per_min");
	if (!json_is_number(r)) {
		printf("warning: %s\n", vis(jstr(e, "text")));
		return;
	}
	printf("traffic: %.1f requests a minute (last %lld h); requests to "
	    "ECS per bake:", json_number_value(r), (long long)
	    (json_integer_value(json_object_get(e, "span_s")) + 1800) / 3600);
	json_array_foreach(json_object_get(e, "steps"), i, st) {
		r = json_object_get(st, "requests_per_bake");
		if (json_is_number(r))
			printf(" %lld%%: %.0f", (long long)json_integer_value(
			    json_object_get(st, "ecs_percent")),
			    json_number_value(r));
		else
			printf(" rule: ?");
	}
	printf("\n");
}

static void
show_phase(struct ctl_ctx *ctx)
{
	printf("%s: %s\n", vis(jstr(ctx->data, "name")),
	    vis(jstr(ctx->data, "phase")));
}

static void
show_set(struct ctl_ctx *ctx)
{
	json_t	*v = json_object_get(ctx->data, "value");
	char	*s = NULL;

	if (!json_is_string(v))
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	printf("%s: %s = %s\n", vis(jstr(ctx->data, "name")),
	    vis(jstr(ctx->data, "key")),
	    vis(json_is_string(v) ? json_string_value(v) : s));
	free(s);
}

static void
show_history(struct ctl_ctx *ctx)
{
	json_t		*entries = json_object_get(ctx->data, "entries");
	json_t		*e;
	const char	*from, *to, *ev, *text;
	size_t		 i;
	int		 wkind = 4, w;
	char		 ts[64];

	json_array_foreach(entries, i, e)
		if ((w = (int)strlen(vis(jstr(e, "kind")))) > wkind)
			wkind = w;
	json_array_foreach(entries, i, e) {
		from = jstr(e, "from");
		to = jstr(e, "to");
		ev = jstr(e, "event");
		text = jstr(e, "text");
		printf("%s  %-*s", fmt_time(json_object_get(e, "ts"), 1, ts,
		    sizeof(ts)), wkind, vis(jstr(e, "kind")));
		if (from != NULL || to != NULL) {
			printf("  %s", vis(from));
			if (ev != NULL)
				printf(" -%s-> ", vis(ev));
			else
				printf(" -> ");
			printf("%s", vis(to));
		} else if (ev != NULL)
			printf("  %s", vis(ev));
		if (text != NULL)
			printf("  %s", vis(text));
		printf("\n");
	}
}

static void
show_plan(struct ctl_ctx *ctx)
{
	json_t		*s, *n;
	const char	*guard, *why;
	size_t		 i;
	long long	 idx;
	int		 wev = 5, wto = 2, w;
	char		 b1[32], b2[32];

	printf("%s: %s\n", vis(jstr(ctx->data, "name")),
	    vis(jstr(ctx->data, "phase")));
	if (json_array_size(json_object_get(ctx->data, "steps")) > 0) {
		printf("\n%-4s  %4s  %-7s  %s\n", "STEP", "ECS%", "BAKE",
		    "STATE");
		json_array_foreach(json_object_get(ctx->data, "steps"), i, s) {
			if (!jint(s, "index", &idx))
				idx = (long long)i + 1;
			printf("%-4lld  %4s  %-7s  %s\n", idx,
			    fmt_num(json_object_get(s, "ecs_percent"), b1,
			    sizeof(b1)),
			    fmt_ms(json_object_get(s, "bake_ms"), b2,
			    sizeof(b2)), vis(jstr(s, "state")));
		}
	}
	printf("\nnext:\n");
	if (json_array_size(json_object_get(ctx->data, "next")) == 0)
		printf("  nothing: the migration is over\n");
	json_array_foreach(json_object_get(ctx->data, "next"), i, n) {
		if ((w = (int)strlen(vis(jstr(n, "event")))) > wev)
			wev = w;
		if ((w = (int)strlen(vis(jstr(n, "to")))) > wto)
			wto = w;
	}
	json_array_foreach(json_object_get(ctx->data, "next"), i, n) {
		guard = jstr(n, "guard");
		why = jstr(n, "why");
		printf("  %-*s -> %-*s  ", wev, vis(jstr(n, "event")), wto,
		    vis(jstr(n, "to")));
		if (guard != NULL)
			printf("%s: ", vis(guard));
		if (json_is_true(json_object_get(n, "holds")))
			printf("%s", guard != NULL ? "holds" : "always");
		else
			printf("does not hold");
		if (why != NULL)
			printf(" (%s)", vis(why));
		printf("\n");
	}
	/* One line, so that shell completion can read it too. */
	if (json_array_size(json_object_get(ctx->data, "tunables")) > 0) {
		printf("\nset keys:");
		json_array_foreach(json_object_get(ctx->data, "tunables"), i, n)
			if (json_is_string(n))
				printf(" %s", vis(json_string_value(n)));
		printf("\n");
	}
}

static void
show_stats(struct ctl_ctx *ctx)
{
	json_t	*l = json_object_get(ctx->data, "poll_lateness");
	char	 b1[32], b2[32], b3[32], b4[32];

	printf("migrations:     %s\n", fmt_num(json_object_get(ctx->data,
	    "migrations"), b1, sizeof(b1)));
	printf("poll lateness:  p50 %s ms, p99 %s ms, max %s ms over %s "
	    "polls\n", fmt_num(json_object_get(l, "p50_ms"), b1, sizeof(b1)),
	    fmt_num(json_object_get(l, "p99_ms"), b2, sizeof(b2)),
	    fmt_num(json_object_get(l, "max_ms"), b3, sizeof(b3)),
	    fmt_num(json_object_get(l, "ticks"), b4, sizeof(b4)));
}

/* One line per check: its verdict, its name, the detail, then the fix. */
static void
show_check(struct ctl_ctx *ctx)
{
	json_t		*checks = json_object_get(ctx->data, "checks"), *c;
	const char	*st, *fix;
	long long	 failed = 0, warned = 0;
	size_t		 i;

	printf("%-5s %-26s %s\n", "", "CHECK", "DETAIL");
	json_array_foreach(checks, i, c) {
		st = jstr(c, "status");
		printf("%-5s %-26s ", st != NULL ? st : "?",
		    vis(jstr(c, "name")));
		putvis(stdout, jstr(c, "detail") ? jstr(c, "detail") : "");
		fputc('\n', stdout);
		if ((fix = jstr(c, "fix")) != NULL) {
			printf("%-5s %-26s fix: ", "", "");
			putvis(stdout, fix);
			fputc('\n', stdout);
		}
	}
	jint(ctx->data, "failed", &failed);
	jint(ctx->data, "warned", &warned);
	printf("%s (%s): %lld failed, %lld warning%s, of %zu checks\n",
	    vis(jstr(ctx->data, "name")), vis(jstr(ctx->data, "phase")),
	    failed, warned, warned == 1 ? "" : "s", json_array_size(checks));
}

static void
show_deleted(struct ctl_ctx *ctx)
{
	printf("deleted %s\n", vis(jstr(ctx->data, "name")));
}

static void
print_json(json_t *v)
{
	if (v == NULL || json_dumpf(v, stdout, JSON_COMPACT |
	    JSON_ENCODE_ANY) == -1)
		fputs("null", stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

static int
ctl_connect(struct ctl_conn *c)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { .tv_sec = CTL_REPLY_TIMEOUT };

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->path) >= sizeof(sun.sun_path)) {
		warnx_("socket path %s is too long (at most %zu bytes)",
		    vis(c->path), sizeof(sun.sun_path) - 1);
		return -1;
	}
	strncpy(sun.sun_path, c->path, sizeof(sun.sun_path) - 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		warn_("socket");
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int	saved = errno;

		if (c->retrying)
			return -1;
		warnx_("cannot connect to %s: %s (%s)", vis(c->path),
		    strerror(saved), saved == EACCES || saved == EPERM ?
		    "the socket is for root and the migrated group: use sudo "
		    "or join the group" :
		    "is migrated running? see systemctl status migrated");
		return -1;
	}
	/* The daemon never blocks, so a reply that does not come is a hang. */
	if (c->reply_timeout > 0)
		tv.tv_sec = c->reply_timeout;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

static int
ctl_send(struct ctl_conn *c, json_t *req)
{
	char	*line;
	size_t	 len, off = 0;
	ssize_t	 n;

	if ((line = proto_encode(req, &len)) == NULL) {
		warnx_("the request is over the protocol's %d KiB limit once "
		    "encoded%s", PROTO_LINE_MAX / 1024,
		    json_object_get(json_object_get(req, "args"), "text") ?
		    "; shorten the plan" : "");
		return EXIT_USAGE;
	}
	while (off < len) {
		n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			warn_("cannot send to %s", vis(c->path));
			free(line);
			return EXIT_UNREACHABLE;
		}
		off += (size_t)n;
	}
	free(line);
	return 0;
}

/*
 * Next message from the daemon: 1 with *msg set, 0 when it closed the
 * connection, -1 on an error already reported.
 */
static int
ctl_recv(struct ctl_conn *c, json_t **msg)
{
	char		*line;
	size_t		 len;
	int		 n;
	json_error_t	 jerr;

	*msg = NULL;
	for (;;) {
		switch (proto_frame_next(c->in, &line, &len)) {
		case PROTO_FRAME_LINE:
			*msg = json_loadb(line, len, 0, &jerr);
			free(line);
			if (!json_is_object(*msg)) {
				warnx_("garbled reply from migrated on %s: %s",
				    vis(c->path), *msg == NULL ? jerr.text :
				    "not a JSON object");
				json_decref(*msg);
				*msg = NULL;
				return -1;
			}
			return 1;
		case PROTO_FRAME_TOO_LONG:
			warnx_("reply from migrated on %s exceeds %d bytes",
			    vis(c->path), PROTO_LINE_MAX);
			return -1;
		case PROTO_FRAME_MORE:
			break;
		}
		n = evbuffer_read(c->in, c->fd, CTL_READ_CHUNK);
		if (n == 0)
			return 0;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->timed_out = 1;
			if (!c->quiet)
				warnx_("no reply from migrated on %s within "
				    "%ds; see journalctl -u migrated",
				    vis(c->path), c->reply_timeout > 0 ?
				    c->reply_timeout : CTL_REPLY_TIMEOUT);
			return -1;
		}
		if (n == -1) {
			warn_("cannot read from %s", vis(c->path));
			return -1;
		}
	}
}

/*
 * Wait for the reply to our request. Lines for other ids are not ours and
 * are skipped; an error reply without a usable id (none, 0, or the -1 that
 * migrated uses for too_large and busy) is the daemon telling us it could
 * not take our request, so it is ours too.
 */
static int
ctl_reply(struct ctl_conn *c, json_t **reply)
{
	json_t		*msg;
	long long	 v, id;
	int		 rc;

	*reply = NULL;
	for (;;) {
		if ((rc = ctl_recv(c, &msg)) == -1)
			return EXIT_UNREACHABLE;
		if (rc == 0) {
			if (!c->quiet)
				warnx_("migrated closed the connection on %s "
				    "without replying; see journalctl -u "
				    "migrated", vis(c->path));
			return EXIT_UNREACHABLE;
		}
		if (!jint(msg, "v", &v) || v != PROTO_VERSION) {
			if (!json_is_integer(json_object_get(msg, "v")))
				v = 0;
			warnx_("migrated on %s speaks protocol version %lld, "
			    "this migratectl speaks %d: use the migratectl "
			    "installed with the daemon", vis(c->path), v,
			    PROTO_VERSION);
			json_decref(msg);
			return EXIT_UNREACHABLE;
		}
		if (json_object_get(msg, "ok") == NULL) {
			json_decref(msg);	/* an event before the reply */
			continue;
		}
		if (!jint(msg, "id", &id))
			id = 0;
		if (id == CTL_ID || (id <= 0 && json_is_false(json_object_get(
		    msg, "ok")))) {
			*reply = msg;
			return EXIT_OK;
		}
		json_decref(msg);
	}
}

/* The reply said ok:false: say what the daemon said, exit 1. */
static int
ctl_refused(json_t *reply)
{
	json_t		*err = json_object_get(reply, "error");
	const char	*code = jstr(err, "code");
	const char	*msg = jstr(err, "message");

	if (json_out) {
		print_json(err);
		return EXIT_REFUSED;
	}
	if (code == NULL)
		code = "internal";
	if (msg == NULL)
		msg = "(no message)";
	/* bad_plan and friends: one "file:line: message" per line. */
	fprintf(stderr, "migratectl: %s:%s", vis(code),
	    strchr(msg, '\n') != NULL ? "\n" : " ");
	putvis(stderr, msg);
	if (msg[0] == '\0' || msg[strlen(msg) - 1] != '\n')
		fputc('\n', stderr);
	return EXIT_REFUSED;
}

static void
on_signal(int sig)
{
	/* Leaving the watch is the expected way out. */
	(void)sig;
	_exit(EXIT_OK);
}

/* status --watch: redraw on each status event until ^C or the daemon goes. */
static int
ctl_watch(struct ctl_conn *c)
{
	struct sigaction	 sa;
	struct timeval		 tv = { 0 };
	json_t			*msg, *data;
	long long		 id, v;
	int			 rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Events come when something changes: no reply timeout any more. */
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	for (;;) {
		if ((rc = ctl_recv(c, &msg)) == -1)
			return EXIT_UNREACHABLE;
		if (rc == 0) {
			warnx_("migrated closed the connection on %s",
			    vis(c->path));
			return EXIT_UNREACHABLE;
		}
		data = json_object_get(msg, "data");
		if (jint(msg, "id", &id) && id == CTL_ID &&
		    jint(msg, "v", &v) && v == PROTO_VERSION &&
		    jstr(msg, "event") != NULL && json_is_object(data)) {
			if (json_out)
				print_json(data);
			else if (json_object_get(data, "migrations") != NULL)
				show_live(data);
		} else if (json_is_false(json_object_get(msg, "ok"))) {
			rc = ctl_refused(msg);
			json_decref(msg);
			return rc;
		}
		json_decref(msg);
	}
}

static void
ctl_conn_close(struct ctl_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	if (c->in != NULL)
		evbuffer_free(c->in);
	c->in = NULL;
}

/*
 * The options before the verb. Leaves *argcp and *argvp at the verb and
 * *path at the socket; returns -1 to go on, else the exit status (after
 * --help, --version or a mistake).
 */
static int
ctl_options(int *argcp, char ***argvp, const char **path)
{
	static const struct option longopts[] = {
		{ "socket",	required_argument,	NULL,	's' },
		{ "json",	no_argument,		NULL,	'j' },
		{ "help",	no_argument,		NULL,	'h' },
		{ "version",	no_argument,		NULL,	'V' },
		{ NULL,		0,			NULL,	0 }
	};
	char	**argv = *argvp;
	int	  ch;

	opterr = 0;
	*path = getenv("MIGRATED_SOCKET");
	if (*path == NULL || (*path)[0] == '\0')
		*path = PROTO_SOCKET;
	while ((ch = getopt_long(*argcp, argv, "+:hs:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 's':
			*path = optarg;
			break;
		case 'j':
			json_out = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("migratectl %s (protocol %d)\n",
			    MIGRATED_VERSION, PROTO_VERSION);
			return EXIT_OK;
		case ':':
			warnx_("%s needs a PATH", vis(argv[optind - 1]));
			usage(stderr);
			return EXIT_USAGE;
		default:
			if (optopt != 0)
				warnx_("unknown option \"-%c\"", optopt);
			else
				warnx_("unknown option \"%s\"",
				    vis(argv[optind - 1]));
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	*argcp -= optind;
	*argvp += optind;
	return -1;
}

/*
 * Send the verb's request to the daemon on path, print the reply, and with
 * --watch the events after it. Returns the exit status.
 */
static int
ctl_run(struct ctl_ctx *ctx, const char *path)
{
	struct ctl_conn	 c = { .path = path, .fd = -1 };
	json_t		*req = NULL, *reply = NULL;
	int		 rc = EXIT_USAGE;
	long long	 failed;

	if (ctx->cmd->flags & CTL_F_WAIT)
		return ctl_wait(ctx, path);
	if (ctx->cmd->flags & CTL_F_VERDICT)
		c.reply_timeout = CTL_CHECK_TIMEOUT;

	if ((ctx->args = json_object()) == NULL ||
	    (ctx->cmd->build != NULL && ctx->cmd->build(ctx) == -1))
		goto done;
	req = proto_request_new(CTL_ID, ctx->cmd->name, ctx->args);
	ctx->args = NULL;
	if (req == NULL) {
		warnx_("cannot build the request (out of memory?)");
		goto done;
	}

	if (ctl_connect(&c) == -1) {
		rc = EXIT_UNREACHABLE;
		goto done;
	}
	if ((c.in = evbuffer_new()) == NULL) {
		warnx_("out of memory");
		rc = EXIT_UNREACHABLE;
		goto done;
	}
	if ((rc = ctl_send(&c, req)) != 0 || (rc = ctl_reply(&c, &reply)) != 0)
		goto done;

	if (!json_is_true(json_object_get(reply, "ok"))) {
		rc = ctl_refused(reply);
		goto done;
	}
	ctx->data = json_object_get(reply, "data");
	if (json_out)
		print_json(ctx->data);
	else if (ctx->watch)
		show_live(ctx->data);
	else
		ctx->cmd->show(ctx);
	rc = EXIT_OK;
	if ((ctx->cmd->flags & CTL_F_VERDICT) &&
	    jint(ctx->data, "failed", &failed) && failed > 0)
		rc = EXIT_REFUSED;
	if (ctx->watch)
		rc = ctl_watch(&c);

done:
	json_decref(reply);
	json_decref(req);
	json_decref(ctx->args);
	ctx->args = NULL;
	ctl_conn_close(&c);
	return rc;
}

/* wait's answer: 0 reached, 1 stopped (with the reason). */
static int
wait_outcome(json_t *data)
{
	const char	*outcome = jstr(data, "outcome");
	const char	*reason = jstr(data, "reason");

	if (json_out)
		print_json(data);
	if (outcome != NULL && strcmp(outcome, "reached") == 0) {
		if (!json_out)
			printf("%s reached %s (now %s)\n",
			    vis(jstr(data, "name")),
			    vis(jstr(data, "waited_for")),
			    vis(jstr(data, "phase")));
		return EXIT_OK;
	}
	if (!json_out) {
		fprintf(stderr, "migratectl: %s is %s, short of %s: ",
		    vis(jstr(data, "name")), vis(jstr(data, "phase")),
		    vis(jstr(data, "waited_for")));
		putvis(stderr, reason != NULL ? reason : "(no reason "
		    "recorded)");
		fputc('\n', stderr);
	}
	return EXIT_REFUSED;
}

/*
 * One try: connect, ask, wait for the answer until deadline_ms (0: no
 * deadline). Returns the exit status, or -1 when migrated went away (the
 * caller reconnects); *connected says whether it answered at all.
 */
static int
wait_once(struct ctl_conn *c, json_t *req, int64_t deadline_ms,
    int *connected)
{
	json_t	*reply = NULL;
	int64_t	 left;
	int	 rc;

	*connected = 0;
	c->quiet = 1;
	c->timed_out = 0;
	c->reply_timeout = 0;
	if (deadline_ms > 0) {
		left = deadline_ms - now_ms();
		if (left <= 0)
			return EXIT_TIMEOUT;
		c->reply_timeout = (int)((left + 999) / 1000);
	}
	if (ctl_connect(c) == -1)
		return -1;
	*connected = 1;
	if ((c->in = evbuffer_new()) == NULL) {
		warnx_("out of memory");
		return EXIT_UNREACHABLE;
	}
	if ((rc = ctl_send(c, req)) == EXIT_USAGE)
		return rc;
	if (rc == 0)
		rc = ctl_reply(c, &reply);
	if (rc != EXIT_OK) {
		json_decref(reply);
		return c->timed_out ? EXIT_TIMEOUT : -1;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *code = jstr(json_object_get(reply, "error"),
		    "code");

		rc = ctl_refused(reply);
		/* A phase that is none: a mistake in the invocation. */
		if (code != NULL && strcmp(code, "usage") == 0)
			rc = EXIT_USAGE;
		json_decref(reply);
		return rc;
	}
	rc = wait_outcome(json_object_get(reply, "data"));
	json_decref(reply);
	return rc;
}

/*
 * wait: the daemon answers once the phase is reached or the migration
 * stops. When it goes away (a restart), reconnect and ask again until the
 * timeout; a daemon still away then is exit 3, a phase not reached 4.
 */
static int
ctl_wait(struct ctl_ctx *ctx, const char *path)
{
	struct ctl_conn	 c = { .path = path, .fd = -1 };
	json_t		*req;
	int64_t		 deadline = 0;
	int		 rc, connected, ever = 0, told = 0;

	if ((ctx->args = json_object()) == NULL || build_wait(ctx) == -1)
		return EXIT_USAGE;
	req = proto_request_new(CTL_ID, ctx->cmd->name, ctx->args);
	ctx->args = NULL;
	if (req == NULL)
		return EXIT_USAGE;
	if (ctx->timeout_ms >= 0)
		deadline = now_ms() + (ctx->timeout_ms > 0 ? ctx->timeout_ms :
		    1);
	for (;;) {
		rc = wait_once(&c, req, deadline, &connected);
		ctl_conn_close(&c);
		ever |= connected;
		if (rc != -1)
			break;
		if (!ever) {
			/* Not there at all: the usual unreachable. */
			rc = EXIT_UNREACHABLE;
			break;
		}
		c.retrying = 1;
		if (!told++)
			warnx_("migrated on %s went away; waiting for it to "
			    "come back", vis(path));
		if (deadline > 0 && now_ms() + CTL_RECONNECT_MS >= deadline) {
			warnx_("migrated on %s is still away after the "
			    "timeout", vis(path));
			rc = EXIT_UNREACHABLE;
			break;
		}
		usleep(CTL_RECONNECT_MS * 1000);
	}
	if (rc == EXIT_TIMEOUT)
		warnx_("%s has not reached %s in the time given",
		    vis(ctx->argv[0]), ctx->phase ? vis(ctx->phase) : "done");
	json_decref(req);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct ctl_ctx	 ctx = { .cmd = NULL, .timeout_ms = -1 };
	const char	*path;
	int		 rc;

	/* A client parses one reply: a fixed hash seed spares /dev/urandom. */
	json_object_seed(1);
	if ((rc = ctl_options(&argc, &argv, &path)) != -1)
		return rc;
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((ctx.cmd = ctl_lookup(argv[0])) == NULL) {
		warnx_("unknown command \"%s\"; see migratectl --help",
		    vis(argv[0]));
		return EXIT_USAGE;
	}
	if (ctl_parse_args(&ctx, argc - 1, argv + 1) == -1) {
		fprintf(stderr, "usage: migratectl %s\n", ctx.cmd->usage);
		return EXIT_USAGE;
	}
	rc = ctl_run(&ctx, path);
	if (fflush(stdout) == EOF && rc == EXIT_OK) {
		warn_("stdout");
		rc = EXIT_USAGE;
	}
	return rc;
}
