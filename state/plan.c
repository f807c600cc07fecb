/*
 * plan: reading, checking and tuning a migration plan. One table, popts[],
 * names every option once (section, key, type, where it lives in struct
 * plan, its default, its bounds, whether it is required, tunable at run time
 * or part of the migration's identity), and one setter, popt_set(), turns a
 * value into a field for the parser, for the defaults and for plan_set()
 * alike, through a table of setters by option type. Checks that involve
 * more than one key live in plan_check(), a table of checks run in order
 * after a parse and after every run-time change.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "phase.h"
#include "plan.h"
#include "window.h"

#define PLAN_FILE_MAX	(1024 * 1024)

enum popt_type {
	PT_STR,		/* char *; blank leaves it unset */
	PT_PATH,	/* char *, made absolute against the plan's directory */
	PT_SECRET,	/* PT_PATH that must pass conf_secret_file_ok() */
	PT_INT,		/* int in lo..hi */
	PT_I64,		/* int64_t in lo..hi */
	PT_DURATION,	/* int64_t ms in lo..hi */
	PT_PERCENT,	/* double ratio in 0..1 */
	PT_DOUBLE,	/* double in dlo..dhi */
	PT_BOOL,	/* int */
	PT_ENUM,	/* int: index into names */
	PT_LIST,	/* char **, NULL when blank; count at off2 if any */
	PT_STEPS,	/* int[PLAN_STEPS_MAX], count at off2 */
	PT_HOOK,	/* char *[PH__COUNT]; the key is a prefix + phase name */
};

#define F_REQUIRED	0x01	/* the plan must set it */
#define F_TUNABLE	0x02	/* plan_set() may change it */
#define F_IDENTITY	0x04	/* part of what is migrated */

struct popt {
	const char		*section;
	const char		*key;
	enum popt_type		 type;
	size_t			 off;
	int			 flags;
	const char		*def;	/* default, parsed like a value */
	size_t			 off2;	/* PT_LIST, PT_STEPS: count (0: none) */
	int64_t			 lo, hi;	/* PT_INT, PT_I64, PT_DURATION */
	double			 dlo, dhi;	/* PT_DOUBLE */
	const char *const	*names;	/* PT_ENUM, NULL-terminated */
	/* PT_STR, PT_HOOK, PT_LIST items: the value's shape. */
	int			(*check)(const char *, char *, size_t);
};

static int	check_name(const char *, char *, size_t);
static int	check_listener_arn(const char *, char *, size_t);
static int	check_tg_arn(const char *, char *, size_t);
static int	check_schema(const char *, char *, size_t);
static int	check_account(const char *, char *, size_t);
static int	check_region(const char *, char *, size_t);
static int	check_ip(const char *, char *, size_t);
static int	check_url(const char *, char *, size_t);
static int	check_header(const char *, char *, size_t);
static int	check_window(const char *, char *, size_t);

static const char *const kind_names[] = {
	[TARGET_RDS] = "rds", [TARGET_MYSQL] = "mysql", NULL
};
static const char *const seed_names[] = {
	[SEED_DUMP] = "dump", [SEED_EXTERNAL] = "external", NULL
};
static const char *const writer_names[] = {
	[WRITER_HOOK] = "hook", [WRITER_DNS] = "dns",
	[WRITER_ECS_ENV] = "ecs-env", NULL
};
static const char *const breach_names[] = {
	[BREACH_PAUSE] = "pause", [BREACH_RETRY] = "retry", NULL
};
static const char *const hold_names[] = {
	[HOLD_PAUSE] = "pause", [HOLD_WAIT] = "wait", NULL
};
static const char *const approval_names[] = {
	[APPROVAL_REQUIRED] = "required", [APPROVAL_AUTO] = "auto", NULL
};

#define MS(n)		((int64_t)(n))
#define SEC(n)		(MS(n) * 1000)
#define DAY(n)		(SEC(n) * 86400)
#define OFF(f)		offsetof(struct plan, f)
#define O(s, k, t, f, fl, ...) { .section = s, .key = k, .type = t, \
	.off = OFF(f), .flags = fl, __VA_ARGS__ }
#define DUR(s, k, f, fl, d, l, h) \
	O(s, k, PT_DURATION, f, fl, .def = d, .lo = l, .hi = h)
#define R	F_REQUIRED
#define T	F_TUNABLE
#define I	F_IDENTITY

/* Every option of a plan. Enum names are indexed by the enum's values. */
static const struct popt popts[] = {
	O("", "name", PT_STR, name, 0, .check = check_name),

	O("source", "host", PT_STR, source.db.host, R | I),
	O("source", "port", PT_INT, source.db.port, I, .def = "3306",
	    .lo = 1, .hi = 65535),
	O("source", "user", PT_STR, source.db.user, R),
	O("source", "password_file", PT_SECRET, source.db.password_file, R),
	O("source", "ca_file", PT_PATH, source.db.ca_file, 0),
	DUR("source", "connect_timeout", source.db.connect_timeout, 0, "5s",
	    MS(1), SEC(3600)),
	O("source", "schemas", PT_LIST, source.schemas, R | I,
	    .off2 = OFF(source.nschemas), .check = check_schema),
	O("source", "repl_user", PT_STR, source.repl_user, R),
	O("source", "repl_password_file", PT_SECRET,
	    source.repl_password_file, R),
	DUR("source", "heartbeat_interval", source.heartbeat_interval, 0,
	    "100ms", MS(10), SEC(60)),
	DUR("source", "binlog_retention_min", source.binlog_retention_min, 0,
	    "24h", 0, DAY(365)),
	O("source", "app_users", PT_LIST, source.app_users, 0,
	    .check = check_account),

	O("target", "kind", PT_ENUM, target.kind, I, .def = "rds",
	    .names = kind_names),
	O("target", "host", PT_STR, target.db.host, R | I),
	O("target", "port", PT_INT, target.db.port, I, .def = "3306",
	    .lo = 1, .hi = 65535),
	O("target", "user", PT_STR, target.db.user, R),
	O("target", "password_file", PT_SECRET, target.db.password_file, R),
	O("target", "ca_file", PT_PATH, target.db.ca_file, 0),
	DUR("target", "connect_timeout", target.db.connect_timeout, 0, "5s",
	    MS(1), SEC(3600)),
	O("target", "seed", PT_ENUM, target.seed, 0, .def = "dump",
	    .names = seed_names),
	O("target", "seed_file", PT_STR, target.seed_file, 0),
	O("target", "seed_pos", PT_I64, target.seed_pos, 0, .lo = 4,
	    .hi = INT64_MAX),
	O("target", "seed_gtid", PT_STR, target.seed_gtid, 0),
	DUR("target", "max_lag", target.max_lag, 0, "1s", 0, DAY(1)),
	DUR("target", "settle", target.settle, 0, "30s", 0, DAY(1)),
	O("target", "seed_threads", PT_INT, target.seed_threads, 0,
	    .def = "4", .lo = 1, .hi = 64),
	O("target", "seed_chunk_rows", PT_INT, target.seed_chunk_rows, 0,
	    .def = "0", .lo = 0, .hi = 1000000000),
	O("target", "seed_max_load", PT_INT, target.seed_max_load, T,
	    .def = "50", .lo = 1, .hi = 100000),
	DUR("target", "seed_stall_timeout", target.seed_stall_timeout, T,
	    "10m", SEC(1), DAY(7)),

	DUR("replicating", "max_catchup", replicating.max_catchup, T, "30m",
	    SEC(1), DAY(30)),

	O("traffic", "region", PT_STR, traffic.region, 0,
	    .check = check_region),
	O("traffic", "listener_arn", PT_STR, traffic.listener_arn, R | I,
	    .check = check_listener_arn),
	O("traffic", "droplet_target_group_arn", PT_STR,
	    traffic.droplet_tg_arn, R | I, .check = check_tg_arn),
	O("traffic", "ecs_target_group_arn", PT_STR, traffic.ecs_tg_arn,
	    R | I, .check = check_tg_arn),
	O("traffic", "ecs_cluster", PT_STR, traffic.ecs_cluster, R | I),
	O("traffic", "ecs_service", PT_STR, traffic.ecs_service, R | I),
	O("traffic", "ecs_desired", PT_INT, traffic.ecs_desired, 0,
	    .def = "1", .lo = 1, .hi = 10000),
	O("traffic", "droplet_tag", PT_STR, traffic.droplet_tag, I),
	O("traffic", "steps", PT_STEPS, traffic.steps, 0,
	    .def = "1,5,10,25,50,75", .off2 = OFF(traffic.nsteps)),
	DUR("traffic", "bake", traffic.bake, T, "5m", SEC(1), DAY(7)),
	DUR("traffic", "poll_interval", traffic.poll_interval, T, "1s",
	    MS(100), SEC(3600)),
	DUR("traffic", "soak", traffic.soak, T, "30m", 0, DAY(30)),
	O("traffic", "on_breach", PT_ENUM, traffic.on_breach, T,
	    .def = "pause", .names = breach_names),
	DUR("traffic", "cooldown", traffic.cooldown, T, "10m", SEC(1),
	    DAY(1)),
	O("traffic", "path_patterns", PT_LIST, traffic.path_patterns, 0),
	O("traffic", "header_name", PT_STR, traffic.header_name, 0,
	    .check = check_header),
	O("traffic", "header_value", PT_STR, traffic.header_value, 0),
	DUR("traffic", "stickiness", traffic.stickiness, 0, NULL, SEC(1),
	    DAY(7)),
	O("traffic", "load_hook", PT_STR, traffic.load_hook, 0),

	O("gates", "min_healthy", PT_INT, gates.min_healthy, T, .def = "1",
	    .lo = 1, .hi = 10000),
	O("gates", "max_5xx_rate", PT_PERCENT, gates.max_5xx_rate, T,
	    .def = "1%"),
	O("gates", "max_5xx_ratio", PT_DOUBLE, gates.max_5xx_ratio, T,
	    .def = "2.0", .dlo = 1, .dhi = 1000),
	DUR("gates", "max_p99", gates.max_p99, T, "1s", MS(1), SEC(600)),
	O("gates", "max_p99_ratio", PT_DOUBLE, gates.max_p99_ratio, T,
	    .def = "1.5", .dlo = 1, .dhi = 1000),
	DUR("gates", "max_lag", gates.max_lag, T, "5s", 0, DAY(1)),
	O("gates", "min_requests", PT_INT, gates.min_requests, T,
	    .def = "50", .lo = 1, .hi = 1000000000),
	DUR("gates", "max_hold", gates.max_hold, T, "30m", SEC(1), DAY(7)),
	O("gates", "on_hold", PT_ENUM, gates.on_hold, T, .def = "pause",
	    .names = hold_names),
	O("gates", "alarms", PT_LIST, gates.alarms, T),

	O("cutover", "writer", PT_ENUM, cutover.writer, 0, .def = "hook",
	    .names = writer_names),
	O("cutover", "writer_hook", PT_STR, cutover.writer_hook, 0),
	O("cutover", "dns_zone_id", PT_STR, cutover.dns_zone_id, 0),
	O("cutover", "dns_record", PT_STR, cutover.dns_record, 0),
	O("cutover", "ecs_env_name", PT_STR, cutover.ecs_env_name, 0),
	DUR("cutover", "freeze_timeout", cutover.freeze_timeout, T, "3s",
	    MS(500), SEC(60)),
	DUR("cutover", "max_lag", cutover.max_lag, T, "200ms", 0, SEC(60)),
	DUR("cutover", "kill_grace", cutover.kill_grace, 0, "500ms", 0,
	    SEC(60)),
	O("cutover", "reverse_replication", PT_BOOL,
	    cutover.reverse_replication, 0, .def = "yes"),
	O("cutover", "checksum", PT_BOOL, cutover.checksum, 0, .def = "yes"),
	O("cutover", "approval", PT_ENUM, cutover.approval, 0,
	    .def = "auto", .names = approval_names),
	O("cutover", "window", PT_STR, cutover.window, T,
	    .check = check_window),
	O("cutover", "verify_before", PT_BOOL, cutover.verify_before, T,
	    .def = "yes"),
	DUR("cutover", "max_postpone", cutover.max_postpone, T, "10m", SEC(1),
	    DAY(1)),

	O("decommission", "approval", PT_ENUM, decommission.approval, 0,
	    .def = "required", .names = approval_names),
	O("decommission", "do_token_file", PT_SECRET,
	    decommission.do_token_file, 0),
	O("decommission", "snapshot", PT_BOOL, decommission.snapshot, 0,
	    .def = "yes"),
	DUR("decommission", "shutdown_timeout", decommission.shutdown_timeout,
	    0, "2m", SEC(1), SEC(3600)),
	DUR("decommission", "grace", decommission.grace, 0, "24h", 0,
	    DAY(365)),
	O("decommission", "delete_droplet_target_group", PT_BOOL,
	    decommission.delete_droplet_tg, 0, .def = "yes"),
	O("decommission", "load_balancers", PT_LIST,
	    decommission.load_balancers, 0),
	O("decommission", "firewalls", PT_LIST, decommission.firewalls, 0),
	O("decommission", "reserved_ips", PT_LIST, decommission.reserved_ips,
	    0, .check = check_ip),

	O("hooks", "before_", PT_HOOK, hooks.before, 0),
	O("hooks", "after_", PT_HOOK, hooks.after, 0),
	O("hooks", "on_breach", PT_STR, hooks.on_breach, 0),
	O("hooks", "on_rollback", PT_STR, hooks.on_rollback, 0),
	O("hooks", "on_done", PT_STR, hooks.on_done, 0),
	DUR("hooks", "timeout", hooks.timeout, 0, "60s", MS(1), SEC(3600)),

	O("files", "sync", PT_STR, files.sync, 0),
	O("files", "verify", PT_STR, files.verify, 0),
	DUR("files", "interval", files.interval, T, "5m", SEC(1), DAY(1)),
	DUR("files", "timeout", files.timeout, T, "1h", SEC(1), DAY(1)),

	O("notify", "webhook_url", PT_STR, notify.webhook_url, 0,
	    .check = check_url),
	DUR("notify", "timeout", notify.timeout, 0, "5s", MS(1), SEC(600)),
};

#define NPOPTS	(sizeof(popts) / sizeof(popts[0]))

#undef R
#undef T
#undef I

/* Sections in the order a plan usually has them; "" is the top. */
static const char *const sections[] = {
	"", "source", "target", "replicating", "traffic", "gates", "cutover",
	"decommission", "hooks", "files", "notify",
};

#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))

/* State of one parse. */
struct pparse {
	struct plan		*p;
	const char		*file;
	struct conf_errors	*errs;
	int			 nerr;
	int			 cursec;		/* -1: unknown */
	int			 secline[NSECTIONS];	/* header, 0: absent */
	int			 seen[NPOPTS][PH__COUNT]; /* line, 0: unset */
};

/* Where checks report: a parse (file:line) or plan_set() (why). */
struct pcheck {
	struct pparse		*pp;
	char			*why;
	size_t			 len;
	int			 n;
};

static int
sec_index(const char *name)
{
	size_t	i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(sections[i], name) == 0)
			return (int)i;
	return -1;
}

/* Find section/key; *idx is the phase for a hook, else 0. */
static const struct popt *
popt_find(const char *section, const char *key, int *idx)
{
	const struct popt	*o;
	size_t			 i, len;
	enum phase		 ph;

	*idx = 0;
	for (i = 0; i < NPOPTS; i++) {
		o = &popts[i];
		if (strcmp(o->section, section) != 0)
			continue;
		if (o->type != PT_HOOK) {
			if (strcmp(o->key, key) == 0)
				return o;
			continue;
		}
		len = strlen(o->key);
		if (strncmp(o->key, key, len) == 0 &&
		    (ph = phase_from_name(key + len)) != PH_NONE) {
			*idx = (int)ph;
			return o;
		}
	}
	return NULL;
}

static void *
popt_field(const struct plan *p, const struct popt *o, int idx)
{
	char	*f = (char *)p + o->off;

	if (o->type == PT_HOOK)
		f += (size_t)idx * sizeof(char *);
	return f;
}

/* "source.host", "hooks.before_cutover": into buf. */
static const char *
popt_dotted(const struct popt *o, int idx, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s%s", o->section, o->key,
	    o->type == PT_HOOK ? phase_name((enum phase)idx) : "");
	return buf;
}

/* The key as written in a file. */
static const char *
popt_key(const struct popt *o, int idx, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", o->key,
	    o->type == PT_HOOK ? phase_name((enum phase)idx) : "");
	return buf;
}

static void
enum_expected(const char *const *names, char *buf, size_t len)
{
	size_t	n, i, off = 0;

	for (n = 0; names[n] != NULL; n++)
		;
	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
}

static int
blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* Blank leaves an option that has no default unset. */
static void
popt_unset(struct plan *p, const struct popt *o, void *f)
{
	switch (o->type) {
	case PT_INT:
	case PT_BOOL:
	case PT_ENUM:
		*(int *)f = 0;
		break;
	case PT_I64:
	case PT_DURATION:
		*(int64_t *)f = 0;
		break;
	case PT_PERCENT:
	case PT_DOUBLE:
		*(double *)f = 0;
		break;
	case PT_LIST:
		*(char ***)f = NULL;
		if (o->off2 != 0)
			*(int *)((char *)p + o->off2) = 0;
		break;
	case PT_STEPS:
		*(int *)((char *)p + o->off2) = 0;
		break;
	default:
		*(char **)f = NULL;
		break;
	}
}

/*
 * The setters, one per type: each parses value into f (o's field of p), or
 * leaves f as it was and says in why what was expected.
 */
static int
popt_set_str(struct plan *p, const struct popt *o, void *f, const char *value,
    char *why, size_t len)
{
	char	*s;

	if (blank(value)) {
		snprintf(why, len, "expected a value");
		return -1;
	}
	if (o->check != NULL && o->check(value, why, len) == -1)
		return -1;
	if ((s = strdup(value)) == NULL) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	*(char **)f = s;
	return 0;
}

static int
popt_set_path(struct plan *p, const struct popt *o, void *f,
    const char *value, char *why, size_t len)
{
	char	*s;

	if (blank(value)) {
		snprintf(why, len, "expected a file path");
		return -1;
	}
	if ((s = conf_path_resolve(p->file, value)) == NULL) {
		snprintf(why, len, "cannot resolve '%s': %s", value,
		    strerror(errno));
		return -1;
	}
	if (o->type == PT_SECRET && conf_secret_file_ok(s, why, len) == -1) {
		free(s);
		return -1;
	}
	*(char **)f = s;
	return 0;
}

static int
popt_set_int(struct plan *p, const struct popt *o, void *f, const char *value,
    char *why, size_t len)
{
	long long	ll;

	if (conf_int(value, o->lo, o->hi, &ll, why, len) == -1)
		return -1;
	if (o->type == PT_INT)
		*(int *)f = (int)ll;
	else
		*(int64_t *)f = ll;
	return 0;
}

static int
popt_set_duration(struct plan *p, const struct popt *o, void *f,
    const char *value, char *why, size_t len)
{
	char	lo[32], hi[32];
	int64_t	ms;

	if (conf_duration(value, &ms, why, len) == -1)
		return -1;
	if (ms < o->lo || ms > o->hi) {
		conf_duration_str(o->lo, lo, sizeof(lo));
		conf_duration_str(o->hi, hi, sizeof(hi));
		if (o->lo == 0)
			snprintf(why, len, "must be at most %s, got '%s'", hi,
			    value);
		else
			snprintf(why, len, "must be from %s to %s, got '%s'",
			    lo, hi, value);
		return -1;
	}
	*(int64_t *)f = ms;
	return 0;
}

static int
popt_set_percent(struct plan *p, const struct popt *o, void *f,
    const char *value, char *why, size_t len)
{
	double	d;

	if (conf_percent(value, &d, why, len) == -1)
		return -1;
	*(double *)f = d;
	return 0;
}

static int
popt_set_double(struct plan *p, const struct popt *o, void *f,
    const char *value, char *why, size_t len)
{
	double	d;

	if (conf_double(value, o->dlo, o->dhi, &d, why, len) == -1)
		return -1;
	*(double *)f = d;
	return 0;
}

static int
popt_set_bool(struct plan *p, const struct popt *o, void *f,
    const char *value, char *why, size_t len)
{
	int	b;

	if (conf_bool(value, &b, why, len) == -1)
		return -1;
	*(int *)f = b;
	return 0;
}

static int
popt_set_enum(struct plan *p, const struct popt *o, void *f,
    const char *value, char *why, size_t len)
{
	char	buf[256];
	int	i;

	for (i = 0; o->names[i] != NULL; i++)
		if (strcmp(o->names[i], value) == 0) {
			*(int *)f = i;
			return 0;
		}
	enum_expected(o->names, buf, sizeof(buf));
	snprintf(why, len, "expected %s, got '%s'", buf, value);
	return -1;
}

static int
popt_set_list(struct plan *p, const struct popt *o, void *f,
    const char *value, char *why, size_t len)
{
	char	**items;
	int	  i, n;

	if (conf_list(value, &items, &n, why, len) == -1)
		return -1;
	if (n == 0) {
		conf_list_free(items);
		snprintf(why, len, "expected a comma-separated list of names");
		return -1;
	}
	for (i = 0; o->check != NULL && i < n; i++)
		if (o->check(items[i], why, len) == -1) {
			conf_list_free(items);
			return -1;
		}
	*(char ***)f = items;
	if (o->off2 != 0)
		*(int *)((char *)p + o->off2) = n;
	return 0;
}

/* One step of a steps list into *step: a percentage, or "rule" first. */
static int
popt_step(char *const *items, int i, int *steps, char *why, size_t len)
{
	char		buf[256];
	long long	ll;

	if (i == 0 && strcmp(items[i], "rule") == 0) {
		steps[i] = PLAN_STEP_RULE;
		return 0;
	}
	if (conf_int(items[i], 1, 99, &ll, buf, sizeof(buf)) == -1) {
		snprintf(why, len, "expected percentages from 1 to 99 (the "
		    "first may be 'rule'), got '%s'", items[i]);
		return -1;
	}
	steps[i] = (int)ll;
	if (i > 0 && steps[i] <= steps[i - 1]) {
		snprintf(why, len, "must rise step by step, but %d follows %d",
		    steps[i], steps[i - 1]);
		return -1;
	}
	return 0;
}

static int
popt_set_steps(struct plan *p, const struct popt *o, void *f,
    const char *value, char *why, size_t len)
{
	char	**items;
	int	  i, n, steps[PLAN_STEPS_MAX];

	if (conf_list(value, &items, &n, why, len) == -1)
		return -1;
	if (n == 0) {
		conf_list_free(items);
		snprintf(why, len, "expected a comma-separated list of "
		    "percentages like 1,5,10,25,50,75");
		return -1;
	}
	if (n > PLAN_STEPS_MAX) {
		conf_list_free(items);
		snprintf(why, len, "at most %d steps, got %d", PLAN_STEPS_MAX,
		    n);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (popt_step(items, i, steps, why, len) == -1) {
			conf_list_free(items);
			return -1;
		}
	conf_list_free(items);
	memcpy(f, steps, (size_t)n * sizeof(int));
	*(int *)((char *)p + o->off2) = n;
	return 0;
}

static int (*const popt_setters[])(struct plan *, const struct popt *,
    void *, const char *, char *, size_t) = {
	[PT_STR] = popt_set_str,
	[PT_PATH] = popt_set_path,
	[PT_SECRET] = popt_set_path,
	[PT_INT] = popt_set_int,
	[PT_I64] = popt_set_int,
	[PT_DURATION] = popt_set_duration,
	[PT_PERCENT] = popt_set_percent,
	[PT_DOUBLE] = popt_set_double,
	[PT_BOOL] = popt_set_bool,
	[PT_ENUM] = popt_set_enum,
	[PT_LIST] = popt_set_list,
	[PT_STEPS] = popt_set_steps,
	[PT_HOOK] = popt_set_str,
};

#define NSETTERS	(sizeof(popt_setters) / sizeof(popt_setters[0]))

/*
 * Store value in o's field of p. The old value is not freed: the parser
 * never sets a field twice and plan_set() works on a copy. On error the
 * field is left as it was and why says what was expected.
 */
static int
popt_set(struct plan *p, const struct popt *o, int idx, const char *value,
    char *why, size_t len)
{
	void	*f = popt_field(p, o, idx);

	if (blank(value) && o->def == NULL && !(o->flags & F_REQUIRED)) {
		popt_unset(p, o, f);
		return 0;
	}
	if ((size_t)o->type >= NSETTERS || popt_setters[o->type] == NULL) {
		snprintf(why, len, "unknown option type");
		return -1;
	}
	return popt_setters[o->type](p, o, f, value, why, len);
}

/* Free o's field in p and leave it unset. */
static void
popt_clear(struct plan *p, const struct popt *o, int idx)
{
	void	*f = popt_field(p, o, idx);

	switch (o->type) {
	case PT_STR:
	case PT_PATH:
	case PT_SECRET:
	case PT_HOOK:
		free(*(char **)f);
		*(char **)f = NULL;
		break;
	case PT_LIST:
		conf_list_free(*(char ***)f);
		*(char ***)f = NULL;
		if (o->off2 != 0)
			*(int *)((char *)p + o->off2) = 0;
		break;
	default:
		break;
	}
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
list_has(char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

/* Same value in a and b (lists as sets). */
static int
popt_equal(const struct plan *a, const struct plan *b, const struct popt *o)
{
	const void	*fa = popt_field(a, o, 0), *fb = popt_field(b, o, 0);
	char		**va, **vb;
	int		  na = 0, nb = 0;

	switch (o->type) {
	case PT_STR:
	case PT_PATH:
	case PT_SECRET:
		return str_eq(*(char *const *)fa, *(char *const *)fb);
	case PT_INT:
	case PT_BOOL:
	case PT_ENUM:
		return *(const int *)fa == *(const int *)fb;
	case PT_I64:
	case PT_DURATION:
		return *(const int64_t *)fa == *(const int64_t *)fb;
	case PT_LIST:
		va = *(char **const *)fa;
		vb = *(char **const *)fb;
		for (; va != NULL && va[na] != NULL; na++)
			if (!list_has(vb, va[na]))
				return 0;
		for (; vb != NULL && vb[nb] != NULL; nb++)
			if (!list_has(*(char **const *)fa, vb[nb]))
				return 0;
		return na == nb;
	default:
		return 1;	/* no identity option has another type */
	}
}

/*
 * Value shapes.
 */
static int
check_name(const char *s, char *why, size_t len)
{
	if (plan_name_ok(s))
		return 0;
	snprintf(why, len, "expected lower-case letters, digits, '_' and '-' "
	    "(at most %d, starting with a letter or digit), got '%s'",
	    PLAN_NAME_MAX, s);
	return -1;
}

/* arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, resource prefix given. */
static int
arn_ok(const char *s, const char *service, const char *resource)
{
	const char	*f[6], *p = s;
	size_t		 i, n;

	for (i = 0; i < 6; i++) {
		f[i] = p;
		if (i == 5)
			break;
		if ((p = strchr(p, ':')) == NULL)
			return 0;
		p++;
	}
	if (strncmp(f[0], "arn:", 4) != 0 || strncmp(f[1], "aws", 3) != 0)
		return 0;
	n = strlen(service);
	if (strncmp(f[2], service, n) != 0 || f[2][n] != ':')
		return 0;
	if (f[3][0] == ':')
		return 0;			/* region */
	for (i = 0; i < 12; i++)
		if (!isdigit((unsigned char)f[4][i]))
			return 0;		/* account */
	if (f[4][12] != ':')
		return 0;
	if (strncmp(f[5], resource, strlen(resource)) != 0 ||
	    f[5][strlen(resource)] == '\0')
		return 0;
	return strpbrk(s, " \t") == NULL;
}

static int
check_listener_arn(const char *s, char *why, size_t len)
{
	if (arn_ok(s, "elasticloadbalancing", "listener/"))
		return 0;
	snprintf(why, len, "expected a load balancer listener ARN like "
	    "arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/"
	    "ID/ID, got '%s'", s);
	return -1;
}

static int
check_tg_arn(const char *s, char *why, size_t len)
{
	if (arn_ok(s, "elasticloadbalancing", "targetgroup/"))
		return 0;
	snprintf(why, len, "expected a target group ARN like "
	    "arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID, "
	    "got '%s'", s);
	return -1;
}

static int
check_schema(const char *s, char *why, size_t len)
{
	static const char *const system[] = {
		"mysql", "information_schema", "performance_schema", "sys",
	};
	size_t	i;

	for (i = 0; i < sizeof(system) / sizeof(system[0]); i++)
		if (strcasecmp(s, system[i]) == 0) {
			snprintf(why, len, "'%s' is a system schema; list only "
			    "the application's schemas", s);
			return -1;
		}
	if (strlen(s) > 64 || strchr(s, '`') != NULL) {
		snprintf(why, len, "'%s' is not a schema name (at most 64 "
		    "characters, no '`')", s);
		return -1;
	}
	return 0;
}

void
plan_account(const char *s, char *user, size_t ulen, char *host,
    size_t hlen)
{
	const char	*at = strrchr(s, '@');
	size_t		 n;

	n = at != NULL ? (size_t)(at - s) : strlen(s);
	if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'')
		snprintf(user, ulen, "%.*s", (int)(n - 2), s + 1);
	else
		snprintf(user, ulen, "%.*s", (int)n, s);
	host[0] = '\0';
	if (at == NULL)
		return;
	n = strlen(at + 1);
	if (n >= 2 && at[1] == '\'' && at[n] == '\'')
		snprintf(host, hlen, "%.*s", (int)(n - 2), at + 2);
	else
		snprintf(host, hlen, "%s", at + 1);
}

/* 'user'@'host', user@host or user: an account as MySQL names it. */
static int
check_account(const char *s, char *why, size_t len)
{
	char	user[128], host[256];

	plan_account(s, user, sizeof(user), host, sizeof(host));
	if (user[0] == '\0' || strlen(user) > 80 || strlen(host) > 255 ||
	    strpbrk(user, "'`\\") != NULL || strpbrk(host, "'`\\@") != NULL ||
	    (strchr(s, '@') != NULL && host[0] == '\0')) {
		snprintf(why, len, "'%s' is not an account: write user, "
		    "user@host or 'user'@'host'", s);
		return -1;
	}
	return 0;
}

static int
check_region(const char *s, char *why, size_t len)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (!islower((unsigned char)*p) &&
		    !isdigit((unsigned char)*p) && *p != '-')
			break;
	if (*p == '\0' && strchr(s, '-') != NULL)
		return 0;
	snprintf(why, len, "expected an AWS region like us-east-1, got '%s'",
	    s);
	return -1;
}

static int
check_ip(const char *s, char *why, size_t len)
{
	unsigned char	buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
		return 0;
	snprintf(why, len, "expected IP addresses, got '%s'", s);
	return -1;
}

static int
check_window(const char *s, char *why, size_t len)
{
	struct window	w;

	return window_parse(s, &w, why, len);
}

static int
check_url(const char *s, char *why, size_t len)
{
	if ((strncmp(s, "https://", 8) == 0 && s[8] != '\0') ||
	    (strncmp(s, "http://", 7) == 0 && s[7] != '\0'))
		return 0;
	/* The URL may hold a token: do not echo it. */
	snprintf(why, len, "expected an http:// or https:// URL");
	return -1;
}

static int
check_header(const char *s, char *why, size_t len)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			break;
	if (*p == '\0')
		return 0;
	snprintf(why, len, "expected an HTTP header name like X-Canary, got "
	    "'%s'", s);
	return -1;
}

/*
 * Parsing.
 */
static void
pp_error(struct pparse *pp, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
pp_error(struct pparse *pp, int line, const char *fmt, ...)
{
	va_list	ap;
	char	msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_error(pp->errs, pp->file, line, "%s", msg);
	pp->nerr++;
}

/* " or " list of the sections that have key, into buf; 0 if none. */
static int
key_elsewhere(const char *key, int sec, char *buf, size_t len)
{
	const struct popt	*o;
	size_t			 i, off = 0;
	int			 idx, n = 0;

	buf[0] = '\0';
	for (i = 1; i < NSECTIONS; i++) {
		if ((int)i == sec)
			continue;
		if ((o = popt_find(sections[i], key, &idx)) == NULL)
			continue;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off,
			    "%s[%s]", n == 0 ? "" : " or ", sections[i]);
		n++;
	}
	return n;
}

/* The known key of section closest to key, into buf; 0 if none is near. */
static int
key_closest(const char *key, const char *section, char *buf, size_t len)
{
	const struct popt	*o;
	char			 cand[64];
	size_t			 i;
	int			 ph, d, best = -1;

	for (i = 0; i < NPOPTS; i++) {
		o = &popts[i];
		if (strcmp(o->section, section) != 0)
			continue;
		for (ph = 0; ph < (o->type == PT_HOOK ? PH__COUNT : 1); ph++) {
			popt_key(o, ph, cand, sizeof(cand));
			d = conf_similar(key, cand);
			if (d != -1 && (best == -1 || d < best)) {
				best = d;
				snprintf(buf, len, "%s", cand);
			}
		}
	}
	return best != -1;
}

static void
plan_section_cb(void *arg, const char *section, int line)
{
	struct pparse	*pp = arg;
	char		 near[64];
	size_t		 i;
	int		 sec, d, best = -1;

	if ((sec = sec_index(section)) <= 0) {
		pp->cursec = -1;
		for (i = 1; i < NSECTIONS; i++) {
			d = conf_similar(section, sections[i]);
			if (d != -1 && (best == -1 || d < best)) {
				best = d;
				snprintf(near, sizeof(near), "%s",
				    sections[i]);
			}
		}
		if (best != -1)
			pp_error(pp, line, "unknown section [%s]; did you mean "
			    "[%s]?", section, near);
		else
			pp_error(pp, line, "unknown section [%s]", section);
		return;
	}
	pp->cursec = sec;
	if (pp->secline[sec] != 0) {
		pp_error(pp, line, "duplicate section [%s] (first at line %d)",
		    section, pp->secline[sec]);
		return;
	}
	pp->secline[sec] = line;
}

static void
plan_key_cb(void *arg, const char *section, const char *key,
    const char *value, int line)
{
	struct pparse		*pp = arg;
	const struct popt	*o;
	char			 why[1024], where[128], near[64];
	int			 idx, sec = pp->cursec, *seen;

	if (sec == -1)
		return;		/* under an unknown section: reported */
	if ((o = popt_find(section, key, &idx)) == NULL) {
		if (sec == 0) {
			if (key_elsewhere(key, sec, where, sizeof(where)))
				pp_error(pp, line, "key '%s' is outside any "
				    "section; it belongs in %s", key, where);
			else
				pp_error(pp, line, "unknown key '%s' before the "
				    "first section (only name goes there)", key);
		} else if (popt_find("", key, &idx) != NULL)
			pp_error(pp, line, "unknown key '%s' in [%s]; %s goes "
			    "before the first section", key, section, key);
		else if (key_closest(key, section, near, sizeof(near)))
			pp_error(pp, line, "unknown key '%s' in [%s]; did you "
			    "mean '%s'?", key, section, near);
		else if (key_elsewhere(key, sec, where, sizeof(where)))
			pp_error(pp, line, "unknown key '%s' in [%s]; %s "
			    "belongs in %s", key, section, key, where);
		else
			pp_error(pp, line, "unknown key '%s' in [%s]", key,
			    section);
		return;
	}
	seen = &pp->seen[o - popts][idx];
	if (*seen != 0) {
		pp_error(pp, line, "duplicate key '%s' in [%s] (first at line "
		    "%d)", key, section, *seen);
		return;
	}
	*seen = line;
	if (popt_set(pp->p, o, idx, value, why, sizeof(why)) == -1)
		pp_error(pp, line, "%s: %s", key, why);
}

/*
 * Whole-plan checks.
 */
static void
pc_error(struct pcheck *pc, const char *section, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Report at key's line, else at its section's, else at no line. */
static void
pc_error(struct pcheck *pc, const char *section, const char *key,
    const char *fmt, ...)
{
	struct pparse		*pp = pc->pp;
	const struct popt	*o;
	va_list			 ap;
	char			 msg[1024];
	int			 idx, line = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pp == NULL) {
		if (pc->n++ == 0)
			snprintf(pc->why, pc->len, "%s", msg);
		return;
	}
	if ((o = popt_find(section, key, &idx)) != NULL)
		line = pp->seen[o - popts][idx];
	if (line == 0)
		line = pp->secline[sec_index(section)];
	pp_error(pp, line, "%s", msg);
	pc->n++;
}

/* "REGION:ACCOUNT" of an ARN (checked by arn_ok), into buf. */
static const char *
arn_where(const char *arn, char *buf, size_t len)
{
	const char	*p = arn, *e;
	int		 i;

	for (i = 0; i < 3; i++)
		p = strchr(p, ':') + 1;
	e = strchr(strchr(p, ':') + 1, ':');
	snprintf(buf, len, "%.*s", (int)(e - p), p);
	return buf;
}

/*
 * The checks across keys, in the order they report (plan_set() shows the
 * first): each adds to pc what it finds wrong in p.
 */
static void
pc_writer(const struct plan *p, struct pcheck *pc)
{
	switch (p->cutover.writer) {
	case WRITER_HOOK:
		if (p->cutover.writer_hook == NULL)
			pc_error(pc, "cutover", "writer", "writer = hook needs "
			    "writer_hook, the command that switches the "
			    "application's writer");
		break;
	case WRITER_DNS:
		if (p->cutover.dns_zone_id == NULL ||
		    p->cutover.dns_record == NULL)
			pc_error(pc, "cutover", "writer", "writer = dns needs "
			    "%s", p->cutover.dns_zone_id != NULL ?
			    "dns_record" : p->cutover.dns_record != NULL ?
			    "dns_zone_id" : "dns_zone_id and dns_record");
		break;
	case WRITER_ECS_ENV:
		if (p->cutover.ecs_env_name == NULL)
			pc_error(pc, "cutover", "writer", "writer = ecs-env "
			    "needs ecs_env_name, the task definition's "
			    "variable that holds the database host");
		break;
	}
}

static void
pc_seed(const struct plan *p, struct pcheck *pc)
{
	if (p->target.seed == SEED_EXTERNAL) {
		if (p->target.seed_gtid != NULL &&
		    (p->target.seed_file != NULL || p->target.seed_pos != 0))
			pc_error(pc, "target", "seed", "seed = external takes "
			    "seed_file and seed_pos, or seed_gtid, not both");
		else if (p->target.seed_gtid == NULL &&
		    (p->target.seed_file == NULL || p->target.seed_pos == 0))
			pc_error(pc, "target", "seed", "seed = external needs "
			    "the source coordinates of the import: seed_file "
			    "and seed_pos, or seed_gtid");
	} else if (p->target.seed_file != NULL || p->target.seed_pos != 0 ||
	    p->target.seed_gtid != NULL)
		pc_error(pc, "target", "seed", "seed_file, seed_pos and "
		    "seed_gtid are only used with seed = external");
}

static void
pc_servers(const struct plan *p, struct pcheck *pc)
{
	if (p->source.db.host != NULL && p->target.db.host != NULL &&
	    strcasecmp(p->source.db.host, p->target.db.host) == 0 &&
	    p->source.db.port == p->target.db.port)
		pc_error(pc, "target", "host", "target is the same server as "
		    "source (%s:%d)", p->target.db.host, p->target.db.port);
}

/* The target groups differ and live where the listener and region do. */
static void
pc_arns(const struct plan *p, struct pcheck *pc)
{
	char	a[64], b[64], c[64];

	if (p->traffic.droplet_tg_arn != NULL && p->traffic.ecs_tg_arn != NULL) {
		if (strcmp(p->traffic.droplet_tg_arn,
		    p->traffic.ecs_tg_arn) == 0)
			pc_error(pc, "traffic", "ecs_target_group_arn",
			    "ecs_target_group_arn is the same as "
			    "droplet_target_group_arn");
	}
	if (p->traffic.listener_arn == NULL)
		return;
	arn_where(p->traffic.listener_arn, a, sizeof(a));
	if (p->traffic.droplet_tg_arn != NULL && strcmp(a,
	    arn_where(p->traffic.droplet_tg_arn, b, sizeof(b))) != 0)
		pc_error(pc, "traffic", "droplet_target_group_arn",
		    "droplet_target_group_arn is in %s but listener_arn is in "
		    "%s", b, a);
	if (p->traffic.ecs_tg_arn != NULL && strcmp(a,
	    arn_where(p->traffic.ecs_tg_arn, c, sizeof(c))) != 0)
		pc_error(pc, "traffic", "ecs_target_group_arn",
		    "ecs_target_group_arn is in %s but listener_arn is in %s",
		    c, a);
	if (p->traffic.region != NULL &&
	    (strncmp(a, p->traffic.region, strlen(p->traffic.region)) != 0 ||
	    a[strlen(p->traffic.region)] != ':'))
		pc_error(pc, "traffic", "region", "region is %s but "
		    "listener_arn is in %.*s", p->traffic.region,
		    (int)strcspn(a, ":"), a);
}

static void
pc_rule(const struct plan *p, struct pcheck *pc)
{
	if ((p->traffic.header_name == NULL) !=
	    (p->traffic.header_value == NULL))
		pc_error(pc, "traffic", p->traffic.header_name == NULL ?
		    "header_value" : "header_name", "header_name and "
		    "header_value go together");

	/*
	 * Method B: requests matching the rule move first, as a step of
	 * their own before the weighted ones (plan_parse() puts it in front
	 * when steps does not name it).
	 */
	if (p->traffic.path_patterns != NULL ||
	    p->traffic.header_name != NULL) {
		if (p->traffic.steps[0] != PLAN_STEP_RULE &&
		    p->traffic.nsteps == PLAN_STEPS_MAX)
			pc_error(pc, "traffic", "steps", "at most %d steps "
			    "with the rule step", PLAN_STEPS_MAX - 1);
	} else if (p->traffic.steps[0] == PLAN_STEP_RULE)
		pc_error(pc, "traffic", "steps", "the rule step needs "
		    "path_patterns or header_name and header_value");
	if (p->traffic.steps[0] == PLAN_STEP_RULE && p->traffic.nsteps == 1)
		pc_error(pc, "traffic", "steps", "the rule step needs weighted "
		    "steps after it");
}

static void
pc_timing(const struct plan *p, struct pcheck *pc)
{
	char	a[64], b[64];

	if (p->traffic.poll_interval > p->traffic.bake) {
		conf_duration_str(p->traffic.poll_interval, a, sizeof(a));
		conf_duration_str(p->traffic.bake, b, sizeof(b));
		pc_error(pc, "traffic", "poll_interval", "poll_interval (%s) "
		    "is longer than bake (%s): a step would pass unwatched",
		    a, b);
	}
	if (p->cutover.max_lag >= p->cutover.freeze_timeout) {
		conf_duration_str(p->cutover.max_lag, a, sizeof(a));
		conf_duration_str(p->cutover.freeze_timeout, b, sizeof(b));
		pc_error(pc, "cutover", "max_lag", "max_lag (%s) must be "
		    "shorter than freeze_timeout (%s), or the drain cannot "
		    "finish before the freeze times out", a, b);
	}
}

/* ELBv2 takes the stickiness duration in seconds; verify needs a sync. */
static void
pc_sessions_files(const struct plan *p, struct pcheck *pc)
{
	if (p->traffic.stickiness % 1000 != 0)
		pc_error(pc, "traffic", "stickiness", "stickiness must be whole "
		    "seconds (ELBv2 counts it in seconds), got %" PRId64 "ms",
		    p->traffic.stickiness);
	if (p->files.verify != NULL && p->files.sync == NULL)
		pc_error(pc, "files", "verify", "verify checks what sync "
		    "copied: set sync too");
}

static void (*const plan_checks[])(const struct plan *, struct pcheck *) = {
	pc_writer,
	pc_seed,
	pc_servers,
	pc_arns,
	pc_rule,
	pc_timing,
	pc_sessions_files,
};

static int
plan_check(const struct plan *p, struct pcheck *pc)
{
	size_t	i;
	int	n0 = pc->n;

	for (i = 0; i < sizeof(plan_checks) / sizeof(plan_checks[0]); i++)
		plan_checks[i](p, pc);
	return pc->n > n0 ? -1 : 0;
}

static int
plan_defaults(struct plan *p, struct conf_errors *errs)
{
	const struct popt	*o;
	char			 why[256];
	size_t			 i;

	for (i = 0; i < NPOPTS; i++) {
		o = &popts[i];
		if (o->def == NULL)
			continue;
		if (popt_set(p, o, 0, o->def, why, sizeof(why)) == -1) {
			conf_error(errs, NULL, 0, "internal error: default of "
			    "%s.%s: %s", o->section, o->key, why);
			return -1;
		}
	}
	return 0;
}

/* The file's base name without ".ini": the default plan name. */
static char *
name_from_file(const char *file)
{
	const char	*base;
	size_t		 len;

	base = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".ini") == 0)
		len -= 4;
	return strndup(base, len);
}

struct plan *
plan_parse(const char *text, const char *file, struct conf_errors *errs)
{
	struct pparse		*pp = NULL;
	struct plan		*p = NULL;
	struct pcheck		 pc;
	const struct popt	*o;
	size_t			 i;
	int			 sec, line;

	if (file == NULL)
		file = "(plan)";
	if ((pp = calloc(1, sizeof(*pp))) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL ||
	    (p->file = strdup(file)) == NULL) {
		conf_error(errs, file, 0, "out of memory");
		goto fail;
	}
	pp->p = p;
	pp->file = file;
	pp->errs = errs;
	if (plan_defaults(p, errs) == -1)
		goto fail;

	if (conf_parse_sections(text, file, plan_section_cb, plan_key_cb, pp,
	    errs) == -1)
		pp->nerr++;

	for (i = 0; i < NPOPTS; i++) {
		o = &popts[i];
		if (!(o->flags & F_REQUIRED) || pp->seen[i][0] != 0)
			continue;
		sec = sec_index(o->section);
		line = pp->secline[sec];
		pp_error(pp, line, "[%s] %s is required", o->section, o->key);
	}
	if (p->name == NULL) {
		if ((p->name = name_from_file(file)) == NULL) {
			pp_error(pp, 0, "out of memory");
			goto fail;
		}
		if (!plan_name_ok(p->name))
			pp_error(pp, 0, "plan name '%s' (from the file name) "
			    "is not valid: rename the file or set name = "
			    "before the first section", p->name);
	}
	/* Checks across keys only make sense once every key is good. */
	if (pp->nerr == 0) {
		memset(&pc, 0, sizeof(pc));
		pc.pp = pp;
		plan_check(p, &pc);
	}
	if (pp->nerr > 0)
		goto fail;
	if ((p->traffic.path_patterns != NULL ||
	    p->traffic.header_name != NULL) &&
	    p->traffic.steps[0] != PLAN_STEP_RULE) {
		memmove(&p->traffic.steps[1], &p->traffic.steps[0],
		    (size_t)p->traffic.nsteps * sizeof(int));
		p->traffic.steps[0] = PLAN_STEP_RULE;
		p->traffic.nsteps++;
	}
	free(pp);
	return p;
fail:
	free(pp);
	plan_free(p);
	return NULL;
}

struct plan *
plan_load(const char *path, struct conf_errors *errs)
{
	struct plan	*p;
	char		*text;

	if ((text = conf_read_file(path, PLAN_FILE_MAX)) == NULL) {
		conf_error(errs, path, 0, "cannot read: %s",
		    errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		return NULL;
	}
	p = plan_parse(text, path, errs);
	free(text);
	return p;
}

void
plan_free(struct plan *p)
{
	const struct popt	*o;
	size_t			 i;
	int			 ph;

	if (p == NULL)
		return;
	for (i = 0; i < NPOPTS; i++) {
		o = &popts[i];
		for (ph = 0; ph < (o->type == PT_HOOK ? PH__COUNT : 1); ph++)
			popt_clear(p, o, ph);
	}
	free(p->file);
	free(p);
}

int
plan_set(struct plan *p, const char *key, const char *value, char *why,
    size_t len)
{
	const struct popt	*o;
	const char *const	*t;
	struct plan		 tmp;
	struct pcheck		 pc;
	char			 section[32], msg[1024], best[96], cand[96];
	const char		*dot;
	size_t			 i, off;
	int			 idx, ph, d, bestd = -1;

	if ((dot = strchr(key, '.')) == NULL ||
	    (size_t)(dot - key) >= sizeof(section)) {
		snprintf(why, len, "expected section.key, like gates.max_p99, "
		    "got '%s'", key);
		return -1;
	}
	snprintf(section, sizeof(section), "%.*s", (int)(dot - key), key);
	if ((o = popt_find(section, dot + 1, &idx)) == NULL) {
		for (i = 0; i < NPOPTS; i++)
			for (ph = 0; ph < (popts[i].type == PT_HOOK ?
			    PH__COUNT : 1); ph++) {
				popt_dotted(&popts[i], ph, cand, sizeof(cand));
				d = conf_similar(key, cand);
				if (d != -1 && (bestd == -1 || d < bestd)) {
					bestd = d;
					snprintf(best, sizeof(best), "%s",
					    cand);
				}
			}
		if (bestd != -1)
			snprintf(why, len, "unknown key '%s'; did you mean "
			    "'%s'?", key, best);
		else
			snprintf(why, len, "unknown key '%s'", key);
		return -1;
	}
	if (!(o->flags & F_TUNABLE)) {
		off = (size_t)snprintf(msg, sizeof(msg), "%s cannot be changed "
		    "at run time; the tunable keys are", key);
		for (t = plan_tunables(); *t != NULL && off < sizeof(msg); t++)
			off += (size_t)snprintf(msg + off, sizeof(msg) - off,
			    "%s %s", t == plan_tunables() ? "" : ",", *t);
		snprintf(why, len, "%s", msg);
		return -1;
	}

	/* Work on a copy, so that a refusal leaves p as it was. */
	tmp = *p;
	if (popt_set(&tmp, o, idx, value, msg, sizeof(msg)) == -1) {
		snprintf(why, len, "%s: %s", key, msg);
		return -1;
	}
	memset(&pc, 0, sizeof(pc));
	pc.why = msg;
	pc.len = sizeof(msg);
	if (plan_check(&tmp, &pc) == -1) {
		popt_clear(&tmp, o, idx);
		snprintf(why, len, "%s = %s refused: %s", key, value, msg);
		return -1;
	}
	popt_clear(p, o, idx);
	*p = tmp;
	return 0;
}

const char *const *
plan_tunables(void)
{
	static char		 names[NPOPTS][48];
	static const char	*list[NPOPTS + 1];
	size_t			 i, n = 0;

	if (list[0] != NULL)
		return list;
	for (i = 0; i < NPOPTS; i++)
		if (popts[i].flags & F_TUNABLE) {
			list[n] = popt_dotted(&popts[i], 0, names[n],
			    sizeof(names[n]));
			n++;
		}
	list[n] = NULL;
	return list;
}

const char *
plan_identity_diff(const struct plan *a, const struct plan *b)
{
	static char	 names[NPOPTS][48];
	size_t		 i;

	for (i = 0; i < NPOPTS; i++)
		if ((popts[i].flags & F_IDENTITY) &&
		    !popt_equal(a, b, &popts[i]))
			return popt_dotted(&popts[i], 0, names[i],
			    sizeof(names[i]));
	return NULL;
}

int
plan_name_ok(const char *s)
{
	size_t	i;

	if (s == NULL || !(islower((unsigned char)s[0]) ||
	    isdigit((unsigned char)s[0])))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return i <= PLAN_NAME_MAX;
}
