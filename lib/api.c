/*
 * api: what the remote API clients in lib/ share. The error struct is
 * filled in one place so that its text reads the same whatever the
 * service: "OP: CODE: MESSAGE". A client's calls live on one queue: live
 * (the client's business: credentials, a request, a timer), then done,
 * then delivered by one event_active'd event per client, never from inside
 * an api_* or a client's function; a call dropped before that is stopped
 * by the client's hook and freed without its callback.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api.h"
#include "xmalloc.h"

char *
api_err_set(struct api_err *e, const char *op, const char *code,
    const char *message, int status)
{
	char	*text;

	memset(e, 0, sizeof(*e));
	e->op = op;
	e->code = code != NULL && code[0] != '\0' ? code : "Error";
	e->message = message != NULL ? message : "no message";
	e->status = status;
	text = xasprintf("%s: %s: %s", e->op, e->code, e->message);
	e->text = text;
	return text;
}

void
api_why(char *why, size_t len, const char *fmt, ...)
{
	va_list	ap;

	if (why == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* ---- a client's calls ---- */

static void
api_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_queue	*q = arg;
	struct api_call		*c;

	while ((c = TAILQ_FIRST(&q->done)) != NULL) {
		TAILQ_REMOVE(&q->done, c, dentry);
		c->phase = API_DELIVERING;
		q->busy++;
		q->ops->deliver(c);
		q->busy--;
		TAILQ_REMOVE(&q->calls, c, entry);
		q->ops->free(c);
		if (q->dying) {
			api_queue_clear(q);
			q->ops->destroy(q->owner);
			return;
		}
	}
}

int
api_queue_init(struct api_queue *q, struct event_base *base,
    const struct api_queue_ops *ops, void *owner)
{
	memset(q, 0, sizeof(*q));
	q->ops = ops;
	q->owner = owner;
	TAILQ_INIT(&q->calls);
	TAILQ_INIT(&q->done);
	if ((q->ev_done = event_new(base, -1, 0, api_deliver_cb, q)) == NULL)
		return -1;
	return 0;
}

void
api_queue_clear(struct api_queue *q)
{
	struct api_call	*c;

	while ((c = TAILQ_FIRST(&q->calls)) != NULL) {
		if (c->phase == API_DELIVERING) {
			/* Only if its callback never returned (a longjmp out
			 * of it): leave it rather than loop. */
			TAILQ_REMOVE(&q->calls, c, entry);
			continue;
		}
		api_call_drop(c);
	}
	if (q->ev_done != NULL)
		event_free(q->ev_done);
	q->ev_done = NULL;
}

int
api_queue_close(struct api_queue *q)
{
	struct api_call	*c, *next;

	if (q->dying)
		return 0;
	if (q->busy == 0)
		return 1;
	/* Inside a callback: drop every other call now; the deliverer
	 * frees the one being delivered, then the client. */
	q->dying = 1;
	for (c = TAILQ_FIRST(&q->calls); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->phase != API_DELIVERING)
			api_call_drop(c);
	}
	return 0;
}

void
api_call_add(struct api_queue *q, struct api_call *c)
{
	c->q = q;
	c->phase = API_LIVE;
	TAILQ_INSERT_TAIL(&q->calls, c, entry);
}

void
api_call_finish(struct api_call *c)
{
	struct api_queue	*q = c->q;

	c->phase = API_DONE;
	TAILQ_INSERT_TAIL(&q->done, c, dentry);
	event_active(q->ev_done, EV_TIMEOUT, 0);
}

void
api_call_drop(struct api_call *c)
{
	struct api_queue	*q = c->q;

	switch (c->phase) {
	case API_DELIVERING:
		return;
	case API_DONE:
		TAILQ_REMOVE(&q->done, c, dentry);
		break;
	case API_LIVE:
		break;
	}
	q->ops->drop(c, c->phase == API_LIVE);
	TAILQ_REMOVE(&q->calls, c, entry);
	q->ops->free(c);
}

size_t
api_queue_len(const struct api_queue *q)
{
	const struct api_call	*c;
	size_t			 n = 0;

	TAILQ_FOREACH(c, &q->calls, entry)
		n++;
	return n;
}

/* ---- backoff ---- */

int64_t
api_uniform(int64_t top)
{
	if (top <= 0)
		return 0;
	if (top >= UINT32_MAX)
		top = UINT32_MAX - 1;
	return (int64_t)arc4random_uniform((uint32_t)top + 1);
}

int64_t
api_backoff_ms(int64_t base, int64_t cap, int attempts)
{
	int64_t	top = base;
	int	i;

	for (i = 1; i < attempts && top < cap; i++)
		top *= 2;
	if (top > cap)
		top = cap;
	return api_uniform(top);
}
