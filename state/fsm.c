/*
 * fsm: the migration's transition table and fsm_apply(), the only code that
 * changes a migration's phase.
 *
 * The table is data, in the spirit of ospfd's neighbour FSM: for a phase and
 * an event, the first rule whose guard holds wins. Guards are pure: they read
 * the plan and what the pollers last observed (m->obs) and return a reason
 * when they do not hold. Actions edit the migration in memory only; the new
 * phase and the journal row are then committed in one SQLite transaction, and
 * only after the commit is the daemon told to start the new phase's work. So
 * a crash at any instant leaves either the old phase or the new one on disk,
 * never a phase whose journal row is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"

/* Guards: NULL when the guard holds, else why not. */

static const char *
plan_ok(const struct migration *m)
{
	if (m->plan == NULL)
		return "the plan does not parse; fix it and reload (SIGHUP)";
	return NULL;
}

static const char *
coordinates_recorded(const struct migration *m)
{
	if (!m->obs.coordinates)
		return "the source's binlog coordinates are not recorded yet";
	return NULL;
}

static const char *
lag_settled(const struct migration *m)
{
	if (m->plan == NULL || m->obs.in_sync_ms < m->plan->target.settle)
		return "replication lag has not stayed under max_lag for the "
		    "settle time";
	return NULL;
}

static const char *
shadow_healthy(const struct migration *m)
{
	if (m->plan == NULL ||
	    m->obs.ecs_healthy < m->plan->gates.min_healthy)
		return "fewer healthy ECS targets than gates.min_healthy";
	if (m->obs.ecs_unhealthy > 0)
		return "some ECS targets are unhealthy";
	return NULL;
}

static const char *
gates_held(const struct migration *m)
{
	if (!m->obs.gates_ok)
		return "the gates have not held (or have no data yet)";
	return NULL;
}

static const char *
gates_held_more_steps(const struct migration *m)
{
	const char	*why;

	if ((why = gates_held(m)) != NULL)
		return why;
	if (m->plan == NULL || m->step + 1 >= m->plan->traffic.nsteps)
		return "this is the last step";
	return NULL;
}

static const char *
gates_held_last_step(const struct migration *m)
{
	const char	*why;

	if ((why = gates_held(m)) != NULL)
		return why;
	if (m->plan == NULL || m->step + 1 < m->plan->traffic.nsteps)
		return "steps remain";
	return NULL;
}

static const char *
cutover_approvable(const struct migration *m)
{
	if (m->plan == NULL || m->plan->cutover.approval == APPROVAL_AUTO)
		return "the cutover needs no approval (cutover.approval = "
		    "auto)";
	if (m->approved)
		return "the cutover is already approved";
	return NULL;
}

/* The window and the approval both hold; the data compared equal. */
static const char *
cutover_cleared(const struct migration *m)
{
	if (m->plan == NULL)
		return "the plan does not parse";
	if (!m->obs.window_open)
		return "the cutover window is closed";
	if (m->plan->cutover.approval != APPROVAL_AUTO && !m->approved)
		return "the cutover needs `migratectl approve`";
	if (m->obs.verifying)
		return "a data comparison (verify) is running";
	if (m->plan->cutover.verify_before && !m->obs.verified)
		return "the data comparison before the cutover has not passed";
	return NULL;
}

static const char *
writer_on_target(const struct migration *m)
{
	if (!m->obs.writer_switched)
		return "the application's writer has not switched to the target";
	if (!m->obs.first_write)
		return "no application write has committed on the target yet";
	return NULL;
}

static const char *
soak_passed(const struct migration *m)
{
	if (!m->obs.soak_ok)
		return "the soak period has not passed with the gates holding";
	return NULL;
}

static const char *
proof_passed(const struct migration *m)
{
	if (m->approved)
		return "decommission is already approved";
	if (!m->obs.proof_ok)
		return "the checksum proof has not passed; nothing is deleted "
		    "before it does";
	if (!m->obs.soak_ok)
		return "the soak has not held";
	return NULL;
}

static const char *
fleet_final(const struct migration *m)
{
	if (!m->approved && (m->plan == NULL ||
	    m->plan->decommission.approval != APPROVAL_AUTO))
		return "decommission needs `migratectl approve`";
	if (!m->obs.droplets_final)
		return "some droplets are not in their final state yet";
	return NULL;
}

static const char *
not_approved(const struct migration *m)
{
	/* Approved after the writer switched: decommission. */
	if (m->approved && phase_has(phase_where(m->phase, m->resume_to),
	    PHF_WRITER_SWITCHED))
		return "decommission was approved and droplets may be gone; "
		    "there is nothing to roll back to";
	return NULL;
}

static const char *
can_return(const struct migration *m)
{
	if (m->resume_to == PH_NONE)
		return "the phase to return to is unknown; abort instead";
	return NULL;
}

/* Actions: in-memory edits, committed with the transition. */

static void
act_clear(struct migration *m, enum phase from, const char *detail)
{
	migration_set_reason(m, NULL);
	m->resume_to = PH_NONE;
}

static void
act_note(struct migration *m, enum phase from, const char *detail)
{
	migration_set_reason(m, detail);
}

static void
act_first_step(struct migration *m, enum phase from, const char *detail)
{
	m->step = 0;
	migration_set_reason(m, NULL);
}

static void
act_next_step(struct migration *m, enum phase from, const char *detail)
{
	m->step++;
}

static void
act_hold(struct migration *m, enum phase from, const char *detail)
{
	/* Paused, failed or rolling back: remember where we came from. */
	m->resume_to = from;
	migration_set_reason(m, detail);
}

static void
act_rollback(struct migration *m, enum phase from, const char *detail)
{
	/* From paused or failed, keep the phase they had interrupted. */
	if (!phase_has(from, PHF_HOLD))
		m->resume_to = from;
	migration_set_reason(m, detail);
}

static void
act_hold_step(struct migration *m, enum phase from, const char *detail)
{
	/* A breach while ready sent the weights back: the step bakes again. */
	m->resume_to = PH_SHIFTING;
	migration_set_reason(m, detail);
}

/*
 * The cutover put off its freeze past cutover.max_postpone: nothing was
 * frozen, and resume returns to ready, where the window and the approval
 * are judged again (the cutover used the approval up).
 */
static void
act_hold_ready(struct migration *m, enum phase from, const char *detail)
{
	m->resume_to = PH_READY;
	migration_set_reason(m, detail);
}

static void
act_unapproved(struct migration *m, enum phase from, const char *detail)
{
	/* Each cutover and the decommission are approved on their own. */
	m->approved = 0;
}

static void
act_approve(struct migration *m, enum phase from, const char *detail)
{
	m->approved = 1;
}

#define G(f)	f, #f
#define A(f)	f, #f
#define NONE	NULL, NULL

/*	from			event			guard				action			to */
static const struct rule rules[] = {
	{ PH_PLANNED,		MEV_START,		G(plan_ok),			A(act_clear),		PH_PREFLIGHT },
	{ PH_PREFLIGHT,		MEV_CHECKS_PASSED,	NONE,				NONE,			PH_SEEDING },
	{ PH_PREFLIGHT,		MEV_CHECKS_FAILED,	NONE,				A(act_hold),		PH_FAILED },
	{ PH_SEEDING,		MEV_SEEDED,		G(coordinates_recorded),	NONE,			PH_REPLICATING },
	{ PH_REPLICATING,	MEV_IN_SYNC,		G(lag_settled),			NONE,			PH_SHADOW },
	{ PH_SHADOW,		MEV_SHADOW_READY,	G(shadow_healthy),		A(act_first_step),	PH_SHIFTING },
	{ PH_SHIFTING,		MEV_BAKED,		G(gates_held_more_steps),	A(act_next_step),	PH_SHIFTING },
	{ PH_SHIFTING,		MEV_BAKED,		G(gates_held_last_step),	A(act_unapproved),	PH_READY },
	{ PH_SHIFTING,		MEV_PROMOTE,		G(gates_held_more_steps),	A(act_next_step),	PH_SHIFTING },
	{ PH_SHIFTING,		MEV_PROMOTE,		G(gates_held_last_step),	A(act_unapproved),	PH_READY },
	{ PH_SHIFTING,		MEV_BREACH,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_READY,		MEV_APPROVE,		G(cutover_approvable),		A(act_approve),		PH_READY },
	{ PH_READY,		MEV_CLEARED,		G(cutover_cleared),		A(act_unapproved),	PH_CUTOVER },
	{ PH_READY,		MEV_BREACH,		NONE,				A(act_hold_step),	PH_PAUSED },
	{ PH_CUTOVER,		MEV_WRITER_SWITCHED,	G(writer_on_target),		NONE,			PH_FULL_TRAFFIC },
	{ PH_CUTOVER,		MEV_CUTOVER_ABORTED,	NONE,				A(act_note),		PH_SHIFTING },
	{ PH_CUTOVER,		MEV_POSTPONED,		NONE,				A(act_hold_ready),	PH_PAUSED },
	{ PH_FULL_TRAFFIC,	MEV_LISTENER_SET,	NONE,				NONE,			PH_SOAK },
	{ PH_FULL_TRAFFIC,	MEV_BREACH,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_SOAK,		MEV_SOAKED,		G(soak_passed),			NONE,			PH_DECOMMISSION },
	{ PH_SOAK,		MEV_BREACH,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_DECOMMISSION,	MEV_APPROVE,		G(proof_passed),		A(act_approve),		PH_DECOMMISSION },
	{ PH_DECOMMISSION,	MEV_DECOMMISSIONED,	G(fleet_final),			NONE,			PH_DONE },

	/* Operator pause; cutover and rollbacks run to their end. */
	{ PH_PREFLIGHT,		MEV_PAUSE,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_SEEDING,		MEV_PAUSE,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_REPLICATING,	MEV_PAUSE,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_SHADOW,		MEV_PAUSE,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_SHIFTING,		MEV_PAUSE,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_READY,		MEV_PAUSE,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_FULL_TRAFFIC,	MEV_PAUSE,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_SOAK,		MEV_PAUSE,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_DECOMMISSION,	MEV_PAUSE,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_PAUSED,		MEV_RESUME,		G(can_return),			A(act_clear),		PH_RESUME },

	/* Something needs an operator: drift, a replication error. */
	{ PH_PREFLIGHT,		MEV_HALT,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_SEEDING,		MEV_HALT,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_REPLICATING,	MEV_HALT,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_SHADOW,		MEV_HALT,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_SHIFTING,		MEV_HALT,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_READY,		MEV_HALT,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_FULL_TRAFFIC,	MEV_HALT,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_SOAK,		MEV_HALT,		NONE,				A(act_hold),		PH_PAUSED },
	{ PH_DECOMMISSION,	MEV_HALT,		NONE,				A(act_hold),		PH_PAUSED },

	/* Errors the daemon cannot get past alone; `retry` returns. */
	{ PH_PREFLIGHT,		MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_SEEDING,		MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_REPLICATING,	MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_SHADOW,		MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_SHIFTING,		MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_READY,		MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_CUTOVER,		MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_FULL_TRAFFIC,	MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_SOAK,		MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_DECOMMISSION,	MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_ROLLING_BACK,	MEV_FAIL,		NONE,				A(act_hold),		PH_FAILED },
	{ PH_FAILED,		MEV_RETRY,		G(can_return),			A(act_clear),		PH_RESUME },

	/* Roll back: traffic to the droplets, writer to the source. */
	{ PH_PREFLIGHT,		MEV_ABORT,		NONE,				A(act_rollback),	PH_ROLLING_BACK },
	{ PH_SEEDING,		MEV_ABORT,		NONE,				A(act_rollback),	PH_ROLLING_BACK },
	{ PH_REPLICATING,	MEV_ABORT,		NONE,				A(act_rollback),	PH_ROLLING_BACK },
	{ PH_SHADOW,		MEV_ABORT,		NONE,				A(act_rollback),	PH_ROLLING_BACK },
	{ PH_SHIFTING,		MEV_ABORT,		NONE,				A(act_rollback),	PH_ROLLING_BACK },
	{ PH_READY,		MEV_ABORT,		NONE,				A(act_rollback),	PH_ROLLING_BACK },
	{ PH_CUTOVER,		MEV_ABORT,		NONE,				A(act_rollback),	PH_ROLLING_BACK },
	{ PH_FULL_TRAFFIC,	MEV_ABORT,		NONE,				A(act_rollback),	PH_ROLLING_BACK },
	{ PH_SOAK,		MEV_ABORT,		NONE,				A(act_rollback),	PH_ROLLING_BACK },
	{ PH_DECOMMISSION,	MEV_ABORT,		G(not_approved),		A(act_rollback),	PH_ROLLING_BACK },
	{ PH_PAUSED,		MEV_ABORT,		G(not_approved),		A(act_rollback),	PH_ROLLING_BACK },
	{ PH_FAILED,		MEV_ABORT,		G(not_approved),		A(act_rollback),	PH_ROLLING_BACK },
	{ PH_ROLLING_BACK,	MEV_ROLLED_BACK,	NONE,				NONE,			PH_ROLLED_BACK },
};

#undef G
#undef A
#undef NONE

const struct rule *
fsm_rules(size_t *n)
{
	*n = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

int
fsm_listed(enum phase ph, enum mev ev)
{
	size_t	i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].from == ph && rules[i].ev == ev)
			return 1;
	return 0;
}

unsigned int
fsm_accepted(enum phase ph)
{
	unsigned int	mask = 0;
	size_t		i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].from == ph)
			mask |= 1u << rules[i].ev;
	return mask;
}

/* The persisted fields an action may touch, to undo a refused commit. */
struct fsm_saved {
	enum phase	 phase;
	enum phase	 resume_to;
	int		 step;
	int		 approved;
	char		*reason;
	int64_t		 phase_since;
	int64_t		 updated;
};

static void
fsm_save(const struct migration *m, struct fsm_saved *s)
{
	s->phase = m->phase;
	s->resume_to = m->resume_to;
	s->step = m->step;
	s->approved = m->approved;
	s->reason = NULL;
	if (m->reason != NULL && (s->reason = strdup(m->reason)) == NULL)
		fatal("strdup");
	s->phase_since = m->phase_since;
	s->updated = m->updated;
}

static void
fsm_restore(struct migration *m, struct fsm_saved *s)
{
	m->phase = s->phase;
	m->resume_to = s->resume_to;
	m->step = s->step;
	m->approved = s->approved;
	free(m->reason);
	m->reason = s->reason;
	s->reason = NULL;
	m->phase_since = s->phase_since;
	m->updated = s->updated;
}

enum fsm_result
fsm_apply(struct store *st, const struct fsm_ops *ops, struct migration *m,
    enum mev ev, const char *detail, char *why, size_t whylen)
{
	const struct rule	*r = NULL;
	const char		*reason = NULL, *first = NULL;
	struct fsm_saved	 saved;
	enum phase		 from = m->phase, to;
	size_t			 i;
	int			 listed = 0;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].from != from || rules[i].ev != ev)
			continue;
		listed = 1;
		if (rules[i].guard == NULL ||
		    (reason = rules[i].guard(m)) == NULL) {
			r = &rules[i];
			break;
		}
		if (first == NULL)
			first = reason;
	}
	if (!listed) {
		snprintf(why, whylen, "%s is not possible in phase %s",
		    mev_name(ev), phase_name(from));
		log_warnx("%s: refused %s in phase %s: no such transition",
		    m->name, mev_name(ev), phase_name(from));
		return FSM_NO_RULE;
	}
	if (r == NULL) {
		snprintf(why, whylen, "%s in phase %s waits: %s", mev_name(ev),
		    phase_name(from), first);
		return FSM_GUARD;
	}

	to = r->to == PH_RESUME ? m->resume_to : (enum phase)r->to;
	fsm_save(m, &saved);
	if (r->action != NULL)
		r->action(m, from, detail);
	m->phase = to;
	m->updated = now_ms();
	m->phase_since = m->updated;
	if (store_transition(st, m, from, ev, detail) == -1) {
		fsm_restore(m, &saved);
		snprintf(why, whylen, "the state file refused the transition; "
		    "see the daemon's log");
		return FSM_STORE;
	}
	free(saved.reason);

	if (m->phase == PH_SHIFTING && m->plan != NULL && m->step >= 0 &&
	    m->step < m->plan->traffic.nsteps)
		log_notice("%s: %s -> %s (%s), step %d/%d at %d%%%s%s",
		    m->name, phase_name(from), phase_name(to), mev_name(ev),
		    m->step + 1, m->plan->traffic.nsteps,
		    m->plan->traffic.steps[m->step],
		    detail ? ": " : "", detail ? detail : "");
	else
		log_notice("%s: %s -> %s (%s)%s%s", m->name, phase_name(from),
		    phase_name(to), mev_name(ev), detail ? ": " : "",
		    detail ? detail : "");

	if (ops != NULL && ops->entered != NULL)
		ops->entered(ops->arg, m, from, ev, detail);
	return FSM_OK;
}
