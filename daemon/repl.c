/*
 * repl: configure replication on the target, start it, and watch it settle.
 *
 * Configuring is an effect: RDS refuses to configure a running replica, so
 * an interrupted configuration is reconciled by reading the target's
 * replica status (its source host and port say whether it happened). The
 * password goes to the server in the statement, never into the journal:
 * the effect's arguments name the host, port and coordinates only.
 *
 * A target that does not catch up is named, not waited on in silence:
 * status shows the pace (lag.c, catchup.c), and when the lag has made no
 * progress for replicating.max_catchup the daemon alerts once (journal,
 * webhook) with the rates and what would help, read from the target's
 * parallel apply settings; it keeps waiting.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "catchup.h"
#include "conf.h"
#include "daemon.h"
#include "dbpair.h"
#include "driver.h"
#include "effect.h"
#include "facts.h"
#include "job.h"
#include "lag.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "mydialect.h"
#include "plan.h"
#include "store.h"
#include "webhook.h"

struct repl {
	struct job		*job;
	struct daemon		*d;
	struct migration	*m;
	struct dbpair		*db;
	struct effect		*e;
	struct event		*ev_watch;
	int64_t			 since;		/* in sync since (unix ms) */
	int			 started;	/* start issued this entry */
	int64_t			 start_ms;	/* when: older readings are stale */
	int			 asking;	/* the catch-up alert's query */
};

static int	repl_effect_run(struct effect *);
static void	repl_effect_reconcile(struct effect *);

const struct effect_kind repl_effect = {
	.name = "repl_configure",
	.run = repl_effect_run,
	.reconcile = repl_effect_reconcile,
};

static void
repl_free(struct repl *r)
{
	if (r->ev_watch != NULL)
		event_free(r->ev_watch);
	free(r);
}

static void
repl_cancel(void *arg)
{
	struct repl	*r = arg;

	mydb_forget(r->db->tgt, r);
	if (r->e != NULL) {
		/* The effect's answer still comes; it must find no job. */
		r->e->arg = NULL;
	}
	repl_free(r);
}

static void
repl_fire(struct repl *r, enum mev ev, const char *detail)
{
	job_end(r->job, r, repl_cancel, ev, detail);
}

/* The SQL that points the target at the source (password inside). */
static char *
repl_configure_sql(const struct repl *r, const char *file, const char *pos,
    const char *gtid)
{
	const struct plan	*p = r->m->plan;
	const struct mydialect	*t = &r->db->td;
	char			*host, *user, *pw, *f = NULL, *g = NULL, *sql = NULL;
	char			 buf[2048];
	unsigned long long	 at = pos != NULL ? strtoull(pos, NULL, 10) : 0;
	int			 ssl = p->source.db.ca_file != NULL, rc;

	host = mydb_quote(p->source.db.host);
	user = mydb_quote(p->source.repl_user);
	pw = mydb_quote(r->db->repl_pw);
	if (file != NULL)
		f = mydb_quote(file);
	if (gtid != NULL)
		g = mydb_quote(gtid);
	if (p->target.kind == TARGET_RDS)
		/* Every argument each version's procedure takes. */
		rc = mydialect_rds_set_external_sql(t, buf, sizeof(buf), host,
		    p->source.db.port, user, pw, f, at, g, ssl);
	else
		rc = mydialect_change_source_sql(t, buf, sizeof(buf), host,
		    p->source.db.port, user, pw, f, at, g, ssl);
	if (rc == 0 && (sql = strdup(buf)) == NULL)
		fatal("strdup");
	explicit_bzero(buf, sizeof(buf));
	if (rc == -1)
		fatalx("repl: the replication statement does not fit");
	free(host);
	free(user);
	free(pw);
	free(f);
	free(g);
	return sql;
}

/* START SLAVE, or on RDS the procedure (into buf). */
static const char *
repl_start_sql(const struct repl *r, char *buf, size_t len)
{
	if (r->m->plan->target.kind != TARGET_RDS)
		return r->db->td.start_replica;
	snprintf(buf, len, "CALL %s", r->db->td.rds_start);
	return buf;
}

static void
repl_effect_step_cb(void *arg, struct mydb_result *res)
{
	struct effect	*e = arg;
	char		 msg[600];
	json_int_t	 left;

	if (res->err != 0) {
		snprintf(msg, sizeof(msg), "target refused: %s (error %u)",
		    res->error, res->err);
		/* The statements queued after this one must not call back. */
		mydb_forget(e->priv, e);
		effect_finish(e, 0, msg);
		return;
	}

	/* Every statement is queued at once: the last answer ends it. */
	left = json_integer_value(json_object_get(e->args, "left")) - 1;
	json_object_set_new(e->args, "left", json_integer(left));
	if (left == 0)
		effect_finish(e, 1, "replication configured and started");
}

static void
repl_configured(struct effect *e, int ok, const char *result, void *arg)
{
	struct repl	*r = arg;
	char		 detail[700];

	if (r == NULL)
		return;		/* the phase changed meanwhile */
	r->e = NULL;
	if (!ok) {
		snprintf(detail, sizeof(detail), "configuring replication on "
		    "the target: %s", result);
		repl_fire(r, MEV_FAIL, detail);
		return;
	}
	r->started = 1;
	r->start_ms = now_ms();
	job_progress(r->job, "replication started; waiting for it to settle");
}

static int
repl_effect_run(struct effect *e)
{
	struct repl	*r = e->arg;
	const char	*file, *pos, *gtid;
	char		*sql, *pre = NULL, start[96];

	file = json_string_value(json_object_get(e->args, "file"));
	pos = json_string_value(json_object_get(e->args, "pos"));
	gtid = json_string_value(json_object_get(e->args, "gtid"));
	if (r == NULL || (gtid == NULL && (file == NULL || pos == NULL)))
		return -1;
	r->e = e;
	e->priv = r->db->tgt;
	json_object_set_new(e->args, "left", json_integer(2));
	/* A self-managed MariaDB target starts from the GTID given. */
	if (gtid != NULL && r->m->plan->target.kind == TARGET_MYSQL &&
	    r->db->td.flavor == MYDB_MARIADB) {
		char	*g = mydb_quote(gtid);

		if (asprintf(&pre, "SET GLOBAL gtid_slave_pos = %s", g) == -1)
			fatal("asprintf");
		free(g);
		mydb_query(r->db->tgt, pre, repl_effect_step_cb, e);
		free(pre);
		json_object_set_new(e->args, "left", json_integer(3));
	}
	sql = repl_configure_sql(r, file, pos, gtid);
	mydb_query(r->db->tgt, sql, repl_effect_step_cb, e);
	explicit_bzero(sql, strlen(sql));
	free(sql);
	mydb_query(r->db->tgt, repl_start_sql(r, start, sizeof(start)),
	    repl_effect_step_cb, e);
	return 0;
}

static void
repl_reconcile_cb(void *arg, struct mydb_result *res)
{
	struct effect	*e = arg;
	const char	*host, *want;

	want = json_string_value(json_object_get(e->args, "host"));
	if (res->err != 0) {
		effect_reconciled(e, EFFECT_UNKNOWN, "the target could not be "
		    "asked whether replication was configured");
		return;
	}
	host = res->nrows > 0 ? mydialect_status(res, 0, "Source_Host") : NULL;
	if (host != NULL && want != NULL && strcmp(host, want) == 0)
		effect_reconciled(e, EFFECT_APPLIED, "the target replicates "
		    "from the source");
	else
		effect_reconciled(e, EFFECT_NOT_APPLIED, "the target has no "
		    "replication source");
}

static void
repl_reconcile_version_cb(void *arg, struct mydb_result *res)
{
	struct effect	*e = arg;
	struct dbpair	*db;
	const char	*v;
	char		 why[256];

	if (res->err != 0 || (v = mydb_get(res, 0, "v")) == NULL ||
	    (db = job_db(e->job, why, sizeof(why))) == NULL ||
	    mydialect_from_version(v, &db->td) == -1) {
		effect_reconciled(e, EFFECT_UNKNOWN, "the target could not be "
		    "reached to see whether replication was configured");
		return;
	}
	db->td_known = 1;
	mydb_query(e->priv, dbpair_status_sql(db, e->m->plan),
	    repl_reconcile_cb, e);
}

static void
repl_effect_reconcile(struct effect *e)
{
	struct dbpair	*db;
	char		 why[512];

	if ((db = job_db(e->job, why, sizeof(why))) == NULL) {
		effect_reconciled(e, EFFECT_UNKNOWN, why);
		return;
	}
	e->priv = db->tgt;
	mydb_query(db->tgt, "SELECT VERSION() AS v", repl_reconcile_version_cb,
	    e);
}

/* The pace for the alert and the progress line: "source 300 commits/s
 * (1.2 MB/s), target 0.9 MB/s, 3.1 GB behind, ...". */
static void
repl_pace(const struct catchup_view *v, char *buf, size_t len)
{
	char	a[32], b[32], c[32], eta[32];
	int	n = 0;

	if (v->src_bps < 0) {
		snprintf(buf, len, "the pace is not known yet");
		return;
	}
	if (v->commits_s >= 0)
		n = snprintf(buf, len, "the source commits %.0f/s (%s/s of "
		    "binary log)", v->commits_s,
		    catchup_bytes(v->src_bps, a, sizeof(a)));
	else
		n = snprintf(buf, len, "the source writes %s/s of binary log",
		    catchup_bytes(v->src_bps, a, sizeof(a)));
	if (v->eta_ms > 0)
		conf_duration_str(v->eta_ms / 1000 * 1000 + 1000, eta,
		    sizeof(eta));
	snprintf(buf + n, len > (size_t)n ? len - n : 0, ", the target "
	    "applies %s/s, %s behind; %s%s", catchup_bytes(v->apply_bps, b,
	    sizeof(b)), catchup_bytes((double)v->backlog, c, sizeof(c)),
	    v->catching_up == 1 ? (v->eta_ms > 0 ? "caught up in about " :
	    "caught up") : "not catching up",
	    v->catching_up == 1 && v->eta_ms > 0 ? eta : "");
}

static void
repl_advice_cb(void *arg, struct mydb_result *res)
{
	struct repl		*r = arg;
	struct migration	*m = r->m;
	struct lag		*l = job_lag(r->job);
	struct catchup_view	 v;
	const char		*wv, *tv;
	char			 pace[256], help[640], a[32], b[32];
	char			 detail[1200];
	int			 maria = r->db->td.flavor == MYDB_MARIADB;

	r->asking = 0;
	if (l == NULL)
		return;
	if (maria) {
		wv = "slave_parallel_threads";
		tv = "slave_parallel_mode";
	} else {
		wv = res->err == 0 && mydb_var(res, "replica_parallel_workers") ?
		    "replica_parallel_workers" : "slave_parallel_workers";
		tv = res->err == 0 && mydb_var(res, "replica_parallel_type") ?
		    "replica_parallel_type" : "slave_parallel_type";
	}
	catchup_advice(help, sizeof(help), maria, m->plan->target.kind ==
	    TARGET_RDS, wv, res->err == 0 ? mydb_var(res, wv) : NULL, tv,
	    res->err == 0 ? mydb_var(res, tv) : NULL);
	catchup_view(lag_catchup(l), now_ms(), &v);
	repl_pace(&v, pace, sizeof(pace));
	conf_duration_str(v.stalled_ms / 1000 * 1000, a, sizeof(a));
	conf_duration_str(m->plan->replicating.max_catchup, b, sizeof(b));
	snprintf(detail, sizeof(detail), "alert: the target is not catching "
	    "up: the replication lag (heartbeat %lld ms) has made no progress "
	    "for %s, over replicating.max_catchup %s; %s. What would help: "
	    "%s. Still waiting", (long long)lag_stat(l)->heartbeat_ms, a, b,
	    pace, help);
	lag_catchup(l)->alerted = 1;
	store_journal(r->d->store, m->id, "alert", detail);
	log_warnx("%s: %s", m->name, detail);
	webhook_alert(r->d->webhook, m, detail);
	daemon_changed(r->d, m);
}

/* The progress line: the threads, the lag, the settle, and the pace
 * while the target is behind (status' lag.catchup has it all). */
static void
repl_progress(struct repl *r, const struct lagstat *st)
{
	const struct plan	*p = r->m->plan;
	struct catchup_view	 v;
	char			 lag[32], pace[64] = "", eta[32];

	if (st->heartbeat_ms >= 0)
		snprintf(lag, sizeof(lag), "%lld", (long long)st->heartbeat_ms);
	else
		snprintf(lag, sizeof(lag), "?");
	catchup_view(lag_catchup(job_lag(r->job)), now_ms(), &v);
	if (r->m->obs.in_sync_ms == 0 && v.catching_up == 0)
		snprintf(pace, sizeof(pace), "; not catching up (applies %.0f%% "
		    "of the source's rate)", v.src_bps > 0 ? 100 * v.apply_bps /
		    v.src_bps : 0);
	else if (r->m->obs.in_sync_ms == 0 && v.eta_ms > 0) {
		conf_duration_str(v.eta_ms / 1000 * 1000 + 1000, eta,
		    sizeof(eta));
		snprintf(pace, sizeof(pace), "; catching up in about %s", eta);
	}
	job_progress(r->job, "io %s, sql %s, heartbeat lag %s ms, in sync "
	    "%llds of %llds%s", st->io_running ? "running" : "stopped",
	    st->sql_running ? "running" : "stopped", lag,
	    (long long)(r->m->obs.in_sync_ms / 1000),
	    (long long)(p->target.settle / 1000), pace);
}

/*
 * The lag made no progress for replicating.max_catchup: alert once, and
 * say so when it moves again.
 */
static void
repl_catchup(struct repl *r, struct lag *l)
{
	struct catchup		*cu = lag_catchup(l);
	struct catchup_view	 v;

	catchup_view(cu, now_ms(), &v);
	if (v.stalled_ms == 0 && cu->alerted) {
		cu->alerted = 0;
		store_journal(r->d->store, r->m->id, "info", "the replication "
		    "lag makes progress again after the catch-up alert");
		return;
	}
	if (cu->alerted || r->asking ||
	    v.stalled_ms < r->m->plan->replicating.max_catchup)
		return;
	if (mydb_query(r->db->tgt, "SHOW GLOBAL VARIABLES WHERE Variable_name "
	    "IN ('slave_parallel_threads', 'slave_parallel_mode', "
	    "'slave_parallel_workers', 'slave_parallel_type', "
	    "'replica_parallel_workers', 'replica_parallel_type')",
	    repl_advice_cb, r) == 0)
		r->asking = 1;
}

/* The lag monitor's readings, judged every heartbeat interval. */
static void
repl_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct repl		*r = arg;
	struct migration	*m = r->m;
	const struct plan	*p = m->plan;
	struct lag		*l = job_lag(r->job);
	const struct lagstat	*st;
	char			 detail[1024];
	int64_t			 now = now_ms(), fresh;

	if (l == NULL || r->e != NULL)
		return;
	st = lag_stat(l);
	/* A reading from before replication was (re)started says nothing. */
	if (!st->status_known || st->status_updated <= r->start_ms)
		return;
	if (!st->sql_running && st->sql_errno != 0) {
		snprintf(detail, sizeof(detail), "replica SQL thread stopped: "
		    "error %u: %s (source position %s:%" PRIu64 "); fix the "
		    "target, then `migratectl resume %s` (nothing is skipped)",
		    st->sql_errno, st->sql_error, st->exec_file, st->exec_pos,
		    m->name);
		repl_fire(r, MEV_HALT, detail);
		return;
	}
	/* Binlogs gone or access refused: retrying will not help. */
	if (!st->io_running && (st->io_errno == 1236 || st->io_errno == 1045)) {
		snprintf(detail, sizeof(detail), "replica IO thread stopped: "
		    "error %u: %s", st->io_errno, st->io_error);
		repl_fire(r, MEV_HALT, detail);
		return;
	}
	repl_catchup(r, l);
	fresh = 3 * p->source.heartbeat_interval + 1000;
	if (st->io_running && st->sql_running && st->known &&
	    now - st->updated <= fresh && st->heartbeat_ms >= 0 &&
	    st->heartbeat_ms <= p->target.max_lag) {
		if (r->since == 0)
			r->since = now;
	} else
		r->since = 0;
	m->obs.in_sync_ms = r->since ? now - r->since : 0;
	repl_progress(r, st);
	if (m->obs.in_sync_ms >= p->target.settle) {
		snprintf(detail, sizeof(detail), "heartbeat lag %lld ms, in "
		    "sync for %llds", (long long)st->heartbeat_ms,
		    (long long)(m->obs.in_sync_ms / 1000));
		repl_fire(r, MEV_IN_SYNC, detail);
	}
}

static void
repl_watch(struct repl *r)
{
	struct timeval	tv;
	int64_t		iv = r->m->plan->source.heartbeat_interval;

	tv.tv_sec = iv / 1000;
	tv.tv_usec = (iv % 1000) * 1000;
	r->ev_watch = event_new(r->d->base, -1, EV_PERSIST, repl_watch_cb, r);
	if (r->ev_watch == NULL)
		fatalx("event_new");
	event_add(r->ev_watch, &tv);
}

static void
repl_started_cb(void *arg, struct mydb_result *res)
{
	struct repl	*r = arg;
	char		 detail[600];

	if (res->err != 0) {
		snprintf(detail, sizeof(detail), "starting replication on the "
		    "target: %s (error %u)", res->error, res->err);
		repl_fire(r, MEV_FAIL, detail);
		return;
	}
	r->started = 1;
	r->start_ms = now_ms();
}

/* What the target says now: configured already, or to be configured. */
static void
repl_status_cb(void *arg, struct mydb_result *res)
{
	struct repl		*r = arg;
	struct migration	*m = r->m;
	const char		*host, *io, *sql;
	char			*file, *pos, *gtid, detail[600], start[96];
	json_t			*args;

	if (res->err != 0) {
		snprintf(detail, sizeof(detail), "target: %s (error %u)",
		    res->error, res->err);
		repl_fire(r, MEV_FAIL, detail);
		return;
	}
	host = res->nrows > 0 ? mydialect_status(res, 0, "Source_Host") : NULL;
	if (host != NULL && *host != '\0') {
		if (strcmp(host, m->plan->source.db.host) != 0) {
			snprintf(detail, sizeof(detail), "the target "
			    "replicates from %s, not from the source", host);
			repl_fire(r, MEV_FAIL, detail);
			return;
		}
		/* Configured before (a restart, a resume): make it run. */
		io = mydialect_status(res, 0, "Replica_IO_Running");
		sql = mydialect_status(res, 0, "Replica_SQL_Running");
		if (io == NULL || sql == NULL || strcmp(io, "No") == 0 ||
		    strcmp(sql, "No") == 0) {
			log_info("%s: starting replication on the target",
			    m->name);
			mydb_query(r->db->tgt, repl_start_sql(r, start,
			    sizeof(start)),
			    repl_started_cb, r);
		} else
			r->started = 1;
		repl_watch(r);
		return;
	}

	file = store_fact_get(r->d->store, m->id, SEED_FACT_FILE);
	pos = store_fact_get(r->d->store, m->id, SEED_FACT_POS);
	gtid = store_fact_get(r->d->store, m->id, SEED_FACT_GTID);
	if (gtid == NULL && (file == NULL || pos == NULL)) {
		free(file);
		free(pos);
		repl_fire(r, MEV_FAIL, "no source coordinates are recorded; "
		    "abort and start again");
		return;
	}
	args = json_pack("{s:s, s:i, s:s?, s:s?, s:s?}", "host",
	    m->plan->source.db.host, "port", m->plan->source.db.port,
	    "file", file, "pos", pos, "gtid", gtid);
	free(file);
	free(pos);
	free(gtid);
	job_progress(r->job, "configuring replication on the target");
	/* The watch waits while the effect runs (r->e is set). */
	repl_watch(r);
	if (effect_start(r->job, &repl_effect, args, repl_configured, r) ==
	    -1)
		repl_fire(r, MEV_FAIL, "the intent to configure replication "
		    "could not be journaled");
	/* r may be gone now: the effect can end, and fire, at once. */
}

static void
repl_version_cb(void *arg, struct mydb_result *res)
{
	struct repl	*r = arg;
	const char	*v;
	char		 detail[600];

	if (res->err != 0 || (v = mydb_get(res, 0, "v")) == NULL ||
	    mydialect_from_version(v, &r->db->td) == -1) {
		snprintf(detail, sizeof(detail), "target: %s",
		    res->err ? res->error : "unsupported version");
		repl_fire(r, MEV_FAIL, detail);
		return;
	}
	r->db->td_known = 1;
	mydb_query(r->db->tgt, dbpair_status_sql(r->db, r->m->plan), repl_status_cb,
	    r);
}

static void
repl_enter(struct job *j, enum phase from)
{
	struct migration	*m = j->m;
	struct repl		*r;
	char			 why[512];

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->job = j;
	r->d = j->d;
	r->m = m;
	if ((r->db = job_db(j, why, sizeof(why))) == NULL) {
		free(r);
		job_end(j, NULL, NULL, MEV_FAIL, why);
		return;
	}
	m->obs.in_sync_ms = 0;
	r->start_ms = now_ms();
	job_own(j, r);
	job_progress(j, "asking the target");
	mydb_query(r->db->tgt, "SELECT VERSION() AS v", repl_version_cb, r);
}

const struct phase_driver repl_driver = {
	.phase = PH_REPLICATING,
	.enter = repl_enter,
	.cancel = repl_cancel,
};
