/*
 * estimate: one GetMetricData over the last day, per minute (the
 * periods the gates judge), for both target groups; the rate is the sum
 * of RequestCount over the time from the oldest datapoint to now (or to
 * the end of the newest period, if later) (an app
 * younger than a day is measured over its life, not diluted by the hours
 * before it existed). ALB publishes no datapoint for a minute without
 * requests, so the quiet minutes inside that time count as zero, as they
 * should: the night is part of the day a bake may fall in.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cloudwatch.h"
#include "conf.h"
#include "daemon.h"
#include "estimate.h"
#include "log.h"
#include "plan.h"
#include "watch.h"
#include "xmalloc.h"

struct estimate_call {
	struct daemon		*d;
	const struct plan	*p;
	estimate_cb		 cb;
	void			*arg;
	struct cw_call		*cw;
	struct event		*ev;		/* timeout, or "now" on error */
	struct estimate		 est;
};

/* A bake rounded up to what an operator writes: s, then m, then h. */
static int64_t
round_bake(double s)
{
	int64_t	u = s < 120 ? 1 : s < 7200 ? 60 : 3600;

	return (int64_t)ceil(s / (double)u - 1e-6) * u * 1000;
}

static void
fmt_requests(double n, char *buf, size_t len)
{
	snprintf(buf, len, n < 10 ? "%.1f" : "%.0f", n);
}

void
estimate_judge(const struct plan *p, int have, double requests,
    int64_t span_s, const char *why, struct estimate *e)
{
	const struct est_step	*bad = NULL;
	double			 bake_s = (double)p->traffic.bake / 1000;
	double			 per;
	char			 n[32], b1[32], b2[32];
	int			 k;

	memset(e, 0, sizeof(*e));
	e->nsteps = p->traffic.nsteps;
	e->span_s = span_s;
	for (k = 0; k < p->traffic.nsteps; k++) {
		e->steps[k].pct = p->traffic.steps[k] == PLAN_STEP_RULE ? 0 :
		    p->traffic.steps[k];
		e->steps[k].requests = -1;
	}
	if (!have || requests <= 0 || span_s <= 0) {
		e->verdict = EST_UNKNOWN;
		snprintf(e->text, sizeof(e->text), "no RequestCount for the "
		    "target groups in the last day%s%s%s: whether each step "
		    "gathers gates.min_requests (%d) in a bake is not known; "
		    "a step that holds alerts after gates.max_hold",
		    why ? " (" : "", why ? why : "", why ? ")" : "",
		    p->gates.min_requests);
		return;
	}
	e->rate = requests / (double)span_s;
	e->verdict = EST_OK;
	for (k = 0; k < e->nsteps; k++) {
		if (e->steps[k].pct == 0) {
			/* The rule's share of the traffic is not known. */
			e->steps[k].ok = 1;
			continue;
		}
		e->steps[k].requests = e->rate * e->steps[k].pct / 100 * bake_s;
		/* Within rounding: 0.5/s * 30 % * 20 s is 3. */
		e->steps[k].ok = e->steps[k].requests + 1e-6 >=
		    p->gates.min_requests;
		if (!e->steps[k].ok && bad == NULL)
			bad = &e->steps[k];
	}
	if (bad == NULL)
		return;
	e->verdict = EST_SHORT;
	per = e->rate * bad->pct / 100;
	e->bake_needed = round_bake(p->gates.min_requests / per);
	/* The plan's own first step that would do, else the least one. */
	e->start_pct = (int)ceil(p->gates.min_requests * 100.0 /
	    (e->rate * bake_s) - 1e-6);
	for (k = 0; k < e->nsteps; k++)
		if (e->steps[k].ok && e->steps[k].pct > 0) {
			e->start_pct = e->steps[k].pct;
			break;
		}
	if (e->start_pct > 99)
		e->start_pct = 0;
	fmt_requests(bad->requests, n, sizeof(n));
	conf_duration_str(p->traffic.bake, b1, sizeof(b1));
	conf_duration_str(e->bake_needed, b2, sizeof(b2));
	if (e->start_pct > 0)
		snprintf(e->text, sizeof(e->text), "step %d %%: about %s "
		    "requests in %s, under gates.min_requests %d; use bake >= "
		    "%s or start at %d %%", bad->pct, n, b1,
		    p->gates.min_requests, b2, e->start_pct);
	else
		snprintf(e->text, sizeof(e->text), "step %d %%: about %s "
		    "requests in %s, under gates.min_requests %d; use bake >= "
		    "%s", bad->pct, n, b1, p->gates.min_requests, b2);
}

json_t *
estimate_json(const struct estimate *e)
{
	static const char *const names[] = {
		[EST_OK] = "ok", [EST_SHORT] = "short", [EST_UNKNOWN] = "unknown"
	};
	json_t	*steps = json_array();
	int	 k;

	for (k = 0; k < e->nsteps; k++)
		json_array_append_new(steps, json_pack("{s:o, s:o, s:b}",
		    "ecs_percent", e->steps[k].pct > 0 ?
		    json_integer(e->steps[k].pct) : json_string("rule"),
		    "requests_per_bake", e->steps[k].requests >= 0 ?
		    json_real(e->steps[k].requests) : json_null(),
		    "ok", e->steps[k].ok));
	return json_pack("{s:s, s:o, s:I, s:o, s:o, s:o, s:s}",
	    "verdict", names[e->verdict],
	    "rate_per_min", e->verdict != EST_UNKNOWN ?
	    json_real(e->rate * 60) : json_null(),
	    "span_s", (json_int_t)e->span_s,
	    "steps", steps,
	    "bake_needed_ms", e->bake_needed > 0 ?
	    json_integer(e->bake_needed) : json_null(),
	    "start_percent", e->start_pct > 0 ? json_integer(e->start_pct) :
	    json_null(),
	    "text", e->text);
}

static void
est_free(struct estimate_call *c)
{
	cw_cancel(c->cw);
	event_free(c->ev);
	free(c);
}

/* The answer (or the error) is in c->est: hand it over, then go. */
static void
est_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct estimate_call	*c = arg;

	if (what & EV_TIMEOUT && c->cw != NULL) {
		cw_cancel(c->cw);
		c->cw = NULL;
		estimate_judge(c->p, 0, 0, 0, "CloudWatch did not answer in "
		    "time", &c->est);
	}
	c->cb(c->arg, &c->est);
	est_free(c);
}

static void
est_metrics_cb(void *arg, const struct cw_alb_metrics *mx,
    const struct api_err *err)
{
	struct estimate_call	*c = arg;
	const struct cw_series	*s;
	int64_t			 end = (int64_t)time(NULL), oldest = end;
	int64_t			 newest = 0;
	double			 sum = 0;
	size_t			 i;
	int			 tg, have = 0;

	c->cw = NULL;
	if (err != NULL)
		estimate_judge(c->p, 0, 0, 0, err->text, &c->est);
	else {
		for (tg = 0; tg < CW_NTG; tg++) {
			s = &mx->s[tg][CW_M_REQUESTS];
			for (i = 0; i < s->n; i++) {
				have = 1;
				sum += s->v[i].value;
				if (s->v[i].ts < oldest)
					oldest = s->v[i].ts;
				if (s->v[i].ts > newest)
					newest = s->v[i].ts;
			}
		}
		/* To the end of the newest period, or now if later. */
		if (newest + WATCH_PERIOD_S > end)
			end = newest + WATCH_PERIOD_S;
		estimate_judge(c->p, have, sum, end - oldest, NULL, &c->est);
	}
	event_del(c->ev);
	event_active(c->ev, EV_READ, 0);
}

struct estimate_call *
estimate_start(struct daemon *d, const struct plan *p, estimate_cb cb,
    void *arg)
{
	struct estimate_call	*c;
	struct cw_alb_query	 q;
	struct timeval		 tv = { ESTIMATE_TIMEOUT_MS / 1000,
				    (ESTIMATE_TIMEOUT_MS % 1000) * 1000 };
	struct aws		*aws;
	char			 lb[256], why[256];

	c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->p = p;
	c->cb = cb;
	c->arg = arg;
	if ((c->ev = event_new(d->base, -1, 0, est_done_cb, c)) == NULL)
		fatalx("event_new");
	watch_query(p, 1, lb, sizeof(lb), &q);
	q.end = (int64_t)time(NULL);
	q.start = q.end - ESTIMATE_SPAN_S;
	if ((aws = daemon_aws(d, daemon_aws_region(d, p), why,
	    sizeof(why))) == NULL)
		;
	else if (q.load_balancer == NULL || q.tg[CW_TG_ECS] == NULL ||
	    q.tg[CW_TG_DROPLET] == NULL)
		snprintf(why, sizeof(why), "the plan's ARNs do not give "
		    "CloudWatch dimensions");
	else if (cw_alb_query_check(&q, why, sizeof(why)) == 0 &&
	    (c->cw = cw_get_alb_metrics(aws, &q, est_metrics_cb, c)) ==
	    NULL)
		snprintf(why, sizeof(why), "GetMetricData could not start");
	if (c->cw == NULL) {
		estimate_judge(p, 0, 0, 0, why, &c->est);
		event_active(c->ev, EV_READ, 0);
	} else
		event_add(c->ev, &tv);
	return c;
}

void
estimate_cancel(struct estimate_call *c)
{
	if (c != NULL)
		est_free(c);
}
