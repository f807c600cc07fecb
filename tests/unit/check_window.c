/*
 * check_window: cutover.window's syntax and its arithmetic (open now?
 * until when? when next?), in UTC and across Europe/Berlin's DST changes
 * (spring forward 2026-03-29 01:00 UTC, fall back 2026-10-25 01:00 UTC).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "window.h"

/* "2026-12-07 01:00:00" UTC as a time_t. */
static time_t
utc(const char *s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	ck_assert_ptr_nonnull(strptime(s, "%Y-%m-%d %H:%M:%S", &tm));
	return timegm(&tm);
}

static void
parse_ok(const char *text, struct window *w)
{
	char	why[256] = "";

	ck_assert_msg(window_parse(text, w, why, sizeof(why)) == 0,
	    "%s: %s", text, why);
}

static void
parse_bad(const char *text, const char *want)
{
	struct window	w;
	char		why[256] = "";

	ck_assert_msg(window_parse(text, &w, why, sizeof(why)) == -1,
	    "%s parsed", text);
	ck_assert_msg(strstr(why, want) != NULL, "%s: \"%s\" lacks \"%s\"",
	    text, why, want);
}

/* window_at at now: open or not, and the time it names. */
static void
at(const struct window *w, const char *now, int open, const char *t)
{
	time_t	got = 0;
	char	buf[64];
	int	o;

	o = window_at(w, utc(now), &got);
	window_utc(got, buf, sizeof(buf));
	ck_assert_msg(o == open && got == utc(t), "at %s: %s %s, want %s %s",
	    now, o ? "open until" : "closed, opens", buf,
	    open ? "open until" : "closed, opens", t);
}

START_TEST(test_parse)
{
	struct window	w;

	parse_ok("Mon-Fri 02:00-05:00 Europe/Berlin", &w);
	ck_assert_int_eq(w.n, 1);
	ck_assert_uint_eq(w.r[0].days, 0x3e);
	ck_assert_int_eq(w.r[0].start, 7200);
	ck_assert_int_eq(w.r[0].end, 18000);
	ck_assert_str_eq(w.zone, "Europe/Berlin");

	parse_ok("Mon-Fri 02:00-05:00, Sat,Sun 00:00-08:00:30 UTC", &w);
	ck_assert_int_eq(w.n, 2);
	ck_assert_uint_eq(w.r[1].days, 0x41);
	ck_assert_int_eq(w.r[1].end, 8 * 3600 + 30);

	parse_ok("22:00-02:00", &w);
	ck_assert_uint_eq(w.r[0].days, 0x7f);
	ck_assert_str_eq(w.zone, "UTC");

	parse_ok("fri-mon 20:00-24:00", &w);
	ck_assert_uint_eq(w.r[0].days, 0x63);
	ck_assert_int_eq(w.r[0].end, 86400);

	parse_bad("", "no time range");
	parse_bad("Mon-Fri", "days without a time range");
	parse_bad("Mon-Fri 02:00", "not a time range");
	parse_bad("Mon 25:00-26:00", "not a time range");
	parse_bad("Mon 02:60-03:00", "not a time range");
	parse_bad("Mon 24:00-03:00", "not a time range");
	parse_bad("Mon 02:00-03:00 Mars/Olympus", "unknown time zone");
	parse_bad("Mon 02:00-03:00 ../etc/passwd", "not a time zone name");
	parse_bad("Mon 02:00-03:00 UTC Tue", "the zone comes last");
	parse_bad("Someday 02:00-03:00", "neither days");
}
END_TEST

START_TEST(test_utc)
{
	struct window	w;

	/* 2026-12-07 is a Monday. */
	parse_ok("Mon-Fri 02:00-05:00 UTC", &w);
	at(&w, "2026-12-07 01:00:00", 0, "2026-12-07 02:00:00");
	at(&w, "2026-12-07 02:00:00", 1, "2026-12-07 05:00:00");
	at(&w, "2026-12-07 04:59:59", 1, "2026-12-07 05:00:00");
	at(&w, "2026-12-07 05:00:00", 0, "2026-12-08 02:00:00");
	/* Friday after the window: Monday's. */
	at(&w, "2026-12-11 06:00:00", 0, "2026-12-14 02:00:00");
	at(&w, "2026-12-12 12:00:00", 0, "2026-12-14 02:00:00");

	/* Across midnight: Sunday's range still open on Monday. */
	parse_ok("Sun 22:00-02:00:30", &w);
	at(&w, "2026-12-07 01:00:00", 1, "2026-12-07 02:00:30");
	at(&w, "2026-12-07 03:00:00", 0, "2026-12-13 22:00:00");

	/* Two ranges: the nearer opening wins; seconds count. */
	parse_ok("Tue 10:00-11:00, Mon 12:00:05-12:00:10", &w);
	at(&w, "2026-12-07 12:00:00", 0, "2026-12-07 12:00:05");
	at(&w, "2026-12-07 12:00:07", 1, "2026-12-07 12:00:10");
	at(&w, "2026-12-07 12:00:10", 0, "2026-12-08 10:00:00");
}
END_TEST

START_TEST(test_zone)
{
	struct window	w;
	char		buf[64];

	/* Berlin in winter is UTC+1. */
	parse_ok("Mon-Fri 02:00-05:00 Europe/Berlin", &w);
	at(&w, "2026-12-07 00:30:00", 0, "2026-12-07 01:00:00");
	at(&w, "2026-12-07 01:00:00", 1, "2026-12-07 04:00:00");
	window_local(&w, utc("2026-12-07 01:00:00"), buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-12-07 02:00:00 CET");
	/* And TZ is put back: UTC here stays UTC. */
	ck_assert_ptr_null(getenv("TZ"));
}
END_TEST

START_TEST(test_dst_spring)
{
	struct window	w;

	/*
	 * 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC). A range
	 * starting in the gap opens at the jump; one wholly in it is lost
	 * that day.
	 */
	parse_ok("Sun 02:30-04:00 Europe/Berlin", &w);
	at(&w, "2026-03-29 00:00:00", 0, "2026-03-29 01:00:00");
	at(&w, "2026-03-29 01:00:00", 1, "2026-03-29 02:00:00");
	parse_ok("Sun 02:00-02:59 Europe/Berlin", &w);
	at(&w, "2026-03-28 12:00:00", 0, "2026-04-05 00:00:00");
	/* Daily 03:00-04:00: the day before in CET, the day itself CEST. */
	parse_ok("03:00-04:00 Europe/Berlin", &w);
	at(&w, "2026-03-28 01:00:00", 0, "2026-03-28 02:00:00");
	at(&w, "2026-03-28 03:00:00", 0, "2026-03-29 01:00:00");
}
END_TEST

START_TEST(test_dst_autumn)
{
	struct window	w;

	/*
	 * 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC); the
	 * hour 02:00-03:00 is lived twice. The range counts from its first
	 * start to its last end: two hours of UTC.
	 */
	parse_ok("Sun 02:00-03:00 Europe/Berlin", &w);
	at(&w, "2026-10-24 12:00:00", 0, "2026-10-25 00:00:00");
	at(&w, "2026-10-25 00:00:00", 1, "2026-10-25 02:00:00");
	at(&w, "2026-10-25 01:30:00", 1, "2026-10-25 02:00:00");
	at(&w, "2026-10-25 02:00:00", 0, "2026-11-01 01:00:00");
}
END_TEST

static Suite *
window_suite(void)
{
	Suite	*s = suite_create("window");
	TCase	*tc = tcase_create("window");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_utc);
	tcase_add_test(tc, test_zone);
	tcase_add_test(tc, test_dst_spring);
	tcase_add_test(tc, test_dst_autumn);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(window_suite());
	int	 failed;

	unsetenv("TZ");
	log_init(getenv("CHECK_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
