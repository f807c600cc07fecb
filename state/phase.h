/*
 * phase: the phases a migration moves through and the events that move it.
 * Names come from arrays indexed by the enums; the store keeps the names.
 */
#ifndef PHASE_H
#define PHASE_H

enum phase {
	PH_PLANNED,
	PH_PREFLIGHT,
	PH_SEEDING,
	PH_REPLICATING,
	PH_SHADOW,
	PH_SHIFTING,
	PH_CUTOVER,
	PH_FULL_TRAFFIC,
	PH_SOAK,
	PH_DECOMMISSION,
	PH_DONE,
	PH_PAUSED,
	PH_ROLLING_BACK,
	PH_ROLLED_BACK,
	PH_FAILED,
	PH__COUNT,
	PH_NONE = -1
};

enum mev {
	MEV_START,		/* operator: start */
	MEV_CHECKS_PASSED,	/* preflight: every check passed */
	MEV_CHECKS_FAILED,	/* preflight: a check failed (reason names it) */
	MEV_SEEDED,		/* seeding: import done, coordinates recorded */
	MEV_IN_SYNC,		/* replicating: lag <= max for the settle time */
	MEV_SHADOW_READY,	/* shadow: ECS deployment done, targets healthy */
	MEV_BAKED,		/* shifting: the step's bake time is over */
	MEV_PROMOTE,		/* operator: end the current bake now */
	MEV_BREACH,		/* a gate broke */
	MEV_WRITER_SWITCHED,	/* cutover: writer on the target, first write seen */
	MEV_CUTOVER_ABORTED,	/* cutover: freeze timed out or failed, unfrozen */
	MEV_LISTENER_SET,	/* full_traffic: listener forwards to ECS alone */
	MEV_SOAKED,		/* soak: the soak period passed */
	MEV_APPROVE,		/* operator: approve the irreversible step */
	MEV_DECOMMISSIONED,	/* decommission: every droplet in its final state */
	MEV_PAUSE,		/* operator: pause */
	MEV_RESUME,		/* operator or cool-down: resume */
	MEV_HALT,		/* something needs an operator (drift, replica error) */
	MEV_ABORT,		/* operator: roll back */
	MEV_ROLLED_BACK,	/* rolling_back: everything back on the droplets */
	MEV_FAIL,		/* an error the daemon cannot get past by itself */
	MEV_RETRY,		/* operator: retry after failed */
	MEV__COUNT
};

const char	*phase_name(enum phase);
/* PH_NONE when unknown. */
enum phase	 phase_from_name(const char *);
const char	*mev_name(enum mev);
/* -1 when unknown. */
int		 mev_from_name(const char *);

/* A phase in which the daemon is at work (not planned, paused or final). */
int	phase_is_running(enum phase);
/* done, rolled_back: nothing more will happen. */
int	phase_is_final(enum phase);

#endif
