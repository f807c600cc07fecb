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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "effect.h"
#include "hook.h"
#include "log.h"
#include "migrated.h"
#include "migration.h"
#include "plan.h"
#include "preflight.h"
#include "runner.h"
#include "store.h"

#define RUNNER_CHAIN_MAX	3

struct runner {
	struct daemon		*d;
	struct migration	*m;
	unsigned int		 gen;		/* bumped on every transition */
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

/* Phase drivers present in this build. */

static void
drive_preflight(struct runner *rt)
{
	preflight_run(rt->d, rt->m);
}

static void
drive_rolling_back(struct runner *rt)
{
	char	why[256];

	/*
	 * Undo what the migration changed, newest first. Of this build's
	 * effects only hooks reach the world, and the operator's own undo
	 * is the on_rollback hook run on arrival in rolled_back.
	 */
	runner_fire(rt->d, rt->m, MEV_ROLLED_BACK, "nothing this build "
	    "changed needs undoing", why, sizeof(why));
}

static void (*const drivers[PH__COUNT])(struct runner *) = {
	[PH_PREFLIGHT] = drive_preflight,
	[PH_ROLLING_BACK] = drive_rolling_back,
};

static void
runner_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner	*rt = arg;
	struct migration *m = rt->m;
	char		 why[256], detail[256];

	if (drivers[m->phase] != NULL) {
		snprintf(rt->activity, sizeof(rt->activity), "%s",
		    phase_name(m->phase));
		drivers[m->phase](rt);
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
	if (rt->ev_kick == NULL)
		fatalx("event_new");
	m->runtime = rt;
}

void
runner_detach(struct migration *m)
{
	struct runner	*rt = m->runtime;

	if (rt == NULL)
		return;
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
		if (hook_run(rt->d, m, name, cmd, runner_hook_done, rt) == 0)
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
runner_entered(void *arg, struct migration *m, enum phase from, enum mev ev)
{
	struct daemon	*d = arg;
	struct runner	*rt = m->runtime;

	daemon_changed(d, m);
	rt->gen++;
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
	if (phase_is_running(m->phase)) {
		log_info("%s: resuming %s", m->name, phase_name(m->phase));
		runner_begin(rt, m->phase, MEV__COUNT);
	}
}

void
runner_resume(struct daemon *d, struct migration *m)
{
	effect_reconcile_open(d, m, runner_reconciled);
}
