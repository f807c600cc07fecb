/*
 * cutover: freeze, drain to an exact position, promote, switch, see the
 * first write; or undo all of it.
 *
 * The order is what makes it safe. Before the freeze nothing has changed,
 * so every check that can fail (target reachable, lag small, no long
 * writer on the source, snapshot connections open) runs first and a
 * failure there postpones or aborts with the source untouched. From the
 * freeze on, a budget timer (the plan's freeze_timeout) runs; until the
 * writer switch begins, its expiry or any failure undoes the freeze. Once
 * the switch has begun the way is forward only: the application may
 * already write to the target, so the source stays frozen and the switch
 * is completed, at restart too.
 *
 * Every step that changes a server is a journaled effect and leaves a fact
 * behind; the undo does not trust the facts alone but reads the servers
 * (is the source read-only, does it replicate from the target, does the
 * target still replicate from the source) and puts back what is missing.
 * That one undo serves a failed freeze, a SIGKILL during the freeze found
 * at restart, and an operator's abort.
 *
 * Two extra connections are opened before the freeze: one waits for the
 * position on the target (so a stalled wait can be cut off without
 * touching the shared connection), and both then hold a consistent
 * snapshot at the freeze point for the checksum proof, opened while the
 * source is frozen and before any application write reaches the target.
 * The proof runs on target.seed_threads streams: as many more pairs of
 * connections are opened before the freeze, and their snapshots are
 * opened beside the first two, at the same two moments (a few ms, in
 * parallel: the freeze is not longer for them).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cutover.h"
#include "conf.h"
#include "daemon.h"
#include "dbpair.h"
#include "driver.h"
#include "effect.h"
#include "facts.h"
#include "hook.h"
#include "job.h"
#include "lag.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "mydialect.h"
#include "now.h"
#include "plan.h"
#include "proof.h"
#include "proofrun.h"
#include "sqlfx.h"
#include "store.h"
#include "writer.h"

#define CUT_RETRY_MS		500	/* precheck postponed: ask again */
#define CUT_BACK_WAIT_MS	60000	/* rollback: the target's writes end */
#define CUT_LONG_WRITER_S	1	/* a write trx this old postpones */
#define CUT_FIRST_POLL_MS	5	/* first-write poll on the target */
#define CUT_UNDO_RETRY_MS	1000

enum cut_mode { CUT_FORWARD, CUT_UNDO, CUT_BACK };

/*
 * An effect or hook in flight points at its job through a ref, so a
 * cancelled job (the phase changed) is never touched by a late answer.
 */
struct cut_ref {
	struct cut	*c;
};

struct cut {
	struct job		*job;
	struct daemon		*d;
	struct migration	*m;
	struct dbpair		*db;
	enum cut_mode		 mode;
	struct mydb		*wsrc, *wtgt;	/* snapshot / wait connections */
	struct mydb		*xsrc[PROOF_STREAMS_MAX];	/* the proof's */
	struct mydb		*xtgt[PROOF_STREAMS_MAX];	/* other streams */
	size_t			 nx;
	struct event		*ev_budget, *ev_tick, *ev_kill;
	struct cut_ref		*ref;		/* effect or hook in flight */
	int			 pending;	/* queries in flight */
	int			 frozen, reset, reversed, switching;
	int			 expired;	/* the budget ran out */
	int			 undoing;	/* the undo has begun */
	int			 first_seen;	/* a write on the target */
	int			 killed;	/* source sessions ended */
	int			 switch_again;	/* after a failed switch */
	int			 next;		/* step after the effect */
	int64_t			 t_start_ms;	/* the phase began */
	int64_t			 freeze_us;	/* unix us, freeze began */
	int64_t			 deadline_ms;	/* rollback: wait bound */
	char			 final_file[128];
	uint64_t		 final_pos;
	char			 rev_file[128];
	uint64_t		 rev_pos;
	char			 postpone[384];
	char			 why[768];	/* abort reason */
	int			 undo_tries;
	int			 quiet_reads;	/* rollback: target binlog still */
	void			 (*back_done)(struct job *, int,
				    const char *);
};

static void	cut_precheck(struct cut *);
static void	cut_freeze(struct cut *);
static void	cut_undo(struct cut *);
static void	cut_undo_step(struct cut *, int);
static void	cut_switch(struct cut *);
static void	switch_again_done(struct daemon *, struct migration *,
		    const char *, int, const char *, void *);
static void	cut_first_write_poll(struct cut *);
static void	back_step(struct cut *, int);
static void	back_fail(struct cut *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static void	cut_finish(struct cut *);

static void
tv_ms(struct timeval *tv, int64_t ms)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

static void
fact_set(struct cut *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fact_set(struct cut *c, const char *key, const char *fmt, ...)
{
	va_list	ap;
	char	buf[256];

	if (fmt == NULL) {
		store_fact_set(c->d->store, c->m->id, key, NULL);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (store_fact_set(c->d->store, c->m->id, key, buf) == -1)
		log_warnx("%s: fact %s not stored", c->m->name, key);
}

/* "file:pos" into its parts; -1 if it is not one. */
static int
parse_filepos(const char *s, char *file, size_t len, uint64_t *pos)
{
	const char	*colon;
	char		*end;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL ||
	    (size_t)(colon - s) >= len || colon == s)
		return -1;
	memcpy(file, s, colon - s);
	file[colon - s] = '\0';
	*pos = strtoull(colon + 1, &end, 10);
	return *end == '\0' ? 0 : -1;
}

static struct cut_ref *
cut_ref(struct cut *c)
{
	if ((c->ref = calloc(1, sizeof(*c->ref))) == NULL)
		fatal("calloc");
	c->ref->c = c;
	return c->ref;
}

/* The ref's job, or NULL when it is gone; frees the ref. */
static struct cut *
cut_deref(void *arg)
{
	struct cut_ref	*ref = arg;
	struct cut	*c;

	if (ref == NULL)
		return NULL;
	c = ref->c;
	free(ref);
	if (c != NULL)
		c->ref = NULL;
	return c;
}

/* Every other stream's connection through fn (mydb_free, mydb_reset). */
static void
cut_extra_each(struct cut *c, void (*fn)(struct mydb *))
{
	size_t	i;

	for (i = 0; i < c->nx; i++) {
		if (c->xsrc[i] != NULL)
			fn(c->xsrc[i]);
		if (c->xtgt[i] != NULL)
			fn(c->xtgt[i]);
	}
}

static void
cut_free(struct cut *c)
{
	/* A writer switch by AWS stops with the job; a hook or an effect
	 * answers later and finds the ref empty. */
	if (c->ref != NULL && writer_cancel(c->ref))
		free(c->ref);
	else if (c->ref != NULL)
		c->ref->c = NULL;
	mydb_forget(c->db->src, c);
	mydb_forget(c->db->tgt, c);
	mydb_free(c->wsrc);
	mydb_free(c->wtgt);
	cut_extra_each(c, mydb_free);
	if (c->ev_budget != NULL)
		event_free(c->ev_budget);
	if (c->ev_tick != NULL)
		event_free(c->ev_tick);
	if (c->ev_kill != NULL)
		event_free(c->ev_kill);
	free(c);
}

static void
cut_cancel(void *arg)
{
	struct cut	*c = arg;
	struct lag	*l = job_lag(c->job);

	if (l != NULL)
		lag_hold_writes(l, 0);
	cut_free(c);
}

static void
cut_fire(struct cut *c, enum mev ev, const char *detail)
{
	/* cut_cancel lets the heartbeat write again. */
	job_end(c->job, c, cut_cancel, ev, detail);
}

static void
precheck_tick(evutil_socket_t fd, short what, void *arg)
{
	cut_precheck(arg);
}

static void
first_write_tick(evutil_socket_t fd, short what, void *arg)
{
	cut_first_write_poll(arg);
}

static void
cut_after(struct cut *c, int64_t ms, void (*fn)(evutil_socket_t, short,
    void *))
{
	struct timeval	tv;

	if (c->ev_tick != NULL)
		event_free(c->ev_tick);
	if ((c->ev_tick = evtimer_new(c->d->base, fn, c)) == NULL)
		fatalx("evtimer_new");
	tv_ms(&tv, ms);
	evtimer_add(c->ev_tick, &tv);
}

/*
 * Something went wrong. Before the freeze: back to shifting at once.
 * After it and before the switch: undo (once the step in flight has
 * answered: a SET GLOBAL read_only still waiting must not land after the
 * unfreeze). After the switch began: never back.
 */
static void
cut_abort(struct cut *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cut_abort(struct cut *c, const char *fmt, ...)
{
	va_list	ap;
	char	why[sizeof(c->why)];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (c->mode != CUT_FORWARD || c->switching) {
		/* Undoing already, or past the point of no return. */
		log_warnx("%s: cutover: %s (going on)", c->m->name, why);
		return;
	}
	memcpy(c->why, why, sizeof(c->why));
	log_warnx("%s: cutover: %s", c->m->name, c->why);
	if (c->freeze_us == 0) {
		cut_fire(c, MEV_CUTOVER_ABORTED, c->why);
		return;
	}
	c->mode = CUT_UNDO;
	if (c->ev_budget != NULL)
		evtimer_del(c->ev_budget);
	/*
	 * A position wait or snapshot in flight is cut off with its
	 * connection; their callbacks answer with an error, and the last
	 * answer starts the undo.
	 */
	if (c->wtgt != NULL)
		mydb_reset(c->wtgt);
	if (c->wsrc != NULL)
		mydb_reset(c->wsrc);
	cut_extra_each(c, mydb_reset);
	if (c->ref == NULL && c->pending == 0 && !c->undoing)
		cut_undo(c);
}

/* A step answered while an abort waited for it: the undo runs now. */
static int
cut_diverted(struct cut *c)
{
	if (c->mode != CUT_UNDO)
		return 0;
	if (c->ref == NULL && c->pending == 0 && !c->undoing)
		cut_undo(c);
	return 1;
}

/* Every step before the switch has answered. */
static int
cut_ready_to_switch(const struct cut *c)
{
	return c->mode == CUT_FORWARD && c->pending == 0 && c->ref == NULL &&
	    c->reset && c->rev_file[0] != '\0' &&
	    (c->reversed || !c->m->plan->cutover.reverse_replication);
}

static void
cut_budget_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cut	*c = arg;

	if (c->switching)
		return;
	c->expired = 1;
	cut_abort(c, "the freeze exceeded its %lld ms budget; the source is "
	    "unfrozen and replication kept",
	    (long long)c->m->plan->cutover.freeze_timeout);
}

/* --- precheck: nothing is changed yet --- */

/*
 * The freeze was put off past cutover.max_postpone (counted from the
 * phase's start, across a restart): nothing is frozen, so
 * the migration pauses with the reason, and resume goes back to ready.
 */
static void
cut_postponed(struct cut *c, int64_t held)
{
	const struct plan	*p = c->m->plan;
	char			 a[32], b[32], detail[1024];

	conf_duration_str(held / 1000 * 1000, a, sizeof(a));
	conf_duration_str(p->cutover.max_postpone, b, sizeof(b));
	snprintf(detail, sizeof(detail), "alert: the cutover was postponed "
	    "for %s, over cutover.max_postpone %s: %s; nothing was frozen. "
	    "Paused: `migratectl resume %s` returns to ready (to be approved "
	    "again if cutover.approval = required), abort rolls back",
	    a, b, c->postpone, c->m->name);
	store_journal(c->d->store, c->m->id, "alert", detail);
	log_warnx("%s: %s", c->m->name, detail);
	/* The pause's transition is the webhook's message. */
	cut_fire(c, MEV_POSTPONED, detail);
}

static void
cut_precheck_done(struct cut *c)
{
	const struct plan	*p = c->m->plan;
	struct lag		*l = job_lag(c->job);
	const struct lagstat	*st = l != NULL ? lag_stat(l) : NULL;
	int64_t			 fresh, now = now_ms();

	if (c->pending > 0 || c->mode != CUT_FORWARD)
		return;
	fresh = 3 * p->source.heartbeat_interval + 1000;
	if (c->postpone[0] == '\0') {
		if (st == NULL || !st->known || now - st->updated > fresh)
			snprintf(c->postpone, sizeof(c->postpone), "no fresh "
			    "heartbeat reading from the target");
		else if (!st->io_running || !st->sql_running)
			snprintf(c->postpone, sizeof(c->postpone), "the "
			    "target's replication threads are not both "
			    "running");
		else if (st->heartbeat_ms > p->cutover.max_lag)
			snprintf(c->postpone, sizeof(c->postpone), "heartbeat "
			    "lag %lld ms is above cutover.max_lag %lld ms",
			    (long long)st->heartbeat_ms,
			    (long long)p->cutover.max_lag);
	}
	if (c->postpone[0] == '\0') {
		cut_freeze(c);
		return;
	}
	if (now - c->t_start_ms >= p->cutover.max_postpone) {
		cut_postponed(c, now - c->t_start_ms);
		return;
	}
	job_progress(c->job, "cutover postponed for %llds (pauses after "
	    "%llds): %s", (long long)((now - c->t_start_ms) / 1000),
	    (long long)(p->cutover.max_postpone / 1000), c->postpone);
	cut_after(c, CUT_RETRY_MS, precheck_tick);
}

static void
pre_target_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*v;

	c->pending--;
	if (res->err != 0) {
		cut_abort(c, "the target is unreachable (%s); nothing was "
		    "frozen", res->error);
		return;
	}
	if ((v = mydb_get(res, 0, "v")) != NULL &&
	    mydialect_from_version(v, &c->db->td) == 0)
		c->db->td_known = 1;
	cut_precheck_done(c);
}

static void
pre_source_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*v, *ro;

	c->pending--;
	if (res->err != 0) {
		cut_abort(c, "the source is unreachable (%s); nothing was "
		    "frozen", res->error);
		return;
	}
	if ((v = mydb_get(res, 0, "v")) == NULL ||
	    mydialect_from_version(v, &c->db->sd) == -1) {
		cut_abort(c, "the source's version %s is not supported",
		    v ? v : "(none)");
		return;
	}
	c->db->sd_known = 1;
	ro = mydb_get(res, 0, "ro");
	if (ro != NULL && strcmp(ro, "0") != 0 && c->postpone[0] == '\0')
		snprintf(c->postpone, sizeof(c->postpone), "the source is "
		    "already read-only: someone else froze it");
	cut_precheck_done(c);
}

static void
pre_writers_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*n, *age, *what;

	c->pending--;
	if (res->err != 0) {
		cut_abort(c, "could not look for long writers on the source "
		    "(%s)", res->error);
		return;
	}
	n = mydb_get(res, 0, "n");
	if (n != NULL && strcmp(n, "0") != 0 && c->postpone[0] == '\0') {
		age = mydb_get(res, 0, "age");
		what = mydb_get(res, 0, "what");
		snprintf(c->postpone, sizeof(c->postpone), "%s write "
		    "transaction(s) open on the source, the oldest for %s s "
		    "(%.120s): read_only would wait for them", n,
		    age ? age : "?", what ? what : "no statement");
	}
	cut_precheck_done(c);
}

static void
pre_conn_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;

	c->pending--;
	if (res->err != 0) {
		cut_abort(c, "a second connection could not be opened (%s); "
		    "nothing was frozen", res->error);
		return;
	}
	cut_precheck_done(c);
}

/*
 * Queue a query whose answer the job counts. A full queue (64 queries on
 * one connection) cannot happen with the job's one-step-at-a-time use;
 * should it, the step stays unanswered and the freeze budget or the
 * undo's retry deals with it.
 */
static void
cut_query(struct cut *c, struct mydb *db, const char *sql, mydb_cb cb)
{
	if (mydb_query(db, sql, cb, c) == 0)
		c->pending++;
	else
		log_warnx("%s: cutover: %s: queue full", c->m->name,
		    mydb_name(db));
}

/*
 * The proof's other streams (target.seed_threads, the first being wsrc
 * and wtgt): a pair of connections each, opened before the freeze.
 */
static void
cut_extra_open(struct cut *c)
{
	size_t	n = proof_streams(c->m->plan->target.seed_threads);

	for (c->nx = 0; c->nx + 1 < n; c->nx++) {
		c->xsrc[c->nx] = dbpair_open(c->d, c->m, c->db, 0,
		    "source snapshot");
		c->xtgt[c->nx] = dbpair_open(c->d, c->m, c->db, 1,
		    "target snapshot");
	}
}

/* The same query on every other stream's source and target (NULL: not
 * on that side). */
static void
cut_extra_query(struct cut *c, const char *src_sql, const char *tgt_sql,
    mydb_cb cb)
{
	size_t	i;

	for (i = 0; i < c->nx; i++) {
		if (src_sql != NULL && c->xsrc[i] != NULL)
			cut_query(c, c->xsrc[i], src_sql, cb);
		if (tgt_sql != NULL && c->xtgt[i] != NULL)
			cut_query(c, c->xtgt[i], tgt_sql, cb);
	}
}

static void
cut_precheck(struct cut *c)
{
	const struct plan	*p = c->m->plan;
	char			 sql[640];

	c->postpone[0] = '\0';
	job_progress(c->job, "cutover: checking before the freeze");
	if (c->wsrc == NULL && p->cutover.checksum)
		c->wsrc = dbpair_open(c->d, c->m, c->db, 0, "source snapshot");
	if (c->wtgt == NULL)
		c->wtgt = dbpair_open(c->d, c->m, c->db, 1, "target wait");
	if (c->nx == 0 && p->cutover.checksum)
		cut_extra_open(c);
	c->pending++;		/* held until every query is queued */
	cut_query(c, c->db->tgt, "SELECT VERSION() AS v", pre_target_cb);
	cut_query(c, c->db->src, "SELECT VERSION() AS v, @@global.read_only "
	    "AS ro", pre_source_cb);
	/*
	 * SET GLOBAL read_only waits for every running write; a long one
	 * would hold the freeze and stall the application without an
	 * error. INNODB_TRX shows transactions that changed or locked rows.
	 */
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) AS n, MAX(TIMESTAMPDIFF("
	    "SECOND, trx_started, NOW())) AS age, MAX(LEFT(trx_query, 120)) "
	    "AS what FROM information_schema.INNODB_TRX WHERE (trx_rows_"
	    "modified > 0 OR trx_rows_locked > 0 OR trx_state = 'LOCK WAIT') "
	    "AND trx_mysql_thread_id <> CONNECTION_ID() AND trx_started <= "
	    "NOW() - INTERVAL %d SECOND", CUT_LONG_WRITER_S);
	cut_query(c, c->db->src, sql, pre_writers_cb);
	cut_query(c, c->wtgt, "SELECT 1", pre_conn_cb);
	if (c->wsrc != NULL)
		cut_query(c, c->wsrc, "SELECT 1", pre_conn_cb);
	cut_extra_query(c, "SELECT 1", "SELECT 1", pre_conn_cb);
	c->pending--;
	cut_precheck_done(c);
}

/* --- the freeze --- */

static void
snap_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;

	c->pending--;
	if (cut_diverted(c))
		return;
	if (res->err != 0) {
		cut_abort(c, "opening the proof's snapshot failed (%s)",
		    res->error);
		return;
	}
	if (cut_ready_to_switch(c))
		cut_switch(c);
}

static void	cut_reset(struct cut *);

static void
pos_wait_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*w;

	c->pending--;
	if (cut_diverted(c))
		return;
	if (res->err != 0) {
		cut_abort(c, "waiting on the target for %s:%" PRIu64 " failed "
		    "(%s)", c->final_file, c->final_pos, res->error);
		return;
	}
	w = res->nrows > 0 && res->ncols > 0 ? res->rows[0][0] : NULL;
	if (w == NULL) {
		cut_abort(c, "the target's replication SQL thread is not "
		    "running, so it cannot reach %s:%" PRIu64, c->final_file,
		    c->final_pos);
		return;
	}
	if (strcmp(w, "-1") == 0) {
		/* MASTER_POS_WAIT's timeout is the budget's rest: it may
		 * end a little before the budget's own timer. */
		cut_abort(c, "the freeze exceeded its %lld ms budget: the "
		    "target did not reach %s:%" PRIu64,
		    (long long)c->m->plan->cutover.freeze_timeout,
		    c->final_file, c->final_pos);
		return;
	}
	/* The target now holds exactly the frozen source: snapshot it. */
	if (c->wsrc != NULL)
		cut_query(c, c->wtgt, "START TRANSACTION WITH CONSISTENT "
		    "SNAPSHOT, READ ONLY", snap_cb);
	cut_extra_query(c, NULL, "START TRANSACTION WITH CONSISTENT "
	    "SNAPSHOT, READ ONLY", snap_cb);
	cut_reset(c);
}

static void
final_pos_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*file, *pos;
	char		*qf, sql[512];
	int64_t		 left_ms;

	c->pending--;
	if (cut_diverted(c))
		return;
	file = res->err == 0 ? mydb_get(res, 0, "File") : NULL;
	pos = res->err == 0 ? mydb_get(res, 0, "Position") : NULL;
	if (file == NULL || pos == NULL) {
		cut_abort(c, "reading the source's final binlog position "
		    "failed (%s)", res->err ? res->error : "binary log off?");
		return;
	}
	snprintf(c->final_file, sizeof(c->final_file), "%s", file);
	c->final_pos = strtoull(pos, NULL, 10);
	fact_set(c, CUT_FACT_FINAL, "%s:%" PRIu64, c->final_file, c->final_pos);
	job_progress(c->job, "cutover: source frozen at %s:%" PRIu64
	    "; draining", c->final_file, c->final_pos);

	/* The source's snapshot: frozen, so this is the freeze point. */
	if (c->wsrc != NULL) {
		cut_query(c, c->wsrc, "SET SESSION TRANSACTION ISOLATION "
		    "LEVEL REPEATABLE READ", snap_cb);
		cut_query(c, c->wsrc, "START TRANSACTION WITH CONSISTENT "
		    "SNAPSHOT, READ ONLY", snap_cb);
		cut_query(c, c->wtgt, "SET SESSION TRANSACTION ISOLATION "
		    "LEVEL REPEATABLE READ", snap_cb);
		cut_extra_query(c, "SET SESSION TRANSACTION ISOLATION LEVEL "
		    "REPEATABLE READ", "SET SESSION TRANSACTION ISOLATION "
		    "LEVEL REPEATABLE READ", snap_cb);
		cut_extra_query(c, "START TRANSACTION WITH CONSISTENT "
		    "SNAPSHOT, READ ONLY", NULL, snap_cb);
	}
	/* An exact position, never "lag = 0"; bounded by the budget. */
	/* Whole seconds: the budget timer cuts it off to the millisecond. */
	left_ms = c->m->plan->cutover.freeze_timeout -
	    (now_us() - c->freeze_us) / 1000;
	qf = mydb_quote(c->final_file);
	snprintf(sql, sizeof(sql), "SELECT %s(%s, %" PRIu64 ", %lld)",
	    c->db->td.pos_wait, qf, c->final_pos,
	    (long long)(left_ms / 1000 + 1));
	free(qf);
	cut_query(c, c->wtgt, sql, pos_wait_cb);
}

static void
marker_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;

	c->pending--;
	if (cut_diverted(c))
		return;
	if (res->err != 0)
		cut_abort(c, "writing the freeze marker on the source failed "
		    "(%s)", res->error);
}

static void
cut_frozen(struct effect *e, int ok, const char *result, void *arg)
{
	struct cut	*c = cut_deref(arg);
	char		 sql[256];

	if (c == NULL)
		return;
	if (ok)
		c->frozen = 1;
	if (cut_diverted(c))
		return;
	if (!ok) {
		cut_abort(c, "freezing the source failed: %s", result);
		return;
	}
	/*
	 * A marker after the freeze: the final position lies past the last
	 * application write, and the target shows the marker when it is
	 * there. Our account writes through read_only by its privilege.
	 */
	snprintf(sql, sizeof(sql), "INSERT INTO migrated.marker (note, at_us) "
	    "VALUES ('cutover freeze', %" PRId64 ")", c->freeze_us);
	cut_query(c, c->db->src, sql, marker_cb);
	cut_query(c, c->db->src, c->db->sd.show_binlog_status, final_pos_cb);
}

static void
cut_freeze(struct cut *c)
{
	const struct plan	*p = c->m->plan;
	struct lag		*l = job_lag(c->job);
	struct timeval		 tv;
	json_t			*sql;

	c->freeze_us = now_us();
	fact_set(c, CUT_FACT_ATTEMPT, "%" PRId64, c->freeze_us);
	fact_set(c, CUT_FACT_FINAL, NULL);
	/* The heartbeat would write through read_only: hold it. */
	if (l != NULL)
		lag_hold_writes(l, 1);
	if ((c->ev_budget = evtimer_new(c->d->base, cut_budget_cb, c)) == NULL)
		fatalx("evtimer_new");
	tv_ms(&tv, p->cutover.freeze_timeout);
	evtimer_add(c->ev_budget, &tv);
	job_progress(c->job, "cutover: freezing the source");
	log_info("%s: cutover: freezing the source (budget %lld ms)",
	    c->m->name, (long long)p->cutover.freeze_timeout);

	/*
	 * lock_wait_timeout bounds the SET: a write that slipped past the
	 * precheck makes it fail in a second rather than hang.
	 */
	if (c->db->sd.super_read_only)
		sql = sqlfx_stmts("SET SESSION lock_wait_timeout = 1",
		    "SET GLOBAL super_read_only = ON", NULL);
	else
		sql = sqlfx_stmts("SET SESSION lock_wait_timeout = 1",
		    "SET GLOBAL read_only = ON", NULL);
	if (sqlfx_start(c->job, "freeze source", "source", sql,
	    "SELECT @@global.read_only = 1", SQLFX_ONE, cut_frozen,
	    cut_ref(c)) == -1) {
		cut_deref(c->ref);
		cut_abort(c, "the freeze could not be journaled");
	}
}

/* --- promote the target --- */

static void
reversed_cb(struct effect *e, int ok, const char *result, void *arg)
{
	struct cut	*c = cut_deref(arg);

	if (c == NULL)
		return;
	if (ok)
		c->reversed = 1;
	if (cut_diverted(c))
		return;
	if (!ok) {
		cut_abort(c, "starting reverse replication on the source "
		    "failed: %s", result);
		return;
	}
	if (cut_ready_to_switch(c))
		cut_switch(c);
}

static void
cut_reverse(struct cut *c)
{
	const struct plan	*p = c->m->plan;
	const struct mydialect	*s = &c->db->sd;
	char			*host, *user, *file, change[1024];
	char			 filter[160];
	json_t			*sql;
	int			 rc;

	host = mydb_quote(p->target.db.host);
	user = mydb_quote(p->target.db.user);
	file = mydb_quote(c->rev_file);
	rc = mydialect_change_source_sql(s, change, sizeof(change), host,
	    p->target.db.port, user, "{target_password}", file, c->rev_pos,
	    NULL, p->target.db.ca_file != NULL);
	free(host);
	free(user);
	free(file);
	if (rc == -1) {
		cut_abort(c, "the reverse replication statement does not fit");
		return;
	}
	/* RDS writes its own tables in mysql.*; they are not ours to copy. */
	if (s->flavor == MYDB_MARIADB)
		snprintf(filter, sizeof(filter), "SET GLOBAL "
		    "replicate_wild_ignore_table = 'mysql.%%'");
	else
		snprintf(filter, sizeof(filter), "CHANGE REPLICATION FILTER "
		    "REPLICATE_WILD_IGNORE_TABLE = ('mysql.%%')");
	sql = sqlfx_stmts(filter, change, s->start_replica, NULL);
	job_progress(c->job, "cutover: starting reverse replication");
	if (sqlfx_start(c->job, "reverse replication", "source", sql,
	    s->show_replica_status, SQLFX_ROWS, reversed_cb, cut_ref(c)) == -1) {
		cut_deref(c->ref);
		cut_abort(c, "reverse replication could not be journaled");
	}
}

static void
rev_pos_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*file, *pos;

	c->pending--;
	if (cut_diverted(c))
		return;
	file = res->err == 0 ? mydb_get(res, 0, "File") : NULL;
	pos = res->err == 0 ? mydb_get(res, 0, "Position") : NULL;
	if (file == NULL || pos == NULL) {
		cut_abort(c, "reading the target's binlog position failed (%s)",
		    res->err ? res->error : "binary log off on the target?");
		return;
	}
	snprintf(c->rev_file, sizeof(c->rev_file), "%s", file);
	c->rev_pos = strtoull(pos, NULL, 10);
	fact_set(c, CUT_FACT_REVERSE, "%s:%" PRIu64, c->rev_file, c->rev_pos);
	if (c->m->plan->cutover.reverse_replication)
		cut_reverse(c);
	else if (cut_ready_to_switch(c))
		cut_switch(c);
}

static void
reset_cb(struct effect *e, int ok, const char *result, void *arg)
{
	struct cut	*c = cut_deref(arg);

	if (c == NULL)
		return;
	if (ok)
		c->reset = 1;
	if (cut_diverted(c))
		return;
	if (!ok) {
		cut_abort(c, "stopping replication on the target failed: %s",
		    result);
		return;
	}
	cut_query(c, c->db->tgt, c->db->td.show_binlog_status, rev_pos_cb);
}

static void
cut_reset(struct cut *c)
{
	const struct plan	*p = c->m->plan;
	const struct mydialect	*t = &c->db->td;
	char			 stop[96], reset[96];
	json_t			*sql;

	if (p->target.kind == TARGET_RDS) {
		snprintf(stop, sizeof(stop), "CALL %s", t->rds_stop);
		snprintf(reset, sizeof(reset), "CALL %s", t->rds_reset_external);
	} else {
		snprintf(stop, sizeof(stop), "%s", t->stop_replica);
		snprintf(reset, sizeof(reset), "%s", t->reset_replica_all);
	}
	sql = sqlfx_stmts(stop, reset, NULL);
	job_progress(c->job, "cutover: promoting the target");
	if (sqlfx_start(c->job, "reset replication", "target", sql,
	    dbpair_status_sql(c->db, p), SQLFX_NONE, reset_cb, cut_ref(c)) ==
	    -1) {
		cut_deref(c->ref);
		cut_abort(c, "the replication reset could not be journaled");
	}
}

/* --- the switch and the first write --- */

static void
kill_list_cb(void *arg, struct mydb_result *res)
{
	struct cut		*c = arg;
	unsigned long long	 i;
	const char		*id;
	char			 sql[64];

	c->pending--;
	if (res->err != 0) {
		log_warnx("%s: cutover: listing the application's sessions on "
		    "the source failed: %s", c->m->name, res->error);
		return;
	}
	for (i = 0; i < res->nrows; i++) {
		if ((id = mydb_get(res, i, "ID")) == NULL)
			continue;
		snprintf(sql, sizeof(sql), "KILL CONNECTION %s", id);
		mydb_query(c->db->src, sql, NULL, NULL);
	}
	if (res->nrows > 0)
		store_journal(c->d->store, c->m->id, "info", "cutover: ended "
		    "the application's sessions on the source so its pools "
		    "reconnect to the target");
	c->killed = 1;
	if (c->first_seen)
		cut_finish(c);
}

/* After kill_grace: the application's pools still on the source reconnect. */
static void
kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cut		*c = arg;
	const struct plan	*p = c->m->plan;
	char			*self, *repl, sql[768];

	self = mydb_quote(p->source.db.user);
	repl = mydb_quote(p->source.repl_user);
	snprintf(sql, sizeof(sql), "SELECT ID FROM information_schema."
	    "PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER NOT IN (%s, %s, "
	    "'system user', 'event_scheduler', 'unauthenticated user') AND "
	    "COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', "
	    "'Slave_IO', 'Slave_SQL', 'Slave_worker')", self, repl);
	free(self);
	free(repl);
	cut_query(c, c->db->src, sql, kill_list_cb);
}

static void
first_write_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*file, *pos;
	char		 detail[512];
	int64_t		 gap_ms, waited;

	c->pending--;
	file = res->err == 0 ? mydb_get(res, 0, "File") : NULL;
	pos = res->err == 0 ? mydb_get(res, 0, "Position") : NULL;
	if (file == NULL || pos == NULL || (strcmp(file, c->rev_file) == 0 &&
	    strtoull(pos, NULL, 10) <= c->rev_pos)) {
		waited = (now_us() - c->freeze_us) / 1000000;
		if (waited >= 2)
			job_progress(c->job, "cutover: writer switched; "
			    "waiting for the first application write on the "
			    "target (%llds)", (long long)waited);
		cut_after(c, CUT_FIRST_POLL_MS, first_write_tick);
		return;
	}
	gap_ms = (now_us() - c->freeze_us) / 1000;
	fact_set(c, CUT_FACT_GAP_MS, "%" PRId64, gap_ms);
	c->m->obs.first_write = 1;
	c->first_seen = 1;
	store_sample(c->d->store, c->m->id, "cutover_write_gap_ms",
	    (double)gap_ms);
	log_info("%s: cutover: first write on the target %lld ms after the "
	    "freeze", c->m->name, (long long)gap_ms);
	snprintf(detail, sizeof(detail), "first write on the target %lld ms "
	    "after the freeze (target at %s:%s)", (long long)gap_ms, file, pos);
	store_journal(c->d->store, c->m->id, "info", detail);
	if (c->killed)
		cut_finish(c);
	else
		job_progress(c->job, "cutover: first write seen; ending the "
		    "application's sessions on the source");
}

/* First write seen and the old sessions ended: the phase is done. */
static void
cut_finish(struct cut *c)
{
	struct mydb	*src[PROOF_STREAMS_MAX], *tgt[PROOF_STREAMS_MAX];
	char		*gap, *frz, detail[256];
	size_t		 i;

	if (c->wsrc != NULL) {
		src[0] = c->wsrc;
		tgt[0] = c->wtgt;
		for (i = 0; i < c->nx; i++) {
			src[i + 1] = c->xsrc[i];
			tgt[i + 1] = c->xtgt[i];
		}
		proofrun_start(c->job->proof, src, tgt, c->nx + 1);
		c->wsrc = c->wtgt = NULL;
		c->nx = 0;
	} else if (c->m->plan->cutover.checksum &&
	    c->m->plan->cutover.reverse_replication) {
		/* Resumed after a restart: the freeze point's snapshots
		 * went with the old process; the runner proves at a new
		 * point through reverse replication (daemon/reproof.c). */
		fact_set(c, PROOF_FACT_VERDICT, NULL);
	} else if (c->m->plan->cutover.checksum) {
		/* Resumed after a restart, and no reverse replication to
		 * find a new point with. */
		fact_set(c, PROOF_FACT_VERDICT, "error");
		fact_set(c, PROOF_FACT_DETAIL, "the daemon stopped during the "
		    "cutover; the snapshots at the freeze point are gone, so "
		    "the tables are unproven: compare them by hand before "
		    "approving decommission");
	}
	gap = store_fact_get(c->d->store, c->m->id, CUT_FACT_GAP_MS);
	frz = store_fact_get(c->d->store, c->m->id, CUT_FACT_FREEZE_MS);
	snprintf(detail, sizeof(detail), "writer on the target: source "
	    "read-only %s ms before the switch, first write after %s ms",
	    frz ? frz : "?", gap ? gap : "?");
	free(gap);
	free(frz);
	cut_fire(c, MEV_WRITER_SWITCHED, detail);
}

static void
cut_first_write_poll(struct cut *c)
{
	cut_query(c, c->db->tgt, c->db->td.show_binlog_status, first_write_cb);
}

static void
cut_switched_now(struct cut *c)
{
	const struct plan	*p = c->m->plan;
	struct timeval		 tv;
	int64_t			 now = now_us(), frz;

	if (c->ev_budget != NULL)
		evtimer_del(c->ev_budget);
	fact_set(c, CUT_FACT_SWITCHED, "%" PRId64, now);
	frz = (now - c->freeze_us) / 1000;
	fact_set(c, CUT_FACT_FREEZE_MS, "%" PRId64, frz);
	store_sample(c->d->store, c->m->id, "cutover_freeze_ms", (double)frz);
	c->m->obs.writer_switched = 1;
	log_info("%s: cutover: writer switched %lld ms after the freeze",
	    c->m->name, (long long)frz);
	job_progress(c->job, "cutover: writer switched; waiting for the "
	    "first application write on the target");
	if ((c->ev_kill = evtimer_new(c->d->base, kill_cb, c)) == NULL)
		fatalx("evtimer_new");
	tv_ms(&tv, p->cutover.kill_grace);
	evtimer_add(c->ev_kill, &tv);
	cut_first_write_poll(c);
}

static void
switch_probe_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*file, *pos;

	c->pending--;
	file = res->err == 0 ? mydb_get(res, 0, "File") : NULL;
	pos = res->err == 0 ? mydb_get(res, 0, "Position") : NULL;
	if (file != NULL && pos != NULL && (strcmp(file, c->rev_file) != 0 ||
	    strtoull(pos, NULL, 10) > c->rev_pos)) {
		/* Writes reached the target: the switch happened anyway. */
		store_journal(c->d->store, c->m->id, "warning", "cutover: the "
		    "writer switch reported failure, but writes reach the "
		    "target: going forward");
		/*
		 * A dns or ecs-env switch that failed may have put the old
		 * value back after the application saw the new one: point
		 * it at the target again, whatever that answers.
		 */
		if (writer_puts_back(c->m->plan) && !c->switch_again) {
			c->switch_again = 1;
			if (writer_switch(c->job, 1, "writer_switch",
			    switch_again_done, cut_ref(c)) == 0)
				return;
			cut_deref(c->ref);
		}
		cut_switched_now(c);
		return;
	}
	c->switching = 0;
	fact_set(c, CUT_FACT_SWITCHING, NULL);
	cut_abort(c, "%s", c->why);
}

static void
switch_again_done(struct daemon *d, struct migration *m, const char *hook,
    int ok, const char *result, void *arg)
{
	struct cut	*c = cut_deref(arg);

	if (c == NULL)
		return;
	if (!ok)
		store_journal(d->store, m->id, "warning", "cutover: pointing "
		    "the writer at the target again failed; the application "
		    "may still use the source, which stays read-only: switch "
		    "it by hand");
	cut_switched_now(c);
}

static void
switch_done(struct daemon *d, struct migration *m, const char *hook, int ok,
    const char *result, void *arg)
{
	struct cut	*c = cut_deref(arg);

	if (c == NULL)
		return;
	if (ok) {
		cut_switched_now(c);
		return;
	}
	/*
	 * The switch failed. If no write reached the target the writer did
	 * not move, and the freeze can be undone; else forward it is.
	 */
	snprintf(c->why, sizeof(c->why), "the writer switch failed (%s)",
	    result);
	cut_query(c, c->db->tgt, c->db->td.show_binlog_status,
	    switch_probe_cb);
}

static void
cut_switch(struct cut *c)
{
	if (c->mode != CUT_FORWARD || c->switching)
		return;
	if (c->expired) {
		cut_abort(c, "the freeze budget ran out before the switch");
		return;
	}
	c->switching = 1;
	fact_set(c, CUT_FACT_SWITCHING, "%" PRId64, now_us());
	job_progress(c->job, "cutover: switching the writer");
	if (writer_switch(c->job, 1, "writer_switch", switch_done,
	    cut_ref(c)) == -1) {
		cut_deref(c->ref);
		c->switching = 0;
		fact_set(c, CUT_FACT_SWITCHING, NULL);
		cut_abort(c, "the writer switch could not be started");
	}
}

/* --- the undo: read the servers, put back what is missing --- */

enum undo_step {
	UNDO_UNFREEZE,
	UNDO_REVERSE_READ,
	UNDO_REVERSE_STOP,
	UNDO_FORWARD_READ,
	UNDO_FORWARD_RESTORE,
	UNDO_FORWARD_START,
	UNDO_DONE,
};

static void	undo_later(struct cut *, int);

/*
 * A step of the undo or of the rollback as a journaled SQL effect; the
 * walk goes on at step next. A failed undo step is tried again later (the
 * source must not stay frozen); a failed rollback step ends the rollback.
 */
static void
cut_fx_failed(struct cut *c, int next, const char *what, const char *why)
{
	if (c->mode == CUT_BACK) {
		back_fail(c, "rollback: %s%s", what, why);
		return;
	}
	log_warnx("%s: cutover undo: %s%s", c->m->name, what, why);
	undo_later(c, next - 1);
}

static void
cut_fx_done(struct effect *e, int ok, const char *result, void *arg)
{
	struct cut	*c = cut_deref(arg);

	if (c == NULL)
		return;
	if (!ok)
		cut_fx_failed(c, c->next, result, "");
	else if (c->mode == CUT_BACK)
		back_step(c, c->next);
	else
		cut_undo_step(c, c->next);
}

static void
cut_fx(struct cut *c, const char *what, const char *on, json_t *sql,
    const char *check, enum sqlfx_check expect, int next)
{
	c->next = next;
	if (sqlfx_start(c->job, what, on, sql, check, expect, cut_fx_done,
	    cut_ref(c)) == -1) {
		cut_deref(c->ref);
		cut_fx_failed(c, next, what, " could not be journaled");
	}
}

static void
undo_reverse_cb(void *arg, struct mydb_result *res)
{
	struct cut		*c = arg;
	const struct plan	*p = c->m->plan;
	const char		*host;

	c->pending--;
	if (res->err != 0) {
		undo_later(c, UNDO_REVERSE_READ);
		return;
	}
	host = res->nrows > 0 ? mydialect_status(res, 0, "Source_Host") : NULL;
	if (host != NULL && strcmp(host, p->target.db.host) == 0)
		cut_undo_step(c, UNDO_REVERSE_STOP);
	else
		cut_undo_step(c, UNDO_FORWARD_READ);
}

static void
undo_forward_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;

	const char	*io, *sql;

	c->pending--;
	if (res->err != 0) {
		undo_later(c, UNDO_FORWARD_READ);
		return;
	}
	if (res->nrows == 0) {
		cut_undo_step(c, UNDO_FORWARD_RESTORE);
		return;
	}
	/*
	 * Configured, but a kill between the reset's STOP and RESET leaves
	 * the threads stopped: start them, or the next cutover's precheck
	 * waits for them in vain.
	 */
	io = mydialect_status(res, 0, "Replica_IO_Running");
	sql = mydialect_status(res, 0, "Replica_SQL_Running");
	if ((io != NULL && strcmp(io, "No") == 0) ||
	    (sql != NULL && strcmp(sql, "No") == 0))
		cut_undo_step(c, UNDO_FORWARD_START);
	else
		cut_undo_step(c, UNDO_DONE);
}

static void
undo_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cut	*c = arg;
	int		 step = c->undo_tries >> 8;

	cut_undo_step(c, step);
}

static void
undo_version_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*v;

	c->pending--;
	if (res->err == 0 && (v = mydb_get(res, 0, "v")) != NULL) {
		if (mydb_get(res, 0, "src") != NULL &&
		    mydialect_from_version(v, &c->db->sd) == 0)
			c->db->sd_known = 1;
		else if (mydb_get(res, 0, "src") == NULL &&
		    mydialect_from_version(v, &c->db->td) == 0)
			c->db->td_known = 1;
	}
	cut_undo(c);
}

static void
undo_finish(struct cut *c)
{
	char	detail[1024];
	int64_t	held;

	held = c->freeze_us ? (now_us() - c->freeze_us) / 1000 : 0;
	fact_set(c, CUT_FACT_ATTEMPT, NULL);
	fact_set(c, CUT_FACT_FINAL, NULL);
	fact_set(c, CUT_FACT_REVERSE, NULL);
	fact_set(c, CUT_FACT_SWITCHING, NULL);
	snprintf(detail, sizeof(detail), "%s (source read-only for %lld ms; "
	    "replication from the source kept)", c->why, (long long)held);
	if (c->back_done != NULL) {
		void		(*done)(struct job *, int, const char *) =
				    c->back_done;
		struct job	*j = c->job;

		/* The rollback goes on: not job_end(). */
		job_forget(j, c);
		cut_cancel(c);
		done(j, 1, detail);
		return;
	}
	cut_fire(c, MEV_CUTOVER_ABORTED, detail);
}

/* The target does not replicate: configure it again at the final position. */
static void
undo_restore(struct cut *c)
{
	const struct plan	*p = c->m->plan;
	const struct mydialect	*t = &c->db->td;
	char			*host, *user, *file, sql[1024], start[96];
	int			 rc;

	if (c->final_file[0] == '\0') {
		snprintf(c->why + strlen(c->why), sizeof(c->why) -
		    strlen(c->why), "; the target does not replicate "
		    "and no final position is recorded: configure "
		    "replication by hand");
		undo_finish(c);
		return;
	}
	host = mydb_quote(p->source.db.host);
	user = mydb_quote(p->source.repl_user);
	file = mydb_quote(c->final_file);
	if (p->target.kind == TARGET_RDS) {
		rc = mydialect_rds_set_external_sql(t, sql, sizeof(sql),
		    host, p->source.db.port, user, "{repl_password}",
		    file, c->final_pos, NULL,
		    p->source.db.ca_file != NULL);
		snprintf(start, sizeof(start), "CALL %s", t->rds_start);
	} else {
		rc = mydialect_change_source_sql(t, sql, sizeof(sql),
		    host, p->source.db.port, user, "{repl_password}",
		    file, c->final_pos, NULL,
		    p->source.db.ca_file != NULL);
		snprintf(start, sizeof(start), "%s", t->start_replica);
	}
	free(host);
	free(user);
	free(file);
	if (rc == -1) {
		snprintf(c->why + strlen(c->why), sizeof(c->why) -
		    strlen(c->why), "; the statement that restores "
		    "replication does not fit: configure it by hand");
		undo_finish(c);
		return;
	}
	job_progress(c->job, "cutover: restoring replication from "
	    "%s:%" PRIu64, c->final_file, c->final_pos);
	cut_fx(c, "restore replication", "target", sqlfx_stmts(sql, start,
	    NULL), dbpair_status_sql(c->db, p), SQLFX_ROWS, UNDO_DONE);
}

static void
cut_undo_step(struct cut *c, int step)
{
	const struct plan	*p = c->m->plan;
	const struct mydialect	*s = &c->db->sd, *t = &c->db->td;
	char			 start[96];

	if (step < 0)
		step = 0;
	if (c->ref != NULL || c->pending > 0) {
		/* Something of ours is still answering: come back soon. */
		c->undo_tries = (step << 8) | (c->undo_tries & 0xff);
		cut_after(c, 20, undo_retry_cb);
		return;
	}
	switch (step) {
	case UNDO_UNFREEZE:
		job_progress(c->job, "cutover: unfreezing the source");
		if (s->super_read_only)
			cut_fx(c, "unfreeze source", "source", sqlfx_stmts(
			    "SET GLOBAL super_read_only = OFF",
			    "SET GLOBAL read_only = OFF", NULL),
			    "SELECT @@global.read_only = 0", SQLFX_ONE,
			    UNDO_REVERSE_READ);
		else
			cut_fx(c, "unfreeze source", "source", sqlfx_stmts(
			    "SET GLOBAL read_only = OFF", NULL),
			    "SELECT @@global.read_only = 0", SQLFX_ONE,
			    UNDO_REVERSE_READ);
		return;
	case UNDO_REVERSE_READ:
		if (job_lag(c->job) != NULL)
			lag_hold_writes(job_lag(c->job), 0);
		cut_query(c, c->db->src, s->show_replica_status,
		    undo_reverse_cb);
		return;
	case UNDO_REVERSE_STOP:
		cut_fx(c, "stop reverse replication", "source", sqlfx_stmts(
		    s->stop_replica, s->reset_replica_all, NULL),
		    s->show_replica_status, SQLFX_NONE, UNDO_FORWARD_READ);
		return;
	case UNDO_FORWARD_READ:
		cut_query(c, c->db->tgt, dbpair_status_sql(c->db, p),
		    undo_forward_cb);
		return;
	case UNDO_FORWARD_RESTORE:
		undo_restore(c);
		return;
	case UNDO_FORWARD_START:
		if (p->target.kind == TARGET_RDS)
			snprintf(start, sizeof(start), "CALL %s", t->rds_start);
		else
			snprintf(start, sizeof(start), "%s", t->start_replica);
		job_progress(c->job, "cutover: starting replication from the "
		    "source again");
		cut_fx(c, "restart replication", "target", sqlfx_stmts(start,
		    NULL), dbpair_status_sql(c->db, p), SQLFX_ROWS, UNDO_DONE);
		return;
	default:
		undo_finish(c);
		return;
	}
}

/* A step failed: try it again in a while, within bounds. */
static void
undo_later(struct cut *c, int step)
{
	if (step < 0)
		step = 0;
	c->undo_tries = (step << 8) | (((c->undo_tries & 0xff) + 1) & 0xff);
	if ((c->undo_tries & 0xff) > 30 && step != UNDO_UNFREEZE) {
		/* The source is unfrozen; the rest is for an operator. */
		snprintf(c->why + strlen(c->why), sizeof(c->why) -
		    strlen(c->why), "; replication could not be checked or "
		    "restored: see the journal");
		undo_finish(c);
		return;
	}
	cut_after(c, CUT_UNDO_RETRY_MS, undo_retry_cb);
}

/* The undo starts by learning both dialects if it does not know them. */
static void
cut_undo(struct cut *c)
{
	char	*final;

	c->undoing = 1;
	c->mode = c->mode == CUT_FORWARD ? CUT_UNDO : c->mode;
	if (c->final_file[0] == '\0' && (final = store_fact_get(c->d->store,
	    c->m->id, CUT_FACT_FINAL)) != NULL) {
		parse_filepos(final, c->final_file, sizeof(c->final_file),
		    &c->final_pos);
		free(final);
	}
	if (!c->db->sd_known) {
		cut_query(c, c->db->src, "SELECT VERSION() AS v, 1 AS src",
		    undo_version_cb);
		return;
	}
	if (!c->db->td_known) {
		cut_query(c, c->db->tgt, "SELECT VERSION() AS v",
		    undo_version_cb);
		return;
	}
	cut_undo_step(c, UNDO_UNFREEZE);
}

/* --- entry points --- */

static struct cut *
cut_new(struct job *j, enum cut_mode mode)
{
	struct cut	*c;
	char		 why[512];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->job = j;
	c->d = j->d;
	c->m = j->m;
	c->mode = mode;
	if ((c->db = job_db(j, why, sizeof(why))) == NULL) {
		free(c);
		job_end(j, NULL, NULL, MEV_FAIL, why);
		return NULL;
	}
	/* The cutover's state is also a step of the rollback's. */
	job_own_step(j, c, cut_cancel);
	return c;
}

static int64_t
fact_i64(struct cut *c, const char *key)
{
	return store_fact_i64(c->d->store, c->m->id, key);
}

static void
fact_filepos(struct cut *c, const char *key, char *file, size_t len,
    uint64_t *pos)
{
	char	*v = store_fact_get(c->d->store, c->m->id, key);

	if (parse_filepos(v, file, len, pos) == -1) {
		file[0] = '\0';
		*pos = 0;
	}
	free(v);
}

static void
resume_version_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*v;

	c->pending--;
	if (res->err != 0 || (v = mydb_get(res, 0, "v")) == NULL ||
	    mydialect_from_version(v, &c->db->td) == -1) {
		/* Keep asking: the writer is on the target already. */
		cut_after(c, CUT_UNDO_RETRY_MS, first_write_tick);
		return;
	}
	c->db->td_known = 1;
	if (c->switching && fact_i64(c, CUT_FACT_SWITCHED) == 0) {
		c->switching = 0;
		cut_switch(c);
		return;
	}
	c->m->obs.writer_switched = 1;
	c->killed = 1;		/* the grace is long past */
	cut_first_write_poll(c);
}

static void
cutover_enter(struct job *j, enum phase from)
{
	struct migration	*m = j->m;
	struct cut		*c;

	if ((c = cut_new(j, CUT_FORWARD)) == NULL)
		return;
	/* The phase's start, kept across a restart: what max_postpone
	 * counts from. */
	c->t_start_ms = m->phase_since > 0 && m->phase_since <= now_ms() ?
	    m->phase_since : now_ms();
	c->freeze_us = fact_i64(c, CUT_FACT_ATTEMPT);
	if (c->freeze_us == 0) {
		cut_precheck(c);
		return;
	}
	/* A cutover was under way when the daemon stopped. */
	fact_filepos(c, CUT_FACT_FINAL, c->final_file, sizeof(c->final_file),
	    &c->final_pos);
	fact_filepos(c, CUT_FACT_REVERSE, c->rev_file, sizeof(c->rev_file),
	    &c->rev_pos);
	if (fact_i64(c, CUT_FACT_SWITCHING) != 0) {
		/*
		 * The switch had begun: the application may write to the
		 * target. Forward only: switch again (the hook may run
		 * twice), then wait for the first write.
		 */
		log_info("%s: cutover: resuming after the writer switch began",
		    m->name);
		c->switching = 1;
		c->frozen = c->reset = 1;
		cut_query(c, c->db->tgt, "SELECT VERSION() AS v",
		    resume_version_cb);
		return;
	}
	/* Frozen, not switched: undo. */
	snprintf(c->why, sizeof(c->why), "the daemon stopped during the "
	    "freeze; undone at restart");
	log_warnx("%s: cutover: %s", m->name, c->why);
	c->mode = CUT_UNDO;
	cut_undo(c);
}

/* --- rollback after the switch: the writes go back to the source --- */

enum back_step {
	BACK_VERSIONS,
	BACK_FENCE,
	BACK_SWITCH,
	BACK_KILL,
	BACK_QUIET,
	BACK_WAIT,
	BACK_STOP_REVERSE,
	BACK_UNFREEZE,
	BACK_DONE,
};

static void
back_fail(struct cut *c, const char *fmt, ...)
{
	void		(*done)(struct job *, int, const char *) =
			    c->back_done;
	struct job	*j = c->job;
	va_list		 ap;
	char		 why[768];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	job_forget(j, c);
	cut_free(c);
	done(j, 0, why);
}


static void
back_hook_done(struct daemon *d, struct migration *m, const char *hook,
    int ok, const char *result, void *arg)
{
	struct cut	*c = cut_deref(arg);

	if (c == NULL)
		return;
	if (!ok) {
		back_fail(c, "rollback: switching the writer back to the "
		    "source failed (%s); the writer may still be on the target",
		    result);
		return;
	}
	back_step(c, BACK_KILL);
}

static void
back_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cut	*c = arg;

	back_step(c, c->undo_tries);
}

static void
back_later(struct cut *c, int step, int64_t ms)
{
	c->undo_tries = step;
	cut_after(c, ms, back_tick_cb);
}

static void
back_versions_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*v;

	c->pending--;
	if (res->err != 0 || (v = mydb_get(res, 0, "v")) == NULL) {
		if (now_ms() > c->deadline_ms)
			back_fail(c, "rollback: a server does not answer (%s)",
			    res->err ? res->error : "no version");
		else
			back_later(c, BACK_VERSIONS, CUT_UNDO_RETRY_MS);
		return;
	}
	if (mydb_get(res, 0, "src") != NULL) {
		if (mydialect_from_version(v, &c->db->sd) == 0)
			c->db->sd_known = 1;
	} else if (mydialect_from_version(v, &c->db->td) == 0)
		c->db->td_known = 1;
	if (c->pending == 0)
		back_step(c, c->db->sd_known && c->db->td_known ? BACK_FENCE :
		    BACK_VERSIONS);
}

static void
back_kill_list_cb(void *arg, struct mydb_result *res)
{
	struct cut		*c = arg;
	unsigned long long	 i;
	const char		*id;
	char			 sql[96];

	c->pending--;
	for (i = 0; res->err == 0 && i < res->nrows; i++) {
		if ((id = mydb_get(res, i, "ID")) == NULL)
			continue;
		/* RDS lets its master user end sessions only this way. */
		if (c->m->plan->target.kind == TARGET_RDS)
			snprintf(sql, sizeof(sql), "CALL mysql.rds_kill(%s)",
			    id);
		else
			snprintf(sql, sizeof(sql), "KILL CONNECTION %s", id);
		mydb_query(c->db->tgt, sql, NULL, NULL);
	}
	back_later(c, BACK_QUIET, 0);
}

static void
back_quiet_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*file, *pos;
	uint64_t	 p;

	c->pending--;
	file = res->err == 0 ? mydb_get(res, 0, "File") : NULL;
	pos = res->err == 0 ? mydb_get(res, 0, "Position") : NULL;
	if (file == NULL || pos == NULL) {
		back_fail(c, "rollback: reading the target's binlog position "
		    "failed (%s)", res->err ? res->error : "no binary log");
		return;
	}
	p = strtoull(pos, NULL, 10);
	if (strcmp(file, c->rev_file) == 0 && p == c->rev_pos)
		c->quiet_reads++;
	else
		c->quiet_reads = 0;
	snprintf(c->rev_file, sizeof(c->rev_file), "%s", file);
	c->rev_pos = p;
	/*
	 * Without read_only on the target (RDS's master user cannot set
	 * it) the writes have stopped when the binlog stands still for
	 * the kill grace after the writer moved and its sessions ended.
	 */
	if (c->quiet_reads * 50 >= c->m->plan->cutover.kill_grace &&
	    c->quiet_reads >= 2)
		back_step(c, BACK_WAIT);
	else if (now_ms() > c->deadline_ms)
		back_fail(c, "rollback: the target kept taking writes for %d s "
		    "after the writer moved back; the writer is on the source, "
		    "the source is still read-only", CUT_BACK_WAIT_MS / 1000);
	else
		back_later(c, BACK_QUIET, 50);
}

static void
back_wait_cb(void *arg, struct mydb_result *res)
{
	struct cut	*c = arg;
	const char	*w;

	c->pending--;
	w = res->err == 0 && res->nrows > 0 ? res->rows[0][0] : NULL;
	if (w == NULL || strcmp(w, "-1") == 0) {
		back_fail(c, "rollback: the source did not reach the target's "
		    "last write %s:%" PRIu64 " through reverse replication "
		    "(%s); the source stays read-only", c->rev_file,
		    c->rev_pos, res->err ? res->error : w == NULL ?
		    "its replication SQL thread is not running" : "timed out");
		return;
	}
	back_step(c, BACK_STOP_REVERSE);
}

static void
back_step(struct cut *c, int step)
{
	const struct plan	*p = c->m->plan;
	const struct mydialect	*s = &c->db->sd, *t = &c->db->td;
	char			*self, *file, sql[768];

	switch (step) {
	case BACK_VERSIONS:
		job_progress(c->job, "rollback: asking both servers");
		cut_query(c, c->db->src, "SELECT VERSION() AS v, 1 AS src",
		    back_versions_cb);
		cut_query(c, c->db->tgt, "SELECT VERSION() AS v",
		    back_versions_cb);
		return;
	case BACK_FENCE:
		/* A self-managed target can be made read-only: do it. */
		if (p->target.kind == TARGET_MYSQL) {
			cut_fx(c, "freeze target", "target", sqlfx_stmts(
			    "SET SESSION lock_wait_timeout = 5",
			    t->super_read_only ?
			    "SET GLOBAL super_read_only = ON" :
			    "SET GLOBAL read_only = ON", NULL),
			    "SELECT @@global.read_only = 1", SQLFX_ONE,
			    BACK_SWITCH);
			return;
		}
		/* FALLTHROUGH */
	case BACK_SWITCH:
		job_progress(c->job, "rollback: switching the writer back to "
		    "the source");
		if (writer_switch(c->job, 0, "writer_switch_back",
		    back_hook_done, cut_ref(c)) == -1) {
			cut_deref(c->ref);
			back_fail(c, "rollback: the writer switch could not be "
			    "started");
		}
		return;
	case BACK_KILL:
		c->deadline_ms = now_ms() + CUT_BACK_WAIT_MS;
		self = mydb_quote(p->target.db.user);
		snprintf(sql, sizeof(sql), "SELECT ID FROM information_schema."
		    "PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER NOT IN "
		    "(%s, 'system user', 'event_scheduler', 'rdsadmin', "
		    "'unauthenticated user') AND COMMAND NOT IN ('Binlog Dump', "
		    "'Binlog Dump GTID', 'Daemon')", self);
		free(self);
		job_progress(c->job, "rollback: waiting for writes on the "
		    "target to stop");
		cut_query(c, c->db->tgt, sql, back_kill_list_cb);
		return;
	case BACK_QUIET:
		cut_query(c, c->db->tgt, t->show_binlog_status, back_quiet_cb);
		return;
	case BACK_WAIT:
		job_progress(c->job, "rollback: the source catches up to "
		    "%s:%" PRIu64, c->rev_file, c->rev_pos);
		file = mydb_quote(c->rev_file);
		snprintf(sql, sizeof(sql), "SELECT %s(%s, %" PRIu64 ", 60)",
		    s->pos_wait, file, c->rev_pos);
		free(file);
		cut_query(c, c->db->src, sql, back_wait_cb);
		return;
	case BACK_STOP_REVERSE:
		cut_fx(c, "stop reverse replication", "source", sqlfx_stmts(
		    s->stop_replica, s->reset_replica_all, NULL),
		    s->show_replica_status, SQLFX_NONE, BACK_UNFREEZE);
		return;
	case BACK_UNFREEZE:
		cut_fx(c, "unfreeze source", "source", s->super_read_only ?
		    sqlfx_stmts("SET GLOBAL super_read_only = OFF",
		    "SET GLOBAL read_only = OFF", NULL) :
		    sqlfx_stmts("SET GLOBAL read_only = OFF", NULL),
		    "SELECT @@global.read_only = 0", SQLFX_ONE, BACK_DONE);
		return;
	default: {
		void		(*done)(struct job *, int, const char *) =
				    c->back_done;
		struct job	*j = c->job;
		char		 detail[512];

		snprintf(detail, sizeof(detail), "writes are back on the "
		    "source; it had applied the target's writes up to %s:%"
		    PRIu64, c->rev_file, c->rev_pos);
		fact_set(c, CUT_FACT_ATTEMPT, NULL);
		fact_set(c, CUT_FACT_SWITCHING, NULL);
		fact_set(c, CUT_FACT_SWITCHED, NULL);
		job_forget(j, c);
		cut_free(c);
		done(j, 1, detail);
		return;
	}
	}
}

void
cutover_rollback(struct job *j, void (*done)(struct job *, int,
    const char *))
{
	struct migration	*m = j->m;
	struct cut		*c;

	/* Without the pair there is no way to know: cut_new() fails. */
	if ((c = cut_new(j, CUT_BACK)) == NULL)
		return;
	c->back_done = done;
	c->freeze_us = fact_i64(c, CUT_FACT_ATTEMPT);
	if (c->freeze_us == 0) {
		job_forget(j, c);
		cut_free(c);
		done(j, 1, "no cutover to undo");
		return;
	}
	fact_filepos(c, CUT_FACT_FINAL, c->final_file, sizeof(c->final_file),
	    &c->final_pos);
	if (fact_i64(c, CUT_FACT_SWITCHING) == 0) {
		/* The writer never moved: undo the freeze. */
		snprintf(c->why, sizeof(c->why), "cutover undone by the "
		    "rollback");
		c->mode = CUT_UNDO;
		cut_undo(c);
		return;
	}
	if (!m->plan->cutover.reverse_replication) {
		back_fail(c, "the writer is on the target and the plan has no "
		    "reverse replication: moving back would lose the writes "
		    "made since the cutover");
		return;
	}
	fact_filepos(c, CUT_FACT_REVERSE, c->rev_file, sizeof(c->rev_file),
	    &c->rev_pos);
	c->deadline_ms = now_ms() + CUT_BACK_WAIT_MS;
	back_step(c, BACK_VERSIONS);
}

const struct phase_driver cutover_driver = {
	.phase = PH_CUTOVER,
	.enter = cutover_enter,
	.cancel = cut_cancel,
};
