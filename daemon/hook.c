/*
 * hook: operator commands as effects. A hook gets the migration's facts in
 * MIGRATED_* variables, a timeout from the plan, and its output's tail in
 * the journal. What a hook does cannot be looked up afterwards, so a hook
 * interrupted by a crash is reconciled as "unknown": the migration stops in
 * failed and the operator, who knows what the command does, retries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "effect.h"
#include "hook.h"
#include "job.h"
#include "lag.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "proc.h"
#include "traffic.h"

struct hook_call {
	hook_done_cb	 done;
	void		*arg;
	char		*name;
};

static int	hook_effect_run(struct effect *);
static void	hook_effect_reconcile(struct effect *);

const struct effect_kind hook_effect = {
	.name = "hook",
	.run = hook_effect_run,
	.reconcile = hook_effect_reconcile,
};

static void
env_add(char **env, size_t *n, const char *key, const char *value)
{
	if (asprintf(&env[(*n)++], "%s=%s", key, value ? value : "") == -1)
		fatal("asprintf");
}

static void
hook_proc_done(void *arg, int status, int timed_out, const char *output)
{
	struct effect	*e = arg;
	char		 result[PROC_OUTPUT_MAX + 64];

	if (timed_out)
		snprintf(result, sizeof(result), "timed out, killed: %s",
		    output);
	else
		snprintf(result, sizeof(result), "exit %d: %s", status, output);
	/* One line in the journal and the log: fold the output's newlines. */
	for (char *p = result; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	log_info("%s: hook %s %s", e->m->name,
	    json_string_value(json_object_get(e->args, "hook")), result);
	effect_finish(e, !timed_out && status == 0, result);
}

static int
hook_effect_run(struct effect *e)
{
	struct migration	*m = e->m;
	struct proc		*p;
	char			*env[24], buf[32];
	const struct plan_db	*w;
	int			 to_target;
	size_t			 n = 0, i;
	const char		*cmd, *name;
	int64_t			 timeout;

	cmd = json_string_value(json_object_get(e->args, "cmd"));
	name = json_string_value(json_object_get(e->args, "hook"));
	timeout = m->plan != NULL ? m->plan->hooks.timeout : 60000;
	if (cmd == NULL || name == NULL)
		return -1;

	env_add(env, &n, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
	    "/usr/bin:/sbin:/bin");
	env_add(env, &n, "MIGRATED_NAME", m->name);
	env_add(env, &n, "MIGRATED_HOOK", name);
	env_add(env, &n, "MIGRATED_PHASE", phase_name(m->phase));
	snprintf(buf, sizeof(buf), "%d", m->step + 1);
	env_add(env, &n, "MIGRATED_STEP", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(
	    json_object_get(e->args, "ecs_weight")));
	env_add(env, &n, "MIGRATED_ECS_WEIGHT", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(
	    json_object_get(e->args, "droplet_weight")));
	env_add(env, &n, "MIGRATED_DROPLET_WEIGHT", buf);
	if (json_is_integer(json_object_get(e->args, "lag_ms"))) {
		snprintf(buf, sizeof(buf), "%lld", (long long)
		    json_integer_value(json_object_get(e->args, "lag_ms")));
		env_add(env, &n, "MIGRATED_LAG_MS", buf);
	}
	env_add(env, &n, "MIGRATED_REASON", m->reason);
	if (m->plan != NULL) {
		/* The writer is the target from the switch on. */
		to_target = strcmp(name, "writer_switch") == 0 ||
		    phase_has(m->phase, PHF_WRITER_SWITCHED);
		w = to_target ? &m->plan->target.db : &m->plan->source.db;
		env_add(env, &n, "MIGRATED_SOURCE_HOST", m->plan->source.db.host);
		snprintf(buf, sizeof(buf), "%d", m->plan->source.db.port);
		env_add(env, &n, "MIGRATED_SOURCE_PORT", buf);
		env_add(env, &n, "MIGRATED_TARGET_HOST", m->plan->target.db.host);
		snprintf(buf, sizeof(buf), "%d", m->plan->target.db.port);
		env_add(env, &n, "MIGRATED_TARGET_PORT", buf);
		env_add(env, &n, "MIGRATED_WRITER_HOST", w->host);
		snprintf(buf, sizeof(buf), "%d", w->port);
		env_add(env, &n, "MIGRATED_WRITER_PORT", buf);
	}
	snprintf(buf, sizeof(buf), "%lld", (long long)e->id);
	env_add(env, &n, "MIGRATED_EFFECT_ID", buf);
	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	env_add(env, &n, "MIGRATED_PID", buf);
	env[n] = NULL;

	log_info("%s: hook %s: running (timeout %llds)", m->name, name,
	    (long long)(timeout / 1000));
	p = proc_spawn(e->d->base, cmd, env, timeout, hook_proc_done, e);
	for (i = 0; i < n; i++)
		free(env[i]);
	return p == NULL ? -1 : 0;
}

static void
hook_effect_reconcile(struct effect *e)
{
	char		 detail[512];
	const char	*name;

	name = json_string_value(json_object_get(e->args, "hook"));
	if (json_is_true(json_object_get(e->args, "rerun"))) {
		snprintf(detail, sizeof(detail), "hook %s was interrupted by a "
		    "restart; it is safe to repeat and runs again",
		    name ? name : "?");
		effect_reconciled(e, EFFECT_NOT_APPLIED, detail);
		return;
	}
	snprintf(detail, sizeof(detail), "hook %s was interrupted by a restart "
	    "of migrated and what it did cannot be checked; see what it did, "
	    "then `migratectl retry %s`", name ? name : "?", e->m->name);
	effect_reconciled(e, EFFECT_UNKNOWN, detail);
}

static void
hook_call_done(struct effect *e, int ok, const char *result, void *arg)
{
	struct hook_call	*hc = arg;

	hc->done(e->d, e->m, hc->name, ok, result, hc->arg);
	free(hc->name);
	free(hc);
}

/*
 * The weights for the environment: as the listener last showed them, else
 * the step's, else where the phase has the users.
 */
static void
hook_weights(const struct migration *m, const struct traffic *tr, int *ew,
    int *dw)
{
	int	rule;

	if (traffic_seen(tr, dw, ew, &rule) == 0) {
		*ew = *ew < 0 ? 0 : *ew;
		*dw = *dw < 0 ? 0 : *dw;
	} else if (m->plan != NULL && m->step >= 0 &&
	    m->step < m->plan->traffic.nsteps &&
	    phase_has(m->phase, PHF_STEPPED)) {
		*ew = m->plan->traffic.steps[m->step];
		*dw = 100 - *ew;
	} else {
		*ew = phase_has(m->phase, PHF_ECS_TRAFFIC) ? 100 : 0;
		*dw = 100 - *ew;
	}
}

int
hook_run(struct job *j, const char *name, const char *cmd, int flags,
    hook_done_cb done, void *arg)
{
	struct migration	*m = j->m;
	const struct lag	*lag = job_lag(j);
	struct hook_call	*hc;
	json_t			*args;
	int			 ew, dw;

	/* What the hook is told is journaled with its intent. */
	hook_weights(m, job_traffic_peek(j), &ew, &dw);
	args = json_pack("{s:s, s:s, s:s, s:b, s:i, s:i}", "hook", name, "cmd",
	    cmd, "phase", phase_name(m->phase), "rerun",
	    (flags & HOOK_RERUN) != 0, "ecs_weight", ew, "droplet_weight", dw);
	if (args == NULL)
		fatalx("json_pack");
	if (lag != NULL && lag_stat(lag)->known)
		json_object_set_new(args, "lag_ms",
		    json_integer(lag_stat(lag)->heartbeat_ms));
	if ((hc = calloc(1, sizeof(*hc))) == NULL ||
	    (hc->name = strdup(name)) == NULL)
		fatal("calloc");
	hc->done = done;
	hc->arg = arg;
	if (effect_start(j, &hook_effect, args, hook_call_done, hc) == -1) {
		free(hc->name);
		free(hc);
		return -1;
	}
	return 0;
}
