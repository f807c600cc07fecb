/*
 * gate: the judgment of the traffic gates, with no I/O. The watcher
 * (daemon/watch.c) gathers what AWS and the lag monitor last said into a
 * gate_input; gate_judge() says pass, hold or breach, with every value it
 * read and, for hold and breach, each reason in words.
 *
 * Requests and 5xx are judged over the whole bake: the watcher sums the
 * ALB datapoints of each target group whose period overlaps the step
 * (gate_point_add), so a small step at low traffic gathers its
 * gates.min_requests over the bake instead of needing them in every
 * minute. p99 is the newest datapoint's: a percentile cannot be summed,
 * and since every judgment acts at once, each minute's p99 is judged as
 * it arrives, all through the bake.
 *
 * No data is never a pass. A gate whose input is missing holds: no
 * target health yet, no ALB datapoint, fewer requests over the bake than
 * gates.min_requests, an alarm in INSUFFICIENT_DATA, an unknown heartbeat
 * lag. A breach needs a value that is known and out of bounds.
 */
#ifndef GATE_H
#define GATE_H

#include <stddef.h>
#include <stdint.h>

struct plan;

enum gate_verdict {
	GATE_HOLD,		/* not enough data to say: the step waits */
	GATE_PASS,
	GATE_BREACH,		/* roll the weights back */
};

/* One target group's ALB datapoints over the bake; have == 0: none. */
struct gate_point {
	int		 have;
	int		 npoints;	/* datapoints summed */
	int64_t		 ts;		/* the newest one's period start, unix s */
	double		 requests;	/* RequestCount, Sum, summed */
	int		 have_5xx;	/* 0: no 5xx datapoint (none counted) */
	double		 n5xx;		/* HTTPCode_Target_5XX_Count, summed */
	int		 have_p99;
	double		 p99_ms;	/* the newest one's p99, in ms */
};

/* One ALB datapoint (a period of one target group), as read. */
struct gate_sample {
	int64_t		 ts;		/* period start, unix s */
	double		 requests;
	int		 have_5xx;	/* the 5xx count is known (0 if absent) */
	double		 n5xx;
	int		 have_p99;
	double		 p99_ms;
};

struct gate_input {
	/* ECS target group health; have_health == 0: not read yet. */
	int		 have_health;
	int		 healthy, unhealthy;

	/* Each target group's datapoints over the bake, summed. */
	struct gate_point ecs, droplets;
	int		 relative;	/* compare with the droplets */

	/* Heartbeat lag: -1 unknown; check_lag == 0: not a gate here. */
	int		 check_lag;
	int64_t		 lag_ms;

	/* Alarms: counts by state; check_alarms == 0: none in the plan. */
	int		 check_alarms;
	int		 have_alarms;
	int		 alarms_firing, alarms_unknown;
	const char	*alarm_firing;	/* the first in ALARM, for the text */

	/* Why a read failed (lib/aws's text), or NULL. */
	const char	*error;
};

struct gate_result {
	enum gate_verdict verdict;
	char		 text[512];	/* "; "-joined reasons, or "gates hold" */
};

/*
 * Does a datapoint of period seconds starting at ts belong to a bake
 * that began at since_ms? It does when its period ends after the start:
 * the first one may hold a little of the traffic from before the step
 * (CloudWatch cannot split a period), never a whole minute of it.
 */
int		 gate_in_bake(int64_t ts, int period, int64_t since_ms);
/* Add a sample of the bake to gp: counts summed, p99 of the newest. */
void		 gate_point_add(struct gate_point *, const struct gate_sample *);

/* Judge in against p's gates. */
void		 gate_judge(const struct plan *, const struct gate_input *,
		    struct gate_result *);
const char	*gate_verdict_name(enum gate_verdict);

#endif
