/*
 * reproof: the checksum proof's new consistent point after a restart.
 *
 * The order is what makes the point exact. The source's replication from
 * the target stops first; only then does the target open its snapshot and
 * say which binlog position it is consistent with (p). Everything the
 * source had executed was in the target's binlog before the stop, so it
 * is at or before p, never past it. START SLAVE UNTIL p then takes the
 * source to p and stops it there; once its status shows the SQL thread
 * stopped with exactly p executed, the source opens its own snapshot, and
 * replication is started again. A position other than p (an event that
 * is not a transaction boundary, say) is tried again from a new snapshot.
 *
 * The three changes to the source (stop, until, start) are journaled
 * effects. While the source is paused the fact reproof.paused is set; a
 * daemon that stops in between finds it at restart and restarts
 * replication (REPROOF_REPAIR), and so does any failure here: reverse
 * replication is the way back to the source and is never left stopped.
 *
 * Work runs on connections of its own: the source's control and wait
 * connection (its MASTER_POS_WAIT blocks it), the source's snapshot, the
 * target's snapshot. The effects run on the migration's shared source
 * connection, like every sqlfx effect.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "daemon.h"
#include "dbpair.h"
#include "facts.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "mydialect.h"
#include "plan.h"
#include "proof.h"
#include "reproof.h"
#include "sqlfx.h"
#include "store.h"
#include "xmalloc.h"

#define RP_WAIT_MS		60000	/* the source reaches p within */
#define RP_WAIT_CHUNK_S		20	/* one MASTER_POS_WAIT (< query
					   timeout) */
#define RP_POLL_MS		200	/* status again after an early wait */
#define RP_ATTEMPTS		3	/* points tried */
#define RP_RESUME_TRIES		30	/* START SLAVE, 2 s apart */
#define RP_RESUME_RETRY_MS	2000
#define RP_SAME_TRIES		10	/* snapshots opened again until they
					   share one position */

enum rp_step {
	RP_VERSIONS,
	RP_STATUS,
	RP_STOP,
	RP_TSNAP,
	RP_UNTIL,
	RP_WAIT,
	RP_CHECK,
	RP_SSNAP,
	RP_RESUME,
	RP_DONE,
};

/* A snapshot connection of the primary side, for its answers. */
struct rp_conn {
	struct reproof	*rp;
	size_t		 i;
};

/* An effect in flight points here; a freed reproof leaves it NULL. */
struct rp_ref {
	struct reproof	*rp;
};

struct reproof {
	struct job		*job;		/* its pair; its SQL effects */
	struct daemon		*d;
	struct migration	*m;
	enum reproof_mode	 mode;
	enum reproof_way	 way;
	const char		*label;		/* "re-proof" */
	const char		*rs, *ps;	/* "the source": paused side,
						   primary side */
	const char		*repl;		/* "replication" */
	const char		*fact;		/* the paused fact */
	char			 status_sql[128];	/* paused side */
	int			 rds;		/* RDS procedures */
	int			 unsupported;
	reproof_cb		 cb;
	void			*arg;
	struct mydb		*ctl;
	struct mydb		*ssnap[PROOF_STREAMS_MAX];	/* paused */
	struct mydb		*tsnap[PROOF_STREAMS_MAX];	/* primary */
	struct rp_conn		 tconn[PROOF_STREAMS_MAX];
	char			 tpos[PROOF_STREAMS_MAX][160];
	size_t			 nsnap;		/* streams of the proof */
	int			 same_tries;
	struct mydialect	 sd, td;
	int			 sd_known, td_known;
	struct event		*ev;		/* next step, later */
	enum rp_step		 step, later;
	struct rp_ref		*ref;		/* effect in flight */
	int			 pending;	/* queries in flight */
	char			 qerr[256];	/* first failed query */
	int			 paused;	/* we stopped replication */
	int			 snapped;	/* both snapshots open */
	int			 cancelled, failed, finished;
	int			 attempt, resume_tries;
	int64_t			 deadline_ms;
	char			 file[128];
	uint64_t		 pos;
	char			 point[160];
	char			 progress[224];
	char			 why[640];
};

static void	rp_step(struct reproof *, enum rp_step);
static void	rp_paused_side(struct reproof *);
static void	rp_fail(struct reproof *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
rp_progress(struct reproof *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
rp_progress(struct reproof *rp, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(rp->progress, sizeof(rp->progress), "%s: ", rp->label);
	va_start(ap, fmt);
	vsnprintf(rp->progress + n, sizeof(rp->progress) - n, fmt, ap);
	va_end(ap);
}

static void
rp_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reproof	*rp = arg;

	if (rp->later == RP_DONE) {
		/* The callee may free rp from its next loop turn. */
		rp->finished = 1;
		if (rp->mode == REPROOF_REPAIR)
			rp->cb(rp->arg, !rp->failed, NULL, NULL, 0, NULL,
			    rp->why);
		else if (rp->way == REPROOF_FORWARD)
			rp->cb(rp->arg, !rp->failed && rp->snapped, rp->tsnap,
			    rp->ssnap, rp->nsnap, rp->point, rp->why);
		else
			rp->cb(rp->arg, !rp->failed && rp->snapped, rp->ssnap,
			    rp->tsnap, rp->nsnap, rp->point, rp->why);
		return;
	}
	rp_step(rp, rp->later);
}

static void
rp_after(struct reproof *rp, enum rp_step step, int64_t ms)
{
	struct timeval	tv;

	rp->later = step;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(rp->ev, &tv);
}

static void
store_journal_f(struct reproof *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
store_journal_f(struct reproof *rp, const char *fmt, ...)
{
	va_list	ap;
	char	buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	store_journal(rp->d->store, rp->m->id, "info", buf);
}

/* --- queries on our own connections --- */

/*
 * A step queues its queries back to back and acts on the last answer;
 * the ones before only record the first error.
 */
static void
rp_query(struct reproof *rp, struct mydb *db, const char *sql, mydb_cb cb)
{
	if (mydb_query(db, sql, cb, rp) == 0)
		rp->pending++;
	else if (rp->qerr[0] == '\0')
		snprintf(rp->qerr, sizeof(rp->qerr), "%s: query queue full",
		    mydb_name(db));
}

/* One answer in; 1 when the step's last answer is in and all went well. */
static int
rp_answer(struct reproof *rp, struct mydb_result *res)
{
	rp->pending--;
	if (res->err != 0 && rp->qerr[0] == '\0')
		snprintf(rp->qerr, sizeof(rp->qerr), "%s", res->error != NULL ?
		    res->error : "query failed");
	if (rp->pending > 0)
		return 0;
	if (rp->cancelled) {
		rp_fail(rp, "%s", rp->why);
		return 0;
	}
	if (rp->qerr[0] != '\0') {
		rp_fail(rp, "%s", rp->qerr);
		return 0;
	}
	return 1;
}

static void
rp_prep_cb(void *arg, struct mydb_result *res)
{
	struct reproof	*rp = arg;

	rp->pending--;
	if (res->err != 0 && rp->qerr[0] == '\0')
		snprintf(rp->qerr, sizeof(rp->qerr), "%s", res->error != NULL ?
		    res->error : "query failed");
}

/* --- effects on the paused side --- */

static struct rp_ref *
rp_ref(struct reproof *rp)
{
	rp->ref = xcalloc(1, sizeof(*rp->ref));
	rp->ref->rp = rp;
	return rp->ref;
}

static struct reproof *
rp_deref(void *arg)
{
	struct rp_ref	*ref = arg;
	struct reproof	*rp = ref->rp;

	free(ref);
	if (rp != NULL)
		rp->ref = NULL;
	return rp;
}

static int
rp_fx(struct reproof *rp, const char *what, json_t *sql,
    void (*done)(struct effect *, int, const char *, void *))
{
	if (sqlfx_start(rp->job, what, rp->way == REPROOF_FORWARD ? "target" :
	    "source", sql, rp->status_sql, SQLFX_ROWS, done, rp_ref(rp)) ==
	    -1) {
		rp_deref(rp->ref);
		return -1;
	}
	return 0;
}

/* --- the end --- */

static void
rp_finish(struct reproof *rp)
{
	rp->step = RP_DONE;
	rp->progress[0] = '\0';
	rp_after(rp, RP_DONE, 0);
}

static void
rp_fail(struct reproof *rp, const char *fmt, ...)
{
	va_list	ap;
	char	buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!rp->failed) {
		rp->failed = 1;
		snprintf(rp->why, sizeof(rp->why), "%s", buf);
	}
	/* verify then compares by replicated checksums: not a fault. */
	if (rp->unsupported && rp->way == REPROOF_FORWARD)
		log_info("%s: %s: %s", rp->m->name, rp->label, buf);
	else
		log_warnx("%s: %s: %s", rp->m->name, rp->label, buf);
	/* Replication is the way back (or forward): never leave it paused. */
	if (rp->paused && rp->step != RP_RESUME)
		rp_step(rp, RP_RESUME);
	else if (rp->step != RP_RESUME)
		rp_finish(rp);
}

static void
rp_resumed(struct effect *e, int ok, const char *result, void *arg)
{
	struct reproof	*rp = rp_deref(arg);
	char		 buf[640];

	if (rp == NULL)
		return;
	if (ok) {
		rp->paused = 0;
		store_fact_set(rp->d->store, rp->m->id, rp->fact, NULL);
		rp_finish(rp);
		return;
	}
	if (++rp->resume_tries < RP_RESUME_TRIES) {
		rp_progress(rp, "starting %s on %s again (try %d failed: %s)",
		    rp->repl, rp->rs, rp->resume_tries, result);
		rp_after(rp, RP_RESUME, RP_RESUME_RETRY_MS);
		return;
	}
	snprintf(buf, sizeof(buf), "%s on %s could not be started again "
	    "(%s): it is stopped; start it by hand (%s%s) or restart the "
	    "daemon", rp->repl, rp->rs, result, rp->rds ? "CALL " : "",
	    rp->rds ? rp->sd.rds_start : rp->sd.start_replica);
	store_journal(rp->d->store, rp->m->id, "error", buf);
	log_warnx("%s: %s: %s", rp->m->name, rp->label, buf);
	if (!rp->failed || rp->mode == REPROOF_REPAIR) {
		rp->failed = 1;
		snprintf(rp->why, sizeof(rp->why), "%s", buf);
	}
	rp_finish(rp);
}

/* --- the steps --- */

static void
rp_versions_cb(void *arg, struct mydb_result *res)
{
	struct reproof	*rp = arg;
	const char	*v = res->err == 0 ? mydb_get(res, 0, "v") : NULL;

	if (v != NULL) {
		if (mydb_get(res, 0, "src") != NULL)
			rp->sd_known = mydialect_from_version(v, &rp->sd) == 0;
		else
			rp->td_known = mydialect_from_version(v, &rp->td) == 0;
	}
	if (!rp_answer(rp, res))
		return;
	if (!rp->sd_known || (rp->mode == REPROOF_PROVE && !rp->td_known)) {
		rp_fail(rp, "a server's version is not one migrated knows");
		return;
	}
	if (rp->mode == REPROOF_PROVE && rp->td.flavor != MYDB_MARIADB) {
		rp->unsupported = 1;
		rp_fail(rp, "%s is MySQL (%s), which has no binlog "
		    "position consistent with a snapshot (MariaDB's "
		    "Binlog_snapshot_file), so no new consistent point can be "
		    "found", rp->ps, mydb_server_version(rp->tsnap[0]) != NULL ?
		    mydb_server_version(rp->tsnap[0]) : "?");
		return;
	}
	rp_paused_side(rp);
	if (rp->rds && rp->sd.flavor == MYDB_MARIADB &&
	    rp->mode == REPROOF_PROVE) {
		rp->unsupported = 1;
		rp_fail(rp, "%s is RDS for MariaDB, which cannot stop its "
		    "replication at a chosen position (RDS has no "
		    "mysql.rds_start_replication_until for MariaDB), so no "
		    "consistent point can be reached without a freeze", rp->rs);
		return;
	}
	rp_step(rp, RP_STATUS);
}

/*
 * The paused side's statements: RDS's procedures for an RDS target (its
 * master user may not STOP SLAVE), else the plain ones.
 */
static void
rp_paused_side(struct reproof *rp)
{
	rp->rds = rp->way == REPROOF_FORWARD &&
	    rp->m->plan->target.kind == TARGET_RDS;
	snprintf(rp->status_sql, sizeof(rp->status_sql), "%s",
	    rp->rds && rp->sd.flavor == MYDB_MARIADB ?
	    "CALL mysql.rds_replica_status" : rp->sd.show_replica_status);
}

static void
rp_stmt(struct reproof *rp, char *buf, size_t len, int start)
{
	if (rp->rds)
		snprintf(buf, len, "CALL %s", start ? rp->sd.rds_start :
		    rp->sd.rds_stop);
	else
		snprintf(buf, len, "%s", start ? rp->sd.start_replica :
		    rp->sd.stop_replica);
}

static int
rp_until_set(const struct mydb_result *res)
{
	const char	*u = mydb_get(res, 0, "Until_Condition");

	return u != NULL && *u != '\0' && strcasecmp(u, "None") != 0;
}

static void
rp_status_cb(void *arg, struct mydb_result *res)
{
	struct reproof	*rp = arg;
	char		*fact;
	int		 left;

	if (res->err == 0 && res->nrows == 0) {
		rp->pending--;
		rp_fail(rp, "%s does not replicate from %s (no replica "
		    "status), so it cannot be stopped at a point of %s",
		    rp->rs, rp->ps, rp->ps);
		return;
	}
	left = res->err == 0 && rp_until_set(res);
	if (!rp_answer(rp, res))
		return;
	fact = store_fact_get(rp->d->store, rp->m->id, rp->fact);
	if (fact != NULL || left) {
		/* Ours: the daemon stopped while the side was paused. */
		rp->paused = 1;
		store_journal_f(rp, "%s on %s was left paused by an "
		    "interrupted %s; starting it again", rp->repl, rp->rs,
		    rp->label);
	}
	free(fact);
	if (rp->mode == REPROOF_REPAIR) {
		if (rp->paused)
			rp_step(rp, RP_RESUME);
		else
			rp_finish(rp);
		return;
	}
	rp_step(rp, RP_STOP);
}

static void
rp_stopped(struct effect *e, int ok, const char *result, void *arg)
{
	struct reproof	*rp = rp_deref(arg);

	if (rp == NULL)
		return;
	if (rp->cancelled) {
		rp_fail(rp, "%s", rp->why);
		return;
	}
	if (!ok) {
		rp_fail(rp, "stopping %s on %s failed: %s", rp->repl, rp->rs,
		    result);
		return;
	}
	rp_step(rp, RP_TSNAP);
}

static void
rp_reset_all(struct mydb **dbs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (dbs[i] != NULL)
			mydb_reset(dbs[i]);
}

static void	rp_tsnap_cb(void *, struct mydb_result *);

/*
 * The primary's snapshots, N at once, each then saying the binlog
 * position it is consistent with (MariaDB's Binlog_snapshot_*): the
 * primary keeps writing, so they may straddle a commit.
 */
static void
rp_tsnap_open(struct reproof *rp)
{
	size_t	i;

	rp_progress(rp, "opening %s's snapshot%s", rp->ps, rp->nsnap > 1 ?
	    "s" : "");
	for (i = 0; i < rp->nsnap; i++) {
		rp->tpos[i][0] = '\0';
		rp_query(rp, rp->tsnap[i], "SET SESSION TRANSACTION ISOLATION "
		    "LEVEL REPEATABLE READ", rp_prep_cb);
		rp_query(rp, rp->tsnap[i], "START TRANSACTION WITH CONSISTENT "
		    "SNAPSHOT, READ ONLY", rp_prep_cb);
	}
	for (i = 0; i < rp->nsnap; i++) {
		if (mydb_query(rp->tsnap[i], "SHOW STATUS LIKE "
		    "'binlog_snapshot_%'", rp_tsnap_cb, &rp->tconn[i]) == 0)
			rp->pending++;
		else if (rp->qerr[0] == '\0')
			snprintf(rp->qerr, sizeof(rp->qerr), "%s: query queue "
			    "full", mydb_name(rp->tsnap[i]));
	}
}

/*
 * Snapshots at one position see the same commits. Those that straddled
 * a commit are opened again, up to RP_SAME_TRIES times; then the largest
 * group at one position is kept and the others closed, so the proof runs
 * on fewer streams, still at one point.
 */
static void
rp_tsnap_same(struct reproof *rp)
{
	size_t	i, j, n, best = 0, nbest = 0, k = 0;
	char	*colon;

	for (i = 0; i < rp->nsnap; i++) {
		for (n = 0, j = 0; j < rp->nsnap; j++)
			n += strcmp(rp->tpos[i], rp->tpos[j]) == 0;
		if (n > nbest) {
			best = i;
			nbest = n;
		}
	}
	if (nbest < rp->nsnap && ++rp->same_tries < RP_SAME_TRIES) {
		rp_step(rp, RP_TSNAP);
		return;
	}
	snprintf(rp->point, sizeof(rp->point), "%s", rp->tpos[best]);
	if (nbest < rp->nsnap)
		log_info("%s: %s: %zu of %zu snapshots of %s at one position "
		    "after %d tries: the proof runs on %zu streams", rp->m->name,
		    rp->label, nbest, rp->nsnap, rp->ps, rp->same_tries, nbest);
	for (i = 0; i < rp->nsnap; i++) {
		if (strcmp(rp->tpos[i], rp->point) != 0) {
			mydb_free(rp->tsnap[i]);
			mydb_free(rp->ssnap[i]);
			continue;
		}
		rp->tsnap[k] = rp->tsnap[i];
		rp->ssnap[k] = rp->ssnap[i];
		k++;
	}
	rp->nsnap = k;
	colon = strrchr(rp->point, ':');
	snprintf(rp->file, sizeof(rp->file), "%.*s", (int)(colon - rp->point),
	    rp->point);
	rp->pos = strtoull(colon + 1, NULL, 10);
	rp_step(rp, RP_UNTIL);
}

static void
rp_tsnap_cb(void *arg, struct mydb_result *res)
{
	struct rp_conn		*cn = arg;
	struct reproof		*rp = cn->rp;
	const char		*name, *val, *file = NULL, *pos = NULL;
	unsigned long long	 i;

	for (i = 0; res->err == 0 && i < res->nrows; i++) {
		name = mydb_get(res, i, "Variable_name");
		val = mydb_get(res, i, "Value");
		if (name == NULL)
			continue;
		if (strcasecmp(name, "Binlog_snapshot_file") == 0)
			file = val;
		else if (strcasecmp(name, "Binlog_snapshot_position") == 0)
			pos = val;
	}
	if (file != NULL && pos != NULL && *file != '\0')
		snprintf(rp->tpos[cn->i], sizeof(rp->tpos[cn->i]), "%s:%s",
		    file, pos);
	if (!rp_answer(rp, res))
		return;
	for (i = 0; i < rp->nsnap; i++)
		if (rp->tpos[i][0] == '\0') {
			rp_fail(rp, "%s shows no binlog position for its "
			    "snapshot (Binlog_snapshot_file: binary log off?)",
			    rp->ps);
			return;
		}
	rp_tsnap_same(rp);
}

static void
rp_until_done(struct effect *e, int ok, const char *result, void *arg)
{
	struct reproof	*rp = rp_deref(arg);

	if (rp == NULL)
		return;
	if (rp->cancelled) {
		rp_fail(rp, "%s", rp->why);
		return;
	}
	if (!ok) {
		rp_fail(rp, "starting %s until %s failed: %s", rp->repl,
		    rp->point, result);
		return;
	}
	rp->deadline_ms = now_ms() + RP_WAIT_MS;
	rp_step(rp, RP_WAIT);
}

/*
 * MASTER_POS_WAIT answers NULL when the SQL thread is not running, which
 * is also what the UNTIL stop looks like: whatever it says, the status
 * decides.
 */
static void
rp_wait_cb(void *arg, struct mydb_result *res)
{
	struct reproof	*rp = arg;

	if (!rp_answer(rp, res))
		return;
	rp_step(rp, RP_CHECK);
}

static void
rp_check_cb(void *arg, struct mydb_result *res)
{
	struct reproof	*rp = arg;
	const char	*run, *file, *pos, *err;
	char		 at[200], sqlerr[256];
	int		 there = 0, stopped = 0;

	at[0] = sqlerr[0] = '\0';
	if (res->err == 0 && res->nrows > 0) {
		run = mydialect_status(res, 0, "Replica_SQL_Running");
		file = mydialect_status(res, 0, "Relay_Source_Log_File");
		pos = mydialect_status(res, 0, "Exec_Source_Log_Pos");
		err = mydialect_status(res, 0, "Last_SQL_Error");
		stopped = run != NULL && strcasecmp(run, "Yes") != 0;
		there = file != NULL && pos != NULL &&
		    strcmp(file, rp->file) == 0 &&
		    strtoull(pos, NULL, 10) == rp->pos;
		snprintf(at, sizeof(at), "%s:%s", file ? file : "?",
		    pos ? pos : "?");
		if (err != NULL && *err != '\0')
			snprintf(sqlerr, sizeof(sqlerr), ": %s", err);
	} else if (res->err == 0)
		snprintf(rp->qerr, sizeof(rp->qerr), "%s's replica "
		    "status is gone", rp->rs);
	if (!rp_answer(rp, res))
		return;
	if (stopped && there) {
		rp_step(rp, RP_SSNAP);
		return;
	}
	if (stopped && sqlerr[0] != '\0') {
		rp_fail(rp, "%s's replication stopped at %s before "
		    "%s%s", rp->rs, at, rp->point, sqlerr);
		return;
	}
	if (stopped) {
		/* Not a transaction boundary, or past it: a new point. */
		if (++rp->attempt < RP_ATTEMPTS) {
			log_info("%s: %s: %s stopped at %s, not %s; trying a "
			    "new point", rp->m->name, rp->label, rp->rs, at,
			    rp->point);
			rp_reset_all(rp->tsnap, rp->nsnap);
			rp_step(rp, RP_STOP);
			return;
		}
		rp_fail(rp, "%s's replication stopped at %s, not at "
		    "%s's snapshot position %s", rp->rs, at, rp->ps, rp->point);
		return;
	}
	if (now_ms() >= rp->deadline_ms) {
		rp_fail(rp, "%s did not reach %s's position "
		    "%s within %d s (it is at %s)", rp->rs, rp->ps, rp->point,
		    RP_WAIT_MS / 1000, at);
		return;
	}
	rp_progress(rp, "%s replicates up to %s (at %s)", rp->rs,
	    rp->point, at);
	rp_after(rp, RP_WAIT, RP_POLL_MS);
}

static void
rp_ssnap_cb(void *arg, struct mydb_result *res)
{
	struct reproof	*rp = arg;

	if (!rp_answer(rp, res))
		return;
	rp->snapped = 1;
	rp_step(rp, RP_RESUME);
}

/* Start the paused side's replication until the primary's point. */
static void
rp_until(struct reproof *rp)
{
	const struct mydialect	*s = &rp->sd;
	char			*qf, sql[512], what[128];

	rp_progress(rp, "%s replicates up to %s", rp->rs, rp->point);
	qf = mydb_quote(rp->file);
	if (rp->rds)
		snprintf(sql, sizeof(sql), "CALL mysql."
		    "rds_start_replication_until(%s, %" PRIu64 ")", qf,
		    rp->pos);
	else
		snprintf(sql, sizeof(sql), "%s UNTIL %s_LOG_FILE = %s, "
		    "%s_LOG_POS = %" PRIu64, s->start_replica, s->source_kw, qf,
		    s->source_kw, rp->pos);
	free(qf);
	snprintf(what, sizeof(what), "%s until the %s's point", rp->repl,
	    rp->label);
	if (rp_fx(rp, what, sqlfx_stmts(sql, NULL), rp_until_done) == -1)
		rp_fail(rp, "starting %s until %s could not be journaled",
		    rp->repl, rp->point);
}

static void
rp_step(struct reproof *rp, enum rp_step step)
{
	const struct mydialect	*s = &rp->sd;
	char			*qf, sql[512], stop[128], start[128];
	int64_t			 left;
	size_t			 i;

	rp->step = step;
	rp->qerr[0] = '\0';
	if (rp->cancelled && step != RP_RESUME && step != RP_DONE) {
		rp_fail(rp, "%s", rp->why);
		return;
	}
	switch (step) {
	case RP_VERSIONS:
		rp_progress(rp, "asking both servers");
		rp_query(rp, rp->ctl, "SELECT VERSION() AS v, 1 AS src",
		    rp_versions_cb);
		if (rp->mode == REPROOF_PROVE)
			rp_query(rp, rp->tsnap[0], "SELECT VERSION() AS v",
			    rp_versions_cb);
		break;
	case RP_STATUS:
		rp_query(rp, rp->ctl, rp->status_sql, rp_status_cb);
		break;
	case RP_STOP:
		rp_progress(rp, "pausing %s on %s", rp->repl, rp->rs);
		store_fact_set(rp->d->store, rp->m->id, rp->fact, "1");
		/* Counted as paused from the intent on: undo it whatever. */
		rp->paused = 1;
		rp_stmt(rp, stop, sizeof(stop), 0);
		snprintf(sql, sizeof(sql), "pause %s for the %s", rp->repl,
		    rp->label);
		if (rp_fx(rp, sql, sqlfx_stmts(stop, NULL), rp_stopped) == -1)
			rp_fail(rp, "pausing %s could not be journaled",
			    rp->repl);
		return;
	case RP_TSNAP:
		rp_tsnap_open(rp);
		break;
	case RP_UNTIL:
		rp_until(rp);
		return;
	case RP_WAIT:
		left = (rp->deadline_ms - now_ms()) / 1000 + 1;
		if (left > RP_WAIT_CHUNK_S)
			left = RP_WAIT_CHUNK_S;
		qf = mydb_quote(rp->file);
		snprintf(sql, sizeof(sql), "SELECT %s(%s, %" PRIu64 ", %lld) "
		    "AS w", s->pos_wait, qf, rp->pos, (long long)left);
		free(qf);
		rp_query(rp, rp->ctl, sql, rp_wait_cb);
		break;
	case RP_CHECK:
		rp_query(rp, rp->ctl, rp->status_sql, rp_check_cb);
		break;
	case RP_SSNAP:
		rp_progress(rp, "opening %s's snapshot at %s", rp->rs,
		    rp->point);
		/* Stopped at the point: every snapshot opens there. */
		for (i = 0; i < rp->nsnap; i++) {
			rp_query(rp, rp->ssnap[i], "SET SESSION TRANSACTION "
			    "ISOLATION LEVEL REPEATABLE READ", rp_prep_cb);
			rp_query(rp, rp->ssnap[i], "START TRANSACTION WITH "
			    "CONSISTENT SNAPSHOT, READ ONLY", rp_ssnap_cb);
		}
		break;
	case RP_RESUME:
		rp_progress(rp, "starting %s on %s again", rp->repl, rp->rs);
		/* STOP first: a pending UNTIL survives a plain START. */
		rp_stmt(rp, stop, sizeof(stop), 0);
		rp_stmt(rp, start, sizeof(start), 1);
		snprintf(sql, sizeof(sql), "resume %s", rp->repl);
		if (rp_fx(rp, sql, sqlfx_stmts(stop, start, NULL),
		    rp_resumed) == -1) {
			rp->resume_tries = RP_RESUME_TRIES - 1;
			rp_resumed(NULL, 0, "it could not be journaled",
			    rp_ref(rp));
		}
		return;
	case RP_DONE:
		rp_finish(rp);
		return;
	}
	if (rp->qerr[0] != '\0' && rp->pending == 0)
		rp_fail(rp, "%s", rp->qerr);
}

struct reproof *
reproof_new(struct job *j, enum reproof_mode mode, enum reproof_way way,
    reproof_cb cb, void *arg)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct reproof		*rp;
	struct dbpair	*db;
	char		 why[256];
	int		 fwd, bad = 0;
	size_t		 i;

	rp = xcalloc(1, sizeof(*rp));
	rp->job = j;
	rp->d = d;
	rp->m = m;
	rp->mode = mode;
	rp->way = way;
	if (way == REPROOF_FORWARD) {
		rp->label = "verify";
		rp->rs = "the target";
		rp->ps = "the source";
		rp->repl = "replication";
		rp->fact = VERIFY_FACT_PAUSED;
	} else {
		rp->label = "re-proof";
		rp->rs = "the source";
		rp->ps = "the target";
		rp->repl = "reverse replication";
		rp->fact = REPROOF_FACT_PAUSED;
	}
	rp->cb = cb;
	rp->arg = arg;
	if ((rp->ev = evtimer_new(d->base, rp_tick_cb, rp)) == NULL)
		fatalx("evtimer_new");
	if ((db = job_db(j, why, sizeof(why))) == NULL) {
		rp_fail(rp, "%s", why);
		return rp;
	}
	/* ctl and ssnap on the paused side, tsnap on the primary. */
	fwd = way == REPROOF_FORWARD;
	rp->ctl = dbpair_open(d, m, db, fwd, fwd ? "verify target" :
	    "re-proof source");
	rp->nsnap = mode == REPROOF_PROVE ? proof_streams(m->plan->
	    target.seed_threads) : 0;
	for (i = 0; i < rp->nsnap; i++) {
		rp->ssnap[i] = dbpair_open(d, m, db, fwd, fwd ?
		    "verify target snapshot" : "re-proof source snapshot");
		rp->tsnap[i] = dbpair_open(d, m, db, !fwd, fwd ?
		    "verify source snapshot" : "re-proof target");
		rp->tconn[i].rp = rp;
		rp->tconn[i].i = i;
		if (rp->ssnap[i] == NULL || rp->tsnap[i] == NULL)
			bad = 1;
	}
	if (rp->ctl == NULL || bad) {
		rp_fail(rp, "the %s's connections could not be made",
		    rp->label);
		return rp;
	}
	rp_step(rp, RP_VERSIONS);
	return rp;
}

void
reproof_cancel(struct reproof *rp, const char *why)
{
	if (rp == NULL || rp->cancelled || rp->step == RP_DONE)
		return;
	rp->cancelled = 1;
	if (!rp->failed) {
		rp->failed = 1;
		snprintf(rp->why, sizeof(rp->why), "%s", why);
	}
	/* A wait or snapshot in flight answers now, with an error. */
	if (rp->step != RP_RESUME) {
		if (rp->ctl != NULL)
			mydb_reset(rp->ctl);
		rp_reset_all(rp->tsnap, rp->nsnap);
		rp_reset_all(rp->ssnap, rp->nsnap);
	}
	/* Waiting on a timer (a poll): go on now. */
	if (rp->ref == NULL && rp->pending == 0 && evtimer_pending(rp->ev,
	    NULL) && rp->later != RP_DONE) {
		evtimer_del(rp->ev);
		rp_step(rp, rp->later);
	}
}

void
reproof_free(struct reproof *rp)
{
	size_t	i;

	if (rp == NULL)
		return;
	if (rp->ref != NULL)
		rp->ref->rp = NULL;
	event_free(rp->ev);
	mydb_free(rp->ctl);
	/* Handed over with a successful callback. */
	if (!(rp->finished && !rp->failed && rp->snapped)) {
		for (i = 0; i < rp->nsnap; i++) {
			mydb_free(rp->ssnap[i]);
			mydb_free(rp->tsnap[i]);
		}
	}
	free(rp);
}

const char *
reproof_progress(const struct reproof *rp)
{
	if (rp == NULL || rp->mode == REPROOF_REPAIR || rp->step == RP_DONE)
		return NULL;
	return rp->progress[0] != '\0' ? rp->progress : rp->way ==
	    REPROOF_FORWARD ? "verify: starting" : "re-proof: starting";
}

int
reproof_unsupported(const struct reproof *rp)
{
	return rp != NULL && rp->unsupported;
}
