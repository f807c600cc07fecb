/*
 * writer-ecs-env: the writer switched by a variable of the ECS service's
 * task definition (cutover.ecs_env_name; the service is traffic's
 * ecs_cluster and ecs_service), and preflight's warning of what that
 * costs: writes fail from the freeze until ECS has replaced the tasks.
 *
 * The switch reads the service's task definition; when it already holds
 * the host (a switch repeated after a restart) that is the switch; else it
 * registers a copy with the variable set in every container and updates
 * the service to it with a new deployment. The switch is done when ECS
 * accepts the update: the cutover then waits for the first write. A
 * failure after the update was sent puts the service back on its old
 * task definition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecs.h"
#include "migration.h"
#include "plan.h"
#include "writer.h"
#include "xmalloc.h"

struct env {
	struct ecs_call		*ecs;
	char			*cluster, *service, *env;
	char			*old_td, *new_td;
};

static void
env_describe(const struct plan *p, const char *host, char *buf, size_t len)
{
	snprintf(buf, len, "ECS task definition to %s", host);
}

static void
env_cancel(struct writer *w)
{
	struct env	*e = w->priv;

	if (e == NULL)
		return;
	ecs_cancel(e->ecs);
	e->ecs = NULL;
}

static void
env_free(struct writer *w)
{
	struct env	*e = w->priv;

	if (e == NULL)
		return;
	free(e->cluster);
	free(e->service);
	free(e->env);
	free(e->old_td);
	free(e->new_td);
	free(e);
}

/* --- putting back what a failed switch may have changed --- */

static void
env_put_back_cb(void *arg, const struct ecs_service *svc,
    const struct api_err *err)
{
	struct writer	*w = arg;
	struct env	*e = w->priv;

	e->ecs = NULL;
	writer_put_back_done(w, err != NULL ? err->text : NULL);
}

static void
env_put_back(struct writer *w)
{
	struct env	*e = w->priv;

	writer_journal(w, "warning", "%s: putting ECS service %s back on %s",
	    w->what, e->service, e->old_td);
	e->ecs = ecs_update_service_task_definition(w->aws, e->cluster,
	    e->service, e->old_td, 0, env_put_back_cb, w);
	if (e->ecs == NULL)
		writer_put_back_done(w, "UpdateService could not be sent (see "
		    "the log)");
}

/* --- the switch --- */

static void
env_updated_cb(void *arg, const struct ecs_service *svc,
    const struct api_err *err)
{
	struct writer	*w = arg;
	struct env	*e = w->priv;
	char		 result[512];

	e->ecs = NULL;
	if (err != NULL) {
		writer_call_failed(w, err->status, err->text);
		return;
	}
	writer_journal(w, "info", "%s: ECS service %s/%s updated to %s (%s=%s) "
	    "with a new deployment, accepted after %lld ms", w->what,
	    e->cluster, e->service, e->new_td, e->env, w->host,
	    (long long)writer_elapsed(w));
	snprintf(result, sizeof(result), "ECS service %s updated to %s",
	    e->service, e->new_td);
	writer_finish(w, 1, result);
}

static void
env_registered_cb(void *arg, const struct ecs_task_def *td,
    const struct api_err *err)
{
	struct writer	*w = arg;
	struct env	*e = w->priv;

	e->ecs = NULL;
	if (err != NULL) {
		writer_fail(w, "%s", err->text);
		return;
	}
	e->new_td = xstrdup(td->arn);
	writer_journal(w, "info", "%s: registered task definition %s:%d, a "
	    "copy of %s with %s=%s", w->what, td->family, td->revision,
	    e->old_td, e->env, w->host);
	w->mutated = 1;
	if ((e->ecs = ecs_update_service_task_definition(w->aws, e->cluster,
	    e->service, e->new_td, 1, env_updated_cb, w)) == NULL) {
		w->mutated = 0;
		writer_fail(w, "UpdateService could not be sent (see the log)");
	}
}

static void
env_td_cb(void *arg, const struct ecs_task_def *td, const struct api_err *err)
{
	struct writer	*w = arg;
	struct env	*e = w->priv;
	const char	*v;
	char		 result[512];

	e->ecs = NULL;
	if (err != NULL) {
		writer_fail(w, "%s", err->text);
		return;
	}
	/* A switch repeated after a restart: the service runs it already. */
	if ((v = ecs_task_def_env(td, NULL, e->env)) != NULL &&
	    strcmp(v, w->host) == 0) {
		writer_journal(w, "info", "%s: ECS service %s/%s already uses "
		    "%s with %s=%s", w->what, e->cluster, e->service,
		    e->old_td, e->env, w->host);
		snprintf(result, sizeof(result), "ECS service %s already on "
		    "%s", e->service, e->old_td);
		writer_finish(w, 1, result);
		return;
	}
	if ((e->ecs = ecs_register_with_env(w->aws, e->old_td, NULL, e->env,
	    w->host, env_registered_cb, w)) == NULL)
		writer_fail(w, "RegisterTaskDefinition could not be sent (see "
		    "the log)");
}

static void
env_service_cb(void *arg, const struct ecs_service *svc,
    const struct api_err *err)
{
	struct writer	*w = arg;
	struct env	*e = w->priv;

	e->ecs = NULL;
	if (err != NULL) {
		writer_fail(w, "%s", err->text);
		return;
	}
	if (svc->task_definition == NULL) {
		writer_fail(w, "DescribeServices: ECS service %s/%s names no "
		    "task definition", e->cluster, e->service);
		return;
	}
	e->old_td = xstrdup(svc->task_definition);
	if ((e->ecs = ecs_describe_task_definition(w->aws, e->old_td,
	    env_td_cb, w)) == NULL)
		writer_fail(w, "DescribeTaskDefinition could not be sent (see "
		    "the log)");
}

static void
env_start(struct writer *w)
{
	const struct plan	*p = w->m->plan;
	struct env		*e;

	w->priv = e = xcalloc(1, sizeof(*e));
	e->cluster = xstrdup(p->traffic.ecs_cluster);
	e->service = xstrdup(p->traffic.ecs_service);
	e->env = xstrdup(p->cutover.ecs_env_name);
	if ((e->ecs = ecs_describe_service(w->aws, e->cluster, e->service,
	    env_service_cb, w)) == NULL)
		writer_fail(w, "DescribeServices could not be sent (see the "
		    "log)");
}

/* --- preflight --- */

/* Not a failure, but the operator must know before it happens. */
static void
env_preflight(struct writer_check *wc)
{
	writer_check_warn(wc, "preflight: warning: with cutover.writer = "
	    "ecs-env the application's writes fail from the freeze until "
	    "ECS has replaced the service's tasks with the new task "
	    "definition (minutes, not milliseconds); the droplets still "
	    "write to the source, which is read-only then; use dns or a "
	    "hook for a short write gap");
}

const struct writer_method writer_ecs_env_method = {
	.name = "ecs-env",
	.service = "ECS",
	.describe = env_describe,
	.preflight = env_preflight,
	.start = env_start,
	.put_back = env_put_back,
	.cancel = env_cancel,
	.free = env_free,
};
