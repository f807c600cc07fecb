/*
 * ecs: ECS requests built as jansson objects and answers read field by
 * field, each field's type checked before it is used (a number where a
 * string was meant is an UnexpectedAnswer, not a NULL dereference). A
 * call's context is a lib/aws struct aws_op, which owns its lifecycle,
 * with the typed callback and, for the two-step writer switch
 * (DescribeTaskDefinition, then RegisterTaskDefinition), the container,
 * name and value to set; this file is the operations and the parsing.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws.h"
#include "ecs.h"
#include "log.h"
#include "xmalloc.h"

enum ecs_kind {
	K_SERVICES,		/* DescribeServices */
	K_SERVICE,		/* UpdateService */
	K_TASK_DEF,		/* Describe- or RegisterTaskDefinition */
	K_REGISTER,		/* DescribeTaskDefinition, then Register... */
};

struct ecs_call {
	struct aws_op		 op;		/* first */
	union {
		ecs_service_cb	 service;
		ecs_task_def_cb	 task_def;
	} cb;
	/* K_REGISTER */
	char			*container;	/* NULL: every container */
	char			*name;
	char			*value;
};

/* What RegisterTaskDefinition takes from a described task definition. */
static const char *const ecs_registrable[] = {
	"family", "taskRoleArn", "executionRoleArn", "networkMode",
	"containerDefinitions", "volumes", "placementConstraints",
	"requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
	"proxyConfiguration", "inferenceAccelerators", "ephemeralStorage",
	"runtimePlatform", "enableFaultInjection", NULL
};

/* ---- JSON fields ---- */

/* Can s go into a JSON string (not NULL, UTF-8)? */
static int
utf8_ok(const char *s)
{
	json_t	*j;

	if (s == NULL || (j = json_string(s)) == NULL)
		return 0;
	json_decref(j);
	return 1;
}

/*
 * The string field key of o, malloc'd, in *out (NULL when absent or
 * null): 0, or -1 when it is there but not a string.
 */
static int
j_str(const json_t *o, const char *key, char **out)
{
	json_t	*v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* The integer field key of o in *out (0 when absent or null): 0, or -1
 * when it is not an integer in lo..hi. */
static int
j_int(const json_t *o, const char *key, int lo, int hi, int *out)
{
	json_t		*v = json_object_get(o, key);
	json_int_t	 i;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return -1;
	i = json_integer_value(v);
	if (i < lo || i > hi)
		return -1;
	*out = (int)i;
	return 0;
}

/* The array field key of o, or NULL when absent or null (*bad set when
 * it is there but not an array). */
static json_t *
j_array(const json_t *o, const char *key, int *bad)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_array(v)) {
		*bad = 1;
		return NULL;
	}
	return v;
}

/*
 * o's array member key as a vector of size-byte elements, each read by
 * parse: NULL when absent or null, else room for max elements (0: for every
 * one) of which the first *np are read. *bad is set, with why, when it is
 * not a list or parse refuses an element; that one counts in *np, for the
 * caller to free what parse left in it. arn names the owner in why.
 */
static void *
j_list(const json_t *o, const char *key, const char *arn, size_t size,
    size_t max, int (*parse)(const json_t *, void *, char *, size_t),
    size_t *np, int *bad, char *why, size_t len)
{
	json_t	*a, *v;
	char	*vec;
	size_t	 i;

	a = j_array(o, key, bad);
	if (*bad) {
		api_why(why, len, "%s: %s is not a list", arn, key);
		return NULL;
	}
	if (a == NULL)
		return NULL;
	vec = xcalloc(max != 0 ? max : json_array_size(a), size);
	json_array_foreach(a, i, v) {
		if (max != 0 && i >= max)
			break;
		*np = i + 1;
		if (parse(v, vec + i * size, why, len) == -1) {
			*bad = 1;
			break;
		}
	}
	return vec;
}

/* ---- names ---- */

/* AWS's names, at their enum values; the NONE and OTHER values have none. */
static const char *const ecs_rollout_names[] = {
	[ECS_RO_COMPLETED] = "COMPLETED",
	[ECS_RO_IN_PROGRESS] = "IN_PROGRESS",
	[ECS_RO_FAILED] = "FAILED",
};
static const char *const ecs_controller_names[] = {
	[ECS_CTRL_ECS] = "ECS",
	[ECS_CTRL_CODE_DEPLOY] = "CODE_DEPLOY",
	[ECS_CTRL_EXTERNAL] = "EXTERNAL",
};

/* The value named s in names: none when s is NULL, other when unknown. */
static int
ecs_name_lookup(const char *s, const char *const *names, size_t n, int none,
    int other)
{
	size_t	i;

	if (s == NULL)
		return none;
	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return (int)i;
	return other;
}

enum ecs_rollout
ecs_rollout_parse(const char *s)
{
	return ecs_name_lookup(s, ecs_rollout_names,
	    sizeof(ecs_rollout_names) / sizeof(ecs_rollout_names[0]),
	    ECS_RO_NONE, ECS_RO_OTHER);
}

enum ecs_controller
ecs_controller_parse(const char *s)
{
	return ecs_name_lookup(s, ecs_controller_names,
	    sizeof(ecs_controller_names) / sizeof(ecs_controller_names[0]),
	    ECS_CTRL_NONE, ECS_CTRL_OTHER);
}

/* ---- services ---- */

void
ecs_service_free(struct ecs_service *s)
{
	size_t	i;

	if (s == NULL)
		return;
	free(s->arn);
	free(s->name);
	free(s->cluster_arn);
	free(s->status);
	free(s->task_definition);
	free(s->controller);
	free(s->strategy);
	for (i = 0; i < s->ndeployments; i++) {
		free(s->deployments[i].id);
		free(s->deployments[i].status);
		free(s->deployments[i].task_definition);
		free(s->deployments[i].rollout_state);
		free(s->deployments[i].rollout_state_reason);
	}
	free(s->deployments);
	for (i = 0; i < s->nlbs; i++) {
		free(s->lbs[i].target_group_arn);
		free(s->lbs[i].load_balancer_name);
		free(s->lbs[i].container_name);
	}
	free(s->lbs);
	for (i = 0; i < s->nevents; i++) {
		free(s->events[i].id);
		free(s->events[i].message);
	}
	free(s->events);
	free(s);
}

static int
deployment_parse(const json_t *o, void *p, char *why, size_t len)
{
	struct ecs_deployment	*d = p;

	if (!json_is_object(o)) {
		api_why(why, len, "a deployment is not an object");
		return -1;
	}
	if (j_str(o, "id", &d->id) == -1 || d->id == NULL) {
		api_why(why, len, "a deployment has no id");
		return -1;
	}
	if (j_str(o, "status", &d->status) == -1 || d->status == NULL) {
		api_why(why, len, "deployment %s has no status", d->id);
		return -1;
	}
	d->primary = strcmp(d->status, "PRIMARY") == 0;
	if (j_str(o, "taskDefinition", &d->task_definition) == -1 ||
	    j_str(o, "rolloutState", &d->rollout_state) == -1 ||
	    j_str(o, "rolloutStateReason", &d->rollout_state_reason) == -1) {
		api_why(why, len, "deployment %s: a field is not a string",
		    d->id);
		return -1;
	}
	d->rollout = ecs_rollout_parse(d->rollout_state);
	if (j_int(o, "desiredCount", 0, INT_MAX, &d->desired) == -1 ||
	    j_int(o, "runningCount", 0, INT_MAX, &d->running) == -1 ||
	    j_int(o, "pendingCount", 0, INT_MAX, &d->pending) == -1 ||
	    j_int(o, "failedTasks", 0, INT_MAX, &d->failed_tasks) == -1) {
		api_why(why, len, "deployment %s: bad task count", d->id);
		return -1;
	}
	return 0;
}

static int
lb_parse(const json_t *o, void *p, char *why, size_t len)
{
	struct ecs_load_balancer	*lb = p;

	if (!json_is_object(o) ||
	    j_str(o, "targetGroupArn", &lb->target_group_arn) == -1 ||
	    j_str(o, "loadBalancerName", &lb->load_balancer_name) == -1 ||
	    j_str(o, "containerName", &lb->container_name) == -1 ||
	    j_int(o, "containerPort", 0, 65535, &lb->container_port) == -1) {
		api_why(why, len, "a load balancer has an unexpected shape");
		return -1;
	}
	return 0;
}

static int
event_parse(const json_t *o, void *p, char *why, size_t len)
{
	struct ecs_event	*e = p;
	json_t			*t;

	if (!json_is_object(o) || j_str(o, "id", &e->id) == -1 ||
	    j_str(o, "message", &e->message) == -1 || e->message == NULL) {
		api_why(why, len, "an event has an unexpected shape");
		return -1;
	}
	/* A timestamp: epoch seconds with a fraction. */
	if ((t = json_object_get(o, "createdAt")) != NULL &&
	    json_is_number(t))
		e->created_at = json_number_value(t);
	return 0;
}

struct ecs_service *
ecs_parse_service(const json_t *o, char *why, size_t len)
{
	struct ecs_service	*s;
	json_t			*dc;
	int			 bad = 0;

	if (!json_is_object(o)) {
		api_why(why, len, "the service is not an object");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	if (j_str(o, "serviceArn", &s->arn) == -1 || s->arn == NULL) {
		api_why(why, len, "the service has no serviceArn");
		goto fail;
	}
	if (j_str(o, "serviceName", &s->name) == -1 ||
	    j_str(o, "clusterArn", &s->cluster_arn) == -1 ||
	    j_str(o, "status", &s->status) == -1 ||
	    j_str(o, "taskDefinition", &s->task_definition) == -1) {
		api_why(why, len, "%s: a field is not a string", s->arn);
		goto fail;
	}
	if (j_int(o, "desiredCount", 0, INT_MAX, &s->desired_count) == -1) {
		api_why(why, len, "%s: desiredCount is not a count", s->arn);
		goto fail;
	}
	if (j_int(o, "runningCount", 0, INT_MAX, &s->running_count) == -1) {
		api_why(why, len, "%s: runningCount is not a count", s->arn);
		goto fail;
	}
	if (j_int(o, "pendingCount", 0, INT_MAX, &s->pending_count) == -1) {
		api_why(why, len, "%s: pendingCount is not a count", s->arn);
		goto fail;
	}
	if ((dc = json_object_get(o, "deploymentController")) != NULL &&
	    !json_is_null(dc) && (!json_is_object(dc) ||
	    j_str(dc, "type", &s->controller) == -1)) {
		api_why(why, len, "%s: bad deploymentController", s->arn);
		goto fail;
	}
	s->ctrl = ecs_controller_parse(s->controller);
	if ((dc = json_object_get(o, "deploymentConfiguration")) != NULL &&
	    !json_is_null(dc) && (!json_is_object(dc) ||
	    j_str(dc, "strategy", &s->strategy) == -1)) {
		api_why(why, len, "%s: bad deploymentConfiguration", s->arn);
		goto fail;
	}

	s->deployments = j_list(o, "deployments", s->arn,
	    sizeof(*s->deployments), 0, deployment_parse, &s->ndeployments,
	    &bad, why, len);
	if (!bad)
		s->lbs = j_list(o, "loadBalancers", s->arn, sizeof(*s->lbs), 0,
		    lb_parse, &s->nlbs, &bad, why, len);
	if (!bad)
		s->events = j_list(o, "events", s->arn, sizeof(*s->events),
		    ECS_MAX_EVENTS, event_parse, &s->nevents, &bad, why, len);
	if (bad)
		goto fail;
	return s;
fail:
	ecs_service_free(s);
	return NULL;
}

struct ecs_service *
ecs_parse_describe_services(const json_t *ans, char **reason, char *why,
    size_t len)
{
	json_t	*svcs, *fails, *f;
	char	*r = NULL, *arn = NULL, *detail = NULL;
	int	 bad = 0;

	if (reason != NULL)
		*reason = NULL;
	if (!json_is_object(ans)) {
		api_why(why, len, "the answer is not an object");
		return NULL;
	}
	svcs = j_array(ans, "services", &bad);
	fails = j_array(ans, "failures", &bad);
	if (bad) {
		api_why(why, len, "services or failures is not a list");
		return NULL;
	}
	if (json_array_size(svcs) > 0)
		return ecs_parse_service(json_array_get(svcs, 0), why, len);
	if (json_array_size(fails) == 0) {
		api_why(why, len, "neither a service nor a failure in the "
		    "answer");
		return NULL;
	}
	f = json_array_get(fails, 0);
	if (!json_is_object(f) || j_str(f, "reason", &r) == -1 ||
	    r == NULL || j_str(f, "arn", &arn) == -1 ||
	    j_str(f, "detail", &detail) == -1) {
		api_why(why, len, "a failure has an unexpected shape");
		free(r);
		free(arn);
		return NULL;
	}
	api_why(why, len, "%s%s%s%s", arn != NULL ? arn : "the service",
	    detail != NULL ? " (" : "", detail != NULL ? detail : "",
	    detail != NULL ? ")" : "");
	if (reason != NULL)
		*reason = r;
	else
		free(r);
	free(arn);
	free(detail);
	return NULL;
}

/* ---- task definitions ---- */

void
ecs_task_def_free(struct ecs_task_def *t)
{
	if (t == NULL)
		return;
	free(t->arn);
	free(t->family);
	free(t->status);
	xstrv_free(t->containers, t->ncontainers);
	json_decref(t->json);
	json_decref(t->tags);
	free(t);
}

/* The container definitions of td, every one an object with a name; or
 * NULL with why. */
static json_t *
containers_of(const json_t *td, char *why, size_t len)
{
	json_t	*a, *c;
	size_t	 i;

	if ((a = json_object_get(td, "containerDefinitions")) == NULL ||
	    !json_is_array(a) || json_array_size(a) == 0) {
		api_why(why, len, "the task definition has no "
		    "containerDefinitions");
		return NULL;
	}
	json_array_foreach(a, i, c) {
		if (!json_is_object(c) ||
		    !json_is_string(json_object_get(c, "name"))) {
			api_why(why, len, "container %zu has no name", i);
			return NULL;
		}
	}
	return a;
}

struct ecs_task_def *
ecs_parse_task_definition(const json_t *ans, char *why, size_t len)
{
	struct ecs_task_def	*t;
	json_t			*td, *cs, *c, *tags;
	size_t			 i;

	if (!json_is_object(ans) || (td = json_object_get(ans,
	    "taskDefinition")) == NULL || !json_is_object(td)) {
		api_why(why, len, "no taskDefinition in the answer");
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	if (j_str(td, "taskDefinitionArn", &t->arn) == -1 || t->arn == NULL) {
		api_why(why, len, "the task definition has no "
		    "taskDefinitionArn");
		goto fail;
	}
	if (j_str(td, "family", &t->family) == -1 || t->family == NULL ||
	    j_str(td, "status", &t->status) == -1 ||
	    j_int(td, "revision", 1, INT_MAX, &t->revision) == -1 ||
	    t->revision == 0) {
		api_why(why, len, "%s: no family or revision", t->arn);
		goto fail;
	}
	if ((cs = containers_of(td, why, len)) == NULL)
		goto fail;
	t->containers = xcalloc(json_array_size(cs), sizeof(*t->containers));
	json_array_foreach(cs, i, c)
		t->containers[t->ncontainers++] =
		    xstrdup(json_string_value(json_object_get(c, "name")));
	if ((tags = json_object_get(ans, "tags")) != NULL &&
	    json_is_array(tags) && json_array_size(tags) > 0)
		t->tags = json_incref(tags);
	t->json = json_incref(td);
	return t;
fail:
	ecs_task_def_free(t);
	return NULL;
}

/* The value of name in container object c, or NULL. */
static const char *
container_env(const json_t *c, const char *name)
{
	json_t	*env, *e;
	size_t	 i;

	if ((env = json_object_get(c, "environment")) == NULL ||
	    !json_is_array(env))
		return NULL;
	json_array_foreach(env, i, e)
		if (json_is_object(e) && json_is_string(json_object_get(e,
		    "name")) && strcmp(json_string_value(json_object_get(e,
		    "name")), name) == 0)
			return json_string_value(json_object_get(e, "value"));
	return NULL;
}

const char *
ecs_task_def_env(const struct ecs_task_def *t, const char *container,
    const char *name)
{
	json_t		*cs, *c;
	const char	*v, *all = NULL;
	size_t		 i;

	if (t == NULL || name == NULL ||
	    (cs = json_object_get(t->json, "containerDefinitions")) == NULL)
		return NULL;
	json_array_foreach(cs, i, c) {
		if (container != NULL) {
			if (strcmp(json_string_value(json_object_get(c,
			    "name")), container) == 0)
				return container_env(c, name);
			continue;
		}
		if ((v = container_env(c, name)) == NULL ||
		    (all != NULL && strcmp(all, v) != 0))
			return NULL;
		all = v;
	}
	return all;
}

/* Does container c have a secret called name? */
static int
container_has_secret(const json_t *c, const char *name)
{
	json_t	*secrets, *s, *n;
	size_t	 i;

	if ((secrets = json_object_get(c, "secrets")) == NULL ||
	    !json_is_array(secrets))
		return 0;
	json_array_foreach(secrets, i, s)
		if ((n = json_object_get(s, "name")) != NULL &&
		    json_is_string(n) && strcmp(json_string_value(n), name) == 0)
			return 1;
	return 0;
}

/*
 * Set name=value in container c (a copy we own): in place of the first
 * entry of that name, the others dropped, else appended. 0, or -1 when
 * the environment has an unexpected shape.
 */
static int
container_setenv(json_t *c, const char *name, const char *value)
{
	json_t	*env, *e, *n;
	size_t	 i;
	int	 done = 0;

	if ((env = json_object_get(c, "environment")) == NULL ||
	    json_is_null(env)) {
		env = json_array();
		json_object_set_new(c, "environment", env);
	}
	if (!json_is_array(env))
		return -1;
	for (i = 0; i < json_array_size(env); ) {
		e = json_array_get(env, i);
		if (!json_is_object(e) || (n = json_object_get(e,
		    "name")) == NULL || !json_is_string(n))
			return -1;
		if (strcmp(json_string_value(n), name) != 0) {
			i++;
			continue;
		}
		if (done) {
			json_array_remove(env, i);
			continue;
		}
		json_object_set_new(e, "value", json_string(value));
		done = 1;
		i++;
	}
	if (!done)
		json_array_append_new(env, json_pack("{s:s, s:s}", "name",
		    name, "value", value));
	return 0;
}

json_t *
ecs_register_body(const json_t *td, const json_t *tags,
    const char *container, const char *name, const char *value,
    const char **code, char *why, size_t len)
{
	json_t		*body, *cs, *c, *v, *tg, *t, *k;
	const char	*cname;
	size_t		 i, hit = 0;

	*code = "InvalidArgument";
	if (name == NULL || name[0] == '\0' || !utf8_ok(name) ||
	    !utf8_ok(value)) {
		api_why(why, len, "no variable name or value, or one not "
		    "UTF-8");
		return NULL;
	}
	*code = "UnexpectedAnswer";
	if (!json_is_object(td)) {
		api_why(why, len, "the task definition is not an object");
		return NULL;
	}
	if (!json_is_string(json_object_get(td, "family")) ||
	    containers_of(td, why, len) == NULL) {
		if (!json_is_string(json_object_get(td, "family")))
			api_why(why, len, "the task definition has no family");
		return NULL;
	}
	if ((body = json_object()) == NULL)
		fatal("ecs: json_object");
	for (i = 0; ecs_registrable[i] != NULL; i++)
		if ((v = json_object_get(td, ecs_registrable[i])) != NULL &&
		    !json_is_null(v))
			json_object_set_new(body, ecs_registrable[i],
			    json_deep_copy(v));

	cs = json_object_get(body, "containerDefinitions");
	json_array_foreach(cs, i, c) {
		cname = json_string_value(json_object_get(c, "name"));
		if (container != NULL && strcmp(cname, container) != 0)
			continue;
		hit++;
		if (container_has_secret(c, name)) {
			*code = "SecretConflict";
			api_why(why, len, "container %s has a secret named %s",
			    cname, name);
			goto fail;
		}
		if (container_setenv(c, name, value) == -1) {
			api_why(why, len, "container %s: environment has an "
			    "unexpected shape", cname);
			goto fail;
		}
	}
	if (hit == 0) {
		*code = "ContainerNotFound";
		api_why(why, len, "no container %s in %s", container,
		    json_string_value(json_object_get(td, "family")));
		goto fail;
	}

	if (tags != NULL && json_is_array(tags)) {
		tg = json_array();
		json_array_foreach(tags, i, t) {
			if (!json_is_object(t) || (k = json_object_get(t,
			    "key")) == NULL || !json_is_string(k)) {
				json_decref(tg);
				api_why(why, len, "a tag has no key");
				goto fail;
			}
			if (strncmp(json_string_value(k), "aws:", 4) != 0)
				json_array_append_new(tg, json_deep_copy(t));
		}
		if (json_array_size(tg) > 0)
			json_object_set_new(body, "tags", tg);
		else
			json_decref(tg);
	}
	*code = NULL;
	return body;
fail:
	json_decref(body);
	return NULL;
}

/* ---- helpers ---- */

const struct ecs_deployment *
ecs_primary_deployment(const struct ecs_service *s)
{
	size_t	i;

	for (i = 0; s != NULL && i < s->ndeployments; i++)
		if (s->deployments[i].primary)
			return &s->deployments[i];
	return NULL;
}

int
ecs_deployment_complete(const struct ecs_service *s, char *why, size_t len)
{
	const struct ecs_deployment	*d, *p;

	if (s->ndeployments == 0) {
		api_why(why, len, "%s has no deployment", s->arn);
		return 0;
	}
	if (s->ndeployments > 1) {
		p = ecs_primary_deployment(s);
		api_why(why, len, "%zu deployments: the primary's rollout is "
		    "%s (%d of %d running)", s->ndeployments,
		    p != NULL && p->rollout_state != NULL ? p->rollout_state :
		    "under way", p != NULL ? p->running : 0,
		    p != NULL ? p->desired : 0);
		return 0;
	}
	d = &s->deployments[0];
	if (!d->primary) {
		api_why(why, len, "the only deployment, %s, is %s, not "
		    "PRIMARY", d->id, d->status);
		return 0;
	}
	switch (d->rollout) {
	case ECS_RO_COMPLETED:
		return 1;
	case ECS_RO_NONE:
		if (d->running == d->desired)
			return 1;
		api_why(why, len, "deployment %s: %d of %d tasks running",
		    d->id, d->running, d->desired);
		return 0;
	case ECS_RO_FAILED:
		api_why(why, len, "deployment %s FAILED: %s", d->id,
		    d->rollout_state_reason != NULL ?
		    d->rollout_state_reason : "no reason given");
		return 0;
	default:
		api_why(why, len, "deployment %s is %s: %d of %d tasks "
		    "running%s%s", d->id, d->rollout_state, d->running,
		    d->desired, d->rollout_state_reason != NULL ? ": " : "",
		    d->rollout_state_reason != NULL ?
		    d->rollout_state_reason : "");
		return 0;
	}
}

int
ecs_deployment_failed(const struct ecs_service *s, const char *task_def,
    char *why, size_t len)
{
	const struct ecs_deployment	*d;
	size_t				 i;

	for (i = 0; i < s->ndeployments; i++) {
		d = &s->deployments[i];
		if (d->rollout != ECS_RO_FAILED)
			continue;
		if (task_def != NULL && (d->task_definition == NULL ||
		    strcmp(d->task_definition, task_def) != 0))
			continue;
		api_why(why, len, "deployment %s of %s FAILED: %s", d->id,
		    d->task_definition != NULL ? d->task_definition : "?",
		    d->rollout_state_reason != NULL ?
		    d->rollout_state_reason : "no reason given");
		return 1;
	}
	return 0;
}

int
ecs_rolling_controller(const struct ecs_service *s, char *why, size_t len)
{
	if (s->ctrl != ECS_CTRL_NONE && s->ctrl != ECS_CTRL_ECS) {
		api_why(why, len, "%s uses the %s deployment controller, not "
		    "ECS's rolling update", s->arn, s->controller);
		return 0;
	}
	if (s->strategy != NULL && strcmp(s->strategy, "ROLLING") != 0) {
		api_why(why, len, "%s uses ECS's %s deployment strategy, "
		    "which shifts listener weights itself", s->arn,
		    s->strategy);
		return 0;
	}
	return 1;
}

/* ---- calls ---- */

static void
call_clear(struct aws_op *o)
{
	struct ecs_call	*c = (struct ecs_call *)o;

	free(c->container);
	free(c->name);
	free(c->value);
}

static void
call_fail(struct aws_op *o, const struct api_err *e)
{
	struct ecs_call	*c = (struct ecs_call *)o;

	switch (c->op.kind) {
	case K_SERVICES:
	case K_SERVICE:
		c->cb.service(o->arg, NULL, e);
		break;
	case K_TASK_DEF:
	case K_REGISTER:
		c->cb.task_def(o->arg, NULL, e);
		break;
	}
}

/*
 * The writer switch's second step, from the described task definition:
 * 1 when RegisterTaskDefinition is on its way, 0 when an error was
 * delivered.
 */
static int
register_next(struct ecs_call *c, const json_t *ans, int status)
{
	struct ecs_task_def	*t;
	json_t			*body;
	const char		*code;
	char			 why[256];

	if ((t = ecs_parse_task_definition(ans, why, sizeof(why))) == NULL) {
		log_debug("ecs: %s: unexpected answer: %s", c->op.name, why);
		aws_op_fail(&c->op, "UnexpectedAnswer", why, status);
		return 0;
	}
	c->op.name = "RegisterTaskDefinition";
	body = ecs_register_body(t->json, t->tags, c->container, c->name,
	    c->value, &code, why, sizeof(why));
	if (body == NULL) {
		log_warnx("ecs: %s: cannot copy %s: %s", c->op.name, t->arn,
		    why);
		ecs_task_def_free(t);
		aws_op_fail(&c->op, code, why, 0);
		return 0;
	}
	log_info("ecs: %s: registering a copy of %s with %s set in %s",
	    c->op.name, t->arn, c->name, c->container != NULL ? c->container :
	    "every container");
	ecs_task_def_free(t);
	c->op.kind = K_TASK_DEF;
	if (aws_op_json(&c->op, body) == -1) {
		c->op.kind = K_REGISTER;
		aws_op_fail(&c->op, "LocalError", "cannot start the call", 0);
		return 0;
	}
	return 1;
}

static int
call_answer(struct aws_op *o, const struct aws_result *res, char *why,
    size_t len)
{
	struct ecs_call		*c = (struct ecs_call *)o;
	struct ecs_service	*s;
	struct ecs_task_def	*t;
	char			*reason = NULL;

	switch (c->op.kind) {
	case K_SERVICES:
		if ((s = ecs_parse_describe_services(res->json, &reason, why,
		    len)) == NULL) {
			if (reason == NULL)
				return -1;
			aws_op_fail(o, reason, why, res->status);
			free(reason);
			break;
		}
		c->cb.service(o->arg, s, NULL);
		ecs_service_free(s);
		break;
	case K_SERVICE:
		if ((s = ecs_parse_service(json_object_get(res->json,
		    "service"), why, len)) == NULL)
			return -1;
		c->cb.service(o->arg, s, NULL);
		ecs_service_free(s);
		break;
	case K_TASK_DEF:
		if ((t = ecs_parse_task_definition(res->json, why,
		    len)) == NULL)
			return -1;
		c->cb.task_def(o->arg, t, NULL);
		ecs_task_def_free(t);
		break;
	case K_REGISTER:
		return register_next(c, res->json, res->status);
	}
	return 0;
}

static const struct aws_op_type ecs_op = {
	.client = "ecs",
	.svc = &aws_ecs,
	.size = sizeof(struct ecs_call),
	.answer = call_answer,
	.fail = call_fail,
	.clear = call_clear,
};

static int
arg_ok(const char *op, const char *what, const char *v)
{
	return aws_op_arg_ok(&ecs_op, op, what, v);
}

/*
 * Send c with body (stolen; NULL: json_pack refused an argument that is
 * not UTF-8); NULL, c freed, if it cannot start.
 */
static struct ecs_call *
call_start(struct ecs_call *c, json_t *body)
{
	if (body == NULL) {
		log_warnx("ecs: %s: refused: an argument is not UTF-8",
		    c->op.name);
		aws_op_free(&c->op);
		return NULL;
	}
	return aws_op_started(&c->op, aws_op_json(&c->op, body));
}

void
ecs_cancel(struct ecs_call *c)
{
	if (c != NULL)
		aws_op_cancel(&c->op);
}

struct ecs_call *
ecs_describe_service(struct aws *a, const char *cluster, const char *service,
    ecs_service_cb cb, void *arg)
{
	struct ecs_call	*c;

	if (!arg_ok("DescribeServices", "cluster", cluster) ||
	    !arg_ok("DescribeServices", "service", service))
		return NULL;
	c = aws_op_new(a, &ecs_op, "DescribeServices", K_SERVICES, arg);
	c->cb.service = cb;
	return call_start(c, json_pack("{s:s, s:[s]}", "cluster", cluster,
	    "services", service));
}

struct ecs_call *
ecs_update_desired(struct aws *a, const char *cluster, const char *service,
    int count, ecs_service_cb cb, void *arg)
{
	struct ecs_call	*c;

	if (!arg_ok("UpdateService", "cluster", cluster) ||
	    !arg_ok("UpdateService", "service", service))
		return NULL;
	if (count < 0) {
		log_warnx("ecs: UpdateService %s: refused: desired count %d",
		    service, count);
		return NULL;
	}
	c = aws_op_new(a, &ecs_op, "UpdateService", K_SERVICE, arg);
	c->cb.service = cb;
	return call_start(c, json_pack("{s:s, s:s, s:i}", "cluster", cluster,
	    "service", service, "desiredCount", count));
}

struct ecs_call *
ecs_update_service_task_definition(struct aws *a, const char *cluster,
    const char *service, const char *task_def, int force, ecs_service_cb cb,
    void *arg)
{
	struct ecs_call	*c;

	if (!arg_ok("UpdateService", "cluster", cluster) ||
	    !arg_ok("UpdateService", "service", service) ||
	    !arg_ok("UpdateService", "task definition", task_def))
		return NULL;
	c = aws_op_new(a, &ecs_op, "UpdateService", K_SERVICE, arg);
	c->cb.service = cb;
	return call_start(c, json_pack("{s:s, s:s, s:s, s:b}", "cluster",
	    cluster, "service", service, "taskDefinition", task_def,
	    "forceNewDeployment", force != 0));
}

struct ecs_call *
ecs_describe_task_definition(struct aws *a, const char *task_def,
    ecs_task_def_cb cb, void *arg)
{
	struct ecs_call	*c;

	if (!arg_ok("DescribeTaskDefinition", "task definition", task_def))
		return NULL;
	c = aws_op_new(a, &ecs_op, "DescribeTaskDefinition", K_TASK_DEF, arg);
	c->cb.task_def = cb;
	return call_start(c, json_pack("{s:s, s:[s]}", "taskDefinition",
	    task_def, "include", "TAGS"));
}

struct ecs_call *
ecs_register_with_env(struct aws *a, const char *task_def,
    const char *container, const char *name, const char *value,
    ecs_task_def_cb cb, void *arg)
{
	struct ecs_call	*c;

	if (!arg_ok("RegisterTaskDefinition", "task definition", task_def) ||
	    !arg_ok("RegisterTaskDefinition", "variable name", name))
		return NULL;
	if (container != NULL && container[0] == '\0') {
		log_warnx("ecs: RegisterTaskDefinition: empty container name");
		return NULL;
	}
	if (!utf8_ok(name) || !utf8_ok(value) ||
	    (container != NULL && !utf8_ok(container))) {
		log_warnx("ecs: RegisterTaskDefinition: no value, or an "
		    "argument not UTF-8");
		return NULL;
	}
	c = aws_op_new(a, &ecs_op, "DescribeTaskDefinition", K_REGISTER, arg);
	c->cb.task_def = cb;
	c->container = container != NULL ? xstrdup(container) : NULL;
	c->name = xstrdup(name);
	c->value = xstrdup(value);
	return call_start(c, json_pack("{s:s, s:[s]}", "taskDefinition",
	    task_def, "include", "TAGS"));
}
