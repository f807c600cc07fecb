/*
 * check_fsm: the transition table. Every rule is walked with its guard
 * holding (the phase moves, the journal has the row, the daemon is told)
 * and, when it has a guard, with the guard failing (nothing moves); every
 * (phase, event) pair the table does not list is refused. Runs against a
 * real SQLite store in a temporary directory.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsm.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"

static char		 dir[] = "/tmp/check_fsm.XXXXXX";
static struct store	*st;
static int		 entered_calls;
static enum phase	 entered_from;
static enum mev		 entered_ev;

static void
entered(void *arg, struct migration *m, enum phase from, enum mev ev,
    const char *detail)
{
	entered_calls++;
	entered_from = from;
	entered_ev = ev;
}

static const struct fsm_ops ops = { NULL, entered };

static void
setup(void)
{
	char	path[128], err[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	st = store_open(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
}

static void
teardown(void)
{
	char	cmd[160];

	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* A migration whose every observation is good: each guard holds. */
static struct migration *
mig_new(const char *name, enum phase ph)
{
	struct migration	*m = migration_new(name);
	struct plan		*p = calloc(1, sizeof(*p));
	static const int	 steps[] = { 1, 5, 10, 25, 50, 75 };

	ck_assert_ptr_nonnull(p);
	memcpy(p->traffic.steps, steps, sizeof(steps));
	p->traffic.nsteps = 6;
	p->target.settle = 30000;
	p->gates.min_healthy = 2;
	p->decommission.approval = APPROVAL_REQUIRED;
	p->cutover.approval = APPROVAL_AUTO;
	m->plan = p;
	m->plan_text = strdup("# test\n");
	m->obs.checks_ok = 1;
	m->obs.coordinates = 1;
	m->obs.in_sync_ms = 60000;
	m->obs.ecs_healthy = 2;
	m->obs.gates_ok = 1;
	m->obs.writer_switched = 1;
	m->obs.first_write = 1;
	m->obs.proof_ok = 1;
	m->obs.soak_ok = 1;
	m->obs.droplets_final = 1;
	m->resume_to = PH_SHIFTING;
	ck_assert_int_eq(store_mig_insert(st, m), 0);
	m->phase = ph;
	m->step = 0;
	return m;
}

static void
count_row(void *arg, const struct store_journal_row *r)
{
	(*(int *)arg)++;
}

/* Journal rows as the history reader returns them to an operator. */
static int
journal_rows(struct migration *m)
{
	int	n = 0;

	ck_assert_int_eq(store_history(st, m->id, 1000, count_row, &n), 0);
	return n;
}

/* Make rule r's own guard hold, and those of rules before it fail. */
static void
arrange(struct migration *m, const struct rule *r)
{
	if (r->guard_name == NULL)
		return;
	if (strcmp(r->guard_name, "gates_held_last_step") == 0)
		m->step = m->plan->traffic.nsteps - 1;
	if (strcmp(r->guard_name, "fleet_final") == 0)
		m->approved = 1;
	if (strcmp(r->guard_name, "cutover_cleared") == 0)
		m->obs.window_open = 1;
	if (strcmp(r->guard_name, "cutover_approvable") == 0)
		m->plan->cutover.approval = APPROVAL_REQUIRED;
	if (strcmp(r->guard_name, "not_approved") == 0)
		m->resume_to = PH_DECOMMISSION;
}

/* Make rule r's guard fail. */
static void
spoil(struct migration *m, const struct rule *r)
{
	const char	*g = r->guard_name;

	if (strcmp(g, "plan_ok") == 0) {
		plan_free(m->plan);
		m->plan = NULL;
	} else if (strcmp(g, "coordinates_recorded") == 0)
		m->obs.coordinates = 0;
	else if (strcmp(g, "lag_settled") == 0)
		m->obs.in_sync_ms = 1000;
	else if (strcmp(g, "shadow_healthy") == 0)
		m->obs.ecs_unhealthy = 1;
	else if (strncmp(g, "gates_held", 10) == 0)
		m->obs.gates_ok = 0;
	else if (strcmp(g, "writer_on_target") == 0)
		m->obs.first_write = 0;
	else if (strcmp(g, "soak_passed") == 0)
		m->obs.soak_ok = 0;
	else if (strcmp(g, "proof_passed") == 0)
		m->obs.proof_ok = 0;
	else if (strcmp(g, "fleet_final") == 0)
		m->obs.droplets_final = 0;
	else if (strcmp(g, "not_approved") == 0)
		m->approved = 1;
	else if (strcmp(g, "cutover_approvable") == 0)
		m->approved = 1;
	else if (strcmp(g, "cutover_cleared") == 0)
		m->obs.window_open = 0;
	else if (strcmp(g, "can_return") == 0)
		m->resume_to = PH_NONE;
	else
		ck_abort_msg("no way to spoil guard %s", g);
}

START_TEST(every_rule_fires)
{
	const struct rule	*rules, *r;
	struct migration	*m;
	enum phase		 want;
	char			 name[32], why[256];
	size_t			 n;
	int			 rows;

	rules = fsm_rules(&n);
	r = &rules[_i];
	snprintf(name, sizeof(name), "rule%d", _i);
	m = mig_new(name, r->from);
	arrange(m, r);
	want = r->to == PH_RESUME ? m->resume_to : (enum phase)r->to;
	rows = journal_rows(m);
	entered_calls = 0;
	ck_assert_msg(fsm_apply(st, &ops, m, r->ev, "test", why,
	    sizeof(why)) == FSM_OK, "rule %d %s -%s->: %s", _i,
	    phase_name(r->from), mev_name(r->ev), why);
	ck_assert_str_eq(phase_name(m->phase), phase_name(want));
	ck_assert_int_eq(journal_rows(m), rows + 1);
	ck_assert_int_eq(entered_calls, 1);
	ck_assert_int_eq(entered_from, r->from);
	ck_assert_int_eq(entered_ev, r->ev);
	migration_free(m);
}
END_TEST

START_TEST(every_guard_blocks)
{
	const struct rule	*rules, *r;
	struct migration	*m;
	char			 name[32], why[256];
	size_t			 n, i;
	int			 rows, other;

	rules = fsm_rules(&n);
	r = &rules[_i];
	if (r->guard == NULL)
		return;
	/* A sibling rule for the same pair may still hold: skip those. */
	other = 0;
	for (i = 0; i < n; i++)
		if (&rules[i] != r && rules[i].from == r->from &&
		    rules[i].ev == r->ev)
			other = 1;
	snprintf(name, sizeof(name), "guard%d", _i);
	m = mig_new(name, r->from);
	arrange(m, r);
	spoil(m, r);
	if (other && strncmp(r->guard_name, "gates_held", 10) != 0) {
		migration_free(m);
		return;
	}
	rows = journal_rows(m);
	entered_calls = 0;
	ck_assert_int_eq(fsm_apply(st, &ops, m, r->ev, NULL, why,
	    sizeof(why)), FSM_GUARD);
	ck_assert_int_eq(m->phase, r->from);
	ck_assert_int_eq(journal_rows(m), rows);
	ck_assert_int_eq(entered_calls, 0);
	ck_assert(strlen(why) > 0);
	migration_free(m);
}
END_TEST

START_TEST(unlisted_pairs_refused)
{
	struct migration	*m;
	char			 why[256];
	int			 ph, ev, refused = 0;

	m = mig_new("unlisted", PH_PLANNED);
	for (ph = 0; ph < PH__COUNT; ph++)
		for (ev = 0; ev < MEV__COUNT; ev++) {
			if (fsm_listed(ph, ev))
				continue;
			m->phase = ph;
			entered_calls = 0;
			ck_assert_int_eq(fsm_apply(st, &ops, m, ev, NULL, why,
			    sizeof(why)), FSM_NO_RULE);
			ck_assert_int_eq(m->phase, ph);
			ck_assert_int_eq(entered_calls, 0);
			ck_assert_ptr_nonnull(strstr(why, "not possible"));
			refused++;
		}
	/* The table is sparse: most pairs are refused. */
	ck_assert_int_gt(refused, PH__COUNT * MEV__COUNT / 2);
	ck_assert_int_eq(journal_rows(m), 0);
	migration_free(m);
}
END_TEST

START_TEST(final_phases_accept_nothing)
{
	ck_assert_uint_eq(fsm_accepted(PH_DONE), 0);
	ck_assert_uint_eq(fsm_accepted(PH_ROLLED_BACK), 0);
}
END_TEST

START_TEST(steps_walk_to_cutover)
{
	struct migration	*m;
	char			 why[256];
	int			 k;

	m = mig_new("walk", PH_SHADOW);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_SHADOW_READY, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->step, 0);
	for (k = 1; k < 6; k++) {
		ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_BAKED, NULL, why,
		    sizeof(why)), FSM_OK);
		ck_assert_int_eq(m->phase, PH_SHIFTING);
		ck_assert_int_eq(m->step, k);
	}
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_PROMOTE, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->phase, PH_READY);
	/* Ready waits for the window (the daemon observes it). */
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_CLEARED, NULL, why,
	    sizeof(why)), FSM_GUARD);
	ck_assert_ptr_nonnull(strstr(why, "window is closed"));
	m->obs.window_open = 1;
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_CLEARED, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->phase, PH_CUTOVER);
	migration_free(m);
}
END_TEST

/*
 * cutover.approval = required: ready waits for approve, which is
 * journaled, used up by the cutover, and asked again for decommission;
 * an approved cutover that pauses can still be rolled back.
 */
START_TEST(cutover_approval)
{
	struct migration	*m;
	char			 why[256];
	int			 rows;

	m = mig_new("approve", PH_READY);
	m->step = m->plan->traffic.nsteps - 1;
	m->plan->cutover.approval = APPROVAL_REQUIRED;
	m->obs.window_open = 1;
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_CLEARED, NULL, why,
	    sizeof(why)), FSM_GUARD);
	ck_assert_ptr_nonnull(strstr(why, "migratectl approve"));
	rows = journal_rows(m);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_APPROVE, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->phase, PH_READY);
	ck_assert_int_eq(m->approved, 1);
	ck_assert_int_eq(journal_rows(m), rows + 1);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_APPROVE, NULL, why,
	    sizeof(why)), FSM_GUARD);
	ck_assert_ptr_nonnull(strstr(why, "already approved"));
	/* Paused while approved: abort is still possible. */
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_PAUSE, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->resume_to, PH_READY);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_RESUME, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->phase, PH_READY);
	ck_assert_int_eq(m->approved, 1);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_CLEARED, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->phase, PH_CUTOVER);
	ck_assert_int_eq(m->approved, 0);
	migration_free(m);

	/* cutover.verify_before: the comparison must have passed, and none
	 * may run (its pause of the target's replication would meet the
	 * freeze). */
	m = mig_new("verify-before", PH_READY);
	m->plan->cutover.verify_before = 1;
	m->obs.window_open = 1;
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_CLEARED, NULL, why,
	    sizeof(why)), FSM_GUARD);
	ck_assert_ptr_nonnull(strstr(why, "data comparison"));
	m->obs.verified = 1;
	m->obs.verifying = 1;
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_CLEARED, NULL, why,
	    sizeof(why)), FSM_GUARD);
	ck_assert_ptr_nonnull(strstr(why, "verify) is running"));
	m->obs.verifying = 0;
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_CLEARED, NULL, why,
	    sizeof(why)), FSM_OK);
	migration_free(m);

	m = mig_new("approve-abort", PH_READY);
	m->plan->cutover.approval = APPROVAL_REQUIRED;
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_APPROVE, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_PAUSE, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_ABORT, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->phase, PH_ROLLING_BACK);
	migration_free(m);

	/* A breach while ready: the step bakes again on resume. */
	m = mig_new("ready-breach", PH_READY);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_BREACH, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->resume_to, PH_SHIFTING);
	migration_free(m);
}
END_TEST

START_TEST(pause_resume_returns)
{
	struct migration	*m;
	char			 why[256];

	m = mig_new("pr", PH_SHIFTING);
	m->step = 3;
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_BREACH, "5xx 3%", why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->phase, PH_PAUSED);
	ck_assert_int_eq(m->resume_to, PH_SHIFTING);
	ck_assert_str_eq(m->reason, "5xx 3%");
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_RESUME, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->phase, PH_SHIFTING);
	ck_assert_int_eq(m->step, 3);
	ck_assert_ptr_null(m->reason);
	ck_assert_int_eq(m->resume_to, PH_NONE);
	migration_free(m);
}
END_TEST

START_TEST(abort_from_failed_keeps_phase)
{
	struct migration	*m;
	char			 why[256];

	m = mig_new("af", PH_SEEDING);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_FAIL, "dump died", why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->resume_to, PH_SEEDING);
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_ABORT, NULL, why,
	    sizeof(why)), FSM_OK);
	ck_assert_int_eq(m->phase, PH_ROLLING_BACK);
	ck_assert_int_eq(m->resume_to, PH_SEEDING);
	migration_free(m);
}
END_TEST

START_TEST(store_refusal_changes_nothing)
{
	struct migration	*m;
	char			 why[256];

	m = mig_new("gone", PH_SHIFTING);
	m->step = 2;
	migration_set_reason(m, "kept");
	ck_assert_int_eq(store_mig_delete(st, m->id), 0);
	entered_calls = 0;
	ck_assert_int_eq(fsm_apply(st, &ops, m, MEV_BREACH, "x", why,
	    sizeof(why)), FSM_STORE);
	ck_assert_int_eq(m->phase, PH_SHIFTING);
	ck_assert_int_eq(m->step, 2);
	ck_assert_str_eq(m->reason, "kept");
	ck_assert_int_eq(m->resume_to, PH_SHIFTING);
	ck_assert_int_eq(entered_calls, 0);
	migration_free(m);
}
END_TEST

START_TEST(names_round_trip)
{
	int	i;

	for (i = 0; i < PH__COUNT; i++)
		ck_assert_int_eq(phase_from_name(phase_name(i)), i);
	for (i = 0; i < MEV__COUNT; i++)
		ck_assert_int_eq(mev_from_name(mev_name(i)), i);
	ck_assert_int_eq(phase_from_name("nonsense"), PH_NONE);
	ck_assert_int_eq(mev_from_name("nonsense"), -1);
}
END_TEST

static Suite *
fsm_suite(void)
{
	Suite	*s = suite_create("fsm");
	TCase	*tc = tcase_create("table");
	size_t	 n;

	fsm_rules(&n);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, every_rule_fires, 0, (int)n);
	tcase_add_loop_test(tc, every_guard_blocks, 0, (int)n);
	tcase_add_test(tc, unlisted_pairs_refused);
	tcase_add_test(tc, final_phases_accept_nothing);
	tcase_add_test(tc, steps_walk_to_cutover);
	tcase_add_test(tc, cutover_approval);
	tcase_add_test(tc, pause_resume_returns);
	tcase_add_test(tc, abort_from_failed_keeps_phase);
	tcase_add_test(tc, store_refusal_changes_nothing);
	tcase_add_test(tc, names_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(fsm_suite());
	int	 failed;

	log_init(getenv("CHECK_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
