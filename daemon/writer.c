/*
 * writer: the switch of the application's database writer at cutover, and
 * back at rollback, by one of three methods: the operator's hook, a Route
 * 53 record (dns) or an ECS task definition variable (ecs-env).
 *
 * dns reads the record first (its type and TTL stay what they are; the
 * type asked first is the one the host suggests: A for an IPv4 address,
 * AAAA for IPv6, else CNAME), UPSERTs it to the host, then polls GetChange
 * until INSYNC. Going back, it then waits one TTL more: the rollback ends
 * the application's sessions on the target right after, and a pool that
 * reconnected through a cached answer would write where nobody looks.
 *
 * ecs-env reads the service's task definition; when it already holds the
 * host (a switch repeated after a restart) that is the switch; else it
 * registers a copy with the variable set in every container and updates
 * the service to it with a new deployment. The switch is done when ECS
 * accepts the update: the cutover then waits for the first write.
 *
 * A switch by AWS is bounded (the freeze budget going forward). When it
 * fails after a change may have reached AWS (no answer, a 5xx, a timeout,
 * INSYNC not reached), the old value is put back before the failure is
 * reported: the cutover undoes the freeze on a failure, and a record or a
 * service left pointing at the target would then send writes there while
 * the source takes them again.
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "aws.h"
#include "awsctx.h"
#include "ecs.h"
#include "hook.h"
#include "log.h"
#include "daemon.h"
#include "migration.h"
#include "plan.h"
#include "route53.h"
#include "store.h"
#include "writer.h"
#include "xmalloc.h"

#define WRITER_POLL_MS		250	/* GetChange */
#define WRITER_BACK_MS		60000	/* bound of a switch back */
#define WRITER_PUTBACK_MS	10000	/* bound of putting the old value back */
#define WRITER_NEW_TTL		5	/* a record made anew: preflight's max */
#define WRITER_SETTLE_MAX_MS	30000	/* going back: one TTL, at most this */

enum writer_tick { WT_FAIL, WT_POLL, WT_SETTLED };

struct writer {
	struct writer		*next;
	struct daemon		*d;
	struct migration	*m;
	int			 to_target;
	enum plan_writer	 how;
	hook_done_cb		 done;
	void			*arg;
	char			*name;
	const char		*what;		/* "writer switch (back)" */
	char			*host;
	struct aws		*aws;
	struct r53_call		*r53;
	struct ecs_call		*ecs;
	struct event		*ev_tick, *ev_deadline;
	enum writer_tick	 tick;
	int64_t			 t0;
	int			 mutated;	/* a change may have reached AWS */
	int			 putting_back;
	int			 starting;	/* in writer_switch() still */
	char			 why[1024];	/* the failure */

	/* dns */
	char			*zone, *record;
	const char		*types[3];	/* asked in this order */
	int			 ntry;
	const char		*type;
	long			 ttl;
	char			**old;		/* the values before */
	size_t			 nold;
	char			*change;

	/* ecs-env */
	char			*cluster, *service, *env;
	char			*old_td, *new_td;
};

static struct writer	*writers;	/* switches by AWS in flight */

static void	writer_fail(struct writer *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	dns_ask(struct writer *);
static void	put_back(struct writer *);

static void
writer_free(struct writer *w)
{
	size_t	i;

	r53_cancel(w->r53);
	ecs_cancel(w->ecs);
	if (w->ev_tick != NULL)
		event_free(w->ev_tick);
	if (w->ev_deadline != NULL)
		event_free(w->ev_deadline);
	for (i = 0; i < w->nold; i++)
		free(w->old[i]);
	free(w->old);
	free(w->change);
	free(w->zone);
	free(w->record);
	free(w->cluster);
	free(w->service);
	free(w->env);
	free(w->old_td);
	free(w->new_td);
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

static void
writer_journal(struct writer *w, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
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
static void
writer_finish(struct writer *w, int ok, const char *result)
{
	writer_unlink(w);
	r53_cancel(w->r53);
	ecs_cancel(w->ecs);
	w->r53 = NULL;
	w->ecs = NULL;
	if (!ok)
		writer_journal(w, "warning", "%s failed: %s", w->what, result);
	w->done(w->d, w->m, w->name, ok, result, w->arg);
	writer_free(w);
}

static int64_t
writer_elapsed(const struct writer *w)
{
	return now_ms() - w->t0;
}

static void
writer_after(struct writer *w, enum writer_tick what, int64_t ms)
{
	struct timeval	tv;

	w->tick = what;
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

/*
 * A failure: put the old value back first when a change may have reached
 * AWS, then report.
 */
static void
writer_fail(struct writer *w, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	evtimer_del(w->ev_tick);
	if (w->starting) {
		/* done is never called before writer_switch() returns. */
		writer_after(w, WT_FAIL, 0);
		return;
	}
	if (w->mutated && !w->putting_back) {
		put_back(w);
		return;
	}
	writer_finish(w, 0, w->why);
}

/* A failed call: did AWS refuse it (4xx), or may it have been applied? */
static void
writer_call_failed(struct writer *w, int status, const char *text)
{
	if (status >= 400 && status < 500)
		w->mutated = 0;
	writer_fail(w, "%s", text);
}

/* --- putting back what a failed switch may have changed --- */

static void
put_back_done(struct writer *w, const char *err)
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
put_back_r53_cb(void *arg, const struct r53_change *ch,
    const struct api_err *err)
{
	struct writer	*w = arg;

	w->r53 = NULL;
	put_back_done(w, err != NULL ? err->text : NULL);
	(void)ch;
}

static void
put_back_ecs_cb(void *arg, const struct ecs_service *svc,
    const struct api_err *err)
{
	struct writer	*w = arg;

	w->ecs = NULL;
	put_back_done(w, err != NULL ? err->text : NULL);
	(void)svc;
}

static void
put_back(struct writer *w)
{
	w->putting_back = 1;
	r53_cancel(w->r53);
	ecs_cancel(w->ecs);
	w->r53 = NULL;
	w->ecs = NULL;
	evtimer_del(w->ev_deadline);
	writer_deadline_at(w, WRITER_PUTBACK_MS);
	if (w->how == WRITER_DNS) {
		if (w->nold == 0) {
			put_back_done(w, "the record did not exist before "
			    "and is left in place");
			return;
		}
		writer_journal(w, "warning", "%s: putting Route 53 %s %s back "
		    "to %s", w->what, w->record, w->type, w->old[0]);
		w->r53 = r53_upsert(w->aws, w->zone, w->record, w->type,
		    w->ttl, (const char *const *)w->old, w->nold,
		    put_back_r53_cb, w);
		if (w->r53 == NULL)
			put_back_done(w, "the UPSERT could not be sent (see "
			    "the log)");
		return;
	}
	writer_journal(w, "warning", "%s: putting ECS service %s back on %s",
	    w->what, w->service, w->old_td);
	w->ecs = ecs_update_service_task_definition(w->aws, w->cluster,
	    w->service, w->old_td, 0, put_back_ecs_cb, w);
	if (w->ecs == NULL)
		put_back_done(w, "UpdateService could not be sent (see the "
		    "log)");
}

/* --- timers --- */

static void	dns_poll(struct writer *);

static void
writer_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct writer	*w = arg;
	char		 result[512];

	switch (w->tick) {
	case WT_FAIL:
		writer_finish(w, 0, w->why);
		return;
	case WT_POLL:
		dns_poll(w);
		return;
	case WT_SETTLED:
		snprintf(result, sizeof(result), "Route 53 %s -> %s, INSYNC, "
		    "resolvers' caches expired", w->record, w->host);
		writer_finish(w, 1, result);
		return;
	}
}

static void
writer_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct writer	*w = arg;

	if (w->putting_back) {
		put_back_done(w, "no answer in time");
		return;
	}
	writer_fail(w, "the %s by %s did not finish within %lld ms%s",
	    w->what, w->how == WRITER_DNS ? "Route 53" : "ECS",
	    (long long)writer_elapsed(w), w->how == WRITER_DNS &&
	    w->change != NULL ? " (the record change was not INSYNC)" : "");
}

/* --- dns --- */

static void
dns_synced(struct writer *w)
{
	int64_t	settle;
	char	result[512];

	writer_journal(w, "info", "%s: Route 53 %s %s -> %s, change %s "
	    "INSYNC after %lld ms", w->what, w->record, w->type, w->host,
	    w->change, (long long)writer_elapsed(w));
	if (!w->to_target && w->ttl > 0) {
		settle = (int64_t)w->ttl * 1000;
		if (settle > WRITER_SETTLE_MAX_MS)
			settle = WRITER_SETTLE_MAX_MS;
		writer_journal(w, "info", "%s: waiting %lld ms, the record's "
		    "TTL, before the application's sessions on the target are "
		    "ended", w->what, (long long)settle);
		evtimer_del(w->ev_deadline);
		writer_after(w, WT_SETTLED, settle);
		return;
	}
	snprintf(result, sizeof(result), "Route 53 %s -> %s, INSYNC",
	    w->record, w->host);
	writer_finish(w, 1, result);
}

static void
dns_change_cb(void *arg, const struct r53_change *ch,
    const struct api_err *err)
{
	struct writer	*w = arg;

	w->r53 = NULL;
	if (err != NULL) {
		/*
		 * GetChange failing says nothing of the change itself: it
		 * was accepted and stays a possible change.
		 */
		if (w->change != NULL)
			writer_fail(w, "%s", err->text);
		else
			writer_call_failed(w, err->status, err->text);
		return;
	}
	if (w->change == NULL) {
		w->change = xstrdup(ch->id);
		w->mutated = 1;
		writer_journal(w, "info", "%s: Route 53 %s %s -> %s (TTL %ld "
		    "s) accepted as change %s, %s", w->what, w->record,
		    w->type, w->host, w->ttl, w->change, ch->status);
	}
	if (ch->st == R53_CH_INSYNC) {
		dns_synced(w);
		return;
	}
	writer_after(w, WT_POLL, WRITER_POLL_MS);
}

static void
dns_poll(struct writer *w)
{
	if ((w->r53 = r53_get_change(w->aws, w->change, dns_change_cb, w)) ==
	    NULL)
		writer_fail(w, "GetChange %s could not be sent (see the log)",
		    w->change);
}

static int
host_is(int af, const char *host)
{
	unsigned char	buf[sizeof(struct in6_addr)];

	return inet_pton(af, host, buf) == 1;
}

static void
dns_upsert(struct writer *w)
{
	const char	*values[1] = { w->host };
	char		 why[256];

	if (r53_upsert_check(w->zone, w->record, w->type, w->ttl, values, 1,
	    why, sizeof(why)) == -1) {
		writer_fail(w, "Route 53 %s: %s", w->record, why);
		return;
	}
	/* From here the change may be made, whatever we hear back. */
	w->mutated = 1;
	if ((w->r53 = r53_upsert(w->aws, w->zone, w->record, w->type, w->ttl,
	    values, 1, dns_change_cb, w)) == NULL) {
		w->mutated = 0;
		writer_fail(w, "Route 53 %s: the UPSERT could not be sent (see "
		    "the log)", w->record);
	}
}

static void
dns_record_cb(void *arg, const struct r53_record *r,
    const struct api_err *err)
{
	struct writer	*w = arg;
	size_t		 i;

	w->r53 = NULL;
	if (err != NULL) {
		writer_fail(w, "%s", err->text);
		return;
	}
	if (!r->found) {
		if (++w->ntry < 3) {
			dns_ask(w);
			return;
		}
		/* Preflight saw it; someone removed it since. */
		w->type = w->types[0];
		w->ttl = WRITER_NEW_TTL;
		writer_journal(w, "warning", "%s: Route 53 %s has no CNAME, A "
		    "or AAAA record in zone %s; making a %s record, TTL %d s",
		    w->what, w->record, w->zone, w->type, WRITER_NEW_TTL);
		dns_upsert(w);
		return;
	}
	if (r->alias || r->ttl < 0) {
		writer_fail(w, "Route 53 %s is an alias record; make it a "
		    "plain %s record", w->record, w->types[0]);
		return;
	}
	if ((strcmp(w->type, "A") == 0 && !host_is(AF_INET, w->host)) ||
	    (strcmp(w->type, "AAAA") == 0 && !host_is(AF_INET6, w->host))) {
		writer_fail(w, "Route 53 %s is an %s record, which cannot hold "
		    "%s; make it a %s record", w->record, w->type, w->host,
		    w->types[0]);
		return;
	}
	w->ttl = (long)r->ttl;
	if ((w->old = calloc(r->nvalues, sizeof(*w->old))) == NULL &&
	    r->nvalues > 0)
		fatal("calloc");
	for (i = 0; i < r->nvalues; i++)
		w->old[i] = xstrdup(r->values[i]);
	w->nold = r->nvalues;
	dns_upsert(w);
}

static void
dns_ask(struct writer *w)
{
	w->type = w->types[w->ntry];
	if ((w->r53 = r53_get_record(w->aws, w->zone, w->record, w->type,
	    dns_record_cb, w)) == NULL)
		writer_fail(w, "Route 53 %s: cannot ask for the record (see "
		    "the log)", w->record);
}

static void
dns_start(struct writer *w)
{
	const struct plan	*p = w->m->plan;

	w->zone = xstrdup(p->cutover.dns_zone_id);
	w->record = xstrdup(p->cutover.dns_record);
	if (host_is(AF_INET, w->host)) {
		w->types[0] = "A";
		w->types[1] = "CNAME";
		w->types[2] = "AAAA";
	} else if (host_is(AF_INET6, w->host)) {
		w->types[0] = "AAAA";
		w->types[1] = "CNAME";
		w->types[2] = "A";
	} else {
		w->types[0] = "CNAME";
		w->types[1] = "A";
		w->types[2] = "AAAA";
	}
	dns_ask(w);
}

/* --- ecs-env --- */

static void
env_updated_cb(void *arg, const struct ecs_service *svc,
    const struct api_err *err)
{
	struct writer	*w = arg;
	char		 result[512];

	w->ecs = NULL;
	if (err != NULL) {
		writer_call_failed(w, err->status, err->text);
		return;
	}
	writer_journal(w, "info", "%s: ECS service %s/%s updated to %s (%s=%s) "
	    "with a new deployment, accepted after %lld ms", w->what,
	    w->cluster, w->service, w->new_td, w->env, w->host,
	    (long long)writer_elapsed(w));
	snprintf(result, sizeof(result), "ECS service %s updated to %s",
	    w->service, w->new_td);
	writer_finish(w, 1, result);
	(void)svc;
}

static void
env_registered_cb(void *arg, const struct ecs_task_def *td,
    const struct api_err *err)
{
	struct writer	*w = arg;

	w->ecs = NULL;
	if (err != NULL) {
		writer_fail(w, "%s", err->text);
		return;
	}
	w->new_td = xstrdup(td->arn);
	writer_journal(w, "info", "%s: registered task definition %s:%d, a "
	    "copy of %s with %s=%s", w->what, td->family, td->revision,
	    w->old_td, w->env, w->host);
	w->mutated = 1;
	if ((w->ecs = ecs_update_service_task_definition(w->aws, w->cluster,
	    w->service, w->new_td, 1, env_updated_cb, w)) == NULL) {
		w->mutated = 0;
		writer_fail(w, "UpdateService could not be sent (see the log)");
	}
}

static void
env_td_cb(void *arg, const struct ecs_task_def *td, const struct api_err *err)
{
	struct writer	*w = arg;
	const char	*v;
	char		 result[512];

	w->ecs = NULL;
	if (err != NULL) {
		writer_fail(w, "%s", err->text);
		return;
	}
	/* A switch repeated after a restart: the service runs it already. */
	if ((v = ecs_task_def_env(td, NULL, w->env)) != NULL &&
	    strcmp(v, w->host) == 0) {
		writer_journal(w, "info", "%s: ECS service %s/%s already uses "
		    "%s with %s=%s", w->what, w->cluster, w->service,
		    w->old_td, w->env, w->host);
		snprintf(result, sizeof(result), "ECS service %s already on "
		    "%s", w->service, w->old_td);
		writer_finish(w, 1, result);
		return;
	}
	if ((w->ecs = ecs_register_with_env(w->aws, w->old_td, NULL, w->env,
	    w->host, env_registered_cb, w)) == NULL)
		writer_fail(w, "RegisterTaskDefinition could not be sent (see "
		    "the log)");
}

static void
env_service_cb(void *arg, const struct ecs_service *svc,
    const struct api_err *err)
{
	struct writer	*w = arg;

	w->ecs = NULL;
	if (err != NULL) {
		writer_fail(w, "%s", err->text);
		return;
	}
	if (svc->task_definition == NULL) {
		writer_fail(w, "DescribeServices: ECS service %s/%s names no "
		    "task definition", w->cluster, w->service);
		return;
	}
	w->old_td = xstrdup(svc->task_definition);
	if ((w->ecs = ecs_describe_task_definition(w->aws, w->old_td,
	    env_td_cb, w)) == NULL)
		writer_fail(w, "DescribeTaskDefinition could not be sent (see "
		    "the log)");
}

static void
env_start(struct writer *w)
{
	const struct plan	*p = w->m->plan;

	w->cluster = xstrdup(p->traffic.ecs_cluster);
	w->service = xstrdup(p->traffic.ecs_service);
	w->env = xstrdup(p->cutover.ecs_env_name);
	if ((w->ecs = ecs_describe_service(w->aws, w->cluster, w->service,
	    env_service_cb, w)) == NULL)
		writer_fail(w, "DescribeServices could not be sent (see the "
		    "log)");
}

/* --- entry points --- */

int
writer_switch(struct daemon *d, struct migration *m, int to_target,
    const char *name, hook_done_cb done, void *arg)
{
	const struct plan	*p = m->plan;
	struct writer		*w;
	const char		*host;
	char			 why[512];

	if (p->cutover.writer == WRITER_HOOK)
		return hook_run(d, m, name, p->cutover.writer_hook, HOOK_RERUN,
		    done, arg);

	w = xcalloc(1, sizeof(*w));
	w->d = d;
	w->m = m;
	w->to_target = to_target;
	w->how = p->cutover.writer;
	w->done = done;
	w->arg = arg;
	w->name = xstrdup(name);
	w->what = to_target ? "writer switch" : "writer switch back";
	host = to_target ? p->target.db.host : p->source.db.host;
	w->host = xstrdup(host);
	w->t0 = now_ms();
	if ((w->ev_tick = evtimer_new(d->base, writer_tick_cb, w)) == NULL ||
	    (w->ev_deadline = evtimer_new(d->base, writer_deadline_cb, w)) ==
	    NULL)
		fatalx("evtimer_new");
	w->next = writers;
	writers = w;
	writer_deadline_at(w, to_target ? p->cutover.freeze_timeout :
	    WRITER_BACK_MS);

	if ((w->aws = awsctx_get(d, awsctx_region(d, p), why,
	    sizeof(why))) == NULL) {
		/* Through the loop, like every other answer. */
		snprintf(w->why, sizeof(w->why), "%s", why);
		writer_after(w, WT_FAIL, 0);
		return 0;
	}
	writer_journal(w, "info", "%s: %s to %s", w->what,
	    w->how == WRITER_DNS ? "Route 53 record" : "ECS task definition",
	    w->host);
	w->starting = 1;
	if (w->how == WRITER_DNS)
		dns_start(w);
	else
		env_start(w);
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
