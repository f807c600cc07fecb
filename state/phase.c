/*
 * phase: names of phases and events, and the few predicates every layer asks.
 */
#include <string.h>

#include "phase.h"

static const char *const phase_names[PH__COUNT] = {
	[PH_PLANNED] = "planned",
	[PH_PREFLIGHT] = "preflight",
	[PH_SEEDING] = "seeding",
	[PH_REPLICATING] = "replicating",
	[PH_SHADOW] = "shadow",
	[PH_SHIFTING] = "shifting",
	[PH_CUTOVER] = "cutover",
	[PH_FULL_TRAFFIC] = "full_traffic",
	[PH_SOAK] = "soak",
	[PH_DECOMMISSION] = "decommission",
	[PH_DONE] = "done",
	[PH_PAUSED] = "paused",
	[PH_ROLLING_BACK] = "rolling_back",
	[PH_ROLLED_BACK] = "rolled_back",
	[PH_FAILED] = "failed",
};

static const char *const mev_names[MEV__COUNT] = {
	[MEV_START] = "start",
	[MEV_CHECKS_PASSED] = "checks_passed",
	[MEV_CHECKS_FAILED] = "checks_failed",
	[MEV_SEEDED] = "seeded",
	[MEV_IN_SYNC] = "in_sync",
	[MEV_SHADOW_READY] = "shadow_ready",
	[MEV_BAKED] = "baked",
	[MEV_PROMOTE] = "promote",
	[MEV_BREACH] = "breach",
	[MEV_WRITER_SWITCHED] = "writer_switched",
	[MEV_CUTOVER_ABORTED] = "cutover_aborted",
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
	return phase_names[ph];
}

enum phase
phase_from_name(const char *name)
{
	int	i;

	for (i = 0; i < PH__COUNT; i++)
		if (strcmp(phase_names[i], name) == 0)
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
phase_is_running(enum phase ph)
{
	switch (ph) {
	case PH_PREFLIGHT:
	case PH_SEEDING:
	case PH_REPLICATING:
	case PH_SHADOW:
	case PH_SHIFTING:
	case PH_CUTOVER:
	case PH_FULL_TRAFFIC:
	case PH_SOAK:
	case PH_DECOMMISSION:
	case PH_ROLLING_BACK:
		return 1;
	default:
		return 0;
	}
}

int
phase_is_final(enum phase ph)
{
	return ph == PH_DONE || ph == PH_ROLLED_BACK;
}
