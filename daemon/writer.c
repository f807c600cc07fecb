/*
 * writer: the table of writer methods, one row each, and the dispatcher
 * the cutover and preflight call; and what every switch by AWS shares:
 * its journal, its deadline (the freeze budget going forward, a minute
 * going back), its end, and the undo of a failure.
 *
 * When a switch by AWS fails after a change may have reached AWS (no
 * answer, a 5xx, a timeout, the change not complete), its method puts the
 * old value back before the failure is reported: the cutover undoes the
 * freeze on a failure, and a record or a service left pointing at the
 * target would then send writes there while the source takes them again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"
#include "writer.h"
#include "xmalloc.h"

#define WRITER_BACK_MS		60000	/* bound of a switch back */
#define WRITER_PUTBACK_MS	10000	/* bound of putting the old value back */

extern const struct writer_method	writer_hook_method;
extern const struct writer_method	writer_dns_method;
extern const struct writer_method	writer_ecs_env_method;

/* The plan's cutover.writer to its method. */
static const struct writer_method *const writer_methods[] = {
	[WRITER_HOOK] = &writer_hook_method,
	[WRITER_DNS] = &writer_dns_method,
	[WRITER_ECS_ENV] = &writer_ecs_env_method,
};

static struct writer	*writers;	/* switches by AWS in flight */

const struct writer_method *
writer_method(const struct plan *p)
{
	size_t	i = (size_t)p->cutover.writer;

	if (i >= sizeof(writer_methods) / sizeof(writer_methods[0]) ||
	    writer_methods[i] == NULL)
		return NULL;
	return writer_methods[i];
}

static void
writer_free(struct writer *w)
{
	w->method->cancel(w);
	w->method->free(w);
	if (w->ev_tick != NULL)
		event_free(w->ev_tick);
	if (w->ev_deadline != NULL)
		event_free(w->ev_deadline);
	free(w->host);
	free(w->name);
	free(w);
}

static void
writer_unlink(struct writer *w)
{
	struct writer	**pp;

	for (pp = &writers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

/* A journal row for m, and the same line in the log. */
void
writer_journal(struct writer *w, const char *kind, const char *fmt, ...)
{
	va_list	ap;
	char	buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strcmp(kind, "info") == 0)
		log_info("%s: %s", w->m->name, buf);
	else
		log_warnx("%s: %s", w->m->name, buf);
	if (store_journal(w->d->store, w->m->id, kind, buf) == -1)
		log_warnx("%s: journal row not stored", w->m->name);
}

/* The end: unlinked before done runs, so a new switch started from done
 * and a cancel with a reused arg never find this one. */
void
writer_finish(struct writer *w, int ok, const char *result)
{
	writer_unlink(w);
	w->method->cancel(w);
	if (!ok)
		writer_journal(w, "warning", "%s failed: %s", w->what, result);
	w->done(w->d, w->m, w->name, ok, result, w->arg);
	writer_free(w);
}

int64_t
writer_elapsed(const struct writer *w)
{
	return now_ms() - w->t0;
}

/* Call fn(w) from the loop in ms; replaces a call not yet made. */
void
writer_after(struct writer *w, void (*fn)(struct writer *), int64_t ms)
{
	struct timeval	tv;

	w->tick = fn;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(w->ev_tick, &tv);
}

static void
writer_deadline_at(struct writer *w, int64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(w->ev_deadline, &tv);
}

/* The switch is done with AWS: no deadline for what it waits for now. */
void
writer_deadline_clear(struct writer *w)
{
	evtimer_del(w->ev_deadline);
}

static void
writer_failed(struct writer *w)
{
	writer_finish(w, 0, w->why);
}

static void
writer_put_back(struct writer *w)
{
	w->putting_back = 1;
	w->method->cancel(w);
	evtimer_del(w->ev_deadline);
	writer_deadline_at(w, WRITER_PUTBACK_MS);
	w->method->put_back(w);
}

/*
 * A failure: put the old value back first when a change may have reached
 * AWS, then report.
 */
void
writer_fail(struct writer *w, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	evtimer_del(w->ev_tick);
	if (w->starting) {
		/* done is never called before writer_switch() returns. */
		writer_after(w, writer_failed, 0);
		return;
	}
	if (w->mutated && !w->putting_back) {
		writer_put_back(w);
		return;
	}
	writer_finish(w, 0, w->why);
}

/* A failed call: did AWS refuse it (4xx), or may it have been applied? */
void
writer_call_failed(struct writer *w, int status, const char *text)
{
	if (status >= 400 && status < 500)
		w->mutated = 0;
	writer_fail(w, "%s", text);
}

/* The old value is back (err NULL), or could not be put back. */
void
writer_put_back_done(struct writer *w, const char *err)
{
	char	result[2048];

	if (err == NULL)
		snprintf(result, sizeof(result), "%s; the old value was put "
		    "back, so the writer stays where it was", w->why);
	else
		snprintf(result, sizeof(result), "%s; putting the old value "
		    "back failed too (%s): the application may follow the "
		    "new one", w->why, err);
	writer_finish(w, 0, result);
}

static void
writer_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct writer	*w = arg;

	w->tick(w);
}

static void
writer_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct writer	*w = arg;

	if (w->putting_back) {
		writer_put_back_done(w, "no answer in time");
		return;
	}
	writer_fail(w, "the %s by %s did not finish within %lld ms%s%s%s",
	    w->what, w->method->service, (long long)writer_elapsed(w),
	    w->late != NULL ? " (" : "", w->late != NULL ? w->late : "",
	    w->late != NULL ? ")" : "");
}

/* --- the dispatcher --- */

int
writer_switch(struct job *j, int to_target, const char *name,
    hook_done_cb done, void *arg)
{
	struct daemon			*d = j->d;
	struct migration		*m = j->m;
	const struct plan		*p = m->plan;
	const struct writer_method	*wm;
	struct writer			*w;
	char				 why[512], line[512];

	if ((wm = writer_method(p)) == NULL) {
		log_warnx("%s: cutover.writer %d: no such method in this "
		    "build", m->name, (int)p->cutover.writer);
		return -1;
	}
	if (wm->run != NULL)
		return wm->run(j, to_target, name, done, arg);

	w = xcalloc(1, sizeof(*w));
	w->method = wm;
	w->d = d;
	w->m = m;
	w->to_target = to_target;
	w->done = done;
	w->arg = arg;
	w->name = xstrdup(name);
	w->what = to_target ? "writer switch" : "writer switch back";
	w->host = xstrdup(to_target ? p->target.db.host : p->source.db.host);
	w->t0 = now_ms();
	if ((w->ev_tick = evtimer_new(d->base, writer_tick_cb, w)) == NULL ||
	    (w->ev_deadline = evtimer_new(d->base, writer_deadline_cb, w)) ==
	    NULL)
		fatalx("evtimer_new");
	w->next = writers;
	writers = w;
	writer_deadline_at(w, to_target ? p->cutover.freeze_timeout :
	    WRITER_BACK_MS);

	if ((w->aws = daemon_aws(d, daemon_aws_region(d, p), why,
	    sizeof(why))) == NULL) {
		/* Through the loop, like every other answer. */
		snprintf(w->why, sizeof(w->why), "%s", why);
		writer_after(w, writer_failed, 0);
		return 0;
	}
	wm->describe(p, w->host, line, sizeof(line));
	writer_journal(w, "info", "%s: %s", w->what, line);
	w->starting = 1;
	wm->start(w);
	w->starting = 0;
	return 0;
}

int
writer_cancel(void *arg)
{
	struct writer	*w;

	if (arg == NULL)
		return 0;
	for (w = writers; w != NULL; w = w->next)
		if (w->arg == arg)
			break;
	if (w == NULL)
		return 0;
	writer_unlink(w);
	log_info("%s: %s cancelled", w->m->name, w->what);
	writer_free(w);
	return 1;
}

int
writer_puts_back(const struct plan *p)
{
	const struct writer_method	*wm;

	return (wm = writer_method(p)) != NULL && wm->put_back != NULL;
}

/* --- preflight --- */

void
writer_preflight(struct writer_check *wc)
{
	const struct plan	*p = wc->m->plan;

	if ((wc->method = writer_method(p)) == NULL) {
		writer_check_fail(wc, "cutover.writer: method %d is not in "
		    "this build", (int)p->cutover.writer);
		return;
	}
	if (wc->method->preflight != NULL)
		wc->method->preflight(wc);
}

int
writer_preflight_aws(struct writer_check *wc)
{
	if (wc->method == NULL || wc->method->preflight_aws == NULL)
		return 0;
	return wc->method->preflight_aws(wc);
}

void
writer_preflight_cancel(struct writer_check *wc)
{
	if (wc->method != NULL && wc->method->preflight_cancel != NULL &&
	    wc->call != NULL)
		wc->method->preflight_cancel(wc);
	wc->call = NULL;
}

void
writer_check_fail(struct writer_check *wc, const char *fmt, ...)
{
	va_list	ap;
	char	msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wc->fail(wc->arg, msg);
}

/* Not a failure, but the operator must know before it happens: a journal
 * warning and a log line. */
void
writer_check_warn(struct writer_check *wc, const char *msg)
{
	store_journal(wc->d->store, wc->m->id, "warning", msg);
	log_warnx("%s: %s", wc->m->name, msg);
}

int
writer_msg_len(const char *s)
{
	size_t	n = strcspn(s, "\r\n");

	/* A message ending "...: " before its lines: drop the colon. */
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == ':'))
		n--;
	return n > 300 ? 300 : (int)n;
}
