/*
 * check_ecs: lib/ecs.c. The parsers read answers written by hand after
 * the ECS API reference's examples (the shapes moto does not produce: a
 * rollout in progress with two deployments, a FAILED rollout with its
 * reason, the CODE_DEPLOY controller and ECS's own blue/green strategy,
 * a deployment without rolloutState). The calls run against real moto
 * (`moto_server`, started once by the parent process and killed at the
 * end, also on signals): each test builds its own cluster, a task
 * definition with two containers and a service of desired count 0,
 * through lib/aws. An in-process evhttp server answers what moto will
 * not (odd JSON) and records what the client sent.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <libxml/parser.h>

#include "aws-creds.h"
#include "aws.h"
#include "awstest.h"
#include "ecs.h"
#include "http.h"
#include "log.h"
#include "moto.h"
#include "suite.h"

#define ARN_MAX		256
#define MAX_ITEMS	8

static struct aws		*aws;
static struct answer		*srv;		/* awt.srv */

/* The moto fixture of one test. */
struct fixture {
	char	cluster[64];
	char	service[64];
	char	family[64];
	char	td[ARN_MAX];		/* family:1 */
	char	svc_arn[ARN_MAX];
};
static struct fixture	fx;

#define FX_TG	"arn:aws:elasticloadbalancing:us-east-1:123456789012:" \
		"targetgroup/ecs-tg/73e2d6bc24d8a067"

/* ---- what the callbacks saw, copied ---- */

struct got {
	struct awstest_calls	cb;
	/* service */
	char	 arn[ARN_MAX];
	char	 status_s[16];
	char	 td[ARN_MAX];
	char	 controller[16];
	int	 desired, running, pending;
	size_t	 ndep;
	char	 dep_id[MAX_ITEMS][64];
	char	 dep_status[MAX_ITEMS][16];
	char	 dep_td[MAX_ITEMS][ARN_MAX];
	char	 dep_rollout[MAX_ITEMS][16];
	size_t	 nlbs;
	char	 lb_tg[ARN_MAX];
	char	 lb_container[32];
	int	 lb_port;
	int	 complete, rolling;
	char	 why[256];
	/* task definition */
	int	 revision;
	char	 family[64];
	size_t	 ncontainers;
	json_t	*json;			/* the taskDefinition, ours */
	json_t	*tags;
};

static void
got_clear(struct got *g)
{
	json_decref(g->json);
	json_decref(g->tags);
	memset(g, 0, sizeof(*g));
}

static void
service_cb(void *arg, const struct ecs_service *s, const struct api_err *e)
{
	struct got	*g = arg;
	size_t		 i;

	if (awstest_failed(&g->cb, s, e))
		return;
	snprintf(g->arn, sizeof(g->arn), "%s", s->arn);
	snprintf(g->status_s, sizeof(g->status_s), "%s", s->status);
	snprintf(g->td, sizeof(g->td), "%s", s->task_definition);
	snprintf(g->controller, sizeof(g->controller), "%s",
	    s->controller != NULL ? s->controller : "");
	g->desired = s->desired_count;
	g->running = s->running_count;
	g->pending = s->pending_count;
	g->ndep = s->ndeployments;
	for (i = 0; i < s->ndeployments && i < MAX_ITEMS; i++) {
		snprintf(g->dep_id[i], 64, "%s", s->deployments[i].id);
		snprintf(g->dep_status[i], 16, "%s",
		    s->deployments[i].status);
		snprintf(g->dep_td[i], ARN_MAX, "%s",
		    s->deployments[i].task_definition);
		snprintf(g->dep_rollout[i], 16, "%s",
		    s->deployments[i].rollout_state != NULL ?
		    s->deployments[i].rollout_state : "");
	}
	g->nlbs = s->nlbs;
	if (s->nlbs > 0) {
		snprintf(g->lb_tg, sizeof(g->lb_tg), "%s",
		    s->lbs[0].target_group_arn);
		snprintf(g->lb_container, sizeof(g->lb_container), "%s",
		    s->lbs[0].container_name);
		g->lb_port = s->lbs[0].container_port;
	}
	g->complete = ecs_deployment_complete(s, g->why, sizeof(g->why));
	g->rolling = ecs_rolling_controller(s, NULL, 0);
}

static void
task_def_cb(void *arg, const struct ecs_task_def *t,
    const struct api_err *e)
{
	struct got	*g = arg;

	if (awstest_failed(&g->cb, t, e))
		return;
	snprintf(g->arn, sizeof(g->arn), "%s", t->arn);
	snprintf(g->family, sizeof(g->family), "%s", t->family);
	g->revision = t->revision;
	g->ncontainers = t->ncontainers;
	g->json = json_deep_copy(t->json);
	g->tags = t->tags != NULL ? json_deep_copy(t->tags) : NULL;
}

/* ---- building the fixture with plain lib/aws calls ---- */

/* Call operation with body (stolen); the answer, to json_decref. */
static json_t *
j_call(const char *op, json_t *body)
{
	struct awstest_raw	r = { 0 };

	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_nonnull(aws_json(aws, &aws_ecs, op, body, awstest_raw_cb,
	    &r));
	awstest_raw_wait(&r, op);
	ck_assert_ptr_nonnull(r.json);
	return r.json;
}

/*
 * A cluster; a task definition with two containers ("app" with DB_HOST
 * and LOG_LEVEL, "sidecar" with its own env and a secret), every
 * registrable field moto keeps, and tags; a service of desired count 0
 * on EC2 with bridge networking (no networkConfiguration needed) behind
 * FX_TG.
 */
static void
fixture_make(void)
{
	static int	 seq;
	json_t		*a, *td;

	if (moto_port == 0)
		ck_abort_msg("moto_server is not running");
	memset(&fx, 0, sizeof(fx));
	ck_assert_ptr_nonnull(aws = awstest_aws(moto_port));
	++seq;
	snprintf(fx.cluster, sizeof(fx.cluster), "c-%d-%d", (int)getpid(),
	    seq);
	snprintf(fx.service, sizeof(fx.service), "web-%d-%d", (int)getpid(),
	    seq);
	snprintf(fx.family, sizeof(fx.family), "shop-%d-%d", (int)getpid(),
	    seq);

	json_decref(j_call("CreateCluster", json_pack("{s:s}",
	    "clusterName", fx.cluster)));

	td = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:s, s:s,"
	    " s:{s:s, s:s}, s:{s:i}, s:[{s:s, s:s}], s:[{s:s, s:{s:s}}],"
	    " s:[{s:s, s:s}]}",
	    "family", fx.family,
	    "taskRoleArn", "arn:aws:iam::123456789012:role/shop-task",
	    "executionRoleArn", "arn:aws:iam::123456789012:role/shop-exec",
	    "networkMode", "bridge",
	    "requiresCompatibilities", "EC2",
	    "cpu", "256", "memory", "512", "pidMode", "task",
	    "ipcMode", "task",
	    "runtimePlatform", "cpuArchitecture", "X86_64",
	    "operatingSystemFamily", "LINUX",
	    "ephemeralStorage", "sizeInGiB", 30,
	    "placementConstraints", "type", "memberOf", "expression",
	    "attribute:ecs.instance-type =~ t3.*",
	    "volumes", "name", "data", "host", "sourcePath", "/srv/data",
	    "tags", "key", "team", "value", "shop");
	ck_assert_ptr_nonnull(td);
	a = json_pack("[{s:s, s:s, s:i, s:b, s:[{s:i, s:i}],"
	    " s:[{s:s, s:s}, {s:s, s:s}], s:[{s:s, s:s}]},"
	    " {s:s, s:s, s:i, s:b, s:[{s:s, s:s}],"
	    " s:[{s:s, s:s}]}]",
	    "name", "app", "image", "shop/app:1.4", "memory", 256,
	    "essential", 1, "portMappings", "containerPort", 80,
	    "hostPort", 0,
	    "environment", "name", "DB_HOST", "value", "10.0.1.10",
	    "name", "LOG_LEVEL", "value", "info",
	    "mountPoints", "sourceVolume", "data", "containerPath", "/data",
	    "name", "sidecar", "image", "shop/metrics:2", "memory", 64,
	    "essential", 0,
	    "environment", "name", "DB_HOST", "value", "sidecar-keeps-this",
	    "secrets", "name", "API_KEY", "valueFrom",
	    "arn:aws:ssm:us-east-1:123456789012:parameter/api-key");
	ck_assert_ptr_nonnull(a);
	json_object_set_new(td, "containerDefinitions", a);
	a = j_call("RegisterTaskDefinition", td);
	snprintf(fx.td, sizeof(fx.td), "%s", json_string_value(
	    json_object_get(json_object_get(a, "taskDefinition"),
	    "taskDefinitionArn")));
	json_decref(a);
	ck_assert_ptr_nonnull(strstr(fx.td, ":1"));

	a = j_call("CreateService", json_pack("{s:s, s:s, s:s, s:i, s:s,"
	    " s:[{s:s, s:s, s:i}]}", "cluster", fx.cluster,
	    "serviceName", fx.service, "taskDefinition", fx.td,
	    "desiredCount", 0, "launchType", "EC2",
	    "loadBalancers", "targetGroupArn", FX_TG, "containerName", "app",
	    "containerPort", 80));
	snprintf(fx.svc_arn, sizeof(fx.svc_arn), "%s", json_string_value(
	    json_object_get(json_object_get(a, "service"), "serviceArn")));
	json_decref(a);
}

static void
describe(struct got *g)
{
	memset(g, 0, sizeof(*g));
	ck_assert_ptr_nonnull(ecs_describe_service(aws, fx.cluster,
	    fx.service, service_cb, g));
	awstest_run(&g->cb.n, 1, 10000);
	ck_assert_int_eq(g->cb.n, 1);
	ck_assert_msg(!g->cb.err, "%s", g->cb.text);
}

static void
describe_td(struct got *g, const char *arn)
{
	memset(g, 0, sizeof(*g));
	ck_assert_ptr_nonnull(ecs_describe_task_definition(aws, arn,
	    task_def_cb, g));
	awstest_run(&g->cb.n, 1, 10000);
	ck_assert_int_eq(g->cb.n, 1);
	ck_assert_msg(!g->cb.err, "%s", g->cb.text);
}

/* The container called name in a taskDefinition object. */
static json_t *
container(const json_t *td, const char *name)
{
	json_t	*c;
	size_t	 i;

	json_array_foreach(json_object_get(td, "containerDefinitions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")),
		    name) == 0)
			return c;
	ck_abort_msg("no container %s", name);
	return NULL;
}

/* ---- moto ---- */

START_TEST(moto_describe_service)
{
	struct got	g;

	fixture_make();
	describe(&g);
	ck_assert_str_eq(g.arn, fx.svc_arn);
	ck_assert_str_eq(g.status_s, "ACTIVE");
	ck_assert_str_eq(g.td, fx.td);
	ck_assert_str_eq(g.controller, "ECS");
	ck_assert_int_eq(g.desired, 0);
	ck_assert_int_eq(g.running, 0);
	ck_assert_int_eq(g.pending, 0);
	/* moto: one PRIMARY deployment, COMPLETED from the start. */
	ck_assert_uint_eq(g.ndep, 1);
	ck_assert_str_eq(g.dep_status[0], "PRIMARY");
	ck_assert_str_eq(g.dep_td[0], fx.td);
	ck_assert_str_eq(g.dep_rollout[0], "COMPLETED");
	ck_assert_uint_eq(g.nlbs, 1);
	ck_assert_str_eq(g.lb_tg, FX_TG);
	ck_assert_str_eq(g.lb_container, "app");
	ck_assert_int_eq(g.lb_port, 80);
	ck_assert_msg(g.complete == 1, "%s", g.why);
	ck_assert_int_eq(g.rolling, 1);

	/* By ARN too. */
	memset(&g, 0, sizeof(g));
	ck_assert_ptr_nonnull(ecs_describe_service(aws, fx.cluster,
	    fx.svc_arn, service_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_str_eq(g.arn, fx.svc_arn);
}
END_TEST

START_TEST(moto_update_desired)
{
	struct got	g = { 0 };

	fixture_make();
	ck_assert_ptr_nonnull(ecs_update_desired(aws, fx.cluster, fx.service,
	    3, service_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.n, 1);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_str_eq(g.arn, fx.svc_arn);
	ck_assert_int_eq(g.desired, 3);

	describe(&g);
	ck_assert_int_eq(g.desired, 3);
	/* moto has the tasks running at once; AWS would start them. */
	ck_assert_int_eq(g.running, 3);
	ck_assert_uint_eq(g.ndep, 1);

	/* Refused here: never sent. */
	ck_assert_ptr_null(ecs_update_desired(aws, fx.cluster, fx.service,
	    -1, service_cb, &g));
	ck_assert_ptr_null(ecs_update_desired(aws, fx.cluster, "",
	    1, service_cb, &g));
}
END_TEST

START_TEST(moto_register_with_env)
{
	static const char *const same[] = { "family", "taskRoleArn",
	    "executionRoleArn", "networkMode", "requiresCompatibilities",
	    "cpu", "memory", "volumes", "placementConstraints",
	    "runtimePlatform", "ephemeralStorage", "pidMode", "ipcMode",
	    NULL };
	struct got	 old, g = { 0 }, back;
	json_t		*oc, *nc, *env, *want;
	size_t		 i;
	const char	*k;
	json_t		*v;

	fixture_make();
	describe_td(&old, fx.td);
	ck_assert_int_eq(old.revision, 1);
	ck_assert_uint_eq(old.ncontainers, 2);
	ck_assert_ptr_nonnull(old.tags);

	ck_assert_ptr_nonnull(ecs_register_with_env(aws, fx.td, "app",
	    "DB_HOST", "shop.cluster-abc.us-east-1.rds.amazonaws.com",
	    task_def_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.n, 1);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_int_eq(g.revision, 2);
	ck_assert_str_eq(g.family, fx.family);
	ck_assert_str_ne(g.arn, fx.td);

	/* Read back, and compare with the original field by field. */
	describe_td(&back, g.arn);
	ck_assert_int_eq(back.revision, 2);
	for (i = 0; same[i] != NULL; i++) {
		ck_assert_msg(json_object_get(old.json, same[i]) != NULL,
		    "moto dropped %s", same[i]);
		ck_assert_msg(json_equal(json_object_get(old.json, same[i]),
		    json_object_get(back.json, same[i])), "%s differs",
		    same[i]);
	}
	ck_assert_ptr_nonnull(back.tags);
	ck_assert_msg(json_equal(old.tags, back.tags), "tags differ");
	/* The sidecar: untouched, its own DB_HOST included. */
	ck_assert_msg(json_equal(container(old.json, "sidecar"),
	    container(back.json, "sidecar")), "sidecar differs");
	/* The app: only DB_HOST's value differs, in its place. */
	oc = container(old.json, "app");
	nc = container(back.json, "app");
	json_object_foreach(oc, k, v)
		if (strcmp(k, "environment") != 0)
			ck_assert_msg(json_equal(v, json_object_get(nc, k)),
			    "app.%s differs", k);
	env = json_object_get(nc, "environment");
	want = json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "DB_HOST",
	    "value", "shop.cluster-abc.us-east-1.rds.amazonaws.com",
	    "name", "LOG_LEVEL", "value", "info");
	ck_assert_msg(json_equal(env, want), "app environment differs");
	json_decref(want);
	{
		struct ecs_task_def	t = { .json = back.json };

		ck_assert_str_eq(ecs_task_def_env(&t, "app", "DB_HOST"),
		    "shop.cluster-abc.us-east-1.rds.amazonaws.com");
		ck_assert_str_eq(ecs_task_def_env(&t, "sidecar", "DB_HOST"),
		    "sidecar-keeps-this");
		ck_assert_ptr_null(ecs_task_def_env(&t, NULL, "DB_HOST"));
		ck_assert_str_eq(ecs_task_def_env(&t, "app", "LOG_LEVEL"),
		    "info");
	}
	got_clear(&old);
	got_clear(&g);
	got_clear(&back);

	/* Every container, NULL: both get it; the old revision's two
	 * values are replaced. */
	ck_assert_ptr_nonnull(ecs_register_with_env(aws, fx.td, NULL,
	    "DB_HOST", "rds", task_def_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_int_eq(g.revision, 3);
	{
		struct ecs_task_def	t = { .json = g.json };

		ck_assert_str_eq(ecs_task_def_env(&t, NULL, "DB_HOST"), "rds");
	}
	got_clear(&g);
}
END_TEST

START_TEST(moto_register_errors)
{
	struct got	g = { 0 };

	fixture_make();
	ck_assert_ptr_nonnull(ecs_register_with_env(aws, fx.td, "nope",
	    "DB_HOST", "rds", task_def_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.n, 1);
	awstest_err_is(&g.cb, "RegisterTaskDefinition", "ContainerNotFound");
	got_clear(&g);

	/* The sidecar reads API_KEY from a secret. */
	ck_assert_ptr_nonnull(ecs_register_with_env(aws, fx.td, "sidecar",
	    "API_KEY", "x", task_def_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.err, 1);
	ck_assert_str_eq(g.cb.code, "SecretConflict");
	got_clear(&g);

	ck_assert_ptr_nonnull(ecs_register_with_env(aws, "nosuchfamily:7",
	    NULL, "DB_HOST", "rds", task_def_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.err, 1);
	ck_assert_str_eq(g.cb.op, "DescribeTaskDefinition");
	ck_assert_int_eq(g.cb.status, 400);
	got_clear(&g);

	/* Refused here. */
	ck_assert_ptr_null(ecs_register_with_env(aws, fx.td, NULL, "",
	    "rds", task_def_cb, &g));
	ck_assert_ptr_null(ecs_register_with_env(aws, fx.td, NULL,
	    "DB_HOST", NULL, task_def_cb, &g));
	ck_assert_ptr_null(ecs_register_with_env(aws, fx.td, NULL,
	    "DB_HOST", "\xff\xfe", task_def_cb, &g));
	ck_assert_ptr_null(ecs_register_with_env(aws, NULL, NULL,
	    "DB_HOST", "rds", task_def_cb, &g));
}
END_TEST

START_TEST(moto_update_task_definition)
{
	struct got	g = { 0 }, before;
	char		new_td[ARN_MAX];

	fixture_make();
	describe(&before);
	ck_assert_ptr_nonnull(ecs_register_with_env(aws, fx.td, "app",
	    "DB_HOST", "rds", task_def_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	snprintf(new_td, sizeof(new_td), "%s", g.arn);
	got_clear(&g);

	ck_assert_ptr_nonnull(ecs_update_service_task_definition(aws,
	    fx.cluster, fx.service, new_td, 1, service_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.n, 1);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_str_eq(g.td, new_td);

	describe(&g);
	ck_assert_str_eq(g.td, new_td);
	/*
	 * What moto really does: no new deployment. It keeps the one it made
	 * at create time, COMPLETED, with the old task definition;
	 * forceNewDeployment only gives that deployment a new id. AWS would
	 * list a new PRIMARY deployment of new_td (IN_PROGRESS) beside the
	 * old one, now ACTIVE: the parse tests cover that shape.
	 */
	ck_assert_uint_eq(g.ndep, 1);
	ck_assert_str_eq(g.dep_status[0], "PRIMARY");
	ck_assert_str_eq(g.dep_td[0], fx.td);
	ck_assert_str_ne(g.dep_id[0], before.dep_id[0]);
	ck_assert_str_eq(g.dep_rollout[0], "COMPLETED");

	/* A revision that does not exist. */
	memset(&g, 0, sizeof(g));
	ck_assert_ptr_nonnull(ecs_update_service_task_definition(aws,
	    fx.cluster, fx.service, "nosuchfamily:9", 0, service_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.err, 1);
	ck_assert_str_eq(g.cb.op, "UpdateService");
}
END_TEST

START_TEST(moto_missing_service)
{
	struct got	g = { 0 };

	fixture_make();
	ck_assert_ptr_nonnull(ecs_describe_service(aws, fx.cluster, "nope",
	    service_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.n, 1);
	awstest_err_is(&g.cb, "DescribeServices", "MISSING");
	ck_assert_msg(strstr(g.cb.text, "nope") != NULL, "%s", g.cb.text);
}
END_TEST

START_TEST(moto_missing_cluster)
{
	struct got	g = { 0 };

	fixture_make();
	ck_assert_ptr_nonnull(ecs_describe_service(aws, "no-such-cluster",
	    fx.service, service_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.n, 1);
	awstest_err_is(&g.cb, "DescribeServices", "ClusterNotFoundException");
	ck_assert_int_eq(g.cb.status, 400);

	memset(&g, 0, sizeof(g));
	ck_assert_ptr_nonnull(ecs_update_desired(aws, "no-such-cluster",
	    fx.service, 2, service_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	awstest_err_is(&g.cb, "UpdateService", "ClusterNotFoundException");
}
END_TEST

START_TEST(moto_cancel)
{
	struct got		 g = { 0 }, r = { 0 };
	struct ecs_call		*c;

	fixture_make();
	ck_assert_ptr_nonnull(c = ecs_register_with_env(aws, fx.td, "app",
	    "DB_HOST", "rds", task_def_cb, &r));
	ecs_cancel(c);
	ck_assert_ptr_nonnull(ecs_describe_service(aws, fx.cluster,
	    fx.service, service_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	awstest_run(NULL, 0, 200);
	ck_assert_int_eq(g.cb.n, 1);
	ck_assert_int_eq(g.cb.err, 0);
	ck_assert_int_eq(r.cb.n, 0);
	/* In flight when aws goes: freed with it, callback not called. */
	ck_assert_ptr_nonnull(ecs_register_with_env(aws, fx.td, "app",
	    "DB_HOST", "rds", task_def_cb, &r));
}
END_TEST

/* ---- recorded answers ---- */

#define ACCT	"arn:aws:ecs:us-east-1:012345678910:"
#define SVC	ACCT "service/default/shop-web"
#define TD5	ACCT "task-definition/shop:5"
#define TD6	ACCT "task-definition/shop:6"

/* DescribeServices mid-rollout, after the API reference's example: the
 * new revision PRIMARY and IN_PROGRESS, the old one ACTIVE. */
static const char rollout_json[] =
    "{\"failures\":[],\"services\":[{"
    "\"serviceArn\":\"" SVC "\",\"serviceName\":\"shop-web\","
    "\"clusterArn\":\"" ACCT "cluster/default\","
    "\"loadBalancers\":[{\"targetGroupArn\":\"" FX_TG "\","
    "\"containerName\":\"app\",\"containerPort\":8080}],"
    "\"status\":\"ACTIVE\",\"desiredCount\":4,\"runningCount\":5,"
    "\"pendingCount\":1,\"launchType\":\"FARGATE\","
    "\"platformVersion\":\"LATEST\",\"taskDefinition\":\"" TD6 "\","
    "\"deploymentConfiguration\":{\"deploymentCircuitBreaker\":"
    "{\"enable\":true,\"rollback\":true},\"maximumPercent\":200,"
    "\"minimumHealthyPercent\":100},"
    "\"deployments\":[{\"id\":\"ecs-svc/1234567890123456789\","
    "\"status\":\"PRIMARY\",\"taskDefinition\":\"" TD6 "\","
    "\"desiredCount\":4,\"pendingCount\":1,\"runningCount\":1,"
    "\"failedTasks\":0,\"createdAt\":1.700000100123E9,"
    "\"updatedAt\":1.700000160456E9,\"launchType\":\"FARGATE\","
    "\"rolloutState\":\"IN_PROGRESS\",\"rolloutStateReason\":"
    "\"ECS deployment ecs-svc/1234567890123456789 in progress.\"},"
    "{\"id\":\"ecs-svc/9876543210987654321\",\"status\":\"ACTIVE\","
    "\"taskDefinition\":\"" TD5 "\",\"desiredCount\":4,"
    "\"pendingCount\":0,\"runningCount\":4,\"failedTasks\":0,"
    "\"createdAt\":1.69E9,\"updatedAt\":1.6999E9,"
    "\"rolloutState\":\"COMPLETED\",\"rolloutStateReason\":"
    "\"ECS deployment ecs-svc/9876543210987654321 completed.\"}],"
    "\"roleArn\":\"arn:aws:iam::012345678910:role/aws-service-role/"
    "ecs.amazonaws.com/AWSServiceRoleForECS\","
    "\"events\":[{\"id\":\"e7\",\"createdAt\":1.700000161E9,\"message\":"
    "\"(service shop-web) has started 1 tasks: (task 7).\"},"
    "{\"id\":\"e6\",\"createdAt\":1.7000001E9,\"message\":\"m6\"},"
    "{\"id\":\"e5\",\"createdAt\":1.7E9,\"message\":\"m5\"},"
    "{\"id\":\"e4\",\"createdAt\":1.6E9,\"message\":\"m4\"},"
    "{\"id\":\"e3\",\"createdAt\":1.5E9,\"message\":\"m3\"},"
    "{\"id\":\"e2\",\"createdAt\":1.4E9,\"message\":\"m2\"}],"
    "\"schedulingStrategy\":\"REPLICA\","
    "\"deploymentController\":{\"type\":\"ECS\"},"
    "\"createdAt\":1.6E9,\"enableECSManagedTags\":false,"
    "\"propagateTags\":\"NONE\"}]}";

/* The same service once the rollout completed. */
static const char completed_json[] =
    "{\"failures\":[],\"services\":[{"
    "\"serviceArn\":\"" SVC "\",\"serviceName\":\"shop-web\","
    "\"status\":\"ACTIVE\",\"desiredCount\":4,\"runningCount\":4,"
    "\"pendingCount\":0,\"taskDefinition\":\"" TD6 "\","
    "\"deployments\":[{\"id\":\"ecs-svc/1234567890123456789\","
    "\"status\":\"PRIMARY\",\"taskDefinition\":\"" TD6 "\","
    "\"desiredCount\":4,\"pendingCount\":0,\"runningCount\":4,"
    "\"failedTasks\":0,\"rolloutState\":\"COMPLETED\","
    "\"rolloutStateReason\":\"ECS deployment "
    "ecs-svc/1234567890123456789 completed.\"}],"
    "\"events\":[{\"id\":\"e8\",\"createdAt\":1.7000003E9,\"message\":"
    "\"(service shop-web) has reached a steady state.\"}],"
    "\"deploymentConfiguration\":{\"strategy\":\"ROLLING\","
    "\"maximumPercent\":200,\"minimumHealthyPercent\":100},"
    "\"deploymentController\":{\"type\":\"ECS\"}}]}";

/* The circuit breaker gave up on revision 6 and rolls back to 5. */
static const char failed_json[] =
    "{\"failures\":[],\"services\":[{"
    "\"serviceArn\":\"" SVC "\",\"status\":\"ACTIVE\","
    "\"desiredCount\":4,\"runningCount\":4,\"pendingCount\":0,"
    "\"taskDefinition\":\"" TD5 "\","
    "\"deployments\":[{\"id\":\"ecs-svc/555\",\"status\":\"PRIMARY\","
    "\"taskDefinition\":\"" TD5 "\",\"desiredCount\":4,"
    "\"pendingCount\":0,\"runningCount\":4,\"failedTasks\":0,"
    "\"rolloutState\":\"IN_PROGRESS\",\"rolloutStateReason\":"
    "\"ECS deployment circuit breaker: rolling back to deploymentId "
    "ecs-svc/555.\"},"
    "{\"id\":\"ecs-svc/666\",\"status\":\"ACTIVE\","
    "\"taskDefinition\":\"" TD6 "\",\"desiredCount\":0,"
    "\"pendingCount\":0,\"runningCount\":0,\"failedTasks\":10,"
    "\"rolloutState\":\"FAILED\",\"rolloutStateReason\":"
    "\"ECS deployment circuit breaker: tasks failed to start.\"}],"
    "\"events\":[],\"deploymentController\":{\"type\":\"ECS\"}}]}";

/* One FAILED deployment left, PRIMARY (no rollback configured). */
static const char failed_alone_json[] =
    "{\"services\":[{\"serviceArn\":\"" SVC "\",\"status\":\"ACTIVE\","
    "\"desiredCount\":2,\"runningCount\":0,\"pendingCount\":0,"
    "\"deployments\":[{\"id\":\"ecs-svc/666\",\"status\":\"PRIMARY\","
    "\"taskDefinition\":\"" TD6 "\",\"desiredCount\":2,"
    "\"runningCount\":0,\"pendingCount\":0,\"failedTasks\":12,"
    "\"rolloutState\":\"FAILED\",\"rolloutStateReason\":"
    "\"ECS deployment circuit breaker: tasks failed to start.\"}]}]}";

/* Blue/green by CodeDeploy: its deployments are task sets. */
static const char code_deploy_json[] =
    "{\"failures\":[],\"services\":[{\"serviceArn\":\"" SVC "\","
    "\"status\":\"ACTIVE\",\"desiredCount\":2,\"runningCount\":2,"
    "\"pendingCount\":0,\"taskDefinition\":\"" TD5 "\","
    "\"deployments\":[],\"taskSets\":[{\"id\":\"ecs-svc/1\","
    "\"status\":\"PRIMARY\"}],"
    "\"deploymentController\":{\"type\":\"CODE_DEPLOY\"}}]}";

/* ECS's own blue/green (deploymentConfiguration.strategy). */
static const char blue_green_json[] =
    "{\"services\":[{\"serviceArn\":\"" SVC "\",\"status\":\"ACTIVE\","
    "\"desiredCount\":2,\"runningCount\":2,\"deployments\":[],"
    "\"deploymentConfiguration\":{\"strategy\":\"BLUE_GREEN\","
    "\"bakeTimeInMinutes\":5},"
    "\"deploymentController\":{\"type\":\"ECS\"}}]}";

/* An older answer: no rolloutState, no deploymentController. */
static const char no_rollout_json[] =
    "{\"services\":[{\"serviceArn\":\"" SVC "\",\"status\":\"ACTIVE\","
    "\"desiredCount\":3,\"runningCount\":%d,\"pendingCount\":0,"
    "\"deployments\":[{\"id\":\"ecs-svc/7\",\"status\":\"PRIMARY\","
    "\"taskDefinition\":\"" TD5 "\",\"desiredCount\":3,"
    "\"runningCount\":%d,\"pendingCount\":0}]}]}";

static const char missing_json[] =
    "{\"services\":[],\"failures\":[{\"arn\":\"" ACCT "service/default/"
    "gone\",\"reason\":\"MISSING\"}]}";

static json_t *
jload(const char *s)
{
	json_error_t	 e;
	json_t		*j;

	j = json_loads(s, 0, &e);
	ck_assert_msg(j != NULL, "bad test JSON: %s: %s", e.text, s);
	return j;
}

static struct ecs_service *
parse_svc(const char *s)
{
	struct ecs_service	*svc;
	json_t			*j = jload(s);
	char			 why[256] = "", *reason = NULL;

	svc = ecs_parse_describe_services(j, &reason, why, sizeof(why));
	json_decref(j);
	ck_assert_msg(svc != NULL, "%s", why);
	ck_assert_ptr_null(reason);
	return svc;
}

START_TEST(parse_recorded_rollout)
{
	struct ecs_service		*s;
	const struct ecs_deployment	*p;
	char				 why[256] = "";

	s = parse_svc(rollout_json);
	ck_assert_str_eq(s->arn, SVC);
	ck_assert_str_eq(s->name, "shop-web");
	ck_assert_str_eq(s->cluster_arn, ACCT "cluster/default");
	ck_assert_int_eq(s->desired_count, 4);
	ck_assert_int_eq(s->running_count, 5);
	ck_assert_int_eq(s->pending_count, 1);
	ck_assert_str_eq(s->task_definition, TD6);
	ck_assert_int_eq(s->ctrl, ECS_CTRL_ECS);
	ck_assert_ptr_null(s->strategy);
	ck_assert_uint_eq(s->ndeployments, 2);
	ck_assert_ptr_nonnull(p = ecs_primary_deployment(s));
	ck_assert_ptr_eq(p, &s->deployments[0]);
	ck_assert_str_eq(p->id, "ecs-svc/1234567890123456789");
	ck_assert_str_eq(p->task_definition, TD6);
	ck_assert_int_eq(p->desired, 4);
	ck_assert_int_eq(p->running, 1);
	ck_assert_int_eq(p->pending, 1);
	ck_assert_int_eq(p->rollout, ECS_RO_IN_PROGRESS);
	ck_assert_str_eq(p->rollout_state_reason,
	    "ECS deployment ecs-svc/1234567890123456789 in progress.");
	ck_assert_int_eq(s->deployments[1].primary, 0);
	ck_assert_str_eq(s->deployments[1].status, "ACTIVE");
	ck_assert_int_eq(s->deployments[1].rollout, ECS_RO_COMPLETED);
	ck_assert_uint_eq(s->nlbs, 1);
	ck_assert_str_eq(s->lbs[0].target_group_arn, FX_TG);
	ck_assert_int_eq(s->lbs[0].container_port, 8080);
	/* Six events: the newest five kept, newest first. */
	ck_assert_uint_eq(s->nevents, ECS_MAX_EVENTS);
	ck_assert_str_eq(s->events[0].id, "e7");
	ck_assert_str_eq(s->events[0].message,
	    "(service shop-web) has started 1 tasks: (task 7).");
	ck_assert(s->events[0].created_at > 1.7e9);
	ck_assert_str_eq(s->events[4].message, "m3");

	ck_assert_int_eq(ecs_deployment_complete(s, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "2 deployments") != NULL &&
	    strstr(why, "IN_PROGRESS") != NULL, "%s", why);
	ck_assert_int_eq(ecs_deployment_failed(s, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(ecs_rolling_controller(s, why, sizeof(why)), 1);
	ecs_service_free(s);
}
END_TEST

START_TEST(parse_recorded_completed)
{
	struct ecs_service	*s;
	char			 why[256] = "";

	s = parse_svc(completed_json);
	ck_assert_uint_eq(s->ndeployments, 1);
	ck_assert_int_eq(s->deployments[0].rollout, ECS_RO_COMPLETED);
	ck_assert_str_eq(s->strategy, "ROLLING");
	ck_assert_uint_eq(s->nevents, 1);
	ck_assert_uint_eq(s->nlbs, 0);
	ck_assert_msg(ecs_deployment_complete(s, why, sizeof(why)) == 1,
	    "%s", why);
	ck_assert_int_eq(ecs_rolling_controller(s, why, sizeof(why)), 1);
	ecs_service_free(s);
}
END_TEST

START_TEST(parse_recorded_failed)
{
	struct ecs_service	*s;
	char			 why[256] = "", buf[1024];

	s = parse_svc(failed_json);
	ck_assert_uint_eq(s->ndeployments, 2);
	ck_assert_int_eq(s->deployments[1].rollout, ECS_RO_FAILED);
	ck_assert_int_eq(s->deployments[1].failed_tasks, 10);
	ck_assert_int_eq(ecs_deployment_complete(s, why, sizeof(why)), 0);
	ck_assert_int_eq(ecs_deployment_failed(s, TD6, why, sizeof(why)), 1);
	ck_assert_msg(strstr(why, "tasks failed to start") != NULL &&
	    strstr(why, "ecs-svc/666") != NULL, "%s", why);
	ck_assert_int_eq(ecs_deployment_failed(s, TD5, why, sizeof(why)), 0);
	ecs_service_free(s);

	s = parse_svc(failed_alone_json);
	ck_assert_int_eq(ecs_deployment_complete(s, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "FAILED: ECS deployment circuit breaker: "
	    "tasks failed to start.") != NULL, "%s", why);
	ck_assert_int_eq(ecs_deployment_failed(s, NULL, why, sizeof(why)), 1);
	ecs_service_free(s);

	/* No rolloutState: running == desired decides. */
	snprintf(buf, sizeof(buf), no_rollout_json, 2, 2);
	s = parse_svc(buf);
	ck_assert_int_eq(s->deployments[0].rollout, ECS_RO_NONE);
	ck_assert_ptr_null(s->deployments[0].rollout_state);
	ck_assert_int_eq(s->ctrl, ECS_CTRL_NONE);
	ck_assert_int_eq(ecs_deployment_complete(s, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "2 of 3") != NULL, "%s", why);
	ck_assert_int_eq(ecs_rolling_controller(s, why, sizeof(why)), 1);
	ecs_service_free(s);
	snprintf(buf, sizeof(buf), no_rollout_json, 3, 3);
	s = parse_svc(buf);
	ck_assert_int_eq(ecs_deployment_complete(s, why, sizeof(why)), 1);
	ecs_service_free(s);
}
END_TEST

START_TEST(parse_recorded_controllers)
{
	struct ecs_service	*s;
	char			 why[256] = "";

	s = parse_svc(code_deploy_json);
	ck_assert_int_eq(s->ctrl, ECS_CTRL_CODE_DEPLOY);
	ck_assert_str_eq(s->controller, "CODE_DEPLOY");
	ck_assert_int_eq(ecs_rolling_controller(s, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "CODE_DEPLOY") != NULL, "%s", why);
	ck_assert_int_eq(ecs_deployment_complete(s, why, sizeof(why)), 0);
	ck_assert_ptr_null(ecs_primary_deployment(s));
	ecs_service_free(s);

	s = parse_svc(blue_green_json);
	ck_assert_int_eq(s->ctrl, ECS_CTRL_ECS);
	ck_assert_int_eq(ecs_rolling_controller(s, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "BLUE_GREEN") != NULL, "%s", why);
	ecs_service_free(s);

	ck_assert_int_eq(ecs_controller_parse("EXTERNAL"), ECS_CTRL_EXTERNAL);
	ck_assert_int_eq(ecs_controller_parse("NEW"), ECS_CTRL_OTHER);
	ck_assert_int_eq(ecs_rollout_parse("PAUSED"), ECS_RO_OTHER);
}
END_TEST

START_TEST(parse_missing)
{
	json_t	*j = jload(missing_json);
	char	 why[256] = "", *reason = NULL;

	ck_assert_ptr_null(ecs_parse_describe_services(j, &reason, why,
	    sizeof(why)));
	ck_assert_ptr_nonnull(reason);
	ck_assert_str_eq(reason, "MISSING");
	ck_assert_str_eq(why, ACCT "service/default/gone");
	free(reason);
	json_decref(j);
}
END_TEST

START_TEST(parse_odd_shapes)
{
	static const char *const bad_svcs[] = {
		"[]",
		"{}",
		"{\"services\":{}}",
		"{\"services\":[],\"failures\":[]}",
		"{\"services\":[],\"failures\":[{\"arn\":\"x\"}]}",
		"{\"services\":[],\"failures\":[7]}",
		"{\"services\":[7]}",
		"{\"services\":[{}]}",
		"{\"services\":[{\"serviceArn\":3}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"desiredCount\":\"3\"}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"runningCount\":-1}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"deployments\":{}}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"deployments\":[1]}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"deployments\":"
		    "[{\"status\":\"PRIMARY\"}]}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"deployments\":"
		    "[{\"id\":\"d\"}]}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"deployments\":"
		    "[{\"id\":\"d\",\"status\":\"PRIMARY\",\"rolloutState\":1}]}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"deployments\":"
		    "[{\"id\":\"d\",\"status\":\"PRIMARY\",\"failedTasks\":1.5}]}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"loadBalancers\":"
		    "[{\"containerPort\":70000}]}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"events\":[{\"id\":\"x\"}]}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"events\":\"x\"}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"deploymentController\":"
		    "\"ECS\"}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"deploymentController\":"
		    "{\"type\":5}}]}",
		"{\"services\":[{\"serviceArn\":\"a\",\"deploymentConfiguration\":"
		    "{\"strategy\":[]}}]}",
		NULL
	};
	static const char *const bad_tds[] = {
		"{}",
		"{\"taskDefinition\":[]}",
		"{\"taskDefinition\":{\"family\":\"f\",\"revision\":1}}",
		"{\"taskDefinition\":{\"taskDefinitionArn\":\"a\",\"revision\":1,"
		    "\"containerDefinitions\":[{\"name\":\"c\"}]}}",
		"{\"taskDefinition\":{\"taskDefinitionArn\":\"a\",\"family\":\"f\","
		    "\"containerDefinitions\":[{\"name\":\"c\"}]}}",
		"{\"taskDefinition\":{\"taskDefinitionArn\":\"a\",\"family\":\"f\","
		    "\"revision\":1}}",
		"{\"taskDefinition\":{\"taskDefinitionArn\":\"a\",\"family\":\"f\","
		    "\"revision\":1,\"containerDefinitions\":[]}}",
		"{\"taskDefinition\":{\"taskDefinitionArn\":\"a\",\"family\":\"f\","
		    "\"revision\":1,\"containerDefinitions\":[{\"image\":\"i\"}]}}",
		NULL
	};
	struct ecs_service	*s;
	struct ecs_task_def	*t;
	json_t			*j;
	char			 why[256], *reason;
	size_t			 i;

	for (i = 0; bad_svcs[i] != NULL; i++) {
		j = jload(bad_svcs[i]);
		why[0] = '\0';
		reason = NULL;
		s = ecs_parse_describe_services(j, &reason, why, sizeof(why));
		ck_assert_msg(s == NULL, "accepted: %s", bad_svcs[i]);
		ck_assert_msg(reason == NULL, "a failure: %s", bad_svcs[i]);
		ck_assert_msg(why[0] != '\0', "no reason: %s", bad_svcs[i]);
		json_decref(j);
	}
	ck_assert_ptr_null(ecs_parse_service(NULL, why, sizeof(why)));
	for (i = 0; bad_tds[i] != NULL; i++) {
		j = jload(bad_tds[i]);
		why[0] = '\0';
		t = ecs_parse_task_definition(j, why, sizeof(why));
		ck_assert_msg(t == NULL, "accepted: %s", bad_tds[i]);
		ck_assert_msg(why[0] != '\0', "no reason: %s", bad_tds[i]);
		json_decref(j);
	}
	ecs_service_free(NULL);
	ecs_task_def_free(NULL);
}
END_TEST

/* DescribeTaskDefinition, after the API reference's example, with the
 * read-only fields AWS adds and tags (one of them AWS's own). */
static const char td_json[] =
    "{\"taskDefinition\":{"
    "\"taskDefinitionArn\":\"" TD5 "\",\"family\":\"shop\","
    "\"revision\":5,\"status\":\"ACTIVE\","
    "\"taskRoleArn\":\"arn:aws:iam::012345678910:role/t\","
    "\"executionRoleArn\":\"arn:aws:iam::012345678910:role/e\","
    "\"networkMode\":\"awsvpc\",\"cpu\":\"512\",\"memory\":\"1024\","
    "\"requiresCompatibilities\":[\"FARGATE\"],"
    "\"compatibilities\":[\"EC2\",\"FARGATE\"],"
    "\"requiresAttributes\":[{\"name\":\"com.amazonaws.ecs.capability."
    "task-iam-role\"}],"
    "\"runtimePlatform\":{\"cpuArchitecture\":\"ARM64\","
    "\"operatingSystemFamily\":\"LINUX\"},"
    "\"ephemeralStorage\":{\"sizeInGiB\":40},"
    "\"proxyConfiguration\":{\"type\":\"APPMESH\",\"containerName\":"
    "\"envoy\",\"properties\":[{\"name\":\"AppPorts\",\"value\":\"8080\"}]},"
    "\"volumes\":[],\"placementConstraints\":[],"
    "\"registeredAt\":1.7E9,\"registeredBy\":\"arn:aws:iam::012345678910:"
    "user/deploy\",\"enableFaultInjection\":false,"
    "\"containerDefinitions\":["
    "{\"name\":\"app\",\"image\":\"shop/app:1.4\",\"essential\":true,"
    "\"environment\":[{\"name\":\"DB_HOST\",\"value\":\"10.0.1.10\"},"
    "{\"name\":\"LOG_LEVEL\",\"value\":\"info\"},"
    "{\"name\":\"DB_HOST\",\"value\":\"duplicate\"}],"
    "\"secrets\":[{\"name\":\"DB_PASSWORD\",\"valueFrom\":\"arn:s\"}]},"
    "{\"name\":\"envoy\",\"image\":\"envoy:1\",\"essential\":true}]},"
    "\"tags\":[{\"key\":\"team\",\"value\":\"shop\"},"
    "{\"key\":\"aws:cloudformation:stack-name\",\"value\":\"shop\"}]}";

START_TEST(register_body_built)
{
	static const char *const ro[] = { "taskDefinitionArn", "revision",
	    "status", "requiresAttributes", "compatibilities", "registeredAt",
	    "registeredBy", "deregisteredAt", NULL };
	static const char *const kept[] = { "family", "taskRoleArn",
	    "executionRoleArn", "networkMode", "cpu", "memory",
	    "requiresCompatibilities", "runtimePlatform", "ephemeralStorage",
	    "proxyConfiguration", "volumes", "placementConstraints",
	    "enableFaultInjection", NULL };
	struct ecs_task_def	*t;
	json_t			*ans, *b, *env, *want, *td;
	const char		*code;
	char			 why[256] = "";
	size_t			 i;

	ans = jload(td_json);
	ck_assert_ptr_nonnull(t = ecs_parse_task_definition(ans, why,
	    sizeof(why)));
	ck_assert_str_eq(t->arn, TD5);
	ck_assert_int_eq(t->revision, 5);
	ck_assert_uint_eq(t->ncontainers, 2);
	ck_assert_str_eq(t->containers[1], "envoy");
	ck_assert_ptr_nonnull(t->tags);
	ck_assert_str_eq(ecs_task_def_env(t, "app", "DB_HOST"), "10.0.1.10");
	ck_assert_ptr_null(ecs_task_def_env(t, "envoy", "DB_HOST"));
	ck_assert_ptr_null(ecs_task_def_env(t, NULL, "DB_HOST"));
	ck_assert_ptr_null(ecs_task_def_env(t, "nope", "DB_HOST"));
	td = json_object_get(ans, "taskDefinition");

	b = ecs_register_body(t->json, t->tags, "app", "DB_HOST", "rds",
	    &code, why, sizeof(why));
	ck_assert_msg(b != NULL, "%s", why);
	ck_assert_ptr_null(code);
	for (i = 0; ro[i] != NULL; i++)
		ck_assert_msg(json_object_get(b, ro[i]) == NULL, "%s copied",
		    ro[i]);
	for (i = 0; kept[i] != NULL; i++)
		ck_assert_msg(json_equal(json_object_get(b, kept[i]),
		    json_object_get(td, kept[i])), "%s not copied", kept[i]);
	/* Replaced in place, the duplicate dropped, the rest kept. */
	env = json_object_get(json_array_get(json_object_get(b,
	    "containerDefinitions"), 0), "environment");
	want = json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "DB_HOST",
	    "value", "rds", "name", "LOG_LEVEL", "value", "info");
	ck_assert_msg(json_equal(env, want), "%s", json_dumps(env, 0));
	json_decref(want);
	ck_assert_msg(json_equal(json_array_get(json_object_get(b,
	    "containerDefinitions"), 1), json_array_get(json_object_get(td,
	    "containerDefinitions"), 1)), "envoy changed");
	/* AWS's own tags are left out. */
	want = json_pack("[{s:s, s:s}]", "key", "team", "value", "shop");
	ck_assert(json_equal(json_object_get(b, "tags"), want));
	json_decref(want);
	/* The input is untouched. */
	ck_assert_str_eq(ecs_task_def_env(t, "app", "DB_HOST"), "10.0.1.10");
	json_decref(b);

	/* Every container: envoy gets an environment. */
	b = ecs_register_body(t->json, NULL, NULL, "DB_HOST", "rds", &code,
	    why, sizeof(why));
	ck_assert_msg(b != NULL, "%s", why);
	ck_assert_ptr_null(json_object_get(b, "tags"));
	want = json_pack("[{s:s, s:s}]", "name", "DB_HOST", "value", "rds");
	ck_assert(json_equal(json_object_get(json_array_get(json_object_get(
	    b, "containerDefinitions"), 1), "environment"), want));
	json_decref(want);
	json_decref(b);

	ck_assert_ptr_null(ecs_register_body(t->json, NULL, "nope",
	    "DB_HOST", "rds", &code, why, sizeof(why)));
	ck_assert_str_eq(code, "ContainerNotFound");
	ck_assert_ptr_null(ecs_register_body(t->json, NULL, NULL,
	    "DB_PASSWORD", "x", &code, why, sizeof(why)));
	ck_assert_str_eq(code, "SecretConflict");
	ck_assert_msg(strstr(why, "app") != NULL, "%s", why);
	ck_assert_ptr_null(ecs_register_body(t->json, NULL, NULL, "", "x",
	    &code, why, sizeof(why)));
	ck_assert_str_eq(code, "InvalidArgument");
	ck_assert_ptr_null(ecs_register_body(json_object_get(ans, "tags"),
	    NULL, NULL, "A", "x", &code, why, sizeof(why)));
	ck_assert_str_eq(code, "UnexpectedAnswer");
	ecs_task_def_free(t);
	json_decref(ans);

	/* An environment of the wrong shape. */
	ans = jload("{\"family\":\"f\",\"containerDefinitions\":[{\"name\":"
	    "\"c\",\"environment\":{}}]}");
	ck_assert_ptr_null(ecs_register_body(ans, NULL, NULL, "A", "x",
	    &code, why, sizeof(why)));
	ck_assert_str_eq(code, "UnexpectedAnswer");
	json_decref(ans);
}
END_TEST

/* ---- the in-process server ---- */

START_TEST(odd_answer_is_error)
{
	struct got	g = { 0 }, u = { 0 }, t = { 0 }, r = { 0 };

	answer_say(srv, "{\"services\":\"x\"}", NULL);
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_nonnull(ecs_describe_service(aws, "c", "s", service_cb,
	    &g));
	ck_assert_ptr_nonnull(ecs_update_desired(aws, "c", "s", 1,
	    service_cb, &u));
	ck_assert_ptr_nonnull(ecs_describe_task_definition(aws, "f:1",
	    task_def_cb, &t));
	ck_assert_ptr_nonnull(ecs_register_with_env(aws, "f:1", NULL, "A",
	    "b", task_def_cb, &r));
	awstest_wait_err(&g.cb, "DescribeServices", "UnexpectedAnswer");
	awstest_wait_err(&u.cb, "UpdateService", "UnexpectedAnswer");
	awstest_wait_err(&t.cb, "DescribeTaskDefinition", "UnexpectedAnswer");
	awstest_wait_err(&r.cb, "DescribeTaskDefinition", "UnexpectedAnswer");
	ck_assert_int_eq(srv->n, 4);
}
END_TEST

/* What the calls send, and the writer switch's two steps. */
START_TEST(requests_sent)
{
	struct got	 g = { 0 }, r = { 0 };
	json_t		*b;

	/* RegisterTaskDefinition's answer (the third): revision 6 (only its
	 * ARN and revision matter here). */
	answer_say(srv, completed_json, td_json,
	    "{\"taskDefinition\":{\"taskDefinitionArn\":\"" TD6
	    "\",\"family\":\"shop\",\"revision\":6,\"containerDefinitions\":"
	    "[{\"name\":\"app\"},{\"name\":\"envoy\"}]}}",
	    "{\"service\":{\"serviceArn\":\"" SVC "\","
	    "\"taskDefinition\":\"" TD6 "\"}}", NULL);
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_nonnull(ecs_describe_service(aws, "default",
	    "shop-web", service_cb, &g));
	awstest_run(&g.cb.n, 1, 5000);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_ptr_nonnull(ecs_register_with_env(aws, TD5, "app",
	    "DB_HOST", "rds", task_def_cb, &r));
	awstest_run(&r.cb.n, 1, 5000);
	ck_assert_msg(!r.cb.err, "%s", r.cb.text);
	ck_assert_str_eq(r.arn, TD6);
	ck_assert_int_eq(r.revision, 6);
	memset(&g, 0, sizeof(g));
	ck_assert_ptr_nonnull(ecs_update_service_task_definition(aws,
	    "default", "shop-web", TD6, 1, service_cb, &g));
	awstest_run(&g.cb.n, 1, 5000);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_str_eq(g.td, TD6);
	ck_assert_int_eq(srv->n, 4);

	ck_assert_str_eq(srv->seen[0].target,
	    "AmazonEC2ContainerServiceV20141113.DescribeServices");
	ck_assert_str_eq(srv->seen[0].body,
	    "{\"cluster\":\"default\",\"services\":[\"shop-web\"]}");
	ck_assert_str_eq(srv->seen[1].target,
	    "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition");
	ck_assert_str_eq(srv->seen[1].body, "{\"taskDefinition\":\"" TD5 "\","
	    "\"include\":[\"TAGS\"]}");
	ck_assert_str_eq(srv->seen[2].target,
	    "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition");
	b = jload(srv->seen[2].body);
	ck_assert_str_eq(json_string_value(json_object_get(b, "family")),
	    "shop");
	ck_assert_ptr_null(json_object_get(b, "revision"));
	ck_assert_ptr_null(json_object_get(b, "taskDefinitionArn"));
	ck_assert_ptr_nonnull(json_object_get(b, "proxyConfiguration"));
	ck_assert_ptr_nonnull(strstr(srv->seen[2].body,
	    "{\"name\":\"DB_HOST\",\"value\":\"rds\"}"));
	json_decref(b);
	ck_assert_str_eq(srv->seen[3].target,
	    "AmazonEC2ContainerServiceV20141113.UpdateService");
	ck_assert_str_eq(srv->seen[3].body, "{\"cluster\":\"default\","
	    "\"service\":\"shop-web\",\"taskDefinition\":\"" TD6 "\","
	    "\"forceNewDeployment\":true}");
	got_clear(&r);
}
END_TEST

/* A missing container stops the switch before anything is registered. */
START_TEST(register_refused_before_sending)
{
	struct got	r = { 0 };

	answer_say(srv, td_json, NULL);
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_nonnull(ecs_register_with_env(aws, TD5, "web",
	    "DB_HOST", "rds", task_def_cb, &r));
	awstest_run(&r.cb.n, 1, 5000);
	awstest_run(NULL, 0, 100);
	ck_assert_int_eq(r.cb.n, 1);
	awstest_err_is(&r.cb, "RegisterTaskDefinition", "ContainerNotFound");
	ck_assert_str_eq(r.cb.text, "RegisterTaskDefinition: "
	    "ContainerNotFound: no container web in shop");
	ck_assert_int_eq(srv->n, 1);
}
END_TEST

int
main(void)
{
	const TTest	*local[] = {
		parse_recorded_rollout, parse_recorded_completed,
		parse_recorded_failed, parse_recorded_controllers,
		parse_missing, parse_odd_shapes, register_body_built,
		odd_answer_is_error, requests_sent,
		register_refused_before_sending, NULL
	};
	const TTest	*moto[] = {
		moto_describe_service, moto_update_desired,
		moto_register_with_env, moto_register_errors,
		moto_update_task_definition, moto_missing_service,
		moto_missing_cluster, moto_cancel, NULL
	};

	awstest_init("check_ecs", awstest_env_moto,
	    "application/x-amz-json-1.1", &aws, &srv, "ecs", NULL);
	return suite_client_main("ecs", "ECS_DEBUG", &moto_server,
	    awstest_setup, awstest_teardown, local, awstest_setup, moto);
}
