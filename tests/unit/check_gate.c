/*
 * check_gate: the gates' judgment (state/gate.c). Each gate passes, holds
 * without data, and breaks on a known value out of bounds; relative gates
 * compare with the droplets; a breach leads the text even when other
 * gates hold.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "plan.h"
#include "suite.h"

static struct plan	 plan;
static struct gate_input in;
static struct gate_result r;
static char		*alarms[] = { "shop-5xx", NULL };

/* Defaults of the plan's [gates], and an input where every gate holds. */
static void
setup(void)
{
	memset(&plan, 0, sizeof(plan));
	plan.gates.min_healthy = 2;
	plan.gates.max_5xx_rate = 0.01;
	plan.gates.max_5xx_ratio = 2.0;
	plan.gates.max_p99 = 1000;
	plan.gates.max_p99_ratio = 1.5;
	plan.gates.max_lag = 5000;
	plan.gates.min_requests = 50;
	plan.gates.alarms = alarms;

	memset(&in, 0, sizeof(in));
	in.have_health = 1;
	in.healthy = 2;
	in.ecs = (struct gate_point){ .have = 1, .ts = 600, .requests = 1000,
	    .have_5xx = 1, .n5xx = 2, .have_p99 = 1, .p99_ms = 200 };
	in.droplets = in.ecs;
	in.relative = 1;
	in.check_lag = 1;
	in.lag_ms = 100;
	in.check_alarms = 1;
	in.have_alarms = 1;
	memset(&r, 0, sizeof(r));
}

static void
teardown(void)
{
}

static void
judge(enum gate_verdict want, const char *text)
{
	gate_judge(&plan, &in, &r);
	ck_assert_msg(r.verdict == want, "verdict %s, want %s: %s",
	    gate_verdict_name(r.verdict), gate_verdict_name(want), r.text);
	if (text != NULL)
		ck_assert_msg(strstr(r.text, text) != NULL, "'%s' lacks '%s'",
		    r.text, text);
}

START_TEST(all_hold)
{
	judge(GATE_PASS, "every gate holds");
}
END_TEST

START_TEST(health)
{
	in.have_health = 0;
	judge(GATE_HOLD, "no ECS target health read yet");
	setup();
	in.unhealthy = 1;
	judge(GATE_BREACH, "1 ECS target unhealthy");
	setup();
	in.healthy = 1;
	judge(GATE_BREACH, "1 healthy ECS target, gates.min_healthy is 2");
}
END_TEST

START_TEST(no_data_holds)
{
	in.ecs.have = 0;
	judge(GATE_HOLD, "no ALB datapoint for the ECS target group");
	setup();
	in.ecs.requests = 49;
	in.ecs.npoints = 3;
	judge(GATE_HOLD, "49 requests to ECS over the bake (3 datapoints), "
	    "fewer than gates.min_requests (50)");
	setup();
	in.ecs.have_p99 = 0;
	judge(GATE_HOLD, "no p99 response time for ECS");
}
END_TEST

START_TEST(no_5xx_datapoint_is_none)
{
	/* An ALB publishes the 5xx count only for periods that had some. */
	in.ecs.have_5xx = 0;
	in.ecs.n5xx = 999;
	judge(GATE_PASS, NULL);
}
END_TEST

START_TEST(absolute_bounds)
{
	in.ecs.n5xx = 11;
	in.droplets.n5xx = 10;
	judge(GATE_BREACH, "ECS 5xx rate 1.10% above gates.max_5xx_rate "
	    "1.00% (11 of 1000 requests)");
	setup();
	in.ecs.p99_ms = 1001;
	in.droplets.p99_ms = 1000;
	judge(GATE_BREACH, "ECS p99 1001 ms above gates.max_p99 1000 ms");
}
END_TEST

START_TEST(relative_bounds)
{
	/* 0.5% is within the absolute 1%, but 2.5x the droplets' 0.2%. */
	in.ecs.n5xx = 5;
	judge(GATE_BREACH, "is 2.5x the droplets' 0.20%");
	/* Droplets without errors: the absolute limit alone. */
	in.droplets.have_5xx = 0;
	judge(GATE_PASS, NULL);
	setup();
	in.ecs.p99_ms = 400;
	judge(GATE_BREACH, "ECS p99 400 ms is 2.0x the droplets' 200 ms");
	setup();
	in.droplets.have = 0;
	judge(GATE_HOLD, "no droplet datapoint");
	setup();
	in.droplets.requests = 10;
	judge(GATE_HOLD, "no droplet datapoint");
	/* Not relative (the soak: the droplets are gone): not needed. */
	in.relative = 0;
	judge(GATE_PASS, NULL);
}
END_TEST

/* 30 requests a minute at 1 %: no minute has 50, the bake does. */
START_TEST(bake_sums)
{
	struct gate_sample	 sm = { .requests = 17, .have_5xx = 0,
				    .have_p99 = 1, .p99_ms = 300 };
	int			 i;

	memset(&in.ecs, 0, sizeof(in.ecs));
	for (i = 0; i < 2; i++) {
		sm.ts = 600 + 60 * i;
		gate_point_add(&in.ecs, &sm);
	}
	judge(GATE_HOLD, "34 requests to ECS over the bake (2 datapoints), "
	    "fewer than gates.min_requests (50)");
	/* Out of order: the newest gives the p99, the counts add up. */
	sm.ts = 540;
	sm.have_5xx = 1;
	sm.n5xx = 1;
	sm.p99_ms = 5000;
	gate_point_add(&in.ecs, &sm);
	ck_assert_int_eq(in.ecs.npoints, 3);
	ck_assert_int_eq((int)in.ecs.ts, 660);
	ck_assert_int_eq((int)in.ecs.p99_ms, 300);
	/* 1 in 51 is 1.96%: over the absolute 1%, judged on the sum. */
	judge(GATE_BREACH, "ECS 5xx rate 1.96% above gates.max_5xx_rate "
	    "1.00% (1 of 51 requests)");
	plan.gates.max_5xx_rate = 0.05;
	in.droplets.n5xx = 20;
	judge(GATE_PASS, NULL);
	/* A newer datapoint without p99 leaves p99 unknown: hold. */
	sm.ts = 720;
	sm.have_p99 = 0;
	sm.have_5xx = 0;
	gate_point_add(&in.ecs, &sm);
	judge(GATE_HOLD, "no p99 response time for ECS");
}
END_TEST

START_TEST(in_bake)
{
	/* The step began at 10:00:30 (unix 630 s). */
	ck_assert_int_eq(gate_in_bake(540, 60, 630000), 0);	/* 9:59 */
	ck_assert_int_eq(gate_in_bake(600, 60, 630000), 1);	/* straddles */
	ck_assert_int_eq(gate_in_bake(660, 60, 630000), 1);
	ck_assert_int_eq(gate_in_bake(570, 60, 630000), 0);	/* ends at it */
}
END_TEST

START_TEST(lag)
{
	in.lag_ms = -1;
	judge(GATE_HOLD, "heartbeat lag unknown");
	in.lag_ms = 5001;
	judge(GATE_BREACH, "heartbeat lag 5001 ms above gates.max_lag 5000 ms");
	in.check_lag = 0;
	judge(GATE_PASS, NULL);
}
END_TEST

START_TEST(alarms_gate)
{
	in.have_alarms = 0;
	judge(GATE_HOLD, "alarm states not read yet");
	in.have_alarms = 1;
	in.alarms_unknown = 1;
	judge(GATE_HOLD, "1 alarm without data or not found");
	in.alarms_firing = 2;
	in.alarm_firing = "shop-5xx";
	judge(GATE_BREACH, "2 alarms in ALARM (shop-5xx)");
	in.check_alarms = 0;
	judge(GATE_PASS, NULL);
}
END_TEST

START_TEST(breach_leads)
{
	in.lag_ms = -1;			/* a hold first */
	in.ecs.have_p99 = 0;		/* another */
	in.unhealthy = 3;		/* then a breach */
	judge(GATE_BREACH, NULL);
	ck_assert_msg(strncmp(r.text, "3 ECS targets unhealthy", 23) == 0,
	    "%s", r.text);
	ck_assert_ptr_null(strstr(r.text, "heartbeat lag unknown"));
}
END_TEST

START_TEST(read_error_holds)
{
	in.error = "some AWS reads failed";
	judge(GATE_HOLD, "some AWS reads failed");
}
END_TEST

int
main(void)
{
	const TTest		*judging[] = {
		all_hold, health, no_data_holds, no_5xx_datapoint_is_none,
		absolute_bounds, relative_bounds, lag, alarms_gate,
		breach_leads, read_error_holds, bake_sums, in_bake, NULL
	};
	const struct suite_case	 cases[] = {
		{ "judge", NULL, NULL, setup, teardown, 0, judging },
	};

	return suite_run(suite_of("gate", cases, 1));
}
