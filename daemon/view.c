/*
 * view: the JSON shapes of list and status. Values the daemon has not
 * observed are null, never zero: "no data" must not read as "fine".
 */
#include <stdlib.h>
#include <string.h>

#include "cutover.h"
#include "fsm.h"
#include "lag.h"
#include "migrated.h"
#include "migration.h"
#include "plan.h"
#include "runner.h"
#include "store.h"
#include "view.h"

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

	/* Stopped or rolling back: what counts is where it stopped. */
	if ((ph == PH_PAUSED || ph == PH_FAILED || ph == PH_ROLLING_BACK) &&
	    m->resume_to != PH_NONE)
		ph = m->resume_to;
	if (ph == PH_FULL_TRAFFIC || ph == PH_SOAK ||
	    ph == PH_DECOMMISSION || ph == PH_DONE)
		return json_integer(100);
	/* Nothing shifts before shifting, and a rollback shifts it back. */
	if (ph < PH_SHIFTING || ph == PH_ROLLED_BACK)
		return json_integer(0);
	if (ph == PH_SHIFTING && m->phase == PH_SHIFTING && p != NULL &&
	    m->step >= 0 && m->step < p->traffic.nsteps)
		return json_integer(p->traffic.steps[m->step]);
	/* Paused after a breach, or mid-cutover: read back from the ALB. */
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

static json_t *
view_bake(const struct migration *m)
{
	int64_t	total, left;

	if (m->phase != PH_SHIFTING || m->plan == NULL)
		return json_null();
	total = m->plan->traffic.bake;
	left = m->phase_since + total - now_ms();
	if (left < 0)
		left = 0;
	return json_pack("{s:I, s:I}", "total_ms", (json_int_t)total,
	    "remaining_ms", (json_int_t)left);
}

static json_t *
view_lag(const struct migration *m)
{
	const struct lagstat	*st;
	struct lag		*l = runner_lag(m);

	if (l == NULL)
		return json_pack("{s:n, s:n}", "replica_ms", "heartbeat_ms");
	st = lag_stat(l);
	return json_pack("{s:o, s:o, s:o, s:o}",
	    "replica_ms", st->replica_ms >= 0 ? json_integer(st->replica_ms) :
		json_null(),
	    "heartbeat_ms", st->known && st->heartbeat_ms >= 0 ?
		json_integer(st->heartbeat_ms) : json_null(),
	    "io_running", st->status_known ? json_boolean(st->io_running) :
		json_null(),
	    "sql_running", st->status_known ? json_boolean(st->sql_running) :
		json_null());
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
	enum phase	ph = m->phase;

	if (ph == PH_PAUSED || ph == PH_FAILED)
		ph = m->resume_to;
	if (ph < PH_CUTOVER && m->phase != PH_ROLLING_BACK &&
	    m->phase != PH_ROLLED_BACK)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
	    "final_position", fact_str(d, m, CUT_FACT_FINAL),
	    "freeze_ms", fact_num(d, m, CUT_FACT_FREEZE_MS),
	    "write_gap_ms", fact_num(d, m, CUT_FACT_GAP_MS),
	    "proof", fact_str(d, m, "proof.verdict"),
	    "proof_detail", fact_str(d, m, "proof.detail"),
	    "proof_progress", str_or_null(runner_proof_text(m)));
}

static json_t *
gate(json_t *value, double limit, json_t *ok)
{
	return json_pack("{s:o, s:f, s:o}", "value", value, "limit", limit,
	    "ok", ok);
}

static json_t *
view_gates(const struct migration *m)
{
	const struct plan	*p = m->plan;
	json_t			*g = json_object();
	struct lag		*l;
	int64_t			 hb;
	int			 seen;

	if (p == NULL)
		return g;
	/* Only the health gate has an observation in this build. */
	seen = m->phase == PH_SHADOW || m->phase == PH_SHIFTING ||
	    m->phase == PH_SOAK;
	json_object_set_new(g, "min_healthy", gate(
	    seen ? json_integer(m->obs.ecs_healthy) : json_null(),
	    p->gates.min_healthy,
	    seen ? json_boolean(m->obs.ecs_healthy >= p->gates.min_healthy &&
	    m->obs.ecs_unhealthy == 0) : json_null()));
	json_object_set_new(g, "max_5xx_rate", gate(json_null(),
	    p->gates.max_5xx_rate, json_null()));
	json_object_set_new(g, "max_p99_ms", gate(json_null(),
	    (double)p->gates.max_p99, json_null()));
	l = runner_lag(m);
	hb = l != NULL && lag_stat(l)->known ? lag_stat(l)->heartbeat_ms : -1;
	json_object_set_new(g, "max_lag_ms", gate(hb >= 0 ? json_integer(hb) :
	    json_null(), (double)p->gates.max_lag, hb >= 0 ?
	    json_boolean(hb <= p->gates.max_lag) : json_null()));
	return g;
}

json_t *
view_migration(struct daemon *d, const struct migration *m)
{
	const struct plan	*p = m->plan;
	json_t			*o, *steps;
	int			 i;

	steps = json_array();
	for (i = 0; p != NULL && i < p->traffic.nsteps; i++)
		json_array_append_new(steps, json_integer(p->traffic.steps[i]));
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
	    "bake", view_bake(m),
	    "gates", view_gates(m),
	    "accepts", view_accepts(m)));
	json_object_set_new(o, "cutover", view_cutover(d, m));
	json_object_set_new(o, "effect", str_or_null(runner_activity(m)));
	json_object_set_new(o, "progress",
	    str_or_null(runner_progress_text(m)));
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
		json_array_append_new(a, view_migration(d, d->migs[i]));
	}
	if (name != NULL && json_array_size(a) == 0) {
		json_decref(a);
		return NULL;
	}
	return json_pack("{s:o}", "migrations", a);
}
