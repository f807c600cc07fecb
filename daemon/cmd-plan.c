/*
 * cmd-plan: what can happen next to a migration and why it does or does
 * not, read straight from the transition table and its guards, and the
 * plan's traffic steps with where the migration stands, and the keys
 * `set` may change.
 */
#include "cmd.h"
#include "daemon.h"
#include "fsm.h"
#include "migration.h"
#include "plan.h"

static json_t *
cmd_plan_next(const struct migration *m)
{
	const struct rule	*rules, *r;
	const char		*why;
	json_t			*a = json_array();
	size_t			 n, i;
	int			 to;

	rules = fsm_rules(&n);
	for (i = 0; i < n; i++) {
		r = &rules[i];
		if (r->from != m->phase)
			continue;
		why = r->guard != NULL ? r->guard(m) : NULL;
		to = r->to == PH_RESUME ? (int)m->resume_to : r->to;
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:b, s:o}",
		    "event", mev_name(r->ev),
		    "to", phase_name((enum phase)to),
		    "guard", r->guard_name ? json_string(r->guard_name) :
			json_null(),
		    "holds", why == NULL,
		    "why", why ? json_string(why) : json_null()));
	}
	return a;
}

static json_t *
cmd_plan_steps(const struct migration *m)
{
	const struct plan	*p = m->plan;
	const char		*state;
	json_t			*a = json_array();
	int			 i, past;

	past = phase_has(m->phase, PHF_CUTOVER_BEGUN);
	for (i = 0; p != NULL && i < p->traffic.nsteps; i++) {
		if (past || i < m->step)
			state = "done";
		else if (i == m->step && m->phase == PH_SHIFTING)
			state = "current";
		else
			state = "next";
		/* The rule step (Method B) routes by request, not weight. */
		json_array_append_new(a, json_pack("{s:i, s:o, s:I, s:s}",
		    "index", i + 1, "ecs_percent", p->traffic.steps[i] ==
		    PLAN_STEP_RULE ? json_string("rule") :
		    json_integer(p->traffic.steps[i]),
		    "bake_ms", (json_int_t)p->traffic.bake, "state", state));
	}
	return a;
}

/* The keys `set` takes, for the operator and for shell completion. */
static json_t *
cmd_plan_tunables(void)
{
	const char *const	*k;
	json_t			*a = json_array();

	for (k = plan_tunables(); *k != NULL; k++)
		json_array_append_new(a, json_string(*k));
	return a;
}

static int
cmd_plan_exec(struct cmd_ctx *ctx)
{
	struct migration	*m;

	if ((m = cmd_migration(ctx)) == NULL)
		return -1;
	ctx->data = json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", m->name,
	    "phase", phase_name(m->phase), "next", cmd_plan_next(m),
	    "steps", cmd_plan_steps(m), "tunables", cmd_plan_tunables());
	return 0;
}

const struct cmd_entry cmd_plan_entry = {
	.name = "plan",
	.usage = "plan NAME",
	.flags = 0,
	.exec = cmd_plan_exec,
};
