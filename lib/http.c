/*
 * http: HTTP(S) requests on the event loop through libcurl's multi socket
 * interface. One CURLM per struct http; curl tells us, through its socket
 * callback, which sockets to watch and for what (one persistent libevent
 * event per socket), and through its timer callback when to call it back
 * (one evtimer). Each event hands the socket to curl_multi_socket_action;
 * after each action the finished transfers are moved to a done list, and
 * one event_active'd event delivers them. So user callbacks run only from
 * that event, never inside a curl call: http_cancel and http_free are then
 * free to remove and clean up easy handles, and the one request whose
 * callback is running is freed by the deliverer when the callback returns.
 * Each request copies what it was given, has its own connect and total
 * timeouts and a response-body cap; TLS peers are always verified and
 * redirects are never followed.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http.h"
#include "log.h"
#include "now.h"
#include "xmalloc.h"

#define HTTP_TIMEOUT		30000		/* ms */
#define HTTP_CONNECT_TIMEOUT	5000		/* ms */
#define HTTP_MAX_BODY		(16 * 1024 * 1024)
#define HTTP_BODY_MIN		1024		/* first allocation */

enum http_req_state {
	HTTP_RUNNING,		/* added to the multi handle */
	HTTP_DONE,		/* finished, on the done list */
	HTTP_DELIVERING,	/* its callback is running */
};

struct http_req {
	TAILQ_ENTRY(http_req)	 entry;
	struct http		*h;
	enum http_req_state	 state;
	CURL			*easy;
	struct curl_slist	*headers;
	char			*method;
	char			*host;		/* for logs: never the URL,
						   which may carry a
						   presigned signature */
	void			*body;
	size_t			 bodylen;
	size_t			 max_body;
	int64_t			 start_us;
	http_cb			 cb;
	void			*arg;

	/* The response, being built. */
	CURLcode		 result;
	int			 too_big;
	char			*rbody;
	size_t			 rbodylen;
	size_t			 rbodycap;
	char			**rheaders;
	size_t			 nrheaders;
	size_t			 rheaderscap;
	int64_t			 elapsed_us;
	char			 errbuf[CURL_ERROR_SIZE];
};
TAILQ_HEAD(http_reqs, http_req);

struct http_sock {
	LIST_ENTRY(http_sock)	 entry;
	struct event		*ev;
};
LIST_HEAD(http_socks, http_sock);

struct http {
	struct event_base	*base;
	CURLM			*multi;
	struct event		*ev_timer;	/* curl's timeout */
	struct event		*ev_done;	/* deliver the done list */
	struct http_reqs	 running;
	struct http_reqs	 done;
	struct http_socks	 socks;
	size_t			 npending;
	int			 busy;		/* a callback is running */
	int			 dying;		/* http_free() inside it */
};

static int	http_global_done;

static void
http_req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->method);
	free(r->host);
	free(r->body);
	free(r->rbody);
	xstrv_free(r->rheaders, r->nrheaders);
	free(r);
}

/* Drop what was received: after an error there is no response to give. */
static void
http_req_forget(struct http_req *r)
{
	size_t	i;

	for (i = 0; i < r->nrheaders; i++)
		free(r->rheaders[i]);
	r->nrheaders = 0;
	r->rbodylen = 0;
}

/*
 * curl's write callback: append to the body, up to the cap. Returning less
 * than was given makes curl abort the transfer (CURLE_WRITE_ERROR), which
 * http_deliver_cb() reports as the cap.
 */
static size_t
http_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_req	*r = arg;
	size_t		 len = size * n, cap;
	char		*p;

	if (len > r->max_body - r->rbodylen) {
		r->too_big = 1;
		return 0;
	}
	if (r->rbodylen + len + 1 > r->rbodycap) {
		cap = r->rbodycap ? r->rbodycap : HTTP_BODY_MIN;
		while (cap < r->rbodylen + len + 1)
			cap *= 2;
		if (cap > r->max_body + 1)
			cap = r->max_body + 1;
		if ((p = realloc(r->rbody, cap)) == NULL)
			return 0;
		r->rbody = p;
		r->rbodycap = cap;
	}
	memcpy(r->rbody + r->rbodylen, data, len);
	r->rbodylen += len;
	return len;
}

/*
 * curl's header callback: one line at a time, status lines included. A
 * status line starts a new response (after a "100 Continue", or a proxy's
 * answer to CONNECT): only the last response's headers are kept.
 */
static size_t
http_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_req	*r = arg;
	size_t		 len = size * n, keep = len, cap, i;
	char		**p, *line;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		for (i = 0; i < r->nrheaders; i++)
			free(r->rheaders[i]);
		r->nrheaders = 0;
		return len;
	}
	while (keep > 0 && (data[keep - 1] == '\r' || data[keep - 1] == '\n'))
		keep--;
	if (keep == 0)
		return len;
	if (r->nrheaders == r->rheaderscap) {
		cap = r->rheaderscap ? r->rheaderscap * 2 : 16;
		if ((p = reallocarray(r->rheaders, cap, sizeof(*p))) == NULL)
			return 0;
		r->rheaders = p;
		r->rheaderscap = cap;
	}
	if ((line = strndup(data, keep)) == NULL)
		return 0;
	r->rheaders[r->nrheaders++] = line;
	return len;
}

/* Move every finished transfer to the done list; deliver from the loop. */
static void
http_collect(struct http *h)
{
	struct http_req	*r;
	CURLMsg		*msg;
	CURL		*easy;
	CURLcode	 result;
	char		*p;
	int		 left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg does not survive curl_multi_remove_handle(). */
		easy = msg->easy_handle;
		result = msg->data.result;
		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p) != CURLE_OK ||
		    p == NULL)
			continue;
		r = (struct http_req *)p;
		r->result = result;
		r->elapsed_us = now_mono_us() - r->start_us;
		curl_multi_remove_handle(h->multi, easy);
		TAILQ_REMOVE(&h->running, r, entry);
		r->state = HTTP_DONE;
		TAILQ_INSERT_TAIL(&h->done, r, entry);
	}
	if (!TAILQ_EMPTY(&h->done))
		event_active(h->ev_done, EV_TIMEOUT, 0);
}

/* Free every request, running or waiting to be delivered. */
static void
http_drop_all(struct http *h)
{
	struct http_req	*r;

	while ((r = TAILQ_FIRST(&h->running)) != NULL) {
		TAILQ_REMOVE(&h->running, r, entry);
		curl_multi_remove_handle(h->multi, r->easy);
		http_req_free(r);
	}
	while ((r = TAILQ_FIRST(&h->done)) != NULL) {
		TAILQ_REMOVE(&h->done, r, entry);
		http_req_free(r);
	}
	h->npending = 0;
}

static void
http_destroy(struct http *h)
{
	struct http_sock	*s;

	http_drop_all(h);
	/* curl may still call the socket and timer callbacks from here, so
	 * they and their events must outlive it. */
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	while ((s = LIST_FIRST(&h->socks)) != NULL) {
		LIST_REMOVE(s, entry);
		event_free(s->ev);
		free(s);
	}
	if (h->ev_timer != NULL)
		event_free(h->ev_timer);
	if (h->ev_done != NULL)
		event_free(h->ev_done);
	free(h);
}

static void
http_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http		*h = arg;
	struct http_req		*r;
	struct http_response	 resp;
	char			 msg[CURL_ERROR_SIZE + 64];
	long			 code = 0;

	while ((r = TAILQ_FIRST(&h->done)) != NULL) {
		TAILQ_REMOVE(&h->done, r, entry);
		h->npending--;
		r->state = HTTP_DELIVERING;

		memset(&resp, 0, sizeof(resp));
		resp.error = r->result;
		if (r->too_big || r->result == CURLE_FILESIZE_EXCEEDED) {
			resp.error = CURLE_FILESIZE_EXCEEDED;
			snprintf(msg, sizeof(msg), "response body over the "
			    "%zu-byte cap", r->max_body);
			resp.message = msg;
		} else if (r->result != CURLE_OK) {
			resp.message = r->errbuf[0] != '\0' ? r->errbuf :
			    curl_easy_strerror(r->result);
		} else {
			curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
			    &code);
			resp.status = (int)code;
		}
		if (resp.error != CURLE_OK)
			http_req_forget(r);
		if (r->rbody == NULL)
			resp.body = "";
		else {
			r->rbody[r->rbodylen] = '\0';
			resp.body = r->rbody;
		}
		resp.bodylen = r->rbodylen;
		resp.headers = r->rheaders;
		resp.nheaders = r->nrheaders;
		resp.elapsed_us = r->elapsed_us;
		if (resp.error != CURLE_OK)
			log_debug("http: %s %s: %s (%" PRId64 " ms)", r->method,
			    r->host, resp.message, r->elapsed_us / 1000);
		else
			log_debug("http: %s %s: %d (%" PRId64 " ms)", r->method,
			    r->host, resp.status, r->elapsed_us / 1000);

		h->busy++;
		r->cb(r->arg, &resp);
		h->busy--;
		http_req_free(r);
		if (h->dying) {
			http_destroy(h);
			return;
		}
	}
}

static void
http_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http	*h = arg;
	int		 action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, fd, action, &running);
	http_collect(h);
}

static void
http_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http	*h = arg;
	int		 running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_collect(h);
}

/* curl's socket callback: watch s for what curl asks, or stop watching. */
static int
http_curl_sock_cb(CURL *easy, curl_socket_t s, int what, void *arg,
    void *sockp)
{
	struct http		*h = arg;
	struct http_sock	*hs = sockp;
	short			 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (hs != NULL) {
			LIST_REMOVE(hs, entry);
			event_free(hs->ev);
			free(hs);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (hs == NULL) {
		if ((hs = calloc(1, sizeof(*hs))) == NULL)
			return -1;
		if ((hs->ev = event_new(h->base, s, kind, http_sock_cb,
		    h)) == NULL) {
			free(hs);
			return -1;
		}
		LIST_INSERT_HEAD(&h->socks, hs, entry);
		curl_multi_assign(h->multi, s, hs);
	} else {
		event_del(hs->ev);
		event_assign(hs->ev, h->base, s, kind, http_sock_cb, h);
	}
	if (event_add(hs->ev, NULL) == -1)
		return -1;
	return 0;
}

/*
 * curl's timer callback: -1 stops the timer; 0 means "now", which becomes
 * a zero timer rather than a call into curl, since curl may be calling us
 * from inside curl_multi_socket_action.
 */
static int
http_curl_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct http	*h = arg;
	struct timeval	 tv;

	if (timeout_ms < 0) {
		evtimer_del(h->ev_timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(h->ev_timer, &tv) == -1 ? -1 : 0;
}

struct http *
http_new(struct event_base *base)
{
	struct http	*h;

	if (!http_global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			log_warnx("http: curl_global_init failed");
			return NULL;
		}
		http_global_done = 1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->base = base;
	TAILQ_INIT(&h->running);
	TAILQ_INIT(&h->done);
	LIST_INIT(&h->socks);
	if ((h->ev_timer = evtimer_new(base, http_timer_cb, h)) == NULL ||
	    (h->ev_done = event_new(base, -1, 0, http_deliver_cb, h)) == NULL ||
	    (h->multi = curl_multi_init()) == NULL)
		goto fail;
	if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION,
	    http_curl_sock_cb) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION,
	    http_curl_timer_cb) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK)
		goto fail;
	return h;

fail:
	log_warnx("http: cannot set up the multi handle");
	http_destroy(h);
	return NULL;
}

void
http_free(struct http *h)
{
	if (h == NULL || h->dying)
		return;
	if (h->busy == 0) {
		http_destroy(h);
		return;
	}
	/* Inside a request's callback: drop every other request now (no curl
	 * call is under way), and leave the struct and the request being
	 * delivered to http_deliver_cb(), which frees them when it returns. */
	h->dying = 1;
	http_drop_all(h);
}

/* A method is an HTTP token; a header line must not smuggle a new line. */
static int
http_check(const struct http_request *req)
{
	const char *const	*hp;
	const char		*p;

	if (req->url == NULL || req->method == NULL || req->method[0] == '\0')
		return -1;
	for (p = req->method; *p != '\0'; p++)
		if (!isupper((unsigned char)*p) && *p != '-' && *p != '_')
			return -1;
	for (hp = req->headers; hp != NULL && *hp != NULL; hp++)
		if (strpbrk(*hp, "\r\n") != NULL || strpbrk(*hp, ":;") == NULL)
			return -1;
	return 0;
}

/* The URL's host for logs, or NULL when the URL is not http(s). */
static char *
http_url_host(const char *url)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL, *copy = NULL;

	if ((u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	if (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0)
		copy = strdup(host);
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return copy;
}

static int
http_has_header(const char *const *headers, const char *name)
{
	size_t	len = strlen(name);

	for (; headers != NULL && *headers != NULL; headers++)
		if (strncasecmp(*headers, name, len) == 0 &&
		    (*headers)[len] == ':')
			return 1;
	return 0;
}

/* The request's headers, with "Expect:" unless given. 0, or -1. */
static int
http_req_headers(struct http_req *r, const struct http_request *rq)
{
	struct curl_slist	*sl;
	const char *const	*hp;

	for (hp = rq->headers; hp != NULL && *hp != NULL; hp++) {
		if ((sl = curl_slist_append(r->headers, *hp)) == NULL)
			return -1;
		r->headers = sl;
	}
	/* curl would otherwise hold a large POST for up to a second waiting
	 * for a "100 Continue" that AWS endpoints need not send. */
	if (!http_has_header(rq->headers, "Expect")) {
		if ((sl = curl_slist_append(r->headers, "Expect:")) == NULL)
			return -1;
		r->headers = sl;
	}
	return 0;
}

/* In the two functions below: set an option of r's handle, or fail. */
#define SET(opt, val) do {						\
	if (curl_easy_setopt(r->easy, opt, val) != CURLE_OK)		\
		return -1;						\
} while (0)

/* The easy handle's options: URL, limits, TLS, callbacks. 0, or -1. */
static int
http_req_setopt(struct http_req *r, const struct http_request *rq)
{
	SET(CURLOPT_PRIVATE, (char *)r);
	SET(CURLOPT_URL, rq->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_TIMEOUT_MS,
	    (long)(rq->timeout_ms > 0 ? rq->timeout_ms : HTTP_TIMEOUT));
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(rq->connect_timeout_ms > 0 ?
	    rq->connect_timeout_ms : HTTP_CONNECT_TIMEOUT));
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (rq->ca_file != NULL)
		SET(CURLOPT_CAINFO, rq->ca_file);
	SET(CURLOPT_HTTPHEADER, r->headers);
	SET(CURLOPT_WRITEFUNCTION, http_write_cb);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_HEADERFUNCTION, http_header_cb);
	SET(CURLOPT_HEADERDATA, r);
	/* Refuses a too large announced Content-Length before any of it
	 * arrives; http_write_cb() catches the rest (chunked). */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_body);
	return 0;
}

/* The method, and the body (copied) when it has one. 0, or -1. */
static int
http_req_method(struct http_req *r, const struct http_request *rq)
{
	int	withbody;

	withbody = rq->body != NULL || strcmp(rq->method, "POST") == 0 ||
	    strcmp(rq->method, "PUT") == 0 ||
	    strcmp(rq->method, "PATCH") == 0;
	if (withbody) {
		/* Our copy: POSTFIELDS keeps only the pointer. One extra
		 * byte so an empty body is still a valid pointer. */
		if ((r->body = malloc(rq->bodylen + 1)) == NULL)
			return -1;
		if (rq->bodylen > 0)
			memcpy(r->body, rq->body, rq->bodylen);
		r->bodylen = rq->bodylen;
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->bodylen);
		SET(CURLOPT_POSTFIELDS, r->body);
	}
	if (strcmp(rq->method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else if (strcmp(rq->method, "GET") == 0 && !withbody)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(rq->method, "POST") != 0)
		SET(CURLOPT_CUSTOMREQUEST, rq->method);
#undef SET
	return 0;
}

struct http_req *
http_start(struct http *h, const struct http_request *req, http_cb cb,
    void *arg)
{
	struct http_req		*r = NULL;
	struct http_request	 rq = *req;

	if (h->dying)
		return NULL;
	if (rq.method == NULL)
		rq.method = "GET";
	if (http_check(&rq) == -1) {
		log_warnx("http: bad method or header");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->h = h;
	r->cb = cb;
	r->arg = arg;
	r->max_body = rq.max_body ? rq.max_body : HTTP_MAX_BODY;
	if ((r->method = strdup(rq.method)) == NULL)
		goto fail;
	if ((r->host = http_url_host(rq.url)) == NULL) {
		log_warnx("http: %s: not an http(s) URL", rq.method);
		http_req_free(r);
		return NULL;
	}
	if (http_req_headers(r, &rq) == -1 ||
	    (r->easy = curl_easy_init()) == NULL ||
	    http_req_setopt(r, &rq) == -1 || http_req_method(r, &rq) == -1)
		goto fail;
	r->start_us = now_mono_us();
	r->state = HTTP_RUNNING;
	if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK)
		goto fail;
	TAILQ_INSERT_TAIL(&h->running, r, entry);
	h->npending++;
	return r;

fail:
	log_warnx("http: %s %s: cannot start the request", rq.method,
	    r->host != NULL ? r->host : "?");
	http_req_free(r);
	return NULL;
}

void
http_cancel(struct http_req *r)
{
	struct http	*h;

	if (r == NULL)
		return;
	h = r->h;
	switch (r->state) {
	case HTTP_RUNNING:
		TAILQ_REMOVE(&h->running, r, entry);
		/* Safe: user code runs only from http_deliver_cb() or
		 * elsewhere on the loop, never inside a curl call. */
		curl_multi_remove_handle(h->multi, r->easy);
		h->npending--;
		http_req_free(r);
		break;
	case HTTP_DONE:
		TAILQ_REMOVE(&h->done, r, entry);
		h->npending--;
		http_req_free(r);
		break;
	case HTTP_DELIVERING:
		/* Its own callback: http_deliver_cb() frees it on return. */
		break;
	}
}

size_t
http_pending(const struct http *h)
{
	return h->npending;
}

const char *
http_header(const struct http_response *resp, const char *name)
{
	const char	*v;
	size_t		 i, len = strlen(name);

	for (i = 0; i < resp->nheaders; i++) {
		if (strncasecmp(resp->headers[i], name, len) != 0 ||
		    resp->headers[i][len] != ':')
			continue;
		for (v = resp->headers[i] + len + 1; *v == ' ' || *v == '\t';
		    v++)
			;
		return v;
	}
	return NULL;
}
