/*
 * hook: the plan's operator commands (before_<phase>, after_<phase>,
 * on_breach, on_rollback, on_done) run as journaled effects, with the
 * migration's facts in their environment.
 */
#ifndef HOOK_H
#define HOOK_H

#include "effect.h"

struct daemon;
struct migration;

extern const struct effect_kind	hook_effect;

typedef void (*hook_done_cb)(struct daemon *, struct migration *,
    const char *hook, int ok, const char *result, void *arg);

/*
 * Run hook `name` (its command from the plan) for m. done gets ok 1 when
 * it exited 0 in time, and the result line journaled for it. -1 if it
 * could not be journaled or started (done is not called then).
 */
int	hook_run(struct daemon *, struct migration *, const char *name,
	    const char *cmd, hook_done_cb, void *arg);

#endif
