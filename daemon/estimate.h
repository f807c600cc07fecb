/*
 * estimate: will each step of a plan gather gates.min_requests in one
 * bake at this app's traffic? The app's rate is the RequestCount of its
 * target groups (the droplets' and ECS's, summed) over the last day; a
 * step should bring rate * step% * bake requests to ECS. A step that
 * falls short is named with the bake, or the first step, that would do
 * ("step 1 %: about 15 requests in 5m, under gates.min_requests 50; use
 * bake >= 17m or start at 5 %").
 *
 * Used by `create` (a plan that falls short is refused) and by `check`.
 * No data at all (a new app, CloudWatch unreachable or refusing) is not a
 * refusal: the verdict is EST_UNKNOWN with a warning, since the gates
 * themselves never pass without data and gates.max_hold alerts on a step
 * that holds.
 */
#ifndef ESTIMATE_H
#define ESTIMATE_H

#include <stdint.h>

#include <jansson.h>

#include "plan.h"

struct daemon;
struct estimate_call;

#define ESTIMATE_SPAN_S		86400	/* the traffic read: the last day */
#define ESTIMATE_TIMEOUT_MS	15000	/* then EST_UNKNOWN */

enum est_verdict {
	EST_OK,			/* every weighted step reaches min_requests */
	EST_SHORT,		/* some step does not: refuse */
	EST_UNKNOWN,		/* no traffic data: warn */
};

struct est_step {
	int		 pct;		/* ECS percent; 0: the Method B rule */
	double		 requests;	/* expected in one bake; rule: -1 */
	int		 ok;
};

struct estimate {
	enum est_verdict verdict;
	double		 rate;		/* requests per second, 0 unknown */
	int64_t		 span_s;	/* over how long it was measured */
	int		 nsteps;
	struct est_step	 steps[PLAN_STEPS_MAX];
	int64_t		 bake_needed;	/* ms, EST_SHORT: the bake that works */
	int		 start_pct;	/* EST_SHORT: the plan's first step that
					   works, else the least percent; 0 */
	char		 text[512];	/* the refusal or warning; "" when ok */
};

typedef void (*estimate_cb)(void *arg, const struct estimate *);

/*
 * Read the traffic of p's target groups and judge p's steps; cb is called
 * once, from the loop, never from within estimate_start (also when AWS
 * cannot be asked: EST_UNKNOWN). The plan must outlive the call.
 */
struct estimate_call	*estimate_start(struct daemon *, const struct plan *,
			    estimate_cb, void *arg);
/* Stop a call; its callback is not called. NULL is a no-op. */
void		 estimate_cancel(struct estimate_call *);

/*
 * The arithmetic, no I/O: requests seen over span_s seconds (have 0: no
 * datapoint at all; why: what went wrong, or NULL) against p.
 */
void		 estimate_judge(const struct plan *, int have, double requests,
		    int64_t span_s, const char *why, struct estimate *);

/* {"verdict", "rate_per_min", "span_s", "steps": [...], "text"}. */
json_t		*estimate_json(const struct estimate *);

#endif /* ESTIMATE_H */
