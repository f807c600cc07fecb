/*
 * check_http: lib/http.c over real loopback HTTP. Each test owns an event
 * base that carries both the client and its servers: an evhttp server the
 * handlers of which echo, delay, return big bodies or a given status; a
 * raw TCP server that answers with canned bytes (or closes at once) for
 * what evhttp will not do; and, for TLS, an `openssl s_server` child with
 * a throwaway CA made in a temporary directory.
 */
#include <sys/queue.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "answer.h"
#include "http.h"
#include "now.h"
#include "suite.h"

#define BIG_MAX		(2 * 1024 * 1024)

struct result {
	int		 ncalls;
	int		 status;
	int		 error;
	char		 message[CURL_ERROR_SIZE + 64];
	char		*body;
	size_t		 bodylen;
	char		 token[64];
	char		 ctype[64];
	int		 has_token;
	int		 has_interim;
	char		 xfinal[16];
	int64_t		 elapsed_us;
	int		 id;		/* many_in_flight: expected body */

	/* What the callback does once it has looked. */
	struct http_req	*self;
	struct http_req	*cancel[2];
	int		 free_http;
	int		 chain;		/* start this many more requests */
};

struct delay {
	TAILQ_ENTRY(delay)	 entry;
	struct event		*ev;
	struct evhttp_request	*req;
	int			 status;
	char			*body;
};
TAILQ_HEAD(delays, delay);

/* What the server saw last: checked by the tests, not echoed. */
struct seen {
	int	 n;
	char	 method[16];
	char	*body;
	size_t	 bodylen;
	char	 xtest[64];
	char	 ctype[64];
	char	 auth[128];
	int	 expect;
};

struct raw_conn {
	LIST_ENTRY(raw_conn)	 entry;
	int			 fd;
	struct event		*ev;
	char			 buf[8192];
	size_t			 len;
};

static struct event_base	*base;
static struct http		*h;
static struct answer		*srv;
static int			 port;
static struct delays		 delays;
static struct seen		 seen;
static int			 ncompleted;

static int			 raw_fd = -1;
static int			 raw_port;
static struct event		*raw_ev;
static const char		*raw_reply;	/* NULL: close at once */
static LIST_HEAD(, raw_conn)	 raw_conns;

static char			 tls_dir[64];
static pid_t			 tls_pid = -1;
static int			 tls_port;
static pid_t			 main_pid;

static const char *
method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:	return "GET";
	case EVHTTP_REQ_POST:	return "POST";
	case EVHTTP_REQ_HEAD:	return "HEAD";
	case EVHTTP_REQ_PUT:	return "PUT";
	case EVHTTP_REQ_DELETE:	return "DELETE";
	case EVHTTP_REQ_PATCH:	return "PATCH";
	default:		return "?";
	}
}

static const char *
query_get(struct evhttp_request *req, struct evkeyvalq *q, const char *name)
{
	const char	*query;

	query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	TAILQ_INIT(q);
	if (query == NULL || evhttp_parse_query_str(query, q) == -1)
		return NULL;
	return evhttp_find_header(q, name);
}

static int
query_int(struct evhttp_request *req, const char *name, int dflt)
{
	struct evkeyvalq	 q;
	const char		*v;
	int			 n = dflt;

	if ((v = query_get(req, &q, name)) != NULL)
		n = atoi(v);
	evhttp_clear_headers(&q);
	return n;
}

static void
record(struct evhttp_request *req, struct evbuffer *in)
{
	struct evkeyvalq	*hdrs = evhttp_request_get_input_headers(req);
	const char		*v;

	seen.n++;
	snprintf(seen.method, sizeof(seen.method), "%s",
	    method_name(evhttp_request_get_command(req)));
	free(seen.body);
	seen.bodylen = evbuffer_get_length(in);
	seen.body = malloc(seen.bodylen + 1);
	evbuffer_copyout(in, seen.body, seen.bodylen);
	seen.body[seen.bodylen] = '\0';
	v = evhttp_find_header(hdrs, "X-Test");
	snprintf(seen.xtest, sizeof(seen.xtest), "%s", v ? v : "");
	v = evhttp_find_header(hdrs, "Content-Type");
	snprintf(seen.ctype, sizeof(seen.ctype), "%s", v ? v : "");
	v = evhttp_find_header(hdrs, "Authorization");
	snprintf(seen.auth, sizeof(seen.auth), "%s", v ? v : "");
	seen.expect = evhttp_find_header(hdrs, "Expect") != NULL;
}

/* /echo: the request as JSON, and two headers to look up. */
static void
srv_echo(struct evhttp_request *req)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq	*hdrs = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	json_t			*o, *jh;
	char			*s;

	record(req, in);
	o = json_object();
	jh = json_object();
	json_object_set_new(o, "method", json_string(seen.method));
	json_object_set_new(o, "uri", json_string(evhttp_request_get_uri(req)));
	TAILQ_FOREACH(kv, hdrs, next)
		json_object_set_new(jh, kv->key, json_string(kv->value));
	json_object_set_new(o, "headers", jh);
	json_object_set_new(o, "body", json_stringn(seen.body, seen.bodylen));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "X-Reply-Token", "abc123");
	answer_reply(req, 200, NULL, s, strlen(s));
	free(s);
}

static void
delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct delay	*d = arg;

	TAILQ_REMOVE(&delays, d, entry);
	answer_reply(d->req, d->status, NULL, d->body, strlen(d->body));
	event_free(d->ev);
	free(d->body);
	free(d);
}

/* /delay?ms=N&body=S: answer S after N ms. */
static void
srv_delay(struct evhttp_request *req)
{
	struct delay		*d;
	struct evkeyvalq	 q;
	struct timeval		 tv;
	const char		*b;
	int			 ms;

	ms = query_int(req, "ms", 0);
	d = calloc(1, sizeof(*d));
	d->req = req;
	d->status = 200;
	b = query_get(req, &q, "body");
	d->body = strdup(b ? b : "late");
	evhttp_clear_headers(&q);
	d->ev = evtimer_new(base, delay_cb, d);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(d->ev, &tv);
	TAILQ_INSERT_TAIL(&delays, d, entry);
}

/* /big?n=N[&chunked=1]: N bytes of a pattern. */
static void
srv_big(struct evhttp_request *req)
{
	struct evbuffer	*out;
	char		*b;
	int		 i, n;

	n = query_int(req, "n", 0);
	if (n < 0 || n > BIG_MAX)
		n = 0;
	b = malloc(n + 1);
	for (i = 0; i < n; i++)
		b[i] = 'a' + i % 26;
	if (query_int(req, "chunked", 0)) {
		evhttp_send_reply_start(req, 200, "OK");
		for (i = 0; i < n; i += 4096) {
			out = evbuffer_new();
			evbuffer_add(out, b + i, n - i < 4096 ? n - i : 4096);
			evhttp_send_reply_chunk(req, out);
			evbuffer_free(out);
		}
		evhttp_send_reply_end(req);
	} else
		answer_reply(req, 200, NULL, b, n);
	free(b);
}

static void
srv_cb(struct evhttp_request *req, void *arg)
{
	const char	*path;

	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL)
		path = "";
	if (strcmp(path, "/echo") == 0)
		srv_echo(req);
	else if (strcmp(path, "/delay") == 0)
		srv_delay(req);
	else if (strcmp(path, "/big") == 0)
		srv_big(req);
	else if (strcmp(path, "/status") == 0)
		answer_reply(req, query_int(req, "code", 500), NULL,
		    "unavailable", 11);
	else
		answer_reply(req, 404, NULL, "no such path", 12);
}

static void
raw_conn_free(struct raw_conn *c)
{
	LIST_REMOVE(c, entry);
	event_free(c->ev);
	close(c->fd);
	free(c);
}

/* Read the request head, then answer raw_reply (or nothing) and close. */
static void
raw_conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raw_conn	*c = arg;
	ssize_t		 n;

	n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n <= 0) {
		raw_conn_free(c);
		return;
	}
	c->len += n;
	c->buf[c->len] = '\0';
	if (strstr(c->buf, "\r\n\r\n") == NULL)
		return;
	if (raw_reply != NULL &&
	    write(fd, raw_reply, strlen(raw_reply)) == -1)
		perror("raw write");
	raw_conn_free(c);
}

static void
raw_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct raw_conn	*c;
	int		 s;

	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) == -1)
		return;
	c = calloc(1, sizeof(*c));
	c->fd = s;
	c->ev = event_new(base, s, EV_READ | EV_PERSIST, raw_conn_cb, c);
	event_add(c->ev, NULL);
	LIST_INSERT_HEAD(&raw_conns, c, entry);
}

static int
local_port(int fd)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* A bound, not listening, socket: its port refuses connections. */
static int
bind_local(int *portp)
{
	struct sockaddr_in	sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*portp = local_port(fd);
	return fd;
}

static void
setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	TAILQ_INIT(&delays);
	LIST_INIT(&raw_conns);
	memset(&seen, 0, sizeof(seen));
	ncompleted = 0;

	srv = answer_new(base, NULL);
	answer_handle(srv, srv_cb, NULL);
	port = srv->port;

	raw_fd = bind_local(&raw_port);
	ck_assert_int_eq(listen(raw_fd, 16), 0);
	raw_ev = event_new(base, raw_fd, EV_READ | EV_PERSIST, raw_accept_cb,
	    NULL);
	event_add(raw_ev, NULL);
	raw_reply = NULL;

	h = http_new(base);
	ck_assert_ptr_nonnull(h);
}

static void
teardown(void)
{
	struct delay	*d;

	http_free(h);
	h = NULL;
	/* Answering frees a request whose client went away (evhttp has
	 * detached it); answer_free() frees the others. */
	while ((d = TAILQ_FIRST(&delays)) != NULL) {
		TAILQ_REMOVE(&delays, d, entry);
		event_free(d->ev);
		answer_reply(d->req, 503, NULL, "bye", 3);
		free(d->body);
		free(d);
	}
	answer_free(srv);
	while (!LIST_EMPTY(&raw_conns))
		raw_conn_free(LIST_FIRST(&raw_conns));
	event_free(raw_ev);
	close(raw_fd);
	event_base_free(base);
	free(seen.body);
	seen.body = NULL;
}

static void start_url(const char *, struct result *);

static void
done_cb(void *arg, const struct http_response *resp)
{
	struct result	*r = arg;
	const char	*v;
	int		 i;

	r->ncalls++;
	ncompleted++;
	r->status = resp->status;
	r->error = resp->error;
	snprintf(r->message, sizeof(r->message), "%s",
	    resp->message ? resp->message : "");
	ck_assert_ptr_nonnull(resp->body);
	ck_assert_int_eq(resp->body[resp->bodylen], '\0');
	free(r->body);
	r->body = malloc(resp->bodylen + 1);
	memcpy(r->body, resp->body, resp->bodylen + 1);
	r->bodylen = resp->bodylen;
	if ((v = http_header(resp, "x-reply-token")) != NULL) {
		r->has_token = 1;
		snprintf(r->token, sizeof(r->token), "%s", v);
	}
	if ((v = http_header(resp, "CONTENT-TYPE")) != NULL)
		snprintf(r->ctype, sizeof(r->ctype), "%s", v);
	if ((v = http_header(resp, "X-Final")) != NULL)
		snprintf(r->xfinal, sizeof(r->xfinal), "%s", v);
	r->has_interim = http_header(resp, "X-Interim") != NULL;
	r->elapsed_us = resp->elapsed_us;

	for (i = 0; i < 2; i++)
		if (r->cancel[i] != NULL)
			http_cancel(r->cancel[i]);
	if (r->self != NULL)
		http_cancel(r->self);
	if (r->chain > 0) {
		r->chain--;
		start_url("/echo?chain=1", r);
	}
	if (r->free_http) {
		http_free(h);
		h = NULL;
	}
}

static struct http_req *
start(const struct http_request *rq, struct result *r)
{
	struct http_req	*req;

	req = http_start(h, rq, done_cb, r);
	ck_assert_ptr_nonnull(req);
	return req;
}

static char *
url(const char *path)
{
	static char	buf[256];

	snprintf(buf, sizeof(buf), "http://127.0.0.1:%d%s", port, path);
	return buf;
}

static void
start_url(const char *path, struct result *r)
{
	struct http_request	rq = { .method = "GET", .url = url(path) };

	start(&rq, r);
}

/* Run the loop until *count reaches want or ms pass; 1 if it did. */
static int
run_until(int *count, int want, int ms)
{
	return answer_run_until(base, count, want, ms);
}

static void
run_for(int ms)
{
	int	never = 0;

	run_until(&never, 1, ms);
}

static void
result_clear(struct result *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

START_TEST(get_ok)
{
	struct result	r = { 0 };
	json_t		*o;

	start_url("/echo?x=1", &r);
	ck_assert_uint_eq(http_pending(h), 1);
	ck_assert(run_until(&r.ncalls, 1, 5000));
	ck_assert_uint_eq(http_pending(h), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.error, 0);
	ck_assert_str_eq(r.token, "abc123");
	ck_assert_str_eq(r.ctype, "application/json");
	ck_assert_int_eq(r.has_interim, 0);
	ck_assert(r.elapsed_us > 0);
	o = json_loads(r.body, 0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "method")),
	    "GET");
	ck_assert_str_eq(json_string_value(json_object_get(o, "uri")),
	    "/echo?x=1");
	json_decref(o);
	ck_assert_int_eq(seen.n, 1);
	ck_assert_str_eq(seen.method, "GET");
	ck_assert_uint_eq(seen.bodylen, 0);
	result_clear(&r);
}
END_TEST

/*
 * A POST's body (binary, 1.5 MiB: over curl's Expect threshold) and its
 * headers arrive intact, though the caller's copies are gone before the
 * loop runs.
 */
START_TEST(post_body_and_headers)
{
	struct http_request	 rq = { 0 };
	struct result		 r = { 0 };
	char			*u, *b, *hv[4], *expect;
	size_t			 i, len = 1536 * 1024;

	u = strdup(url("/echo"));
	b = malloc(len);
	expect = malloc(len);
	for (i = 0; i < len; i++)
		b[i] = expect[i] = (char)(i * 7 % 251);
	hv[0] = strdup("X-Test: hello there");
	hv[1] = strdup("Content-Type: application/x-amz-json-1.1");
	hv[2] = strdup("Authorization: AWS4-HMAC-SHA256 Signature=00ff");
	hv[3] = NULL;
	rq.method = strdup("POST");
	rq.url = u;
	rq.headers = (const char *const *)hv;
	rq.body = b;
	rq.bodylen = len;
	start(&rq, &r);
	free(u);
	free(b);
	free((char *)rq.method);
	for (i = 0; i < 3; i++)
		free(hv[i]);

	ck_assert(run_until(&r.ncalls, 1, 5000));
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(seen.n, 1);
	ck_assert_str_eq(seen.method, "POST");
	ck_assert_uint_eq(seen.bodylen, len);
	ck_assert(memcmp(seen.body, expect, len) == 0);
	ck_assert_str_eq(seen.xtest, "hello there");
	ck_assert_str_eq(seen.ctype, "application/x-amz-json-1.1");
	ck_assert_str_eq(seen.auth, "AWS4-HMAC-SHA256 Signature=00ff");
	ck_assert_int_eq(seen.expect, 0);
	free(expect);
	result_clear(&r);
}
END_TEST

START_TEST(other_methods)
{
	const char *const	 methods[] = { "PUT", "DELETE", "PATCH" };
	struct http_request	 rq = { .url = url("/echo") };
	struct result		 r = { 0 };
	json_t			*o;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		rq.method = methods[i];
		rq.body = i == 1 ? NULL : "payload";
		rq.bodylen = i == 1 ? 0 : 7;
		start(&rq, &r);
		ck_assert(run_until(&r.ncalls, 1, 5000));
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq(seen.method, methods[i]);
		ck_assert_str_eq(seen.body, i == 1 ? "" : "payload");
		o = json_loads(r.body, 0, NULL);
		ck_assert_str_eq(json_string_value(json_object_get(o,
		    "method")), methods[i]);
		json_decref(o);
		result_clear(&r);
	}

	/* HEAD: curl must not wait for the body a HEAD never gets. */
	rq.method = "HEAD";
	rq.body = NULL;
	rq.bodylen = 0;
	start(&rq, &r);
	ck_assert(run_until(&r.ncalls, 1, 5000));
	ck_assert_int_eq(r.error, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.bodylen, 0);
	ck_assert_str_eq(seen.method, "HEAD");
	ck_assert(r.elapsed_us < 2000000);
	result_clear(&r);
}
END_TEST

/* Out of order, by the server's delays: each answer finds its caller. */
START_TEST(many_in_flight)
{
	struct result	 r[100];
	char		 path[64], want[32];
	int		 i;

	memset(r, 0, sizeof(r));
	for (i = 0; i < 100; i++) {
		r[i].id = i;
		snprintf(path, sizeof(path), "/delay?ms=%d&body=req-%d",
		    (i * 37) % 100, i);
		start_url(path, &r[i]);
	}
	ck_assert_uint_eq(http_pending(h), 100);
	ck_assert(run_until(&ncompleted, 100, 8000));
	ck_assert_uint_eq(http_pending(h), 0);
	for (i = 0; i < 100; i++) {
		snprintf(want, sizeof(want), "req-%d", r[i].id);
		ck_assert_int_eq(r[i].ncalls, 1);
		ck_assert_int_eq(r[i].status, 200);
		ck_assert_str_eq(r[i].body, want);
		result_clear(&r[i]);
	}
}
END_TEST

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(*(int *)arg)++;
}

START_TEST(loop_not_blocked)
{
	struct result	 r = { 0 };
	struct timeval	 tv = { 0, 10000 };
	struct event	*tick;
	int		 ticks = 0;

	tick = event_new(base, -1, EV_PERSIST, tick_cb, &ticks);
	event_add(tick, &tv);
	start_url("/delay?ms=1000&body=slow", &r);
	ck_assert(run_until(&r.ncalls, 1, 5000));
	event_free(tick);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "slow");
	ck_assert(r.elapsed_us >= 900000);
	/* 100 ticks if never held up; a blocked loop would give ~1. */
	ck_assert_int_ge(ticks, 50);
	result_clear(&r);
}
END_TEST

START_TEST(total_timeout)
{
	struct http_request	 rq = { .method = "GET" };
	struct result		 slow = { 0 }, fast = { 0 };
	int64_t			 t0, ms;

	rq.url = url("/delay?ms=2000&body=never");
	rq.timeout_ms = 200;
	t0 = now_mono_us();
	start(&rq, &slow);
	start_url("/delay?ms=50&body=quick", &fast);
	ck_assert(run_until(&slow.ncalls, 1, 3000));
	ms = (now_mono_us() - t0) / 1000;
	ck_assert_int_eq(slow.error, CURLE_OPERATION_TIMEDOUT);
	ck_assert_int_eq(slow.status, 0);
	ck_assert_str_ne(slow.message, "");
	ck_assert_int_ge(ms, 180);
	ck_assert_int_lt(ms, 1000);
	ck_assert_int_eq(fast.ncalls, 1);
	ck_assert_int_eq(fast.status, 200);
	ck_assert_str_eq(fast.body, "quick");
	result_clear(&slow);
	result_clear(&fast);
}
END_TEST

START_TEST(connect_refused)
{
	struct http_request	 rq = { .method = "GET" };
	struct result		 r = { 0 };
	char			 u[64];
	int			 fd, closed;

	fd = bind_local(&closed);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", closed);
	rq.url = u;
	start(&rq, &r);
	ck_assert(run_until(&r.ncalls, 1, 5000));
	close(fd);
	ck_assert_int_eq(r.error, CURLE_COULDNT_CONNECT);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_ne(r.message, "");
	result_clear(&r);
}
END_TEST

START_TEST(body_cap)
{
	struct http_request	 rq = { .method = "GET", .max_body = 1000 };
	struct result		 r = { 0 };
	int			 chunked;

	for (chunked = 0; chunked < 2; chunked++) {
		rq.url = url(chunked ? "/big?n=100000&chunked=1" :
		    "/big?n=100000");
		start(&rq, &r);
		ck_assert(run_until(&r.ncalls, 1, 5000));
		ck_assert_int_ne(r.error, 0);
		ck_assert_int_eq(r.status, 0);
		ck_assert_uint_eq(r.bodylen, 0);
		ck_assert_msg(strstr(r.message, "1000") != NULL &&
		    strstr(r.message, "cap") != NULL, "message: %s", r.message);
		result_clear(&r);

		/* Exactly the cap is allowed. */
		rq.url = url(chunked ? "/big?n=1000&chunked=1" : "/big?n=1000");
		start(&rq, &r);
		ck_assert(run_until(&r.ncalls, 1, 5000));
		ck_assert_int_eq(r.error, 0);
		ck_assert_int_eq(r.status, 200);
		ck_assert_uint_eq(r.bodylen, 1000);
		ck_assert_int_eq(r.body[999], 'a' + 999 % 26);
		result_clear(&r);
	}

	/* The default cap holds a 2 MiB body. */
	start_url("/big?n=2097152&chunked=1", &r);
	ck_assert(run_until(&r.ncalls, 1, 5000));
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.bodylen, 2097152);
	result_clear(&r);
}
END_TEST

START_TEST(status_503)
{
	struct result	r = { 0 };

	start_url("/status?code=503", &r);
	ck_assert(run_until(&r.ncalls, 1, 5000));
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_eq(r.error, 0);
	ck_assert_str_eq(r.body, "unavailable");
	result_clear(&r);
}
END_TEST

START_TEST(cancel_before_completion)
{
	struct http_request	 rq = { .method = "GET" };
	struct http_req		*a, *b;
	struct result		 ra = { 0 }, rb = { 0 }, rc = { 0 };

	/* Cancelled before the loop ever ran it. */
	rq.url = url("/delay?ms=100");
	a = start(&rq, &ra);
	http_cancel(a);
	ck_assert_uint_eq(http_pending(h), 0);

	/* Cancelled with its connection open and the answer on its way. */
	b = start(&rq, &rb);
	run_for(50);
	ck_assert_int_eq(TAILQ_EMPTY(&delays), 0);	/* the server has it */
	http_cancel(b);

	rq.url = url("/delay?ms=300");
	start(&rq, &rc);
	ck_assert(run_until(&rc.ncalls, 1, 5000));
	run_for(100);
	ck_assert_int_eq(ra.ncalls, 0);
	ck_assert_int_eq(rb.ncalls, 0);
	ck_assert_int_eq(rc.status, 200);
	ck_assert_uint_eq(http_pending(h), 0);
	result_clear(&rc);
}
END_TEST

/*
 * Pairs finishing together: whichever callback runs first cancels its
 * partner (running, or finished and awaiting delivery) and itself; a slow
 * request is cancelled from another's callback too.
 */
START_TEST(cancel_inside_callback)
{
	struct http_request	 rq = { .method = "GET" };
	struct result		 r[2][20], slow = { 0 };
	struct http_req		*q[2][20], *qs;
	int			 i;

	memset(r, 0, sizeof(r));
	rq.url = url("/delay?ms=500");
	qs = start(&rq, &slow);
	rq.url = url("/echo");
	for (i = 0; i < 20; i++) {
		q[0][i] = start(&rq, &r[0][i]);
		q[1][i] = start(&rq, &r[1][i]);
	}
	for (i = 0; i < 20; i++) {
		r[0][i].self = q[0][i];
		r[0][i].cancel[0] = q[1][i];
		r[1][i].self = q[1][i];
		r[1][i].cancel[0] = q[0][i];
	}
	r[0][0].cancel[1] = qs;
	r[1][0].cancel[1] = qs;

	ck_assert(run_until(&ncompleted, 20, 5000));
	run_for(700);
	ck_assert_int_eq(ncompleted, 20);
	ck_assert_int_eq(slow.ncalls, 0);
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(r[0][i].ncalls + r[1][i].ncalls, 1);
		ck_assert_int_eq(r[0][i].status + r[1][i].status, 200);
		result_clear(&r[0][i]);
		result_clear(&r[1][i]);
	}
	ck_assert_uint_eq(http_pending(h), 0);
}
END_TEST

START_TEST(free_inside_callback)
{
	struct result	r[6];
	int		i;

	memset(r, 0, sizeof(r));
	for (i = 0; i < 4; i++)
		start_url("/echo", &r[i]);
	start_url("/delay?ms=200", &r[4]);
	start_url("/delay?ms=300", &r[5]);
	for (i = 0; i < 6; i++)
		r[i].free_http = 1;
	ck_assert(run_until(&ncompleted, 1, 5000));
	ck_assert_ptr_null(h);
	run_for(500);
	ck_assert_int_eq(ncompleted, 1);
	for (i = 0; i < 6; i++)
		result_clear(&r[i]);
}
END_TEST

START_TEST(start_inside_callback)
{
	struct result	r = { 0 };

	r.chain = 5;
	start_url("/echo", &r);
	ck_assert(run_until(&r.ncalls, 6, 5000));
	ck_assert_int_eq(seen.n, 6);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(http_pending(h), 0);
	result_clear(&r);
}
END_TEST

static void
raw_get(const char *canned, struct result *r)
{
	struct http_request	rq = { .method = "GET" };
	char			u[64];

	raw_reply = canned;
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/raw", raw_port);
	rq.url = u;
	start(&rq, r);
	ck_assert(run_until(&r->ncalls, 1, 5000));
}

START_TEST(closed_without_reply)
{
	struct result	r = { 0 };

	raw_get(NULL, &r);
	ck_assert_int_eq(r.error, CURLE_GOT_NOTHING);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_ne(r.message, "");
	result_clear(&r);

	raw_get("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", &r);
	ck_assert_int_eq(r.error, CURLE_PARTIAL_FILE);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.bodylen, 0);
	result_clear(&r);
}
END_TEST

/* Only the final response's headers are kept. */
START_TEST(interim_response_headers)
{
	struct result	r = { 0 };

	raw_get("HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nX-Final: 2\r\nContent-Length: 2\r\n"
	    "Connection: close\r\n\r\nok", &r);
	ck_assert_int_eq(r.error, 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "ok");
	ck_assert_str_eq(r.xfinal, "2");
	ck_assert_int_eq(r.has_interim, 0);
	result_clear(&r);
}
END_TEST

START_TEST(refused_at_start)
{
	struct http_request	rq = { .method = "GET" };
	const char *const	bad_header[] = { "X-A: 1\r\nX-B: 2", NULL };
	const char *const	no_colon[] = { "X-A 1", NULL };
	struct result		r = { 0 };

	rq.url = "ftp://127.0.0.1/x";
	ck_assert_ptr_null(http_start(h, &rq, done_cb, &r));
	rq.url = "not a url";
	ck_assert_ptr_null(http_start(h, &rq, done_cb, &r));
	rq.url = url("/echo");
	rq.method = "GE T";
	ck_assert_ptr_null(http_start(h, &rq, done_cb, &r));
	rq.method = "GET";
	rq.headers = bad_header;
	ck_assert_ptr_null(http_start(h, &rq, done_cb, &r));
	rq.headers = no_colon;
	ck_assert_ptr_null(http_start(h, &rq, done_cb, &r));
	ck_assert_uint_eq(http_pending(h), 0);
	run_for(50);
	ck_assert_int_eq(r.ncalls, 0);
	ck_assert_int_eq(seen.n, 0);
}
END_TEST

/* TLS: an openssl s_server with a certificate from a throwaway CA. */

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char	cmd[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
tls_stop(void)
{
	/* Test bodies run in forked children: only the suite stops it. */
	if (getpid() != main_pid)
		return;
	if (tls_pid > 0) {
		kill(tls_pid, SIGTERM);
		waitpid(tls_pid, NULL, 0);
		tls_pid = -1;
	}
	if (tls_dir[0] != '\0') {
		sh("rm -rf '%s'", tls_dir);
		tls_dir[0] = '\0';
	}
}

static int
tls_connects(void)
{
	struct sockaddr_in	sin;
	int			fd, ok;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(tls_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

static void
tls_setup(void)
{
	char		 cert[128], key[128], accept[64];
	struct timespec	 ts = { 0, 20000000 };
	int		 fd, i, devnull;

	snprintf(tls_dir, sizeof(tls_dir), "/tmp/check_http.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tls_dir));
	ck_assert_int_eq(sh("cd '%s' && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
	    " -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=check-ca"
	    " -addext basicConstraints=critical,CA:TRUE"
	    " -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null && "
	    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
	    " -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1"
	    " 2>/dev/null && "
	    "printf 'subjectAltName=IP:127.0.0.1\\n"
	    "extendedKeyUsage=serverAuth\\n' > ext && "
	    "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key"
	    " -CAcreateserial -out srv.pem -days 2 -extfile ext 2>/dev/null",
	    tls_dir), 0);

	/* A port nobody holds now; s_server binds it a moment later. */
	fd = bind_local(&tls_port);
	close(fd);
	snprintf(cert, sizeof(cert), "%s/srv.pem", tls_dir);
	snprintf(key, sizeof(key), "%s/srv.key", tls_dir);
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", tls_port);
	tls_pid = fork();
	ck_assert_int_ge(tls_pid, 0);
	if (tls_pid == 0) {
		/* Dies with the suite, however the suite ends. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("openssl", "openssl", "s_server", "-accept", accept,
		    "-www", "-cert", cert, "-key", key, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 250 && !tls_connects(); i++)
		nanosleep(&ts, NULL);
	ck_assert_msg(i < 250, "openssl s_server did not start");
}

static void
tls_teardown(void)
{
	tls_stop();
}

static void
tls_get(const char *ca_file, struct result *r)
{
	struct http_request	rq = { .method = "GET" };
	char			u[64];

	snprintf(u, sizeof(u), "https://127.0.0.1:%d/", tls_port);
	rq.url = u;
	rq.ca_file = ca_file;
	start(&rq, r);
	ck_assert(run_until(&r->ncalls, 1, 8000));
}

START_TEST(tls_verified)
{
	struct result	r = { 0 };
	char		ca[128];

	snprintf(ca, sizeof(ca), "%s/ca.pem", tls_dir);
	tls_get(ca, &r);
	ck_assert_msg(r.error == 0, "error %d: %s", r.error, r.message);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "s_server"));
	result_clear(&r);
}
END_TEST

START_TEST(tls_untrusted)
{
	struct result	r = { 0 };

	tls_get(NULL, &r);
	ck_assert_msg(r.error == CURLE_PEER_FAILED_VERIFICATION ||
	    r.error == CURLE_SSL_CACERT, "error %d: %s", r.error, r.message);
	ck_assert_int_eq(r.status, 0);
	result_clear(&r);
}
END_TEST

int
main(void)
{
	const TTest		*loopback[] = {
		get_ok, post_body_and_headers, other_methods, many_in_flight,
		loop_not_blocked, total_timeout, connect_refused, body_cap,
		status_503, cancel_before_completion, cancel_inside_callback,
		free_inside_callback, start_inside_callback,
		closed_without_reply, interim_response_headers,
		refused_at_start, NULL
	};
	const TTest		*tls[] = {
		tls_verified, tls_untrusted, NULL
	};
	const struct suite_case	 cases[] = {
		{ "loopback", NULL, NULL, setup, teardown, 30, loopback },
		{ "tls", tls_setup, tls_teardown, setup, teardown, 30, tls },
	};
	int		 status;

	/* A server answering a client that has gone must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	main_pid = getpid();
	atexit(tls_stop);
	status = suite_run(suite_of("http", cases, 2));
	curl_global_cleanup();
	return status;
}
