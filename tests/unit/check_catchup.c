/*
 * check_catchup: the replica's pace (daemon/catchup.c): the rates between
 * the readings kept, the backlog and the ETA, "not catching up" when the
 * target applies no faster than the source writes, the lag's progress
 * with its noise, and binary log offsets across files.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "catchup.h"
#include "suite.h"

static struct catchup		c;
static struct catchup_view	v;

static void
setup(void)
{
	catchup_init(&c);
}

static void
teardown(void)
{
}

/* One reading a second: the source writes src_bps, the target applies
 * apply_bps, from a backlog of back bytes; commits at 300 a second. */
static void
feed(int secs, uint64_t src_bps, uint64_t apply_bps, uint64_t back)
{
	int	i;

	for (i = 0; i <= secs; i++)
		catchup_sample(&c, 1000000 + i * 1000, back + src_bps * i,
		    apply_bps * i, 300 * i);
}

START_TEST(rates_and_eta)
{
	/* 1 MB/s written, 3 MB/s applied, 10 MB behind at the start. */
	feed(10, 1000000, 3000000, 10000000);
	catchup_view(&c, 1010000, &v);
	ck_assert_double_eq_tol(v.src_bps, 1000000, 1);
	ck_assert_double_eq_tol(v.apply_bps, 3000000, 1);
	ck_assert_double_eq_tol(v.commits_s, 300, 0.01);
	/* 10 MB + 10 s * 1 MB/s - 30 MB: caught up already. */
	ck_assert_int_eq(v.backlog, 0);
	ck_assert_int_eq(v.eta_ms, 0);
	ck_assert_int_eq(v.catching_up, 1);

	/* 100 MB behind: 100 + 10 - 30 = 80 MB at 2 MB/s net: 40 s. */
	catchup_init(&c);
	feed(10, 1000000, 3000000, 100000000);
	catchup_view(&c, 1010000, &v);
	ck_assert_int_eq(v.backlog, 80000000);
	ck_assert_int_eq(v.catching_up, 1);
	ck_assert_int_eq(v.eta_ms, 40000);
}
END_TEST

START_TEST(not_catching_up)
{
	/* The target applies 0.8 of what the source writes. */
	feed(20, 1000000, 800000, 5000000);
	catchup_view(&c, 1020000, &v);
	ck_assert_int_eq(v.catching_up, 0);
	ck_assert_int_eq(v.eta_ms, -1);
	ck_assert_int_eq(v.backlog, 5000000 + 20 * 200000);
}
END_TEST

START_TEST(too_few_readings)
{
	/* Nothing yet: every figure unknown. */
	catchup_view(&c, 1000000, &v);
	ck_assert(v.src_bps < 0 && v.apply_bps < 0 && v.commits_s < 0);
	ck_assert_int_eq(v.backlog, -1);
	ck_assert_int_eq(v.catching_up, -1);
	/* One second apart is not enough for a rate; the backlog is. */
	feed(1, 1000000, 500000, 1000);
	catchup_view(&c, 1001000, &v);
	ck_assert(v.src_bps < 0);
	ck_assert_int_eq(v.backlog, 1000 + 500000);
	ck_assert_int_eq(v.catching_up, -1);
	/* Unknown commits stay unknown; a counter that went back too. */
	catchup_init(&c);
	catchup_sample(&c, 0, 0, 0, -1);
	catchup_sample(&c, 5000, 10, 10, 50);
	catchup_view(&c, 5000, &v);
	ck_assert(v.commits_s < 0);
	ck_assert_double_eq_tol(v.src_bps, 2, 0.001);
	catchup_reset_rates(&c);
	catchup_view(&c, 5000, &v);
	ck_assert(v.src_bps < 0);
}
END_TEST

START_TEST(window_slides)
{
	int	i;

	/* A slow first minute, then the target speeds up: the rates are
	 * the last CATCHUP_SAMPLES readings', not the whole history's. */
	for (i = 0; i < 60; i++)
		catchup_sample(&c, i * 1000, 1000000ULL * i, 500000ULL * i, -1);
	for (i = 60; i < 120; i++)
		catchup_sample(&c, i * 1000, 1000000ULL * i,
		    30000000ULL + 2000000ULL * (i - 60), -1);
	catchup_view(&c, 119000, &v);
	ck_assert_double_eq_tol(v.apply_bps, 2000000, 1);
	ck_assert_int_eq(v.catching_up, 1);
	/* 119 MB written, 148 MB would be applied: caught up. */
	ck_assert_int_eq(v.eta_ms, 0);
}
END_TEST

START_TEST(lag_progress)
{
	int64_t	t = 1000000;

	/* In sync: progress. */
	ck_assert_int_eq(catchup_lag(&c, t, 100, 1000), 0);
	/* Falls behind and grows: no progress since the last in sync. */
	ck_assert_int_eq(catchup_lag(&c, t + 1000, 5000, 1000), 1000);
	ck_assert_int_eq(catchup_lag(&c, t + 2000, 6000, 1000), 2000);
	ck_assert_int_eq(catchup_lag(&c, t + 61000, 60000, 1000), 61000);
	catchup_view(&c, t + 61500, &v);
	ck_assert_int_eq(v.stalled_ms, 61500);
	/* Under the first reading out of sync (5 s) by less than the
	 * noise (1 s): still none. */
	ck_assert_int_eq(catchup_lag(&c, t + 62000, 4500, 1000), 62000);
	/* A new low by more than the noise: progress. */
	ck_assert_int_eq(catchup_lag(&c, t + 63000, 3000, 1000), 0);
	catchup_view(&c, t + 63500, &v);
	ck_assert_int_eq(v.stalled_ms, 0);
	/* A slow steady fall adds up: 2.5, 2.0, 1.9 s... from 3 s. */
	ck_assert_int_eq(catchup_lag(&c, t + 64000, 2500, 1000), 1000);
	ck_assert_int_eq(catchup_lag(&c, t + 65000, 2100, 1000), 2000);
	ck_assert_int_eq(catchup_lag(&c, t + 66000, 1900, 1000), 0);
	/* Far behind, the noise is a twentieth: 10 min, then 9m45s is
	 * within it (30 s), 9m15s is not. */
	catchup_init(&c);
	ck_assert_int_eq(catchup_lag(&c, t, 600000, 1000), 0);
	ck_assert_int_eq(catchup_lag(&c, t + 10000, 585000, 1000), 10000);
	ck_assert_int_eq(catchup_lag(&c, t + 20000, 555000, 1000), 0);
	/* Growing again, then in sync: that resets whatever the low was. */
	ck_assert_int_eq(catchup_lag(&c, t + 30000, 900000, 1000), 10000);
	ck_assert_int_eq(catchup_lag(&c, t + 40000, 800, 1000), 0);
}
END_TEST

START_TEST(in_sync_is_caught_up)
{
	/* The readings of the two servers are not simultaneous: a backlog
	 * of a few bytes while the heartbeat says in sync is caught up. */
	feed(5, 1000000, 1000000, 4000);
	catchup_lag(&c, 1005000, 120, 1000);
	catchup_view(&c, 1005000, &v);
	ck_assert_int_eq(v.catching_up, 1);
	ck_assert_int_eq(v.eta_ms, 0);
	ck_assert_int_eq(v.backlog, 4000);
}
END_TEST

START_TEST(offsets_across_files)
{
	const char	*names[] = { "bin.000007", "bin.000008", "bin.000009" };
	const uint64_t	 sizes[] = { 1000, 2000, 300 };
	uint64_t	 off;

	ck_assert_int_eq(catchup_offset(names, sizes, 3, "bin.000007", 4,
	    &off), 0);
	ck_assert_uint_eq(off, 4);
	ck_assert_int_eq(catchup_offset(names, sizes, 3, "bin.000009", 250,
	    &off), 0);
	ck_assert_uint_eq(off, 3250);
	ck_assert_int_eq(catchup_offset(names, sizes, 3, "bin.000006", 4,
	    &off), -1);
	ck_assert_int_eq(catchup_offset(names, sizes, 0, "bin.000007", 4,
	    &off), -1);
}
END_TEST

START_TEST(advice_names_the_settings)
{
	char	buf[640];

	/* MariaDB on RDS, one thread: the parameter group's names. */
	catchup_advice(buf, sizeof(buf), 1, 1, "slave_parallel_threads", "0",
	    "slave_parallel_mode", "optimistic");
	ck_assert_ptr_nonnull(strstr(buf, "(slave_parallel_threads = 0, "
	    "slave_parallel_mode = optimistic)"));
	ck_assert_ptr_nonnull(strstr(buf, "set slave_parallel_threads = 4"));
	ck_assert_ptr_nonnull(strstr(buf, "DB parameter group"));
	/* MySQL self-managed: its own names, SET GLOBAL. */
	catchup_advice(buf, sizeof(buf), 0, 0, "replica_parallel_workers",
	    "1", "replica_parallel_type", "DATABASE");
	ck_assert_ptr_nonnull(strstr(buf, "replica_parallel_workers = 4"));
	ck_assert_ptr_nonnull(strstr(buf, "replica_parallel_type = "
	    "LOGICAL_CLOCK"));
	ck_assert_ptr_nonnull(strstr(buf, "SET GLOBAL"));
	/* Parallel already, conservative: optimistic, or a larger class. */
	catchup_advice(buf, sizeof(buf), 1, 1, "slave_parallel_threads", "8",
	    "slave_parallel_mode", "conservative");
	ck_assert_ptr_nonnull(strstr(buf, "on 8 threads already"));
	ck_assert_ptr_nonnull(strstr(buf, "slave_parallel_mode = optimistic"));
	ck_assert_ptr_nonnull(strstr(buf, "larger instance class"));
	/* Not read: said so, not guessed. */
	catchup_advice(buf, sizeof(buf), 1, 0, "slave_parallel_threads", NULL,
	    "slave_parallel_mode", NULL);
	ck_assert_ptr_nonnull(strstr(buf, "slave_parallel_threads = ?"));
	ck_assert_str_eq(catchup_bytes(1234567, buf, sizeof(buf)), "1.2 MB");
	ck_assert_str_eq(catchup_bytes(-1, buf, sizeof(buf)), "?");
}
END_TEST

int
main(void)
{
	const TTest		*pace[] = {
		rates_and_eta, not_catching_up, too_few_readings,
		window_slides, lag_progress, in_sync_is_caught_up,
		offsets_across_files, advice_names_the_settings, NULL
	};
	const struct suite_case	 cases[] = {
		{ "pace", NULL, NULL, setup, teardown, 0, pace },
	};

	return suite_run(suite_of("catchup", cases, 1));
}
