/*
 * window: parsing cutover.window and finding when it is open.
 *
 * Local time in a zone other than the daemon's own comes from the system's
 * tz database through the C library: TZ is set to the window's zone,
 * tzset(), mktime()/localtime_r(), and TZ put back, all inside one call.
 * TZ is process-global, which is safe here because the daemon runs its
 * work on one thread (the event loop) and nothing else in it reads local
 * time while a call is in progress; a threaded caller would need its own
 * lock around window_at() and window_local(). The alternative, reading
 * TZif files by hand, would duplicate the C library's zone rules (POSIX
 * TZ footers for dates past the table) for no gain on one thread.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "window.h"

#define DAY_S		86400
#define ALL_DAYS	0x7f

static const char *const day_names[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

/* --- the zone --- */

struct tzsave {
	char	*old;
	int	 had;
};

static void
tz_push(const char *zone, struct tzsave *sv)
{
	const char	*v = getenv("TZ");

	sv->had = v != NULL;
	sv->old = v != NULL ? strdup(v) : NULL;
	setenv("TZ", zone, 1);
	tzset();
}

static void
tz_pop(struct tzsave *sv)
{
	if (sv->had && sv->old != NULL)
		setenv("TZ", sv->old, 1);
	else
		unsetenv("TZ");
	free(sv->old);
	tzset();
}

/* The zone is in the tz database (a TZif file under TZDIR). */
static int
zone_ok(const char *zone, char *why, size_t len)
{
	const char	*dir = getenv("TZDIR"), *s;
	char		 path[512], magic[4];
	FILE		*f;
	int		 ok;

	if (strcasecmp(zone, "UTC") == 0)
		return 0;
	for (s = zone; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("/_+-", *s) == NULL)
			break;
	if (*s != '\0' || *zone == '/' || strstr(zone, "..") != NULL ||
	    strlen(zone) >= WINDOW_ZONE_MAX) {
		snprintf(why, len, "\"%s\" is not a time zone name (expected "
		    "one like Europe/Berlin or UTC)", zone);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir != NULL && *dir != '\0' ?
	    dir : "/usr/share/zoneinfo", zone);
	ok = (f = fopen(path, "r")) != NULL && fread(magic, 1, 4, f) == 4 &&
	    memcmp(magic, "TZif", 4) == 0;
	if (f != NULL)
		fclose(f);
	if (!ok) {
		snprintf(why, len, "unknown time zone \"%s\" (not in %s)", zone,
		    dir != NULL && *dir != '\0' ? dir : "/usr/share/zoneinfo");
		return -1;
	}
	return 0;
}

/* --- parsing --- */

static int
day_index(const char *s, size_t n)
{
	int	i;

	if (n != 3)
		return -1;
	for (i = 0; i < 7; i++)
		if (strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "Mon", "Mon-Fri", "Fri-Mon": a day mask, 0 when not days. */
static unsigned int
parse_days(const char *tok)
{
	const char	*dash = strchr(tok, '-');
	int		 a, b;
	unsigned int	 mask = 0;

	if (dash == NULL)
		return (a = day_index(tok, strlen(tok))) < 0 ? 0 : 1u << a;
	if ((a = day_index(tok, dash - tok)) < 0 ||
	    (b = day_index(dash + 1, strlen(dash + 1))) < 0)
		return 0;
	for (;; a = (a + 1) % 7) {
		mask |= 1u << a;
		if (a == b)
			break;
	}
	return mask;
}

/* "HH:MM" or "HH:MM:SS", 00:00..24:00; seconds after midnight or -1. */
static int
parse_clock(const char *s, size_t n)
{
	int	h, m, sec = 0, used = 0;
	char	buf[16];

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!isdigit((unsigned char)buf[0]))
		return -1;
	if (sscanf(buf, "%2d:%2d:%2d%n", &h, &m, &sec, &used) != 3 ||
	    buf[used] != '\0') {
		sec = 0;
		if (sscanf(buf, "%2d:%2d%n", &h, &m, &used) != 2 ||
		    buf[used] != '\0')
			return -1;
	}
	if (h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59 || h > 24 ||
	    (h == 24 && (m != 0 || sec != 0)))
		return -1;
	return h * 3600 + m * 60 + sec;
}

static int
parse_range(const char *tok, struct window_range *r)
{
	const char	*dash = strchr(tok, '-');

	if (dash == NULL ||
	    (r->start = parse_clock(tok, dash - tok)) < 0 ||
	    (r->end = parse_clock(dash + 1, strlen(dash + 1))) < 0)
		return -1;
	if (r->start == DAY_S)
		return -1;
	return 0;
}

int
window_parse(const char *text, struct window *w, char *why, size_t len)
{
	char		*copy, *tok, *save = NULL, *zone = NULL;
	unsigned int	 days = 0, d;
	int		 rc = -1, pending = 0;

	memset(w, 0, sizeof(*w));
	snprintf(w->zone, sizeof(w->zone), "UTC");
	if ((copy = strdup(text)) == NULL)
		return -1;
	for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (zone != NULL) {
			snprintf(why, len, "\"%s\" after the time zone \"%s\": "
			    "the zone comes last", tok, zone);
			goto out;
		}
		if ((d = parse_days(tok)) != 0) {
			days |= d;
			pending = 1;
			continue;
		}
		if (isdigit((unsigned char)*tok)) {
			if (w->n == WINDOW_RANGES_MAX) {
				snprintf(why, len, "more than %d ranges",
				    WINDOW_RANGES_MAX);
				goto out;
			}
			if (parse_range(tok, &w->r[w->n]) == -1) {
				snprintf(why, len, "\"%s\" is not a time range "
				    "(expected HH:MM-HH:MM or "
				    "HH:MM:SS-HH:MM:SS, 00:00 to 24:00)", tok);
				goto out;
			}
			w->r[w->n++].days = days != 0 ? days : ALL_DAYS;
			days = 0;
			pending = 0;
			continue;
		}
		if (pending || w->n == 0) {
			snprintf(why, len, "\"%s\" is neither days (Mon..Sun, "
			    "Mon-Fri) nor a time range (02:00-05:00)", tok);
			goto out;
		}
		zone = tok;
	}
	if (pending) {
		snprintf(why, len, "days without a time range after them "
		    "(expected e.g. \"Mon-Fri 02:00-05:00\")");
		goto out;
	}
	if (w->n == 0) {
		snprintf(why, len, "no time range (expected e.g. \"Mon-Fri "
		    "02:00-05:00 Europe/Berlin\")");
		goto out;
	}
	if (zone != NULL) {
		if (zone_ok(zone, why, len) == -1)
			goto out;
		snprintf(w->zone, sizeof(w->zone), "%s", zone);
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* --- arithmetic, with TZ set to the window's zone --- */

/* The UTC offset in force at t, in the current TZ. */
static long
utc_offset(time_t t)
{
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/*
 * The instant the wall clock reads the date's sec. Two readings (the
 * repeated autumn hour): the earliest, or the latest when late. None (the
 * spring gap): the instant the clocks jumped, found between the two
 * offsets' answers.
 */
static time_t
wall(const struct tm *date, int sec, int late)
{
	struct tm	tm, back;
	time_t		t, got[2], lo = -1, hi = -1, mid;
	int		i, n = 0, isdst[2] = { 0, 1 };

	for (i = 0; i < 2; i++) {
		tm = *date;
		tm.tm_hour = sec / 3600;
		tm.tm_min = sec / 60 % 60;
		tm.tm_sec = sec % 60;
		tm.tm_isdst = isdst[i];
		if ((t = mktime(&tm)) == (time_t)-1 ||
		    localtime_r(&t, &back) == NULL)
			continue;
		/* 24:00 reads as the next day's 00:00. */
		if (sec == DAY_S ? back.tm_hour == 0 && back.tm_min == 0 &&
		    back.tm_sec == 0 : back.tm_mday == date->tm_mday &&
		    back.tm_hour * 3600 + back.tm_min * 60 + back.tm_sec == sec)
			got[n++] = t;
		if (i == 0)
			lo = t;
		else
			hi = t;
	}
	if (n == 2)
		return late ? (got[0] > got[1] ? got[0] : got[1]) :
		    (got[0] < got[1] ? got[0] : got[1]);
	if (n == 1)
		return got[0];
	if (lo == -1 || hi == -1) {
		tm = *date;
		tm.tm_hour = sec / 3600;
		tm.tm_min = sec / 60 % 60;
		tm.tm_sec = sec % 60;
		tm.tm_isdst = -1;
		return mktime(&tm);
	}
	/* The gap: the first second with the later offset. */
	if (lo > hi) {
		t = lo;
		lo = hi;
		hi = t;
	}
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (utc_offset(mid) == utc_offset(hi))
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* The local date k days after now's, at noon, normalized (tm_wday set). */
static void
date_after(time_t now, int k, struct tm *tm)
{
	localtime_r(&now, tm);
	tm->tm_mday += k;
	tm->tm_hour = 12;
	tm->tm_min = tm->tm_sec = 0;
	tm->tm_isdst = -1;
	mktime(tm);
}

static int
window_at_local(const struct window *w, time_t now, time_t *t)
{
	struct tm	 date, next;
	time_t		 start, end, best = 0;
	int		 k, i;

	/* Yesterday's range may still be open; a week ahead covers all. */
	for (k = -1; k <= 8; k++) {
		date_after(now, k, &date);
		date_after(now, k + 1, &next);
		for (i = 0; i < w->n; i++) {
			if (!(w->r[i].days & (1u << date.tm_wday)))
				continue;
			start = wall(&date, w->r[i].start, 0);
			if (w->r[i].end > w->r[i].start)
				end = wall(&date, w->r[i].end, 1);
			else
				end = wall(&next, w->r[i].end, 1);
			if (end <= start)
				continue;	/* lost to a DST gap */
			if (start <= now && now < end) {
				*t = end;
				return 1;
			}
			if (start > now && (best == 0 || start < best))
				best = start;
		}
	}
	*t = best;
	return 0;
}

int
window_at(const struct window *w, time_t now, time_t *t)
{
	struct tzsave	sv;
	int		open;

	tz_push(w->zone, &sv);
	open = window_at_local(w, now, t);
	tz_pop(&sv);
	return open;
}

void
window_local(const struct window *w, time_t t, char *buf, size_t len)
{
	struct tzsave	sv;
	struct tm	tm;

	tz_push(w->zone, &sv);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, len, "?");
	tz_pop(&sv);
}

void
window_utc(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "?");
}
