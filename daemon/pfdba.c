/*
 * pfdba: the preflight checks a DBA adds to the server checks, rows of
 * preflight.c's list. On the source, over the plan's schemas: tables that
 * are not InnoDB (a --single-transaction dump is not consistent for
 * them), tables without a primary key (row-based apply scans the table
 * for every row on the replica, and the proof cannot chunk them), and
 * the data's size, from which the seed's duration is estimated. On the
 * target: the accounts the source's views, routines, triggers and events
 * name as DEFINER, and the application's accounts ([source] app_users),
 * which must exist there before the writer moves; and, with reverse
 * replication, the target's binary log; and whether the target applies
 * replication on one thread while the source serves many connections.
 * Queries only read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "catchup.h"
#include "dbpair.h"
#include "daemon.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "pfcheck.h"
#include "plan.h"
#include "xmalloc.h"

/*
 * The seed's throughput for the estimate, in bytes of data and indexes
 * (information_schema's data_length + index_length, InnoDB's own figures)
 * per second. tests/bench/seed.sh times the seed (the copy worker on
 * four streams) on a local pair: 43.3 MiB/s for 933 MiB of sysbench
 * tables (rows of about 240 bytes with a secondary index), on the
 * project's 2-core test machine. A quarter of it is used: RDS is across
 * a network, its instance class is often smaller, the source serves the
 * application meanwhile (the throttle may pause the copy), and wide
 * indexes rebuild slower than sysbench's.
 */
#define PFDBA_SEED_BPS		(10LL * 1024 * 1024)
/*
 * The source's client connections, besides preflight's own two, from
 * which a target applying on one thread is warned of: one applier
 * thread replays in order what that many sessions commit side by side.
 */
#define PFDBA_APPLY_CONNS	4
#define PFDBA_OWN_CONNS		2
/* Tables named in a finding before "and N more". */
#define PFDBA_LIST_MAX		12

/* The table names of a result's first two columns, "a.b, c.d", bounded. */
static void
pfdba_names(const struct mydb_result *res, char *buf, size_t len)
{
	unsigned long long	r;
	size_t			off = 0;

	buf[0] = '\0';
	for (r = 0; r < res->nrows && off < len; r++) {
		if (r == PFDBA_LIST_MAX) {
			snprintf(buf + off, len - off, " and %llu more",
			    res->nrows - r);
			return;
		}
		off += snprintf(buf + off, len - off, "%s%s.%s", r ? ", " : "",
		    res->rows[r][0] ? res->rows[r][0] : "?",
		    res->rows[r][1] ? res->rows[r][1] : "?");
	}
}

const char *
pfdba_schemas_in(const struct pf *pf, char *buf, size_t len)
{
	char *const	*s = pf->m->plan->source.schemas;
	const char	*c;
	size_t		 off;

	off = (size_t)snprintf(buf, len, " IN (");
	for (; s != NULL && *s != NULL && off + 4 < len; s++) {
		if (off > 5)
			off += (size_t)snprintf(buf + off, len - off, ", ");
		buf[off++] = '\'';
		for (c = *s; *c != '\0' && off + 4 < len; c++) {
			if (*c == '\'' || *c == '\\')
				buf[off++] = *c;
			buf[off++] = *c;
		}
		buf[off++] = '\'';
		buf[off] = '\0';
	}
	snprintf(buf + off, len - off, ")");
	return buf;
}

/*
 * The server was not reached, or refused the account: pf_answer() says
 * so; any other error is the query's own (a privilege, a procedure).
 */
static int
pfdba_unreached(const struct mydb_result *res)
{
	return res->err == ER_ACCESS_DENIED_ERROR ||
	    (res->err >= CR_MIN_ERROR && res->err <= CR_MAX_ERROR);
}

static struct mydb *
pfdba_src(struct pf *pf)
{
	return pf->db != NULL ? pf->db->src : NULL;
}

static struct mydb *
pfdba_tgt(struct pf *pf)
{
	return pf->db != NULL ? pf->db->tgt : NULL;
}

/* --- tables not InnoDB --- */

static void
engines_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;
	char		 names[1024], fix[1200];
	int		 external;

	if (pf_answer(pf, PFC_ENGINES, res, "source") == 0 && res->nrows > 0) {
		pfdba_names(res, names, sizeof(names));
		snprintf(fix, sizeof(fix), "convert them on the source: ALTER "
		    "TABLE %s.%s ENGINE=InnoDB (and the others)",
		    res->rows[0][0] ? res->rows[0][0] : "?",
		    res->rows[0][1] ? res->rows[0][1] : "?");
		/* An external import is the operator's to make consistent. */
		external = pf->m->plan->target.seed == SEED_EXTERNAL;
		pf_note(pf, PFC_ENGINES, external ? PF_WARN : PF_FAIL, fix,
		    "source: %llu table%s not InnoDB (%s %s): a "
		    "--single-transaction dump is not consistent for them%s",
		    res->nrows, res->nrows == 1 ? " is" : "s are", names,
		    res->rows[0][2] ? res->rows[0][2] : "no engine",
		    external ? " (target.seed = external: your import must "
		    "be)" : "");
	} else if (res->err == 0)
		pf_info(pf, PFC_ENGINES, "every table is InnoDB");
	pf_done(pf);
}

void
pfdba_engines(struct pf *pf)
{
	char	in[2048], sql[2560];

	snprintf(sql, sizeof(sql), "SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE "
	    "FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' "
	    "AND TABLE_SCHEMA%s AND (ENGINE IS NULL OR ENGINE <> 'InnoDB') "
	    "ORDER BY TABLE_SCHEMA, TABLE_NAME",
	    pfdba_schemas_in(pf, in, sizeof(in)));
	pf_query(pf, PFC_ENGINES, pfdba_src(pf), sql, engines_cb);
}

/* --- tables without a primary key --- */

static void
keys_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;
	char		 names[1024];

	if (pf_answer(pf, PFC_KEYS, res, "source") == 0 && res->nrows > 0) {
		pfdba_names(res, names, sizeof(names));
		pf_note(pf, PFC_KEYS, PF_WARN, "add a primary key on the "
		    "source (ALTER TABLE ... ADD PRIMARY KEY, or an "
		    "AUTO_INCREMENT id column)", "source: %llu table%s no "
		    "primary key (%s): the replica applies each row change by "
		    "scanning the table, and the proof checks each in one "
		    "chunk", res->nrows, res->nrows == 1 ? " has" : "s have",
		    names);
	} else if (res->err == 0)
		pf_info(pf, PFC_KEYS, "every table has a primary key");
	pf_done(pf);
}

void
pfdba_keys(struct pf *pf)
{
	char	in[2048], sql[3072];

	snprintf(sql, sizeof(sql), "SELECT t.TABLE_SCHEMA, t.TABLE_NAME FROM "
	    "information_schema.TABLES t LEFT JOIN "
	    "information_schema.TABLE_CONSTRAINTS c ON c.TABLE_SCHEMA = "
	    "t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND "
	    "c.CONSTRAINT_TYPE = 'PRIMARY KEY' WHERE t.TABLE_TYPE = "
	    "'BASE TABLE' AND t.TABLE_SCHEMA%s AND c.CONSTRAINT_NAME IS NULL "
	    "ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME",
	    pfdba_schemas_in(pf, in, sizeof(in)));
	pf_query(pf, PFC_KEYS, pfdba_src(pf), sql, keys_cb);
}

/* --- the seed's duration --- */

static void
size_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;
	const char	*b, *n;

	if (pf_answer(pf, PFC_SEED_TIME, res, "source") == 0) {
		b = mydb_get(res, 0, "bytes");
		n = mydb_get(res, 0, "tables");
		pf->data_bytes = b != NULL ? atoll(b) : 0;
		pf->ntables = n != NULL ? atoll(n) : 0;
	}
	pf_done(pf);
}

void
pfdba_size(struct pf *pf)
{
	char	in[2048], sql[2560];

	if (pf->m->plan->target.seed == SEED_EXTERNAL) {
		pf_skip(pf, PFC_SEED_TIME, "target.seed = external: the "
		    "import is yours");
		return;
	}
	snprintf(sql, sizeof(sql), "SELECT COALESCE(SUM(DATA_LENGTH + "
	    "INDEX_LENGTH), 0) AS bytes, COUNT(*) AS tables FROM "
	    "information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND "
	    "TABLE_SCHEMA%s", pfdba_schemas_in(pf, in, sizeof(in)));
	pf_query(pf, PFC_SEED_TIME, pfdba_src(pf), sql, size_cb);
}

static const char *
pfdba_dur(long long s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%lldm", (s + 59) / 60);
	else
		snprintf(buf, len, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
	return buf;
}

/*
 * The estimate against the source's binary log retention: replication
 * starts from the dump's coordinates, so the logs from there must still
 * be on the source when the import ends.
 */
void
pfdba_seed_judge(struct pf *pf)
{
	long long	est;
	char		d1[32], d2[32], fix[256];

	if (pf->data_bytes < 0)
		return;
	est = (pf->data_bytes + PFDBA_SEED_BPS - 1) / PFDBA_SEED_BPS;
	if (pf->src_keep_s > 0 && est * 2 > pf->src_keep_s) {
		snprintf(fix, sizeof(fix), "keep the source's binary logs at "
		    "least twice as long: SET GLOBAL "
		    "binlog_expire_logs_seconds = %lld (and in my.cnf)",
		    est * 2);
		pf_note(pf, PFC_SEED_TIME, PF_WARN, fix, "source: %.1f MiB in "
		    "%lld tables: the seed should take about %s (at %lld "
		    "MiB/s), and the source keeps binary logs only %s",
		    pf->data_bytes / 1048576.0, pf->ntables,
		    pfdba_dur(est, d1, sizeof(d1)), PFDBA_SEED_BPS / 1048576,
		    pfdba_dur(pf->src_keep_s, d2, sizeof(d2)));
		return;
	}
	pf_info(pf, PFC_SEED_TIME, "%.1f MiB in %lld tables: the seed should "
	    "take about %s (at %lld MiB/s)", pf->data_bytes / 1048576.0,
	    pf->ntables, pfdba_dur(est, d1, sizeof(d1)),
	    PFDBA_SEED_BPS / 1048576);
}

/* --- accounts on the target: DEFINERs and the application's --- */

static char **
strv_add(char **v, size_t *n, const char *s)
{
	v = xreallocarray(v, *n + 1, sizeof(*v));
	v[(*n)++] = xstrdup(s);
	return v;
}

static int
has_account(const struct pf *pf, const char *user, const char *host)
{
	size_t		i;
	size_t		ulen = strlen(user);
	const char	*a;

	for (i = 0; i < pf->naccounts; i++) {
		a = pf->accounts[i];
		if (strncmp(a, user, ulen) != 0 || a[ulen] != '@')
			continue;
		if (host == NULL || strcmp(a + ulen + 1, host) == 0)
			return 1;
	}
	return 0;
}

/* "user@host" (information_schema's DEFINER) split at its last '@'. */
static int
split_account(const char *acct, char *user, size_t ulen, char *host,
    size_t hlen)
{
	const char	*at = strrchr(acct, '@');

	if (at == NULL)
		return -1;
	snprintf(user, ulen, "%.*s", (int)(at - acct), acct);
	snprintf(host, hlen, "%s", at + 1);
	return 0;
}

static void
pfdba_judge_definers(struct pf *pf)
{
	char	user[128], host[256], missing[1024] = "", objs[1024] = "";
	char	fix[1400], kind[16], obj[200], acct[400], first[400] = "";
	size_t	i, nm = 0, no = 0;

	if (!pf->have_definers || !pf->have_accounts)
		return;
	pf_ran(pf, PFC_DEFINERS);
	for (i = 0; i < pf->ndefiners; i++) {
		if (sscanf(pf->definers[i], "%15s %199s %399s", kind, obj,
		    acct) != 3 || split_account(acct, user, sizeof(user), host,
		    sizeof(host)) == -1 || has_account(pf, user, host))
			continue;
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "'%s'@'%s'", user, host);
		if (strstr(missing, acct) == NULL && nm++ < PFDBA_LIST_MAX)
			snprintf(missing + strlen(missing), sizeof(missing) -
			    strlen(missing), "%s'%s'@'%s'", missing[0] ? ", " :
			    "", user, host);
		if (no++ < PFDBA_LIST_MAX)
			snprintf(objs + strlen(objs), sizeof(objs) -
			    strlen(objs), "%s%s %s (%s)", objs[0] ? ", " : "",
			    kind, obj, acct);
	}
	if (no == 0) {
		pf_info(pf, PFC_DEFINERS, "%zu object%s with a DEFINER, each "
		    "account on the target", pf->ndefiners,
		    pf->ndefiners == 1 ? "" : "s");
		return;
	}
	snprintf(fix, sizeof(fix), "CREATE USER %s (and the others) on the "
	    "target with the grants it has on the source, or change the "
	    "objects' DEFINER on the source (ALTER DEFINER=... VIEW, or "
	    "recreate the routine, trigger or event)", first);
	pf_note(pf, PFC_DEFINERS, PF_FAIL, fix, "target: DEFINER account%s "
	    "%s missing: %s would fail with \"The user specified as a definer "
	    "does not exist\"", nm == 1 ? "" : "s", missing, objs);
}

static void
pfdba_judge_app_users(struct pf *pf)
{
	char *const	*u = pf->m->plan->source.app_users;
	char		 user[128], host[256], missing[1024] = "";
	char		 fix[1400], want[400], first[400] = "";
	size_t		 n = 0;

	if (u == NULL || !pf->have_accounts)
		return;
	pf_ran(pf, PFC_APP_USERS);
	for (; *u != NULL; u++) {
		plan_account(*u, user, sizeof(user), host, sizeof(host));
		if (has_account(pf, user, host[0] ? host : NULL))
			continue;
		if (host[0] != '\0')
			snprintf(want, sizeof(want), "'%s'@'%s'", user, host);
		else
			snprintf(want, sizeof(want), "'%s' (any host)", user);
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "'%s'@'%s'", user,
			    host[0] ? host : "%");
		if (n++ < PFDBA_LIST_MAX)
			snprintf(missing + strlen(missing), sizeof(missing) -
			    strlen(missing), "%s%s", missing[0] ? ", " : "",
			    want);
	}
	if (n == 0) {
		pf_info(pf, PFC_APP_USERS, "every account of [source] "
		    "app_users is on the target");
		return;
	}
	snprintf(fix, sizeof(fix), "CREATE USER %s on the target and GRANT "
	    "it what SHOW GRANTS FOR it lists on the source", first);
	pf_note(pf, PFC_APP_USERS, PF_FAIL, fix, "target: the application's "
	    "account%s %s missing: it could not connect once the writer "
	    "moves", n == 1 ? " is" : "s are", missing);
}

static void
definers_cb(void *arg, struct mydb_result *res)
{
	struct pf		*pf = arg;
	unsigned long long	 r;
	char			 line[800];

	if (pf_answer(pf, PFC_DEFINERS, res, "source") == 0) {
		for (r = 0; r < res->nrows; r++) {
			if (res->rows[r][3] == NULL)
				continue;
			snprintf(line, sizeof(line), "%s %s.%s %s",
			    res->rows[r][0], res->rows[r][1],
			    res->rows[r][2], res->rows[r][3]);
			pf->definers = strv_add(pf->definers, &pf->ndefiners,
			    line);
		}
		pf->have_definers = 1;
		pfdba_judge_definers(pf);
	}
	pf_done(pf);
}

static void
accounts_cb(void *arg, struct mydb_result *res)
{
	struct pf		*pf = arg;
	unsigned long long	 r;
	char			 line[400];

	if (pfdba_unreached(res)) {
		pf_answer(pf, PFC_DEFINERS, res, "target");
		if (pf->m->plan->source.app_users != NULL)
			pf_note(pf, PFC_APP_USERS, PF_FAIL, "check its host, "
			    "port, user and password file", "target: %s "
			    "(error %u)", res->error ? res->error : "failed",
			    res->err);
		pf_done(pf);
		return;
	}
	/* Without SELECT on mysql.user the two checks cannot tell. */
	if (res->err != 0) {
		pf->pending--;
		pf_note(pf, PFC_DEFINERS, PF_WARN, "GRANT SELECT ON mysql.user "
		    "to the target user", "target: cannot list its accounts: "
		    "%s", res->error ? res->error : "failed");
		if (pf->m->plan->source.app_users != NULL)
			pf_note(pf, PFC_APP_USERS, PF_WARN, "GRANT SELECT ON "
			    "mysql.user to the target user", "target: cannot "
			    "list its accounts: %s", res->error ? res->error :
			    "failed");
		pf_done(pf);
		return;
	}
	pf->pending--;
	for (r = 0; r < res->nrows; r++) {
		snprintf(line, sizeof(line), "%s@%s",
		    res->rows[r][0] ? res->rows[r][0] : "",
		    res->rows[r][1] ? res->rows[r][1] : "");
		pf->accounts = strv_add(pf->accounts, &pf->naccounts, line);
	}
	pf->have_accounts = 1;
	pfdba_judge_definers(pf);
	pfdba_judge_app_users(pf);
	pf_done(pf);
}

/* The target's accounts, asked once for both checks. */
static void
pfdba_accounts(struct pf *pf)
{
	static const char	sql[] = "SELECT User, Host FROM mysql.user";

	if (pf->have_accounts || pf->accounts != NULL)
		return;
	/* An empty list marks it asked. */
	pf->accounts = xcalloc(1, sizeof(*pf->accounts));
	pf_query(pf, PFC_DEFINERS, pfdba_tgt(pf), sql, accounts_cb);
}

void
pfdba_definers(struct pf *pf)
{
	char	in[2048], sql[9000];

	pfdba_schemas_in(pf, in, sizeof(in));
	snprintf(sql, sizeof(sql),
	    "SELECT 'view', TABLE_SCHEMA, TABLE_NAME, DEFINER FROM "
	    "information_schema.VIEWS WHERE TABLE_SCHEMA%s "
	    "UNION ALL SELECT LOWER(ROUTINE_TYPE), ROUTINE_SCHEMA, "
	    "ROUTINE_NAME, DEFINER FROM information_schema.ROUTINES WHERE "
	    "ROUTINE_SCHEMA%s "
	    "UNION ALL SELECT 'trigger', TRIGGER_SCHEMA, TRIGGER_NAME, "
	    "DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA%s "
	    "UNION ALL SELECT 'event', EVENT_SCHEMA, EVENT_NAME, DEFINER FROM "
	    "information_schema.EVENTS WHERE EVENT_SCHEMA%s", in, in, in, in);
	pf_query(pf, PFC_DEFINERS, pfdba_src(pf), sql, definers_cb);
	pfdba_accounts(pf);
}

void
pfdba_app_users(struct pf *pf)
{
	if (pf->m->plan->source.app_users == NULL) {
		pf_skip(pf, PFC_APP_USERS, "[source] app_users is not set");
		return;
	}
	pfdba_accounts(pf);
}

/* --- the target's binary log, for reverse replication --- */

static void
reverse_vars_cb(void *arg, struct mydb_result *res)
{
	struct pf		*pf = arg;
	const struct plan	*p = pf->m->plan;
	const char		*v;
	long long		 keep_s = 0;
	char			 fix[256];

	if (pf_answer(pf, PFC_REVERSE, res, "target") != 0)
		goto done;
	v = mydb_var(res, "log_bin");
	if (v == NULL || strcasecmp(v, "ON") != 0) {
		pf_note(pf, PFC_REVERSE, PF_FAIL, p->target.kind == TARGET_RDS ?
		    "turn on the instance's automated backups (a backup "
		    "retention period above 0): RDS logs binary only then" :
		    "set log_bin in the target's my.cnf and restart it",
		    "target: log_bin is %s; reverse replication (cutover."
		    "reverse_replication) reads the target's binary log",
		    v ? v : "absent");
		goto done;
	}
	v = mydb_var(res, "binlog_format");
	if (v == NULL || strcasecmp(v, "ROW") != 0)
		pf_note(pf, PFC_REVERSE, PF_WARN, p->target.kind == TARGET_RDS ?
		    "set binlog_format = ROW in the instance's parameter "
		    "group" : "SET GLOBAL binlog_format = ROW (and in my.cnf)",
		    "target: binlog_format is %s; reverse replication is "
		    "safest in ROW", v ? v : "absent");
	if ((v = mydb_var(res, "binlog_expire_logs_seconds")) != NULL &&
	    atoll(v) > 0)
		keep_s = atoll(v);
	else if ((v = mydb_var(res, "expire_logs_days")) != NULL && atof(v) > 0)
		keep_s = (long long)(atof(v) * 86400);
	/* RDS purges by its own setting, read from rds_show_configuration. */
	if (p->target.kind != TARGET_RDS && keep_s > 0 && keep_s * 1000 <
	    p->source.binlog_retention_min) {
		snprintf(fix, sizeof(fix), "SET GLOBAL "
		    "binlog_expire_logs_seconds = %lld on the target (and in "
		    "my.cnf)", (long long)(p->source.binlog_retention_min /
		    1000));
		pf_note(pf, PFC_REVERSE, PF_WARN, fix, "target: binary logs "
		    "are kept %llds, less than source.binlog_retention_min: a "
		    "rollback after a longer outage of the source could not "
		    "catch up", keep_s);
	}
	if (p->target.kind != TARGET_RDS)
		pf_info(pf, PFC_REVERSE, "log_bin ON, binlog_format %s, kept "
		    "%s", mydb_var(res, "binlog_format"), keep_s > 0 ? "by "
		    "expiry" : "until purged");
done:
	pf_done(pf);
}

static void
reverse_rds_cb(void *arg, struct mydb_result *res)
{
	struct pf		*pf = arg;
	const struct plan	*p = pf->m->plan;
	unsigned long long	 r;
	const char		*name, *value = NULL;
	long long		 need_h;
	char			 fix[256];

	if (pfdba_unreached(res)) {
		pf_answer(pf, PFC_REVERSE, res, "target");
		goto done;
	}
	pf->pending--;
	pf_ran(pf, PFC_REVERSE);
	need_h = (p->source.binlog_retention_min / 1000 + 3599) / 3600;
	if (need_h < 1)
		need_h = 1;
	snprintf(fix, sizeof(fix), "CALL mysql.rds_set_configuration('binlog "
	    "retention hours', %lld) on the target", need_h);
	if (res->err != 0) {
		pf_note(pf, PFC_REVERSE, PF_WARN, fix, "target: cannot read "
		    "RDS's binlog retention hours (CALL "
		    "mysql.rds_show_configuration: %s)", res->error ?
		    res->error : "failed");
		goto done;
	}
	for (r = 0; r < res->nrows; r++) {
		name = mydb_get(res, r, "name");
		if (name != NULL && strcasecmp(name, "binlog retention hours")
		    == 0)
			value = mydb_get(res, r, "value");
	}
	if (value == NULL || strcasecmp(value, "NULL") == 0 ||
	    atoll(value) <= 0)
		pf_note(pf, PFC_REVERSE, PF_WARN, fix, "target: RDS's binlog "
		    "retention hours is not set, so RDS purges binary logs as "
		    "soon as it can: reverse replication breaks if the source "
		    "falls behind");
	else if (atoll(value) < need_h)
		pf_note(pf, PFC_REVERSE, PF_WARN, fix, "target: RDS keeps "
		    "binary logs %s hours, less than "
		    "source.binlog_retention_min (%lld hours)", value, need_h);
	else
		pf_info(pf, PFC_REVERSE, "log_bin ON; RDS keeps binary logs "
		    "%s hours", value);
done:
	pf_done(pf);
}

void
pfdba_reverse(struct pf *pf)
{
	if (!pf->m->plan->cutover.reverse_replication) {
		pf_skip(pf, PFC_REVERSE, "cutover.reverse_replication = no");
		return;
	}
	pf_query(pf, PFC_REVERSE, pfdba_tgt(pf), "SHOW GLOBAL VARIABLES "
	    "WHERE Variable_name IN ('log_bin', 'binlog_format', "
	    "'expire_logs_days', 'binlog_expire_logs_seconds')",
	    reverse_vars_cb);
	if (pf->m->plan->target.kind == TARGET_RDS)
		pf_query(pf, PFC_REVERSE, pfdba_tgt(pf), "CALL "
		    "mysql.rds_show_configuration", reverse_rds_cb);
}

/* --- parallel apply on the target against the source's sessions --- */

static void
apply_vars_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;
	const char	*n, *mode;

	if (pf_answer(pf, PFC_TGT_APPLY, res, "target") != 0)
		goto done;
	pf->apply_maria = mydb_var(res, "slave_parallel_threads") != NULL;
	if (pf->apply_maria) {
		n = mydb_var(res, "slave_parallel_threads");
		mode = mydb_var(res, "slave_parallel_mode");
	} else {
		if ((n = mydb_var(res, "replica_parallel_workers")) == NULL)
			n = mydb_var(res, "slave_parallel_workers");
		if ((mode = mydb_var(res, "replica_parallel_type")) == NULL)
			mode = mydb_var(res, "slave_parallel_type");
	}
	snprintf(pf->apply_n, sizeof(pf->apply_n), "%s", n ? n : "0");
	snprintf(pf->apply_mode, sizeof(pf->apply_mode), "%s",
	    mode ? mode : "?");
	pf->have_apply = 1;
done:
	pf_done(pf);
}

static void
apply_conns_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;
	const char	*v;

	if (pf_answer(pf, PFC_TGT_APPLY, res, "source") == 0 &&
	    (v = mydb_var(res, "Threads_connected")) != NULL)
		pf->src_conns = atoll(v);
	pf_done(pf);
}

void
pfdba_apply(struct pf *pf)
{
	pf_query(pf, PFC_TGT_APPLY, pfdba_tgt(pf), "SHOW GLOBAL VARIABLES "
	    "WHERE Variable_name IN ('slave_parallel_threads', "
	    "'slave_parallel_mode', 'slave_parallel_workers', "
	    "'slave_parallel_type', 'replica_parallel_workers', "
	    "'replica_parallel_type')", apply_vars_cb);
	pf_query(pf, PFC_TGT_APPLY, pfdba_src(pf), "SHOW GLOBAL STATUS LIKE "
	    "'Threads_connected'", apply_conns_cb);
}

/*
 * One applier thread replays in order what the source's sessions commit
 * side by side: at a high commit rate the target falls behind for good.
 */
void
pfdba_apply_judge(struct pf *pf)
{
	const char	*wv, *tv;
	char		 fix[600];
	long long	 others;

	if (!pf->have_apply || pf->src_conns < 0)
		return;
	others = pf->src_conns - PFDBA_OWN_CONNS;
	wv = pf->apply_maria ? "slave_parallel_threads" :
	    "replica_parallel_workers";
	tv = pf->apply_maria ? "slave_parallel_mode" : "replica_parallel_type";
	if (atoll(pf->apply_n) <= 1 && others >= PFDBA_APPLY_CONNS) {
		catchup_advice(fix, sizeof(fix), pf->apply_maria,
		    pf->m->plan->target.kind == TARGET_RDS, wv, pf->apply_n,
		    tv, pf->apply_mode);
		pf_note(pf, PFC_TGT_APPLY, PF_WARN, fix, "target: applies "
		    "replication on one thread (%s = %s) while the source "
		    "has %lld other client connections (Threads_connected): "
		    "at a high commit rate the target may never catch up",
		    wv, pf->apply_n, others);
		return;
	}
	pf_info(pf, PFC_TGT_APPLY, "%s = %s (%s); the source has %lld other "
	    "client connections", wv, pf->apply_n, pf->apply_mode, others);
}

void
pfdba_free(struct pf *pf)
{
	size_t	i;

	for (i = 0; i < pf->ndefiners; i++)
		free(pf->definers[i]);
	free(pf->definers);
	for (i = 0; i < pf->naccounts; i++)
		free(pf->accounts[i]);
	free(pf->accounts);
}
