/*
 * watch: reads what the gates judge, on a timer, and judges it.
 *
 * The ALB metrics are read from the period the bake began in to now (a
 * day at most), and each target group's datapoints of the bake are
 * summed: the gates judge the bake, not a minute (state/gate.h).
 *
 * Every poll interval (read from the plan each time: `set` tunes it) the
 * ECS target group's health is read; each answer is judged at once with
 * the newest metrics, so a target going unhealthy is acted on within one
 * interval plus one round trip. The ALB metrics and the alarms are read
 * every WATCH_METRICS_MS: ALB datapoints are per minute, and asking every
 * second would only spend CloudWatch's request quota. A read that fails
 * keeps its last value out of the judgment: the gates hold until it
 * answers again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "aws.h"
#include "cloudwatch.h"
#include "daemon.h"
#include "elbv2.h"
#include "lag.h"
#include "log.h"
#include "migration.h"
#include "now.h"
#include "plan.h"
#include "watch.h"
#include "xmalloc.h"

struct watch {
	struct daemon		*d;
	struct migration	*m;
	int			 relative, check_lag;
	const struct lag	*lag;		/* the lag gate's, or NULL */
	watch_cb		 cb;
	void			*arg;
	struct event		*ev;
	struct elbv2_call	*th;
	struct cw_call		*cw, *al;
	int64_t			 next_metrics;	/* unix ms */
	int64_t			 due_us;	/* when the tick should fire */
	int64_t			 since;		/* the bake's start, unix ms */

	struct gate_input	 in;
	char			 alarm_name[128];
	int			 health_failed, metrics_failed, alarms_failed;
	char			 error[512];
	struct gate_result	 res;
	int			 judged;
	int64_t			 judged_at;
};

static void	watch_judge(struct watch *);

/* How late the ticks of every watcher fired: 1 ms buckets, the last open. */
#define LATE_BUCKETS	1001
static uint64_t	late_hist[LATE_BUCKETS];
static uint64_t	late_n;
static int64_t	late_max_us;
static int64_t	late_sum_us;

static void
late_add(int64_t us)
{
	int64_t	ms;

	if (us < 0)
		us = 0;
	ms = us / 1000;
	late_hist[ms < LATE_BUCKETS - 1 ? ms : LATE_BUCKETS - 1]++;
	late_n++;
	late_sum_us += us;
	if (us > late_max_us)
		late_max_us = us;
}

/* The q-quantile's bucket, in ms (the bucket's upper edge). */
static double
late_quantile(double q)
{
	uint64_t	want, seen = 0;
	int		i;

	if (late_n == 0)
		return 0;
	want = (uint64_t)(q * (double)late_n);
	if (want >= late_n)
		want = late_n - 1;
	for (i = 0; i < LATE_BUCKETS; i++) {
		seen += late_hist[i];
		if (seen > want)
			return i + 1;
	}
	return LATE_BUCKETS;
}

void
watch_lateness(struct watch_lateness *l)
{
	l->ticks = late_n;
	l->p50_ms = late_quantile(0.50);
	l->p99_ms = late_quantile(0.99);
	l->max_ms = (double)late_max_us / 1000.0;
	l->sum_ms = (double)late_sum_us / 1000.0;
}

/* "app/shop/50dc..." from a listener ARN; NULL if not one. */
static const char *
lb_dimension(const char *listener_arn, char *buf, size_t len)
{
	const char	*s, *e;

	if ((s = strstr(listener_arn, ":listener/")) == NULL)
		return NULL;
	s += strlen(":listener/");
	if ((e = strrchr(s, '/')) == NULL || (size_t)(e - s) >= len)
		return NULL;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return buf;
}

/* "targetgroup/ecs/943f..." from a target group ARN. */
static const char *
tg_dimension(const char *arn)
{
	const char	*s;

	return (s = strstr(arn, ":targetgroup/")) != NULL ? s + 1 : NULL;
}

void
watch_query(const struct plan *p, int droplets, char *lb, size_t len,
    struct cw_alb_query *q)
{
	memset(q, 0, sizeof(*q));
	q->load_balancer = lb_dimension(p->traffic.listener_arn, lb, len);
	q->tg[CW_TG_ECS] = tg_dimension(p->traffic.ecs_tg_arn);
	q->tg[CW_TG_DROPLET] = droplets ?
	    tg_dimension(p->traffic.droplet_tg_arn) : NULL;
	q->period = WATCH_PERIOD_S;
}

static struct aws *
watch_aws(struct watch *w)
{
	char		 why[256];
	struct aws	*aws;

	if ((aws = daemon_aws(w->d, daemon_aws_region(w->d, w->m->plan), why,
	    sizeof(why))) == NULL)
		snprintf(w->error, sizeof(w->error), "%s", why);
	return aws;
}

/* A final error: transient ones hold, others are the owner's to act on. */
static void
watch_err(struct watch *w, int status, const char *code, const char *text,
    int *failed)
{
	if (!aws_transient(status, code))
		snprintf(w->error, sizeof(w->error), "%s", text);
	/* Loud once per streak of failures: the gates hold meanwhile. */
	if (!*failed)
		log_warnx("%s: gates: %s; the gates hold until it answers",
		    w->m->name, text);
	else
		log_debug("%s: gates: %s", w->m->name, text);
	*failed = 1;
}

static void
health_cb(void *arg, const struct elbv2_target_healths *th,
    const struct api_err *err)
{
	struct watch	*w = arg;
	size_t		 i;

	w->th = NULL;
	if (err != NULL) {
		watch_err(w, err->status, err->code, err->text,
		    &w->health_failed);
		w->in.have_health = 0;
		watch_judge(w);
		return;
	}
	w->health_failed = 0;
	w->in.have_health = 1;
	w->in.healthy = w->in.unhealthy = 0;
	for (i = 0; i < th->n; i++) {
		switch (th->v[i].st) {
		case ELBV2_TS_HEALTHY:
			w->in.healthy++;
			break;
		case ELBV2_TS_UNHEALTHY:
		case ELBV2_TS_UNHEALTHY_DRAINING:
			w->in.unhealthy++;
			break;
		default:
			break;
		}
	}
	watch_judge(w);
}

/*
 * The value of series s at ts: 0, or -1 when it has none then. Series are
 * newest first and asked with falling ts, so *j only moves forward: a
 * day-long bake is one pass, not a square.
 */
static int
series_at(const struct cw_series *s, size_t *j, int64_t ts, double *v)
{
	while (*j < s->n && s->v[*j].ts > ts)
		(*j)++;
	if (*j < s->n && s->v[*j].ts == ts) {
		*v = s->v[*j].value;
		return 0;
	}
	return -1;
}

/* A target group's datapoints since the bake began, summed (state/gate.h). */
static void
point_of(const struct cw_alb_metrics *mx, enum cw_tg tg, int64_t since,
    struct gate_point *gp)
{
	const struct cw_series	*req;
	struct gate_sample	 sm;
	size_t			 i, j5 = 0, jp = 0;
	int			 complete;

	memset(gp, 0, sizeof(*gp));
	if (!mx->asked[tg])
		return;
	req = &mx->s[tg][CW_M_REQUESTS];
	/* Asked and complete, with no point at that time: no 5xx. */
	complete = mx->s[tg][CW_M_5XX].st == CW_ST_COMPLETE;
	for (i = 0; i < req->n; i++) {
		if (!gate_in_bake(req->v[i].ts, WATCH_PERIOD_S, since))
			continue;
		memset(&sm, 0, sizeof(sm));
		sm.ts = req->v[i].ts;
		sm.requests = req->v[i].value;
		sm.have_5xx = series_at(&mx->s[tg][CW_M_5XX], &j5, sm.ts,
		    &sm.n5xx) == 0 || complete;
		sm.have_p99 = series_at(&mx->s[tg][CW_M_P99], &jp, sm.ts,
		    &sm.p99_ms) == 0;
		sm.p99_ms *= 1000.0;
		gate_point_add(gp, &sm);
	}
}

static void
metrics_cb(void *arg, const struct cw_alb_metrics *mx, const struct api_err *err)
{
	struct watch	*w = arg;

	w->cw = NULL;
	if (err != NULL) {
		watch_err(w, err->status, err->code, err->text,
		    &w->metrics_failed);
		memset(&w->in.ecs, 0, sizeof(w->in.ecs));
		memset(&w->in.droplets, 0, sizeof(w->in.droplets));
		watch_judge(w);
		return;
	}
	w->metrics_failed = 0;
	point_of(mx, CW_TG_ECS, w->since, &w->in.ecs);
	point_of(mx, CW_TG_DROPLET, w->since, &w->in.droplets);
	watch_judge(w);
}

static void
alarms_cb(void *arg, const struct cw_alarms *al, const struct api_err *err)
{
	struct watch	*w = arg;
	size_t		 i;

	w->al = NULL;
	if (err != NULL) {
		watch_err(w, err->status, err->code, err->text,
		    &w->alarms_failed);
		w->in.have_alarms = 0;
		watch_judge(w);
		return;
	}
	w->alarms_failed = 0;
	w->in.have_alarms = 1;
	w->in.alarms_firing = w->in.alarms_unknown = 0;
	w->alarm_name[0] = '\0';
	for (i = 0; i < al->n; i++) {
		if (al->v[i].st == CW_AL_ALARM) {
			if (w->in.alarms_firing++ == 0)
				snprintf(w->alarm_name, sizeof(w->alarm_name),
				    "%s", al->v[i].name);
		} else if (al->v[i].st != CW_AL_OK)
			w->in.alarms_unknown++;
	}
	watch_judge(w);
}

static void
watch_metrics(struct watch *w, struct aws *aws)
{
	const struct plan	*p = w->m->plan;
	struct cw_alb_query	 q;
	char			 lb[256], why[256];
	size_t			 n = 0;

	watch_query(p, w->relative, lb, sizeof(lb), &q);
	/* The whole bake, from the period it began in, a day at most. */
	q.end = (int64_t)time(NULL);
	q.start = w->since / 1000 / WATCH_PERIOD_S * WATCH_PERIOD_S -
	    WATCH_PERIOD_S;
	if (q.start < q.end - WATCH_SPAN_MAX_S)
		q.start = q.end - WATCH_SPAN_MAX_S;
	if (q.load_balancer == NULL || q.tg[CW_TG_ECS] == NULL ||
	    cw_alb_query_check(&q, why, sizeof(why)) == -1) {
		snprintf(w->error, sizeof(w->error), "GetMetricData: the plan's "
		    "ARNs do not give CloudWatch dimensions");
		return;
	}
	if (w->cw == NULL)
		w->cw = cw_get_alb_metrics(aws, &q, metrics_cb, w);
	while (p->gates.alarms != NULL && p->gates.alarms[n] != NULL)
		n++;
	if (n > CW_MAX_ALARMS)
		n = CW_MAX_ALARMS;
	if (n > 0 && w->al == NULL)
		w->al = cw_describe_alarms(aws,
		    (const char *const *)p->gates.alarms, n, alarms_cb, w);
}

static void
watch_tick(evutil_socket_t fd, short what, void *arg)
{
	struct watch		*w = arg;
	const struct plan	*p = w->m->plan;
	struct timeval		 tv;
	struct aws		*aws;
	int64_t			 now = now_ms(), every, mono;

	/* A final error is reported once, with the judgment after it. */
	w->error[0] = '\0';
	/* Due at due_us; the next one is due an interval after this one
	 * was, so lateness does not pile up. */
	mono = now_mono_us();
	if (w->due_us != 0)
		late_add(mono - w->due_us);
	every = p->traffic.poll_interval;
	w->due_us = (w->due_us != 0 ? w->due_us : mono) + every * 1000;
	if (w->due_us < mono)
		w->due_us = mono;
	tv.tv_sec = (w->due_us - mono) / 1000000;
	tv.tv_usec = (w->due_us - mono) % 1000000;
	evtimer_add(w->ev, &tv);
	if ((aws = watch_aws(w)) == NULL) {
		watch_judge(w);
		return;
	}
	if (w->th == NULL)
		w->th = elbv2_describe_target_health(aws,
		    p->traffic.ecs_tg_arn, NULL, 0, health_cb, w);
	if (now >= w->next_metrics) {
		w->next_metrics = now + (every > WATCH_METRICS_MS ? every :
		    WATCH_METRICS_MS);
		watch_metrics(w, aws);
	}
}

static void
watch_judge(struct watch *w)
{
	const struct plan	*p = w->m->plan;
	const struct lagstat	*ls;
	const char		*error;

	w->in.relative = w->relative;
	w->in.check_lag = w->check_lag;
	w->in.lag_ms = -1;
	if (w->lag != NULL && (ls = lag_stat(w->lag))->known)
		w->in.lag_ms = ls->heartbeat_ms;
	w->in.check_alarms = p->gates.alarms != NULL &&
	    p->gates.alarms[0] != NULL;
	w->in.alarm_firing = w->alarm_name[0] != '\0' ? w->alarm_name : NULL;
	w->in.error = w->health_failed || w->metrics_failed ||
	    w->alarms_failed ? "some AWS reads failed" : NULL;
	gate_judge(p, &w->in, &w->res);
	w->judged = 1;
	w->judged_at = now_ms();
	error = w->error[0] != '\0' ? w->error : NULL;
	w->cb(w->arg, &w->res, &w->in, error);
	/* The owner may have freed w: touch nothing after the callback. */
}

struct watch *
watch_new(struct daemon *d, struct migration *m, int64_t since, int relative,
    const struct lag *lag, watch_cb cb, void *arg)
{
	struct watch	*w;

	w = xcalloc(1, sizeof(*w));
	w->d = d;
	w->m = m;
	w->since = since;
	w->relative = relative;
	w->check_lag = lag != NULL;
	w->lag = lag;
	w->cb = cb;
	w->arg = arg;
	if ((w->ev = evtimer_new(d->base, watch_tick, w)) == NULL)
		fatalx("evtimer_new");
	/* The first reads go out on the next loop turn. */
	event_active(w->ev, EV_TIMEOUT, 0);
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	elbv2_cancel(w->th);
	cw_cancel(w->cw);
	cw_cancel(w->al);
	event_free(w->ev);
	free(w);
}

int64_t
watch_point_end(const struct watch *w)
{
	if (w == NULL || !w->in.ecs.have)
		return 0;
	return (w->in.ecs.ts + WATCH_PERIOD_S) * 1000;
}

static json_t *
rate_json(const struct gate_point *gp)
{
	if (!gp->have || gp->requests <= 0)
		return json_null();
	return json_real((gp->have_5xx ? gp->n5xx : 0) / gp->requests);
}

json_t *
watch_json(const struct watch *w)
{
	const struct gate_input	*in;

	if (w == NULL || !w->judged)
		return NULL;
	in = &w->in;
	return json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:o}",
	    "verdict", gate_verdict_name(w->res.verdict),
	    "detail", w->res.text,
	    "at", (json_int_t)w->judged_at,
	    "ecs_healthy", in->have_health ? json_integer(in->healthy) :
	    json_null(),
	    "ecs_unhealthy", in->have_health ? json_integer(in->unhealthy) :
	    json_null(),
	    "ecs_requests", in->ecs.have ? json_real(in->ecs.requests) :
	    json_null(),
	    "ecs_datapoints", json_integer(in->ecs.npoints),
	    "ecs_5xx_rate", rate_json(&in->ecs),
	    "ecs_p99_ms", in->ecs.have_p99 ? json_real(in->ecs.p99_ms) :
	    json_null(),
	    "droplets_5xx_rate", rate_json(&in->droplets),
	    "droplets_p99_ms", in->droplets.have_p99 ?
	    json_real(in->droplets.p99_ms) : json_null(),
	    "lag_ms", in->check_lag && in->lag_ms >= 0 ?
	    json_integer(in->lag_ms) : json_null(),
	    "alarms_firing", in->check_alarms && in->have_alarms ?
	    json_integer(in->alarms_firing) : json_null());
}
