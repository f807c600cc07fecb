/*
 * check_job: the one way a phase driver ends, and the driver table. A job
 * on a real SQLite store ends a driver's work in one order: the detail is
 * copied, the state is forgotten and released, then the event fires and
 * is journaled; a refused event is logged and changes nothing, and the
 * state is released all the same. The table has one driver for every
 * phase with work to do, and none for the phases that wait.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "driver.h"
#include "fsm.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"
#include "suite.h"

static char		 dir[] = "/tmp/check_job.XXXXXX";
static struct daemon	 d;
static struct migration	*m;

/* What the state saw, and what the FSM told the daemon, in order. */
struct state {
	struct job	*job;
	char		 why[64];
	int		 released;
	int		 owned_at_release;
};
static int	 order;
static int	 released_at, entered_at;
static char	 entered_detail[128];

static void
entered(void *arg, struct migration *mig, enum phase from, enum mev ev,
    const char *detail)
{
	entered_at = ++order;
	snprintf(entered_detail, sizeof(entered_detail), "%s",
	    detail != NULL ? detail : "");
}

static void
release(void *arg)
{
	struct state	*s = arg;

	released_at = ++order;
	s->released++;
	s->owned_at_release = job_owns(s->job, s);
	/* The detail lived here: it must have been copied already. */
	memset(s->why, 'X', sizeof(s->why) - 1);
}

/* The driver whose state the tests own. */
static const struct phase_driver test_driver = {
	.phase = PH_SHADOW,
	.cancel = release,
};

static struct job *
test_job(void)
{
	struct job	*j = job_new(&d, m);

	j->driver = &test_driver;
	return j;
}

static void
setup(void)
{
	char	path[128], err[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&d, 0, sizeof(d));
	ck_assert_ptr_nonnull(d.base = event_base_new());
	snprintf(path, sizeof(path), "%s/state.db", dir);
	d.store = store_open(path, err, sizeof(err));
	ck_assert_msg(d.store != NULL, "%s", err);
	d.ops.arg = &d;
	d.ops.entered = entered;
	m = migration_new("shop");
	ck_assert_ptr_nonnull(m->plan = calloc(1, sizeof(*m->plan)));
	m->plan->gates.min_healthy = 2;
	m->plan_text = strdup("# test\n");
	m->obs.ecs_healthy = 2;
	ck_assert_int_eq(store_mig_insert(d.store, m), 0);
	m->phase = PH_SHADOW;
	ck_assert_int_eq(store_mig_update(d.store, m), 0);
	order = released_at = entered_at = 0;
	entered_detail[0] = '\0';
}

static void
teardown(void)
{
	char	cmd[160];

	plan_free(m->plan);
	m->plan = NULL;
	migration_free(m);
	store_close(d.store);
	event_base_free(d.base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

START_TEST(end_releases_then_fires)
{
	struct job	*j = test_job();
	struct state	 s = { .job = j };

	snprintf(s.why, sizeof(s.why), "ECS target group healthy");
	job_own(j, &s);
	ck_assert(job_owns(j, &s));
	job_end(j, &s, release, MEV_SHADOW_READY, s.why);
	ck_assert_int_eq(s.released, 1);
	ck_assert_int_eq(s.owned_at_release, 0);
	ck_assert_int_eq(released_at, 1);
	ck_assert_int_eq(entered_at, 2);
	ck_assert_str_eq(entered_detail, "ECS target group healthy");
	ck_assert_int_eq(m->phase, PH_SHIFTING);
	ck_assert(!job_owns(j, &s));
	/* Nothing of the state is left for the next phase to cancel. */
	job_cancel(j);
	ck_assert_int_eq(s.released, 1);
	job_free(j);
}
END_TEST

START_TEST(refused_event_is_logged_and_releases)
{
	struct job	*j = test_job();
	struct state	 s = { .job = j };
	char		 log[256], line[512];
	FILE		*f;
	int		 saved, found = 0;

	snprintf(log, sizeof(log), "%s/log", dir);
	fflush(stderr);
	saved = dup(2);
	ck_assert_ptr_nonnull(freopen(log, "w", stderr));
	job_own(j, &s);
	job_end(j, &s, release, MEV_SEEDED, "not now");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(s.released, 1);
	ck_assert_int_eq(entered_at, 0);
	ck_assert_int_eq(m->phase, PH_SHADOW);
	ck_assert_ptr_nonnull(f = fopen(log, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "shop: seeded refused: ") != NULL)
			found = 1;
	fclose(f);
	ck_assert_msg(found, "the refusal was not logged");
	job_free(j);
}
END_TEST

START_TEST(cancel_and_forget)
{
	struct job	*j = test_job();
	struct state	 a = { .job = j }, b = { .job = j };

	/* A new state cancels the one before it, with the driver's cancel. */
	job_own(j, &a);
	job_own(j, &b);
	ck_assert_int_eq(a.released, 1);
	ck_assert(job_owns(j, &b));
	/* A step that is over is forgotten, not released. */
	job_forget(j, &b);
	ck_assert(!job_owns(j, &b));
	job_cancel(j);
	ck_assert_int_eq(b.released, 0);
	/* The phase changes: a step's state is cancelled once. */
	j->driver = NULL;
	job_own_step(j, &b, release);
	job_cancel(j);
	job_cancel(j);
	ck_assert_int_eq(b.released, 1);
	/* Ending with nothing owned only fires. */
	job_end(j, NULL, NULL, MEV_FAIL, "no pair");
	ck_assert_int_eq(m->phase, PH_FAILED);
	ck_assert_str_eq(entered_detail, "no pair");
	job_free(j);
}
END_TEST

START_TEST(progress_is_the_jobs)
{
	struct job	*j = test_job();

	ck_assert_ptr_null(job_progress_text(j));
	job_progress(j, "step %d of %d", 2, 6);
	ck_assert_str_eq(job_progress_text(j), "step 2 of 6");
	ck_assert_ptr_null(job_progress_text(NULL));
	ck_assert_ptr_null(job_lag(NULL));
	ck_assert_ptr_null(job_traffic_peek(j));
	job_free(j);
	job_free(NULL);
}
END_TEST

/* Every phase that works has one driver; the phases that wait have none. */
START_TEST(one_driver_per_working_phase)
{
	const struct phase_driver	*drv;
	int				 seen[PH__COUNT] = { 0 };
	size_t				 i;
	int				 ph;

	for (i = 0; (drv = driver_table[i]) != NULL; i++) {
		ck_assert_int_ge(drv->phase, 0);
		ck_assert_int_lt(drv->phase, PH__COUNT);
		ck_assert_msg(seen[drv->phase]++ == 0, "two drivers for %s",
		    phase_name(drv->phase));
		ck_assert_ptr_nonnull(drv->enter);
		ck_assert_ptr_eq(driver_of(drv->phase), drv);
	}
	for (ph = 0; ph < PH__COUNT; ph++) {
		if (phase_is_running((enum phase)ph) || ph == PH_PAUSED)
			ck_assert_msg(driver_of((enum phase)ph) != NULL,
			    "no driver for %s", phase_name((enum phase)ph));
		if (phase_is_final((enum phase)ph) || ph == PH_PLANNED ||
		    ph == PH_FAILED)
			ck_assert_ptr_null(driver_of((enum phase)ph));
	}
	ck_assert_ptr_null(driver_of(PH_NONE));
}
END_TEST

int
main(void)
{
	const TTest		*job[] = {
		end_releases_then_fires, refused_event_is_logged_and_releases,
		cancel_and_forget, progress_is_the_jobs,
		one_driver_per_working_phase, NULL
	};
	const struct suite_case	 cases[] = {
		{ "job", NULL, NULL, setup, teardown, 0, job },
	};

	log_init(LOG_LVL_INFO);
	return suite_run(suite_of("job", cases, 1));
}
