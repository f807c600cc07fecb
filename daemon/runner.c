/*
 * runner: the per-migration work between transitions.
 *
 * Entering a phase runs, in order: the hook after the phase left, the
 * phase's boundary hook (on_breach, on_rollback, on_done), the hook before
 * the phase entered, and then the phase's driver. Hooks are effects, one at
 * a time; if the phase changes while one runs (an operator pauses), the
 * chain is abandoned when that hook ends and the new phase starts over. A
 * generation counter makes late callbacks of an old phase harmless.
 *
 * A failing before_<phase> hook holds the phase like a failed gate: the
 * migration pauses with the hook's output as the reason.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cutover.h"
#include "dbpair.h"
#include "decom.h"
#include "effect.h"
#include "hook.h"
#include "lag.h"
#include "log.h"
#include "daemon.h"
#include "facts.h"
#include "migration.h"
#include "plan.h"
#include "mydb.h"
#include "preflight.h"
#include "proof.h"
#include "repl.h"
#include "reproof.h"
#include "runner.h"
#include "seed.h"
#include "shadow.h"
#include "shift.h"
#include "store.h"
#include "traffic.h"
#include "watch.h"
#include "webhook.h"

#define RUNNER_CHAIN_MAX	3

struct runner {
	struct daemon		*d;
	struct migration	*m;
	unsigned int		 gen;		/* bumped on every transition */
	enum phase		 from;		/* the phase m came from */
	int			 busy;		/* a hook is running */
	int			 again;		/* phase changed while busy */
	enum phase		 again_from;
	enum mev		 again_ev;
	const char		*chain[RUNNER_CHAIN_MAX];	/* hook names */
	char			 chain_cmd_name[RUNNER_CHAIN_MAX][64];
	int			 nchain, ichain;
	unsigned int		 chain_gen;
	char			 activity[96];
	struct event		*ev_kick;	/* start the driver, next turn */
	void			*job;		/* the driver's state */
	void			(*job_cancel)(void *);
	struct dbpair		*db;
	struct lag		*lag;
	struct traffic		*traffic;	/* the listener, made on use */
	struct watch		*watch;		/* the job's gates, or NULL */
	struct proof		*proof;		/* the checksum proof, running */
	struct mydb		*proof_src, *proof_tgt;
	struct event		*ev_proof_end;	/* free it from the loop */
	char			 proof_point[192];	/* "at the freeze point" */
	struct reproof		*reproof;	/* a new point, being found */
	struct event		*ev_reproof_end;	/* free it from the loop */
	int			 reproof_due;	/* at restart, once reconciled */
	char			 progress[160];
};

static void	runner_begin(struct runner *, enum phase from, enum mev);
static void	runner_chain_next(struct runner *);
static void	runner_proof_end_cb(evutil_socket_t, short, void *);
static void	runner_reproof_end_cb(evutil_socket_t, short, void *);

/* Phase drivers present in this build. */

/*
 * Preflight starts from fresh connections: the operator may have fixed a
 * password file or a server since the last try.
 */
static void
drive_preflight(struct runner *rt)
{
	dbpair_free(rt->db);
	rt->db = NULL;
	preflight_run(rt->d, rt->m);
}

static void
rolled_back(struct daemon *d, struct migration *m, int ok, const char *why)
{
	char	msg[256];

	runner_fire(d, m, ok ? MEV_ROLLED_BACK : MEV_FAIL, why, msg,
	    sizeof(msg));
}

static void
traffic_back(struct daemon *d, struct migration *m, int ok, const char *why)
{
	if (!ok) {
		rolled_back(d, m, 0, why);
		return;
	}
	cutover_rollback(d, m, rolled_back);
}

/*
 * Undo what the migration changed. Users first: every one goes back to
 * the droplets (weights, the Method B rule). Then the database: a cutover
 * is undone, or after the writer switch the writes move back to the
 * source through reverse replication. Replication into the target, when
 * the migration stops before the cutover, is left running: the source
 * stays the primary either way, and the operator's own undo is the
 * on_rollback hook run on arrival in rolled_back. The ECS service keeps
 * the tasks shadow gave it.
 */
static void
drive_rolling_back(struct runner *rt)
{
	if (rt->m->plan == NULL) {
		rolled_back(rt->d, rt->m, 1, "no plan: nothing to undo");
		return;
	}
	shift_rollback(rt->d, rt->m, traffic_back);
}

static void
drive_shadow(struct runner *rt)
{
	shadow_run(rt->d, rt->m);
}

static void
drive_shifting(struct runner *rt)
{
	/*
	 * Back from a cutover that did not happen, a pause or a failure:
	 * the step bakes again in full, watched from now on.
	 */
	if (rt->from == PH_CUTOVER || rt->from == PH_PAUSED ||
	    rt->from == PH_FAILED) {
		store_fact_set(rt->d->store, rt->m->id, SHIFT_FACT_STEP, NULL);
		store_fact_set(rt->d->store, rt->m->id, SHIFT_FACT_BACK, NULL);
	}
	shift_run(rt->d, rt->m);
}

static void
drive_full_traffic(struct runner *rt)
{
	shift_full_run(rt->d, rt->m);
}

static void
drive_soak(struct runner *rt)
{
	/* After a pause (a breach) or a failure the soak starts over. */
	if (rt->from == PH_PAUSED || rt->from == PH_FAILED)
		store_fact_set(rt->d->store, rt->m->id, SOAK_FACT_SINCE, NULL);
	shift_soak_run(rt->d, rt->m);
}

static void
drive_decommission(struct runner *rt)
{
	decom_run(rt->d, rt->m);
}

static void
drive_paused(struct runner *rt)
{
	shift_paused_run(rt->d, rt->m);
}

static void
drive_cutover(struct runner *rt)
{
	cutover_run(rt->d, rt->m);
}

static void
drive_seeding(struct runner *rt)
{
	seed_run(rt->d, rt->m);
}

static void
drive_replicating(struct runner *rt)
{
	repl_run(rt->d, rt->m);
}

static void (*const drivers[PH__COUNT])(struct runner *) = {
	[PH_PREFLIGHT] = drive_preflight,
	[PH_SEEDING] = drive_seeding,
	[PH_REPLICATING] = drive_replicating,
	[PH_SHADOW] = drive_shadow,
	[PH_SHIFTING] = drive_shifting,
	[PH_CUTOVER] = drive_cutover,
	[PH_FULL_TRAFFIC] = drive_full_traffic,
	[PH_SOAK] = drive_soak,
	[PH_DECOMMISSION] = drive_decommission,
	[PH_PAUSED] = drive_paused,
	[PH_ROLLING_BACK] = drive_rolling_back,
};

/*
 * The lag monitor runs while replication matters: from replicating to
 * cutover, and while paused or failed in one of those phases.
 */
static void
runner_lag_sync(struct runner *rt)
{
	struct migration	*m = rt->m;
	enum phase		 ph = m->phase;
	int			 want;

	if ((ph == PH_PAUSED || ph == PH_FAILED) && m->resume_to != PH_NONE)
		ph = m->resume_to;
	want = m->plan != NULL && ph >= PH_REPLICATING && ph <= PH_CUTOVER;
	if (want && rt->lag == NULL)
		rt->lag = lag_new(rt->d, m);
	else if (!want && rt->lag != NULL) {
		lag_free(rt->lag);
		rt->lag = NULL;
	}
}

struct lag *
runner_lag(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	return rt != NULL ? rt->lag : NULL;
}

static void
runner_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner	*rt = arg;
	struct migration *m = rt->m;
	char		 why[256], detail[256];

	if (drivers[m->phase] != NULL) {
		snprintf(rt->activity, sizeof(rt->activity), "%s",
		    phase_name(m->phase));
		if (m->plan != NULL || m->phase == PH_PREFLIGHT ||
		    m->phase == PH_ROLLING_BACK)
			drivers[m->phase](rt);
		else if (phase_is_running(m->phase))
			runner_fire(rt->d, m, MEV_FAIL, "the plan does not "
			    "parse; fix it and reload (SIGHUP)", why,
			    sizeof(why));
		return;
	}
	if (!phase_is_running(m->phase))
		return;
	snprintf(detail, sizeof(detail), "phase %s has no driver in this "
	    "build of migrated", phase_name(m->phase));
	log_warnx("%s: %s", m->name, detail);
	runner_fire(rt->d, m, MEV_FAIL, detail, why, sizeof(why));
}

void
runner_attach(struct daemon *d, struct migration *m)
{
	struct runner	*rt;

	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		fatal("calloc");
	rt->d = d;
	rt->m = m;
	rt->ev_kick = event_new(d->base, -1, 0, runner_kick_cb, rt);
	rt->ev_proof_end = event_new(d->base, -1, 0, runner_proof_end_cb, rt);
	rt->ev_reproof_end = event_new(d->base, -1, 0, runner_reproof_end_cb,
	    rt);
	if (rt->ev_kick == NULL || rt->ev_proof_end == NULL ||
	    rt->ev_reproof_end == NULL)
		fatalx("event_new");
	m->runtime = rt;
}

static void
runner_job_cancel(struct runner *rt)
{
	void	*job = rt->job;

	rt->watch = NULL;
	if (job == NULL)
		return;
	rt->job = NULL;
	rt->job_cancel(job);
}

void
runner_job(struct migration *m, void *job, void (*cancel)(void *))
{
	struct runner	*rt = m->runtime;

	runner_job_cancel(rt);
	rt->job = job;
	rt->job_cancel = cancel;
}

void
runner_job_done(struct migration *m, void *job)
{
	struct runner	*rt = m->runtime;

	if (rt != NULL && rt->job == job) {
		rt->job = NULL;
		rt->watch = NULL;
	}
}

struct traffic *
runner_traffic(struct daemon *d, struct migration *m)
{
	struct runner	*rt = m->runtime;

	if (rt->traffic == NULL)
		rt->traffic = traffic_new(d, m);
	return rt->traffic;
}

const struct traffic *
runner_traffic_peek(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	return rt != NULL ? rt->traffic : NULL;
}

void
runner_set_watch(struct migration *m, struct watch *w)
{
	struct runner	*rt = m->runtime;

	rt->watch = w;
}

json_t *
runner_watch_json(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	return rt != NULL ? watch_json(rt->watch) : NULL;
}

struct dbpair *
runner_db(struct daemon *d, struct migration *m, char *why, size_t whylen)
{
	struct runner	*rt = m->runtime;

	if (rt->db == NULL)
		rt->db = dbpair_new(d, m, why, whylen);
	return rt->db;
}

void
runner_progress(struct migration *m, const char *fmt, ...)
{
	struct runner	*rt = m->runtime;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(rt->progress, sizeof(rt->progress), fmt, ap);
	va_end(ap);
}

const char *
runner_progress_text(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	return rt != NULL && rt->progress[0] != '\0' ? rt->progress : NULL;
}

/* The proof's snapshots end with their connections. */
static void
runner_proof_free(struct runner *rt)
{
	proof_free(rt->proof);
	rt->proof = NULL;
	mydb_free(rt->proof_src);
	mydb_free(rt->proof_tgt);
	rt->proof_src = rt->proof_tgt = NULL;
}

static void
runner_proof_end_cb(evutil_socket_t fd, short what, void *arg)
{
	runner_proof_free(arg);
}

static void
runner_proof_done(void *arg, const struct proof_report *r)
{
	struct runner		*rt = arg;
	struct migration	*m = rt->m;
	struct store		*st = rt->d->store;
	const struct proof_mismatch *x;
	json_t			*j;
	char			*text, detail[768];
	int			 n;

	j = proof_report_json(r);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (r->verdict == PROOF_OK)
		n = snprintf(detail, sizeof(detail), "%zu tables, %llu chunks, "
		    "%llu rows identical %s", r->tables,
		    (unsigned long long)r->chunks, (unsigned long long)r->rows,
		    rt->proof_point);
	else if (r->verdict == PROOF_MISMATCH && r->nlisted > 0) {
		x = &r->mismatches[0];
		n = snprintf(detail, sizeof(detail), "%llu mismatch%s %s; "
		    "first: %s %s in %s (%s, %s] (%llu rows on the source, "
		    "%llu on the target)", (unsigned long long)r->nmismatches,
		    r->nmismatches == 1 ? "" : "es", rt->proof_point, x->table,
		    proof_what_name(x->what), x->key ? x->key : "the table",
		    x->lo ? x->lo : "-inf", x->hi ? x->hi : "+inf",
		    (unsigned long long)x->src_rows,
		    (unsigned long long)x->tgt_rows);
	} else
		n = snprintf(detail, sizeof(detail), "%s (%s)", r->error ?
		    r->error : "the proof failed", rt->proof_point);
	if (n < 0 || (size_t)n >= sizeof(detail))
		memcpy(detail + sizeof(detail) - 4, "...", 4);
	store_fact_set(st, m->id, PROOF_FACT_VERDICT,
	    proof_verdict_name(r->verdict));
	store_fact_set(st, m->id, PROOF_FACT_DETAIL, detail);
	store_journal(st, m->id, r->verdict == PROOF_OK ? "info" : "warning",
	    text != NULL ? text : detail);
	free(text);
	m->obs.proof_ok = r->verdict == PROOF_OK;
	log_info("%s: checksum proof: %s: %s", m->name,
	    proof_verdict_name(r->verdict), detail);
	/* Not from inside its own callback's caller: next loop turn. */
	event_active(rt->ev_proof_end, 0, 0);
	daemon_changed(rt->d, m);
}

/* The proof on src and tgt, both at the point that point names. */
static void
runner_proof_begin(struct runner *rt, struct mydb *src, struct mydb *tgt,
    const char *point)
{
	struct daemon		*d = rt->d;
	struct migration	*m = rt->m;
	const struct plan	*p = m->plan;

	runner_proof_free(rt);
	snprintf(rt->proof_point, sizeof(rt->proof_point), "%s", point);
	rt->proof_src = src;
	rt->proof_tgt = tgt;
	store_fact_set(d->store, m->id, PROOF_FACT_VERDICT, NULL);
	store_fact_set(d->store, m->id, PROOF_FACT_DETAIL, NULL);
	m->obs.proof_ok = 0;
	rt->proof = proof_new(src, tgt, (const char *const *)p->source.schemas,
	    (size_t)p->source.nschemas, 0, runner_proof_done, rt);
	if (rt->proof == NULL) {
		store_fact_set(d->store, m->id, PROOF_FACT_VERDICT, "error");
		store_fact_set(d->store, m->id, PROOF_FACT_DETAIL, "the proof "
		    "could not start");
		runner_proof_free(rt);
		return;
	}
	log_info("%s: checksum proof started", m->name);
}

void
runner_proof_start(struct daemon *d, struct migration *m, struct mydb *src,
    struct mydb *tgt)
{
	runner_proof_begin(m->runtime, src, tgt, "at the freeze point");
}

const char *
runner_proof_text(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	if (rt == NULL)
		return NULL;
	if (rt->reproof != NULL && reproof_progress(rt->reproof) != NULL)
		return reproof_progress(rt->reproof);
	return rt->proof != NULL && proof_report(rt->proof) == NULL ?
	    proof_progress(rt->proof) : NULL;
}

/* --- the re-proof: a new consistent point after a restart --- */

static void
runner_reproof_end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner	*rt = arg;

	reproof_free(rt->reproof);
	rt->reproof = NULL;
}

static void
runner_reproof_done(void *arg, int ok, struct mydb *src, struct mydb *tgt,
    const char *point, const char *why)
{
	struct runner		*rt = arg;
	struct migration	*m = rt->m;
	struct store		*st = rt->d->store;
	char			 buf[1024];

	/* Free it next turn: its callback is running. */
	event_active(rt->ev_reproof_end, 0, 0);
	if (point == NULL) {
		/* Repair only: replication is running again, or why not. */
		if (!ok)
			log_warnx("%s: %s", m->name, why);
		return;
	}
	if (ok) {
		snprintf(buf, sizeof(buf), "checksum proof restarted at target "
		    "position %s after the daemon's restart (the freeze "
		    "point's snapshots were lost)", point);
		store_journal(st, m->id, "info", buf);
		log_info("%s: %s", m->name, buf);
		snprintf(buf, sizeof(buf), "at target position %s (re-proof "
		    "after the daemon's restart)", point);
		runner_proof_begin(rt, src, tgt, buf);
		daemon_changed(rt->d, m);
		return;
	}
	snprintf(buf, sizeof(buf), "the daemon stopped before the checksum "
	    "proof finished and no new consistent point could be had: %s; "
	    "the tables are unproven: compare them by hand before approving "
	    "decommission", why);
	store_fact_set(st, m->id, PROOF_FACT_VERDICT, "error");
	store_fact_set(st, m->id, PROOF_FACT_DETAIL, buf);
	store_journal(st, m->id, "warning", buf);
	log_warnx("%s: checksum proof: error: %s", m->name, buf);
	m->obs.proof_ok = 0;
	daemon_changed(rt->d, m);
}

/* The phases after the cutover in which reverse replication runs. */
static int
runner_after_cutover(const struct migration *m)
{
	enum phase	ph = m->phase;

	if ((ph == PH_PAUSED || ph == PH_FAILED) && m->resume_to != PH_NONE)
		ph = m->resume_to;
	return ph == PH_FULL_TRAFFIC || ph == PH_SOAK ||
	    ph == PH_DECOMMISSION;
}

/* Start the re-proof (or the repair) that the restart found due. */
static void
runner_reproof_start(struct runner *rt)
{
	struct migration	*m = rt->m;
	enum reproof_mode	 mode;

	if (!rt->reproof_due || rt->reproof != NULL)
		return;
	mode = rt->reproof_due == 1 ? REPROOF_PROVE : REPROOF_REPAIR;
	rt->reproof_due = 0;
	if (!runner_after_cutover(m))
		return;
	if (mode == REPROOF_PROVE) {
		/* Unproven while it runs: approve and decommission wait. */
		store_fact_set(rt->d->store, m->id, PROOF_FACT_VERDICT, NULL);
		store_fact_set(rt->d->store, m->id, PROOF_FACT_DETAIL, NULL);
		m->obs.proof_ok = 0;
		log_info("%s: the checksum proof was lost with the daemon's "
		    "restart; looking for a new consistent point", m->name);
	}
	rt->reproof = reproof_new(rt->d, m, mode, runner_reproof_done, rt);
}

/*
 * At restart: the proof's verdict comes back from the store. A proof the
 * stop interrupted cannot be finished, since its snapshots are gone; after
 * the cutover, with reverse replication, a new proof runs at a new
 * consistent point (daemon/reproof.c) once the open effects are
 * reconciled. Without reverse replication there is no such point.
 */
static void
runner_proof_resume(struct runner *rt)
{
	struct migration	*m = rt->m;
	struct store		*st = rt->d->store;
	const struct plan	*p = m->plan;
	char			*verdict, *switched, *paused;
	int			 lost;

	verdict = store_fact_get(st, m->id, PROOF_FACT_VERDICT);
	switched = store_fact_get(st, m->id, CUT_FACT_SWITCHED);
	paused = store_fact_get(st, m->id, REPROOF_FACT_PAUSED);
	m->obs.proof_ok = verdict != NULL && strcmp(verdict, "ok") == 0;
	m->obs.soak_ok = store_fact_i64(st, m->id, SOAK_FACT_PASSED) == 1;
	lost = verdict == NULL && switched != NULL && p != NULL &&
	    p->cutover.checksum;
	if (lost && p->cutover.reverse_replication && runner_after_cutover(m))
		rt->reproof_due = 1;
	else if (lost) {
		store_fact_set(st, m->id, PROOF_FACT_VERDICT, "error");
		store_fact_set(st, m->id, PROOF_FACT_DETAIL, p->cutover.
		    reverse_replication ? "the daemon stopped before the "
		    "checksum proof finished; its snapshot at the freeze point "
		    "is gone, so the tables are unproven: compare them by hand "
		    "before approving decommission" : "the daemon stopped "
		    "before the checksum proof finished; its snapshot at the "
		    "freeze point is gone, and without reverse replication "
		    "(cutover.reverse_replication) there is no new consistent "
		    "point to prove at, so the tables are unproven: compare "
		    "them by hand before approving decommission");
		store_journal(st, m->id, "warning", "checksum proof lost with "
		    "the daemon's restart");
	} else if (paused != NULL && switched != NULL && p != NULL &&
	    p->cutover.reverse_replication && runner_after_cutover(m))
		/* A re-proof stopped while it held replication paused. */
		rt->reproof_due = 2;
	free(verdict);
	free(switched);
	free(paused);
}

void
runner_detach(struct migration *m)
{
	struct runner	*rt = m->runtime;

	if (rt == NULL)
		return;
	runner_job_cancel(rt);
	runner_proof_free(rt);
	/* A source left paused is resumed by the next start's repair. */
	reproof_free(rt->reproof);
	event_free(rt->ev_reproof_end);
	traffic_free(rt->traffic);
	event_free(rt->ev_proof_end);
	lag_free(rt->lag);
	dbpair_free(rt->db);
	event_free(rt->ev_kick);
	free(rt);
	m->runtime = NULL;
}

const char *
runner_activity(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	if (rt == NULL || !rt->busy)
		return NULL;
	return rt->activity;
}

int
runner_busy(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	return rt != NULL && rt->busy;
}

enum fsm_result
runner_fire(struct daemon *d, struct migration *m, enum mev ev,
    const char *detail, char *why, size_t whylen)
{
	return fsm_apply(d->store, &d->ops, m, ev, detail, why, whylen);
}

static void
runner_hook_done(struct daemon *d, struct migration *m, const char *hook,
    int ok, const char *result, void *arg)
{
	struct runner	*rt = arg;
	char		 why[256], detail[1024];

	rt->busy = 0;
	if (d->stopping) {
		daemon_stop_when_idle(d);
		return;
	}
	if (rt->again || rt->gen != rt->chain_gen) {
		/* The phase moved on while the hook ran: start it over. */
		rt->again = 0;
		runner_begin(rt, rt->again_from, rt->again_ev);
		return;
	}
	if (!ok && strncmp(hook, "before_", 7) == 0) {
		snprintf(detail, sizeof(detail), "hook %s failed (%s)", hook,
		    result);
		runner_fire(d, m, MEV_HALT, detail, why, sizeof(why));
		return;
	}
	runner_chain_next(rt);
}

static void
runner_chain_next(struct runner *rt)
{
	struct migration	*m = rt->m;
	const char		*name, *cmd;

	while (rt->ichain < rt->nchain) {
		name = rt->chain_cmd_name[rt->ichain];
		cmd = rt->chain[rt->ichain];
		rt->ichain++;
		snprintf(rt->activity, sizeof(rt->activity), "hook %s", name);
		rt->busy = 1;
		if (hook_run(rt->d, m, name, cmd, 0, runner_hook_done, rt) ==
		    0)
			return;
		rt->busy = 0;
		log_warnx("%s: hook %s could not be journaled; skipped",
		    m->name, name);
	}
	/* Hooks done: the driver starts on the next loop turn. */
	event_active(rt->ev_kick, 0, 0);
}

static void
runner_chain_add(struct runner *rt, const char *name, const char *cmd)
{
	if (cmd == NULL || rt->nchain == RUNNER_CHAIN_MAX)
		return;
	snprintf(rt->chain_cmd_name[rt->nchain],
	    sizeof(rt->chain_cmd_name[0]), "%s", name);
	rt->chain[rt->nchain++] = cmd;
}

static void
runner_begin(struct runner *rt, enum phase from, enum mev ev)
{
	struct migration	*m = rt->m;
	const struct plan	*p = m->plan;
	char			 name[64];

	rt->nchain = rt->ichain = 0;
	rt->chain_gen = rt->gen;
	if (p != NULL && from != PH_NONE && from != m->phase) {
		snprintf(name, sizeof(name), "after_%s", phase_name(from));
		runner_chain_add(rt, name, p->hooks.after[from]);
		if (ev == MEV_BREACH)
			runner_chain_add(rt, "on_breach", p->hooks.on_breach);
		if (m->phase == PH_ROLLED_BACK)
			runner_chain_add(rt, "on_rollback",
			    p->hooks.on_rollback);
		if (m->phase == PH_DONE)
			runner_chain_add(rt, "on_done", p->hooks.on_done);
		if (phase_is_running(m->phase)) {
			snprintf(name, sizeof(name), "before_%s",
			    phase_name(m->phase));
			runner_chain_add(rt, name, p->hooks.before[m->phase]);
		}
	}
	runner_chain_next(rt);
}

void
runner_entered(void *arg, struct migration *m, enum phase from, enum mev ev,
    const char *detail)
{
	struct daemon	*d = arg;
	struct runner	*rt = m->runtime;

	daemon_changed(d, m);
	webhook_transition(d->webhook, m, from, ev, detail);
	rt->gen++;
	rt->from = from;
	/* The old phase's driver stops here, whatever it was waiting for. */
	runner_job_cancel(rt);
	rt->progress[0] = '\0';
	runner_lag_sync(rt);
	/* Rolling back stops reverse replication: the re-proof gives way. */
	if (rt->reproof != NULL && !runner_after_cutover(m))
		reproof_cancel(rt->reproof, "the migration left the phases "
		    "after the cutover");
	/*
	 * A cutover resumed after a restart has no freeze-point snapshots:
	 * it leaves the verdict unset, and the proof runs at a new point.
	 */
	if (from == PH_CUTOVER && m->phase == PH_FULL_TRAFFIC &&
	    rt->proof == NULL && m->plan != NULL && m->plan->cutover.checksum &&
	    m->plan->cutover.reverse_replication &&
	    !store_fact_exists(d->store, m->id, PROOF_FACT_VERDICT)) {
		rt->reproof_due = 1;
		runner_reproof_start(rt);
	}
	if (d->stopping)
		return;
	if (rt->busy) {
		rt->again = 1;
		rt->again_from = from;
		rt->again_ev = ev;
		return;
	}
	runner_begin(rt, from, ev);
}

static void
runner_reconciled(struct daemon *d, struct migration *m, int ok,
    const char *why)
{
	struct runner	*rt = m->runtime;
	char		 msg[256];

	/* Effects reconciled: the re-proof may touch the source now. */
	runner_reproof_start(rt);
	if (!ok) {
		if (runner_fire(d, m, MEV_FAIL, why, msg, sizeof(msg)) ==
		    FSM_OK)
			return;
		/* Not running (paused, failed): keep the reason visible. */
		migration_set_reason(m, why);
		if (store_mig_update(d->store, m) == -1)
			log_warnx("%s: reason not stored", m->name);
		store_journal(d->store, m->id, "warning", why);
		daemon_changed(d, m);
		return;
	}
	/* Re-entering a phase runs its driver again, not its hooks. */
	rt->gen++;
	runner_lag_sync(rt);
	if (phase_is_running(m->phase))
		log_info("%s: resuming %s", m->name, phase_name(m->phase));
	/* Paused has a driver too: a breach's cool-down. */
	runner_begin(rt, m->phase, MEV__COUNT);
}

void
runner_resume(struct daemon *d, struct migration *m)
{
	runner_proof_resume(m->runtime);
	effect_reconcile_open(d, m, runner_reconciled);
}
