/*
 * shadow: the ECS service is brought up to traffic.ecs_desired tasks
 * before any user is sent to it, and the phase ends when ECS says the
 * deployment is done and the ALB says enough of its targets are healthy.
 *
 * "Done" is ECS's own word where it gives one: the primary deployment's
 * rolloutState COMPLETED, no other deployment left, and as many tasks
 * running as desired. A FAILED rollout fails the phase with ECS's reason
 * and its newest event. The desired count is only ever raised: a service
 * the operator already runs larger keeps its size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "aws.h"
#include "daemon.h"
#include "driver.h"
#include "ecs.h"
#include "elbv2.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"
#include "xmalloc.h"

struct shadow {
	struct job		*job;
	struct daemon		*d;
	struct migration	*m;
	struct aws		*aws;
	struct ecs_call		*svc;
	struct elbv2_call	*th;
	struct event		*ev;
	int			 first_again;	/* the first read, once more */
	int			 pending;	/* reads out this round */
	int			 deployed;	/* ECS says done */
	char			 ecs_state[256];
	int			 healthy, unhealthy, have_health;
};

static void	sd_round(struct shadow *);

static void
sd_free(struct shadow *s)
{
	if (s == NULL)
		return;
	ecs_cancel(s->svc);
	elbv2_cancel(s->th);
	event_free(s->ev);
	free(s);
}

static void
sd_cancel(void *arg)
{
	sd_free(arg);
}

static void
sd_fire(struct shadow *s, enum mev ev, const char *detail)
{
	job_end(s->job, s, sd_cancel, ev, detail);
}

static void
sd_later(struct shadow *s)
{
	struct timeval	 tv;
	int64_t		 ms = s->m->plan->traffic.poll_interval;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->ev, &tv);
}

/* Both reads of a round are in: done, or again after a poll interval. */
static void
sd_judge(struct shadow *s)
{
	const struct plan	*p = s->m->plan;
	char			 detail[512];

	if (--s->pending > 0)
		return;
	s->m->obs.ecs_healthy = s->healthy;
	s->m->obs.ecs_unhealthy = s->unhealthy;
	job_progress(s->job, "shadow: %s; ECS target group: %s%d healthy, %d "
	    "unhealthy (gates.min_healthy %d)", s->ecs_state,
	    s->have_health ? "" : "not read, ", s->healthy, s->unhealthy,
	    p->gates.min_healthy);
	daemon_changed(s->d, s->m);
	if (s->deployed && s->have_health && s->unhealthy == 0 &&
	    s->healthy >= p->gates.min_healthy) {
		snprintf(detail, sizeof(detail), "ECS ready: %s; %d healthy "
		    "targets", s->ecs_state, s->healthy);
		sd_fire(s, MEV_SHADOW_READY, detail);
		return;
	}
	sd_later(s);
}

static void
sd_health_cb(void *arg, const struct elbv2_target_healths *th,
    const struct api_err *err)
{
	struct shadow	*s = arg;
	size_t		 i;

	s->th = NULL;
	s->have_health = err == NULL;
	s->healthy = s->unhealthy = 0;
	if (err != NULL)
		log_info("%s: shadow: %s", s->m->name, err->text);
	for (i = 0; err == NULL && i < th->n; i++) {
		if (th->v[i].st == ELBV2_TS_HEALTHY)
			s->healthy++;
		else if (th->v[i].st == ELBV2_TS_UNHEALTHY ||
		    th->v[i].st == ELBV2_TS_UNHEALTHY_DRAINING)
			s->unhealthy++;
	}
	sd_judge(s);
}

static void
sd_service_cb(void *arg, const struct ecs_service *svc,
    const struct api_err *err)
{
	struct shadow			*s = arg;
	const struct ecs_deployment	*dep = NULL;
	const char			*state;
	char				 detail[768];
	size_t				 i;

	s->svc = NULL;
	s->deployed = 0;
	if (err != NULL && !aws_transient(err->status, err->code)) {
		/* AWS said no (the service gone, access denied): stop. */
		snprintf(detail, sizeof(detail), "shadow: %s", err->text);
		sd_fire(s, MEV_FAIL, detail);
		return;
	}
	if (err != NULL) {
		snprintf(s->ecs_state, sizeof(s->ecs_state), "ECS not read "
		    "(%.200s)", err->text);
		sd_judge(s);
		return;
	}
	for (i = 0; i < svc->ndeployments; i++)
		if (svc->deployments[i].primary)
			dep = &svc->deployments[i];
	state = dep != NULL && dep->rollout_state != NULL ?
	    dep->rollout_state : "no rollout state";
	if (dep != NULL && dep->rollout == ECS_RO_FAILED) {
		snprintf(detail, sizeof(detail), "the ECS deployment failed: "
		    "%s%s%s", dep->rollout_state_reason ?
		    dep->rollout_state_reason : "no reason given",
		    svc->nevents > 0 ? "; newest event: " : "",
		    svc->nevents > 0 ? svc->events[0].message : "");
		sd_fire(s, MEV_FAIL, detail);
		return;
	}
	snprintf(s->ecs_state, sizeof(s->ecs_state), "%d of %d tasks running, "
	    "deployment %s%s", svc->running_count, svc->desired_count, state,
	    svc->ndeployments > 1 ? ", an older deployment still active" : "");
	s->deployed = dep != NULL && svc->ndeployments == 1 &&
	    svc->running_count >= svc->desired_count &&
	    svc->desired_count >= s->m->plan->traffic.ecs_desired &&
	    (dep->rollout == ECS_RO_COMPLETED || dep->rollout == ECS_RO_NONE);
	sd_judge(s);
}

static void
sd_round(struct shadow *s)
{
	const struct plan	*p = s->m->plan;

	s->pending = 2;
	if ((s->svc = ecs_describe_service(s->aws, p->traffic.ecs_cluster,
	    p->traffic.ecs_service, sd_service_cb, s)) == NULL) {
		sd_fire(s, MEV_FAIL, "DescribeServices could not start");
		return;
	}
	if ((s->th = elbv2_describe_target_health(s->aws,
	    p->traffic.ecs_tg_arn, NULL, 0, sd_health_cb, s)) == NULL)
		sd_fire(s, MEV_FAIL, "DescribeTargetHealth could not start");
}

static void	sd_first(struct shadow *);

static void
sd_tick(evutil_socket_t fd, short what, void *arg)
{
	struct shadow	*s = arg;

	if (s->first_again) {
		s->first_again = 0;
		sd_first(s);
		return;
	}
	sd_round(s);
}

static void
sd_scaled_cb(void *arg, const struct ecs_service *svc,
    const struct api_err *err)
{
	struct shadow	*s = arg;
	char		 detail[768];

	s->svc = NULL;
	if (err != NULL) {
		snprintf(detail, sizeof(detail), "shadow: %s", err->text);
		sd_fire(s, MEV_FAIL, detail);
		return;
	}
	snprintf(detail, sizeof(detail), "shadow: ECS service %s wants %d "
	    "tasks", s->m->plan->traffic.ecs_service, svc->desired_count);
	store_journal(s->d->store, s->m->id, "info", detail);
	sd_round(s);
}

/* First read: raise the desired count if it is short. */
static void
sd_first_cb(void *arg, const struct ecs_service *svc,
    const struct api_err *err)
{
	struct shadow		*s = arg;
	const struct plan	*p = s->m->plan;
	char			 detail[768];

	s->svc = NULL;
	if (err != NULL && aws_transient(err->status, err->code)) {
		/* AWS busy: ask again after a poll interval. */
		log_info("%s: shadow: %s", s->m->name, err->text);
		s->first_again = 1;
		sd_later(s);
		return;
	}
	if (err != NULL) {
		snprintf(detail, sizeof(detail), "shadow: %s", err->text);
		sd_fire(s, MEV_FAIL, detail);
		return;
	}
	if (svc->desired_count >= p->traffic.ecs_desired) {
		sd_round(s);
		return;
	}
	snprintf(detail, sizeof(detail), "shadow: scaling ECS service %s from "
	    "%d to %d tasks", p->traffic.ecs_service, svc->desired_count,
	    p->traffic.ecs_desired);
	store_journal(s->d->store, s->m->id, "info", detail);
	log_info("%s: %s", s->m->name, detail);
	if ((s->svc = ecs_update_desired(s->aws, p->traffic.ecs_cluster,
	    p->traffic.ecs_service, p->traffic.ecs_desired, sd_scaled_cb,
	    s)) == NULL)
		sd_fire(s, MEV_FAIL, "UpdateService could not start");
}

static void
shadow_enter(struct job *j, enum phase from)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	const struct plan	*p = m->plan;
	struct shadow		*s;
	char			 why[256];

	s = xcalloc(1, sizeof(*s));
	s->job = j;
	s->d = d;
	s->m = m;
	if ((s->ev = evtimer_new(d->base, sd_tick, s)) == NULL)
		fatalx("evtimer_new");
	job_own(j, s);
	if ((s->aws = daemon_aws(d, daemon_aws_region(d, p), why, sizeof(why))) ==
	    NULL) {
		sd_fire(s, MEV_FAIL, why);
		return;
	}
	job_progress(j, "shadow: reading the ECS service");
	sd_first(s);
}

static void
sd_first(struct shadow *s)
{
	const struct plan	*p = s->m->plan;

	if ((s->svc = ecs_describe_service(s->aws, p->traffic.ecs_cluster,
	    p->traffic.ecs_service, sd_first_cb, s)) == NULL)
		sd_fire(s, MEV_FAIL, "DescribeServices could not start");
}

const struct phase_driver shadow_driver = {
	.phase = PH_SHADOW,
	.enter = shadow_enter,
	.cancel = sd_cancel,
};
