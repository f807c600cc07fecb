/*
 * now: wall and monotonic time, in place of a private clock_gettime()
 * wrapper per module.
 */
#include <time.h>

#include "now.h"

/* clk's reading in units of 1/per_s s (per_s divides 10^9). */
static int64_t
now_in(clockid_t clk, int64_t per_s)
{
	struct timespec	ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * per_s + ts.tv_nsec / (1000000000 / per_s);
}

int64_t
now_ms(void)
{
	return now_in(CLOCK_REALTIME, 1000);
}

int64_t
now_us(void)
{
	return now_in(CLOCK_REALTIME, 1000000);
}

int64_t
now_mono_us(void)
{
	return now_in(CLOCK_MONOTONIC, 1000000);
}
