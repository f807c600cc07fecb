/*
 * preflight: the checks before anything moves. Every check runs, and every
 * failure is reported with what to fix, so an operator fixes all of them in
 * one round. Nothing here writes to a database.
 *
 * Local checks (the plan, its secret files, conflicts with other
 * migrations) run first; the database checks are queries on the source,
 * the target and a connection as the replication user, all in flight at
 * once; the verdict is given when the last answer is in. The AWS and
 * DigitalOcean checks arrive with their clients; until then preflight says
 * so and fails, having changed nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "dbpair.h"
#include "log.h"
#include "migrated.h"
#include "migration.h"
#include "mydb.h"
#include "mydialect.h"
#include "plan.h"
#include "preflight.h"
#include "runner.h"

struct pf {
	struct daemon		*d;
	struct migration	*m;
	struct dbpair		*db;
	struct mydb		*repl;		/* as the replication user */
	int			 pending;
	int			 failed;
	char			 text[8192];

	/* Answers the cross-checks need. */
	char			 src_version[128], tgt_version[128];
	long long		 src_server_id, tgt_server_id;
	int			 src_ok, tgt_ok;
	int			 rds_procs;	/* bit per needed procedure */
	char			*rds_have;	/* routine names, comma-separated */
};

static void
pf_fail(struct pf *pf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pf_fail(struct pf *pf, const char *fmt, ...)
{
	va_list	ap;
	size_t	len = strlen(pf->text);
	char	msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pf->failed++;
	/* Once is enough: every query of a dead server says the same. */
	if (strstr(pf->text, msg) != NULL)
		return;
	if (len > 0 && len + 2 < sizeof(pf->text)) {
		memcpy(pf->text + len, "; ", 3);
		len += 2;
	}
	snprintf(pf->text + len, sizeof(pf->text) - len, "%s", msg);
}

/* Local checks. */

static void
check_secret(struct pf *pf, const char *what, const char *path)
{
	char	why[512];

	if (path != NULL && conf_secret_file_ok(path, why, sizeof(why)) == -1)
		pf_fail(pf, "%s: %s", what, why);
}

static void
check_readable(struct pf *pf, const char *what, const char *path)
{
	if (path != NULL && access(path, R_OK) == -1)
		pf_fail(pf, "%s %s is not readable by migrated", what, path);
}

static int
same_db(const struct plan_db *a, const struct plan_db *b)
{
	return a->host != NULL && b->host != NULL &&
	    strcmp(a->host, b->host) == 0 && a->port == b->port;
}

static void
check_conflicts(struct pf *pf)
{
	const struct plan	*p = pf->m->plan, *q;
	struct migration	*o;
	size_t			 i;

	for (i = 0; i < pf->d->nmigs; i++) {
		o = pf->d->migs[i];
		if (o == pf->m || (q = o->plan) == NULL ||
		    o->phase == PH_PLANNED || phase_is_final(o->phase))
			continue;
		if (strcmp(p->traffic.listener_arn, q->traffic.listener_arn) ==
		    0)
			pf_fail(pf, "migration %s (%s) already shifts this "
			    "listener", o->name, phase_name(o->phase));
		if (same_db(&p->source.db, &q->source.db))
			pf_fail(pf, "migration %s (%s) already replicates "
			    "from %s:%d", o->name, phase_name(o->phase),
			    p->source.db.host, p->source.db.port);
		if (same_db(&p->target.db, &q->target.db))
			pf_fail(pf, "migration %s (%s) already writes to "
			    "target %s:%d", o->name, phase_name(o->phase),
			    p->target.db.host, p->target.db.port);
	}
}

static void
pf_local(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;

	check_secret(pf, "source.password_file", p->source.db.password_file);
	check_secret(pf, "source.repl_password_file",
	    p->source.repl_password_file);
	check_secret(pf, "target.password_file", p->target.db.password_file);
	check_secret(pf, "decommission.do_token_file",
	    p->decommission.do_token_file);
	check_readable(pf, "source.ca_file", p->source.db.ca_file);
	check_readable(pf, "target.ca_file", p->target.db.ca_file);
	check_conflicts(pf);
}

/* Database checks: each answer is judged as it arrives. */

static void	pf_finish(struct pf *);
static void	pf_query(struct pf *, struct mydb *, const char *, mydb_cb);
static void	tgt_replica_cb(void *, struct mydb_result *);

static int
pf_answer(struct pf *pf, struct mydb_result *res, const char *who)
{
	pf->pending--;
	if (res->err == 0)
		return 0;
	pf_fail(pf, "%s: %s (error %u); check its host, port, user and "
	    "password file", who, res->error ? res->error : "failed",
	    res->err);
	return -1;
}

static void
pf_done(struct pf *pf)
{
	if (pf->pending == 0)
		pf_finish(pf);
}

/*
 * A privilege in a GRANT line as a whole item of its list: "REPLICATION
 * SLAVE" is not found in "REPLICATION SLAVE ADMIN".
 */
static int
grant_lists(const char *g, const char *priv)
{
	const char	*at, *end;
	size_t		 len = strlen(priv);

	for (at = g; (at = strcasestr(at, priv)) != NULL; at += len) {
		end = at + len;
		if (at > g && at[-1] != ' ' && at[-1] != ',')
			continue;
		if (*end == ',' || strncasecmp(end, " ON ", 4) == 0)
			return 1;
	}
	return 0;
}

/* A grant list contains a privilege ON *.* (SHOW GRANTS text). */
static int
grants_have(const struct mydb_result *res, const char *priv)
{
	unsigned long long	r;

	for (r = 0; r < res->nrows; r++) {
		const char	*g = res->rows[r][0];

		if (g == NULL || strcasestr(g, " ON *.*") == NULL)
			continue;
		if (strcasestr(g, "GRANT ALL PRIVILEGES ON *.*") != NULL ||
		    grant_lists(g, priv))
			return 1;
	}
	return 0;
}

static void
src_version_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;
	const char	*v, *id;

	if (pf_answer(pf, res, "source") == 0) {
		v = mydb_get(res, 0, "version");
		id = mydb_get(res, 0, "server_id");
		snprintf(pf->src_version, sizeof(pf->src_version), "%s",
		    v ? v : "");
		pf->src_server_id = id ? atoll(id) : 0;
		if (mydialect_from_version(pf->src_version,
		    &pf->db->sd) == -1)
			pf_fail(pf, "source: version %s is not supported "
			    "(MySQL 5.7 or later, MariaDB 10.3 or later)",
			    pf->src_version);
		else {
			pf->db->sd_known = 1;
			pf->src_ok = 1;
		}
		if (pf->src_server_id == 0)
			pf_fail(pf, "source: server_id is 0; set a unique "
			    "server_id in its my.cnf and restart it");
	}
	pf_done(pf);
}

static const char *
var(const struct mydb_result *res, const char *name)
{
	unsigned long long	r;

	for (r = 0; r < res->nrows; r++)
		if (res->rows[r][0] != NULL &&
		    strcasecmp(res->rows[r][0], name) == 0)
			return res->rows[r][1];
	return NULL;
}

static void
src_vars_cb(void *arg, struct mydb_result *res)
{
	struct pf		*pf = arg;
	const struct plan	*p = pf->m->plan;
	const char		*v;
	long long		 keep_s = -1;

	if (pf_answer(pf, res, "source") == 0) {
		v = var(res, "log_bin");
		if (v == NULL || strcasecmp(v, "ON") != 0)
			pf_fail(pf, "source: log_bin is %s; enable the binary "
			    "log (log_bin in my.cnf) and restart it",
			    v ? v : "absent");
		v = var(res, "binlog_format");
		if (v == NULL || strcasecmp(v, "ROW") != 0)
			pf_fail(pf, "source: binlog_format is %s; set "
			    "binlog_format=ROW (SET GLOBAL and my.cnf)",
			    v ? v : "absent");
		v = var(res, "binlog_row_image");
		if (v != NULL && strcasecmp(v, "FULL") != 0)
			pf_fail(pf, "source: binlog_row_image is %s; set "
			    "binlog_row_image=FULL", v);
		if ((v = var(res, "binlog_expire_logs_seconds")) != NULL &&
		    atoll(v) > 0)
			keep_s = atoll(v);
		else if ((v = var(res, "expire_logs_days")) != NULL &&
		    atof(v) > 0)
			keep_s = (long long)(atof(v) * 86400);
		/* 0 everywhere: binary logs are kept until purged by hand. */
		if (keep_s > 0 && keep_s * 1000 <
		    p->source.binlog_retention_min)
			pf_fail(pf, "source: binary logs are kept %llds, less "
			    "than source.binlog_retention_min (%llds); raise "
			    "binlog_expire_logs_seconds", keep_s,
			    (long long)(p->source.binlog_retention_min / 1000));
	}
	pf_done(pf);
}

static void
src_grants_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;

	if (pf_answer(pf, res, "source") == 0) {
		if (!grants_have(res, "SUPER") &&
		    !grants_have(res, "READ_ONLY ADMIN") &&
		    !grants_have(res, "SYSTEM_VARIABLES_ADMIN"))
			pf_fail(pf, "source: %s cannot set read_only for the "
			    "freeze; GRANT READ ONLY ADMIN (MariaDB) or "
			    "SYSTEM_VARIABLES_ADMIN (MySQL) ON *.*",
			    pf->m->plan->source.db.user);
		if (!grants_have(res, "RELOAD") ||
		    (!grants_have(res, "REPLICATION CLIENT") &&
		    !grants_have(res, "BINLOG MONITOR")))
			pf_fail(pf, "source: %s needs RELOAD and REPLICATION "
			    "CLIENT (BINLOG MONITOR) ON *.* for a consistent "
			    "dump with coordinates", pf->m->plan->source.db.user);
	}
	pf_done(pf);
}

/* Accounts that are not the application's: the daemon's own, system ones. */
static int
exempt_account(const struct pf *pf, const char *grantee)
{
	static const char *const system[] = {
		"'root'@'localhost'", "'mariadb.sys'@'localhost'",
		"'mysql.sys'@'localhost'", "'mysql.session'@'localhost'",
		"'mysql.infoschema'@'localhost'", "'rdsadmin'@'localhost'",
	};
	char	own[200];
	size_t	i;

	for (i = 0; i < sizeof(system) / sizeof(system[0]); i++)
		if (strcmp(grantee, system[i]) == 0)
			return 1;
	snprintf(own, sizeof(own), "'%s'@", pf->m->plan->source.db.user);
	if (strncmp(grantee, own, strlen(own)) == 0)
		return 1;
	snprintf(own, sizeof(own), "'%s'@", pf->m->plan->source.repl_user);
	return strncmp(grantee, own, strlen(own)) == 0;
}

static void
src_writers_cb(void *arg, struct mydb_result *res)
{
	struct pf		*pf = arg;
	unsigned long long	 r;
	const char		*who, *priv;

	/*
	 * Accounts that write through read_only would commit on the old
	 * source after the freeze, and those commits would never reach
	 * the target: refuse them.
	 */
	if (pf_answer(pf, res, "source") == 0)
		for (r = 0; r < res->nrows; r++) {
			who = mydb_get(res, r, "GRANTEE");
			priv = mydb_get(res, r, "PRIVILEGE_TYPE");
			if (who == NULL || exempt_account(pf, who))
				continue;
			/* Which privileges write through depends on the server
			 * (SUPER no longer does on MariaDB 10.11). */
			if (pf->db->sd_known && priv != NULL &&
			    (pf->db->sd.read_only_priv == NULL ||
			    strcmp(priv, pf->db->sd.read_only_priv) != 0) &&
			    (pf->db->sd.read_only_priv_alt == NULL ||
			    strcmp(priv, pf->db->sd.read_only_priv_alt) != 0))
				continue;
			pf_fail(pf, "source: account %s has %s and could "
			    "write through read_only during the freeze (its "
			    "writes would be lost); REVOKE %s from it, or "
			    "have the application use another account", who,
			    priv, priv);
		}
	pf_done(pf);
}

static void
repl_grants_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;

	if (pf_answer(pf, res, "replication user") == 0) {
		if (!grants_have(res, "REPLICATION SLAVE"))
			pf_fail(pf, "source: %s lacks REPLICATION SLAVE ON *.*",
			    pf->m->plan->source.repl_user);
		if (!grants_have(res, "REPLICATION CLIENT") &&
		    !grants_have(res, "BINLOG MONITOR") &&
		    !grants_have(res, "SLAVE MONITOR"))
			pf_fail(pf, "source: %s lacks REPLICATION CLIENT ON *.*",
			    pf->m->plan->source.repl_user);
	}
	/* The replication user's connection is done: close it from the loop. */
	pf_done(pf);
}

static void
tgt_version_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;
	const char	*v, *id, *ro;

	if (pf_answer(pf, res, "target") == 0) {
		v = mydb_get(res, 0, "version");
		id = mydb_get(res, 0, "server_id");
		ro = mydb_get(res, 0, "read_only");
		snprintf(pf->tgt_version, sizeof(pf->tgt_version), "%s",
		    v ? v : "");
		pf->tgt_server_id = id ? atoll(id) : 0;
		if (mydialect_from_version(pf->tgt_version,
		    &pf->db->td) == -1)
			pf_fail(pf, "target: version %s is not supported",
			    pf->tgt_version);
		else {
			pf->db->td_known = 1;
			pf->tgt_ok = 1;
		}
		if (ro != NULL && strcmp(ro, "0") != 0)
			pf_fail(pf, "target: read_only is on; the import and "
			    "the writer switch need a writable target");
		/* MySQL 8.4 has no SHOW SLAVE STATUS: ask in its words. */
		if (pf->tgt_ok)
			pf_query(pf, pf->db->tgt,
			    dbpair_status_sql(pf->db, pf->m->plan), tgt_replica_cb);
	}
	pf_done(pf);
}

static void
tgt_grants_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;

	if (pf_answer(pf, res, "target") == 0 &&
	    (!grants_have(res, "INSERT") || !grants_have(res, "CREATE")))
		pf_fail(pf, "target: %s cannot create and write tables "
		    "ON *.*; the import needs it",
		    pf->m->plan->target.db.user);
	pf_done(pf);
}

static void
tgt_replica_cb(void *arg, struct mydb_result *res)
{
	struct pf		*pf = arg;
	const struct plan	*p = pf->m->plan;
	const char		*host;

	if (pf_answer(pf, res, "target") == 0 && res->nrows > 0) {
		host = mydialect_status(res, 0, "Source_Host");
		if (host != NULL && *host != '\0' &&
		    strcmp(host, p->source.db.host) != 0)
			pf_fail(pf, "target: already replicates from %s; "
			    "reset its replication or choose another target",
			    host);
	}
	pf_done(pf);
}

static void
tgt_routines_cb(void *arg, struct mydb_result *res)
{
	struct pf		*pf = arg;
	unsigned long long	 r;
	size_t			 len = 0, need = 2;

	if (pf_answer(pf, res, "target") == 0) {
		for (r = 0; r < res->nrows; r++)
			if (res->rows[r][0] != NULL)
				need += strlen(res->rows[r][0]) + 1;
		if ((pf->rds_have = calloc(1, need)) == NULL)
			fatal("calloc");
		pf->rds_have[len++] = ',';
		for (r = 0; r < res->nrows; r++)
			if (res->rows[r][0] != NULL)
				len += snprintf(pf->rds_have + len, need - len,
				    "%s,", res->rows[r][0]);
	}
	pf_done(pf);
}

static void
need_routine(struct pf *pf, const char *qualified)
{
	const char	*name = strchr(qualified, '.');
	char		 pat[96];

	name = name ? name + 1 : qualified;
	snprintf(pat, sizeof(pat), ",%s,", name);
	if (pf->rds_have == NULL || strstr(pf->rds_have, pat) == NULL)
		pf_fail(pf, "target: procedure %s is missing; is target.kind "
		    "= rds right for this server?", qualified);
}

/* Judgements that need both answers. */
static void
pf_cross(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;
	const struct mydialect	*s = &pf->db->sd, *t = &pf->db->td;

	if (!pf->src_ok || !pf->tgt_ok)
		return;
	if (pf->src_server_id == pf->tgt_server_id)
		pf_fail(pf, "source and target share server_id %lld; give "
		    "the target another", pf->src_server_id);
	if (s->flavor == t->flavor && (t->major < s->major ||
	    (t->major == s->major && t->minor < s->minor)))
		pf_fail(pf, "target %s is older than source %s; replication "
		    "to an older server is not supported", pf->tgt_version,
		    pf->src_version);
	if (s->flavor == MYDB_MARIADB && t->flavor == MYDB_MYSQL)
		pf_fail(pf, "a MariaDB source cannot replicate into a MySQL "
		    "target");
	if (p->target.kind == TARGET_RDS) {
		need_routine(pf, t->rds_set_external);
		need_routine(pf, t->rds_reset_external);
		need_routine(pf, t->rds_start);
		need_routine(pf, t->rds_stop);
	}
}

static void
pf_free(struct pf *pf)
{
	mydb_free(pf->repl);
	free(pf->rds_have);
	free(pf);
}

/* The phase changed under us: forget every pending answer. */
static void
pf_cancel(void *arg)
{
	struct pf	*pf = arg;

	if (pf->db != NULL) {
		mydb_forget(pf->db->src, pf);
		mydb_forget(pf->db->tgt, pf);
	}
	pf_free(pf);
}

static void
pf_finish(struct pf *pf)
{
	struct migration	*m = pf->m;
	char			 why[256];

	pf_cross(pf);
	/* Named plainly: these checks need clients this build lacks. */
	pf_fail(pf, "the AWS and DigitalOcean checks are not in this build "
	    "of migrated; nothing was changed");
	runner_job_done(m, pf);
	if (pf->failed == 0)
		runner_fire(pf->d, m, MEV_CHECKS_PASSED, "every check passed",
		    why, sizeof(why));
	else {
		log_warnx("%s: preflight: %s", m->name, pf->text);
		m->obs.checks_ok = 0;
		runner_fire(pf->d, m, MEV_CHECKS_FAILED, pf->text, why,
		    sizeof(why));
	}
	pf_free(pf);
}

static void
pf_query(struct pf *pf, struct mydb *db, const char *sql, mydb_cb cb)
{
	pf->pending++;
	if (mydb_query(db, sql, cb, pf) == -1) {
		pf->pending--;
		pf_fail(pf, "%s: too many queries queued", mydb_name(db));
	}
}

static void
pf_databases(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;
	struct mydb_opts	 o;
	char			 name[96], why[512];

	if ((pf->db = runner_db(pf->d, pf->m, why, sizeof(why))) == NULL) {
		pf_fail(pf, "%s", why);
		return;
	}
	pf_query(pf, pf->db->src, "SELECT VERSION() AS version, "
	    "@@server_id AS server_id", src_version_cb);
	pf_query(pf, pf->db->src, "SHOW GLOBAL VARIABLES WHERE Variable_name "
	    "IN ('log_bin', 'binlog_format', 'binlog_row_image', "
	    "'expire_logs_days', 'binlog_expire_logs_seconds')", src_vars_cb);
	pf_query(pf, pf->db->src, "SHOW GRANTS", src_grants_cb);
	pf_query(pf, pf->db->src, "SELECT GRANTEE, PRIVILEGE_TYPE FROM "
	    "information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE IN "
	    "('SUPER', 'READ_ONLY ADMIN', 'CONNECTION_ADMIN')",
	    src_writers_cb);

	snprintf(name, sizeof(name), "%s replication user", pf->m->name);
	memset(&o, 0, sizeof(o));
	o.name = name;
	o.host = p->source.db.host;
	o.port = p->source.db.port;
	o.user = p->source.repl_user;
	o.password = pf->db->repl_pw;
	o.ca_file = p->source.db.ca_file;
	o.connect_timeout_ms = p->source.db.connect_timeout;
	pf->repl = mydb_new(pf->d->base, &o);
	pf_query(pf, pf->repl, "SHOW GRANTS", repl_grants_cb);

	pf_query(pf, pf->db->tgt, "SELECT VERSION() AS version, "
	    "@@server_id AS server_id, @@read_only AS read_only",
	    tgt_version_cb);
	pf_query(pf, pf->db->tgt, "SHOW GRANTS", tgt_grants_cb);
	if (p->target.kind == TARGET_RDS)
		pf_query(pf, pf->db->tgt, "SELECT ROUTINE_NAME FROM "
		    "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = "
		    "'mysql' AND ROUTINE_NAME LIKE 'rds\\\\_%'",
		    tgt_routines_cb);
}

void
preflight_run(struct daemon *d, struct migration *m)
{
	struct pf	*pf;

	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		fatal("calloc");
	pf->d = d;
	pf->m = m;
	runner_job(m, pf, pf_cancel);
	if (m->plan == NULL) {
		pf_fail(pf, "the plan does not parse; fix it and reload "
		    "(SIGHUP)");
		pf_finish(pf);
		return;
	}
	pf_local(pf);
	pf_databases(pf);
	runner_progress(m, "checking source and target");
	if (pf->pending == 0)
		pf_finish(pf);
}
