/*
 * phase: the phase table (each phase's name and what it means, as flags),
 * the names of events, and the predicates every layer asks.
 */
#include <string.h>

#include "phase.h"

/* The columns' short names, for the table's sake only. */
#define RUN	PHF_RUNNING
#define FINAL	PHF_FINAL
#define REST	PHF_AT_REST
#define FRESH	PHF_UNTOUCHED
#define HOLD	PHF_HOLD
#define INTR	PHF_INTERRUPTS
#define BACK	PHF_ROLLBACK
#define PLAN	PHF_NEEDS_PLAN
#define LAG	PHF_LAG_WATCHED
#define DROP	PHF_DROPLET_TRAFFIC
#define STEP	PHF_STEPPED
#define ECS	PHF_ECS_TRAFFIC
#define BEGUN	PHF_CUTOVER_BEGUN
#define SWITCH	PHF_WRITER_SWITCHED
#define REV	PHF_REVERSE_REPL
#define FILES	PHF_FILES_SYNC

/*
 * Each phase: its name (as the store keeps it), what it means, and its
 * place on the forward path (1 planned .. 12 done; 0: a side state, off
 * the path), which `wait --phase` reads for "reached or passed".
 */
static const struct {
	const char	*name;
	unsigned int	 flags;
	int		 order;
} phases[PH__COUNT] = {
	[PH_PLANNED] =		{ "planned",	  REST | FRESH | DROP, 1 },
	[PH_PREFLIGHT] =	{ "preflight",	  RUN | FRESH | DROP, 2 },
	[PH_SEEDING] =		{ "seeding",	  RUN | PLAN | DROP | FILES, 3 },
	[PH_REPLICATING] =	{ "replicating",  RUN | PLAN | DROP | LAG |
						  FILES, 4 },
	[PH_SHADOW] =		{ "shadow",	  RUN | PLAN | DROP | LAG |
						  FILES, 5 },
	[PH_SHIFTING] =		{ "shifting",	  RUN | PLAN | LAG | STEP |
						  FILES, 6 },
	[PH_READY] =		{ "ready",	  RUN | PLAN | LAG | STEP |
						  FILES, 7 },
	[PH_CUTOVER] =		{ "cutover",	  RUN | PLAN | LAG | STEP |
						  BEGUN, 8 },
	[PH_FULL_TRAFFIC] =	{ "full_traffic", RUN | PLAN | ECS | BEGUN |
						  SWITCH | REV | FILES, 9 },
	[PH_SOAK] =		{ "soak",	  RUN | PLAN | ECS | BEGUN |
						  SWITCH | REV | FILES, 10 },
	[PH_DECOMMISSION] =	{ "decommission", RUN | PLAN | ECS | BEGUN |
						  SWITCH | REV | FILES, 11 },
	[PH_DONE] =		{ "done",	  FINAL | REST | ECS | BEGUN |
						  SWITCH, 12 },
	[PH_PAUSED] =		{ "paused",	  HOLD | INTR | PLAN, 0 },
	[PH_ROLLING_BACK] =	{ "rolling_back", RUN | INTR | BACK, 0 },
	[PH_ROLLED_BACK] =	{ "rolled_back",  FINAL | REST | BACK | DROP, 0 },
	[PH_FAILED] =		{ "failed",	  HOLD | INTR, 0 },
};

#undef RUN
#undef FINAL
#undef REST
#undef FRESH
#undef HOLD
#undef INTR
#undef BACK
#undef PLAN
#undef LAG
#undef DROP
#undef STEP
#undef ECS
#undef BEGUN
#undef SWITCH
#undef REV
#undef FILES

static const char *const mev_names[MEV__COUNT] = {
	[MEV_START] = "start",
	[MEV_CHECKS_PASSED] = "checks_passed",
	[MEV_CHECKS_FAILED] = "checks_failed",
	[MEV_SEEDED] = "seeded",
	[MEV_IN_SYNC] = "in_sync",
	[MEV_SHADOW_READY] = "shadow_ready",
	[MEV_BAKED] = "baked",
	[MEV_CLEARED] = "cleared",
	[MEV_PROMOTE] = "promote",
	[MEV_BREACH] = "breach",
	[MEV_WRITER_SWITCHED] = "writer_switched",
	[MEV_CUTOVER_ABORTED] = "cutover_aborted",
	[MEV_POSTPONED] = "postponed",
	[MEV_LISTENER_SET] = "listener_set",
	[MEV_SOAKED] = "soaked",
	[MEV_APPROVE] = "approve",
	[MEV_DECOMMISSIONED] = "decommissioned",
	[MEV_PAUSE] = "pause",
	[MEV_RESUME] = "resume",
	[MEV_HALT] = "halt",
	[MEV_ABORT] = "abort",
	[MEV_ROLLED_BACK] = "rolled_back",
	[MEV_FAIL] = "fail",
	[MEV_RETRY] = "retry",
};

const char *
phase_name(enum phase ph)
{
	if (ph < 0 || ph >= PH__COUNT)
		return "none";
	return phases[ph].name;
}

enum phase
phase_from_name(const char *name)
{
	int	i;

	for (i = 0; i < PH__COUNT; i++)
		if (strcmp(phases[i].name, name) == 0)
			return (enum phase)i;
	return PH_NONE;
}

const char *
mev_name(enum mev ev)
{
	if (ev < 0 || ev >= MEV__COUNT)
		return "none";
	return mev_names[ev];
}

int
mev_from_name(const char *name)
{
	int	i;

	for (i = 0; i < MEV__COUNT; i++)
		if (strcmp(mev_names[i], name) == 0)
			return i;
	return -1;
}

int
phase_has(enum phase ph, unsigned int flags)
{
	if (ph < 0 || ph >= PH__COUNT)
		return 0;
	return (phases[ph].flags & flags) != 0;
}

enum phase
phase_where(enum phase ph, enum phase resume_to)
{
	if (phase_has(ph, PHF_HOLD) && resume_to != PH_NONE)
		return resume_to;
	return ph;
}

int
phase_is_running(enum phase ph)
{
	return phase_has(ph, PHF_RUNNING);
}

int
phase_is_final(enum phase ph)
{
	return phase_has(ph, PHF_FINAL);
}

int
phase_order(enum phase ph)
{
	if (ph < 0 || ph >= PH__COUNT)
		return 0;
	return phases[ph].order;
}

/*
 * Reached or passed: the phase the migration is in, or for one held
 * (paused, failed) the phase it stopped in, is at or past want on the
 * forward path. A rollback undoes what was passed, so it never reaches.
 */
enum phase_wait
phase_wait_judge(enum phase ph, enum phase resume_to, enum phase want)
{
	enum phase	where = phase_where(ph, resume_to);

	if (phase_order(want) == 0)
		return PW_BAD;
	if (phase_has(ph, PHF_ROLLBACK))
		return PW_STOPPED;
	if (phase_order(where) >= phase_order(want))
		return PW_REACHED;
	if (phase_has(ph, PHF_HOLD))
		return PW_STOPPED;
	return PW_PENDING;
}
