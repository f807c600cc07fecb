/*
 * migration: one migration in memory. The persisted part mirrors its row in
 * the store; the observed part is what the daemon's pollers last saw of the
 * world and is what the guards read. Guards never do I/O.
 */
#ifndef MIGRATION_H
#define MIGRATION_H

#include <stdint.h>

#include "now.h"		/* now_ms(), for every user of the state layer */
#include "phase.h"

struct plan;

/* What pollers saw; set by daemon/, read by the guards in fsm.c. */
struct mig_obs {
	int	 checks_ok;		/* preflight: every check passed */
	int	 coordinates;		/* seeding: source coordinates recorded */
	int64_t	 in_sync_ms;		/* replicating: lag <= max for this long */
	int	 ecs_healthy;		/* healthy ECS targets */
	int	 ecs_unhealthy;		/* unhealthy or draining ECS targets */
	int	 gates_ok;		/* every gate held for the whole bake */
	int64_t	 held_since;		/* gates held on missing data since, ms */
	int	 hold_alert;		/* held past gates.max_hold: alerted */
	int	 writer_switched;	/* cutover: writer points at the target */
	int	 first_write;		/* cutover: a write committed on the target */
	int	 proof_ok;		/* cutover: the checksum proof passed */
	int	 soak_ok;		/* soak: gates held for the soak time */
	int	 droplets_final;	/* decommission: every droplet final */
	int	 window_open;		/* ready: cutover.window is open now */
	int	 verifying;		/* a data comparison (verify) runs */
	int	 verified;		/* ready: the comparison before the
					   cutover passed (or cannot run) */
};

struct migration {
	/* persisted */
	int64_t		 id;
	char		*name;
	char		*plan_path;	/* where the plan came from */
	char		*plan_text;	/* the plan as created (or reloaded) */
	char		*overrides;	/* JSON object of `set` values, or NULL */
	enum phase	 phase;
	enum phase	 resume_to;	/* paused/failed: phase to return to */
	int		 step;		/* shifting: step index, -1 before */
	int		 approved;	/* what the phase waits for is approved:
				   the cutover (ready), decommission */
	char		*reason;	/* why paused, failed or rolled back */
	int64_t		 phase_since;	/* unix ms */
	int64_t		 created;	/* unix ms */
	int64_t		 updated;	/* unix ms */

	/* derived and observed */
	struct plan	*plan;		/* parsed plan_text + overrides */
	struct mig_obs	 obs;

	void		*runtime;	/* daemon/'s per-migration state */
};

struct migration	*migration_new(const char *name);
void			 migration_free(struct migration *);
/* Replace the reason (NULL clears it). */
void			 migration_set_reason(struct migration *, const char *);

#endif
