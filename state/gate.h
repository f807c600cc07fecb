/*
 * gate: the judgment of the traffic gates, with no I/O. The watcher
 * (daemon/watch.c) gathers what AWS and the lag monitor last said into a
 * gate_input; gate_judge() says pass, hold or breach, with every value it
 * read and, for hold and breach, each reason in words.
 *
 * No data is never a pass. A gate whose input is missing holds: no
 * target health yet, no ALB datapoint, a datapoint with fewer requests
 * than gates.min_requests, an alarm in INSUFFICIENT_DATA, an unknown
 * heartbeat lag. A breach needs a value that is known and out of bounds.
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

/* One target group's ALB datapoint; have == 0: none. */
struct gate_point {
	int		 have;
	int64_t		 ts;		/* period start, unix s */
	double		 requests;	/* RequestCount, Sum */
	int		 have_5xx;	/* 0: no 5xx datapoint (none counted) */
	double		 n5xx;		/* HTTPCode_Target_5XX_Count, Sum */
	int		 have_p99;
	double		 p99_ms;	/* TargetResponseTime p99, in ms */
};

struct gate_input {
	/* ECS target group health; have_health == 0: not read yet. */
	int		 have_health;
	int		 healthy, unhealthy;

	/* The newest datapoint of each target group. */
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

/* Judge in against p's gates. */
void		 gate_judge(const struct plan *, const struct gate_input *,
		    struct gate_result *);
const char	*gate_verdict_name(enum gate_verdict);

#endif
