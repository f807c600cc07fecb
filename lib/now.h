/*
 * now: the two clocks the daemon reads, wall time for what is stored and
 * shown, the monotonic clock for intervals and deadlines.
 */
#ifndef NOW_H
#define NOW_H

#include <stdint.h>

/* Wall clock in unix ms, and in unix us. */
int64_t	now_ms(void);
int64_t	now_us(void);
/* CLOCK_MONOTONIC in us: only differences between two readings mean anything. */
int64_t	now_mono_us(void);

#endif
