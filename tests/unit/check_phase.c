/*
 * check_phase: the phase table's columns. Each column is pinned to the
 * phases that have it, checked against the transition table where the two
 * say the same thing (running phases can fail, final ones accept nothing,
 * held ones resume), and against each other (reverse replication runs only
 * after the writer switch, traffic is in one place at a time, ...).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "log.h"
#include "phase.h"

#define NOPH	PH__COUNT	/* ends a list of phases */

static const struct {
	unsigned int	 flag;
	const char	*name;
	enum phase	 phases[PH__COUNT + 1];
} columns[] = {
	{ PHF_RUNNING, "running", { PH_PREFLIGHT, PH_SEEDING, PH_REPLICATING,
	    PH_SHADOW, PH_SHIFTING, PH_READY, PH_CUTOVER, PH_FULL_TRAFFIC, PH_SOAK,
	    PH_DECOMMISSION, PH_ROLLING_BACK, NOPH } },
	{ PHF_FINAL, "final", { PH_DONE, PH_ROLLED_BACK, NOPH } },
	{ PHF_AT_REST, "at rest", { PH_PLANNED, PH_DONE, PH_ROLLED_BACK,
	    NOPH } },
	{ PHF_UNTOUCHED, "untouched", { PH_PLANNED, PH_PREFLIGHT, NOPH } },
	{ PHF_HOLD, "hold", { PH_PAUSED, PH_FAILED, NOPH } },
	{ PHF_INTERRUPTS, "interrupts", { PH_PAUSED, PH_FAILED,
	    PH_ROLLING_BACK, NOPH } },
	{ PHF_ROLLBACK, "rollback", { PH_ROLLING_BACK, PH_ROLLED_BACK,
	    NOPH } },
	{ PHF_NEEDS_PLAN, "needs the plan", { PH_SEEDING, PH_REPLICATING,
	    PH_SHADOW, PH_SHIFTING, PH_READY, PH_CUTOVER, PH_FULL_TRAFFIC, PH_SOAK,
	    PH_DECOMMISSION, PH_PAUSED, NOPH } },
	{ PHF_LAG_WATCHED, "lag watched", { PH_REPLICATING, PH_SHADOW,
	    PH_SHIFTING, PH_READY, PH_CUTOVER, NOPH } },
	{ PHF_DROPLET_TRAFFIC, "droplet traffic", { PH_PLANNED, PH_PREFLIGHT,
	    PH_SEEDING, PH_REPLICATING, PH_SHADOW, PH_ROLLED_BACK, NOPH } },
	{ PHF_STEPPED, "stepped", { PH_SHIFTING, PH_READY, PH_CUTOVER,
	    NOPH } },
	{ PHF_ECS_TRAFFIC, "ecs traffic", { PH_FULL_TRAFFIC, PH_SOAK,
	    PH_DECOMMISSION, PH_DONE, NOPH } },
	{ PHF_CUTOVER_BEGUN, "cutover begun", { PH_CUTOVER, PH_FULL_TRAFFIC,
	    PH_SOAK, PH_DECOMMISSION, PH_DONE, NOPH } },
	{ PHF_WRITER_SWITCHED, "writer switched", { PH_FULL_TRAFFIC, PH_SOAK,
	    PH_DECOMMISSION, PH_DONE, NOPH } },
	{ PHF_REVERSE_REPL, "reverse replication", { PH_FULL_TRAFFIC,
	    PH_SOAK, PH_DECOMMISSION, NOPH } },
	/* Not the cutover: a failed sync's pause must not cut a freeze. */
	{ PHF_FILES_SYNC, "files sync", { PH_SEEDING, PH_REPLICATING,
	    PH_SHADOW, PH_SHIFTING, PH_READY, PH_FULL_TRAFFIC, PH_SOAK,
	    PH_DECOMMISSION, NOPH } },
};

#define NCOLUMNS	(sizeof(columns) / sizeof(columns[0]))

static int
listed(const enum phase *v, int ph)
{
	for (; *v != NOPH; v++)
		if ((int)*v == ph)
			return 1;
	return 0;
}

/* The phases that have every flag in flags, as a bit mask of 1 << phase. */
static unsigned int
having(unsigned int flags)
{
	unsigned int	mask = 0, f;
	int		ph, all;

	for (ph = 0; ph < PH__COUNT; ph++) {
		all = 1;
		for (f = 1; f != 0; f <<= 1)
			if ((flags & f) && !phase_has(ph, f))
				all = 0;
		if (all)
			mask |= 1u << ph;
	}
	return mask;
}

START_TEST(columns_as_listed)
{
	int	ph;

	for (ph = 0; ph < PH__COUNT; ph++)
		ck_assert_msg(phase_has(ph, columns[_i].flag) ==
		    listed(columns[_i].phases, ph), "%s: %s is %s",
		    phase_name(ph), columns[_i].name,
		    phase_has(ph, columns[_i].flag) ? "set" : "not set");
}
END_TEST

START_TEST(every_column_listed)
{
	unsigned int	all = 0;
	size_t		i;
	int		ph;

	for (i = 0; i < NCOLUMNS; i++) {
		ck_assert_uint_eq(all & columns[i].flag, 0);
		all |= columns[i].flag;
	}
	/* A flag the table uses and this suite does not pin is a gap. */
	for (ph = 0; ph < PH__COUNT; ph++)
		ck_assert_int_eq(phase_has(ph, ~all), 0);
}
END_TEST

/* Where the transition table says the same thing, the two agree. */
START_TEST(columns_agree_with_fsm)
{
	const struct rule	*r;
	size_t			 n, i;
	unsigned int		 fails = 0, resumes = 0, stops = 0;
	int			 ph;

	r = fsm_rules(&n);
	for (i = 0; i < n; i++) {
		if (r[i].ev == MEV_FAIL)
			fails |= 1u << r[i].from;
		if (r[i].to == PH_RESUME)
			resumes |= 1u << r[i].from;
		/* act_hold and act_rollback set resume_to. */
		if (r[i].action_name != NULL &&
		    (strcmp(r[i].action_name, "act_hold") == 0 ||
		    strcmp(r[i].action_name, "act_rollback") == 0))
			stops |= 1u << r[i].to;
		/* The writer switch is the cutover's end and nothing else. */
		if (r[i].ev == MEV_WRITER_SWITCHED) {
			ck_assert(!phase_has(r[i].from, PHF_WRITER_SWITCHED));
			ck_assert(phase_has(r[i].to, PHF_WRITER_SWITCHED));
		}
	}
	ck_assert_uint_eq(having(PHF_RUNNING), fails);
	ck_assert_uint_eq(having(PHF_HOLD), resumes);
	ck_assert_uint_eq(having(PHF_INTERRUPTS), stops);
	for (ph = 0; ph < PH__COUNT; ph++)
		ck_assert_int_eq(phase_has(ph, PHF_FINAL),
		    fsm_accepted(ph) == 0);
}
END_TEST

static int
subset(unsigned int a, unsigned int b)
{
	return (a & ~b) == 0;
}

START_TEST(columns_agree_with_each_other)
{
	int	ph;

	ck_assert(subset(having(PHF_REVERSE_REPL),
	    having(PHF_WRITER_SWITCHED | PHF_RUNNING)));
	ck_assert(subset(having(PHF_WRITER_SWITCHED),
	    having(PHF_CUTOVER_BEGUN)));
	ck_assert(subset(having(PHF_LAG_WATCHED),
	    having(PHF_RUNNING | PHF_NEEDS_PLAN)));
	ck_assert(subset(having(PHF_FINAL), having(PHF_AT_REST)));
	ck_assert(subset(having(PHF_HOLD), having(PHF_INTERRUPTS)));
	ck_assert_uint_eq(having(PHF_AT_REST) & having(PHF_RUNNING), 0);
	ck_assert_uint_eq(having(PHF_AT_REST) & having(PHF_INTERRUPTS), 0);
	/*
	 * Traffic is in one known place, except where a phase cut another
	 * short: there it is wherever that one left it.
	 */
	for (ph = 0; ph < PH__COUNT; ph++)
		ck_assert_int_eq(!!phase_has(ph, PHF_DROPLET_TRAFFIC) +
		    !!phase_has(ph, PHF_STEPPED) +
		    !!phase_has(ph, PHF_ECS_TRAFFIC),
		    phase_has(ph, PHF_INTERRUPTS) ? 0 : 1);
}
END_TEST

START_TEST(outside_the_table)
{
	ck_assert_int_eq(phase_has(PH_NONE, ~0u), 0);
	ck_assert_int_eq(phase_has(PH__COUNT, ~0u), 0);
	ck_assert_int_eq(phase_has(PH_SOAK, 0), 0);
	ck_assert_int_eq(phase_is_running(PH_NONE), 0);
	ck_assert_int_eq(phase_is_final(PH_NONE), 0);
}
END_TEST

START_TEST(any_of_the_flags)
{
	ck_assert(phase_has(PH_ROLLED_BACK,
	    PHF_CUTOVER_BEGUN | PHF_ROLLBACK));
	ck_assert(phase_has(PH_CUTOVER, PHF_CUTOVER_BEGUN | PHF_ROLLBACK));
	ck_assert(!phase_has(PH_SHIFTING, PHF_CUTOVER_BEGUN | PHF_ROLLBACK));
}
END_TEST

START_TEST(wrappers_read_the_table)
{
	int	ph;

	for (ph = 0; ph < PH__COUNT; ph++) {
		ck_assert_int_eq(phase_is_running(ph),
		    phase_has(ph, PHF_RUNNING));
		ck_assert_int_eq(phase_is_final(ph), phase_has(ph, PHF_FINAL));
	}
}
END_TEST

START_TEST(where_a_hold_stopped)
{
	ck_assert_int_eq(phase_where(PH_PAUSED, PH_SHIFTING), PH_SHIFTING);
	ck_assert_int_eq(phase_where(PH_FAILED, PH_CUTOVER), PH_CUTOVER);
	ck_assert_int_eq(phase_where(PH_FAILED, PH_ROLLING_BACK),
	    PH_ROLLING_BACK);
	/* Unknown: the hold itself. */
	ck_assert_int_eq(phase_where(PH_PAUSED, PH_NONE), PH_PAUSED);
	/* Not a hold: resume_to does not count. */
	ck_assert_int_eq(phase_where(PH_ROLLING_BACK, PH_SOAK),
	    PH_ROLLING_BACK);
	ck_assert_int_eq(phase_where(PH_SOAK, PH_SHIFTING), PH_SOAK);
	ck_assert_int_eq(phase_where(PH_SOAK, PH_NONE), PH_SOAK);
}
END_TEST

/*
 * The forward path's order: one place each, 1 to the count of path
 * phases; the side states (held or rolling back) are off it; and every
 * rule between two path phases moves one place on, except the cutover's
 * abort, which goes back to shifting untouched.
 */
START_TEST(order_follows_the_fsm)
{
	const struct rule	*r;
	size_t			 n, i;
	unsigned int		 seen = 0;
	int			 ph, on = 0;

	for (ph = 0; ph < PH__COUNT; ph++) {
		ck_assert_int_eq(phase_order(ph) == 0,
		    phase_has(ph, PHF_HOLD | PHF_ROLLBACK));
		if (phase_order(ph) == 0)
			continue;
		on++;
		ck_assert(!(seen & (1u << phase_order(ph))));
		seen |= 1u << phase_order(ph);
	}
	ck_assert_uint_eq(seen, ((1u << on) - 1) << 1);
	ck_assert_int_eq(phase_order(PH_PLANNED), 1);
	ck_assert_int_eq(phase_order(PH_DONE), on);
	ck_assert_int_eq(phase_order(PH_NONE), 0);
	r = fsm_rules(&n);
	for (i = 0; i < n; i++) {
		if (r[i].from == r[i].to || r[i].to >= PH__COUNT ||
		    phase_order(r[i].from) == 0 || phase_order(r[i].to) == 0)
			continue;
		if (r[i].ev == MEV_CUTOVER_ABORTED)
			ck_assert_int_lt(phase_order(r[i].to),
			    phase_order(r[i].from));
		else
			ck_assert_int_eq(phase_order(r[i].to),
			    phase_order(r[i].from) + 1);
	}
}
END_TEST

START_TEST(wait_reached_or_passed)
{
	/* On the path: at it, past it, before it. */
	ck_assert_int_eq(phase_wait_judge(PH_SHIFTING, PH_NONE, PH_SHIFTING),
	    PW_REACHED);
	ck_assert_int_eq(phase_wait_judge(PH_SOAK, PH_NONE, PH_SEEDING),
	    PW_REACHED);
	ck_assert_int_eq(phase_wait_judge(PH_PLANNED, PH_NONE, PH_PREFLIGHT),
	    PW_PENDING);
	ck_assert_int_eq(phase_wait_judge(PH_REPLICATING, PH_NONE,
	    PH_DONE), PW_PENDING);
	ck_assert_int_eq(phase_wait_judge(PH_DONE, PH_NONE, PH_DONE),
	    PW_REACHED);
	/* Held: counts where it stopped; short of want, it needs someone. */
	ck_assert_int_eq(phase_wait_judge(PH_PAUSED, PH_CUTOVER, PH_SHIFTING),
	    PW_REACHED);
	ck_assert_int_eq(phase_wait_judge(PH_PAUSED, PH_SHIFTING, PH_DONE),
	    PW_STOPPED);
	ck_assert_int_eq(phase_wait_judge(PH_FAILED, PH_PREFLIGHT,
	    PH_SEEDING), PW_STOPPED);
	/* A rollback undoes what was passed. */
	ck_assert_int_eq(phase_wait_judge(PH_ROLLING_BACK, PH_SOAK,
	    PH_SEEDING), PW_STOPPED);
	ck_assert_int_eq(phase_wait_judge(PH_ROLLED_BACK, PH_NONE,
	    PH_PLANNED), PW_STOPPED);
	/* Side states cannot be waited for. */
	ck_assert_int_eq(phase_wait_judge(PH_PAUSED, PH_SHIFTING, PH_PAUSED),
	    PW_BAD);
	ck_assert_int_eq(phase_wait_judge(PH_PLANNED, PH_NONE, PH_NONE),
	    PW_BAD);
}
END_TEST

static Suite *
phase_suite(void)
{
	Suite	*s = suite_create("phase");
	TCase	*tc = tcase_create("columns");

	tcase_add_loop_test(tc, columns_as_listed, 0, (int)NCOLUMNS);
	tcase_add_test(tc, every_column_listed);
	tcase_add_test(tc, columns_agree_with_fsm);
	tcase_add_test(tc, columns_agree_with_each_other);
	tcase_add_test(tc, outside_the_table);
	tcase_add_test(tc, any_of_the_flags);
	tcase_add_test(tc, wrappers_read_the_table);
	tcase_add_test(tc, where_a_hold_stopped);
	tcase_add_test(tc, order_follows_the_fsm);
	tcase_add_test(tc, wait_reached_or_passed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(phase_suite());
	int	 failed;

	log_init(getenv("CHECK_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
