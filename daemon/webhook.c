/*
 * webhook: a FIFO of messages and one request at a time.
 *
 * The text leads with the migration and what happened, in the words an
 * SRE reads on a phone: "shop: paused (breach at step 2): 1 ECS target
 * unhealthy; weights back on the droplets". The transition's own detail
 * follows, as the journal has it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "daemon.h"
#include "http.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "ready.h"
#include "store.h"
#include "webhook.h"
#include "xmalloc.h"

#define WEBHOOK_ATTEMPTS	3
#define WEBHOOK_BACKOFF_MS	1000
#define WEBHOOK_MAX_TEXT	2000

struct msg {
	TAILQ_ENTRY(msg)	 entry;
	int64_t			 mig;
	char			*url;
	char			*body;
	int64_t			 timeout;
	int			 attempts;
};

struct webhook {
	struct daemon		*d;
	struct http_req		*req;
	struct event		*ev_retry;
	TAILQ_HEAD(, msg)	 q;
	int			 n;
};

static void	webhook_send(struct webhook *);

static void
webhook_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	webhook_send(arg);
}

struct webhook *
webhook_new(struct daemon *d)
{
	struct webhook	*w;

	w = xcalloc(1, sizeof(*w));
	w->d = d;
	TAILQ_INIT(&w->q);
	if ((w->ev_retry = evtimer_new(d->base, webhook_retry_cb, w)) == NULL)
		fatalx("evtimer_new");
	return w;
}

static void
msg_free(struct msg *x)
{
	free(x->url);
	free(x->body);
	free(x);
}

void
webhook_free(struct webhook *w)
{
	struct msg	*x;

	if (w == NULL)
		return;
	http_cancel(w->req);
	while ((x = TAILQ_FIRST(&w->q)) != NULL) {
		TAILQ_REMOVE(&w->q, x, entry);
		msg_free(x);
	}
	event_free(w->ev_retry);
	free(w);
}

static void
webhook_done(struct webhook *w, struct msg *x)
{
	TAILQ_REMOVE(&w->q, x, entry);
	w->n--;
	msg_free(x);
	webhook_send(w);
	/* A message out holds the exit (SIGTERM) until it is sent. */
	daemon_release(w->d);
}

static void
webhook_cb(void *arg, const struct http_response *resp)
{
	struct webhook	*w = arg;
	struct msg	*x = TAILQ_FIRST(&w->q);
	struct timeval	 tv;
	char		 note[512];

	w->req = NULL;
	if (resp->status >= 200 && resp->status < 300) {
		webhook_done(w, x);
		return;
	}
	if (++x->attempts < WEBHOOK_ATTEMPTS && (resp->status == 0 ||
	    resp->status >= 500 || resp->status == 429)) {
		tv.tv_sec = (WEBHOOK_BACKOFF_MS << (x->attempts - 1)) / 1000;
		tv.tv_usec = 0;
		evtimer_add(w->ev_retry, &tv);
		return;
	}
	if (resp->status != 0)
		snprintf(note, sizeof(note), "webhook: a message could not be "
		    "delivered (HTTP %d); dropped", resp->status);
	else
		snprintf(note, sizeof(note), "webhook: a message could not be "
		    "delivered (%s); dropped", resp->message);
	store_journal(w->d->store, x->mig, "warning", note);
	log_warnx("%s", note);
	webhook_done(w, x);
}

static void
webhook_send(struct webhook *w)
{
	static const char *const headers[] = {
		"Content-Type: application/json", NULL
	};
	struct http_request	 r;
	struct msg		*x;

	if (w->req != NULL || (x = TAILQ_FIRST(&w->q)) == NULL)
		return;
	if (daemon_http(w->d) == NULL)
		return;
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = x->url;
	r.headers = headers;
	r.body = x->body;
	r.bodylen = strlen(x->body);
	r.timeout_ms = x->timeout;
	r.max_body = 64 * 1024;
	if ((w->req = http_start(w->d->http, &r, webhook_cb, w)) == NULL) {
		store_journal(w->d->store, x->mig, "warning", "webhook: the "
		    "URL was refused; message dropped");
		webhook_done(w, x);
	}
}

/* What happened, in a few words; NULL: not an event people hear of. */
static const char *
webhook_what(struct migration *m, enum phase from, enum mev ev,
    char *buf, size_t len)
{
	const struct plan	*p = m->plan;
	char			 wait[384];

	if (ev == MEV_BREACH) {
		snprintf(buf, len, "BREACH, %s -> %s", phase_name(from),
		    phase_name(m->phase));
		return buf;
	}
	if (ev == MEV_APPROVE)
		return m->phase == PH_READY ? "cutover approved" :
		    "decommission approved";
	if (from == m->phase)
		return NULL;
	/* The one message when the cutover starts waiting. */
	if (m->phase == PH_READY && !ready_wait(m, time(NULL), NULL, wait,
	    sizeof(wait))) {
		snprintf(buf, len, "%s -> ready: %s", phase_name(from),
		    wait + strlen("ready: "));
		return buf;
	}
	if (m->phase == PH_DECOMMISSION && !m->approved && p != NULL &&
	    p->decommission.approval == APPROVAL_REQUIRED) {
		snprintf(buf, len, "%s -> decommission: waiting for approval "
		    "(migratectl approve %s)", phase_name(from), m->name);
		return buf;
	}
	switch (m->phase) {
	case PH_ROLLING_BACK:
		snprintf(buf, len, "ROLLING BACK from %s", phase_name(from));
		return buf;
	case PH_ROLLED_BACK:
		return "rolled back: everything is on the droplets and the "
		    "source again";
	case PH_DONE:
		return "DONE";
	case PH_FAILED:
		snprintf(buf, len, "FAILED in %s", phase_name(from));
		return buf;
	case PH_PAUSED:
		snprintf(buf, len, "paused in %s", phase_name(from));
		return buf;
	default:
		snprintf(buf, len, "%s -> %s", phase_name(from),
		    phase_name(m->phase));
		return buf;
	}
}

/* Queue "migrated: NAME: what: detail" for m's webhook, if it has one. */
static void
webhook_queue(struct webhook *w, struct migration *m, const char *what,
    const char *detail)
{
	const struct plan	*p = m->plan;
	struct msg		*x;
	json_t			*j;
	char			 text[WEBHOOK_MAX_TEXT];

	if (w == NULL || p == NULL || p->notify.webhook_url == NULL)
		return;
	snprintf(text, sizeof(text), "migrated: %s: %s%s%s", m->name, what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	j = json_pack("{s:s}", "text", text);
	x = xcalloc(1, sizeof(*x));
	x->mig = m->id;
	x->url = xstrdup(p->notify.webhook_url);
	x->timeout = p->notify.timeout;
	if ((x->body = json_dumps(j, JSON_COMPACT)) == NULL)
		fatalx("json_dumps");
	json_decref(j);
	TAILQ_INSERT_TAIL(&w->q, x, entry);
	w->n++;
	daemon_hold(w->d);
	webhook_send(w);
}

void
webhook_transition(struct webhook *w, struct migration *m, enum phase from,
    enum mev ev, const char *detail)
{
	const char	*what;
	char		 buf[512];

	if (w == NULL || m->plan == NULL ||
	    (what = webhook_what(m, from, ev, buf, sizeof(buf))) == NULL)
		return;
	webhook_queue(w, m, what, detail);
}

void
webhook_alert(struct webhook *w, struct migration *m, const char *detail)
{
	webhook_queue(w, m, "ALERT", detail);
}
