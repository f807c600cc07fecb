/*
 * check_aws: lib/aws.c and lib/sts.c against real endpoints on loopback.
 * moto (`moto_server`, started once by the parent process and killed at
 * the end, also on signals) answers the five services for fidelity: their
 * wire protocols, answers and errors. An in-process evhttp server plays a
 * script of answers for what moto will not do: 5xx, throttling, garbage,
 * expired tokens, held requests; and records what the client sent (the
 * signature's scope, the Host header, the body). When tests/fakes/fakeaws.py
 * runs (a SigV4-checking proxy in front of the same moto), a wrong secret
 * and injected throttling go through it too.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <libxml/tree.h>

#include "answer.h"
#include "aws-creds.h"
#include "aws.h"
#include "http.h"
#include "log.h"
#include "now.h"
#include "spawn.h"
#include "sts.h"
#include "suite.h"

#define MAX_SEEN	128
#define MAX_IDS		8

/* What one callback saw; copied, since res goes when it returns. */
struct got {
	int		 n;
	int		 ok;
	int		 status;
	int		 attempts;
	char		 code[64];
	char		 message[512];
	char		 request_id[128];
	int64_t		 server_time;
	xmlDoc		*xml;
	json_t		*json;
	int		 free_aws;	/* aws_free() inside the callback */
	int		*counter;	/* shared count of callbacks */
};

/* When the server saw each request, by the Id= in its body. */
struct arrivals {
	int64_t	 at_ms[MAX_IDS][MAX_SEEN / MAX_IDS];
	int	 nat[MAX_IDS];
};

static struct event_base	*base;
static struct http		*h;
static struct aws_creds_src	*creds;
static struct aws		*aws;
static struct answer		*srv;
static char			 home[128];
static char			 ep_buf[5][128];
static const char		*eps[6];

static struct arrivals		 arrived;

static pid_t			 main_pid;
static pid_t			 moto_pid = -1;
static int			 moto_port;
static pid_t			 fake_pid = -1;
static int			 fake_port;
static char			 tmp_dir[64];

static const char *const env_local[] = {
	"AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret",
	"AWS_EC2_METADATA_DISABLED=true", NULL
};
static const char *const env_moto[] = {
	"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
	"AWS_EC2_METADATA_DISABLED=true", NULL
};
static const char *const env_wrong[] = {
	"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=wrong",
	"AWS_EC2_METADATA_DISABLED=true", NULL
};

/* ---- child processes (moto, fakeaws): the parent's only ---- */

static void	signals_catch(int);

static void
children_stop(void)
{
	if (getpid() != main_pid)
		return;
	spawn_stop(&fake_pid, 1);
	spawn_stop(&moto_pid, 1);
	signals_catch(0);
}

static void
cleanup(void)
{
	char	cmd[128];

	if (getpid() != main_pid)
		return;
	children_stop();
	if (tmp_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "check_aws: cannot remove %s\n",
			    tmp_dir);
		tmp_dir[0] = '\0';
	}
}

static const int		 stop_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct sigaction		 old_sa[4];
static int			 sigs_set;
/* What tmp_dir holds besides the tests' homes: made before any signal. */
static char			 tmp_files[4][96];

/*
 * A signal to the parent: kill the children, then hand the signal on to
 * whoever had it (check's own handler while the suite runs, which ends
 * the test being run, or the default).
 */
static void
on_signal(int sig)
{
	size_t	i;

	if (getpid() == main_pid) {
		if (fake_pid > 0)
			kill(-fake_pid, SIGKILL);
		if (moto_pid > 0)
			kill(-moto_pid, SIGKILL);
		/* Async-signal-safe calls only; atexit will not run. */
		for (i = 0; i < 4; i++)
			unlink(tmp_files[i]);
		rmdir(home);
		rmdir(tmp_dir);
	}
	for (i = 0; i < 4; i++)
		if (stop_sigs[i] == sig)
			sigaction(sig, &old_sa[i], NULL);
	raise(sig);
}

/* Set while children run; check sets its own handlers before fixtures. */
static void
signals_catch(int on)
{
	struct sigaction	sa;
	size_t			i;

	if (on && !sigs_set) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < 4; i++)
			sigaction(stop_sigs[i], &sa, &old_sa[i]);
		sigs_set = 1;
	} else if (!on && sigs_set) {
		for (i = 0; i < 4; i++)
			sigaction(stop_sigs[i], &old_sa[i], NULL);
		sigs_set = 0;
	}
}

static int
fakeaws_ready(void *arg)
{
	fake_port = spawn_env_int(tmp_files[2], "FAKEAWS_PORT");
	return fake_port > 0 && spawn_http_ok(fake_port, "/_fake/health");
}

static int
moto_ready(void *arg)
{
	return spawn_http_ok(moto_port, "/moto-api/");
}

/* fakeaws.py, in front of our moto; optional: fake_port stays 0. */
static void
fakeaws_start(void)
{
	char		 murl[64];
	char		*argv[] = { "python3", "tests/fakes/fakeaws.py", "--moto",
			    murl, "--port", "0", "--cred", "testing:testing",
			    "--env-file", tmp_files[2], NULL };

	if (access("tests/fakes/fakeaws.py", R_OK) != 0)
		return;
	snprintf(murl, sizeof(murl), "http://127.0.0.1:%d", moto_port);
	if ((fake_pid = spawn_start(argv, tmp_files[1], SIGKILL)) == -1)
		return;
	if (spawn_wait(&fake_pid, 15000, 100, fakeaws_ready, NULL))
		return;
	fprintf(stderr, "check_aws: fakeaws.py did not start (see %s); its "
	    "tests are skipped\n", tmp_files[1]);
	spawn_stop(&fake_pid, 1);
	fake_port = 0;
}

/* Unchecked fixture: runs in the parent, once for the moto test case. */
static void
moto_start(void)
{
	char		 portstr[16];
	char		*argv[] = { "moto_server", "-H", "127.0.0.1", "-p",
			    portstr, NULL };

	if (tmp_dir[0] == '\0')
		return;
	if ((moto_port = spawn_free_port()) == -1)
		return;
	signals_catch(1);
	snprintf(portstr, sizeof(portstr), "%d", moto_port);
	if ((moto_pid = spawn_start(argv, tmp_files[0], SIGKILL)) == -1)
		return;
	if (spawn_wait(&moto_pid, 20000, 50, moto_ready, NULL)) {
		fakeaws_start();
		return;
	}
	fprintf(stderr, "check_aws: moto_server did not start (see %s)\n",
	    tmp_files[0]);
	spawn_stop(&moto_pid, 1);
}

/* ---- the in-process server ---- */

static void
arrived_cb(const struct answer_seen *as, void *arg)
{
	const char	*p;
	int		 id = 0;

	if ((p = strstr(as->body, "Id=")) != NULL)
		id = atoi(p + 3);
	if (id >= 0 && id < MAX_IDS &&
	    arrived.nat[id] < MAX_SEEN / MAX_IDS)
		arrived.at_ms[id][arrived.nat[id]++] = (now_mono_us() / 1000);
}

/* ---- fixtures ---- */

static void
endpoints_at(const char *url)
{
	static const char *const names[] = { "elasticloadbalancing", "ecs",
	    "monitoring", "sts", "route53" };
	int	i;

	for (i = 0; i < 5; i++) {
		snprintf(ep_buf[i], sizeof(ep_buf[i]), "%s=%s", names[i], url);
		eps[i] = ep_buf[i];
	}
	eps[5] = NULL;
}

static struct aws_creds_src *
creds_make(const char *const *env)
{
	struct aws_creds_opts	co;

	memset(&co, 0, sizeof(co));
	co.env = (char *const *)env;
	co.home = home;
	return aws_creds_new(base, h, &co);
}

/* A new struct aws for the tests; port <= 0: the evhttp server. */
static struct aws *
aws_make(struct aws_creds_src *src, int p, int max, int64_t base_ms,
    int64_t cap_ms, const char *region)
{
	struct aws_opts	o;
	char		url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d",
	    p > 0 ? p : srv->port);
	endpoints_at(url);
	memset(&o, 0, sizeof(o));
	o.region = region != NULL ? region : "us-east-1";
	o.endpoints = eps;
	o.max_attempts = max;
	o.backoff_base_ms = base_ms;
	o.backoff_cap_ms = cap_ms;
	o.timeout_ms = 5000;
	return aws_new(base, h, src, &o);
}

static void
setup_with(const char *const *env)
{
	const struct answer_step	 hold = { 0, "", NULL, NULL, NULL };

	memset(&arrived, 0, sizeof(arrived));
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_ptr_nonnull(h = http_new(base));
	ck_assert_ptr_nonnull(creds = creds_make(env));
	/* Until a test plays its script, requests are held. */
	ck_assert_ptr_nonnull(srv = answer_new(base, "text/xml"));
	answer_play(srv, &hold, 1);
	answer_header(srv, "x-amzn-RequestId", "req-hdr-1");
	answer_observe(srv, arrived_cb, NULL);
	aws = NULL;
}

static void
setup_local(void)
{
	setup_with(env_local);
}

static void
setup_moto(void)
{
	setup_with(env_moto);
}

static void
teardown(void)
{
	aws_free(aws);
	aws = NULL;
	aws_creds_free(creds);
	http_free(h);
	answer_free(srv);
	event_base_free(base);
}

/* ---- helpers ---- */

static void
got_cb(void *arg, const struct aws_result *res)
{
	struct got	*g = arg;

	g->n++;
	if (g->counter != NULL)
		(*g->counter)++;
	g->ok = res->ok;
	g->status = res->status;
	g->attempts = res->attempts;
	snprintf(g->code, sizeof(g->code), "%s", res->code ? res->code : "");
	snprintf(g->message, sizeof(g->message), "%s",
	    res->message ? res->message : "");
	snprintf(g->request_id, sizeof(g->request_id), "%s",
	    res->request_id ? res->request_id : "");
	g->server_time = res->server_time;
	if (res->xml != NULL)
		g->xml = xmlCopyDoc(res->xml, 1);
	if (res->json != NULL)
		g->json = json_incref(res->json);
	if (g->free_aws) {
		aws_free(aws);
		aws = NULL;
	}
}

static void
got_clear(struct got *g)
{
	if (g->xml != NULL)
		xmlFreeDoc(g->xml);
	json_decref(g->json);
	g->xml = NULL;
	g->json = NULL;
}

/* Run the loop until *n reaches want, or ms pass. */
static void
run_until(int *n, int want, int64_t ms)
{
	answer_run_until(base, n, want, ms);
}

static struct aws_call *
query(const struct aws_service *svc, const char *action,
    const char *const *params, struct got *g)
{
	return aws_query(aws, svc, action, params, got_cb, g);
}

static const char *
xml_root(const struct got *g)
{
	xmlNode	*r;

	if (g->xml == NULL || (r = xmlDocGetRootElement(g->xml)) == NULL)
		return "";
	return (const char *)r->name;
}

static const char ok_xml[] = "<DescribeLoadBalancersResponse xmlns=\"http://"
    "elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
    "<DescribeLoadBalancersResult><LoadBalancers/>"
    "</DescribeLoadBalancersResult><ResponseMetadata><RequestId>req-xml-1"
    "</RequestId></ResponseMetadata></DescribeLoadBalancersResponse>";
static const char throttle_xml[] = "<ErrorResponse xmlns=\"http://"
    "elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>"
    "Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
    "</Error><RequestId>req-err-1</RequestId></ErrorResponse>";
static const char unavailable_xml[] = "<ErrorResponse><Error><Code>"
    "ServiceUnavailable</Code><Message>try later</Message></Error>"
    "<RequestId>r</RequestId></ErrorResponse>";
static const char expired_xml[] = "<ErrorResponse><Error><Code>ExpiredToken"
    "</Code><Message>The security token included in the request is expired"
    "</Message></Error><RequestId>r</RequestId></ErrorResponse>";
static const char validation_xml[] = "<ErrorResponse><Error><Type>Sender"
    "</Type><Code>ValidationError</Code><Message>bad name</Message></Error>"
    "<RequestId>req-xml-9</RequestId></ErrorResponse>";

/* ---- the in-process server's tests ---- */

START_TEST(retry_5xx_then_ok)
{
	const struct answer_step s[] = {
		{ 503, unavailable_xml, NULL, NULL, NULL },
		{ 503, unavailable_xml, NULL, NULL, NULL },
		{ 200, ok_xml, NULL, NULL, NULL },
	};
	const struct aws_stats	*st;
	struct got		 g = { 0 };

	answer_play(srv, s, 3);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 5, 40, NULL));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers", NULL,
	    &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.ok, 1);
	ck_assert_int_eq(g.attempts, 3);
	ck_assert_int_eq(g.status, 200);
	ck_assert_str_eq(g.code, "");
	ck_assert_str_eq(xml_root(&g), "DescribeLoadBalancersResponse");
	ck_assert_ptr_nonnull(aws_xml_find(g.xml, NULL, "LoadBalancers"));
	ck_assert_str_eq(g.request_id, "req-hdr-1");
	ck_assert_int_eq(srv->n, 3);
	st = aws_stats(aws, &aws_elbv2);
	ck_assert_uint_eq(st->calls, 1);
	ck_assert_uint_eq(st->retries, 2);
	ck_assert_uint_eq(st->errors, 0);
	ck_assert_uint_eq(st->throttles, 0);
	ck_assert_uint_eq(aws_stats(aws, &aws_ecs)->calls, 0);
	got_clear(&g);
}
END_TEST

START_TEST(throttling_gives_up_with_growing_delays)
{
	const struct answer_step s[] = {
		{ 400, throttle_xml, NULL, NULL, NULL },
	};
	const int64_t		 bound[] = { 10, 20, 40, 80 };
	const struct aws_stats	*st;
	struct got		 g[MAX_IDS];
	char			 idp[MAX_IDS][16];
	const char		*params[MAX_IDS][2];
	int64_t			 gap, sum_first = 0, sum_last = 0;
	int			 i, k, total = 0;

	memset(g, 0, sizeof(g));
	answer_play(srv, s, 1);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 10, 80, NULL));
	for (i = 0; i < MAX_IDS; i++) {
		snprintf(idp[i], sizeof(idp[i]), "Id=%d", i);
		params[i][0] = idp[i];
		params[i][1] = NULL;
		g[i].counter = &total;
		ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeTargetHealth",
		    params[i], &g[i]));
	}
	run_until(&total, MAX_IDS, 10000);
	ck_assert_int_eq(total, MAX_IDS);
	for (i = 0; i < MAX_IDS; i++) {
		ck_assert_int_eq(g[i].ok, 0);
		ck_assert_str_eq(g[i].code, "Throttling");
		ck_assert_str_eq(g[i].message, "Rate exceeded");
		ck_assert_int_eq(g[i].status, 400);
		ck_assert_int_eq(g[i].attempts, 5);
		ck_assert_int_eq(arrived.nat[i], 5);
		/* Each gap is under its ceiling (10, 20, 40, 80 = the cap),
		 * give or take the time a round trip takes. */
		for (k = 1; k < 5; k++) {
			gap = arrived.at_ms[i][k] - arrived.at_ms[i][k - 1];
			ck_assert_int_ge(gap, 0);
			ck_assert_int_le(gap, bound[k - 1] + 60);
		}
		sum_first += arrived.at_ms[i][1] - arrived.at_ms[i][0];
		sum_last += arrived.at_ms[i][4] - arrived.at_ms[i][3];
	}
	/* Full jitter: single gaps are random, but on average the last
	 * (drawn from 0..80) outgrows the first (0..10). */
	ck_assert_int_gt(sum_last, sum_first);
	st = aws_stats(aws, &aws_elbv2);
	ck_assert_uint_eq(st->calls, MAX_IDS);
	ck_assert_uint_eq(st->throttles, 5 * MAX_IDS);
	ck_assert_uint_eq(st->retries, 4 * MAX_IDS);
	ck_assert_uint_eq(st->errors, MAX_IDS);
}
END_TEST

START_TEST(json_throttling_retried)
{
	const struct answer_step s[] = {
		{ 400, "{\"__type\":\"ThrottlingException\",\"message\":"
		    "\"Rate exceeded\"}", "application/x-amz-json-1.1",
		    "x-amzn-ErrorType", "ThrottlingException" },
		{ 400, "{\"__type\":\"com.amazonaws.ecs#ThrottlingException\","
		    "\"message\":\"Rate exceeded\"}",
		    "application/x-amz-json-1.1", NULL, NULL },
		{ 200, "{\"clusterArns\":[\"arn:aws:ecs:us-east-1:1:cluster/a"
		    "\"]}", "application/x-amz-json-1.1", NULL, NULL },
	};
	struct got	 g = { 0 };

	answer_play(srv, s, 3);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 4, 5, 20, NULL));
	ck_assert_ptr_nonnull(aws_json(aws, &aws_ecs, "ListClusters",
	    json_pack("{s:i}", "maxResults", 10), got_cb, &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.ok, 1);
	ck_assert_int_eq(g.attempts, 3);
	ck_assert_ptr_nonnull(g.json);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
	    g.json, "clusterArns"), 0)), "arn:aws:ecs:us-east-1:1:cluster/a");
	ck_assert_str_eq(srv->last.target,
	    "AmazonEC2ContainerServiceV20141113.ListClusters");
	ck_assert_str_eq(srv->last.ctype, "application/x-amz-json-1.1");
	ck_assert_str_eq(srv->last.body, "{\"maxResults\":10}");
	ck_assert_int_eq(srv->last.method, EVHTTP_REQ_POST);
	ck_assert_uint_eq(aws_stats(aws, &aws_ecs)->throttles, 2);
	got_clear(&g);
}
END_TEST

START_TEST(json_errors_parsed)
{
	const struct answer_step s1[] = {
		{ 400, "{\"__type\":\"com.amazonaws.ecs#ClusterNotFoundException"
		    "\",\"message\":\"Cluster not found.\"}",
		    "application/x-amz-json-1.1", NULL, NULL },
	};
	const struct answer_step s2[] = {
		{ 403, "{\"Message\":\"not allowed\"}",
		    "application/x-amz-json-1.1", "x-amzn-ErrorType",
		    "AccessDeniedException:http://internal.amazon.com/coral/" },
	};
	struct got	 g = { 0 }, g2 = { 0 };

	answer_play(srv, s1, 1);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 5, 20, NULL));
	ck_assert_ptr_nonnull(aws_json(aws, &aws_ecs, "DescribeServices",
	    NULL, got_cb, &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.ok, 0);
	ck_assert_str_eq(g.code, "ClusterNotFoundException");
	ck_assert_str_eq(g.message, "Cluster not found.");
	ck_assert_str_eq(g.request_id, "req-hdr-1");
	ck_assert_int_eq(g.attempts, 1);
	ck_assert_str_eq(srv->last.body, "{}");

	answer_forget(srv);
	answer_play(srv, s2, 1);
	ck_assert_ptr_nonnull(aws_json(aws, &aws_ecs, "UpdateService",
	    json_object(), got_cb, &g2));
	run_until(&g2.n, 1, 5000);
	ck_assert_int_eq(g2.ok, 0);
	ck_assert_int_eq(g2.status, 403);
	ck_assert_str_eq(g2.code, "AccessDeniedException");
	ck_assert_str_eq(g2.message, "not allowed");
	ck_assert_int_eq(g2.attempts, 1);
}
END_TEST

START_TEST(garbage_is_parse_error)
{
	const struct answer_step s1[] = {
		{ 200, "<DescribeTargetHealthResponse><oops", NULL, NULL, NULL },
	};
	const struct answer_step s2[] = {
		{ 200, "{\"clusterArns\": [", "application/x-amz-json-1.1",
		    NULL, NULL },
	};
	struct got	 g = { 0 }, g2 = { 0 };

	answer_play(srv, s1, 1);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 5, 20, NULL));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeTargetHealth", NULL,
	    &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.ok, 0);
	ck_assert_int_eq(g.status, 200);
	ck_assert_str_eq(g.code, "ParseError");
	ck_assert_ptr_nonnull(strstr(g.message, "DescribeTargetHealth"));
	ck_assert_int_eq(g.attempts, 1);
	ck_assert_ptr_null(g.xml);

	answer_play(srv, s2, 1);
	ck_assert_ptr_nonnull(aws_json(aws, &aws_ecs, "ListClusters", NULL,
	    got_cb, &g2));
	run_until(&g2.n, 1, 5000);
	ck_assert_int_eq(g2.ok, 0);
	ck_assert_str_eq(g2.code, "ParseError");
	ck_assert_ptr_nonnull(strstr(g2.message, "ListClusters"));
	ck_assert_ptr_null(g2.json);
	ck_assert_uint_eq(aws_stats(aws, &aws_ecs)->errors, 1);
}
END_TEST

START_TEST(connection_refused)
{
	struct got	 g = { 0 };
	int		 dead = spawn_free_port();

	ck_assert_int_gt(dead, 0);
	ck_assert_ptr_nonnull(aws = aws_make(creds, dead, 3, 5, 20, NULL));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers", NULL,
	    &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.ok, 0);
	ck_assert_str_eq(g.code, "ConnectionError");
	ck_assert_ptr_nonnull(strstr(g.message, "DescribeLoadBalancers"));
	ck_assert_int_eq(g.status, 0);
	ck_assert_int_eq(g.attempts, 3);
	ck_assert_uint_eq(aws_stats(aws, &aws_elbv2)->retries, 2);
}
END_TEST

START_TEST(request_is_signed)
{
	const struct answer_step s[] = { { 200, ok_xml, NULL, NULL, NULL } };
	const char *const	 params[] = { "Names.member.1=a b/c&d=é",
				    "Marker=", NULL };
	struct got		 g = { 0 };
	char			 want[128], date[16];
	time_t			 t = time(NULL);

	answer_play(srv, s, 1);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 5, 20, NULL));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeTargetGroups",
	    params, &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.ok, 1);
	strftime(date, sizeof(date), "%Y%m%d", gmtime(&t));
	snprintf(want, sizeof(want), "AWS4-HMAC-SHA256 Credential=AKID/%s/"
	    "us-east-1/elasticloadbalancing/aws4_request", date);
	ck_assert_msg(strncmp(srv->last.auth, want, strlen(want)) == 0,
	    "Authorization: %s", srv->last.auth);
	ck_assert_ptr_nonnull(strstr(srv->last.auth,
	    "SignedHeaders=content-type;host;x-amz-date, Signature="));
	ck_assert_int_eq(strlen(srv->last.amzdate), 16);
	ck_assert_int_eq(strncmp(srv->last.amzdate, date, 8), 0);
	ck_assert_str_eq(srv->last.ctype,
	    "application/x-www-form-urlencoded; charset=utf-8");
	ck_assert_str_eq(srv->last.body, "Action=DescribeTargetGroups&Version="
	    "2015-12-01&Names.member.1=a%20b%2Fc%26d%3D%C3%A9&Marker=");
	ck_assert_int_eq(srv->last.method, EVHTTP_REQ_POST);
	ck_assert_str_eq(srv->last.uri, "/");
	ck_assert_str_eq(g.request_id, "req-hdr-1");
	got_clear(&g);
}
END_TEST

START_TEST(endpoint_override_host)
{
	const struct answer_step s[] = { { 200, "<ListHostedZonesResponse>"
	    "<HostedZones/><IsTruncated>false</IsTruncated>"
	    "</ListHostedZonesResponse>", "application/xml", NULL, NULL } };
	struct aws_opts		 o;
	struct got		 g = { 0 }, g2 = { 0 };
	char			 ep[2][64], hostwant[64];
	const char		*list[3];

	answer_play(srv, s, 1);
	/* localhost, not 127.0.0.1: the Host header and the signature take
	 * the override's host:port. */
	snprintf(ep[0], sizeof(ep[0]),
	    "elasticloadbalancing=http://localhost:%d/", srv->port);
	snprintf(ep[1], sizeof(ep[1]), "route53=http://localhost:%d",
	    srv->port);
	list[0] = ep[0];
	list[1] = ep[1];
	list[2] = NULL;
	memset(&o, 0, sizeof(o));
	o.region = "eu-west-1";
	o.endpoints = list;
	ck_assert_ptr_nonnull(aws = aws_new(base, h, creds, &o));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers", NULL,
	    &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.status, 200);
	snprintf(hostwant, sizeof(hostwant), "localhost:%d", srv->port);
	ck_assert_str_eq(srv->last.host, hostwant);
	ck_assert_ptr_nonnull(strstr(srv->last.auth,
	    "/eu-west-1/elasticloadbalancing/aws4_request"));
	ck_assert_str_eq(srv->last.uri, "/");

	/* Route 53: global, signed in us-east-1 whatever the region. */
	ck_assert_ptr_nonnull(aws_rest(aws, &aws_route53, "GET", "hostedzone",
	    "maxitems=10", NULL, "ListHostedZones", got_cb, &g2));
	run_until(&g2.n, 1, 5000);
	ck_assert_int_eq(g2.ok, 1);
	ck_assert_str_eq(xml_root(&g2), "ListHostedZonesResponse");
	ck_assert_int_eq(srv->last.method, EVHTTP_REQ_GET);
	ck_assert_str_eq(srv->last.uri, "/2013-04-01/hostedzone?maxitems=10");
	ck_assert_str_eq(srv->last.host, hostwant);
	ck_assert_ptr_nonnull(strstr(srv->last.auth, "/us-east-1/route53/"
	    "aws4_request"));
	got_clear(&g);
	got_clear(&g2);
}
END_TEST

START_TEST(expired_token_retried_once)
{
	const struct answer_step s1[] = {
		{ 403, expired_xml, NULL, NULL, NULL },
		{ 200, ok_xml, NULL, NULL, NULL },
	};
	const struct answer_step s2[] = {
		{ 403, expired_xml, NULL, NULL, NULL },
	};
	struct got		 g = { 0 }, g2 = { 0 };

	answer_play(srv, s1, 2);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 5, 20, NULL));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers", NULL,
	    &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.ok, 1);
	ck_assert_int_eq(g.attempts, 2);

	answer_forget(srv);
	answer_play(srv, s2, 1);
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers", NULL,
	    &g2));
	run_until(&g2.n, 1, 5000);
	ck_assert_int_eq(g2.ok, 0);
	ck_assert_str_eq(g2.code, "ExpiredToken");
	ck_assert_int_eq(g2.attempts, 2);
	ck_assert_int_eq(srv->n, 2);
	got_clear(&g);
}
END_TEST

START_TEST(client_error_not_retried)
{
	const struct answer_step s[] = {
		{ 400, validation_xml, NULL, NULL, NULL },
	};
	struct got		 g = { 0 };

	answer_play(srv, s, 1);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 5, 20, NULL));
	ck_assert_ptr_nonnull(query(&aws_cloudwatch, "GetMetricData", NULL,
	    &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.ok, 0);
	ck_assert_str_eq(g.code, "ValidationError");
	ck_assert_str_eq(g.message, "bad name");
	ck_assert_int_eq(g.attempts, 1);
	ck_assert_int_eq(srv->n, 1);
	ck_assert_ptr_nonnull(strstr(srv->last.auth,
	    "/monitoring/aws4_request"));
	ck_assert_ptr_nonnull(strstr(srv->last.body, "Version=2010-08-01"));
	ck_assert_uint_eq(aws_stats(aws, &aws_cloudwatch)->errors, 1);
}
END_TEST

START_TEST(status_without_aws_error)
{
	const struct answer_step s[] = {
		{ 502, "<html>bad gateway</html>", "text/html", NULL, NULL },
	};
	struct got		 g = { 0 };

	answer_play(srv, s, 1);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 2, 5, 20, NULL));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers", NULL,
	    &g));
	run_until(&g.n, 1, 5000);
	ck_assert_int_eq(g.ok, 0);
	ck_assert_str_eq(g.code, "502");
	ck_assert_int_eq(g.attempts, 2);
}
END_TEST

static void
no_id_cb(void *arg, const struct sts_identity *id, const char *err)
{
	(*(int *)arg)++;
}

START_TEST(cancel_means_no_callback)
{
	const struct answer_step hold[] = { { 0, "", NULL, NULL, NULL } };
	const struct answer_step thr[] = { { 400, throttle_xml, NULL, NULL,
				    NULL } };
	struct aws_call		*c;
	struct got		 g = { 0 };
	int			 n = 0;

	answer_play(srv, hold, 1);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 5000, 5000, NULL));
	/* Waiting for credentials. */
	ck_assert_ptr_nonnull(c = query(&aws_elbv2, "A", NULL, &g));
	aws_cancel(c);
	ck_assert_ptr_nonnull(c = sts_get_caller_identity(aws, no_id_cb, &n));
	aws_cancel(c);
	/* In flight. */
	ck_assert_ptr_nonnull(c = query(&aws_elbv2, "B", NULL, &g));
	run_until(&srv->n, 1, 5000);
	ck_assert_int_eq(srv->n, 1);
	aws_cancel(c);
	/* Asleep between attempts. */
	answer_play(srv, thr, 1);
	ck_assert_ptr_nonnull(c = query(&aws_elbv2, "C", NULL, &g));
	run_until(&srv->n, 2, 5000);
	ck_assert_int_eq(srv->n, 2);
	run_until(NULL, 0, 50);
	aws_cancel(c);
	run_until(NULL, 0, 300);
	ck_assert_int_eq(g.n, 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(srv->n, 2);
}
END_TEST

START_TEST(free_inside_callback)
{
	const struct answer_step s[] = { { 200, ok_xml, NULL, NULL, NULL } };
	struct got		 g[3];
	int			 total = 0, i;

	memset(g, 0, sizeof(g));
	answer_play(srv, s, 1);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 5, 20, NULL));
	for (i = 0; i < 3; i++) {
		g[i].free_aws = 1;
		g[i].counter = &total;
		ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers",
		    NULL, &g[i]));
	}
	/* An STS call too: its context is released, not leaked. */
	ck_assert_ptr_nonnull(sts_get_caller_identity(aws, no_id_cb, &i));
	run_until(&total, 1, 5000);
	run_until(NULL, 0, 200);
	ck_assert_int_eq(total, 1);
	ck_assert_ptr_null(aws);
	for (i = 0; i < 3; i++)
		got_clear(&g[i]);
}
END_TEST

struct idgot {
	int	 n;
	char	 account[32], arn[128], user[64], err[512];
	int64_t	 skew, server_time;
};

static void
id_cb(void *arg, const struct sts_identity *id, const char *err)
{
	struct idgot	*ig = arg;

	ig->n++;
	if (id != NULL) {
		snprintf(ig->account, sizeof(ig->account), "%s", id->account);
		snprintf(ig->arn, sizeof(ig->arn), "%s", id->arn);
		snprintf(ig->user, sizeof(ig->user), "%s", id->user_id);
		ig->skew = id->skew_s;
		ig->server_time = id->server_time;
	}
	snprintf(ig->err, sizeof(ig->err), "%s", err != NULL ? err : "");
}

START_TEST(sts_skew_from_date)
{
	static const char	 body[] = "<GetCallerIdentityResponse xmlns="
	    "\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentity"
	    "Result><Arn>arn:aws:iam::111122223333:user/sre</Arn><UserId>"
	    "AIDAEXAMPLE</UserId><Account>111122223333</Account></GetCaller"
	    "IdentityResult><ResponseMetadata><RequestId>x</RequestId>"
	    "</ResponseMetadata></GetCallerIdentityResponse>";
	struct answer_step	 s[2];
	struct idgot		 ig = { 0 }, ig2 = { 0 };
	char			 date[64];
	time_t			 ahead = time(NULL) + 600;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
	    gmtime(&ahead));
	memset(s, 0, sizeof(s));
	s[0].status = 200;
	s[0].body = body;
	s[0].hname = "Date";
	s[0].hvalue = date;
	s[1].status = 403;
	s[1].body = "<ErrorResponse><Error><Code>InvalidClientTokenId</Code>"
	    "<Message>The security token included in the request is invalid."
	    "</Message></Error></ErrorResponse>";
	answer_play(srv, s, 2);
	ck_assert_ptr_nonnull(aws = aws_make(creds, 0, 5, 5, 20, NULL));
	ck_assert_ptr_nonnull(sts_get_caller_identity(aws, id_cb, &ig));
	run_until(&ig.n, 1, 5000);
	ck_assert_str_eq(ig.err, "");
	ck_assert_str_eq(ig.account, "111122223333");
	ck_assert_str_eq(ig.arn, "arn:aws:iam::111122223333:user/sre");
	ck_assert_str_eq(ig.user, "AIDAEXAMPLE");
	ck_assert_int_eq(ig.server_time, (int64_t)ahead);
	ck_assert_int_ge(ig.skew, 598);
	ck_assert_int_le(ig.skew, 601);
	ck_assert_ptr_nonnull(strstr(srv->last.body, "Action=GetCallerIdentity&"
	    "Version=2011-06-15"));
	ck_assert_ptr_nonnull(strstr(srv->last.auth,
	    "/us-east-1/sts/aws4_request"));

	ck_assert_ptr_nonnull(sts_get_caller_identity(aws, id_cb, &ig2));
	run_until(&ig2.n, 1, 5000);
	ck_assert_int_eq(ig2.n, 1);
	ck_assert_ptr_nonnull(strstr(ig2.err, "InvalidClientTokenId"));
	ck_assert_ptr_nonnull(strstr(ig2.err, "GetCallerIdentity"));
}
END_TEST

START_TEST(xml_helpers)
{
	static const char	 doc[] = "<a:Root xmlns:a=\"urn:a\" xmlns="
	    "\"urn:b\"><One><a:Two> two </a:Two></One><Three><Two>second"
	    "</Two></Three></a:Root>";
	xmlDoc			*d;
	xmlNode			*n;
	char			*t;

	ck_assert_ptr_nonnull(d = xmlReadMemory(doc, sizeof(doc) - 1, NULL,
	    NULL, XML_PARSE_NONET));
	ck_assert_ptr_nonnull(n = aws_xml_find(d, NULL, "Root"));
	ck_assert_ptr_eq(n, xmlDocGetRootElement(d));
	ck_assert_ptr_nonnull(t = aws_xml_text(d, NULL, "Two"));
	ck_assert_str_eq(t, "two");
	free(t);
	ck_assert_ptr_nonnull(n = aws_xml_find(d, NULL, "Three"));
	ck_assert_ptr_nonnull(t = aws_xml_text(d, n, "Two"));
	ck_assert_str_eq(t, "second");
	free(t);
	ck_assert_ptr_null(aws_xml_find(d, n, "One"));
	ck_assert_ptr_null(aws_xml_text(d, NULL, "Four"));
	ck_assert_ptr_null(aws_xml_find(NULL, NULL, "Root"));
	xmlFreeDoc(d);
}
END_TEST

START_TEST(bad_options_refused)
{
	struct aws_opts		 o;
	const char *const	 bad1[] = { "elasticloadbalancing", NULL };
	const char *const	 bad2[] = { "ecs=ftp://127.0.0.1/", NULL };

	memset(&o, 0, sizeof(o));
	ck_assert_ptr_null(aws_new(base, h, creds, &o));
	o.region = "us-east-1.evil.com/";
	ck_assert_ptr_null(aws_new(base, h, creds, &o));
	o.region = "us-east-1";
	o.endpoints = bad1;
	ck_assert_ptr_null(aws_new(base, h, creds, &o));
	o.endpoints = bad2;
	ck_assert_ptr_null(aws_new(base, h, creds, &o));
	o.endpoints = NULL;
	ck_assert_ptr_nonnull(aws = aws_new(base, h, creds, &o));
	/* The wrong protocol for the service. */
	ck_assert_ptr_null(aws_json(aws, &aws_elbv2, "X", NULL, got_cb, NULL));
	ck_assert_ptr_null(aws_query(aws, &aws_ecs, "X", NULL, got_cb, NULL));
	ck_assert_str_eq(aws_ecs.name, "ecs");
	ck_assert_str_eq(aws_cloudwatch.version, "2010-08-01");
}
END_TEST

/* ---- moto ---- */

/* A struct aws on moto, which must run: backoff 10 to 100 ms. */
static struct aws *
moto_aws(int max, const char *region)
{
	if (moto_pid <= 0)
		ck_abort_msg("moto_server is not running");
	return aws_make(creds, moto_port, max, 10, 100, region);
}

START_TEST(moto_sts_identity)
{
	struct idgot	ig = { 0 };

	ck_assert_ptr_nonnull(aws = moto_aws(3, NULL));
	ck_assert_ptr_nonnull(sts_get_caller_identity(aws, id_cb, &ig));
	run_until(&ig.n, 1, 10000);
	ck_assert_int_eq(ig.n, 1);
	ck_assert_str_eq(ig.err, "");
	ck_assert_str_eq(ig.account, "123456789012");
	ck_assert_ptr_nonnull(strstr(ig.arn, "123456789012"));
	ck_assert_str_ne(ig.user, "");
	ck_assert_int_gt(ig.server_time, 0);
	ck_assert_int_lt(llabs(ig.skew), 300);
}
END_TEST

START_TEST(moto_query_services)
{
	struct got	 g = { 0 }, g2 = { 0 };

	ck_assert_ptr_nonnull(aws = moto_aws(3, NULL));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers", NULL,
	    &g));
	ck_assert_ptr_nonnull(query(&aws_cloudwatch, "ListMetrics", NULL,
	    &g2));
	run_until(&g.n, 1, 10000);
	run_until(&g2.n, 1, 10000);
	ck_assert_msg(g.ok, "%s: %s", g.code, g.message);
	ck_assert_int_eq(g.attempts, 1);
	ck_assert_str_eq(xml_root(&g), "DescribeLoadBalancersResponse");
	ck_assert_ptr_nonnull(aws_xml_find(g.xml, NULL, "LoadBalancers"));
	ck_assert_ptr_null(aws_xml_find(g.xml, NULL, "member"));
	ck_assert_str_ne(g.request_id, "");
	ck_assert_msg(g2.ok, "%s: %s", g2.code, g2.message);
	ck_assert_str_eq(xml_root(&g2), "ListMetricsResponse");
	ck_assert_ptr_nonnull(aws_xml_find(g2.xml, NULL, "ListMetricsResult"));
	got_clear(&g);
	got_clear(&g2);
}
END_TEST

START_TEST(moto_ecs_json)
{
	struct got	 g = { 0 };

	ck_assert_ptr_nonnull(aws = moto_aws(3, NULL));
	ck_assert_ptr_nonnull(aws_json(aws, &aws_ecs, "ListClusters", NULL,
	    got_cb, &g));
	run_until(&g.n, 1, 10000);
	ck_assert_msg(g.ok, "%s: %s", g.code, g.message);
	ck_assert_ptr_nonnull(g.json);
	ck_assert(json_is_array(json_object_get(g.json, "clusterArns")));
	got_clear(&g);
}
END_TEST

START_TEST(moto_route53_rest)
{
	struct got	 g = { 0 }, g2 = { 0 };
	char		*t;

	ck_assert_ptr_nonnull(aws = moto_aws(3, "eu-west-1"));
	ck_assert_ptr_nonnull(aws_rest(aws, &aws_route53, "GET", "hostedzone",
	    NULL, NULL, "ListHostedZones", got_cb, &g));
	ck_assert_ptr_nonnull(aws_rest(aws, &aws_route53, "GET",
	    "/2013-04-01/hostedzone/NOPE", NULL, NULL, "GetHostedZone", got_cb,
	    &g2));
	run_until(&g.n, 1, 10000);
	run_until(&g2.n, 1, 10000);
	ck_assert_msg(g.ok, "%s: %s", g.code, g.message);
	ck_assert_str_eq(xml_root(&g), "ListHostedZonesResponse");
	ck_assert_ptr_nonnull(t = aws_xml_text(g.xml, NULL, "IsTruncated"));
	ck_assert_str_eq(t, "false");
	free(t);
	ck_assert_int_eq(g2.ok, 0);
	ck_assert_int_eq(g2.status, 404);
	ck_assert_str_eq(g2.code, "NoSuchHostedZone");
	ck_assert_ptr_nonnull(strstr(g2.message, "NOPE"));
	ck_assert_int_eq(g2.attempts, 1);
	got_clear(&g);
}
END_TEST

START_TEST(moto_errors_not_retried)
{
	const char *const	 arns[] = { "TargetGroupArns.member.1=arn:aws:"
	    "elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/"
	    "0123456789abcdef", NULL };
	struct got		 g = { 0 }, g2 = { 0 };

	ck_assert_ptr_nonnull(aws = moto_aws(5, NULL));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeTargetGroups", arns,
	    &g));
	ck_assert_ptr_nonnull(aws_json(aws, &aws_ecs, "DescribeServices",
	    json_pack("{s:s,s:[s]}", "cluster", "nope", "services", "web"),
	    got_cb, &g2));
	run_until(&g.n, 1, 10000);
	run_until(&g2.n, 1, 10000);
	ck_assert_int_eq(g.ok, 0);
	ck_assert_int_eq(g.status, 400);
	ck_assert_str_eq(g.code, "TargetGroupNotFound");
	ck_assert_str_ne(g.message, "");
	ck_assert_str_ne(g.request_id, "");
	ck_assert_int_eq(g.attempts, 1);
	ck_assert_int_eq(g2.ok, 0);
	ck_assert_str_eq(g2.code, "ClusterNotFoundException");
	ck_assert_str_eq(g2.message, "Cluster not found.");
	ck_assert_int_eq(g2.attempts, 1);
	ck_assert_uint_eq(aws_stats(aws, &aws_elbv2)->retries, 0);
}
END_TEST

/* ---- fakeaws.py, when it runs ---- */

/* POST json to fakeaws's control API; it must answer 200. */
static void
fake_post(const char *path, const char *json)
{
	ck_assert_int_eq(spawn_request(fake_port, "POST", path, json, NULL,
	    NULL), 200);
}

START_TEST(fake_wrong_secret)
{
	struct aws_creds_src	*wrong;
	struct got		 g = { 0 }, g2 = { 0 };

	if (fake_port == 0) {
		fprintf(stderr, "check_aws: fake_wrong_secret: skipped, "
		    "fakeaws.py is not running\n");
		return;
	}
	ck_assert_ptr_nonnull(wrong = creds_make(env_wrong));
	ck_assert_ptr_nonnull(aws = aws_make(wrong, fake_port, 5, 10, 100,
	    NULL));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers", NULL,
	    &g));
	ck_assert_ptr_nonnull(aws_json(aws, &aws_ecs, "ListClusters", NULL,
	    got_cb, &g2));
	run_until(&g.n, 1, 10000);
	run_until(&g2.n, 1, 10000);
	ck_assert_int_eq(g.ok, 0);
	ck_assert_int_eq(g.status, 403);
	ck_assert_str_eq(g.code, "SignatureDoesNotMatch");
	ck_assert_int_eq(g.attempts, 1);
	ck_assert_int_eq(g2.ok, 0);
	ck_assert_str_eq(g2.code, "InvalidSignatureException");
	ck_assert_int_eq(g2.attempts, 1);
	aws_free(aws);
	aws = NULL;
	aws_creds_free(wrong);

	/* The right secret passes the same check. */
	ck_assert_ptr_nonnull(aws = aws_make(creds, fake_port, 5, 10, 100,
	    NULL));
	memset(&g, 0, sizeof(g));
	ck_assert_ptr_nonnull(query(&aws_elbv2, "DescribeLoadBalancers", NULL,
	    &g));
	run_until(&g.n, 1, 10000);
	ck_assert_msg(g.ok, "%s: %s", g.code, g.message);
	got_clear(&g);
}
END_TEST

START_TEST(fake_throttled_calls_complete)
{
	struct got	 g[MAX_IDS];
	int		 total = 0, i;

	if (fake_port == 0) {
		fprintf(stderr, "check_aws: fake_throttled_calls_complete: "
		    "skipped, fakeaws.py is not running\n");
		return;
	}
	memset(g, 0, sizeof(g));
	fake_post("/_fake/reset", "{}");
	fake_post("/_fake/faults", "{\"throttle_rate\":0.3,\"seed\":7}");
	ck_assert_ptr_nonnull(aws = aws_make(creds, fake_port, 10, 5, 40,
	    NULL));
	for (i = 0; i < MAX_IDS; i++) {
		g[i].counter = &total;
		if (i % 2 == 0)
			ck_assert_ptr_nonnull(query(&aws_elbv2,
			    "DescribeLoadBalancers", NULL, &g[i]));
		else
			ck_assert_ptr_nonnull(aws_json(aws, &aws_ecs,
			    "ListClusters", NULL, got_cb, &g[i]));
	}
	run_until(&total, MAX_IDS, 15000);
	ck_assert_int_eq(total, MAX_IDS);
	for (i = 0; i < MAX_IDS; i++) {
		ck_assert_msg(g[i].ok, "%d: %s: %s", i, g[i].code,
		    g[i].message);
		got_clear(&g[i]);
	}
	ck_assert_uint_gt(aws_stats(aws, &aws_elbv2)->throttles +
	    aws_stats(aws, &aws_ecs)->throttles, 0);
	fake_post("/_fake/reset", "{}");
}
END_TEST

int
main(void)
{
	const TTest		*local[] = {
		retry_5xx_then_ok, throttling_gives_up_with_growing_delays,
		json_throttling_retried, json_errors_parsed,
		garbage_is_parse_error, connection_refused, request_is_signed,
		endpoint_override_host, expired_token_retried_once,
		client_error_not_retried, status_without_aws_error,
		cancel_means_no_callback, free_inside_callback,
		sts_skew_from_date, xml_helpers, bad_options_refused, NULL
	};
	const TTest		*moto[] = {
		moto_sts_identity, moto_query_services, moto_ecs_json,
		moto_route53_rest, moto_errors_not_retried, fake_wrong_secret,
		fake_throttled_calls_complete, NULL
	};
	const struct suite_case	 cases[] = {
		{ "local", NULL, NULL, setup_local, teardown, 30, local },
		{ "moto", moto_start, children_stop, setup_moto, teardown, 60,
		    moto },
	};
	int		 status;

	signal(SIGPIPE, SIG_IGN);
	main_pid = getpid();
	/* Everything the suite writes: removed at exit, whatever happened
	 * to the tests. */
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/check_aws.XXXXXX");
	if (mkdtemp(tmp_dir) == NULL) {
		perror("check_aws: mkdtemp");
		return EXIT_FAILURE;
	}
	/* An empty $HOME: no shared files for aws-creds to find. */
	snprintf(home, sizeof(home), "%s/home", tmp_dir);
	if (mkdir(home, 0700) == -1) {
		perror("check_aws: mkdir");
		return EXIT_FAILURE;
	}
	snprintf(tmp_files[0], sizeof(tmp_files[0]), "%s/moto.log", tmp_dir);
	snprintf(tmp_files[1], sizeof(tmp_files[1]), "%s/fake.log", tmp_dir);
	snprintf(tmp_files[2], sizeof(tmp_files[2]), "%s/fake.env", tmp_dir);
	snprintf(tmp_files[3], sizeof(tmp_files[3]), "%s/fake.env.tmp",
	    tmp_dir);
	atexit(cleanup);
	log_init(getenv("AWS_DEBUG") != NULL ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	status = suite_run(suite_of("aws", cases, 2));
	cleanup();
	curl_global_cleanup();
	return status;
}
