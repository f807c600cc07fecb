/*
 * watch: the gates' eyes. While a step bakes (and through the soak) it
 * reads the ECS target group's health every poll interval, the ALB
 * metrics of both target groups over the bake and the plan's alarms every
 * WATCH_METRICS_MS, takes the heartbeat lag from the lag monitor, and
 * hands each judgment (state/gate.h) to its owner.
 */
#ifndef WATCH_H
#define WATCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gate.h"

struct daemon;
struct migration;
struct watch;

/* ALB metrics come once a minute: asking more often than this is waste. */
#define WATCH_METRICS_MS	10000
#define WATCH_PERIOD_S		60
/* A bake longer than this is judged over its newest part. */
#define WATCH_SPAN_MAX_S	86400

/*
 * A judgment. error is not NULL when a read failed with an answer that
 * retrying would not change (AWS's "OP: CODE: message"); busy, throttled
 * or unreachable AWS only holds the gates.
 */
typedef void (*watch_cb)(void *arg, const struct gate_result *,
    const struct gate_input *, const char *error);

/*
 * Start watching now a bake that began at since (unix ms): the ALB
 * datapoints from then on are summed. relative: compare with the
 * droplets' target group; lag: the watcher whose heartbeat lag is a gate
 * (it outlives the watch), or NULL for no lag gate.
 */
struct lag;
struct watch	*watch_new(struct daemon *, struct migration *, int64_t since,
		    int relative, const struct lag *lag, watch_cb, void *arg);
void		 watch_free(struct watch *);

/*
 * The CloudWatch dimensions of p's load balancer and target groups (the
 * droplets' too when droplets), period WATCH_PERIOD_S, no times; lb is
 * the buffer of the load balancer's. A NULL field: the ARN does not give
 * one.
 */
struct cw_alb_query;
struct plan;
void		 watch_query(const struct plan *, int droplets, char *lb,
		    size_t len, struct cw_alb_query *);

/* The last judgment and its values, for status; NULL before the first. */
json_t		*watch_json(const struct watch *);

/* When the newest judged ECS datapoint's period ended, unix ms; 0: none. */
int64_t		 watch_point_end(const struct watch *);

/*
 * How late the watchers' polls fired against their schedule, over every
 * watcher since the daemon started: the loop's responsiveness under load.
 */
struct watch_lateness {
	uint64_t	 ticks;
	double		 p50_ms, p99_ms;	/* 1 ms resolution, upper edge */
	double		 max_ms;
	double		 sum_ms;
};
void		 watch_lateness(struct watch_lateness *);

#endif
