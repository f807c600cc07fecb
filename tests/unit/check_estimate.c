/*
 * check_estimate: the traffic estimate's arithmetic (daemon/estimate.c):
 * the requests one bake brings each step, the refusal's words, the bake
 * and the first step it suggests, and no data as a warning, not a
 * refusal.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "plan.h"
#include "suite.h"

static struct plan	 plan;
static struct estimate	 e;

/* The shipped defaults: steps 1..75, bake 5m, min_requests 50. */
static void
setup(void)
{
	static const int	 steps[] = { 1, 5, 10, 25, 50, 75 };

	memset(&plan, 0, sizeof(plan));
	memcpy(plan.traffic.steps, steps, sizeof(steps));
	plan.traffic.nsteps = 6;
	plan.traffic.bake = 5 * 60 * 1000;
	plan.gates.min_requests = 50;
	memset(&e, 0, sizeof(e));
}

static void
teardown(void)
{
}

/* 300 requests a minute over a day. */
START_TEST(short_first_step)
{
	estimate_judge(&plan, 1, 300.0 * 1440, 86400, NULL, &e);
	ck_assert_int_eq(e.verdict, EST_SHORT);
	ck_assert_str_eq(e.text, "step 1 %: about 15 requests in 5m, under "
	    "gates.min_requests 50; use bake >= 17m or start at 5 %");
	ck_assert_int_eq(e.nsteps, 6);
	ck_assert(e.steps[0].requests > 14.99 && e.steps[0].requests < 15.01);
	ck_assert_int_eq(e.steps[0].ok, 0);
	ck_assert_int_eq(e.steps[1].ok, 1);	/* 5 %: 75 */
	ck_assert_int_eq((int)e.bake_needed, 17 * 60 * 1000);
	ck_assert_int_eq(e.start_pct, 5);
}
END_TEST

/* No step of the plan would do: the least percent, or none past 99. */
START_TEST(suggest_least_percent)
{
	plan.traffic.steps[0] = 10;
	plan.traffic.steps[1] = 50;
	plan.traffic.nsteps = 2;
	plan.traffic.bake = 20 * 1000;
	plan.gates.min_requests = 3;
	/* 30 a minute: 10 % brings 1 request in 20 s. */
	estimate_judge(&plan, 1, 30.0 * 60, 3600, NULL, &e);
	ck_assert_int_eq(e.verdict, EST_SHORT);
	ck_assert_str_eq(e.text, "step 10 %: about 1.0 requests in 20s, under "
	    "gates.min_requests 3; use bake >= 1m or start at 50 %");
	plan.traffic.steps[1] = 20;
	estimate_judge(&plan, 1, 30.0 * 60, 3600, NULL, &e);
	ck_assert_str_eq(e.text, "step 10 %: about 1.0 requests in 20s, under "
	    "gates.min_requests 3; use bake >= 1m or start at 30 %");
	/* 30 % exactly reaches 3, within rounding. */
	plan.traffic.steps[0] = 30;
	plan.traffic.steps[1] = 50;
	estimate_judge(&plan, 1, 30.0 * 60, 3600, NULL, &e);
	ck_assert_int_eq(e.verdict, EST_OK);
	/* The old per-datapoint default at second-long bakes. */
	plan.traffic.steps[0] = 10;
	plan.traffic.bake = 2000;
	plan.gates.min_requests = 50;
	estimate_judge(&plan, 1, 30.0 * 60, 3600, NULL, &e);
	ck_assert_str_eq(e.text, "step 10 %: about 0.1 requests in 2s, under "
	    "gates.min_requests 50; use bake >= 17m");
	ck_assert_int_eq(e.start_pct, 0);
}
END_TEST

START_TEST(bake_rounding)
{
	/* 1 request a second at 99 %: 101.01 s is 102s. */
	plan.gates.min_requests = 100;
	plan.traffic.steps[0] = 99;
	plan.traffic.nsteps = 1;
	plan.traffic.bake = 1000;
	estimate_judge(&plan, 1, 3600, 3600, NULL, &e);
	ck_assert_int_eq((int)e.bake_needed, 102 * 1000);
	/* 150 / 0.99 s is 2m32s: whole minutes past 2 minutes. */
	plan.gates.min_requests = 150;
	estimate_judge(&plan, 1, 3600, 3600, NULL, &e);
	ck_assert_int_eq((int)e.bake_needed, 3 * 60 * 1000);
	plan.gates.min_requests = 10000;
	estimate_judge(&plan, 1, 3600, 3600, NULL, &e);
	/* 10000 / 0.99 s is 2h48m: rounded up to the hour. */
	ck_assert_int_eq((int)(e.bake_needed / 1000), 3 * 3600);
}
END_TEST

START_TEST(enough_traffic)
{
	estimate_judge(&plan, 1, 1000.0 * 1440, 86400, NULL, &e);
	ck_assert_int_eq(e.verdict, EST_OK);
	ck_assert_str_eq(e.text, "");
	ck_assert(e.steps[0].requests > 49.9 && e.steps[0].requests < 50.1);
	ck_assert(e.rate > 16.66 && e.rate < 16.67);
}
END_TEST

START_TEST(rule_step_not_estimated)
{
	plan.traffic.steps[0] = PLAN_STEP_RULE;
	estimate_judge(&plan, 1, 1000.0 * 1440, 86400, NULL, &e);
	ck_assert_int_eq(e.verdict, EST_OK);
	ck_assert_int_eq(e.steps[0].pct, 0);
	ck_assert(e.steps[0].requests < 0);
}
END_TEST

START_TEST(no_data_warns)
{
	estimate_judge(&plan, 0, 0, 0, NULL, &e);
	ck_assert_int_eq(e.verdict, EST_UNKNOWN);
	ck_assert_msg(strstr(e.text, "no RequestCount for the target groups "
	    "in the last day: ") == e.text, "%s", e.text);
	estimate_judge(&plan, 0, 0, 0, "GetMetricData: AccessDenied: no", &e);
	ck_assert_msg(strstr(e.text, "(GetMetricData: AccessDenied: no)") !=
	    NULL, "%s", e.text);
	/* Datapoints that say 0 requests: no traffic known either. */
	estimate_judge(&plan, 1, 0, 3600, NULL, &e);
	ck_assert_int_eq(e.verdict, EST_UNKNOWN);
}
END_TEST

START_TEST(json_shape)
{
	json_t	*j;

	estimate_judge(&plan, 1, 300.0 * 1440, 86400, NULL, &e);
	j = estimate_json(&e);
	ck_assert_str_eq(json_string_value(json_object_get(j, "verdict")),
	    "short");
	ck_assert_int_eq((int)json_array_size(json_object_get(j, "steps")), 6);
	ck_assert_int_eq((int)json_integer_value(json_object_get(j,
	    "start_percent")), 5);
	json_decref(j);
}
END_TEST

int
main(void)
{
	const TTest		*judging[] = {
		short_first_step, suggest_least_percent, bake_rounding,
		enough_traffic, rule_step_not_estimated, no_data_warns,
		json_shape, NULL
	};
	const struct suite_case	 cases[] = {
		{ "judge", NULL, NULL, setup, teardown, 0, judging },
	};

	return suite_run(suite_of("estimate", cases, 1));
}
