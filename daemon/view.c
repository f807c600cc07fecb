/*
 * view: the JSON shapes of list and status. Values the daemon has not
 * observed are null, never zero: "no data" must not read as "fine".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catchup.h"
#include "daemon.h"
#include "driver.h"
#include "facts.h"
#include "files.h"
#include "fsm.h"
#include "job.h"
#include "lag.h"
#include "migration.h"
#include "plan.h"
#include "runner.h"
#include "store.h"
#include "traffic.h"
#include "verify.h"
#include "view.h"

static json_t *
json_or_null(json_t *j)
{
	return j != NULL ? j : json_null();
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
ecs_weight(const struct migration *m)
{
	const struct plan	*p = m->plan;
	enum phase		 ph = m->phase;
	int			 dw, ew, rule;

	/* Stopped or rolling back: what counts is where it stopped. */
	if (phase_has(ph, PHF_INTERRUPTS) && m->resume_to != PH_NONE)
		ph = m->resume_to;
	if (phase_has(ph, PHF_ECS_TRAFFIC))
		return json_integer(100);
	/* Nothing shifts before shifting, and a rollback shifts it back. */
	if (phase_has(ph, PHF_DROPLET_TRAFFIC))
		return json_integer(0);
	/* Shifting, paused after a breach, mid-cutover: as last read. */
	if (traffic_seen(job_traffic_peek(runner_job(m)), &dw, &ew, &rule) == 0)
		return json_integer(ew < 0 ? 0 : dw < 0 ? 100 : ew);
	if ((ph == PH_SHIFTING || ph == PH_READY) && ph == m->phase &&
	    p != NULL && m->step >= 0 && m->step < p->traffic.nsteps)
		return json_integer(p->traffic.steps[m->step]);
	return json_null();
}

json_t *
view_accepts(const struct migration *m)
{
	static const struct {
		enum mev	 ev;
		const char	*cmd;
	} verbs[] = {
		{ MEV_START, "start" },
		{ MEV_PAUSE, "pause" },
		{ MEV_RESUME, "resume" },
		{ MEV_PROMOTE, "promote" },
		{ MEV_ABORT, "abort" },
		{ MEV_APPROVE, "approve" },
		{ MEV_RETRY, "retry" },
	};
	unsigned int	 mask = fsm_accepted(m->phase);
	json_t		*a = json_array();
	size_t		 i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (mask & (1u << verbs[i].ev))
			json_array_append_new(a, json_string(verbs[i].cmd));
	if (!phase_is_final(m->phase))
		json_array_append_new(a, json_string("set"));
	if (!phase_is_running(m->phase) && !runner_busy(m))
		json_array_append_new(a, json_string("delete"));
	return a;
}

json_t *
view_summary(const struct migration *m)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:o, s:I, s:o}",
	    "name", m->name,
	    "phase", phase_name(m->phase),
	    "step", (json_int_t)(m->step + 1),
	    "nsteps", (json_int_t)(m->plan ? m->plan->traffic.nsteps : 0),
	    "ecs_weight", ecs_weight(m),
	    "since", (json_int_t)m->phase_since,
	    "reason", str_or_null(m->reason));
}

/* The bake of the current step, or the soak, from when it began. */
static json_t *
view_bake(struct daemon *d, const struct migration *m)
{
	int64_t	 total, left, k, since = 0;
	char	*v;

	if (m->plan == NULL)
		return json_null();
	if (m->phase == PH_SHIFTING) {
		total = m->plan->traffic.bake;
		v = store_fact_get(d->store, m->id, SHIFT_FACT_STEP);
		if (v == NULL || sscanf(v, "%" SCNd64 ":%" SCNd64, &k,
		    &since) != 2 || k != m->step)
			since = 0;
		free(v);
	} else if (m->phase == PH_SOAK) {
		total = m->plan->traffic.soak;
		since = store_fact_i64(d->store, m->id, SOAK_FACT_SINCE);
	} else
		return json_null();
	if (since == 0)
		return json_pack("{s:I, s:n}", "total_ms", (json_int_t)total,
		    "remaining_ms");
	left = since + total - now_ms();
	if (left < 0)
		left = 0;
	return json_pack("{s:I, s:I}", "total_ms", (json_int_t)total,
	    "remaining_ms", (json_int_t)left);
}

/*
 * The gates held on missing data: since when, for how long, and whether
 * gates.max_hold was passed (the alert); null while they are not held.
 */
static json_t *
view_hold(const struct migration *m)
{
	const struct plan	*p = m->plan;

	if (p == NULL || m->obs.held_since == 0)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:s, s:b}",
	    "since", (json_int_t)m->obs.held_since,
	    "held_ms", (json_int_t)(now_ms() - m->obs.held_since),
	    "max_hold_ms", (json_int_t)p->gates.max_hold,
	    "on_hold", p->gates.on_hold == HOLD_WAIT ? "wait" : "pause",
	    "alert", m->obs.hold_alert);
}

/* The phase's figures (the seed's bytes, rate, ETA), or null. */
static json_t *
view_stats(const struct migration *m)
{
	json_t	*st = job_stats(runner_job(m));

	return st != NULL ? json_incref(st) : json_null();
}

/* The listener as last read: weights (null: not in the forward), rule. */
static json_t *
view_traffic(const struct migration *m)
{
	int	dw, ew, rule;

	if (traffic_seen(job_traffic_peek(runner_job(m)), &dw, &ew, &rule) == -1)
		return json_null();
	return json_pack("{s:o, s:o, s:o}",
	    "droplets", dw >= 0 ? json_integer(dw) : json_null(),
	    "ecs", ew >= 0 ? json_integer(ew) : json_null(),
	    "rule", rule >= 0 ? json_boolean(rule) : json_null());
}

static json_t *
num_or_null(double v)
{
	return v >= 0 ? json_real(v) : json_null();
}

/*
 * The pace (catchup.c): the source's commits and binary log bytes a
 * second, the target's applied bytes a second, the backlog, whether and
 * when the target catches up, and for how long the lag has made no
 * progress against replicating.max_catchup (the alert past it).
 */
static json_t *
view_catchup(const struct migration *m, struct lag *l)
{
	struct catchup		*cu = lag_catchup(l);
	struct catchup_view	 v;

	catchup_view(cu, now_ms(), &v);
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:b}",
	    "source_commits_s", num_or_null(v.commits_s),
	    "source_bytes_s", num_or_null(v.src_bps),
	    "target_bytes_s", num_or_null(v.apply_bps),
	    "backlog_bytes", v.backlog >= 0 ? json_integer(v.backlog) :
		json_null(),
	    "catching_up", v.catching_up >= 0 ?
		json_boolean(v.catching_up) : json_null(),
	    "eta_ms", v.eta_ms >= 0 ? json_integer(v.eta_ms) : json_null(),
	    "stalled_ms", (json_int_t)v.stalled_ms,
	    "max_catchup_ms", (json_int_t)(m->plan != NULL ?
		m->plan->replicating.max_catchup : 0),
	    "alert", cu->alerted);
}

static json_t *
view_lag(const struct migration *m)
{
	const struct lagstat	*st;
	struct lag		*l = job_lag(runner_job(m));
	json_t			*o;

	if (l == NULL)
		return json_pack("{s:n, s:n, s:n}", "replica_ms",
		    "heartbeat_ms", "catchup");
	st = lag_stat(l);
	o = json_pack("{s:o, s:o, s:o, s:o}",
	    "replica_ms", st->replica_ms >= 0 ? json_integer(st->replica_ms) :
		json_null(),
	    "heartbeat_ms", st->known && st->heartbeat_ms >= 0 ?
		json_integer(st->heartbeat_ms) : json_null(),
	    "io_running", st->status_known ? json_boolean(st->io_running) :
		json_null(),
	    "sql_running", st->status_known ? json_boolean(st->sql_running) :
		json_null());
	json_object_set_new(o, "catchup", view_catchup(m, l));
	return o;
}

/* A fact as a number, or null. */
static json_t *
fact_num(struct daemon *d, const struct migration *m, const char *key)
{
	char	*v = store_fact_get(d->store, m->id, key);
	json_t	*o = v != NULL ? json_integer(strtoll(v, NULL, 10)) : json_null();

	free(v);
	return o;
}

static json_t *
fact_str(struct daemon *d, const struct migration *m, const char *key)
{
	char	*v = store_fact_get(d->store, m->id, key);
	json_t	*o = v != NULL ? json_string(v) : json_null();

	free(v);
	return o;
}

/*
 * The last cutover's figures and the proof's verdict, once there has been
 * a cutover (the facts are read only then: status stays cheap before).
 */
static json_t *
view_cutover(struct daemon *d, const struct migration *m)
{
	if (!phase_has(phase_where(m->phase, m->resume_to),
	    PHF_CUTOVER_BEGUN | PHF_ROLLBACK))
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "final_position", fact_str(d, m, CUT_FACT_FINAL),
	    "freeze_ms", fact_num(d, m, CUT_FACT_FREEZE_MS),
	    "write_gap_ms", fact_num(d, m, CUT_FACT_GAP_MS),
	    "proof", fact_str(d, m, PROOF_FACT_VERDICT),
	    "proof_detail", fact_str(d, m, PROOF_FACT_DETAIL),
	    "proof_progress", str_or_null(runner_proof_text(m)),
	    "proof_pace", json_or_null(runner_proof_json(m)));
}

static json_t *
gate(json_t *value, double limit, json_t *ok)
{
	return json_pack("{s:o, s:f, s:o}", "value", value, "limit", limit,
	    "ok", ok);
}

/* A value of the watcher's last judgment, or null. */
static json_t *
wval(json_t *w, const char *key)
{
	json_t	*v = w != NULL ? json_object_get(w, key) : NULL;

	return v != NULL ? json_incref(v) : json_null();
}

static json_t *
within(json_t *v, double limit)
{
	return json_is_number(v) ? json_boolean(json_number_value(v) <= limit) :
	    json_null();
}

/*
 * Each gate: its value as last judged, its limit, and whether it held
 * (null: no data).
 */
static json_t *
view_gates(const struct migration *m)
{
	const struct plan	*p = m->plan;
	json_t			*g = json_object(), *w, *v, *u;
	struct lag		*l;
	int64_t			 hb;

	if (p == NULL)
		return g;
	w = job_watch_json(runner_job(m));
	if (w == NULL && m->phase == PH_SHADOW) {
		v = json_integer(m->obs.ecs_healthy);
		u = json_integer(m->obs.ecs_unhealthy);
	} else {
		v = wval(w, "ecs_healthy");
		u = wval(w, "ecs_unhealthy");
	}
	json_object_set_new(g, "min_healthy", gate(json_incref(v),
	    p->gates.min_healthy, json_is_integer(v) && json_is_integer(u) ?
	    json_boolean(json_integer_value(v) >= p->gates.min_healthy &&
	    json_integer_value(u) == 0) : json_null()));
	json_decref(v);
	json_decref(u);
	v = wval(w, "ecs_5xx_rate");
	json_object_set_new(g, "max_5xx_rate", gate(json_incref(v),
	    p->gates.max_5xx_rate, within(v, p->gates.max_5xx_rate)));
	json_decref(v);
	v = wval(w, "ecs_p99_ms");
	json_object_set_new(g, "max_p99_ms", gate(json_incref(v),
	    (double)p->gates.max_p99, within(v, (double)p->gates.max_p99)));
	json_decref(v);
	l = job_lag(runner_job(m));
	hb = l != NULL && lag_stat(l)->known ? lag_stat(l)->heartbeat_ms : -1;
	json_object_set_new(g, "max_lag_ms", gate(hb >= 0 ? json_integer(hb) :
	    json_null(), (double)p->gates.max_lag, hb >= 0 ?
	    json_boolean(hb <= p->gates.max_lag) : json_null()));
	json_decref(w);
	return g;
}

/* Each phase's own part of status, under the phase's name. */
static void
view_phases(struct daemon *d, const struct migration *m, json_t *o)
{
	const struct phase_driver	*drv;
	size_t				 i;

	for (i = 0; (drv = driver_table[i]) != NULL; i++)
		if (drv->status != NULL)
			json_object_set_new(o, phase_name(drv->phase),
			    json_or_null(drv->status(d, m)));
}

json_t *
view_migration(struct daemon *d, const struct migration *m)
{
	const struct plan	*p = m->plan;
	json_t			*o, *steps;
	int			 i;

	steps = json_array();
	for (i = 0; p != NULL && i < p->traffic.nsteps; i++)
		json_array_append_new(steps, p->traffic.steps[i] ==
		    PLAN_STEP_RULE ? json_string("rule") :
		    json_integer(p->traffic.steps[i]));
	o = view_summary(m);
	json_object_update_new(o, json_pack(
	    "{s:o, s:o, s:b, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "resume_to", m->resume_to == PH_NONE ? json_null() :
		json_string(phase_name(m->resume_to)),
	    "steps", steps,
	    "approved", m->approved,
	    "phase_since", (json_int_t)m->phase_since,
	    "created", (json_int_t)m->created,
	    "updated", m->updated ? json_integer(m->updated) : json_null(),
	    "plan_path", str_or_null(m->plan_path),
	    "lag", view_lag(m),
	    "bake", view_bake(d, m),
	    "gates", view_gates(m),
	    "accepts", view_accepts(m)));
	json_object_set_new(o, "cutover", view_cutover(d, m));
	json_object_set_new(o, "traffic", view_traffic(m));
	json_object_set_new(o, "files", json_or_null(files_json(d, m,
	    job_files(runner_job(m)))));
	json_object_set_new(o, "hold", view_hold(m));
	view_phases(d, m, o);
	/* The gates' last judgment with every value read, or null. */
	json_object_set_new(o, "judgment", json_or_null(job_watch_json(runner_job(m))));
	json_object_set_new(o, "effect", str_or_null(runner_activity(m)));
	json_object_set_new(o, "progress",
	    str_or_null(job_progress_text(runner_job(m))));
	json_object_set_new(o, "stats", view_stats(m));
	if (runner_job(m) != NULL && runner_job(m)->verify != NULL)
		json_object_set_new(o, "verify",
		    json_or_null(verify_json(runner_job(m)->verify)));
	return o;
}

/*
 * All migrations at once must fit a protocol line (64 KiB): the summary,
 * what is happening and the bake, about 250 bytes each.
 */
json_t *
view_brief(const struct migration *m)
{
	json_t	*o = view_summary(m);

	json_object_set_new(o, "effect", str_or_null(runner_activity(m)));
	json_object_set_new(o, "progress",
	    str_or_null(job_progress_text(runner_job(m))));
	json_object_set_new(o, "stats", view_stats(m));
	return o;
}

json_t *
view_status(struct daemon *d, const char *name)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < d->nmigs; i++) {
		if (name != NULL && strcmp(d->migs[i]->name, name) != 0)
			continue;
		json_array_append_new(a, name != NULL ?
		    view_migration(d, d->migs[i]) : view_brief(d->migs[i]));
	}
	if (name != NULL && json_array_size(a) == 0) {
		json_decref(a);
		return NULL;
	}
	return json_pack("{s:o}", "migrations", a);
}
