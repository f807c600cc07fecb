/*
 * paused: the paused phase's one piece of work, the cool-down. A step that
 * broke its gates with traffic.on_breach = retry pauses; after the
 * cool-down (its end is a fact, so a restart keeps it) the migration
 * resumes and the step is tried again. Any other pause waits for the
 * operator.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "daemon.h"
#include "driver.h"
#include "facts.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"
#include "xmalloc.h"

struct cool {
	struct job		*job;
	struct event		*ev;
};

static void
cool_cancel(void *arg)
{
	struct cool	*c = arg;

	event_free(c->ev);
	free(c);
}

static void
cool_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cool	*c = arg;
	char		 detail[128];

	snprintf(detail, sizeof(detail), "cool-down over: retrying step %d",
	    c->job->m->step + 1);
	job_end(c->job, c, cool_cancel, MEV_RESUME, detail);
}

static void
paused_enter(struct job *j, enum phase from)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct cool		*c;
	struct timeval		 tv;
	int64_t			 at, left;

	if (m->plan == NULL || m->resume_to != PH_SHIFTING ||
	    m->plan->traffic.on_breach != BREACH_RETRY ||
	    (at = store_fact_i64(d->store, m->id, SHIFT_FACT_RETRY_AT)) == 0)
		return;
	c = xcalloc(1, sizeof(*c));
	c->job = j;
	if ((c->ev = evtimer_new(d->base, cool_cb, c)) == NULL)
		fatalx("evtimer_new");
	left = at - now_ms();
	if (left < 0)
		left = 0;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_add(c->ev, &tv);
	job_own(j, c);
	job_progress(j, "cool-down: step %d is retried in %lld s",
	    m->step + 1, (long long)(left + 999) / 1000);
}

const struct phase_driver paused_driver = {
	.phase = PH_PAUSED,
	.enter = paused_enter,
	.cancel = cool_cancel,
};
