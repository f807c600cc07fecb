/*
 * runner: the per-migration work between transitions.
 *
 * Entering a phase runs, in order: the hook after the phase left, the
 * phase's boundary hook (on_breach, on_rollback, on_done), the hook before
 * the phase entered, and then the phase's driver, found in the driver
 * table (driver.c). Hooks are effects, one at a time; if the phase changes
 * while one runs (an operator pauses), the chain is abandoned when that
 * hook ends and the new phase starts over. A generation counter makes late
 * callbacks of an old phase harmless.
 *
 * A failing before_<phase> hook holds the phase like a failed gate: the
 * migration pauses with the hook's output as the reason.
 *
 * The runner knows no phase file: a driver gets its migration's resources
 * from its job (job.c) and ends through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"
#include "driver.h"
#include "effect.h"
#include "hook.h"
#include "job.h"
#include "loadhook.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "proofrun.h"
#include "runner.h"
#include "store.h"
#include "verify.h"
#include "webhook.h"
#include "xmalloc.h"

#define RUNNER_CHAIN_MAX	3

struct runner {
	struct job		*job;		/* d, m and the resources */
	struct proofrun		*proof;
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
};

static void	runner_begin(struct runner *, enum phase from, enum mev);
static void	runner_chain_next(struct runner *);

static void
runner_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner			*rt = arg;
	struct migration		*m = rt->job->m;
	const struct phase_driver	*drv;

	if ((drv = driver_of(m->phase)) == NULL)
		return;
	snprintf(rt->activity, sizeof(rt->activity), "%s",
	    phase_name(m->phase));
	rt->job->driver = drv;
	if (m->plan != NULL || !phase_has(m->phase, PHF_NEEDS_PLAN))
		drv->enter(rt->job, rt->from);
	else if (phase_is_running(m->phase))
		job_fire(rt->job, MEV_FAIL, "the plan does not parse; fix it "
		    "and reload (SIGHUP)");
}

void
runner_attach(struct daemon *d, struct migration *m)
{
	struct runner	*rt;

	rt = xcalloc(1, sizeof(*rt));
	rt->job = job_new(d, m);
	rt->proof = proofrun_new(rt->job);
	rt->job->proof = rt->proof;
	rt->job->verify = verify_new(rt->job);
	if ((rt->ev_kick = event_new(d->base, -1, 0, runner_kick_cb, rt)) ==
	    NULL)
		fatalx("event_new");
	m->runtime = rt;
}

void
runner_detach(struct migration *m)
{
	struct runner	*rt = m->runtime;

	if (rt == NULL)
		return;
	/* The driver first: it may hold the proof's or the pair's queries. */
	job_cancel(rt->job);
	proofrun_free(rt->proof);
	verify_free(rt->job->verify);
	job_free(rt->job);
	event_free(rt->ev_kick);
	free(rt);
	m->runtime = NULL;
}

const struct job *
runner_job(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	return rt != NULL ? rt->job : NULL;
}

const char *
runner_proof_text(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	return rt != NULL ? proofrun_text(rt->proof) : NULL;
}

json_t *
runner_proof_json(const struct migration *m)
{
	const struct runner	*rt = m->runtime;

	return rt != NULL ? proofrun_json(rt->proof) : NULL;
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

static void
runner_hook_done(struct daemon *d, struct migration *m, const char *hook,
    int ok, const char *result, void *arg)
{
	struct runner	*rt = arg;
	char		 detail[1024];

	rt->busy = 0;
	/* Stopping: the hook's effect releases the daemon, which exits. */
	if (d->stopping)
		return;
	if (rt->again || rt->gen != rt->chain_gen) {
		/* The phase moved on while the hook ran: start it over. */
		rt->again = 0;
		runner_begin(rt, rt->again_from, rt->again_ev);
		return;
	}
	if (!ok && strncmp(hook, "before_", 7) == 0) {
		snprintf(detail, sizeof(detail), "hook %s failed (%s)", hook,
		    result);
		job_fire(rt->job, MEV_HALT, detail);
		return;
	}
	runner_chain_next(rt);
}

static void
runner_chain_next(struct runner *rt)
{
	struct migration	*m = rt->job->m;
	const char		*name, *cmd;

	while (rt->ichain < rt->nchain) {
		name = rt->chain_cmd_name[rt->ichain];
		cmd = rt->chain[rt->ichain];
		rt->ichain++;
		snprintf(rt->activity, sizeof(rt->activity), "hook %s", name);
		rt->busy = 1;
		if (hook_run(rt->job, name, cmd, 0, runner_hook_done, rt) ==
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
	struct migration	*m = rt->job->m;
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
	job_cancel(rt->job);
	rt->job->progress[0] = '\0';
	job_sync(rt->job);
	proofrun_entered(rt->proof, from);
	verify_entered(rt->job->verify);
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
runner_reconciled(struct job *j, int ok, const char *why)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct runner		*rt = m->runtime;

	/* Effects reconciled: the re-proof may touch the source now. */
	proofrun_reconciled(rt->proof);
	verify_reconciled(j->verify);
	if (!ok) {
		if (fsm_apply(d->store, &d->ops, m, MEV_FAIL, why, NULL, 0) ==
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
	rt->from = m->phase;
	job_sync(j);
	if (phase_is_running(m->phase))
		log_info("%s: resuming %s", m->name, phase_name(m->phase));
	/* Paused has a driver too: a breach's cool-down. */
	runner_begin(rt, m->phase, MEV__COUNT);
}

void
runner_resume(struct daemon *d, struct migration *m)
{
	struct runner	*rt = m->runtime;

	/* A load generator a crash left behind has no bake to serve. */
	loadhook_reap_leftover(d, m);
	proofrun_resume(rt->proof);
	effect_reconcile_open(rt->job, runner_reconciled);
}
