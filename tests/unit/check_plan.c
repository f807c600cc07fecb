/*
 * check_plan: plan parsing and validation against golden files. Every
 * TESTDATA/plans/good/NAME.ini must parse; every bad/NAME.ini must fail
 * with exactly the lines of bad/NAME.err, after the plans directory is
 * stripped from file names and paths (so errors read "bad/x.ini:12: ...").
 * Also: defaults, every field of a full plan, the example plan shipped in
 * conf/, plan_set() accepting and refusing, plan_identity_diff().
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "phase.h"
#include "plan.h"

#define MAX_FILES	256

static const char	*testdata;		/* TESTDATA or tests/data */
static char		 plansdir[4096];	/* TESTDATA/plans */
static char		*plansabs;		/* the same, absolute */
static char		*good[MAX_FILES], *bad[MAX_FILES];
static int		 ngood, nbad;

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The NAME.ini files of plansdir/sub, sorted. */
static int
list_plans(const char *sub, char **out)
{
	char		 dir[4200];
	struct dirent	*de;
	DIR		*d;
	size_t		 len;
	int		 n = 0;

	snprintf(dir, sizeof(dir), "%s/%s", plansdir, sub);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "check_plan: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	while ((de = readdir(d)) != NULL && n < MAX_FILES) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".ini") == 0)
			out[n++] = strndup(de->d_name, len - 4);
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(*out), cmp_names);
	return n;
}

static void
chmod_secret(const char *name, mode_t mode)
{
	char	path[4200];

	snprintf(path, sizeof(path), "%s/secrets/%s", plansdir, name);
	if (chmod(path, mode) == -1) {
		fprintf(stderr, "check_plan: chmod %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
}

/* Replace every "from" in s by "to"; s is malloc'd and may move. */
static char *
replace_all(char *s, const char *from, const char *to)
{
	char	*out, *p, *q, *hit;
	size_t	 n = 0, fl = strlen(from), tl = strlen(to);

	for (p = s; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	if (n == 0)
		return s;
	ck_assert_ptr_nonnull(out = malloc(strlen(s) + n * tl + 1));
	for (p = s, q = out; (hit = strstr(p, from)) != NULL; p = hit + fl) {
		memcpy(q, p, (size_t)(hit - p));
		q += hit - p;
		memcpy(q, to, tl);
		q += tl;
	}
	strcpy(q, p);
	free(s);
	return out;
}

/* Errors joined, with the plans directory stripped. */
static char *
errors_text(const struct conf_errors *errs)
{
	char	*s, prefix[4200];

	ck_assert_ptr_nonnull(s = conf_errors_join(errs));
	snprintf(prefix, sizeof(prefix), "%s/", plansabs);
	s = replace_all(s, prefix, "");
	snprintf(prefix, sizeof(prefix), "%s/", plansdir);
	return replace_all(s, prefix, "");
}

static char *
read_text(const char *path)
{
	char	*s;

	s = conf_read_file(path, 1 << 20);
	ck_assert_msg(s != NULL, "%s: %s", path, strerror(errno));
	return s;
}

/* Load plansdir/rel; the caller frees. */
static struct plan *
load(const char *rel, char **errtext)
{
	struct conf_errors	 errs;
	struct plan		*p;
	char			 path[4200];

	memset(&errs, 0, sizeof(errs));
	snprintf(path, sizeof(path), "%s/%s", plansdir, rel);
	p = plan_load(path, &errs);
	*errtext = errors_text(&errs);
	conf_errors_clear(&errs);
	return p;
}

static struct plan *
load_ok(const char *rel)
{
	struct plan	*p;
	char		*e;

	p = load(rel, &e);
	ck_assert_msg(p != NULL, "%s did not parse:\n%s", rel, e);
	ck_assert_str_eq(e, "");
	free(e);
	return p;
}

START_TEST(test_good)
{
	struct plan	*p;
	char		 rel[512];

	snprintf(rel, sizeof(rel), "good/%s.ini", good[_i]);
	p = load_ok(rel);
	ck_assert(plan_name_ok(p->name));
	plan_free(p);
}
END_TEST

START_TEST(test_bad)
{
	struct plan	*p;
	char		 rel[512], path[4200], *e, *want;
	size_t		 len;

	snprintf(rel, sizeof(rel), "bad/%s.ini", bad[_i]);
	snprintf(path, sizeof(path), "%s/bad/%s.err", plansdir, bad[_i]);
	want = read_text(path);
	len = strlen(want);
	while (len > 0 && want[len - 1] == '\n')
		want[--len] = '\0';
	p = load(rel, &e);
	ck_assert_msg(p == NULL, "%s parsed", rel);
	ck_assert_msg(strcmp(e, want) == 0, "%s:\n--- expected\n%s\n--- got\n"
	    "%s", rel, want, e);
	free(want);
	free(e);
}
END_TEST

START_TEST(test_defaults)
{
	struct plan	*p;
	char		 want[4200];
	int		 i;

	p = load_ok("good/minimal.ini");
	ck_assert_str_eq(p->name, "minimal");
	ck_assert_ptr_nonnull(strstr(p->file, "good/minimal.ini"));
	ck_assert_str_eq(p->source.db.host, "10.114.0.5");
	ck_assert_int_eq(p->source.db.port, 3306);
	ck_assert_str_eq(p->source.db.user, "migrated");
	snprintf(want, sizeof(want), "%s/secrets/source.password", plansabs);
	ck_assert_str_eq(p->source.db.password_file, want);
	ck_assert_ptr_null(p->source.db.ca_file);
	ck_assert_int_eq(p->source.db.connect_timeout, 5000);
	ck_assert_int_eq(p->source.nschemas, 1);
	ck_assert_str_eq(p->source.schemas[0], "shop");
	ck_assert_ptr_null(p->source.schemas[1]);
	ck_assert_ptr_null(p->source.app_users);
	ck_assert_str_eq(p->source.repl_user, "repl");
	ck_assert_int_eq(p->source.heartbeat_interval, 100);
	ck_assert_int_eq(p->source.binlog_retention_min, 24 * 3600 * 1000);

	ck_assert_int_eq(p->target.kind, TARGET_RDS);
	ck_assert_int_eq(p->target.db.port, 3306);
	ck_assert_int_eq(p->target.db.connect_timeout, 5000);
	ck_assert_int_eq(p->target.seed, SEED_DUMP);
	ck_assert_ptr_null(p->target.seed_file);
	ck_assert_int_eq(p->target.seed_pos, 0);
	ck_assert_ptr_null(p->target.seed_gtid);
	ck_assert_int_eq(p->target.max_lag, 1000);
	ck_assert_int_eq(p->target.settle, 30000);

	ck_assert_ptr_null(p->traffic.region);
	ck_assert_int_eq(p->traffic.ecs_desired, 1);
	ck_assert_ptr_null(p->traffic.droplet_tag);
	ck_assert_int_eq(p->traffic.nsteps, 6);
	{
		static const int steps[] = { 1, 5, 10, 25, 50, 75 };

		for (i = 0; i < 6; i++)
			ck_assert_int_eq(p->traffic.steps[i], steps[i]);
	}
	ck_assert_int_eq(p->traffic.bake, 5 * 60 * 1000);
	ck_assert_int_eq(p->traffic.poll_interval, 1000);
	ck_assert_int_eq(p->traffic.soak, 30 * 60 * 1000);
	ck_assert_int_eq(p->traffic.on_breach, BREACH_PAUSE);
	ck_assert_int_eq(p->traffic.cooldown, 10 * 60 * 1000);
	ck_assert_ptr_null(p->traffic.path_patterns);
	ck_assert_ptr_null(p->traffic.header_name);

	ck_assert_int_eq(p->gates.min_healthy, 1);
	ck_assert_double_eq_tol(p->gates.max_5xx_rate, 0.01, 1e-12);
	ck_assert_double_eq(p->gates.max_5xx_ratio, 2.0);
	ck_assert_int_eq(p->gates.max_p99, 1000);
	ck_assert_double_eq(p->gates.max_p99_ratio, 1.5);
	ck_assert_int_eq(p->gates.max_lag, 5000);
	ck_assert_int_eq(p->gates.min_requests, 50);
	ck_assert_int_eq(p->gates.max_hold, 30 * 60 * 1000);
	ck_assert_int_eq(p->gates.on_hold, HOLD_PAUSE);
	ck_assert_ptr_null(p->traffic.load_hook);
	ck_assert_ptr_null(p->gates.alarms);

	ck_assert_int_eq(p->cutover.writer, WRITER_HOOK);
	ck_assert_str_eq(p->cutover.writer_hook, "/usr/local/bin/switch-writer");
	ck_assert_int_eq(p->cutover.freeze_timeout, 3000);
	ck_assert_int_eq(p->cutover.max_lag, 200);
	ck_assert_int_eq(p->cutover.approval, APPROVAL_AUTO);
	ck_assert_ptr_null(p->cutover.window);
	ck_assert_int_eq(p->cutover.verify_before, 1);
	ck_assert_int_eq(p->cutover.kill_grace, 500);
	ck_assert_int_eq(p->cutover.reverse_replication, 1);
	ck_assert_int_eq(p->cutover.checksum, 1);

	ck_assert_int_eq(p->decommission.approval, APPROVAL_REQUIRED);
	ck_assert_ptr_null(p->decommission.do_token_file);
	ck_assert_int_eq(p->decommission.snapshot, 1);
	ck_assert_int_eq(p->decommission.shutdown_timeout, 120000);
	ck_assert_int_eq(p->decommission.grace, 24 * 3600 * 1000);
	ck_assert_int_eq(p->decommission.delete_droplet_tg, 1);
	ck_assert_ptr_null(p->decommission.reserved_ips);

	for (i = 0; i < PH__COUNT; i++) {
		ck_assert_ptr_null(p->hooks.before[i]);
		ck_assert_ptr_null(p->hooks.after[i]);
	}
	ck_assert_int_eq(p->hooks.timeout, 60000);
	ck_assert_int_eq(p->traffic.stickiness, 0);
	ck_assert_ptr_null(p->files.sync);
	ck_assert_ptr_null(p->files.verify);
	ck_assert_int_eq(p->files.interval, 5 * 60 * 1000);
	ck_assert_int_eq(p->files.timeout, 3600 * 1000);
	ck_assert_ptr_null(p->notify.webhook_url);
	ck_assert_int_eq(p->notify.timeout, 5000);
	plan_free(p);
}
END_TEST

START_TEST(test_full)
{
	struct plan	*p;
	char		 want[4200];

	p = load_ok("good/full.ini");
	ck_assert_str_eq(p->name, "full-plan");
	ck_assert_int_eq(p->source.db.port, 3307);
	snprintf(want, sizeof(want), "%s/secrets/ca.pem", plansabs);
	ck_assert_str_eq(p->source.db.ca_file, want);
	ck_assert_int_eq(p->source.db.connect_timeout, 7000);
	ck_assert_int_eq(p->source.nschemas, 2);
	ck_assert_str_eq(p->source.schemas[1], "shop_sessions");
	snprintf(want, sizeof(want), "%s/secrets/repl.password", plansabs);
	ck_assert_str_eq(p->source.repl_password_file, want);
	ck_assert_int_eq(p->source.heartbeat_interval, 250);
	ck_assert_int_eq(p->source.binlog_retention_min, 2 * 86400000);

	ck_assert_int_eq(p->target.kind, TARGET_MYSQL);
	ck_assert_int_eq(p->target.db.port, 3308);
	ck_assert_str_eq(p->target.db.ca_file,
	    "/etc/ssl/certs/rds-global-bundle.pem");
	ck_assert_int_eq(p->target.db.connect_timeout, 1500);
	ck_assert_int_eq(p->target.seed, SEED_EXTERNAL);
	ck_assert_str_eq(p->target.seed_file, "mysql-bin.000042");
	ck_assert_int_eq(p->target.seed_pos, 1234);
	ck_assert_ptr_null(p->target.seed_gtid);
	ck_assert_int_eq(p->target.max_lag, 2000);
	ck_assert_int_eq(p->target.settle, 60000);

	ck_assert_str_eq(p->traffic.region, "us-east-1");
	ck_assert_str_eq(p->traffic.listener_arn, "arn:aws:elasticloadbalancing:"
	    "us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/"
	    "f2f7dc8efc522ab2");
	ck_assert_str_eq(p->traffic.droplet_tg_arn, "arn:aws:"
	    "elasticloadbalancing:us-east-1:123456789012:targetgroup/"
	    "shop-droplets/73e2d6bc24d8a067");
	ck_assert_str_eq(p->traffic.ecs_tg_arn, "arn:aws:elasticloadbalancing:"
	    "us-east-1:123456789012:targetgroup/shop-ecs/2453ed029918f21f");
	ck_assert_str_eq(p->traffic.ecs_cluster, "shop");
	ck_assert_str_eq(p->traffic.ecs_service, "shop-web");
	ck_assert_int_eq(p->traffic.ecs_desired, 4);
	ck_assert_str_eq(p->traffic.droplet_tag, "shop-web");
	/* Method B (path_patterns) puts the rule step first. */
	ck_assert_int_eq(p->traffic.nsteps, 6);
	ck_assert_int_eq(p->traffic.steps[0], PLAN_STEP_RULE);
	ck_assert_int_eq(p->traffic.steps[1], 2);
	ck_assert_int_eq(p->traffic.steps[5], 90);
	ck_assert_int_eq(p->traffic.bake, 600000);
	ck_assert_int_eq(p->traffic.poll_interval, 5000);
	ck_assert_int_eq(p->traffic.soak, 3600000);
	ck_assert_int_eq(p->traffic.on_breach, BREACH_RETRY);
	ck_assert_int_eq(p->traffic.cooldown, 900000);
	ck_assert_str_eq(p->traffic.path_patterns[0], "/api/*");
	ck_assert_str_eq(p->traffic.path_patterns[1], "/static/*");
	ck_assert_ptr_null(p->traffic.path_patterns[2]);
	ck_assert_str_eq(p->traffic.header_name, "X-Canary");
	ck_assert_str_eq(p->traffic.header_value, "1");

	ck_assert_int_eq(p->gates.min_healthy, 2);
	ck_assert_double_eq_tol(p->gates.max_5xx_rate, 0.005, 1e-12);
	ck_assert_double_eq(p->gates.max_5xx_ratio, 3);
	ck_assert_int_eq(p->gates.max_p99, 750);
	ck_assert_double_eq(p->gates.max_p99_ratio, 1.25);
	ck_assert_int_eq(p->gates.max_lag, 10000);
	ck_assert_int_eq(p->gates.min_requests, 100);
	ck_assert_int_eq(p->gates.max_hold, 60 * 60 * 1000);
	ck_assert_int_eq(p->gates.on_hold, HOLD_WAIT);
	ck_assert_str_eq(p->traffic.load_hook, "/usr/local/bin/hey -z 10m "
	    "https://shop.example.com/api/health");
	ck_assert_str_eq(p->gates.alarms[0], "shop-5xx");
	ck_assert_str_eq(p->gates.alarms[1], "shop-latency");
	ck_assert_ptr_null(p->gates.alarms[2]);

	ck_assert_int_eq(p->cutover.writer, WRITER_DNS);
	ck_assert_ptr_null(p->cutover.writer_hook);
	ck_assert_str_eq(p->cutover.dns_zone_id, "Z0123456789ABCDEFGHIJ");
	ck_assert_str_eq(p->cutover.dns_record, "db.shop.internal");
	ck_assert_ptr_null(p->cutover.ecs_env_name);
	ck_assert_int_eq(p->cutover.freeze_timeout, 5000);
	ck_assert_int_eq(p->cutover.max_lag, 100);
	ck_assert_int_eq(p->cutover.kill_grace, 1000);
	ck_assert_int_eq(p->cutover.reverse_replication, 0);
	ck_assert_int_eq(p->cutover.checksum, 0);

	ck_assert_int_eq(p->decommission.approval, APPROVAL_AUTO);
	snprintf(want, sizeof(want), "%s/secrets/do.token", plansabs);
	ck_assert_str_eq(p->decommission.do_token_file, want);
	ck_assert_int_eq(p->decommission.snapshot, 0);
	ck_assert_int_eq(p->decommission.shutdown_timeout, 90000);
	ck_assert_int_eq(p->decommission.grace, 3 * 86400000);
	ck_assert_int_eq(p->decommission.delete_droplet_tg, 0);
	ck_assert_str_eq(p->decommission.load_balancers[0], "lb-1");
	ck_assert_str_eq(p->decommission.firewalls[1], "fw-2");
	ck_assert_str_eq(p->decommission.reserved_ips[1], "2001:db8::1");

	ck_assert_str_eq(p->hooks.before[PH_CUTOVER],
	    "/usr/local/libexec/shop-maintenance-banner on");
	ck_assert_str_eq(p->hooks.after[PH_CUTOVER],
	    "/usr/local/libexec/shop-maintenance-banner off");
	ck_assert_ptr_null(p->hooks.before[PH_SHIFTING]);
	ck_assert_str_eq(p->hooks.on_breach, "/usr/local/bin/page-oncall "
	    "breach");
	ck_assert_str_eq(p->hooks.on_rollback, "/usr/local/bin/page-oncall "
	    "rollback");
	ck_assert_str_eq(p->hooks.on_done, "/usr/local/bin/announce done");
	ck_assert_int_eq(p->hooks.timeout, 120000);
	ck_assert_int_eq(p->traffic.stickiness, 2 * 3600 * 1000);
	ck_assert_str_eq(p->files.sync, "/usr/local/bin/sync-uploads");
	ck_assert_str_eq(p->files.verify, "/usr/local/bin/count-uploads");
	ck_assert_int_eq(p->files.interval, 120000);
	ck_assert_int_eq(p->files.timeout, 1800000);
	ck_assert_str_eq(p->notify.webhook_url,
	    "https://hooks.example.com/migrated");
	ck_assert_int_eq(p->notify.timeout, 3000);
	plan_free(p);
}
END_TEST

START_TEST(test_comments)
{
	struct plan	*p;

	p = load_ok("good/comments.ini");
	ck_assert_str_eq(p->name, "comments");
	ck_assert_str_eq(p->source.db.user, "migrated");
	ck_assert_int_eq(p->source.nschemas, 3);
	ck_assert_str_eq(p->source.schemas[0], "shop");
	ck_assert_str_eq(p->source.schemas[2], "shop_archive");
	ck_assert_str_eq(p->traffic.ecs_service, "shop-web#blue");
	ck_assert_int_eq(p->traffic.nsteps, 3);
	ck_assert_double_eq_tol(p->gates.max_5xx_rate, 0.02, 1e-12);
	ck_assert_str_eq(p->cutover.writer_hook, "/usr/local/bin/switch-writer "
	    "--to \"$MIGRATED_TARGET\";not-a-comment");
	plan_free(p);
}
END_TEST

/* conf/plans/example.ini parses, with its secret files made up. */
START_TEST(test_example)
{
	static const char *const secrets[] = {
		"source.password", "repl.password", "target.password",
		"do.token",
	};
	struct conf_errors	 errs;
	struct plan		*p;
	char			 dir[] = "/tmp/check_plan.XXXXXX", path[512];
	char			*text, *e, *src;
	const char		*srcdir;
	size_t			 i;
	FILE			*f;

	srcdir = getenv("SRCDIR") != NULL ? getenv("SRCDIR") : ".";
	ck_assert_int_ge(asprintf(&src, "%s/conf/plans/example.ini", srcdir),
	    0);
	text = read_text(src);
	free(src);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secrets", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		snprintf(path, sizeof(path), "%s/secrets/%s", dir, secrets[i]);
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs("not-a-real-secret\n", f);
		fclose(f);
		ck_assert_int_eq(chmod(path, 0600), 0);
	}
	snprintf(path, sizeof(path), "%s/example.ini", dir);
	memset(&errs, 0, sizeof(errs));
	p = plan_parse(text, path, &errs);
	e = conf_errors_join(&errs);
	ck_assert_msg(p != NULL, "example.ini:\n%s", e);
	ck_assert_str_eq(p->name, "example");
	ck_assert_int_eq(p->traffic.ecs_desired, 4);
	ck_assert_int_eq(p->source.nschemas, 2);
	ck_assert_str_eq(p->source.app_users[0], "shop_app");
	ck_assert_str_eq(p->source.app_users[1], "'shop_batch'@'10.%'");
	ck_assert_ptr_null(p->source.app_users[2]);
	free(e);
	conf_errors_clear(&errs);
	plan_free(p);
	free(text);

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		snprintf(path, sizeof(path), "%s/secrets/%s", dir, secrets[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/secrets", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_parse_text)
{
	struct conf_errors	 errs;
	struct plan		*p;
	char			*text, *e, path[4200];

	/* plan_parse() names the plan after the file it is given. */
	snprintf(path, sizeof(path), "%s/good/minimal.ini", plansdir);
	text = read_text(path);
	snprintf(path, sizeof(path), "%s/good/other-name.ini", plansdir);
	memset(&errs, 0, sizeof(errs));
	p = plan_parse(text, path, &errs);
	e = conf_errors_join(&errs);
	ck_assert_msg(p != NULL, "%s", e);
	ck_assert_str_eq(p->name, "other-name");
	free(e);
	conf_errors_clear(&errs);
	plan_free(p);
	free(text);

	/* A missing file. */
	p = load("good/no-such-plan.ini", &e);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(e, "good/no-such-plan.ini: cannot read: No such file "
	    "or directory");
	free(e);
	plan_free(NULL);
}
END_TEST

/* An app_users item into user and host, quoted or not. */
START_TEST(test_account)
{
	static const struct {
		const char	*in, *user, *host;
	} t[] = {
		{ "app", "app", "" },
		{ "app@%", "app", "%" },
		{ "'app'@'10.0.%'", "app", "10.0.%" },
		{ "'a@b'@'localhost'", "a@b", "localhost" },
		{ "'app'", "app", "" },
	};
	char	user[128], host[256];
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		plan_account(t[i].in, user, sizeof(user), host, sizeof(host));
		ck_assert_str_eq(user, t[i].user);
		ck_assert_str_eq(host, t[i].host);
	}
}
END_TEST

START_TEST(test_name_ok)
{
	char	name[80];

	ck_assert(plan_name_ok("shop"));
	ck_assert(plan_name_ok("0day"));
	ck_assert(plan_name_ok("shop_2024-eu"));
	ck_assert(!plan_name_ok(""));
	ck_assert(!plan_name_ok(NULL));
	ck_assert(!plan_name_ok("Shop"));
	ck_assert(!plan_name_ok("-shop"));
	ck_assert(!plan_name_ok("_shop"));
	ck_assert(!plan_name_ok("shop plan"));
	ck_assert(!plan_name_ok("shop.eu"));
	memset(name, 'a', PLAN_NAME_MAX);
	name[PLAN_NAME_MAX] = '\0';
	ck_assert(plan_name_ok(name));
	name[PLAN_NAME_MAX] = 'a';
	name[PLAN_NAME_MAX + 1] = '\0';
	ck_assert(!plan_name_ok(name));
}
END_TEST

START_TEST(test_set_accepts)
{
	struct plan	*p;
	char		 why[1024];

	p = load_ok("good/minimal.ini");
	ck_assert_int_eq(plan_set(p, "gates.max_p99", "2s", why, sizeof(why)),
	    0);
	ck_assert_int_eq(p->gates.max_p99, 2000);
	ck_assert_int_eq(plan_set(p, "traffic.bake", "10m", why, sizeof(why)),
	    0);
	ck_assert_int_eq(p->traffic.bake, 600000);
	ck_assert_int_eq(plan_set(p, "traffic.on_breach", "retry", why,
	    sizeof(why)), 0);
	ck_assert_int_eq(p->traffic.on_breach, BREACH_RETRY);
	ck_assert_int_eq(plan_set(p, "gates.max_5xx_rate", "2.5%", why,
	    sizeof(why)), 0);
	ck_assert_double_eq_tol(p->gates.max_5xx_rate, 0.025, 1e-12);
	ck_assert_int_eq(plan_set(p, "gates.min_healthy", "3", why,
	    sizeof(why)), 0);
	ck_assert_int_eq(p->gates.min_healthy, 3);
	ck_assert_int_eq(plan_set(p, "cutover.freeze_timeout", "10s", why,
	    sizeof(why)), 0);
	ck_assert_int_eq(p->cutover.freeze_timeout, 10000);
	ck_assert_int_eq(plan_set(p, "cutover.max_lag", "5s", why,
	    sizeof(why)), 0);
	ck_assert_int_eq(p->cutover.max_lag, 5000);

	/* A list replaced, then cleared; the old one is freed (ASan). */
	ck_assert_int_eq(plan_set(p, "gates.alarms", "a, b", why,
	    sizeof(why)), 0);
	ck_assert_str_eq(p->gates.alarms[1], "b");
	ck_assert_int_eq(plan_set(p, "gates.alarms", "c", why, sizeof(why)),
	    0);
	ck_assert_str_eq(p->gates.alarms[0], "c");
	ck_assert_ptr_null(p->gates.alarms[1]);
	ck_assert_int_eq(plan_set(p, "gates.alarms", "", why, sizeof(why)), 0);
	ck_assert_ptr_null(p->gates.alarms);
	plan_free(p);
}
END_TEST

START_TEST(test_set_refuses)
{
	static const struct {
		const char	*key, *value, *why;
	} cases[] = {
		{ "traffic.bake", "5", "traffic.bake: expected a duration like "
		    "90s or 5m, got '5'" },
		{ "cutover.freeze_timeout", "90s", "cutover.freeze_timeout: "
		    "must be from 500ms to 1m, got '90s'" },
		{ "gates.max_5xx_rate", "150%", "gates.max_5xx_rate: '150%' is "
		    "more than 100%" },
		{ "gates.min_healthy", "0", "gates.min_healthy: expected an "
		    "integer from 1 to 10000, got '0'" },
		{ "traffic.on_breach", "panic", "traffic.on_breach: expected "
		    "pause or retry, got 'panic'" },
		{ "gates.on_hold", "promote", "gates.on_hold: expected "
		    "pause or wait, got 'promote'" },
		{ "gates.max_hold", "0s", "gates.max_hold: must be from 1s to "
		    "7d, got '0s'" },
		{ "gates.alarms", "a,,b", "gates.alarms: expected a "
		    "comma-separated list without empty items, got 'a,,b'" },
		{ "gates.max_p9", "1s", "unknown key 'gates.max_p9'; did you "
		    "mean 'gates.max_p99'?" },
		{ "gates.frobnicate", "1", "unknown key 'gates.frobnicate'" },
		{ "bake", "5m", "expected section.key, like gates.max_p99, got "
		    "'bake'" },
		{ "cutover.max_lag", "3s", "cutover.max_lag = 3s refused: "
		    "max_lag (3s) must be shorter than freeze_timeout (3s), or "
		    "the drain cannot finish before the freeze times out" },
		{ "traffic.poll_interval", "10m", "traffic.poll_interval = 10m "
		    "refused: poll_interval (10m) is longer than bake (5m): a "
		    "step would pass unwatched" },
	};
	struct plan	*p, before;
	char		 why[2048];
	size_t		 i;

	p = load_ok("good/minimal.ini");
	ck_assert_int_eq(plan_set(p, "gates.alarms", "x, y", why, sizeof(why)),
	    0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(&before, p, sizeof(before));
		ck_assert_int_eq(plan_set(p, cases[i].key, cases[i].value, why,
		    sizeof(why)), -1);
		ck_assert_str_eq(why, cases[i].why);
		/* Untouched, pointers included. */
		ck_assert_msg(memcmp(&before, p, sizeof(before)) == 0,
		    "%s = %s changed the plan", cases[i].key, cases[i].value);
	}
	ck_assert_str_eq(p->gates.alarms[1], "y");
	plan_free(p);
}
END_TEST

START_TEST(test_set_not_tunable)
{
	static const char *const keys[] = {
		"traffic.steps", "source.host", "target.kind", "cutover.writer",
		"decommission.approval", "hooks.before_cutover",
		"traffic.listener_arn", "source.password_file",
	};
	struct plan	*p, before;
	char		 why[2048], want[256];
	size_t		 i;

	p = load_ok("good/minimal.ini");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		memcpy(&before, p, sizeof(before));
		ck_assert_int_eq(plan_set(p, keys[i], "1", why, sizeof(why)),
		    -1);
		snprintf(want, sizeof(want), "%s cannot be changed at run "
		    "time; the tunable keys are target.seed_max_load, ", keys[i]);
		ck_assert_msg(strncmp(why, want, strlen(want)) == 0, "%s", why);
		ck_assert(memcmp(&before, p, sizeof(before)) == 0);
	}
	plan_free(p);
}
END_TEST

/* cutover.window at run time: checked like the file's, blank clears it. */
START_TEST(test_set_window)
{
	struct plan	*p;
	char		 why[1024];

	p = load_ok("good/minimal.ini");
	ck_assert_int_eq(plan_set(p, "cutover.window", "Mon 25:00-26:00",
	    why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "not a time range") != NULL, "%s", why);
	ck_assert_ptr_null(p->cutover.window);
	ck_assert_int_eq(plan_set(p, "cutover.window",
	    "Sat,Sun 01:00-04:00 America/New_York", why, sizeof(why)), 0);
	ck_assert_str_eq(p->cutover.window,
	    "Sat,Sun 01:00-04:00 America/New_York");
	ck_assert_int_eq(plan_set(p, "cutover.window", "", why, sizeof(why)),
	    0);
	ck_assert_ptr_null(p->cutover.window);
	ck_assert_int_eq(plan_set(p, "cutover.approval", "auto", why,
	    sizeof(why)), -1);
	plan_free(p);
}
END_TEST

START_TEST(test_tunables)
{
	static const char *const want[] = {
		"target.seed_max_load", "target.seed_stall_timeout", "replicating.max_catchup",
		"traffic.bake", "traffic.poll_interval", "traffic.soak",
		"traffic.on_breach", "traffic.cooldown", "gates.min_healthy",
		"gates.max_5xx_rate", "gates.max_5xx_ratio", "gates.max_p99",
		"gates.max_p99_ratio", "gates.max_lag", "gates.min_requests",
		"gates.max_hold", "gates.on_hold",
		"gates.alarms", "cutover.freeze_timeout", "cutover.max_lag",
		"cutover.window", "cutover.verify_before",
		"cutover.max_postpone", "files.interval", "files.timeout",
	};
	static const char *const values[] = {
		"20", "5m", "1h", "6m", "2s", "1h", "retry", "20m", "2", "2%", "3", "2s", "2",
		"10s", "100", "10m", "wait", "alarm-1", "4s", "300ms",
		"Mon-Fri 02:00-05:00 Europe/Berlin", "no", "20m", "10m", "2h",
	};
	const char *const	*t = plan_tunables();
	struct plan		*p;
	char			 why[1024];
	size_t			 i;

	p = load_ok("good/minimal.ini");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_ptr_nonnull(t[i]);
		ck_assert_str_eq(t[i], want[i]);
		ck_assert_msg(plan_set(p, t[i], values[i], why,
		    sizeof(why)) == 0, "%s: %s", t[i], why);
	}
	ck_assert_ptr_null(t[i]);
	ck_assert_ptr_eq(plan_tunables(), t);
	plan_free(p);
}
END_TEST

/* minimal.ini with one line replaced, parsed as plansdir/good/x.ini. */
static struct plan *
variant(const char *from, const char *to)
{
	struct conf_errors	 errs;
	struct plan		*p;
	char			 path[4200], *text, *e;

	snprintf(path, sizeof(path), "%s/good/minimal.ini", plansdir);
	text = read_text(path);
	if (from != NULL) {
		ck_assert_ptr_nonnull(strstr(text, from));
		text = replace_all(text, from, to);
	}
	snprintf(path, sizeof(path), "%s/good/variant.ini", plansdir);
	memset(&errs, 0, sizeof(errs));
	p = plan_parse(text, path, &errs);
	e = conf_errors_join(&errs);
	ck_assert_msg(p != NULL, "%s -> %s:\n%s", from, to, e);
	free(e);
	conf_errors_clear(&errs);
	free(text);
	return p;
}

START_TEST(test_identity_diff)
{
	static const struct {
		const char	*from, *to, *diff;
	} cases[] = {
		{ "host = 10.114.0.5", "host = 10.114.0.6", "source.host" },
		{ "[source]\n", "[source]\nport = 3307\n", "source.port" },
		{ "schemas = shop", "schemas = shop, extra", "source.schemas" },
		{ "schemas = shop", "schemas = other", "source.schemas" },
		{ "[target]\n", "[target]\nkind = mysql\n", "target.kind" },
		{ "host = shop.c9akciq32", "host = other.c9akciq32",
		    "target.host" },
		{ "[target]\n", "[target]\nport = 3307\n", "target.port" },
		{ "listener/app/shop/50dc", "listener/app/shop/60dc",
		    "traffic.listener_arn" },
		{ "shop-droplets/73e2", "shop-droplets/83e2",
		    "traffic.droplet_target_group_arn" },
		{ "shop-ecs/2453", "shop-ecs/3453",
		    "traffic.ecs_target_group_arn" },
		{ "ecs_cluster = shop", "ecs_cluster = prod",
		    "traffic.ecs_cluster" },
		{ "ecs_service = shop-web", "ecs_service = shop-web2",
		    "traffic.ecs_service" },
		{ "[traffic]\n", "[traffic]\ndroplet_tag = web\n",
		    "traffic.droplet_tag" },
		/* Not identity: tuning, credentials, steps. */
		{ "[traffic]\n", "[traffic]\nbake = 1h\nsteps = 50\n", NULL },
		{ "user = migrated", "user = other", NULL },
		{ "[cutover]\n", "[gates]\nmax_p99 = 3s\n\n[cutover]\n", NULL },
	};
	struct plan	*a, *b;
	const char	*d;
	size_t		 i;

	a = variant(NULL, NULL);
	b = variant(NULL, NULL);
	ck_assert_ptr_null(plan_identity_diff(a, b));
	plan_free(b);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = variant(cases[i].from, cases[i].to);
		d = plan_identity_diff(a, b);
		if (cases[i].diff == NULL)
			ck_assert_msg(d == NULL, "%s: %s", cases[i].to, d);
		else {
			ck_assert_msg(d != NULL, "%s: no difference",
			    cases[i].to);
			ck_assert_str_eq(d, cases[i].diff);
			ck_assert_str_eq(plan_identity_diff(b, a),
			    cases[i].diff);
		}
		plan_free(b);
	}
	plan_free(a);

	/* Schemas compare as a set. */
	a = variant("schemas = shop", "schemas = a, b");
	b = variant("schemas = shop", "schemas = b, a");
	ck_assert_ptr_null(plan_identity_diff(a, b));
	plan_free(b);
	b = variant("schemas = shop", "schemas = a, a");
	ck_assert_str_eq(plan_identity_diff(a, b), "source.schemas");
	plan_free(b);
	plan_free(a);
}
END_TEST

static Suite *
plan_suite(void)
{
	Suite	*s = suite_create("plan");
	TCase	*tc;

	tc = tcase_create("golden");
	tcase_add_loop_test(tc, test_good, 0, ngood);
	tcase_add_loop_test(tc, test_bad, 0, nbad);
	suite_add_tcase(s, tc);

	tc = tcase_create("fields");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_example);
	tcase_add_test(tc, test_parse_text);
	tcase_add_test(tc, test_name_ok);
	tcase_add_test(tc, test_account);
	suite_add_tcase(s, tc);

	tc = tcase_create("set");
	tcase_add_test(tc, test_set_accepts);
	tcase_add_test(tc, test_set_refuses);
	tcase_add_test(tc, test_set_not_tunable);
	tcase_add_test(tc, test_tunables);
	tcase_add_test(tc, test_set_window);
	tcase_add_test(tc, test_identity_diff);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	static const char *const secrets[] = {
		"source.password", "repl.password", "target.password",
		"do.token",
	};
	SRunner	*sr;
	size_t	 i;
	int	 failed, j;

	testdata = getenv("TESTDATA") != NULL ? getenv("TESTDATA") :
	    "tests/data";
	snprintf(plansdir, sizeof(plansdir), "%s/plans", testdata);
	if ((plansabs = conf_path_resolve(NULL, plansdir)) == NULL) {
		fprintf(stderr, "check_plan: cannot resolve %s\n", plansdir);
		return 1;
	}
	/* Git keeps no modes: set the ones the golden files expect. */
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		chmod_secret(secrets[i], 0600);
	chmod_secret("group-readable.password", 0640);
	ngood = list_plans("good", good);
	nbad = list_plans("bad", bad);
	if (ngood == 0 || nbad == 0) {
		fprintf(stderr, "check_plan: no plans under %s\n", plansdir);
		return 1;
	}

	sr = srunner_create(plan_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (j = 0; j < ngood; j++)
		free(good[j]);
	for (j = 0; j < nbad; j++)
		free(bad[j]);
	free(plansabs);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
