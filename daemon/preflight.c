/*
 * preflight: the checks before anything moves, as one list (pf_checks
 * below) that the preflight phase and `migratectl check` both run. Every
 * check runs, and every failure is reported with what to fix, so an
 * operator fixes all of them in one round. Nothing here writes anywhere.
 *
 * Local checks (the plan, its secret files, conflicts with other
 * migrations) run first; the database checks are queries on the source,
 * the target and a connection as the replication user, all in flight at
 * once (the DBA's among them live in pfdba.c). The AWS checks run
 * alongside them: STS first (credentials and clock), then, if it
 * answered, every row marked PF_AFTER_STS (the listener, the target
 * groups, the ECS service, the gates' alarms and the writer method's
 * check), all at once. When STS fails every other call would fail the
 * same way, so only that failure is reported and those rows are skipped.
 * DigitalOcean is asked for the droplets by tag, and they are matched
 * against the droplet target group's targets. The judges run and the
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
#include "estimate.h"
#include "job.h"
#include "pfcheck.h"
#include "preflight.h"
#include "proto.h"
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

/*
 * The list of checks: a new check is a row here (and its name in
 * pfcheck.h's enum). start runs when the run begins (PF_NOW) or once STS
 * has answered (PF_AFTER_STS: an AWS call needs the credentials); judge,
 * when every answer is in; fix is shown when a finding names none.
 */
enum pf_when { PF_NOW, PF_AFTER_STS };

static void	pf_files(struct pf *);
static void	check_conflicts(struct pf *);
static void	pf_writer_local(struct pf *);
static void	pf_src_server(struct pf *);
static void	pf_src_binlog(struct pf *);
static void	pf_src_grants(struct pf *);
static void	pf_src_writers(struct pf *);
static void	pf_repl_user(struct pf *);
static void	pf_tgt_server(struct pf *);
static void	pf_tgt_grants(struct pf *);
static void	pf_tgt_rds(struct pf *);
static void	pf_tgt_rds_judge(struct pf *);
static void	pf_cross(struct pf *);
static void	pf_aws(struct pf *);
static void	pf_listener(struct pf *);
static void	pf_tgs(struct pf *);
static void	pf_service(struct pf *);
static void	pf_alarms(struct pf *);
static void	pf_traffic(struct pf *);
static void	pf_writer_aws(struct pf *);
static void	pf_do(struct pf *);
static void	pf_fleet(struct pf *);

static const struct pf_check {
	const char	*name;
	enum pf_when	 when;
	void		(*start)(struct pf *);
	void		(*judge)(struct pf *);
	const char	*fix;
} pf_checks[PFC__COUNT] = {
	[PFC_FILES] = { "plan.files", PF_NOW, pf_files, NULL,
	    "make the plan's secret files mode 0600 and readable by migrated" },
	[PFC_CONFLICTS] = { "plan.conflicts", PF_NOW, check_conflicts, NULL,
	    "finish or delete the other migration first" },
	[PFC_WRITER] = { "writer", PF_NOW, pf_writer_local, NULL,
	    "fix the [writer] section of the plan" },
	[PFC_SRC_SERVER] = { "source.server", PF_NOW, pf_src_server, NULL,
	    "check [source] host, port, user and password_file" },
	[PFC_SRC_BINLOG] = { "source.binlog", PF_NOW, pf_src_binlog, NULL,
	    "log_bin on, binlog_format=ROW, binlog_row_image=FULL in the "
	    "source's my.cnf" },
	[PFC_SRC_GRANTS] = { "source.grants", PF_NOW, pf_src_grants, NULL,
	    "GRANT the source user what the freeze and the dump need" },
	[PFC_SRC_WRITERS] = { "source.read_only_writers", PF_NOW,
	    pf_src_writers, NULL,
	    "REVOKE the privilege that writes through read_only" },
	[PFC_REPL_USER] = { "source.repl_user", PF_NOW, pf_repl_user, NULL,
	    "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* to the "
	    "replication user" },
	[PFC_ENGINES] = { "source.engines", PF_NOW, pfdba_engines, NULL,
	    "ALTER TABLE ... ENGINE=InnoDB on the source" },
	[PFC_KEYS] = { "source.primary_keys", PF_NOW, pfdba_keys, NULL,
	    "ALTER TABLE ... ADD PRIMARY KEY on the source" },
	[PFC_SEED_TIME] = { "source.seed_time", PF_NOW, pfdba_size,
	    pfdba_seed_judge,
	    "keep the source's binary logs longer than the seed takes "
	    "(binlog_expire_logs_seconds)" },
	[PFC_TGT_SERVER] = { "target.server", PF_NOW, pf_tgt_server, NULL,
	    "check [target] host, port, user and password_file" },
	[PFC_TGT_GRANTS] = { "target.grants", PF_NOW, pf_tgt_grants, NULL,
	    "GRANT the target user CREATE and INSERT ON *.*" },
	[PFC_TGT_REPLICA] = { "target.replication", PF_NOW, NULL, NULL,
	    "reset the target's replication or choose another target" },
	[PFC_TGT_RDS] = { "target.rds_procedures", PF_NOW, pf_tgt_rds,
	    pf_tgt_rds_judge, "check target.kind" },
	[PFC_PAIR] = { "source_target", PF_NOW, NULL, pf_cross,
	    "choose a target of the source's flavor, as new or newer, with "
	    "another server_id" },
	[PFC_DEFINERS] = { "target.definers", PF_NOW, pfdba_definers, NULL,
	    "CREATE USER the DEFINER on the target, or change the object's "
	    "DEFINER on the source" },
	[PFC_APP_USERS] = { "target.app_users", PF_NOW, pfdba_app_users,
	    NULL, "CREATE USER the account on the target with its grants "
	    "(SHOW GRANTS FOR it on the source)" },
	[PFC_REVERSE] = { "target.reverse_binlog", PF_NOW, pfdba_reverse,
	    NULL, "turn the target's binary log on, ROW format, kept long "
	    "enough for the source to catch up" },
	[PFC_TGT_APPLY] = { "target.parallel_apply", PF_NOW, pfdba_apply,
	    pfdba_apply_judge, "apply replication on several threads on the "
	    "target (slave_parallel_threads, replica_parallel_workers)" },
	[PFC_AWS] = { "aws.credentials", PF_NOW, pf_aws, NULL,
	    "give migrated valid credentials and a synchronised clock" },
	[PFC_LISTENER] = { "aws.listener", PF_AFTER_STS, pf_listener, NULL,
	    "check traffic.listener_arn and its default action" },
	[PFC_TGS] = { "aws.target_groups", PF_AFTER_STS, pf_tgs, NULL,
	    "check traffic.droplet_target_group_arn and "
	    "traffic.ecs_target_group_arn" },
	[PFC_ECS] = { "aws.ecs_service", PF_AFTER_STS, pf_service, NULL,
	    "check traffic.ecs_cluster and traffic.ecs_service" },
	[PFC_ALARMS] = { "aws.alarms", PF_AFTER_STS, pf_alarms, NULL,
	    "check gates.alarms" },
	[PFC_TRAFFIC] = { "aws.traffic", PF_AFTER_STS, pf_traffic, NULL,
	    "use a longer traffic.bake or a larger first step, or lower "
	    "gates.min_requests" },
	[PFC_WRITER_AWS] = { "aws.writer", PF_AFTER_STS, pf_writer_aws, NULL,
	    "fix the [writer] section of the plan" },
	[PFC_DROPLETS] = { "digitalocean.droplets", PF_NOW, pf_do, pf_fleet,
	    "make traffic.droplet_tag name exactly the droplet target "
	    "group's targets" },
};

/* check's reply is one line: every row's detail, fix and keys fit it. */
_Static_assert(PFC__COUNT * (sizeof(((struct pf_row *)0)->detail) +
    sizeof(((struct pf_row *)0)->fix) + 128) < PROTO_LINE_MAX - 1024,
    "preflight: a check's reply would not fit one protocol line");

static const char *const pf_status_names[] = {
	[PF_PASS] = "pass", [PF_SKIP] = "skip", [PF_WARN] = "warn",
	[PF_FAIL] = "fail",
};

/* Append s to buf (of len) after "; ", unless it is there already. */
static void
pf_append(char *buf, size_t len, const char *s)
{
	size_t	used = strlen(buf);

	if (strstr(buf, s) != NULL)
		return;
	if (used > 0 && used + 2 < len) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	if (used < len)
		snprintf(buf + used, len - used, "%s", s);
}

static void
pf_vnote(struct pf *pf, enum pf_id id, enum pf_status st, const char *fix,
    const char *fmt, va_list ap)
{
	struct pf_row	*r = &pf->rows[id];
	char		 msg[1024], line[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	r->ran = 1;
	if (st > r->status)
		r->status = st;
	pf_append(r->detail, sizeof(r->detail), msg);
	if (fix != NULL)
		pf_append(r->fix, sizeof(r->fix), fix);
	if (st != PF_FAIL)
		return;
	/* Once is enough: every query of a dead server says the same. */
	if (fix != NULL)
		snprintf(line, sizeof(line), "%s; %s", msg, fix);
	else
		snprintf(line, sizeof(line), "%s", msg);
	pf_append(pf->text, sizeof(pf->text), line);
}

void
pf_fail(struct pf *pf, enum pf_id id, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	pf_vnote(pf, id, PF_FAIL, NULL, fmt, ap);
	va_end(ap);
}

void
pf_note(struct pf *pf, enum pf_id id, enum pf_status st, const char *fix,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	pf_vnote(pf, id, st, fix, fmt, ap);
	va_end(ap);
}

void
pf_info(struct pf *pf, enum pf_id id, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(pf->rows[id].info, sizeof(pf->rows[id].info), fmt, ap);
	va_end(ap);
	pf->rows[id].ran = 1;
}

void
pf_skip(struct pf *pf, enum pf_id id, const char *why)
{
	snprintf(pf->rows[id].info, sizeof(pf->rows[id].info), "%s", why);
	pf->rows[id].status = PF_SKIP;
	pf->rows[id].ran = 1;
}

void
pf_ran(struct pf *pf, enum pf_id id)
{
	pf->rows[id].ran = 1;
}

/* Local checks. */

static void
check_secret(struct pf *pf, const char *what, const char *path)
{
	char	why[512];

	if (path != NULL && conf_secret_file_ok(path, why, sizeof(why)) == -1)
		pf_fail(pf, PFC_FILES, "%s: %s", what, why);
}

static void
check_readable(struct pf *pf, const char *what, const char *path)
{
	if (path != NULL && access(path, R_OK) == -1)
		pf_fail(pf, PFC_FILES,
		    "%s %s is not readable by migrated", what, path);
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

	pf_ran(pf, PFC_CONFLICTS);

	for (i = 0; i < pf->d->nmigs; i++) {
		o = pf->d->migs[i];
		if (o == pf->m || (q = o->plan) == NULL ||
		    phase_has(o->phase, PHF_AT_REST))
			continue;
		if (strcmp(p->traffic.listener_arn, q->traffic.listener_arn) ==
		    0)
			pf_fail(pf, PFC_CONFLICTS,
			    "migration %s (%s) already shifts this "
			    "listener", o->name, phase_name(o->phase));
		if (same_db(&p->source.db, &q->source.db))
			pf_fail(pf, PFC_CONFLICTS,
			    "migration %s (%s) already replicates "
			    "from %s:%d", o->name, phase_name(o->phase),
			    p->source.db.host, p->source.db.port);
		if (same_db(&p->target.db, &q->target.db))
			pf_fail(pf, PFC_CONFLICTS,
			    "migration %s (%s) already writes to "
			    "target %s:%d", o->name, phase_name(o->phase),
			    p->target.db.host, p->target.db.port);
	}
}

static void
pf_files(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;

	pf_ran(pf, PFC_FILES);
	check_secret(pf, "source.password_file", p->source.db.password_file);
	check_secret(pf, "source.repl_password_file",
	    p->source.repl_password_file);
	check_secret(pf, "target.password_file", p->target.db.password_file);
	check_secret(pf, "decommission.do_token_file",
	    p->decommission.do_token_file);
	check_readable(pf, "source.ca_file", p->source.db.ca_file);
	check_readable(pf, "target.ca_file", p->target.db.ca_file);
}

static void
pf_writer_local(struct pf *pf)
{
	pf_ran(pf, PFC_WRITER);
	pf->writer_row = PFC_WRITER;
	writer_preflight(&pf->writer);
}

/* Database checks: each answer is judged as it arrives. */

static void	pf_finish(struct pf *);
static void	tgt_replica_cb(void *, struct mydb_result *);

int
pf_answer(struct pf *pf, enum pf_id id, struct mydb_result *res,
    const char *who)
{
	pf->pending--;
	pf_ran(pf, id);
	if (res->err == 0)
		return 0;
	pf_note(pf, id, PF_FAIL, "check its host, port, user and password "
	    "file", "%s: %s (error %u)", who, res->error ? res->error :
	    "failed", res->err);
	return -1;
}

void
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

	if (pf_answer(pf, PFC_SRC_SERVER, res, "source") == 0) {
		v = mydb_get(res, 0, "version");
		id = mydb_get(res, 0, "server_id");
		snprintf(pf->src_version, sizeof(pf->src_version), "%s",
		    v ? v : "");
		pf->src_server_id = id ? atoll(id) : 0;
		if (mydialect_from_version(pf->src_version,
		    &pf->db->sd) == -1)
			pf_fail(pf, PFC_SRC_SERVER,
			    "source: version %s is not supported "
			    "(MySQL 5.7 or later, MariaDB 10.3 or later)",
			    pf->src_version);
		else {
			pf->db->sd_known = 1;
			pf->src_ok = 1;
		}
		if (pf->src_server_id == 0)
			pf_fail(pf, PFC_SRC_SERVER,
			    "source: server_id is 0; set a unique "
			    "server_id in its my.cnf and restart it");
	}
	pf_done(pf);
}

static void
src_vars_cb(void *arg, struct mydb_result *res)
{
	struct pf		*pf = arg;
	const struct plan	*p = pf->m->plan;
	const char		*v;
	long long		 keep_s = -1;

	if (pf_answer(pf, PFC_SRC_BINLOG, res, "source") == 0) {
		v = mydb_var(res, "log_bin");
		if (v == NULL || strcasecmp(v, "ON") != 0)
			pf_fail(pf, PFC_SRC_BINLOG,
			    "source: log_bin is %s; enable the binary "
			    "log (log_bin in my.cnf) and restart it",
			    v ? v : "absent");
		v = mydb_var(res, "binlog_format");
		if (v == NULL || strcasecmp(v, "ROW") != 0)
			pf_fail(pf, PFC_SRC_BINLOG,
			    "source: binlog_format is %s; set "
			    "binlog_format=ROW (SET GLOBAL and my.cnf)",
			    v ? v : "absent");
		v = mydb_var(res, "binlog_row_image");
		if (v != NULL && strcasecmp(v, "FULL") != 0)
			pf_fail(pf, PFC_SRC_BINLOG,
			    "source: binlog_row_image is %s; set "
			    "binlog_row_image=FULL", v);
		if ((v = mydb_var(res, "binlog_expire_logs_seconds")) != NULL &&
		    atoll(v) > 0)
			keep_s = atoll(v);
		else if ((v = mydb_var(res, "expire_logs_days")) != NULL &&
		    atof(v) > 0)
			keep_s = (long long)(atof(v) * 86400);
		/* 0 everywhere: binary logs are kept until purged by hand. */
		pf->src_keep_s = keep_s > 0 ? keep_s : 0;
		if (keep_s > 0 && keep_s * 1000 <
		    p->source.binlog_retention_min)
			pf_fail(pf, PFC_SRC_BINLOG,
			    "source: binary logs are kept %llds, less "
			    "than source.binlog_retention_min (%llds); raise "
			    "binlog_expire_logs_seconds", keep_s,
			    (long long)(p->source.binlog_retention_min / 1000));
	}
	pf_done(pf);
}

/*
 * Verify's replicated checksums (an RDS for MariaDB target, a MySQL side)
 * log their statements by STATEMENT on the daemon's session: SET SESSION
 * binlog_format. Without it the comparison before the cutover would fail
 * in ready, at the moment the operator wants to cut over: refused now
 * where that comparison runs that way (cutover.verify_before on an RDS
 * target), a warning elsewhere (migratectl verify may need it).
 */
static void
src_grants_binlog(struct pf *pf, const struct mydb_result *res)
{
	const struct plan	*p = pf->m->plan;

	if (grants_have(res, "SUPER") || grants_have(res, "BINLOG ADMIN") ||
	    grants_have(res, "SYSTEM_VARIABLES_ADMIN") ||
	    grants_have(res, "SESSION_VARIABLES_ADMIN"))
		return;
	if (p->cutover.verify_before && p->target.kind == TARGET_RDS)
		pf_fail(pf, PFC_SRC_GRANTS, "source: %s cannot SET SESSION "
		    "binlog_format, which the data comparison before the "
		    "cutover (cutover.verify_before) needs on an RDS target "
		    "(replicated checksums); GRANT BINLOG ADMIN (MariaDB) or "
		    "SESSION_VARIABLES_ADMIN (MySQL) ON *.*, or set "
		    "cutover.verify_before = no", p->source.db.user);
	else
		pf_note(pf, PFC_SRC_GRANTS, PF_WARN, "GRANT BINLOG ADMIN "
		    "(MariaDB) or SESSION_VARIABLES_ADMIN (MySQL) ON *.*",
		    "source: %s cannot SET SESSION binlog_format: migratectl "
		    "verify fails where it compares by replicated checksums "
		    "(an RDS for MariaDB target, a MySQL side)",
		    p->source.db.user);
}

static void
src_grants_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;

	if (pf_answer(pf, PFC_SRC_GRANTS, res, "source") == 0) {
		if (!grants_have(res, "SUPER") &&
		    !grants_have(res, "READ_ONLY ADMIN") &&
		    !grants_have(res, "SYSTEM_VARIABLES_ADMIN"))
			pf_fail(pf, PFC_SRC_GRANTS,
			    "source: %s cannot set read_only for the "
			    "freeze; GRANT READ ONLY ADMIN (MariaDB) or "
			    "SYSTEM_VARIABLES_ADMIN (MySQL) ON *.*",
			    pf->m->plan->source.db.user);
		if (!grants_have(res, "RELOAD") ||
		    (!grants_have(res, "REPLICATION CLIENT") &&
		    !grants_have(res, "BINLOG MONITOR")))
			pf_fail(pf, PFC_SRC_GRANTS,
			    "source: %s needs RELOAD and REPLICATION "
			    "CLIENT (BINLOG MONITOR) ON *.* for a consistent "
			    "dump with coordinates",
			    pf->m->plan->source.db.user);
		src_grants_binlog(pf, res);
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
	if (pf_answer(pf, PFC_SRC_WRITERS, res, "source") == 0)
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
			pf_fail(pf, PFC_SRC_WRITERS,
			    "source: account %s has %s and could "
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

	if (pf_answer(pf, PFC_REPL_USER, res, "replication user") == 0) {
		if (!grants_have(res, "REPLICATION SLAVE"))
			pf_fail(pf, PFC_REPL_USER,
			    "source: %s lacks REPLICATION SLAVE ON *.*",
			    pf->m->plan->source.repl_user);
		if (!grants_have(res, "REPLICATION CLIENT") &&
		    !grants_have(res, "BINLOG MONITOR") &&
		    !grants_have(res, "SLAVE MONITOR"))
			pf_fail(pf, PFC_REPL_USER,
			    "source: %s lacks REPLICATION CLIENT ON *.*",
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

	if (pf_answer(pf, PFC_TGT_SERVER, res, "target") == 0) {
		v = mydb_get(res, 0, "version");
		id = mydb_get(res, 0, "server_id");
		ro = mydb_get(res, 0, "read_only");
		snprintf(pf->tgt_version, sizeof(pf->tgt_version), "%s",
		    v ? v : "");
		pf->tgt_server_id = id ? atoll(id) : 0;
		if (mydialect_from_version(pf->tgt_version,
		    &pf->db->td) == -1)
			pf_fail(pf, PFC_TGT_SERVER,
			    "target: version %s is not supported",
			    pf->tgt_version);
		else {
			pf->db->td_known = 1;
			pf->tgt_ok = 1;
		}
		if (ro != NULL && strcmp(ro, "0") != 0)
			pf_fail(pf, PFC_TGT_SERVER,
			    "target: read_only is on; the import and "
			    "the writer switch need a writable target");
		/* MySQL 8.4 has no SHOW SLAVE STATUS: ask in its words. */
		if (pf->tgt_ok)
			pf_query(pf, PFC_TGT_REPLICA, pf->db->tgt,
			    dbpair_status_sql(pf->db, pf->m->plan),
			    tgt_replica_cb);
	}
	pf_done(pf);
}

static void
tgt_grants_cb(void *arg, struct mydb_result *res)
{
	struct pf	*pf = arg;

	if (pf_answer(pf, PFC_TGT_GRANTS, res, "target") == 0 &&
	    (!grants_have(res, "INSERT") || !grants_have(res, "CREATE")))
		pf_fail(pf, PFC_TGT_GRANTS,
		    "target: %s cannot create and write tables "
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

	if (pf_answer(pf, PFC_TGT_REPLICA, res, "target") == 0 &&
	    res->nrows > 0) {
		host = mydialect_status(res, 0, "Source_Host");
		if (host != NULL && *host != '\0' &&
		    strcmp(host, p->source.db.host) != 0)
			pf_fail(pf, PFC_TGT_REPLICA,
			    "target: already replicates from %s; "
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

	if (pf_answer(pf, PFC_TGT_RDS, res, "target") == 0) {
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
		pf_fail(pf, PFC_TGT_RDS,
		    "target: procedure %s is missing; is target.kind "
		    "= rds right for this server?", qualified);
}

/* Judgements that need both answers. */
static void
pf_cross(struct pf *pf)
{
	const struct mydialect	*s, *t;

	if (!pf->src_ok || !pf->tgt_ok)
		return;
	s = &pf->db->sd;
	t = &pf->db->td;
	pf_ran(pf, PFC_PAIR);
	if (pf->src_server_id == pf->tgt_server_id)
		pf_fail(pf, PFC_PAIR,
		    "source and target share server_id %lld; give "
		    "the target another", pf->src_server_id);
	if (s->flavor == t->flavor && (t->major < s->major ||
	    (t->major == s->major && t->minor < s->minor)))
		pf_fail(pf, PFC_PAIR,
		    "target %s is older than source %s; replication "
		    "to an older server is not supported", pf->tgt_version,
		    pf->src_version);
	if (s->flavor == MYDB_MARIADB && t->flavor == MYDB_MYSQL)
		pf_fail(pf, PFC_PAIR,
		    "a MariaDB source cannot replicate into a MySQL "
		    "target");
}

static void
pf_tgt_rds_judge(struct pf *pf)
{
	const struct mydialect	*t;

	if (pf->m->plan->target.kind != TARGET_RDS || !pf->tgt_ok ||
	    pf->rds_have == NULL)
		return;
	t = &pf->db->td;
	need_routine(pf, t->rds_set_external);
	need_routine(pf, t->rds_reset_external);
	need_routine(pf, t->rds_start);
	need_routine(pf, t->rds_stop);
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
	pfdba_free(pf);
	strv_free(pf->tg_ips, pf->ntg_ips);
	strv_free(pf->do_names, pf->ndo);
	strv_free(pf->do_ips, pf->ndo);
	strv_free(pf->do_public, pf->ndo);
	free(pf);
}

void
preflight_free(struct pf *pf)
{
	if (pf == NULL)
		return;
	aws_cancel(pf->sts);
	elbv2_cancel(pf->lst);
	elbv2_cancel(pf->tgs);
	elbv2_cancel(pf->th);
	ecs_cancel(pf->svc);
	cw_cancel(pf->alarms);
	estimate_cancel(pf->est);
	writer_preflight_cancel(&pf->writer);
	do_cancel(pf->dol);

	if (pf->db != NULL) {
		mydb_forget(pf->db->src, pf);
		mydb_forget(pf->db->tgt, pf);
	}
	pf_free(pf);
}

/* Every answer is in: the judges, then the verdict to the caller. */
static void
pf_finish(struct pf *pf)
{
	struct pf_row	*r;
	int		 i;

	if (pf->finished)
		return;
	pf->finished = 1;
	for (i = 0; i < PFC__COUNT; i++)
		if (pf_checks[i].judge != NULL)
			pf_checks[i].judge(pf);
	for (i = 0; i < PFC__COUNT; i++) {
		r = &pf->rows[i];
		if (!r->ran && r->status == PF_PASS) {
			r->status = PF_SKIP;
			snprintf(r->info, sizeof(r->info), "not checked: what "
			    "it needs failed above");
		}
	}
	pf->done(pf->done_arg, pf);
}

void
pf_query(struct pf *pf, enum pf_id id, struct mydb *db, const char *sql,
    mydb_cb cb)
{
	if (db == NULL) {
		pf_fail(pf, id, "%s", pf->dbwhy);
		return;
	}
	pf->pending++;
	if (mydb_query(db, sql, cb, pf) == -1) {
		pf->pending--;
		pf_fail(pf, id, "%s: too many queries queued", mydb_name(db));
	}
}

static struct mydb *
pf_src(struct pf *pf)
{
	return pf->db != NULL ? pf->db->src : NULL;
}

static struct mydb *
pf_tgt(struct pf *pf)
{
	return pf->db != NULL ? pf->db->tgt : NULL;
}

static void
pf_src_server(struct pf *pf)
{
	pf_query(pf, PFC_SRC_SERVER, pf_src(pf), "SELECT VERSION() AS "
	    "version, @@server_id AS server_id", src_version_cb);
}

static void
pf_src_binlog(struct pf *pf)
{
	pf_query(pf, PFC_SRC_BINLOG, pf_src(pf), "SHOW GLOBAL VARIABLES "
	    "WHERE Variable_name IN ('log_bin', 'binlog_format', "
	    "'binlog_row_image', 'expire_logs_days', "
	    "'binlog_expire_logs_seconds')", src_vars_cb);
}

static void
pf_src_grants(struct pf *pf)
{
	pf_query(pf, PFC_SRC_GRANTS, pf_src(pf), "SHOW GRANTS",
	    src_grants_cb);
}

static void
pf_src_writers(struct pf *pf)
{
	pf_query(pf, PFC_SRC_WRITERS, pf_src(pf), "SELECT GRANTEE, "
	    "PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE "
	    "PRIVILEGE_TYPE IN ('SUPER', 'READ_ONLY ADMIN', "
	    "'CONNECTION_ADMIN')", src_writers_cb);
}

static void
pf_repl_user(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;
	struct mydb_opts	 o;
	char			 name[96];

	if (pf->db == NULL) {
		pf_fail(pf, PFC_REPL_USER, "%s", pf->dbwhy);
		return;
	}
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
	pf_query(pf, PFC_REPL_USER, pf->repl, "SHOW GRANTS", repl_grants_cb);
}

static void
pf_tgt_server(struct pf *pf)
{
	pf_query(pf, PFC_TGT_SERVER, pf_tgt(pf), "SELECT VERSION() AS "
	    "version, @@server_id AS server_id, @@read_only AS read_only",
	    tgt_version_cb);
}

static void
pf_tgt_grants(struct pf *pf)
{
	pf_query(pf, PFC_TGT_GRANTS, pf_tgt(pf), "SHOW GRANTS",
	    tgt_grants_cb);
}

static void
pf_tgt_rds(struct pf *pf)
{
	if (pf->m->plan->target.kind != TARGET_RDS) {
		pf_skip(pf, PFC_TGT_RDS, "target.kind is not rds");
		return;
	}
	pf_query(pf, PFC_TGT_RDS, pf_tgt(pf), "SELECT ROUTINE_NAME FROM "
	    "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'mysql' AND "
	    "ROUTINE_NAME LIKE 'rds\\\\_%'", tgt_routines_cb);
}

/*
 * AWS checks. Each callback clears its handle, judges its answer, and
 * counts itself done like a database answer.
 */

static void
pf_aws_done(struct pf *pf, enum pf_id id)
{
	pf_ran(pf, id);
	pf->pending--;
	pf_done(pf);
}

/* The writer method's check reports here. */
static void
pf_writer_fail(void *arg, const char *msg)
{
	struct pf	*pf = arg;

	pf_fail(pf, pf->writer_row, "%s", msg);
}

static void
pf_writer_done(void *arg)
{
	struct pf	*pf = arg;

	pf_aws_done(pf, pf->writer_row);
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
	if (pf->m->plan->traffic.stickiness > 0 || l->forward.stickiness.enabled)
		return;
	pf_note(pf, PFC_LISTENER, PF_WARN, "set traffic.stickiness (e.g. 1h) "
	    "or keep sessions in a shared store", "the listener's forward has "
	    "target group stickiness off and the plan does not set "
	    "traffic.stickiness: while both fleets take users, a user's "
	    "requests alternate between them and sessions kept in a droplet's "
	    "memory are lost");
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
		pf_fail(pf, PFC_LISTENER, "listener: " PF_AWS_MSG "; check "
		    "traffic.listener_arn", PF_AWS_ARG(err->text));
		goto done;
	}
	if (l->nactions > 1)
		pf_fail(pf, PFC_LISTENER,
		    "listener: it has %zu default actions (%s among "
		    "them); setting weights replaces them all, so make its "
		    "default action a single forward (move authentication to "
		    "a listener rule)", l->nactions, l->action_type ?
		    l->action_type : "?");
	else if (!l->is_forward)
		pf_fail(pf, PFC_LISTENER,
		    "listener: its default action is %s, not forward; "
		    "make it forward to traffic.droplet_target_group_arn",
		    l->action_type ? l->action_type : "unknown");
	if (!l->is_forward)
		goto done;
	if (elbv2_forward_weight(&l->forward, p->traffic.droplet_tg_arn) < 0)
		pf_fail(pf, PFC_LISTENER,
		    "listener: its forward action does not send to "
		    "traffic.droplet_target_group_arn; point it at the "
		    "droplets' target group (or fix the plan)");
	in = elbv2_forward_weight(&l->forward, p->traffic.ecs_tg_arn) >= 0;
	if (l->forward.ntgs + !in > ELBV2_MAX_FORWARD_TGS)
		pf_fail(pf, PFC_LISTENER,
		    "listener: its forward action has %zu target "
		    "groups; with the ECS one it would have more than %d, "
		    "AWS's limit; remove the others", l->forward.ntgs,
		    ELBV2_MAX_FORWARD_TGS);
	pf_sticky(pf, l);
done:
	pf_aws_done(pf, PFC_LISTENER);
}

static void
pf_health_cb(void *arg, const struct elbv2_target_healths *th,
    const struct api_err *err)
{
	struct pf	*pf = arg;
	size_t		 i;

	pf->th = NULL;
	if (err != NULL)
		pf_fail(pf, PFC_TGS, "droplet target group: " PF_AWS_MSG,
		    PF_AWS_ARG(err->text));
	else if (th->n == 0)
		pf_fail(pf, PFC_TGS,
		    "droplet target group: no targets registered; "
		    "register the droplets' private IP addresses");
	else {
		pf->have_tg = 1;
		pf->tg_ips = xcalloc(th->n, sizeof(*pf->tg_ips));
		for (i = 0; i < th->n; i++) {
			pf->tg_ips[pf->ntg_ips++] = xstrdup(th->v[i].id);
			if (!private_ipv4(th->v[i].id))
				pf_fail(pf, PFC_TGS,
				    "droplet target group: target %s "
				    "is not on a private range (10/8, "
				    "172.16/12, 192.168/16, 100.64/10); "
				    "register the droplets' private addresses, "
				    "reached over a VPN or peering",
				    th->v[i].id);
		}
	}
	pf_aws_done(pf, PFC_TGS);
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
		pf_fail(pf, PFC_TGS, "target groups: " PF_AWS_MSG "; check "
		    "traffic.droplet_target_group_arn and "
		    "traffic.ecs_target_group_arn", PF_AWS_ARG(err->text));
		goto done;
	}
	if ((dt = tg_find(tgs, p->traffic.droplet_tg_arn)) == NULL)
		pf_fail(pf, PFC_TGS, "droplet target group: not found; check "
		    "traffic.droplet_target_group_arn");
	if ((et = tg_find(tgs, p->traffic.ecs_tg_arn)) == NULL)
		pf_fail(pf, PFC_TGS, "ECS target group: not found; check "
		    "traffic.ecs_target_group_arn");
	if (dt != NULL && et != NULL && (dt->vpc_id == NULL ||
	    et->vpc_id == NULL || strcmp(dt->vpc_id, et->vpc_id) != 0))
		pf_fail(pf, PFC_TGS,
		    "the target groups are in different VPCs (%s, %s); "
		    "one listener forwards to target groups of its own VPC",
		    dt->vpc_id ? dt->vpc_id : "none",
		    et->vpc_id ? et->vpc_id : "none");
	if (dt == NULL)
		goto done;
	if (dt->target_type == NULL || strcmp(dt->target_type, "ip") != 0) {
		pf_fail(pf, PFC_TGS,
		    "droplet target group: its target type is %s; "
		    "droplets can only be ip targets: create one with "
		    "--target-type ip", dt->target_type ? dt->target_type :
		    "unknown");
		goto done;
	}
	pf->pending++;
	if ((pf->th = elbv2_describe_target_health(pf->aws,
	    p->traffic.droplet_tg_arn, NULL, 0, pf_health_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, PFC_TGS,
		    "droplet target group: cannot ask for its targets "
		    "(see the log)");
	}
done:
	pf_aws_done(pf, PFC_TGS);
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
		pf_fail(pf, PFC_ECS, "ECS service %s/%s: " PF_AWS_MSG "; check "
		    "traffic.ecs_cluster and traffic.ecs_service",
		    p->traffic.ecs_cluster, p->traffic.ecs_service,
		    PF_AWS_ARG(err->text));
		goto done;
	}
	if (s->status == NULL || strcmp(s->status, "ACTIVE") != 0)
		pf_fail(pf, PFC_ECS,
		    "ECS service %s/%s is %s, not ACTIVE; create it "
		    "again or fix traffic.ecs_service", p->traffic.ecs_cluster,
		    p->traffic.ecs_service, s->status ? s->status : "unknown");
	if (!ecs_rolling_controller(s, why, sizeof(why)))
		pf_fail(pf, PFC_ECS,
		    "ECS service %s/%s: %s; use the rolling deployment "
		    "controller (ECS, strategy ROLLING)",
		    p->traffic.ecs_cluster, p->traffic.ecs_service, why);
	for (i = 0; i < s->nlbs; i++)
		if (s->lbs[i].target_group_arn != NULL &&
		    strcmp(s->lbs[i].target_group_arn,
		    p->traffic.ecs_tg_arn) == 0)
			found = 1;
	if (!found)
		pf_fail(pf, PFC_ECS,
		    "ECS service %s/%s does not register its tasks in "
		    "traffic.ecs_target_group_arn; add it to the service's "
		    "load balancers", p->traffic.ecs_cluster,
		    p->traffic.ecs_service);
done:
	pf_aws_done(pf, PFC_ECS);
}

static void
pf_alarms_cb(void *arg, const struct cw_alarms *al, const struct api_err *err)
{
	struct pf	*pf = arg;
	char		 firing[1024] = "";
	size_t		 i, len = 0;

	pf->alarms = NULL;
	if (err != NULL) {
		pf_fail(pf, PFC_ALARMS,
		    "CloudWatch alarms: " PF_AWS_MSG "; check "
		    "gates.alarms", PF_AWS_ARG(err->text));
		goto done;
	}
	for (i = 0; i < al->n; i++) {
		if (al->v[i].st == CW_AL_NOT_FOUND)
			pf_fail(pf, PFC_ALARMS,
			    "CloudWatch alarm %s does not exist; fix "
			    "gates.alarms", al->v[i].name);
		else if (al->v[i].st == CW_AL_ALARM && len < sizeof(firing))
			len += snprintf(firing + len, sizeof(firing) - len,
			    "%s%s", len ? ", " : "", al->v[i].name);
	}
	if (len > 0)
		pf_fail(pf, PFC_ALARMS,
		    "CloudWatch alarms already in ALARM: %s; the gates "
		    "would stop the first step: resolve them first", firing);
done:
	pf_aws_done(pf, PFC_ALARMS);
}

static void
pf_listener(struct pf *pf)
{
	pf->pending++;
	if ((pf->lst = elbv2_describe_listener(pf->aws,
	    pf->m->plan->traffic.listener_arn, pf_listener_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, PFC_LISTENER,
		    "listener: cannot ask for it (see the "
		    "log); check traffic.listener_arn");
	}
}

static void
pf_tgs(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;
	const char		*tgs[2];

	tgs[0] = p->traffic.droplet_tg_arn;
	tgs[1] = p->traffic.ecs_tg_arn;
	pf->pending++;
	if ((pf->tgs = elbv2_describe_target_groups(pf->aws, tgs, 2,
	    pf_tgs_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, PFC_TGS, "target groups: cannot ask for them (see "
		    "the log)");
	}
}

static void
pf_service(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;

	pf->pending++;
	if ((pf->svc = ecs_describe_service(pf->aws, p->traffic.ecs_cluster,
	    p->traffic.ecs_service, pf_service_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, PFC_ECS, "ECS service: cannot ask for it (see the "
		    "log)");
	}
}

/*
 * The steps against the app's traffic, as at create: a step that cannot
 * gather gates.min_requests in one bake fails (it would hold until
 * gates.max_hold), unknown traffic is a warning.
 */
static void
pf_traffic_cb(void *arg, const struct estimate *e)
{
	struct pf	*pf = arg;
	int		 i;

	pf->est = NULL;
	switch (e->verdict) {
	case EST_SHORT:
		pf_fail(pf, PFC_TRAFFIC, "at %.1f requests a minute over the "
		    "last %lld h, %s", e->rate * 60,
		    (long long)(e->span_s + 1800) / 3600, e->text);
		break;
	case EST_UNKNOWN:
		pf_note(pf, PFC_TRAFFIC, PF_WARN, "make sure the app has "
		    "traffic through the droplets' target group, or use "
		    "traffic.load_hook", "%s", e->text);
		break;
	case EST_OK:
		for (i = 0; i < e->nsteps && e->steps[i].pct == 0; i++)
			;
		if (i < e->nsteps)
			pf_info(pf, PFC_TRAFFIC, "%.1f requests a minute: "
			    "about %.0f in a bake at %d %%, min_requests %d",
			    e->rate * 60, e->steps[i].requests,
			    e->steps[i].pct, pf->m->plan->gates.min_requests);
		break;
	}
	pf_aws_done(pf, PFC_TRAFFIC);
}

static void
pf_traffic(struct pf *pf)
{
	pf->pending++;
	pf->est = estimate_start(pf->d, pf->m->plan, pf_traffic_cb, pf);
}

static void
pf_alarms(struct pf *pf)
{
	const struct plan	*p = pf->m->plan;
	size_t			 n;

	for (n = 0; p->gates.alarms != NULL && p->gates.alarms[n] != NULL;
	    n++)
		;
	if (n == 0) {
		pf_skip(pf, PFC_ALARMS, "gates.alarms is not set");
		return;
	}
	if (n > CW_MAX_ALARMS) {
		pf_fail(pf, PFC_ALARMS, "gates.alarms names %zu alarms; at "
		    "most %d", n, CW_MAX_ALARMS);
		n = CW_MAX_ALARMS;
	}
	pf->pending++;
	if ((pf->alarms = cw_describe_alarms(pf->aws,
	    (const char *const *)p->gates.alarms, n, pf_alarms_cb,
	    pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, PFC_ALARMS, "CloudWatch alarms: cannot ask for "
		    "them (see the log)");
	}
}

static void
pf_writer_aws(struct pf *pf)
{
	pf->writer_row = PFC_WRITER_AWS;
	pf->writer.aws = pf->aws;
	pf->pending++;
	if (writer_preflight_aws(&pf->writer) == 0) {
		pf->pending--;
		pf_skip(pf, PFC_WRITER_AWS, "the writer method asks AWS "
		    "nothing");
	}
}

/*
 * STS answered (ok 1) or not: the checks that ask AWS start, at once, or
 * are skipped, since every call would fail the same way.
 */
static void
pf_after_sts(struct pf *pf, int ok)
{
	int	i;

	for (i = 0; i < PFC__COUNT; i++) {
		if (pf_checks[i].when != PF_AFTER_STS)
			continue;
		if (ok)
			pf_checks[i].start(pf);
		else
			pf_skip(pf, i, "not asked: AWS credentials failed");
	}
}

static void
pf_sts_cb(void *arg, const struct sts_identity *id, const char *err)
{
	struct pf	*pf = arg;
	int64_t		 skew;

	pf->sts = NULL;
	if (err != NULL) {
		if (strstr(err, "ConnectionError") != NULL)
			pf_fail(pf, PFC_AWS,
			    "AWS: cannot reach STS: " PF_AWS_MSG "; "
			    "check the network, and endpoint_sts in [aws] of "
			    "%s", PF_AWS_ARG(err), pf->d->conf_path);
		else
			pf_fail(pf, PFC_AWS,
			    "AWS credentials: " PF_AWS_MSG "; give "
			    "migrated valid credentials (environment, [aws] "
			    "profile, instance or task role)", PF_AWS_ARG(err));
		pf_after_sts(pf, 0);
		goto done;
	}
	skew = id->skew_s < 0 ? -id->skew_s : id->skew_s;
	if (id->server_time != 0 && skew >= PF_MAX_SKEW_S)
		pf_fail(pf, PFC_AWS,
		    "AWS: this machine's clock is %lld s %s AWS's; "
		    "requests are refused past %d s: fix its time "
		    "synchronisation (chrony, systemd-timesyncd)",
		    (long long)skew, id->skew_s > 0 ? "behind" : "ahead of",
		    PF_MAX_SKEW_S);
	log_info("%s: preflight: AWS account %s as %s", pf->m->name,
	    id->account ? id->account : "?", id->arn ? id->arn : "?");
	pf_after_sts(pf, 1);
done:
	pf_aws_done(pf, PFC_AWS);
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
		pf_fail(pf, PFC_AWS, "%s", why);
		pf_after_sts(pf, 0);
		return;
	}
	if (!arn_in_region(p->traffic.listener_arn, region))
		pf_fail(pf, PFC_AWS,
		    "traffic.listener_arn is not in region %s, where "
		    "the AWS calls go; set traffic.region in the plan",
		    region);
	pf->pending++;
	if ((pf->sts = sts_get_caller_identity(pf->aws, pf_sts_cb, pf)) ==
	    NULL) {
		pf->pending--;
		pf_fail(pf, PFC_AWS, "AWS: cannot ask STS who we are (see "
		    "the log)");
		pf_after_sts(pf, 0);
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
		pf_fail(pf, PFC_DROPLETS, "DigitalOcean: " PF_AWS_MSG "; check "
		    "decommission.do_token_file and traffic.droplet_tag",
		    PF_AWS_ARG(err->text));
	else if (ds->n == 0)
		pf_fail(pf, PFC_DROPLETS,
		    "DigitalOcean: no droplet has the tag %s; check "
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
	pf_aws_done(pf, PFC_DROPLETS);
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
			pf_fail(pf, PFC_DROPLETS,
			    "DigitalOcean: droplet %s has tag %s but no "
			    "private address, so it cannot be an ALB target; "
			    "remove the tag or enable VPC networking",
			    pf->do_names[i], tag);
		else if (pf->have_tg && !strv_has(pf->tg_ips, pf->ntg_ips,
		    pf->do_ips[i]))
			pf_fail(pf, PFC_DROPLETS,
			    "DigitalOcean: droplet %s (%s) has tag %s "
			    "but is not a target of the droplet target group: "
			    "decommission would delete it; remove the tag or "
			    "register it", pf->do_names[i], pf->do_ips[i], tag);
		if (strv_has(&pf->do_ips[i], 1, p->source.db.host) ||
		    strv_has(&pf->do_public[i], 1, p->source.db.host))
			pf_fail(pf, PFC_DROPLETS,
			    "DigitalOcean: droplet %s has tag %s and is "
			    "the source database (%s): decommission would "
			    "delete it; remove the tag", pf->do_names[i], tag,
			    p->source.db.host);
	}
	for (i = 0; pf->have_tg && i < pf->ntg_ips; i++)
		if (!strv_has(pf->do_ips, pf->ndo, pf->tg_ips[i]))
			pf_fail(pf, PFC_DROPLETS,
			    "droplet target group: target %s is no "
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
	if (p->traffic.droplet_tag == NULL) {
		pf_skip(pf, PFC_DROPLETS, "traffic.droplet_tag is not set");
		return;
	}
	if ((c = daemon_do(pf->d, p->decommission.do_token_file, why,
	    sizeof(why))) == NULL) {
		pf_fail(pf, PFC_DROPLETS, "%s", why);
		return;
	}
	pf->pending++;
	if ((pf->dol = do_droplets_by_tag(c, p->traffic.droplet_tag,
	    pf_droplets_cb, pf)) == NULL) {
		pf->pending--;
		pf_fail(pf, PFC_DROPLETS,
		    "DigitalOcean: cannot list the droplets (see the "
		    "log)");
	}
}

struct pf *
preflight_new(struct daemon *d, struct migration *m,
    void (*done)(void *, struct pf *), void *arg)
{
	struct pf	*pf;

	pf = xcalloc(1, sizeof(*pf));
	pf->d = d;
	pf->m = m;
	pf->done = done;
	pf->done_arg = arg;
	pf->src_keep_s = -1;
	pf->data_bytes = -1;
	pf->src_conns = -1;
	pf->writer.d = d;
	pf->writer.m = m;
	pf->writer.fail = pf_writer_fail;
	pf->writer.done = pf_writer_done;
	pf->writer.arg = pf;
	return pf;
}

void
preflight_start(struct pf *pf, struct dbpair *db, const char *why)
{
	int	i;

	pf->db = db;
	snprintf(pf->dbwhy, sizeof(pf->dbwhy), "%s", why ? why :
	    "no database connections");
	if (pf->m->plan == NULL) {
		pf_fail(pf, PFC_FILES, "the plan does not parse; fix it and "
		    "reload (SIGHUP)");
		pf_finish(pf);
		return;
	}
	/* Held until every check has started: none ends the run early. */
	pf->pending++;
	for (i = 0; i < PFC__COUNT; i++)
		if (pf_checks[i].when == PF_NOW && pf_checks[i].start != NULL)
			pf_checks[i].start(pf);
	pf->pending--;
	pf_done(pf);
}

int
preflight_failed(const struct pf *pf)
{
	int	i, n = 0;

	for (i = 0; i < PFC__COUNT; i++)
		n += pf->rows[i].status == PF_FAIL;
	return n;
}

int
preflight_warned(const struct pf *pf)
{
	int	i, n = 0;

	for (i = 0; i < PFC__COUNT; i++)
		n += pf->rows[i].status == PF_WARN;
	return n;
}

const char *
preflight_text(const struct pf *pf)
{
	return pf->text;
}

const char *
preflight_warning(const struct pf *pf, int k)
{
	int	i;

	for (i = 0; i < PFC__COUNT; i++)
		if (pf->rows[i].status == PF_WARN && k-- == 0)
			return pf->rows[i].detail;
	return NULL;
}

json_t *
preflight_rows(const struct pf *pf)
{
	const struct pf_row	*r;
	json_t			*a = json_array();
	const char		*detail, *fix;
	int			 i;

	for (i = 0; i < PFC__COUNT; i++) {
		r = &pf->rows[i];
		detail = r->detail[0] != '\0' ? r->detail : r->info[0] !=
		    '\0' ? r->info : "ok";
		fix = r->status == PF_WARN || r->status == PF_FAIL ?
		    (r->fix[0] != '\0' ? r->fix : pf_checks[i].fix) : NULL;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o}",
		    "name", pf_checks[i].name,
		    "status", pf_status_names[r->status],
		    "detail", detail,
		    "fix", fix != NULL ? json_string(fix) : json_null()));
	}
	return a;
}

/* --- the preflight phase: the run, then its verdict as the event --- */

struct pf_phase {
	struct job	*job;
	struct pf	*pf;
};

static void
pf_phase_cancel(void *arg)
{
	struct pf_phase	*ph = arg;

	preflight_free(ph->pf);
	free(ph);
}

static void
pf_phase_done(void *arg, struct pf *pf)
{
	struct pf_phase		*ph = arg;
	struct migration	*m = pf->m;
	const char		*w;
	int			 i;

	for (i = 0; (w = preflight_warning(pf, i)) != NULL; i++) {
		log_warnx("%s: preflight: warning: %s", m->name, w);
		store_journal(ph->job->d->store, m->id, "warning", w);
	}
	if (preflight_failed(pf) == 0) {
		job_end(ph->job, ph, pf_phase_cancel, MEV_CHECKS_PASSED,
		    "every check passed");
		return;
	}
	log_warnx("%s: preflight: %s", m->name, pf->text);
	m->obs.checks_ok = 0;
	job_end(ph->job, ph, pf_phase_cancel, MEV_CHECKS_FAILED, pf->text);
}

static void
preflight_enter(struct job *j, enum phase from)
{
	struct pf_phase	*ph;
	struct dbpair	*db;
	char		 why[512] = "";

	/*
	 * Preflight starts from fresh connections: the operator may have
	 * fixed a password file or a server since the last try.
	 */
	job_db_reset(j);
	ph = xcalloc(1, sizeof(*ph));
	ph->job = j;
	ph->pf = preflight_new(j->d, j->m, pf_phase_done, ph);
	job_own(j, ph);
	db = j->m->plan != NULL ? job_db(j, why, sizeof(why)) : NULL;
	job_progress(j, "checking source, target, AWS and DigitalOcean");
	preflight_start(ph->pf, db, why);
}

const struct phase_driver preflight_driver = {
	.phase = PH_PREFLIGHT,
	.enter = preflight_enter,
	.cancel = pf_phase_cancel,
};
