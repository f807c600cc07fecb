/*
 * preflight: the checks before anything moves. Every check runs, and every
 * failure is reported with what to fix, so an operator fixes all of them in
 * one round. Nothing here writes to a database.
 *
 * Local checks (the plan, its secret files, conflicts with other
 * migrations) run first; the database checks are queries on the source,
 * the target and a connection as the replication user, all in flight at
 * once. The AWS checks run alongside them: STS first (credentials and
 * clock), then, if it answered, the listener, the target groups, the ECS
 * service, the gates' alarms and the writer method's check, all at once.
 * When STS fails every other call would fail the same way, so only that
 * failure is reported. DigitalOcean is asked for the droplets by tag, and
 * they are matched against the droplet target group's targets. The
 * verdict is given when the last answer is in.
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "aws.h"
#include "cloudwatch.h"
#include "conf.h"
#include "config.h"
#include "daemon.h"
#include "dbpair.h"
#include "digitalocean.h"
#include "driver.h"
#include "ecs.h"
#include "elbv2.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "mydialect.h"
#include "plan.h"
#include "store.h"
#include "sts.h"
#include "writer.h"
#include "xmalloc.h"

/* SigV4 refuses requests this far from AWS's clock. */
#define PF_MAX_SKEW_S	300
/*
 * AWS's messages can be long: a signature mismatch's carries the canonical
 * request, over several lines. Its first line, at most 300 bytes, trimmed
 * by the one helper the writer methods quote AWS with.
 */
#define PF_AWS_MSG	"%.*s"
#define PF_AWS_ARG(s)	WRITER_AWS_ARG(s)

struct pf {
	struct job		*job;
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

	/* AWS calls in flight, cancelled with the job. */
	struct aws		*aws;
	struct aws_call		*sts;
	struct elbv2_call	*lst, *tgs, *th;
	struct ecs_call		*svc;
	struct cw_call		*alarms;
	struct writer_check	 writer;	/* the writer method's */

	/* The fleet: the droplet target group's targets, the tagged
	 * droplets, compared once both are in. */
	struct do_call		*dol;
	char			**tg_ips;
	size_t			 ntg_ips;
	int			 have_tg;
	char			**do_names, **do_ips, **do_public;
	size_t			 ndo;
	int			 have_do;
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
		    phase_has(o->phase, PHF_AT_REST))
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
	writer_preflight(&pf->writer);
}

/* Database checks: each answer is judged as it arrives. */

static void	pf_finish(struct pf *);
static void	pf_fleet(struct pf *);
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
strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
pf_free(struct pf *pf)
{
	mydb_free(pf->repl);
	free(pf->rds_have);
	strv_free(pf->tg_ips, pf->ntg_ips);
	strv_free(pf->do_names, pf->ndo);
	strv_free(pf->do_ips, pf->ndo);
	strv_free(pf->do_public, pf->ndo);
	free(pf);
}

/* The phase changed under us: forget every pending answer. */
static void
pf_cancel(void *arg)
{
	struct pf	*pf = arg;

	aws_cancel(pf->sts);
	elbv2_cancel(pf->lst);
	elbv2_cancel(pf->tgs);
	elbv2_cancel(pf->th);
	ecs_cancel(pf->svc);
	cw_cancel(pf->alarms);
	writer_preflight_cancel(&pf->writer);
	do_cancel(pf->dol);

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

	pf_cross(pf);
	pf_fleet(pf);
	if (pf->failed == 0) {
		job_end(pf->job, pf, pf_cancel, MEV_CHECKS_PASSED,
		    "every check passed");
		return;
	}
	log_warnx("%s: preflight: %s", m->name, pf->text);
	m->obs.checks_ok = 0;
	job_end(pf->job, pf, pf_cancel, MEV_CHECKS_FAILED, pf->text);
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

	if ((pf->db = job_db(pf->job, why, sizeof(why))) == NULL) {
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

/*
 * AWS checks. Each callback clears its handle, judges its answer, and
 * counts itself done like a database answer.
 */

static void
pf_aws_done(struct pf *pf)
{
	pf->pending--;
	pf_done(pf);
}

/* The writer method's check reports here. */
static void
pf_writer_fail(void *arg, const char *msg)
{
	pf_fail(arg, "%s", msg);
}

static void
pf_writer_done(void *arg)
{
	pf_aws_done(arg);
}

/* An IPv4 address on a range a VPN or peering reaches: RFC 1918, 100.64/10. */
static int
private_ipv4(const char *s)
{
	struct in_addr	a;
	uint32_t	ip;

	if (inet_pton(AF_INET, s, &a) != 1)
		return 0;
	ip = ntohl(a.s_addr);
	return (ip >> 24) == 10 || (ip >> 20) == (172 << 4 | 1) ||
	    (ip >> 16) == (192 << 8 | 168) || (ip >> 22) == (100 << 2 | 1);
}

/*
 * A warning: preflight still passes. Sessions kept in the droplets' memory
 * would be split between the fleets while both take users, unless the
 * forward's target group stickiness holds each user on one.
 */
static void
pf_sticky(struct pf *pf, const struct elbv2_listener *l)
{
	char	msg[512];

	if (pf->m->plan->traffic.stickiness > 0 || l->forward.stickiness.enabled)
		return;
	snprintf(msg, sizeof(msg), "preflight: warning: the listener's "
	    "forward has target group stickiness off and the plan does not "
	    "set traffic.stickiness: while both fleets take users, a user's "
	    "requests alternate between them and sessions kept in a droplet's "
	    "memory are lost; set traffic.stickiness (e.g. 1h) or keep "
	    "sessions in a shared store");
	store_journal(pf->d->store, pf->m->id, "warning", msg);
	log_warnx("%s: %s", pf->m->name, msg);
}

static void
pf_listener_cb(void *arg, const struct elbv2_listener *l,
    const struct api_err *err)
{
	struct pf		*pf = arg;
	const struct plan	*p = pf->m->plan;
	int			 in = 0;

	pf->lst = NULL;
	if (err != NULL) {
		pf_fail(pf, "listener: " PF_AWS_MSG "; check "
		    "traffic.listener_arn", PF_AWS_ARG(err->text));
		goto done;
	}
	if (l->nactions > 1)
		pf_fail(pf, "listener: it has %zu default actions (%s among "
		    "them); setting weights replaces them all, so make its "
		    "default action a single forward (move authentication to "
		    "a listener rule)", l->nactions, l->action_type ?
		    l->action_type : "?");
	else if (!l->is_forward)
		pf_fail(pf, "listener: its default action is %s, not forward; "
		    "make it forward to traffic.droplet_target_group_arn",
		    l->action_type ? l->action_type : "unknown");
	if (!l->is_forward)
		goto done;
	if (elbv2_forward_weight(&l->forward, p->traffic.droplet_tg_arn) < 0)
		pf_fail(pf, "listener: its forward action does not send to "
		    "traffic.droplet_target_group_arn; point it at the "
		    "droplets' target group (or fix the plan)");
	in = elbv2_forward_weight(&l->forward, p->traffic.ecs_tg_arn) >= 0;
	if (l->forward.ntgs + !in > ELBV2_MAX_FORWARD_TGS)
		pf_fail(pf, "listener: its forward action has %zu target "
		    "groups; with the ECS one it would have more than %d, "
		    "AWS's limit; remove the others", l->forward.ntgs,
		    ELBV2_MAX_FORWARD_TGS);
	pf_sticky(pf, l);
done:
	pf_aws_done(pf);
}

static void
pf_health_cb(void *arg, const struct elbv2_target_healths *th,
    const struct api_err *err)
{
	struct pf	*pf = arg;
	size_t		 i;

	pf->th = NULL;
	if (err != NULL)
		pf_fail(pf, "droplet target group: " PF_AWS_MSG,
		    PF_AWS_ARG(err->text));
	else if (th->n == 0)
		pf_fail(pf, "droplet target group: no targets registered; "
		    "register the droplets' private IP addresses");
	else {
		pf->have_tg = 1;
		pf->tg_ips = xcalloc(th->n, sizeof(*pf->tg_ips));
		for (i = 0; i < th->n; i++) {
			pf->tg_ips[pf->ntg_ips++] = xstrdup(th->v[i].id);
			if (!private_ipv4(th->v[i].id))
				pf_fail(pf, "droplet target group: target %s "
				    "is not on a private range (10/8, "
				    "172.16/12, 192.168/16, 100.64/10); "
				    "register the droplets' private addresses, "
				    "reached over a VPN or peering",
				    th->v[i].id);
		}
	}
	pf_aws_done(pf);
}

static const struct elbv2_target_group *
tg_find(const struct elbv2_target_groups *tgs, const char *arn)
{
	size_t	i;

	for (i = 0; i < tgs->n; i++)
		if (tgs->v[i].arn != NULL && strcmp(tgs->v[i].arn, arn) == 0)
			return &tgs->v[i];
	return NULL;
}

static void
pf_tgs_cb(void *arg, const struct elbv2_target_groups *tgs,
    const struct api_err *err)
{
	struct pf			*pf = arg;
	const struct plan		*p = pf->m->plan;
	const struct elbv2_target_group	*dt, *et;

	pf->tgs = NULL;
	if (err != NULL) {
		pf_fail(pf, "target groups: " PF_AWS_MSG "; check "
		    "traffic.droplet_target_group_arn and "
		    "traffic.ecs_target_group_arn", PF_AWS_ARG(err->text));
		goto done;
	}
	if ((dt = tg_find(tgs, p->traffic.droplet_tg_arn)) == NULL)
		pf_fail(pf, "droplet target group: not found; check "
		    "traffic.droplet_target_group_arn");
	if ((et = tg_find(tgs, p->traffic.ecs_tg_arn)) == NULL)
		pf_fail(pf, "ECS target group: not found; check "
		    "traffic.ecs_target_group_arn");
	if (dt != NULL && et != NULL && (dt->vpc_id == NULL ||
	    et->vpc_id == NULL || strcmp(dt->vpc_id, et->vpc_id) != 0))
		pf_fail(pf, "the target groups are in different VPCs (%s, %s); "
		    "one listener forwards to target groups of its own VPC",
		    dt->vpc_id ? dt->vpc_id : "none",
		    et->vpc_id ? et->vpc_id : "none");
	if (dt == NULL)
		goto done;
	if (dt->target_type == NULL || strcmp(dt->target_type, "ip") != 0) {
		pf_fail(pf, "droplet target group: its target type is %s; "
		    "droplets can only be ip targets: create one with "
		    "--target-type ip", dt->target_type ? dt->target_type :
		    "unknown");
		goto done;
	}
	pf->pending++;
	if ((pf->th = elbv2_describe_target_health(pf->aws,
	    p->traffic.droplet_tg_arn, NULL, 0, pf_health_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, "droplet target group: cannot ask for its targets "
		    "(see the log)");
	}
done:
	pf_aws_done(pf);
}

static void
pf_service_cb(void *arg, const struct ecs_service *s,
    const struct api_err *err)
{
	struct pf		*pf = arg;
	const struct plan	*p = pf->m->plan;
	char			 why[512];
	size_t			 i;
	int			 found = 0;

	pf->svc = NULL;
	if (err != NULL) {
		pf_fail(pf, "ECS service %s/%s: " PF_AWS_MSG "; check "
		    "traffic.ecs_cluster and traffic.ecs_service",
		    p->traffic.ecs_cluster, p->traffic.ecs_service,
		    PF_AWS_ARG(err->text));
		goto done;
	}
	if (s->status == NULL || strcmp(s->status, "ACTIVE") != 0)
		pf_fail(pf, "ECS service %s/%s is %s, not ACTIVE; create it "
		    "again or fix traffic.ecs_service", p->traffic.ecs_cluster,
		    p->traffic.ecs_service, s->status ? s->status : "unknown");
	if (!ecs_rolling_controller(s, why, sizeof(why)))
		pf_fail(pf, "ECS service %s/%s: %s; use the rolling deployment "
		    "controller (ECS, strategy ROLLING)",
		    p->traffic.ecs_cluster, p->traffic.ecs_service, why);
	for (i = 0; i < s->nlbs; i++)
		if (s->lbs[i].target_group_arn != NULL &&
		    strcmp(s->lbs[i].target_group_arn,
		    p->traffic.ecs_tg_arn) == 0)
			found = 1;
	if (!found)
		pf_fail(pf, "ECS service %s/%s does not register its tasks in "
		    "traffic.ecs_target_group_arn; add it to the service's "
		    "load balancers", p->traffic.ecs_cluster,
		    p->traffic.ecs_service);
done:
	pf_aws_done(pf);
}

static void
pf_alarms_cb(void *arg, const struct cw_alarms *al, const struct api_err *err)
{
	struct pf	*pf = arg;
	char		 firing[1024] = "";
	size_t		 i, len = 0;

	pf->alarms = NULL;
	if (err != NULL) {
		pf_fail(pf, "CloudWatch alarms: " PF_AWS_MSG "; check "
		    "gates.alarms", PF_AWS_ARG(err->text));
		goto done;
	}
	for (i = 0; i < al->n; i++) {
		if (al->v[i].st == CW_AL_NOT_FOUND)
			pf_fail(pf, "CloudWatch alarm %s does not exist; fix "
			    "gates.alarms", al->v[i].name);
		else if (al->v[i].st == CW_AL_ALARM && len < sizeof(firing))
			len += snprintf(firing + len, sizeof(firing) - len,
			    "%s%s", len ? ", " : "", al->v[i].name);
	}
	if (len > 0)
		pf_fail(pf, "CloudWatch alarms already in ALARM: %s; the gates "
		    "would stop the first step: resolve them first", firing);
done:
	pf_aws_done(pf);
}

/* STS answered: everything else, at once. */
static void
pf_aws_resources(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;
	const char		*tgs[2];
	size_t			 n;

	pf->pending++;
	if ((pf->lst = elbv2_describe_listener(pf->aws,
	    p->traffic.listener_arn, pf_listener_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, "listener: cannot ask for it (see the log); check "
		    "traffic.listener_arn");
	}
	tgs[0] = p->traffic.droplet_tg_arn;
	tgs[1] = p->traffic.ecs_tg_arn;
	pf->pending++;
	if ((pf->tgs = elbv2_describe_target_groups(pf->aws, tgs, 2,
	    pf_tgs_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, "target groups: cannot ask for them (see the log)");
	}
	pf->pending++;
	if ((pf->svc = ecs_describe_service(pf->aws, p->traffic.ecs_cluster,
	    p->traffic.ecs_service, pf_service_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, "ECS service: cannot ask for it (see the log)");
	}
	for (n = 0; p->gates.alarms != NULL && p->gates.alarms[n] != NULL;
	    n++)
		;
	if (n > CW_MAX_ALARMS) {
		pf_fail(pf, "gates.alarms names %zu alarms; at most %d", n,
		    CW_MAX_ALARMS);
		n = CW_MAX_ALARMS;
	}
	if (n > 0) {
		pf->pending++;
		if ((pf->alarms = cw_describe_alarms(pf->aws,
		    (const char *const *)p->gates.alarms, n, pf_alarms_cb,
		    pf)) == NULL) {
			pf->pending--;
			pf_fail(pf, "CloudWatch alarms: cannot ask for them "
			    "(see the log)");
		}
	}
	pf->writer.aws = pf->aws;
	pf->pending++;
	if (writer_preflight_aws(&pf->writer) == 0)
		pf->pending--;
}

static void
pf_sts_cb(void *arg, const struct sts_identity *id, const char *err)
{
	struct pf	*pf = arg;
	int64_t		 skew;

	pf->sts = NULL;
	if (err != NULL) {
		if (strstr(err, "ConnectionError") != NULL)
			pf_fail(pf, "AWS: cannot reach STS: " PF_AWS_MSG "; "
			    "check the network, and endpoint_sts in [aws] of "
			    "%s", PF_AWS_ARG(err), pf->d->conf_path);
		else
			pf_fail(pf, "AWS credentials: " PF_AWS_MSG "; give "
			    "migrated valid credentials (environment, [aws] "
			    "profile, instance or task role)", PF_AWS_ARG(err));
		goto done;
	}
	skew = id->skew_s < 0 ? -id->skew_s : id->skew_s;
	if (id->server_time != 0 && skew >= PF_MAX_SKEW_S)
		pf_fail(pf, "AWS: this machine's clock is %lld s %s AWS's; "
		    "requests are refused past %d s: fix its time "
		    "synchronisation (chrony, systemd-timesyncd)",
		    (long long)skew, id->skew_s > 0 ? "behind" : "ahead of",
		    PF_MAX_SKEW_S);
	log_info("%s: preflight: AWS account %s as %s", pf->m->name,
	    id->account ? id->account : "?", id->arn ? id->arn : "?");
	pf_aws_resources(pf);
done:
	pf_aws_done(pf);
}

/* An ARN's region: "arn:aws:elasticloadbalancing:REGION:...". */
static int
arn_in_region(const char *arn, const char *region)
{
	const char	*p = arn;
	int		 i;

	for (i = 0; i < 3 && p != NULL; i++)
		if ((p = strchr(p, ':')) != NULL)
			p++;
	return p == NULL || (strncmp(p, region, strlen(region)) == 0 &&
	    p[strlen(region)] == ':');
}

static void
pf_aws(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;
	const char		*region;
	char			 why[512];

	region = daemon_aws_region(pf->d, p);
	if ((pf->aws = daemon_aws(pf->d, region, why, sizeof(why))) ==
	    NULL) {
		pf_fail(pf, "%s", why);
		return;
	}
	if (!arn_in_region(p->traffic.listener_arn, region))
		pf_fail(pf, "traffic.listener_arn is not in region %s, where "
		    "the AWS calls go; set traffic.region in the plan",
		    region);
	pf->pending++;
	if ((pf->sts = sts_get_caller_identity(pf->aws, pf_sts_cb, pf)) ==
	    NULL) {
		pf->pending--;
		pf_fail(pf, "AWS: cannot ask STS who we are (see the log)");
	}
}

/* --- DigitalOcean: the droplets decommission will act on --- */

static void
pf_droplets_cb(void *arg, const struct do_droplets *ds,
    const struct api_err *err)
{
	struct pf		*pf = arg;
	const struct plan	*p = pf->m->plan;
	size_t			 i;

	pf->dol = NULL;
	if (err != NULL)
		pf_fail(pf, "DigitalOcean: " PF_AWS_MSG "; check "
		    "decommission.do_token_file and traffic.droplet_tag",
		    PF_AWS_ARG(err->text));
	else if (ds->n == 0)
		pf_fail(pf, "DigitalOcean: no droplet has the tag %s; check "
		    "traffic.droplet_tag", p->traffic.droplet_tag);
	else {
		pf->have_do = 1;
		pf->do_names = xcalloc(ds->n, sizeof(char *));
		pf->do_ips = xcalloc(ds->n, sizeof(char *));
		pf->do_public = xcalloc(ds->n, sizeof(char *));
		for (i = 0; i < ds->n; i++) {
			pf->do_names[i] = xstrdup(ds->v[i].name);
			pf->do_ips[i] = xstrdup(ds->v[i].private_ip);
			pf->do_public[i] = xstrdup(ds->v[i].public_ip);
		}
		pf->ndo = ds->n;
	}
	pf_aws_done(pf);
}

static int
strv_has(char **v, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; s != NULL && i < n; i++)
		if (v[i] != NULL && strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/*
 * The tag decides what decommission deletes, the target group what
 * serves: they must name the same machines, and not the source
 * database's.
 */
static void
pf_fleet(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;
	const char		*tag = p->traffic.droplet_tag;
	size_t			 i;

	if (!pf->have_do)
		return;
	for (i = 0; i < pf->ndo; i++) {
		if (pf->do_ips[i] == NULL)
			pf_fail(pf, "DigitalOcean: droplet %s has tag %s but no "
			    "private address, so it cannot be an ALB target; "
			    "remove the tag or enable VPC networking",
			    pf->do_names[i], tag);
		else if (pf->have_tg && !strv_has(pf->tg_ips, pf->ntg_ips,
		    pf->do_ips[i]))
			pf_fail(pf, "DigitalOcean: droplet %s (%s) has tag %s "
			    "but is not a target of the droplet target group: "
			    "decommission would delete it; remove the tag or "
			    "register it", pf->do_names[i], pf->do_ips[i], tag);
		if (strv_has(&pf->do_ips[i], 1, p->source.db.host) ||
		    strv_has(&pf->do_public[i], 1, p->source.db.host))
			pf_fail(pf, "DigitalOcean: droplet %s has tag %s and is "
			    "the source database (%s): decommission would "
			    "delete it; remove the tag", pf->do_names[i], tag,
			    p->source.db.host);
	}
	for (i = 0; pf->have_tg && i < pf->ntg_ips; i++)
		if (!strv_has(pf->do_ips, pf->ndo, pf->tg_ips[i]))
			pf_fail(pf, "droplet target group: target %s is no "
			    "droplet with tag %s, so decommission would leave "
			    "it running; tag it or deregister it",
			    pf->tg_ips[i], tag);
}

static void
pf_do(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;
	struct do_client	*c;
	char			 why[512];

	/* No tag: the droplets are not the daemon's to touch. */
	if (p->traffic.droplet_tag == NULL)
		return;
	if ((c = daemon_do(pf->d, p->decommission.do_token_file, why,
	    sizeof(why))) == NULL) {
		pf_fail(pf, "%s", why);
		return;
	}
	pf->pending++;
	if ((pf->dol = do_droplets_by_tag(c, p->traffic.droplet_tag,
	    pf_droplets_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, "DigitalOcean: cannot list the droplets (see the "
		    "log)");
	}
}

static void
preflight_enter(struct job *j, enum phase from)
{
	struct migration	*m = j->m;
	struct pf		*pf;

	/*
	 * Preflight starts from fresh connections: the operator may have
	 * fixed a password file or a server since the last try.
	 */
	job_db_reset(j);
	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		fatal("calloc");
	pf->job = j;
	pf->d = j->d;
	pf->m = m;
	pf->writer.d = j->d;
	pf->writer.m = m;
	pf->writer.fail = pf_writer_fail;
	pf->writer.done = pf_writer_done;
	pf->writer.arg = pf;
	job_own(j, pf);
	if (m->plan == NULL) {
		pf_fail(pf, "the plan does not parse; fix it and reload "
		    "(SIGHUP)");
		pf_finish(pf);
		return;
	}
	pf_local(pf);
	pf_databases(pf);
	pf_aws(pf);
	pf_do(pf);
	job_progress(j, "checking source, target, AWS and DigitalOcean");
	if (pf->pending == 0)
		pf_finish(pf);
}

const struct phase_driver preflight_driver = {
	.phase = PH_PREFLIGHT,
	.enter = preflight_enter,
	.cancel = pf_cancel,
};
