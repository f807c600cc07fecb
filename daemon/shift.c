/*
 * shift: shifting, full_traffic and soak, and the traffic half of a
 * rollback.
 *
 * A step: put its weights (or the Method B rule) on the listener and read
 * them back, then bake. The bake's start is a fact, so a restart in the
 * middle of a step finds the listener already showing the step's weights
 * (traffic.c tells the daemon's own change from someone else's) and
 * bakes on from where it was. The step ends when the bake time is over,
 * the gates pass, and a datapoint from within the step has been judged:
 * a minute of ALB metrics from before the step says nothing about it.
 *
 * Every judgment is acted on at once: a breach sends the weights back to
 * the droplets, with the operator's own stickiness (no cookie keeps a
 * user on ECS), without reading the listener first, then journals the
 * values that broke and pauses. traffic.stickiness is on for the weighted
 * steps and for 0/100, and put back as the operator had it once the
 * listener forwards to ECS alone. Between
 * judgments the listener is read once per poll interval; weights that
 * someone else changed pause the migration, untouched.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "conf.h"
#include "daemon.h"
#include "driver.h"
#include "facts.h"
#include "job.h"
#include "loadhook.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "ready.h"
#include "shift.h"
#include "store.h"
#include "traffic.h"
#include "verify.h"
#include "watch.h"
#include "webhook.h"
#include "xmalloc.h"

enum sh_kind { SH_STEP, SH_FULL, SH_SOAK, SH_READY };

enum sh_state {
	SH_SETTING,		/* the step's weights going on */
	SH_BAKING,		/* watching */
	SH_BACK,		/* a breach: weights going back */
	SH_OVER,		/* an event was fired */
};

struct shift {
	struct job		*job;
	struct daemon		*d;
	struct migration	*m;
	enum sh_kind		 kind;
	enum sh_state		 state;
	struct traffic		*tr;
	struct watch		*w;
	struct loadhook		*lh;		/* traffic.load_hook, baking */
	int			 step;
	int64_t			 since;		/* bake or soak start, unix ms */
	int64_t			 checked;	/* listener last read, unix ms */
	int			 checking;
	int			 full_stage;	/* full_traffic: 0 then 1 */
	char			 why[768];	/* the breach or error */
	enum mev		 ev;		/* fired when the rollback ends */
};

int
shift_step_pct(const struct migration *m, int k)
{
	const struct plan	*p = m->plan;

	if (p == NULL || k < 0 || k >= p->traffic.nsteps)
		return 0;
	return p->traffic.steps[k];
}

/* The step's listener: its weights, and the rule once any step has it. */
static void
step_want(const struct migration *m, int k, struct traffic_want *want)
{
	const struct plan	*p = m->plan;

	memset(want, 0, sizeof(*want));
	want->ecs_pct = shift_step_pct(m, k);
	want->rule = p->traffic.steps[0] == PLAN_STEP_RULE;
	/* Sessions stay on their fleet while both take users. */
	want->sticky = want->ecs_pct > 0;
}

static void
sh_free(struct shift *s)
{
	if (s == NULL)
		return;
	watch_free(s->w);
	loadhook_stop(s->lh);
	traffic_cancel(s->tr);
	free(s);
}

static void
sh_cancel(void *arg)
{
	sh_free(arg);
}

/* Fire ev and end the job (the transition cancels nothing of ours). */
static void
sh_fire(struct shift *s, enum mev ev, const char *detail)
{
	s->state = SH_OVER;
	job_end(s->job, s, sh_cancel, ev, detail);
}

static void
sh_progress(struct shift *s, const struct gate_result *r)
{
	const struct plan	*p = s->m->plan;
	int64_t			 left, total;
	const char		*what;

	total = s->kind == SH_SOAK ? p->traffic.soak : p->traffic.bake;
	left = s->since + total - now_ms();
	if (left < 0)
		left = 0;
	what = s->kind == SH_SOAK ? "soak" : "bake";
	if (s->kind == SH_STEP && shift_step_pct(s->m, s->step) == 0)
		job_progress(s->job, "step %d of %d (Method B rule): %s %lld s "
		    "left; gates %s: %s", s->step + 1, p->traffic.nsteps, what,
		    (long long)(left + 999) / 1000,
		    gate_verdict_name(r->verdict), r->text);
	else if (s->kind == SH_STEP)
		job_progress(s->job, "step %d of %d (ECS %d%%): %s %lld s "
		    "left; gates %s: %s", s->step + 1, p->traffic.nsteps,
		    shift_step_pct(s->m, s->step), what,
		    (long long)(left + 999) / 1000,
		    gate_verdict_name(r->verdict), r->text);
	else
		job_progress(s->job, "soak: %lld s left; gates %s: %s",
		    (long long)(left + 999) / 1000,
		    gate_verdict_name(r->verdict), r->text);
}

/* The journal's record of a judgment: the reasons and every value. */
static char *
sh_values_text(struct shift *s, const char *what, const struct gate_result *r)
{
	json_t	*j, *v;
	char	*text;

	v = job_watch_json(s->job);
	j = json_pack("{s:s, s:s, s:o}", "event", what, "reason", r->text,
	    "values", v != NULL ? v : json_null());
	if (s->kind == SH_STEP) {
		json_object_set_new(j, "step", json_integer(s->step + 1));
		json_object_set_new(j, "ecs_percent",
		    json_integer(shift_step_pct(s->m, s->step)));
	}
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

static void
sh_journal_values(struct shift *s, const char *kind, const char *what,
    const struct gate_result *r)
{
	char	*text;

	if ((text = sh_values_text(s, what, r)) != NULL)
		store_journal(s->d->store, s->m->id, kind, text);
	free(text);
}

/* --- a breach or an error: the droplets take everything back --- */

static void
back_cb(void *arg, enum traffic_result r, const char *why)
{
	struct shift	*s = arg;
	char		 detail[1024];

	if (r == TRAFFIC_OK)
		snprintf(detail, sizeof(detail), "%s; weights back on the "
		    "droplets", s->why);
	else {
		snprintf(detail, sizeof(detail), "%s; the weights could NOT be "
		    "put back on the droplets (%s): check the listener", s->why,
		    why);
		store_journal(s->d->store, s->m->id, "error", detail);
	}
	log_warnx("%s: %s", s->m->name, detail);
	sh_fire(s, s->ev, detail);
}

/*
 * The step stops: its reason is a fact before the weights go back, so a
 * restart in between finishes the stop instead of resuming the step.
 */
static void
sh_back(struct shift *s, enum mev ev)
{
	struct traffic_want	 want = { 0 };

	store_fact_setf(s->d->store, s->m->id, SHIFT_FACT_BACK, "%s:%s",
	    ev == MEV_BREACH ? "breach" : "fail", s->why);
	s->state = SH_BACK;
	s->ev = ev;
	job_set_watch(s->job, NULL);
	watch_free(s->w);
	s->w = NULL;
	loadhook_stop(s->lh);
	s->lh = NULL;
	if (traffic_set(s->tr, &want, TRAFFIC_FORCE | TRAFFIC_FAST, back_cb,
	    s) == -1)
		back_cb(s, TRAFFIC_ERROR, "no plan");
}

static void
sh_breach(struct shift *s, const struct gate_result *r)
{
	const struct plan	*p = s->m->plan;
	struct daemon		*d = s->d;
	struct store		*st = s->d->store;
	int64_t			 k, n = 1, mid = s->m->id;
	char			*v, *text;

	if (s->kind == SH_SOAK) {
		snprintf(s->why, sizeof(s->why), "gate breach during the soak: "
		    "%s (the listener is left on ECS; abort to roll back)",
		    r->text);
		sh_journal_values(s, "warning", "breach", r);
		sh_fire(s, MEV_BREACH, s->why);
		return;
	}
	/* How many times this step broke: retry only so often. */
	if ((v = store_fact_get(st, s->m->id, SHIFT_FACT_BREACHES)) != NULL &&
	    sscanf(v, "%" SCNd64 ":%" SCNd64, &k, &n) == 2 && k == s->step)
		n++;
	else
		n = 1;
	free(v);
	store_fact_setf(st, s->m->id, SHIFT_FACT_BREACHES, "%d:%" PRId64,
	    s->step, n);
	if (p->traffic.on_breach == BREACH_RETRY && n < SHIFT_RETRIES_MAX) {
		store_fact_setf(st, s->m->id, SHIFT_FACT_RETRY_AT, "%" PRId64,
		    now_ms() + p->traffic.cooldown);
		snprintf(s->why, sizeof(s->why), "gate breach at step %d: %s; "
		    "retrying after the cool-down (breach %" PRId64 " of %d)",
		    s->step + 1, r->text, n, SHIFT_RETRIES_MAX);
	} else {
		store_fact_set(st, s->m->id, SHIFT_FACT_RETRY_AT, NULL);
		snprintf(s->why, sizeof(s->why), "gate breach at step %d: %s%s",
		    s->step + 1, r->text, p->traffic.on_breach ==
		    BREACH_RETRY ? " (retries used up)" : "");
	}
	/* The record is made first, sent after: the weights go now. */
	text = sh_values_text(s, "breach", r);
	sh_back(s, MEV_BREACH);
	/* s may be gone: only d and m from here. */
	if (text != NULL)
		store_journal(d->store, mid, "warning", text);
	free(text);
}

/* --- watching --- */

static void
check_cb(void *arg, enum traffic_result r, const char *why)
{
	struct shift	*s = arg;
	char		 detail[768];

	s->checking = 0;
	if (r == TRAFFIC_OK || s->state != SH_BAKING)
		return;
	if (r == TRAFFIC_ERROR) {
		/* A failed read: the next poll reads again. */
		log_info("%s: listener read: %s", s->m->name, why);
		return;
	}
	snprintf(detail, sizeof(detail), "alert: %s; paused, the listener is "
	    "left as found", why);
	store_journal(s->d->store, s->m->id, "alert", detail);
	log_warnx("%s: %s", s->m->name, detail);
	sh_fire(s, MEV_HALT, detail);
}

static int	ready_tick(struct shift *);
/*
 * Held on missing data (every hold is: state/gate.h) past gates.max_hold:
 * an alert, then gates.on_hold. The bake must run its time anyway, so the
 * hold is counted from the later of the bake's end and the first
 * judgment that held since the last one that did not. 1: the step was
 * left (paused).
 */
static int
sh_hold(struct shift *s, const struct gate_result *r, int64_t now,
    int64_t total)
{
	const struct plan	*p = s->m->plan;
	struct migration	*m = s->m;
	int64_t			 from;
	char			 what[64], a[32], b[32], detail[1024];

	if (r->verdict != GATE_HOLD) {
		if (m->obs.hold_alert)
			store_journal(s->d->store, m->id, "info", "the gates "
			    "have data again after the hold alert");
		m->obs.held_since = 0;
		m->obs.hold_alert = 0;
		return 0;
	}
	if (m->obs.held_since == 0)
		m->obs.held_since = now;
	from = m->obs.held_since > s->since + total ? m->obs.held_since :
	    s->since + total;
	if (m->obs.hold_alert || now - from <= p->gates.max_hold)
		return 0;
	m->obs.hold_alert = 1;
	if (s->kind == SH_SOAK)
		snprintf(what, sizeof(what), "the soak");
	else if (shift_step_pct(m, s->step) == 0)
		snprintf(what, sizeof(what), "step %d (Method B rule)",
		    s->step + 1);
	else
		snprintf(what, sizeof(what), "step %d (ECS %d%%)", s->step + 1,
		    shift_step_pct(m, s->step));
	conf_duration_str((now - from) / 1000 * 1000, a, sizeof(a));
	conf_duration_str(p->gates.max_hold, b, sizeof(b));
	snprintf(detail, sizeof(detail), "alert: %s held on missing data %s "
	    "past its %s, over gates.max_hold %s: %s; %s", what, a,
	    s->kind == SH_SOAK ? "soak time" : "bake", b, r->text,
	    p->gates.on_hold == HOLD_PAUSE ? "paused (gates.on_hold = pause), "
	    "the listener is left as found: resume to bake again, abort to "
	    "roll back" : "waiting on (gates.on_hold = wait)");
	store_journal(s->d->store, m->id, "alert", detail);
	log_warnx("%s: %s", m->name, detail);
	if (p->gates.on_hold == HOLD_PAUSE) {
		/* The pause's transition is the webhook's message. */
		sh_fire(s, MEV_HALT, detail);
		return 1;
	}
	webhook_alert(s->d->webhook, m, detail);
	return 0;
}

static void
sh_watch_cb(void *arg, const struct gate_result *r, const struct gate_input *in,
    const char *error)
{
	struct shift		*s = arg;
	const struct plan	*p = s->m->plan;
	int64_t			 now = now_ms(), total;
	char			 detail[768];

	if (s->state != SH_BAKING)
		return;
	s->m->obs.gates_ok = r->verdict == GATE_PASS;
	if (s->kind != SH_SOAK)
		s->m->obs.ecs_healthy = in->healthy;
	if (s->kind != SH_READY)
		sh_progress(s, r);
	daemon_changed(s->d, s->m);
	if (r->verdict == GATE_BREACH) {
		sh_breach(s, r);
		return;
	}
	if (error != NULL) {
		snprintf(s->why, sizeof(s->why), "the gates cannot be read: %s",
		    error);
		if (s->kind == SH_SOAK)
			sh_fire(s, MEV_FAIL, s->why);
		else
			sh_back(s, MEV_FAIL);
		return;
	}
	/* s is gone when the cutover began. */
	if (s->kind == SH_READY && ready_tick(s))
		return;
	total = s->kind == SH_SOAK ? p->traffic.soak : p->traffic.bake;
	if (s->kind != SH_READY && sh_hold(s, r, now, total))
		return;
	/* No data is never a pass: the sums need a datapoint of the bake. */
	if (s->kind != SH_READY && r->verdict == GATE_PASS &&
	    now - s->since >= total &&
	    watch_point_end(s->w) > s->since) {
		if (s->kind == SH_SOAK) {
			s->m->obs.soak_ok = 1;
			store_fact_set(s->d->store, s->m->id, SOAK_FACT_PASSED,
			    "1");
			sh_journal_values(s, "info", "soaked", r);
			sh_fire(s, MEV_SOAKED, "the gates held for the soak");
		} else {
			snprintf(detail, sizeof(detail), "step %d baked: the "
			    "gates held for %lld s", s->step + 1,
			    (long long)(now - s->since) / 1000);
			sh_journal_values(s, "info", "baked", r);
			sh_fire(s, MEV_BAKED, detail);
		}
		return;
	}
	/*
	 * Between judgments, is the listener still ours? Every few seconds:
	 * ELBv2's API quota is shared by the whole account.
	 */
	if (!s->checking && now - s->checked >= (p->traffic.poll_interval >
	    SHIFT_DRIFT_CHECK_MS ? p->traffic.poll_interval :
	    SHIFT_DRIFT_CHECK_MS)) {
		s->checked = now;
		s->checking = 1;
		if (traffic_check(s->tr, check_cb, s) == -1)
			s->checking = 0;
	}
}

/*
 * Ready: the last step's weights stay and its gates are watched (a breach
 * sends the weights back and pauses, and resuming bakes the step again);
 * at each judgment, and at once when the watch starts, the window and the
 * approval are asked.
 */
/*
 * Start the comparison the cutover waits for, unless it passed or runs.
 * In ready it is always allowed; the one refusal (the last comparison
 * still closing) is tried again at the next judgment.
 */
static void
ready_verify(struct job *j)
{
	char	why[256];

	if (j->m->plan->cutover.verify_before && !j->m->obs.verified &&
	    !verify_running(j->verify))
		(void)verify_start(j->verify, 1, why, sizeof(why));
}

static int
ready_tick(struct shift *s)
{
	char	text[512];

	ready_verify(s->job);
	if (ready_wait(s->m, time(NULL), verify_text(s->job->verify), text,
	    sizeof(text))) {
		sh_fire(s, MEV_CLEARED, "the cutover window is open and the "
		    "cutover approved");
		return 1;
	}
	job_progress(s->job, "%s", text);
	return 0;
}

static void
sh_watch(struct shift *s)
{
	s->state = SH_BAKING;
	s->checked = now_ms();
	s->m->obs.held_since = 0;
	s->m->obs.hold_alert = 0;
	s->w = watch_new(s->d, s->m, s->since, s->kind == SH_STEP ||
	    s->kind == SH_READY, s->kind == SH_STEP || s->kind == SH_READY ?
	    job_lag(s->job) : NULL, sh_watch_cb, s);
	job_set_watch(s->job, s->w);
	if (s->kind == SH_STEP && s->lh == NULL)
		s->lh = loadhook_start(s->d, s->m);
	if (s->kind == SH_READY)
		ready_tick(s);
}

/* --- a step --- */

static void
step_set_cb(void *arg, enum traffic_result r, const char *why)
{
	struct shift	*s = arg;
	struct store	*st = s->d->store;
	char		*v, detail[768];
	int64_t		 k, since;

	if (r == TRAFFIC_DRIFT) {
		snprintf(detail, sizeof(detail), "alert: %s; paused before "
		    "step %d, the listener is left as found", why, s->step + 1);
		store_journal(st, s->m->id, "alert", detail);
		sh_fire(s, MEV_HALT, detail);
		return;
	}
	if (r == TRAFFIC_ERROR) {
		snprintf(s->why, sizeof(s->why), "step %d: %s", s->step + 1,
		    why);
		sh_back(s, MEV_FAIL);
		return;
	}
	/* The same step after a restart bakes on from where it was. */
	since = now_ms();
	if ((v = store_fact_get(st, s->m->id, SHIFT_FACT_STEP)) != NULL &&
	    sscanf(v, "%" SCNd64 ":%" SCNd64, &k, &since) == 2 &&
	    k == s->step)
		log_info("%s: step %d: baking on since %" PRId64, s->m->name,
		    s->step + 1, since);
	else {
		since = now_ms();
		store_fact_setf(st, s->m->id, SHIFT_FACT_STEP, "%d:%" PRId64,
		    s->step, since);
		snprintf(detail, sizeof(detail), "step %d of %d: %s",
		    s->step + 1, s->m->plan->traffic.nsteps, why);
		store_journal(st, s->m->id, "info", detail);
		log_info("%s: %s", s->m->name, detail);
	}
	free(v);
	s->since = since;
	sh_watch(s);
}

static struct shift *
sh_new(struct job *j, enum sh_kind kind)
{
	struct shift	*s;

	s = xcalloc(1, sizeof(*s));
	s->job = j;
	s->d = j->d;
	s->m = j->m;
	s->kind = kind;
	s->step = j->m->step;
	s->tr = job_traffic(j);
	job_own(j, s);
	return s;
}

static void
shift_enter(struct job *j, enum phase from)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct shift		*s;
	struct traffic_want	 want;
	enum mev		 ev;
	char			*back;

	/*
	 * Back from a cutover that did not happen, a pause or a failure:
	 * the step bakes again in full, watched from now on.
	 */
	if (from == PH_CUTOVER || phase_has(from, PHF_HOLD)) {
		store_fact_set(d->store, m->id, SHIFT_FACT_STEP, NULL);
		store_fact_set(d->store, m->id, SHIFT_FACT_BACK, NULL);
	}
	m->obs.gates_ok = 0;
	store_fact_set(d->store, m->id, SHIFT_FACT_RETRY_AT, NULL);
	s = sh_new(j, SH_STEP);
	if (m->step < 0 || m->step >= m->plan->traffic.nsteps) {
		sh_fire(s, MEV_FAIL, "the step index is outside the plan's "
		    "steps (was the plan reloaded with fewer?)");
		return;
	}
	/* Stopped by a breach or an error when the daemon went down. */
	if ((back = store_fact_get(d->store, m->id, SHIFT_FACT_BACK)) != NULL) {
		snprintf(s->why, sizeof(s->why), "%s", strchr(back, ':') ?
		    strchr(back, ':') + 1 : back);
		ev = strncmp(back, "breach:", 7) == 0 ? MEV_BREACH : MEV_FAIL;
		free(back);
		log_info("%s: finishing the stop of step %d", m->name,
		    m->step + 1);
		sh_back(s, ev);
		return;
	}
	step_want(m, m->step, &want);
	s->state = SH_SETTING;
	job_progress(j, "step %d of %d: setting the listener", m->step + 1,
	    m->plan->traffic.nsteps);
	if (traffic_set(s->tr, &want, 0, step_set_cb, s) == -1)
		sh_fire(s, MEV_FAIL, "the listener cannot be set: no plan");
}

/* --- ready: the last step held while the cutover waits --- */

static void
ready_set_cb(void *arg, enum traffic_result r, const char *why)
{
	struct shift	*s = arg;
	char		 detail[768];

	if (r == TRAFFIC_DRIFT) {
		snprintf(detail, sizeof(detail), "alert: %s; paused before the "
		    "cutover, the listener is left as found", why);
		store_journal(s->d->store, s->m->id, "alert", detail);
		sh_fire(s, MEV_HALT, detail);
		return;
	}
	if (r == TRAFFIC_ERROR) {
		snprintf(s->why, sizeof(s->why), "ready: %s", why);
		sh_back(s, MEV_FAIL);
		return;
	}
	sh_watch(s);
	/* s may be gone (the cutover began). */
}

static void
ready_enter(struct job *j, enum phase from)
{
	struct migration	*m = j->m;
	struct shift		*s;
	struct traffic_want	 want;
	char			 text[512];

	m->obs.gates_ok = 0;
	s = sh_new(j, SH_READY);
	if (m->step < 0 || m->step >= m->plan->traffic.nsteps) {
		sh_fire(s, MEV_FAIL, "the step index is outside the plan's "
		    "steps (was the plan reloaded with fewer?)");
		return;
	}
	/*
	 * The comparison runs first, so an approver sees its verdict; once
	 * per stay in ready (an approve re-enters the phase, a restart does
	 * not remember the verdict and compares again).
	 */
	if (from != PH_READY)
		m->obs.verified = 0;
	ready_verify(j);
	/* The one message when the wait begins: journal, log, webhook. */
	if (from != PH_READY && !ready_wait(m, time(NULL),
	    verify_text(j->verify), text, sizeof(text))) {
		store_journal(j->d->store, m->id, "info", text);
		log_info("%s: %s", m->name, text);
	}
	step_want(m, m->step, &want);
	s->state = SH_SETTING;
	job_progress(j, "ready: reading the listener");
	if (traffic_set(s->tr, &want, 0, ready_set_cb, s) == -1)
		sh_fire(s, MEV_FAIL, "the listener cannot be set: no plan");
}

/* --- full traffic: 0/100, then ECS alone, the rule gone --- */

static void
full_cb(void *arg, enum traffic_result r, const char *why)
{
	struct shift		*s = arg;
	struct traffic_want	 want = { .ecs_pct = 100, .ecs_only = 1 };
	char			 detail[768];

	if (r != TRAFFIC_OK) {
		snprintf(detail, sizeof(detail), "%s%s", r == TRAFFIC_DRIFT ?
		    "alert: " : "full traffic: ", why);
		store_journal(s->d->store, s->m->id, r == TRAFFIC_DRIFT ?
		    "alert" : "error", detail);
		sh_fire(s, r == TRAFFIC_DRIFT ? MEV_HALT : MEV_FAIL, detail);
		return;
	}
	store_journal(s->d->store, s->m->id, "info", why);
	if (s->full_stage++ == 0) {
		job_progress(s->job, "full traffic: removing the droplets' "
		    "target group from the listener");
		if (traffic_set(s->tr, &want, 0, full_cb, s) == -1)
			sh_fire(s, MEV_FAIL, "the listener cannot be set");
		return;
	}
	sh_fire(s, MEV_LISTENER_SET, "the listener forwards to ECS alone");
}

static void
full_enter(struct job *j, enum phase from)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct shift		*s;
	struct traffic_want	 want = { .ecs_pct = 100, .rule = 1,
				    .sticky = 1 };
	char			*set;

	s = sh_new(j, SH_FULL);
	want.rule = m->plan->traffic.steps[0] == PLAN_STEP_RULE;
	/* Resumed after the first stage: go on with the second. */
	set = store_fact_get(d->store, m->id, TRAFFIC_FACT_SET);
	if (set != NULL && strcmp(set, "ecs:1") == 0)
		s->full_stage = 1;
	free(set);
	job_progress(j, "full traffic: weights droplets 0 / ECS 100");
	if (s->full_stage == 1) {
		want.ecs_only = 1;
		want.rule = 0;
		want.sticky = 0;
	}
	if (traffic_set(s->tr, &want, 0, full_cb, s) == -1)
		sh_fire(s, MEV_FAIL, "the listener cannot be set");
}

/* --- soak --- */

static void
soak_check_cb(void *arg, enum traffic_result r, const char *why)
{
	struct shift	*s = arg;
	char		 detail[768];

	if (r != TRAFFIC_OK) {
		snprintf(detail, sizeof(detail), "%s%s", r == TRAFFIC_DRIFT ?
		    "alert: " : "soak: ", why);
		store_journal(s->d->store, s->m->id, r == TRAFFIC_DRIFT ?
		    "alert" : "error", detail);
		sh_fire(s, r == TRAFFIC_DRIFT ? MEV_HALT : MEV_FAIL, detail);
		return;
	}
	sh_watch(s);
}

static void
soak_enter(struct job *j, enum phase from)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct shift		*s;

	/* After a pause (a breach) or a failure the soak starts over. */
	if (phase_has(from, PHF_HOLD))
		store_fact_set(d->store, m->id, SOAK_FACT_SINCE, NULL);
	s = sh_new(j, SH_SOAK);
	m->obs.soak_ok = 0;
	if ((s->since = store_fact_i64(d->store, m->id, SOAK_FACT_SINCE)) ==
	    0) {
		s->since = now_ms();
		store_fact_setf(d->store, m->id, SOAK_FACT_SINCE, "%" PRId64,
		    s->since);
	}
	job_progress(j, "soak: reading the listener");
	if (traffic_check(s->tr, soak_check_cb, s) == -1)
		sh_fire(s, MEV_FAIL, "the listener cannot be read");
}

/* --- the rollback's traffic part --- */

struct back {
	struct job		*job;
	struct traffic		*tr;
	void			(*done)(struct job *, int, const char *);
};

static void
back_cancel(void *arg)
{
	struct back	*b = arg;

	traffic_cancel(b->tr);
	free(b);
}

static void
rollback_cb(void *arg, enum traffic_result r, const char *why)
{
	struct back		*b = arg;
	struct job		*j = b->job;
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	void			(*done)(struct job *, int, const char *) =
				    b->done;
	char			 detail[768];

	/* Not job_end(): the rollback goes on with the database. */
	job_forget(j, b);
	free(b);
	if (r != TRAFFIC_OK) {
		snprintf(detail, sizeof(detail), "rollback: the users could not "
		    "be put back on the droplets: %s", why);
		done(j, 0, detail);
		return;
	}
	store_journal(d->store, m->id, "info", "rollback: every user is back "
	    "on the droplets");
	done(j, 1, NULL);
}

void
shift_rollback(struct job *j, void (*done)(struct job *, int, const char *))
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct traffic_want	 want = { 0 };
	struct back		*b;
	char			*set, *setting, *rule;
	int			 moved;

	/* Untouched, or already back: nothing to do. */
	set = store_fact_get(d->store, m->id, TRAFFIC_FACT_SET);
	setting = store_fact_get(d->store, m->id, TRAFFIC_FACT_SETTING);
	rule = store_fact_get(d->store, m->id, TRAFFIC_FACT_RULE);
	moved = rule != NULL || setting != NULL || (set != NULL &&
	    strcmp(set, "droplets:100,ecs:0") != 0);
	free(set);
	free(setting);
	free(rule);
	if (!moved) {
		done(j, 1, NULL);
		return;
	}
	b = xcalloc(1, sizeof(*b));
	b->job = j;
	b->tr = job_traffic(j);
	b->done = done;
	job_own_step(j, b, back_cancel);
	job_progress(j, "rollback: putting every user back on the "
	    "droplets");
	if (traffic_set(b->tr, &want, TRAFFIC_FORCE, rollback_cb, b) == -1)
		rollback_cb(b, TRAFFIC_ERROR, "no plan");
}

const struct phase_driver shift_driver = {
	.phase = PH_SHIFTING,
	.enter = shift_enter,
	.cancel = sh_cancel,
};

const struct phase_driver ready_driver = {
	.phase = PH_READY,
	.enter = ready_enter,
	.cancel = sh_cancel,
	.status = ready_status,
};

const struct phase_driver full_driver = {
	.phase = PH_FULL_TRAFFIC,
	.enter = full_enter,
	.cancel = sh_cancel,
};

const struct phase_driver soak_driver = {
	.phase = PH_SOAK,
	.enter = soak_enter,
	.cancel = sh_cancel,
};
