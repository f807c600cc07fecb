/*
 * gate: pass, hold or breach, from what the watcher last read. Pure: the
 * plan and the input in, a verdict and its reasons out.
 *
 * Requests and 5xx are the bake's sums (gate_point_add); p99 the newest
 * datapoint's.
 *
 * The 5xx count: an ALB publishes HTTPCode_Target_5XX_Count only for
 * periods that had such answers, so a period with requests and no 5xx
 * datapoint had none. The requests themselves must be there: without
 * them nothing is known.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gate.h"
#include "plan.h"

struct gate_acc {
	struct gate_result	*r;
	size_t			 off;
	int			 breach, hold;
};

static void gate_add(struct gate_acc *, int breach, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A reason; breaches go first, so the text leads with what broke. */
static void
gate_add(struct gate_acc *a, int breach, const char *fmt, ...)
{
	char		 buf[256];
	char		*t = a->r->text;
	size_t		 n, len = sizeof(a->r->text);
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (breach && a->hold > 0 && a->breach == 0) {
		/* Holds were written: start over with the breach. */
		a->off = 0;
		t[0] = '\0';
	}
	if (!breach && a->breach > 0) {
		a->hold++;
		return;
	}
	if (breach)
		a->breach++;
	else
		a->hold++;
	if (a->off >= len - 1)
		return;
	n = (size_t)snprintf(t + a->off, len - a->off, "%s%s",
	    a->off > 0 ? "; " : "", buf);
	a->off += n < len - a->off ? n : len - a->off - 1;
}

static double
rate(const struct gate_point *p)
{
	return p->have_5xx && p->requests > 0 ? p->n5xx / p->requests : 0;
}

int
gate_in_bake(int64_t ts, int period, int64_t since_ms)
{
	return (ts + period) * 1000 > since_ms;
}

void
gate_point_add(struct gate_point *gp, const struct gate_sample *s)
{
	int	newest = !gp->have || s->ts >= gp->ts;

	gp->have = 1;
	gp->npoints++;
	gp->requests += s->requests;
	if (s->have_5xx) {
		gp->have_5xx = 1;
		gp->n5xx += s->n5xx;
	}
	if (newest) {
		gp->ts = s->ts;
		gp->have_p99 = s->have_p99;
		gp->p99_ms = s->have_p99 ? s->p99_ms : 0;
	}
}

static void
judge_health(const struct plan *p, const struct gate_input *in,
    struct gate_acc *a)
{
	if (!in->have_health) {
		gate_add(a, 0, "no ECS target health read yet");
		return;
	}
	if (in->unhealthy > 0)
		gate_add(a, 1, "%d ECS target%s unhealthy", in->unhealthy,
		    in->unhealthy == 1 ? "" : "s");
	if (in->healthy < p->gates.min_healthy)
		gate_add(a, 1, "%d healthy ECS target%s, gates.min_healthy is "
		    "%d", in->healthy, in->healthy == 1 ? "" : "s",
		    p->gates.min_healthy);
}

static void
judge_metrics(const struct plan *p, const struct gate_input *in,
    struct gate_acc *a)
{
	const struct gate_point	*e = &in->ecs, *d = &in->droplets;
	double			 er, dr;

	if (!e->have) {
		gate_add(a, 0, "no ALB datapoint for the ECS target group");
		return;
	}
	if (e->requests < p->gates.min_requests) {
		gate_add(a, 0, "%.0f requests to ECS over the bake (%d "
		    "datapoint%s), fewer than gates.min_requests (%d)",
		    e->requests, e->npoints, e->npoints == 1 ? "" : "s",
		    p->gates.min_requests);
		return;
	}
	er = rate(e);
	if (er > p->gates.max_5xx_rate)
		gate_add(a, 1, "ECS 5xx rate %.2f%% above gates.max_5xx_rate "
		    "%.2f%% (%.0f of %.0f requests)", er * 100,
		    p->gates.max_5xx_rate * 100, e->n5xx, e->requests);
	if (!e->have_p99)
		gate_add(a, 0, "no p99 response time for ECS");
	else if (e->p99_ms > (double)p->gates.max_p99)
		gate_add(a, 1, "ECS p99 %.0f ms above gates.max_p99 %lld ms",
		    e->p99_ms, (long long)p->gates.max_p99);
	if (!in->relative)
		return;
	if (!d->have || d->requests < p->gates.min_requests) {
		gate_add(a, 0, "no droplet datapoints over the bake with "
		    "gates.min_requests to compare with");
		return;
	}
	dr = rate(d);
	/* Relative to a droplet fleet without errors: absolute alone. */
	if (dr > 0 && er > p->gates.max_5xx_ratio * dr)
		gate_add(a, 1, "ECS 5xx rate %.2f%% is %.1fx the droplets' "
		    "%.2f%%, above gates.max_5xx_ratio %.1f", er * 100,
		    er / dr, dr * 100, p->gates.max_5xx_ratio);
	if (!d->have_p99 || !e->have_p99)
		gate_add(a, 0, "no droplet p99 to compare with");
	else if (d->p99_ms > 0 && e->p99_ms > p->gates.max_p99_ratio *
	    d->p99_ms)
		gate_add(a, 1, "ECS p99 %.0f ms is %.1fx the droplets' %.0f ms, "
		    "above gates.max_p99_ratio %.1f", e->p99_ms,
		    e->p99_ms / d->p99_ms, d->p99_ms, p->gates.max_p99_ratio);
}

void
gate_judge(const struct plan *p, const struct gate_input *in,
    struct gate_result *r)
{
	struct gate_acc	 a = { .r = r };

	r->text[0] = '\0';
	judge_health(p, in, &a);
	judge_metrics(p, in, &a);
	if (in->check_lag) {
		if (in->lag_ms < 0)
			gate_add(&a, 0, "heartbeat lag unknown");
		else if (in->lag_ms > p->gates.max_lag)
			gate_add(&a, 1, "heartbeat lag %lld ms above "
			    "gates.max_lag %lld ms", (long long)in->lag_ms,
			    (long long)p->gates.max_lag);
	}
	if (in->check_alarms) {
		if (!in->have_alarms)
			gate_add(&a, 0, "alarm states not read yet");
		else if (in->alarms_firing > 0)
			gate_add(&a, 1, "%d alarm%s in ALARM (%s)",
			    in->alarms_firing, in->alarms_firing == 1 ? "" :
			    "s", in->alarm_firing ? in->alarm_firing : "?");
		else if (in->alarms_unknown > 0)
			gate_add(&a, 0, "%d alarm%s without data or not found",
			    in->alarms_unknown, in->alarms_unknown == 1 ? "" :
			    "s");
	}
	if (in->error != NULL)
		gate_add(&a, 0, "%s", in->error);
	if (a.breach > 0)
		r->verdict = GATE_BREACH;
	else if (a.hold > 0)
		r->verdict = GATE_HOLD;
	else {
		r->verdict = GATE_PASS;
		snprintf(r->text, sizeof(r->text), "every gate holds");
	}
}

const char *
gate_verdict_name(enum gate_verdict v)
{
	switch (v) {
	case GATE_PASS:
		return "pass";
	case GATE_BREACH:
		return "breach";
	case GATE_HOLD:
		break;
	}
	return "hold";
}
