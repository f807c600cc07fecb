/*
 * check_digitalocean: lib/digitalocean.c. The parsers read answers written
 * by hand after the API reference's examples; the token file's checks run
 * on files made here. The calls run against tests/fakes/fakedo.py (started
 * once by the parent process and killed at the end, also on signals):
 * droplets by tag over three pages, the token refused, actions polled to
 * "completed" and to "errored", deletes of droplets and other resources
 * with 404 as "gone", the rate limit (a 429 waits for the reset; a spent
 * budget holds the next request until the reset), 5xx retried, answers
 * that are not JSON or of the wrong shape. An in-process evhttp server
 * answers a list whose next page points elsewhere.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include <jansson.h>

#include "answer.h"
#include "digitalocean.h"
#include "fakedo.h"
#include "http.h"
#include "log.h"
#include "now.h"
#include "suite.h"

#define MAX_ITEMS	8

static struct event_base	*base;
static struct http		*h;
static struct do_client		*dc;
static struct do_call		*do_cancel_me;

/* The in-process server: one answer for every request. */
static struct answer		*srv;
static char			 srv_answer[2048];

static int64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client of the fake (or of url) with this token, quick retries. */
static struct do_client *
client(const char *url, const char *token)
{
	struct do_client	*c;
	struct do_opts		 o;

	c = do_new(base, h, url != NULL ? url : fakedo_url, token);
	ck_assert_ptr_nonnull(c);
	memset(&o, 0, sizeof(o));
	o.max_attempts = 4;
	o.backoff_base_ms = 20;
	o.backoff_cap_ms = 100;
	o.ratelimit_cap_ms = 5000;
	o.timeout_ms = 5000;
	do_set_opts(c, &o);
	return c;
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_ptr_nonnull(h = http_new(base));
	ck_assert_ptr_nonnull(srv = answer_new(base, "application/json"));
	srv_answer[0] = '\0';
	answer_say(srv, srv_answer, NULL);
	dc = NULL;
}

static void
teardown(void)
{
	do_free(dc);
	dc = NULL;
	http_free(h);
	answer_free(srv);
	event_base_free(base);
}

static void
fake_setup(void)
{
	ck_assert_msg(fakedo_port > 0, "fakedo.py is not running");
	ck_assert_int_eq(fakedo_ctl("/_fake/reset", "{}", NULL), 200);
	setup();
	dc = client(NULL, FAKEDO_TOKEN);
}

/* Run the loop until *n reaches want, or ms pass. */
static void
run_until(int *n, int want, int64_t ms)
{
	answer_run_until(base, n, want, ms);
}

/* GET a control path as JSON. */
static json_t *
fake_json(const char *path)
{
	char	*body = NULL;
	json_t	*j;

	ck_assert_int_eq(fakedo_ctl(path, NULL, &body), 200);
	j = json_loads(body, 0, NULL);
	free(body);
	ck_assert_ptr_nonnull(j);
	return j;
}

/* Seed droplets; their ids into ids[]. */
static size_t
seed(const char *json, int64_t *ids)
{
	char	*body = NULL;
	json_t	*j, *v;
	size_t	 i;

	ck_assert_int_eq(fakedo_ctl("/_fake/droplets", json, &body), 200);
	ck_assert_ptr_nonnull(j = json_loads(body, 0, NULL));
	free(body);
	json_array_foreach(json_object_get(j, "ids"), i, v)
		ids[i] = json_integer_value(v);
	json_decref(j);
	return i;
}

static void
faults(const char *json)
{
	ck_assert_int_eq(fakedo_ctl("/_fake/faults", json, NULL), 200);
}

/* ---- what the callbacks saw, copied ---- */

struct got {
	int	n;
	int	err;
	char	op[64], code[64], text[512];
	int	status;
	int	flag;
	size_t	nitems;
	int64_t	id[MAX_ITEMS];
	char	name[MAX_ITEMS][64];
	char	ip[MAX_ITEMS][32];
	char	dstatus[32];
	size_t	nsnap;
	/* action */
	int64_t	aid;
	int	st;
	char	astatus[32], type[32];
	int	completed_at;
};
static struct got	g;

static void
got_err(struct got *x, const struct api_err *e)
{
	x->err = 1;
	snprintf(x->op, sizeof(x->op), "%s", e->op);
	snprintf(x->code, sizeof(x->code), "%s", e->code);
	snprintf(x->text, sizeof(x->text), "%s", e->text);
	x->status = e->status;
}

static void
list_cb(void *arg, const struct do_droplets *l, const struct api_err *e)
{
	struct got	*x = arg;
	size_t		 i;

	x->n++;
	if (e != NULL) {
		ck_assert_ptr_null(l);
		got_err(x, e);
		return;
	}
	x->nitems = l->n;
	for (i = 0; i < l->n && i < MAX_ITEMS; i++) {
		x->id[i] = l->v[i].id;
		snprintf(x->name[i], sizeof(x->name[i]), "%s", l->v[i].name);
		snprintf(x->ip[i], sizeof(x->ip[i]), "%s",
		    l->v[i].private_ip != NULL ? l->v[i].private_ip : "-");
	}
}

static void
droplet_cb(void *arg, const struct do_droplet *d, const struct api_err *e)
{
	struct got	*x = arg;

	x->n++;
	if (e != NULL) {
		ck_assert_ptr_null(d);
		got_err(x, e);
		return;
	}
	x->id[0] = d->id;
	snprintf(x->name[0], sizeof(x->name[0]), "%s", d->name);
	snprintf(x->dstatus, sizeof(x->dstatus), "%s", d->status);
	x->nsnap = d->nsnapshot_ids;
}

static void
action_cb(void *arg, const struct do_action *a, const struct api_err *e)
{
	struct got	*x = arg;

	x->n++;
	if (e != NULL) {
		ck_assert_ptr_null(a);
		got_err(x, e);
		return;
	}
	x->aid = a->id;
	x->st = a->st;
	x->id[0] = a->resource_id;
	snprintf(x->astatus, sizeof(x->astatus), "%s", a->status);
	snprintf(x->type, sizeof(x->type), "%s", a->type);
	x->completed_at = a->completed_at != NULL;
}

static void
flag_cb(void *arg, int flag, const struct api_err *e)
{
	struct got	*x = arg;

	x->n++;
	x->flag = flag;
	if (e != NULL)
		got_err(x, e);
}

/* Wait for one callback into g (reset first). */
#define CALL(expr) do {							\
	memset(&g, 0, sizeof(g));					\
	ck_assert_ptr_nonnull(expr);					\
	run_until(&g.n, 1, 20000);					\
	ck_assert_int_eq(g.n, 1);					\
} while (0)

/* Poll an action until it is no longer in progress. */
static void
poll_action(int64_t aid)
{
	int64_t	end = (now_mono_us() / 1000) + 10000;

	do {
		CALL(do_action_get(dc, aid, action_cb, &g));
		ck_assert_int_eq(g.err, 0);
		if (g.st != DO_ACTION_IN_PROGRESS)
			return;
		run_until(NULL, 0, 50);
	} while ((now_mono_us() / 1000) < end);
	ck_abort_msg("action %" PRId64 " still in progress", aid);
}

/* ---- parsers ---- */

static const char list_page[] =
    "{\"droplets\": [{\"id\": 3164444, \"name\": \"example.com\","
    " \"memory\": 1024, \"vcpus\": 1, \"disk\": 25, \"locked\": false,"
    " \"status\": \"active\", \"kernel\": null,"
    " \"created_at\": \"2020-07-21T18:37:44Z\","
    " \"features\": [\"backups\", \"private_networking\", \"ipv6\"],"
    " \"backup_ids\": [53893572], \"next_backup_window\": null,"
    " \"snapshot_ids\": [67512819], \"image\": {\"id\": 63663980},"
    " \"volume_ids\": [], \"size\": {\"slug\": \"s-1vcpu-1gb\"},"
    " \"size_slug\": \"s-1vcpu-1gb\","
    " \"networks\": {\"v4\": [{\"ip_address\": \"104.236.32.182\","
    "   \"netmask\": \"255.255.192.0\", \"gateway\": \"104.236.0.1\","
    "   \"type\": \"public\"}, {\"ip_address\": \"10.128.192.124\","
    "   \"netmask\": \"255.255.0.0\", \"gateway\": \"nil\","
    "   \"type\": \"private\"}], \"v6\": []},"
    " \"region\": {\"name\": \"New York 3\", \"slug\": \"nyc3\"},"
    " \"tags\": [\"web\", \"env:prod\"],"
    " \"vpc_uuid\": \"760e09ef-dc84-11e8-981e-3cfdfeaae000\"},"
    " {\"id\": 3164445, \"name\": \"b\", \"status\": \"off\"}],"
    " \"links\": {\"pages\": {"
    "  \"last\": \"https://api.digitalocean.com/v2/droplets?page=3&per_page=2\","
    "  \"next\": \"https://api.digitalocean.com/v2/droplets?page=2&per_page=2\"}},"
    " \"meta\": {\"total\": 5}}";

START_TEST(parse_recorded)
{
	struct do_droplets	*l;
	struct do_droplet	*d;
	struct do_action	*a;
	json_t			*j;
	char			 why[256], *next = NULL;

	ck_assert_ptr_nonnull(j = json_loads(list_page, 0, NULL));
	ck_assert_ptr_nonnull(l = do_parse_droplets(j, &next, why,
	    sizeof(why)));
	json_decref(j);
	ck_assert_uint_eq(l->n, 2);
	ck_assert_int_eq(l->v[0].id, 3164444);
	ck_assert_str_eq(l->v[0].name, "example.com");
	ck_assert_str_eq(l->v[0].status, "active");
	ck_assert_str_eq(l->v[0].private_ip, "10.128.192.124");
	ck_assert_str_eq(l->v[0].public_ip, "104.236.32.182");
	ck_assert_str_eq(l->v[0].region, "nyc3");
	ck_assert_uint_eq(l->v[0].ntags, 2);
	ck_assert_str_eq(l->v[0].tags[1], "env:prod");
	ck_assert_uint_eq(l->v[0].nsnapshot_ids, 1);
	ck_assert_int_eq(l->v[0].snapshot_ids[0], 67512819);
	ck_assert_ptr_null(l->v[1].private_ip);
	ck_assert_ptr_null(l->v[1].region);
	ck_assert_str_eq(next,
	    "https://api.digitalocean.com/v2/droplets?page=2&per_page=2");
	free(next);
	do_droplets_free(l);

	/* The last page: links {} or first/prev only. */
	ck_assert_ptr_nonnull(j = json_loads("{\"droplets\": [], \"links\": "
	    "{}, \"meta\": {\"total\": 0}}", 0, NULL));
	ck_assert_ptr_nonnull(l = do_parse_droplets(j, &next, why,
	    sizeof(why)));
	ck_assert_ptr_null(next);
	ck_assert_uint_eq(l->n, 0);
	do_droplets_free(l);
	json_decref(j);

	ck_assert_ptr_nonnull(j = json_loads("{\"droplet\": {\"id\": 7, "
	    "\"name\": \"d\", \"status\": \"archive\", \"locked\": true}}", 0,
	    NULL));
	ck_assert_ptr_nonnull(d = do_parse_droplet(j, why, sizeof(why)));
	ck_assert_int_eq(d->locked, 1);
	ck_assert_str_eq(d->status, "archive");
	do_droplet_free(d);
	json_decref(j);

	ck_assert_ptr_nonnull(j = json_loads("{\"action\": {\"id\": 36804636,"
	    " \"status\": \"completed\", \"type\": \"shutdown\","
	    " \"started_at\": \"2020-11-14T16:29:21Z\","
	    " \"completed_at\": \"2020-11-14T16:30:06Z\","
	    " \"resource_id\": 3164444, \"resource_type\": \"droplet\","
	    " \"region\": {\"slug\": \"nyc3\"}, \"region_slug\": \"nyc3\"}}",
	    0, NULL));
	ck_assert_ptr_nonnull(a = do_parse_action(j, why, sizeof(why)));
	ck_assert_int_eq(a->id, 36804636);
	ck_assert_int_eq(a->st, DO_ACTION_COMPLETED);
	ck_assert_str_eq(a->type, "shutdown");
	ck_assert_int_eq(a->resource_id, 3164444);
	ck_assert_str_eq(a->completed_at, "2020-11-14T16:30:06Z");
	ck_assert_str_eq(a->region_slug, "nyc3");
	do_action_free(a);
	json_decref(j);

	ck_assert_int_eq(do_action_status_parse("in-progress"),
	    DO_ACTION_IN_PROGRESS);
	ck_assert_int_eq(do_action_status_parse("errored"), DO_ACTION_ERRORED);
	ck_assert_int_eq(do_action_status_parse("paused"), DO_ACTION_OTHER);
	ck_assert_int_eq(do_action_status_parse(NULL), DO_ACTION_OTHER);
	ck_assert_str_eq(do_resource_name(DO_RES_RESERVED_IP), "reserved_ip");
}
END_TEST

START_TEST(parse_wrong_shapes)
{
	static const char *const lists[] = {
		"[]", "{}", "{\"droplets\": {}}",
		"{\"droplets\": [{\"name\": \"x\", \"status\": \"active\"}]}",
		"{\"droplets\": [{\"id\": \"7\", \"name\": \"x\", "
		    "\"status\": \"active\"}]}",
		"{\"droplets\": [{\"id\": 7, \"status\": \"active\"}]}",
		"{\"droplets\": [{\"id\": 7, \"name\": \"x\", \"status\": "
		    "\"active\", \"tags\": \"web\"}]}",
		"{\"droplets\": [{\"id\": 7, \"name\": \"x\", \"status\": "
		    "\"active\", \"networks\": {\"v4\": [{\"type\": 1}]}}]}",
		"{\"droplets\": [{\"id\": 7, \"name\": \"x\", \"status\": "
		    "\"active\", \"snapshot_ids\": [\"a\"]}]}",
		"{\"droplets\": [], \"links\": []}",
		"{\"droplets\": [], \"links\": {\"pages\": {\"next\": 2}}}",
		"{\"droplets\": [1]}", NULL
	};
	static const char *const actions[] = {
		"{}", "{\"action\": null}", "{\"action\": {\"id\": 1}}",
		"{\"action\": {\"id\": 1, \"status\": \"completed\"}}",
		"{\"action\": {\"id\": 1, \"status\": 2, \"type\": \"x\"}}",
		"{\"action\": {\"id\": 1, \"status\": \"completed\", "
		    "\"type\": \"x\", \"resource_id\": \"9\"}}",
		"{\"action\": {\"id\": 1, \"status\": \"completed\", "
		    "\"type\": \"x\", \"completed_at\": 9}}", NULL
	};
	const char *const	*s;
	json_t			*j;
	char			 why[256], *next = (char *)"x";

	for (s = lists; *s != NULL; s++) {
		ck_assert_ptr_nonnull(j = json_loads(*s, JSON_DECODE_ANY,
		    NULL));
		why[0] = '\0';
		ck_assert_msg(do_parse_droplets(j, &next, why,
		    sizeof(why)) == NULL, "accepted %s", *s);
		ck_assert_ptr_null(next);
		ck_assert_msg(why[0] != '\0', "no reason for %s", *s);
		json_decref(j);
	}
	for (s = actions; *s != NULL; s++) {
		ck_assert_ptr_nonnull(j = json_loads(*s, 0, NULL));
		why[0] = '\0';
		ck_assert_msg(do_parse_action(j, why, sizeof(why)) == NULL,
		    "accepted %s", *s);
		ck_assert_msg(why[0] != '\0', "no reason for %s", *s);
		json_decref(j);
	}
	ck_assert_ptr_nonnull(j = json_loads("{\"droplets\": []}", 0, NULL));
	ck_assert_ptr_null(do_parse_droplet(j, why, sizeof(why)));
	json_decref(j);
}
END_TEST

/* ---- the token file ---- */

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int	fd;

	unlink(path);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(token_file)
{
	char	dir[64], path[128], why[256], *tok = NULL;

	snprintf(dir, sizeof(dir), "/tmp/check_do_token.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);

	write_file(path, "  dop_v1_abc123\n", 0600);
	ck_assert_int_eq(do_token_read(path, &tok, why, sizeof(why)), 0);
	ck_assert_str_eq(tok, "dop_v1_abc123");
	free(tok);
	write_file(path, "dop_v1_abc123", 0400);
	ck_assert_int_eq(do_token_read(path, &tok, why, sizeof(why)), 0);
	free(tok);

	write_file(path, "dop_v1_abc123\n", 0640);
	ck_assert_int_eq(do_token_read(path, &tok, why, sizeof(why)), -1);
	ck_assert_ptr_null(tok);
	ck_assert_ptr_nonnull(strstr(why, "mode 0640"));
	ck_assert_ptr_nonnull(strstr(why, "chmod 600"));
	write_file(path, "dop_v1_abc123\n", 0604);
	ck_assert_int_eq(do_token_read(path, &tok, why, sizeof(why)), -1);
	write_file(path, "dop_v1_abc123\n", 0620);
	ck_assert_int_eq(do_token_read(path, &tok, why, sizeof(why)), -1);

	write_file(path, " \n\n", 0600);
	ck_assert_int_eq(do_token_read(path, &tok, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "empty"));
	write_file(path, "one\ntwo\n", 0600);
	ck_assert_int_eq(do_token_read(path, &tok, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "more than one line"));
	unlink(path);
	ck_assert_int_eq(do_token_read(path, &tok, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "cannot open"));
	ck_assert_int_eq(do_token_read(dir, &tok, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "not a regular file"));
	ck_assert_ptr_null(tok);
	rmdir(dir);
}
END_TEST

START_TEST(new_refused)
{
	ck_assert_ptr_null(do_new(base, h, NULL, ""));
	ck_assert_ptr_null(do_new(base, h, NULL, NULL));
	ck_assert_ptr_null(do_new(base, h, NULL, "tok\r\nX-Evil: 1"));
	ck_assert_ptr_null(do_new(base, h, NULL, "two words"));
	ck_assert_ptr_null(do_new(base, h, "ftp://127.0.0.1", "tok"));
	ck_assert_ptr_null(do_new(base, h, "not a url", "tok"));
	ck_assert_ptr_nonnull(dc = do_new(base, h, NULL, "tok"));
	/* Refused before anything is sent; no callback. */
	ck_assert_ptr_null(do_droplets_by_tag(dc, "", list_cb, &g));
	ck_assert_ptr_null(do_droplet_get(dc, 0, droplet_cb, &g));
	ck_assert_ptr_null(do_droplet_action(dc, 5, "destroy", NULL,
	    action_cb, &g));
	ck_assert_ptr_null(do_droplet_action(dc, 5, NULL, NULL, action_cb,
	    &g));
	ck_assert_ptr_null(do_resource_delete(dc, DO_RES_FIREWALL,
	    "../droplets/5", flag_cb, &g));
	ck_assert_ptr_null(do_resource_delete(dc, DO_RES_FIREWALL, "",
	    flag_cb, &g));
	ck_assert_uint_eq(do_pending(dc), 0);
}
END_TEST

/* The next page of a list must stay on the API's host: the token goes
 * with every request. */
START_TEST(foreign_next_refused)
{
	char	url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv->port);
	snprintf(srv_answer, sizeof(srv_answer), "{\"droplets\": [{\"id\": 1,"
	    " \"name\": \"a\", \"status\": \"active\"}], \"links\": "
	    "{\"pages\": {\"next\": \"http://127.0.0.2:%d/v2/droplets?page=2\""
	    "}}, \"meta\": {\"total\": 2}}", srv->port);
	dc = client(url, "tok");
	CALL(do_droplets_by_tag(dc, "shop", list_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_str_eq(g.code, "UnexpectedAnswer");
	ck_assert_ptr_nonnull(strstr(g.text, "ListDroplets: UnexpectedAnswer: "
	    "the next page is not under http://127.0.0.1:"));
	ck_assert_int_eq(srv->n, 1);

	/* Not JSON, from a server that says 200. */
	snprintf(srv_answer, sizeof(srv_answer), "<html>oops</html>");
	CALL(do_action_get(dc, 5, action_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_str_eq(g.op, "GetAction");
	ck_assert_ptr_nonnull(strstr(g.text, "GetAction: UnexpectedAnswer: "
	    "the answer (HTTP 200) is not JSON"));
}
END_TEST

START_TEST(connection_error_retried)
{
	int	fd, port;
	char	url[64];
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	/* A port nobody listens on. */
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	dc = client(url, "tok");
	CALL(do_droplet_delete(dc, 5, flag_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_str_eq(g.code, "ConnectionError");
	ck_assert_int_eq(g.status, 0);
	ck_assert_ptr_nonnull(strstr(g.text, "DeleteDroplet: ConnectionError: "));
	ck_assert_uint_eq(do_stats(dc)->retries, 3);
	ck_assert_uint_eq(do_stats(dc)->errors, 1);
}
END_TEST

START_TEST(cancel_and_free)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			 url[64];
	int			 fd, n = 0;

	/* A server that takes connections and never answers. */
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sin.sin_port));
	dc = client(url, "tok");
	memset(&g, 0, sizeof(g));
	do_cancel(do_droplet_get(dc, 1, droplet_cb, &g));
	do_cancel(NULL);
	ck_assert_uint_eq(do_pending(dc), 0);
	run_until(&n, 1, 100);
	ck_assert_int_eq(g.n, 0);
	/* A call in flight, cancelled. */
	ck_assert_ptr_nonnull(do_cancel_me = do_droplet_get(dc, 1,
	    droplet_cb, &g));
	run_until(&n, 1, 100);
	ck_assert_uint_eq(do_pending(dc), 1);
	do_cancel(do_cancel_me);
	ck_assert_uint_eq(do_pending(dc), 0);
	/* Calls left in flight are dropped by do_free, without callbacks. */
	ck_assert_ptr_nonnull(do_droplet_get(dc, 1, droplet_cb, &g));
	ck_assert_ptr_nonnull(do_droplets_by_tag(dc, "x", list_cb, &g));
	run_until(&n, 1, 100);
	ck_assert_uint_eq(do_pending(dc), 2);
	do_free(dc);
	dc = NULL;
	run_until(&n, 1, 100);
	ck_assert_int_eq(g.n, 0);
	close(fd);
}
END_TEST

static void
free_cb(void *arg, const struct do_droplet *d, const struct api_err *e)
{
	(*(int *)arg)++;
	do_free(dc);
	dc = NULL;
}

/* do_free from a callback: the others are dropped, nothing leaks. */
START_TEST(free_inside_callback)
{
	char	url[64];
	int	n = 0;

	snprintf(srv_answer, sizeof(srv_answer), "{\"droplet\": {\"id\": 1,"
	    " \"name\": \"a\", \"status\": \"active\"}}");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv->port);
	dc = client(url, "tok");
	ck_assert_ptr_nonnull(do_droplet_get(dc, 1, free_cb, &n));
	ck_assert_ptr_nonnull(do_droplet_get(dc, 1, free_cb, &n));
	ck_assert_ptr_nonnull(do_droplet_get(dc, 1, free_cb, &n));
	run_until(&n, 2, 500);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_null(dc);
}
END_TEST

/* ---- against fakedo.py ---- */

START_TEST(fake_list_three_pages)
{
	struct do_opts	 o;
	json_t		*log, *e;
	int64_t		 ids[8];
	size_t		 i, nlist = 0;

	ck_assert_uint_eq(seed("{\"droplets\": ["
	    "{\"name\": \"web-1\", \"tags\": [\"shop\"], \"private_ip\": \"10.10.0.11\"},"
	    "{\"name\": \"web-2\", \"tags\": [\"shop\"], \"private_ip\": \"10.10.0.12\"},"
	    "{\"name\": \"blog\", \"tags\": [\"blog\"]},"
	    "{\"name\": \"web-3\", \"tags\": [\"shop\", \"web\"], \"private_ip\": \"10.10.0.13\"},"
	    "{\"name\": \"db-1\", \"tags\": [\"shop\"], \"private_ip\": \"10.10.0.21\", \"status\": \"off\"},"
	    "{\"name\": \"web-4\", \"tags\": [\"shop\"], \"private_ip\": \"10.10.0.14\"}]}",
	    ids), 6);
	memset(&o, 0, sizeof(o));
	o.per_page = 2;
	o.max_attempts = 4;
	do_set_opts(dc, &o);
	CALL(do_droplets_by_tag(dc, "shop", list_cb, &g));
	ck_assert_msg(g.err == 0, "%s", g.text);
	ck_assert_uint_eq(g.nitems, 5);
	ck_assert_str_eq(g.name[0], "web-1");
	ck_assert_str_eq(g.ip[0], "10.10.0.11");
	ck_assert_str_eq(g.name[2], "web-3");
	ck_assert_str_eq(g.name[3], "db-1");
	ck_assert_str_eq(g.name[4], "web-4");
	ck_assert_int_eq(g.id[4], ids[5]);

	log = fake_json("/_fake/log?operation=list_droplets");
	json_array_foreach(log, i, e) {
		ck_assert_int_eq(json_integer_value(json_object_get(e,
		    "status")), 200);
		nlist++;
	}
	ck_assert_uint_eq(nlist, 3);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
	    json_array_get(log, 0), "path")), "tag_name=shop"));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
	    json_array_get(log, 2), "path")), "page=3"));
	json_decref(log);

	/* No droplet with the tag: an empty list, not an error. */
	CALL(do_droplets_by_tag(dc, "none", list_cb, &g));
	ck_assert_int_eq(g.err, 0);
	ck_assert_uint_eq(g.nitems, 0);
}
END_TEST

START_TEST(fake_token_refused)
{
	json_t	*log;

	do_free(dc);
	dc = client(NULL, "dop_v1_wrong");
	CALL(do_droplets_by_tag(dc, "shop", list_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_int_eq(g.status, 401);
	ck_assert_str_eq(g.op, "ListDroplets");
	ck_assert_str_eq(g.code, "unauthorized");
	ck_assert_str_eq(g.text,
	    "ListDroplets: unauthorized: Unable to authenticate you.");
	/* Not retried. */
	log = fake_json("/_fake/log");
	ck_assert_uint_eq(json_array_size(log), 1);
	json_decref(log);
}
END_TEST

START_TEST(fake_get_droplet)
{
	int64_t	ids[2];

	seed("{\"droplets\": [{\"name\": \"web-1\", \"tags\": [\"shop\"]}]}",
	    ids);
	CALL(do_droplet_get(dc, ids[0], droplet_cb, &g));
	ck_assert_int_eq(g.err, 0);
	ck_assert_int_eq(g.id[0], ids[0]);
	ck_assert_str_eq(g.name[0], "web-1");
	ck_assert_str_eq(g.dstatus, "active");
	CALL(do_droplet_get(dc, ids[0] + 100, droplet_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_int_eq(g.status, 404);
	ck_assert_str_eq(g.code, "not_found");
	ck_assert_str_eq(g.text, "GetDroplet: not_found: The resource you were "
	    "accessing could not be found.");
}
END_TEST

START_TEST(fake_action_completed)
{
	int64_t	ids[2], aid;

	seed("{\"droplets\": [{\"name\": \"web-1\"}]}", ids);
	CALL(do_droplet_action(dc, ids[0], "shutdown", NULL, action_cb, &g));
	ck_assert_msg(g.err == 0, "%s", g.text);
	ck_assert_int_eq(g.st, DO_ACTION_IN_PROGRESS);
	ck_assert_str_eq(g.type, "shutdown");
	ck_assert_int_eq(g.id[0], ids[0]);
	ck_assert_int_eq(g.completed_at, 0);
	aid = g.aid;
	poll_action(aid);
	ck_assert_int_eq(g.st, DO_ACTION_COMPLETED);
	ck_assert_str_eq(g.astatus, "completed");
	ck_assert_int_eq(g.completed_at, 1);
	CALL(do_droplet_get(dc, ids[0], droplet_cb, &g));
	ck_assert_str_eq(g.dstatus, "off");

	/* A snapshot, named, of the droplet now off. */
	CALL(do_droplet_action(dc, ids[0], "snapshot", "web-1-final",
	    action_cb, &g));
	ck_assert_int_eq(g.err, 0);
	poll_action(g.aid);
	ck_assert_int_eq(g.st, DO_ACTION_COMPLETED);
	CALL(do_droplet_get(dc, ids[0], droplet_cb, &g));
	ck_assert_uint_eq(g.nsnap, 1);
	{
		json_t	*st = fake_json("/_fake/state");

		ck_assert_str_eq(json_string_value(json_object_get(
		    json_array_get(json_object_get(st, "snapshots"), 0),
		    "name")), "web-1-final");
		json_decref(st);
	}
}
END_TEST

START_TEST(fake_action_errored)
{
	int64_t	ids[2];

	seed("{\"droplets\": [{\"name\": \"web-1\"}]}", ids);
	faults("{\"action_error\": {\"type\": \"shutdown\"}}");
	CALL(do_droplet_action(dc, ids[0], "shutdown", NULL, action_cb, &g));
	ck_assert_int_eq(g.err, 0);
	poll_action(g.aid);
	ck_assert_int_eq(g.st, DO_ACTION_ERRORED);
	ck_assert_str_eq(g.astatus, "errored");
	CALL(do_droplet_get(dc, ids[0], droplet_cb, &g));
	ck_assert_str_eq(g.dstatus, "active");

	/* An action while another is pending: DigitalOcean's 422. */
	faults("{}");
	CALL(do_droplet_action(dc, ids[0], "power_off", NULL, action_cb, &g));
	ck_assert_int_eq(g.err, 0);
	CALL(do_droplet_action(dc, ids[0], "power_off", NULL, action_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_int_eq(g.status, 422);
	ck_assert_str_eq(g.code, "unprocessable_entity");
	ck_assert_str_eq(g.text, "DropletAction: unprocessable_entity: "
	    "Droplet already has a pending event.");
}
END_TEST

START_TEST(fake_delete_gone)
{
	int64_t	 ids[2];
	json_t	*st;
	char	 key[32];

	seed("{\"droplets\": [{\"name\": \"web-1\"}]}", ids);
	CALL(do_droplet_delete(dc, ids[0], flag_cb, &g));
	ck_assert_int_eq(g.err, 0);
	ck_assert_int_eq(g.flag, 0);
	CALL(do_droplet_delete(dc, ids[0], flag_cb, &g));
	ck_assert_int_eq(g.err, 0);
	ck_assert_int_eq(g.flag, 1);
	st = fake_json("/_fake/state");
	snprintf(key, sizeof(key), "%" PRId64, ids[0]);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    st, "delete_counts"), key)), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    st, "delete_requests"), key)), 2);
	json_decref(st);
}
END_TEST

START_TEST(fake_resources)
{
	static const enum do_resource kinds[] = { DO_RES_LOAD_BALANCER,
	    DO_RES_FIREWALL, DO_RES_RESERVED_IP };
	static const char *const ops[] = { "DeleteLoadBalancer",
	    "DeleteFirewall", "DeleteReservedIP" };
	const char	*id[3];
	char		*body = NULL;
	json_t		*j;
	int		 i;

	ck_assert_int_eq(fakedo_ctl("/_fake/resources", "{\"load_balancers\": "
	    "[{\"name\": \"lb\"}], \"firewalls\": [{\"name\": \"fw\"}], "
	    "\"reserved_ips\": [{\"ip\": \"203.0.113.7\"}]}", &body), 200);
	ck_assert_ptr_nonnull(j = json_loads(body, 0, NULL));
	free(body);
	id[0] = json_string_value(json_array_get(json_object_get(j,
	    "load_balancers"), 0));
	id[1] = json_string_value(json_array_get(json_object_get(j,
	    "firewalls"), 0));
	id[2] = "203.0.113.7";
	for (i = 0; i < 3; i++) {
		CALL(do_resource_exists(dc, kinds[i], id[i], flag_cb, &g));
		ck_assert_int_eq(g.err, 0);
		ck_assert_int_eq(g.flag, 1);
		CALL(do_resource_delete(dc, kinds[i], id[i], flag_cb, &g));
		ck_assert_int_eq(g.err, 0);
		ck_assert_int_eq(g.flag, 0);
		CALL(do_resource_exists(dc, kinds[i], id[i], flag_cb, &g));
		ck_assert_int_eq(g.err, 0);
		ck_assert_int_eq(g.flag, 0);
		CALL(do_resource_delete(dc, kinds[i], id[i], flag_cb, &g));
		ck_assert_int_eq(g.err, 0);
		ck_assert_int_eq(g.flag, 1);
	}
	/* An error other than 404 is an error, named. */
	faults("{\"error_rate\": 1, \"error_status\": 500}");
	CALL(do_resource_delete(dc, kinds[1], id[1], flag_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_str_eq(g.op, ops[1]);
	ck_assert_int_eq(g.status, 500);
	ck_assert_str_eq(g.code, "server_error");
	json_decref(j);
}
END_TEST

/* The budget spent: the 429 is retried only after the reset. */
START_TEST(fake_429_waits_for_reset)
{
	struct do_ratelimit	 rl;
	int64_t			 ids[2], reset_ms;
	json_t			*log, *st;

	seed("{\"droplets\": [{\"name\": \"web-1\"}]}", ids);
	faults("{\"ratelimit\": {\"limit\": 10, \"remaining\": 0, "
	    "\"reset_in_s\": 1}}");
	st = fake_json("/_fake/state");
	reset_ms = json_integer_value(json_object_get(json_object_get(
	    json_object_get(st, "ratelimit"), "do-t"), "reset")) * 1000;
	json_decref(st);
	CALL(do_droplet_get(dc, ids[0], droplet_cb, &g));
	ck_assert_msg(g.err == 0, "%s", g.text);
	ck_assert_int_ge(wall_ms(), reset_ms);
	log = fake_json("/_fake/log");
	ck_assert_uint_eq(json_array_size(log), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(log,
	    0), "status")), 429);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(log,
	    1), "status")), 200);
	ck_assert_int_ge(json_integer_value(json_object_get(json_array_get(log,
	    1), "time_ms")), reset_ms);
	json_decref(log);
	ck_assert_uint_eq(do_stats(dc)->throttles, 1);
	do_ratelimit_get(dc, &rl);
	ck_assert_int_eq(rl.limit, 10);
	ck_assert_int_eq(rl.remaining, 9);

	/* Never past the attempts: a budget that stays spent is an error. */
	faults("{\"ratelimit\": {\"limit\": 0, \"remaining\": 0, "
	    "\"reset_in_s\": 1, \"window_s\": 1}}");
	CALL(do_droplet_get(dc, ids[0], droplet_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_int_eq(g.status, 429);
	ck_assert_str_eq(g.text,
	    "GetDroplet: too_many_requests: API Rate limit exceeded.");
}
END_TEST

/* ratelimit-remaining 0: the next request waits, and never sees a 429. */
START_TEST(fake_remaining_zero_holds_next)
{
	int64_t	 ids[2], reset_ms;
	json_t	*log, *st, *e;
	size_t	 i;

	seed("{\"droplets\": [{\"name\": \"web-1\"}]}", ids);
	faults("{\"ratelimit\": {\"limit\": 10, \"remaining\": 1, "
	    "\"reset_in_s\": 1}}");
	st = fake_json("/_fake/state");
	reset_ms = json_integer_value(json_object_get(json_object_get(
	    json_object_get(st, "ratelimit"), "do-t"), "reset")) * 1000;
	json_decref(st);
	CALL(do_droplet_get(dc, ids[0], droplet_cb, &g));
	ck_assert_int_eq(g.err, 0);
	ck_assert_int_lt(wall_ms(), reset_ms);
	CALL(do_action_get(dc, 1, action_cb, &g));
	ck_assert_int_eq(g.status, 404);	/* it went out, after the reset */
	ck_assert_int_ge(wall_ms(), reset_ms);
	log = fake_json("/_fake/log");
	ck_assert_uint_eq(json_array_size(log), 2);
	json_array_foreach(log, i, e)
		ck_assert_int_ne(json_integer_value(json_object_get(e,
		    "status")), 429);
	ck_assert_int_ge(json_integer_value(json_object_get(json_array_get(log,
	    1), "time_ms")), reset_ms);
	json_decref(log);
	ck_assert_uint_eq(do_stats(dc)->throttles, 0);
}
END_TEST

START_TEST(fake_5xx_retried)
{
	int64_t	 ids[2];
	json_t	*log;

	seed("{\"droplets\": [{\"name\": \"web-1\"}]}", ids);
	faults("{\"error_rate\": 1, \"count\": 2, \"operations\": "
	    "[\"delete_droplet\"]}");
	CALL(do_droplet_delete(dc, ids[0], flag_cb, &g));
	ck_assert_int_eq(g.err, 0);
	ck_assert_int_eq(g.flag, 0);
	ck_assert_uint_eq(do_stats(dc)->retries, 2);
	log = fake_json("/_fake/log?operation=delete_droplet");
	ck_assert_uint_eq(json_array_size(log), 3);
	ck_assert_int_ge(json_integer_value(json_object_get(json_array_get(log,
	    0), "status")), 500);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(log,
	    2), "status")), 204);
	json_decref(log);

	/* Every attempt fails: the last error, named. */
	faults("{\"error_rate\": 1, \"error_status\": 503}");
	CALL(do_droplets_by_tag(dc, "shop", list_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_int_eq(g.status, 503);
	ck_assert_str_eq(g.code, "service_unavailable");
	ck_assert_ptr_nonnull(strstr(g.text,
	    "ListDroplets: service_unavailable: "));
	log = fake_json("/_fake/log?operation=list_droplets");
	ck_assert_uint_eq(json_array_size(log), 4);
	json_decref(log);
}
END_TEST

START_TEST(fake_garbage_is_error)
{
	int64_t	ids[8];

	seed("{\"droplets\": [{\"name\": \"a\", \"tags\": [\"shop\"]},"
	    "{\"name\": \"b\", \"tags\": [\"shop\"]},"
	    "{\"name\": \"c\", \"tags\": [\"shop\"]}]}", ids);
	faults("{\"garbage_rate\": 1, \"operations\": [\"list_droplets\"]}");
	CALL(do_droplets_by_tag(dc, "shop", list_cb, &g));
	ck_assert_int_eq(g.err, 1);
	ck_assert_str_eq(g.code, "UnexpectedAnswer");
	ck_assert_int_eq(g.status, 200);
	ck_assert_ptr_nonnull(strstr(g.text, "ListDroplets: UnexpectedAnswer: "
	    "the answer (HTTP 200) is not JSON"));

	faults("{\"unexpected_rate\": 1}");
	CALL(do_droplets_by_tag(dc, "shop", list_cb, &g));
	ck_assert_str_eq(g.text, "ListDroplets: UnexpectedAnswer: "
	    "no \"droplets\" array");
	CALL(do_droplet_get(dc, ids[0], droplet_cb, &g));
	ck_assert_str_eq(g.text, "GetDroplet: UnexpectedAnswer: "
	    "no \"droplet\" object");
	CALL(do_droplet_action(dc, ids[0], "shutdown", NULL, action_cb, &g));
	ck_assert_str_eq(g.text, "DropletAction: UnexpectedAnswer: "
	    "no \"action\" object");

	/* A later page that goes wrong fails the whole list. */
	{
		struct do_opts	o;

		memset(&o, 0, sizeof(o));
		o.per_page = 1;
		do_set_opts(dc, &o);
	}
	faults("{\"garbage_rate\": 1, \"operations\": [\"list_droplets\"], "
	    "\"count\": 1}");
	CALL(do_droplets_by_tag(dc, "shop", list_cb, &g));
	ck_assert_int_eq(g.err, 1);
	CALL(do_droplets_by_tag(dc, "shop", list_cb, &g));
	ck_assert_int_eq(g.err, 0);
	ck_assert_uint_eq(g.nitems, 3);
}
END_TEST

int
main(void)
{
	const TTest	*local[] = {
		parse_recorded, parse_wrong_shapes, token_file, new_refused,
		foreign_next_refused, connection_error_retried,
		cancel_and_free, free_inside_callback, NULL
	};
	const TTest	*fake[] = {
		fake_list_three_pages, fake_token_refused, fake_get_droplet,
		fake_action_completed, fake_action_errored, fake_delete_gone,
		fake_resources, fake_429_waits_for_reset,
		fake_remaining_zero_holds_next, fake_5xx_retried,
		fake_garbage_is_error, NULL
	};

	return suite_client_main("digitalocean", "DO_DEBUG", &fakedo_server,
	    setup, teardown, local, fake_setup, fake);
}
