/*
 * hook: the plan's operator commands (before_<phase>, after_<phase>,
 * on_breach, on_rollback, on_done) run as journaled effects, with the
 * migration's facts in their environment.
 */
#ifndef HOOK_H
#define HOOK_H

#include "effect.h"

struct daemon;
struct job;
struct migration;

typedef void (*hook_done_cb)(struct daemon *, struct migration *,
    const char *hook, int ok, const char *result, void *arg);

/*
 * A hook that may run twice, such as the writer switch (pointing the
 * writer at the same target again changes nothing): interrupted by a
 * crash, it is run again rather than reported unknown.
 */
#define HOOK_RERUN	0x1

/*
 * Run hook `name` (its command from the plan) for m. done gets ok 1 when
 * it exited 0 in time, and the result line journaled for it. -1 if it
 * could not be journaled or started (done is not called then). The hook
 * sees MIGRATED_NAME, _HOOK, _PHASE, _STEP, _ECS_WEIGHT, _REASON,
 * _SOURCE_HOST/_PORT, _TARGET_HOST/_PORT, _WRITER_HOST/_PORT (where the
 * application's writes must go), _EFFECT_ID and _PID.
 */
int	hook_run(struct job *, const char *name,
	    const char *cmd, int flags, hook_done_cb, void *arg);

#endif
