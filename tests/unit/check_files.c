/*
 * check_files: the [files] sync on a real event loop, a real SQLite store
 * and real /bin/sh children. The final sync and verify: matching counts
 * pass and are recorded; different counts, a last line that is not two
 * counts, a non-zero exit each fail with why. A periodic sync that fails
 * or times out calls halt with the command's output; the schedule is
 * read back from the store (the next run an interval after the last).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"
#include "facts.h"
#include "files.h"
#include "log.h"
#include "migration.h"
#include "now.h"
#include "plan.h"
#include "proc.h"
#include "store.h"
#include "suite.h"

static char		 dir[] = "/tmp/check_files.XXXXXX";
static struct daemon	 d;
static struct migration	*m;
static struct event	*ev_chld;

/* What a callback said. */
static int	 called, verdict;
static char	 said[2048];

static void
chld_cb(evutil_socket_t sig, short what, void *arg)
{
	proc_reap();
}

static void
final_cb(void *arg, int ok, const char *why)
{
	called++;
	verdict = ok;
	snprintf(said, sizeof(said), "%s", why != NULL ? why : "");
	event_base_loopbreak(d.base);
}

static void
halt_cb(void *arg, const char *why)
{
	called++;
	snprintf(said, sizeof(said), "%s", why);
	event_base_loopbreak(d.base);
}

static void
setup(void)
{
	char	path[128], err[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&d, 0, sizeof(d));
	ck_assert_ptr_nonnull(d.base = event_base_new());
	ev_chld = evsignal_new(d.base, SIGCHLD, chld_cb, NULL);
	event_add(ev_chld, NULL);
	snprintf(path, sizeof(path), "%s/state.db", dir);
	d.store = store_open(path, err, sizeof(err));
	ck_assert_msg(d.store != NULL, "%s", err);
	m = migration_new("shop");
	ck_assert_ptr_nonnull(m->plan = calloc(1, sizeof(*m->plan)));
	m->plan->files.interval = 3600 * 1000;
	m->plan->files.timeout = 10 * 1000;
	m->plan_text = strdup("# test\n");
	ck_assert_int_eq(store_mig_insert(d.store, m), 0);
	m->phase = PH_DECOMMISSION;
	ck_assert_int_eq(store_mig_update(d.store, m), 0);
	called = verdict = 0;
	said[0] = '\0';
}

static void
teardown(void)
{
	char	cmd[160];

	plan_free(m->plan);
	m->plan = NULL;
	migration_free(m);
	store_close(d.store);
	event_free(ev_chld);
	event_base_free(d.base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* The plan's commands (the plan owns them). */
static void
commands(const char *sync, const char *verify)
{
	m->plan->files.sync = strdup(sync);
	m->plan->files.verify = verify != NULL ? strdup(verify) : NULL;
}

/* A schedule that runs nothing soon: the last sync passed just now. */
static void
synced_just_now(void)
{
	store_fact_setf(d.store, m->id, FILES_FACT_LAST, "%lld",
	    (long long)now_ms());
	store_fact_set(d.store, m->id, FILES_FACT_OK, "1");
}

static void
run_until_called(void)
{
	while (called == 0)
		event_base_dispatch(d.base);
}

static const struct {
	const char	*verify;
	int		 ok;
	const char	*why;	/* in what final_cb was told */
} verifies[] = {
	{ "echo counting; echo '  3 3 '", 1, "" },
	{ "echo 3 2", 0, "verify counts 3 files at the source and 2 at the "
	    "copy" },
	{ "echo all good", 0, "verify's last line is not two counts "
	    "(\"SOURCE TARGET\"): 'all good'" },
	{ "echo 3 3 files", 0, "not two counts" },
	{ "echo -1 -1", 0, "not two counts" },
	{ "echo 3 3; echo disk full >&2; exit 1", 0, "(exit 1): 3 3 disk "
	    "full" },
};

START_TEST(final_and_verify)
{
	struct files	*f;
	int64_t		 passed;
	size_t		 i;

	commands("echo copied", "true");
	for (i = 0; i < sizeof(verifies) / sizeof(verifies[0]); i++) {
		free(m->plan->files.verify);
		m->plan->files.verify = strdup(verifies[i].verify);
		store_fact_set(d.store, m->id, FILES_FACT_FINAL, NULL);
		called = verdict = 0;
		said[0] = '\0';
		synced_just_now();
		f = files_new(&d, m, halt_cb, NULL);
		ck_assert_int_eq(files_final(f, final_cb, NULL), 0);
		run_until_called();
		ck_assert_int_eq(called, 1);
		ck_assert_msg(verdict == verifies[i].ok, "%s: %s",
		    verifies[i].verify, said);
		ck_assert_msg(strstr(said, verifies[i].why) != NULL, "%s: '%s'",
		    verifies[i].verify, said);
		passed = store_fact_i64(d.store, m->id, FILES_FACT_FINAL);
		ck_assert(verifies[i].ok ? passed > 0 : passed == 0);
		files_free(f);
	}
}
END_TEST

START_TEST(final_without_verify)
{
	struct files	*f;
	json_t		*j;

	commands("echo copied 12 files", NULL);
	synced_just_now();
	f = files_new(&d, m, halt_cb, NULL);
	ck_assert_int_eq(files_final(f, final_cb, NULL), 0);
	run_until_called();
	ck_assert_int_eq(verdict, 1);
	j = files_json(&d, m, f);
	ck_assert(json_is_integer(json_object_get(j, "final_passed_at")));
	ck_assert(json_is_true(json_object_get(j, "last_ok")));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j,
	    "last")), "files: final sync ok in "));
	ck_assert(json_is_null(json_object_get(j, "next_at")));
	json_decref(j);
	files_free(f);
}
END_TEST

START_TEST(failing_sync_halts)
{
	struct files	*f;

	commands("echo copying; echo 'rsync: connection refused' >&2; exit 23",
	    NULL);
	/* Nothing ran yet: the first sync is due at once. */
	f = files_new(&d, m, halt_cb, NULL);
	run_until_called();
	ck_assert_int_eq(called, 1);
	ck_assert_msg(strstr(said, "files: sync failed in ") == said &&
	    strstr(said, " s (exit 23): copying rsync: connection refused") !=
	    NULL, "%s", said);
	ck_assert_int_eq(store_fact_i64(d.store, m->id, FILES_FACT_OK), 0);
	files_free(f);
}
END_TEST

START_TEST(timed_out_sync_halts)
{
	struct files	*f;

	commands("echo started; exec sleep 30", NULL);
	m->plan->files.timeout = 200;
	f = files_new(&d, m, halt_cb, NULL);
	run_until_called();
	ck_assert_msg(strstr(said, "(timed out after files.timeout, killed): "
	    "started") != NULL, "%s", said);
	files_free(f);
}
END_TEST

START_TEST(schedule_from_the_store)
{
	struct files	*f;
	json_t		*j;
	int64_t		 last = now_ms() - 1000;

	commands("echo copied", NULL);
	store_fact_setf(d.store, m->id, FILES_FACT_LAST, "%lld",
	    (long long)last);
	store_fact_set(d.store, m->id, FILES_FACT_OK, "1");
	f = files_new(&d, m, halt_cb, NULL);
	j = files_json(&d, m, f);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "next_at")),
	    last + 3600 * 1000);
	ck_assert(json_is_null(json_object_get(j, "running")));
	json_decref(j);
	files_free(f);

	/* The last one failed: due at once, after a restart too. */
	store_fact_set(d.store, m->id, FILES_FACT_OK, "0");
	f = files_new(&d, m, halt_cb, NULL);
	j = files_json(&d, m, f);
	ck_assert_int_le(json_integer_value(json_object_get(j, "next_at")),
	    now_ms());
	json_decref(j);
	files_free(f);

	/* Without [files]: nothing in status. */
	free(m->plan->files.sync);
	m->plan->files.sync = NULL;
	ck_assert_ptr_null(files_json(&d, m, NULL));
}
END_TEST

int
main(void)
{
	const TTest		*files[] = {
		final_and_verify, final_without_verify, failing_sync_halts,
		timed_out_sync_halts, schedule_from_the_store, NULL
	};
	const struct suite_case	 cases[] = {
		{ "files", NULL, NULL, setup, teardown, 0, files },
	};

	log_init(LOG_LVL_INFO);
	return suite_run(suite_of("files", cases, 1));
}
