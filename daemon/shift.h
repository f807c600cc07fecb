/*
 * shift: the traffic phases' drivers. shifting moves the plan's steps
 * onto ECS one at a time and bakes each under the gates; a breach sends
 * the weights back to the droplets at once and pauses (or, with
 * on_breach = retry, comes back after the cool-down). full_traffic
 * leaves ECS alone on the listener; soak watches the gates for the soak
 * time. The rollback's traffic part puts every user back on the droplets.
 */
#ifndef SHIFT_H
#define SHIFT_H

struct job;
struct migration;

/* How often the listener is read for drift between changes, at least. */
#define SHIFT_DRIFT_CHECK_MS	5000

/* Breaches of one step that on_breach = retry retries; then it pauses. */
#define SHIFT_RETRIES_MAX	3

/*
 * Put every user back on the droplets (weights 100/0, the Method B rule
 * removed) if the migration ever moved any; then done(ok, why).
 */
void	shift_rollback(struct job *, void (*done)(struct job *, int ok,
	    const char *why));

/* ECS's share of step k: 0 for the rule step. */
int	shift_step_pct(const struct migration *, int k);

#endif /* SHIFT_H */
