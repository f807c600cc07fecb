/*
 * phase: the phases a migration moves through and the events that move it.
 * Names come from arrays indexed by the enums; the store keeps the names.
 * What a phase means (the daemon is at work, traffic is on ECS, the writer
 * has switched, ...) is a column of the phase table, asked with phase_has():
 * the order of the enum carries no meaning.
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
	PH_READY,
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
	MEV_CLEARED,		/* ready: the window is open and approved */
	MEV_PROMOTE,		/* operator: end the current bake now */
	MEV_BREACH,		/* a gate broke */
	MEV_WRITER_SWITCHED,	/* cutover: writer on the target, first write seen */
	MEV_CUTOVER_ABORTED,	/* cutover: freeze timed out or failed, unfrozen */
	MEV_POSTPONED,		/* cutover: freeze put off past max_postpone */
	MEV_LISTENER_SET,	/* full_traffic: listener forwards to ECS alone */
	MEV_SOAKED,		/* soak: the soak period passed */
	MEV_APPROVE,		/* operator: approve what waits for it (the
				   cutover in ready, decommission) */
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

/*
 * The phase table's columns. A phase has a flag when the sentence holds
 * while a migration is in it:
 *
 * RUNNING		the daemon is at work in it
 * FINAL		over: nothing more will happen
 * AT_REST		it holds nothing in the world: not begun, or over
 * UNTOUCHED		nothing in the world has been changed yet
 * HOLD			stopped; resume or retry returns to resume_to
 * INTERRUPTS		it cut short another phase, the one resume_to names
 * ROLLBACK		rolling back, or rolled back
 * NEEDS_PLAN		its work reads the plan
 * LAG_WATCHED		source -> target replication matters: lag is watched
 * DROPLET_TRAFFIC	every request goes to the droplets
 * STEPPED		the listener carries the current step's weights
 * ECS_TRAFFIC		every request goes (or is being moved) to ECS
 * CUTOVER_BEGUN	the cutover has begun: every traffic step is behind
 * WRITER_SWITCHED	the application writes to the target
 * REVERSE_REPL		target -> source replication runs: a rollback
 *			loses no write
 * FILES_SYNC		the droplets may still take uploads: the plan's
 *			[files] sync runs every files.interval
 */
#define PHF_RUNNING		0x0001
#define PHF_FINAL		0x0002
#define PHF_AT_REST		0x0004
#define PHF_UNTOUCHED		0x0008
#define PHF_HOLD		0x0010
#define PHF_INTERRUPTS		0x0020
#define PHF_ROLLBACK		0x0040
#define PHF_NEEDS_PLAN		0x0080
#define PHF_LAG_WATCHED		0x0100
#define PHF_DROPLET_TRAFFIC	0x0200
#define PHF_STEPPED		0x0400
#define PHF_ECS_TRAFFIC		0x0800
#define PHF_CUTOVER_BEGUN	0x1000
#define PHF_WRITER_SWITCHED	0x2000
#define PHF_REVERSE_REPL	0x4000
#define PHF_FILES_SYNC		0x8000

const char	*phase_name(enum phase);
/* PH_NONE when unknown. */
enum phase	 phase_from_name(const char *);
const char	*mev_name(enum mev);
/* -1 when unknown. */
int		 mev_from_name(const char *);

/* The phase has any of the PHF_ flags; 0 for PH_NONE. */
int		 phase_has(enum phase, unsigned int);
/*
 * The phase that counts for what a migration holds in the world: for one
 * that holds (PHF_HOLD: paused, failed), the phase it stopped in when
 * resume_to knows it; else the phase itself.
 */
enum phase	 phase_where(enum phase, enum phase resume_to);
/*
 * The phase's place on the forward path, planned (1) to done (a column of
 * the phase table); 0 for a side state (paused, failed, rolling back...).
 */
int		 phase_order(enum phase);

enum phase_wait {
	PW_PENDING,	/* not there yet: keep waiting */
	PW_REACHED,	/* at or past the phase waited for */
	PW_STOPPED,	/* paused, failed or rolled back before it */
	PW_BAD		/* want is not on the forward path */
};
/*
 * Has a migration in ph (resume_to for a held one) reached or passed want
 * on the forward path? A held one that has not is PW_STOPPED: it needs an
 * operator. A rollback is PW_STOPPED whatever it had passed.
 */
enum phase_wait	 phase_wait_judge(enum phase, enum phase resume_to,
		    enum phase want);
/* phase_has(ph, PHF_RUNNING): at work (not planned, paused or final). */
int		 phase_is_running(enum phase);
/* phase_has(ph, PHF_FINAL): done, rolled_back. */
int		 phase_is_final(enum phase);

#endif
