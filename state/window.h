/*
 * window: the days and hours in which a cutover may start
 * (cutover.window), and the arithmetic of when one is open and when the
 * next one opens, in the window's own time zone.
 *
 * Syntax: one or more ranges separated by commas, then an optional time
 * zone from the tz database (UTC when none):
 *
 *	Mon-Fri 02:00-05:00 Europe/Berlin
 *	Mon-Fri 02:00-05:00, Sat,Sun 00:00-08:00 America/New_York
 *	22:00-02:30:30 UTC
 *
 * A range is a day list (Mon..Sun, "Mon-Fri", "Sat,Sun"; none: every day)
 * and HH:MM[:SS]-HH:MM[:SS]; an end at or before the start is on the
 * next day (the range starts on the listed day), 24:00 is the day's end.
 * Local times are read as a wall clock: a range start in a DST gap opens
 * when the clocks have jumped (02:30 on the spring-forward night opens at
 * 03:00), and a repeated hour in autumn counts from its first occurrence
 * to the last.
 */
#ifndef WINDOW_H
#define WINDOW_H

#include <stddef.h>
#include <time.h>

#define WINDOW_RANGES_MAX	16
#define WINDOW_ZONE_MAX		64

struct window_range {
	unsigned int	 days;		/* bit tm_wday (0 Sunday); 0x7f all */
	int		 start, end;	/* seconds after local midnight */
};

struct window {
	struct window_range	 r[WINDOW_RANGES_MAX];
	int			 n;
	char			 zone[WINDOW_ZONE_MAX];	/* "UTC", "Europe/Berlin" */
};

/* Parse text; 0, or -1 with a sentence in why saying what and where. */
int	window_parse(const char *text, struct window *, char *why, size_t);

/*
 * At time now: 1 when a range is open, *t its close; 0 when closed, *t
 * the next opening (0 when no range ever opens: every one is empty).
 */
int	window_at(const struct window *, time_t now, time_t *t);

/* t as "2026-12-08 02:00:00 CET" in the window's zone. */
void	window_local(const struct window *, time_t t, char *, size_t);
/* t as "2026-12-08 01:00:00 UTC". */
void	window_utc(time_t t, char *, size_t);

#endif /* WINDOW_H */
