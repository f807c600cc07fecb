/*
 * webhook: tells people what a migration is doing, one message per event,
 * as Slack-compatible JSON ({"text": ...}) POSTed to the plan's
 * notify.webhook_url. The events: a phase change, a breach, a rollback
 * begun and ended, decommission waiting for approval, the approval, done,
 * and alerts that need no transition (a step held on missing data past
 * gates.max_hold, a replica whose lag made no progress for
 * replicating.max_catchup).
 * Steps within shifting and polls are not events.
 *
 * Messages go out in order, one at a time, each retried three times with
 * backoff; one that cannot be delivered is journaled and dropped. The
 * queue lives in memory: a message not yet delivered when the daemon
 * stops is lost (the journal keeps the event).
 */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include "phase.h"

struct daemon;
struct migration;
struct webhook;

struct webhook	*webhook_new(struct daemon *);
void		 webhook_free(struct webhook *);

/* A committed transition of m (fsm_ops.entered's view of it). */
void		 webhook_transition(struct webhook *, struct migration *,
		    enum phase from, enum mev, const char *detail);

/* An alert for m that is not a transition: "NAME: ALERT: detail". */
void		 webhook_alert(struct webhook *, struct migration *,
		    const char *detail);

#endif
