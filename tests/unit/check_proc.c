/*
 * check_proc: child processes on a real event loop: exit status, output
 * tail, timeouts that kill the whole process group, and a grandchild that
 * keeps the output pipe open.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "proc.h"
#include "suite.h"

struct result {
	int	 done;
	int	 status;
	int	 timed_out;
	char	 out[PROC_OUTPUT_MAX + 1];
};

static struct event_base	*base;
static struct event		*ev_chld;

static void
chld_cb(evutil_socket_t sig, short what, void *arg)
{
	proc_reap();
}

static void
done_cb(void *arg, int status, int timed_out, const char *output)
{
	struct result	*r = arg;

	r->done = 1;
	r->status = status;
	r->timed_out = timed_out;
	snprintf(r->out, sizeof(r->out), "%s", output);
	event_base_loopbreak(base);
}

static void
setup(void)
{
	base = event_base_new();
	ev_chld = evsignal_new(base, SIGCHLD, chld_cb, NULL);
	event_add(ev_chld, NULL);
}

static void
teardown(void)
{
	event_free(ev_chld);
	event_base_free(base);
}

static double
run(const char *cmd, int64_t timeout_ms, struct result *r)
{
	char		*env[] = { "PATH=/usr/bin:/bin", NULL };
	struct timespec	 t0, t1;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_ptr_nonnull(proc_spawn(base, cmd, env, timeout_ms, done_cb,
	    r));
	while (!r->done)
		event_base_dispatch(base);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(proc_running(), 0);
	return (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
}

START_TEST(exit_status_and_output)
{
	struct result	r;

	run("echo out; echo err >&2; exit 3", 5000, &r);
	ck_assert_int_eq(r.status, 3);
	ck_assert_int_eq(r.timed_out, 0);
	ck_assert_str_eq(r.out, "out\nerr\n");
}
END_TEST

START_TEST(environment_is_given)
{
	struct result	r;

	run("echo \"$PATH\"", 5000, &r);
	ck_assert_str_eq(r.out, "/usr/bin:/bin\n");
}
END_TEST

START_TEST(output_tail_is_kept)
{
	struct result	r;
	size_t		len;

	/* 30,000 lines "n\n": the end must survive, the start must not. */
	run("seq 1 30000", 5000, &r);
	ck_assert_int_eq(r.status, 0);
	len = strlen(r.out);
	ck_assert_uint_eq(len, PROC_OUTPUT_MAX - 1);
	ck_assert_str_eq(r.out + len - 12, "29999\n30000\n");
	ck_assert_ptr_null(strstr(r.out, "\n1\n2\n3\n"));
}
END_TEST

START_TEST(timeout_kills_the_group)
{
	struct result	r;
	double		secs;

	secs = run("sleep 20 & sleep 20", 300, &r);
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert_int_eq(r.status, 128 + SIGTERM);
	ck_assert(secs < 5);
	/* The background sleep of the same group is gone too. */
	ck_assert_int_ne(system("pgrep -f 'slee[p] 20' >/dev/null"), 0);
}
END_TEST

START_TEST(term_ignored_then_killed)
{
	struct result	r;
	double		secs;

	secs = run("trap '' TERM; sleep 20", 200, &r);
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert(r.status == 128 + SIGKILL || r.status == 128 + SIGTERM);
	ck_assert(secs < 8);
}
END_TEST

START_TEST(grandchild_holding_the_pipe)
{
	struct result	r;
	double		secs;

	/* The shell exits at once; its child keeps stdout open. */
	secs = run("setsid sleep 20 & echo bye", 30000, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(r.timed_out, 0);
	ck_assert_str_eq(r.out, "bye\n");
	ck_assert(secs < 5);
	system("pkill -f 'slee[p] 20'");
}
END_TEST

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	proc_stop(arg);
}

/* proc_stop at 200 ms of cmd; the result and the seconds it took. */
static double
run_stopped(const char *cmd, struct result *r)
{
	char		*env[] = { "PATH=/usr/bin:/bin", NULL };
	struct timeval	 tv = { 0, 200 * 1000 };
	struct timespec	 t0, t1;
	struct proc	*p;
	struct event	*ev;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = proc_spawn(base, cmd, env, 60000, done_cb, r);
	ck_assert_ptr_nonnull(p);
	ev = evtimer_new(base, stop_cb, p);
	evtimer_add(ev, &tv);
	while (!r->done)
		event_base_dispatch(base);
	event_free(ev);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* The load hook's stop: SIGTERM, and what ignores it gets SIGKILL. */
START_TEST(stop_term_then_kill)
{
	struct result	r;
	double		secs;

	run_stopped("trap 'echo term; exit 3' TERM; sleep 20 & wait", &r);
	ck_assert_int_eq(r.status, 3);
	ck_assert_int_eq(r.timed_out, 0);
	ck_assert_str_eq(r.out, "term\n");
	secs = run_stopped("trap '' TERM; sleep 20", &r);
	ck_assert_int_eq(r.status, 128 + SIGKILL);
	ck_assert_int_eq(r.timed_out, 0);
	/* Not before the grace. */
	ck_assert(secs >= PROC_KILL_GRACE);
	ck_assert_int_ne(system("pgrep -f 'slee[p] 20' >/dev/null"), 0);
}
END_TEST

START_TEST(missing_command)
{
	struct result	r;

	run("/nonexistent/command", 5000, &r);
	ck_assert_int_eq(r.status, 127);
}
END_TEST

int
main(void)
{
	const TTest		*children[] = {
		exit_status_and_output, environment_is_given,
		output_tail_is_kept, timeout_kills_the_group,
		term_ignored_then_killed, grandchild_holding_the_pipe,
		missing_command, stop_term_then_kill, NULL
	};
	const struct suite_case	 cases[] = {
		{ "children", NULL, NULL, setup, teardown, 30, children },
	};

	return suite_run(suite_of("proc", cases, 1));
}
