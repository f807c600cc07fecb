/*
 * ready: what the ready phase waits for before the cutover may begin:
 * the plan's cutover.window to be open and, with cutover.approval =
 * required, the operator's `migratectl approve`. Both must hold at once,
 * and with cutover.verify_before the data must have compared equal
 * (verify.c, started when ready begins).
 * The phase's driver (shift.c, which keeps watching the last step's
 * gates meanwhile) asks ready_wait() at every judgment.
 */
#ifndef READY_H
#define READY_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

struct daemon;
struct migration;

/*
 * At now: 1 when the cutover may begin. Sets m->obs.window_open and says
 * in text what is awaited ("waiting for the cutover window (opens ...)
 * and for approval (migratectl approve shop)"); verifying is the data
 * comparison's progress while it runs, or NULL.
 */
int	 ready_wait(struct migration *, time_t now, const char *verifying,
	    char *text, size_t);

/* The ready phase's part of status. */
json_t	*ready_status(struct daemon *, const struct migration *);

#endif /* READY_H */
