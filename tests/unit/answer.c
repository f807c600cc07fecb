/*
 * answer: one canned HTTP peer and one loop runner for every unit suite;
 * see answer.h.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "answer.h"
#include "now.h"

static void
answer_copy_hdr(char *dst, size_t sz, struct evkeyvalq *hdrs,
    const char *name)
{
	const char	*v = evhttp_find_header(hdrs, name);

	snprintf(dst, sz, "%s", v != NULL ? v : "");
}

static void
answer_record(struct answer_seen *s, struct evhttp_request *req)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	struct evbuffer		*body;
	size_t			 len;

	s->method = evhttp_request_get_command(req);
	snprintf(s->uri, sizeof(s->uri), "%s", evhttp_request_get_uri(req));
	answer_copy_hdr(s->host, sizeof(s->host), in, "Host");
	answer_copy_hdr(s->auth, sizeof(s->auth), in, "Authorization");
	answer_copy_hdr(s->amzdate, sizeof(s->amzdate), in, "X-Amz-Date");
	answer_copy_hdr(s->ctype, sizeof(s->ctype), in, "Content-Type");
	answer_copy_hdr(s->target, sizeof(s->target), in, "X-Amz-Target");
	body = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(body);
	if (len >= sizeof(s->body))
		len = sizeof(s->body) - 1;
	evbuffer_copyout(body, s->body, len);
	s->body[len] = '\0';
}

static void
answer_cb(struct evhttp_request *req, void *arg)
{
	struct answer		*a = arg;
	struct evkeyvalq	*out;
	const struct answer_step *st;
	int			 k;

	if (a->handler != NULL) {
		a->handler(req, a->handler_arg);
		return;
	}
	k = a->n < a->nsteps ? a->n : a->nsteps - 1;
	st = &a->steps[k < 0 ? 0 : k];
	answer_record(&a->last, req);
	if (a->n < ANSWER_NSEEN)
		a->seen[a->n] = a->last;
	a->n++;
	if (a->observe != NULL)
		a->observe(&a->last, a->observe_arg);
	if (st->status == 0)
		return;		/* held: freed with the server */
	out = evhttp_request_get_output_headers(req);
	if (st->ctype != NULL || a->ctype != NULL)
		evhttp_add_header(out, "Content-Type",
		    st->ctype != NULL ? st->ctype : a->ctype);
	if (a->hname != NULL)
		evhttp_add_header(out, a->hname, a->hvalue);
	if (st->hname != NULL)
		evhttp_add_header(out, st->hname, st->hvalue);
	answer_reply(req, st->status, NULL, st->body, strlen(st->body));
}

struct answer *
answer_new(struct event_base *base, const char *ctype)
{
	struct answer			*a;
	struct evhttp_bound_socket	*bs;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof(sin);

	ck_assert_ptr_nonnull(a = calloc(1, sizeof(*a)));
	a->ctype = ctype;
	a->steps[0].status = 200;
	a->steps[0].body = "";
	a->nsteps = 1;
	ck_assert_ptr_nonnull(a->http = evhttp_new(base));
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(a->http, answer_cb, a);
	ck_assert_ptr_nonnull(bs = evhttp_bind_socket_with_handle(a->http,
	    "127.0.0.1", 0));
	ck_assert_int_eq(getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len), 0);
	a->port = ntohs(sin.sin_port);
	snprintf(a->url, sizeof(a->url), "http://127.0.0.1:%d", a->port);
	return a;
}

void
answer_free(struct answer *a)
{
	if (a == NULL)
		return;
	evhttp_free(a->http);
	free(a);
}

void
answer_play(struct answer *a, const struct answer_step *steps, int n)
{
	int	i;

	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, ANSWER_NSTEPS);
	for (i = 0; i < n; i++)
		a->steps[i] = steps[i];
	a->nsteps = n;
}

void
answer_say(struct answer *a, const char *first, ...)
{
	struct answer_step	 steps[ANSWER_NSTEPS];
	va_list			 ap;
	const char		*s;
	int			 n = 0;

	memset(steps, 0, sizeof(steps));
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		ck_assert_int_lt(n, ANSWER_NSTEPS);
		steps[n].status = 200;
		steps[n++].body = s;
	}
	va_end(ap);
	answer_play(a, steps, n);
}

void
answer_forget(struct answer *a)
{
	a->n = 0;
	memset(a->seen, 0, sizeof(a->seen));
	memset(&a->last, 0, sizeof(a->last));
}

void
answer_header(struct answer *a, const char *name, const char *value)
{
	a->hname = name;
	a->hvalue = value;
}

void
answer_observe(struct answer *a,
    void (*fn)(const struct answer_seen *, void *), void *arg)
{
	a->observe = fn;
	a->observe_arg = arg;
}

void
answer_handle(struct answer *a, void (*fn)(struct evhttp_request *, void *),
    void *arg)
{
	a->handler = fn;
	a->handler_arg = arg;
}

void
answer_reply(struct evhttp_request *req, int status, const char *ctype,
    const char *body, size_t len)
{
	struct evbuffer	*out;

	ck_assert_ptr_nonnull(out = evbuffer_new());
	if (ctype != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", ctype);
	evbuffer_add(out, body, len);
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Status", out);
	evbuffer_free(out);
}

static void
answer_tick_cb(evutil_socket_t fd, short what, void *arg)
{
}

int
answer_run_until(struct event_base *base, const int *n, int want, int64_t ms)
{
	struct event	*tick;
	struct timeval	 tv = { 0, 10000 };
	int64_t		 end = (now_mono_us() / 1000) + ms;

	ck_assert_ptr_nonnull(tick = event_new(base, -1, EV_PERSIST,
	    answer_tick_cb, NULL));
	event_add(tick, &tv);
	while ((n == NULL || *n < want) && (now_mono_us() / 1000) < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
	return n != NULL && *n >= want;
}
