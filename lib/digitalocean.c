/*
 * digitalocean: the DigitalOcean API v2 client. A call walks a small
 * cycle: a request through http (after a wait when the rate-limit budget
 * is spent), then a verdict on the answer: done (a parsed result, "gone",
 * or DigitalOcean's error), the next page of a list, or another attempt
 * after a timer (a backoff with full jitter, or the rate limit's reset).
 * Every request goes out from a timer callback, and the calls live on
 * lib/api's queue, as AWS's do: user callbacks run only from one
 * event_active'd event per client that delivers finished calls; so
 * do_cancel and do_free may be called from anywhere, and the call whose
 * callback is running (and the client, if freed inside it) is freed by
 * the deliverer when the callback returns. The token lives in
 * one header string, wiped when the client goes; no log line carries a
 * header or a body.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include "digitalocean.h"
#include "http.h"
#include "log.h"
#include "now.h"
#include "xmalloc.h"

#define DO_MAX_ATTEMPTS		5
#define DO_BACKOFF_BASE_MS	250
#define DO_BACKOFF_CAP_MS	20000
#define DO_RATELIMIT_CAP_MS	60000
#define DO_RATELIMIT_JITTER_MS	500
#define DO_TIMEOUT_MS		30000
#define DO_PER_PAGE		200
#define DO_MAX_PAGES		1000
#define DO_MAX_BODY		(32 * 1024 * 1024)

enum do_op {
	OP_LIST,
	OP_GET_DROPLET,
	OP_ACTION,
	OP_GET_ACTION,
	OP_DELETE_DROPLET,
	OP_DELETE_RESOURCE,
	OP_GET_RESOURCE,
};

enum do_call_state {
	CALL_SLEEP,		/* a timer armed: the next request goes out then */
	CALL_HTTP,		/* a request in flight */
};

struct do_call {
	struct api_call		 base;		/* first: on c->q */
	struct do_client	*c;
	enum do_op		 op;
	const char		*name;		/* "ListDroplets", static */
	enum do_call_state	 state;		/* while live */
	char			*method;
	char			*url;		/* this attempt's, or the page's */
	char			*body;		/* NULL: none */
	struct http_req		*req;
	struct event		*ev_timer;
	int			 attempts;	/* of this page */
	int			 pages;
	int			 gated;		/* waited for the reset already */
	union {
		do_droplets_cb	 list;
		do_droplet_cb	 droplet;
		do_action_cb	 action;
		do_delete_cb	 del;
		do_exists_cb	 exists;
	}			 cb;
	void			*arg;

	/* The outcome. */
	int			 failed;
	int			 status;
	char			*code;
	char			*message;
	struct do_droplets	 list;
	struct do_droplet	*droplet;
	struct do_action	*action;
	int			 flag;		/* gone, or exists */
};

struct do_client {
	struct event_base	*base;
	struct http		*http;
	char			*base_url;	/* no final '/' */
	char			*auth;		/* "Authorization: Bearer ..." */
	struct do_opts		 opts;
	char			*ca_file;
	struct api_queue	 q;		/* the calls */
	int64_t			 rl_limit;	/* -1: not known */
	int64_t			 rl_remaining;	/* -1: not known */
	int64_t			 rl_reset_ms;	/* unix ms; 0: not known */
	struct do_stats		 st;
};

static void	do_http_cb(void *, const struct http_response *);

/* ---- parsers ---- */

static void
do_droplet_clear(struct do_droplet *d)
{
	free(d->name);
	free(d->status);
	free(d->private_ip);
	free(d->public_ip);
	free(d->region);
	xstrv_free(d->tags, d->ntags);
	free(d->snapshot_ids);
	memset(d, 0, sizeof(*d));
}

void
do_droplet_free(struct do_droplet *d)
{
	if (d == NULL)
		return;
	do_droplet_clear(d);
	free(d);
}

void
do_droplets_free(struct do_droplets *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		do_droplet_clear(&l->v[i]);
	free(l->v);
	free(l);
}

void
do_action_free(struct do_action *a)
{
	if (a == NULL)
		return;
	free(a->status);
	free(a->type);
	free(a->started_at);
	free(a->completed_at);
	free(a->resource_type);
	free(a->region_slug);
	free(a);
}

enum do_action_status
do_action_status_parse(const char *s)
{
	if (s == NULL)
		return DO_ACTION_OTHER;
	if (strcmp(s, "in-progress") == 0)
		return DO_ACTION_IN_PROGRESS;
	if (strcmp(s, "completed") == 0)
		return DO_ACTION_COMPLETED;
	if (strcmp(s, "errored") == 0)
		return DO_ACTION_ERRORED;
	return DO_ACTION_OTHER;
}

const char *
do_resource_name(enum do_resource r)
{
	switch (r) {
	case DO_RES_LOAD_BALANCER:
		return "load_balancer";
	case DO_RES_FIREWALL:
		return "firewall";
	case DO_RES_RESERVED_IP:
		return "reserved_ip";
	}
	return "unknown";
}

/*
 * An optional string member: absent or null leaves *out NULL (0); a
 * string is copied (0); anything else is wrong (-1).
 */
static int
do_opt_string(const json_t *o, const char *key, char **out)
{
	const json_t	*v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* One droplet object into d (cleared first); -1 with why. */
static int
do_droplet_read(const json_t *o, struct do_droplet *d, char *why, size_t len)
{
	const json_t	*v, *net, *x;
	const char	*type, *ip;
	size_t		 i;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(o)) {
		snprintf(why, len, "a droplet is not an object");
		return -1;
	}
	v = json_object_get(o, "id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		snprintf(why, len, "a droplet has no integer \"id\"");
		return -1;
	}
	d->id = json_integer_value(v);
	if (!json_is_string(json_object_get(o, "name")) ||
	    !json_is_string(json_object_get(o, "status"))) {
		snprintf(why, len, "droplet %" PRId64 " has no \"name\" or "
		    "\"status\" string", d->id);
		return -1;
	}
	d->name = xstrdup(json_string_value(json_object_get(o, "name")));
	d->status = xstrdup(json_string_value(json_object_get(o, "status")));
	d->locked = json_is_true(json_object_get(o, "locked"));

	if ((v = json_object_get(o, "region")) != NULL && !json_is_null(v)) {
		if (!json_is_object(v) ||
		    do_opt_string(v, "slug", &d->region) == -1)
			goto shape;
	}
	if ((net = json_object_get(o, "networks")) != NULL &&
	    !json_is_null(net)) {
		if (!json_is_object(net))
			goto shape;
		v = json_object_get(net, "v4");
		if (v != NULL && !json_is_null(v) && !json_is_array(v))
			goto shape;
		json_array_foreach(v, i, x) {
			if (!json_is_object(x))
				goto shape;
			type = json_string_value(json_object_get(x, "type"));
			ip = json_string_value(json_object_get(x,
			    "ip_address"));
			if (type == NULL || ip == NULL)
				goto shape;
			if (strcmp(type, "private") == 0 &&
			    d->private_ip == NULL)
				d->private_ip = xstrdup(ip);
			else if (strcmp(type, "public") == 0 &&
			    d->public_ip == NULL)
				d->public_ip = xstrdup(ip);
		}
	}
	if ((v = json_object_get(o, "tags")) != NULL && !json_is_null(v)) {
		if (!json_is_array(v))
			goto shape;
		d->tags = xcalloc(json_array_size(v) + 1, sizeof(*d->tags));
		json_array_foreach(v, i, x) {
			if (!json_is_string(x))
				goto shape;
			d->tags[d->ntags++] = xstrdup(json_string_value(x));
		}
	}
	if ((v = json_object_get(o, "snapshot_ids")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_array(v))
			goto shape;
		d->snapshot_ids = xcalloc(json_array_size(v) + 1,
		    sizeof(*d->snapshot_ids));
		json_array_foreach(v, i, x) {
			if (!json_is_integer(x))
				goto shape;
			d->snapshot_ids[d->nsnapshot_ids++] =
			    json_integer_value(x);
		}
	}
	return 0;
shape:
	snprintf(why, len, "droplet %" PRId64 ": \"region\", \"networks\", "
	    "\"tags\" or \"snapshot_ids\" of the wrong shape", d->id);
	do_droplet_clear(d);
	return -1;
}

struct do_droplets *
do_parse_droplets(const json_t *j, char **next, char *why, size_t len)
{
	struct do_droplets	*l;
	const json_t		*arr, *x, *links, *pages, *n;
	size_t			 i;

	if (next != NULL)
		*next = NULL;
	if (!json_is_object(j) ||
	    !json_is_array(arr = json_object_get(j, "droplets"))) {
		snprintf(why, len, "no \"droplets\" array");
		return NULL;
	}
	/* links: {} on a single page; {"pages": {"next": URL, ...}}. */
	n = NULL;
	if ((links = json_object_get(j, "links")) != NULL &&
	    !json_is_null(links)) {
		if (!json_is_object(links)) {
			snprintf(why, len, "\"links\" is not an object");
			return NULL;
		}
		if ((pages = json_object_get(links, "pages")) != NULL &&
		    !json_is_null(pages)) {
			if (!json_is_object(pages)) {
				snprintf(why, len, "\"links.pages\" is not an "
				    "object");
				return NULL;
			}
			n = json_object_get(pages, "next");
			if (n != NULL && !json_is_null(n) &&
			    (!json_is_string(n) ||
			    json_string_length(n) == 0)) {
				snprintf(why, len, "\"links.pages.next\" is "
				    "not a URL");
				return NULL;
			}
		}
	}
	l = xcalloc(1, sizeof(*l));
	l->v = xcalloc(json_array_size(arr) + 1, sizeof(*l->v));
	json_array_foreach(arr, i, x) {
		if (do_droplet_read(x, &l->v[l->n], why, len) == -1) {
			do_droplets_free(l);
			return NULL;
		}
		l->n++;
	}
	if (next != NULL && json_is_string(n))
		*next = xstrdup(json_string_value(n));
	return l;
}

struct do_droplet *
do_parse_droplet(const json_t *j, char *why, size_t len)
{
	struct do_droplet	*d;

	if (!json_is_object(j) ||
	    !json_is_object(json_object_get(j, "droplet"))) {
		snprintf(why, len, "no \"droplet\" object");
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	if (do_droplet_read(json_object_get(j, "droplet"), d, why,
	    len) == -1) {
		free(d);
		return NULL;
	}
	return d;
}

struct do_action *
do_parse_action(const json_t *j, char *why, size_t len)
{
	struct do_action	*a;
	const json_t		*o, *v;

	if (!json_is_object(j) ||
	    !json_is_object(o = json_object_get(j, "action"))) {
		snprintf(why, len, "no \"action\" object");
		return NULL;
	}
	v = json_object_get(o, "id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    !json_is_string(json_object_get(o, "status")) ||
	    !json_is_string(json_object_get(o, "type"))) {
		snprintf(why, len, "the action has no integer \"id\", or no "
		    "\"status\" or \"type\" string");
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->id = json_integer_value(v);
	a->status = xstrdup(json_string_value(json_object_get(o, "status")));
	a->st = do_action_status_parse(a->status);
	a->type = xstrdup(json_string_value(json_object_get(o, "type")));
	v = json_object_get(o, "resource_id");
	if ((v != NULL && !json_is_null(v) && !json_is_integer(v)) ||
	    do_opt_string(o, "started_at", &a->started_at) == -1 ||
	    do_opt_string(o, "completed_at", &a->completed_at) == -1 ||
	    do_opt_string(o, "resource_type", &a->resource_type) == -1 ||
	    do_opt_string(o, "region_slug", &a->region_slug) == -1) {
		snprintf(why, len, "action %" PRId64 ": \"resource_id\", "
		    "\"started_at\", \"completed_at\", \"resource_type\" or "
		    "\"region_slug\" of the wrong type", a->id);
		do_action_free(a);
		return NULL;
	}
	a->resource_id = json_is_integer(v) ? json_integer_value(v) : 0;
	return a;
}

/* ---- the token ---- */

/* Can this string go into a header as a bearer token? */
static int
do_token_ok(const char *t)
{
	if (t == NULL || *t == '\0')
		return 0;
	for (; *t != '\0'; t++)
		if (*t < 0x21 || *t > 0x7e)
			return 0;
	return 1;
}

int
do_token_read(const char *path, char **token, char *why, size_t len)
{
	struct stat	 st;
	char		 buf[DO_TOKEN_MAX + 2];
	char		*s, *e;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, rc = -1;

	*token = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(why, len, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* The checks are on the file opened, not on the name. */
	if (fstat(fd, &st) == -1) {
		snprintf(why, len, "cannot stat %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s is not a regular file", path);
		goto done;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(why, len, "%s has mode %04o: group or others may "
		    "read it; run chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		goto done;
	}
	while (got < sizeof(buf) - 1) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(why, len, "cannot read %s: %s", path,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (got > DO_TOKEN_MAX) {
		snprintf(why, len, "%s is longer than %d bytes: not a token",
		    path, DO_TOKEN_MAX);
		goto done;
	}
	for (s = buf; isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	if (*s == '\0') {
		snprintf(why, len, "%s is empty", path);
		goto done;
	}
	if (!do_token_ok(s)) {
		snprintf(why, len, "%s holds more than one line, or characters "
		    "a token cannot have", path);
		goto done;
	}
	*token = xstrdup(s);
	rc = 0;
done:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* ---- calls ---- */

static void
do_call_clear_result(struct do_call *k)
{
	size_t	i;

	for (i = 0; i < k->list.n; i++)
		do_droplet_clear(&k->list.v[i]);
	free(k->list.v);
	k->list.v = NULL;
	k->list.n = 0;
	do_droplet_free(k->droplet);
	do_action_free(k->action);
	k->droplet = NULL;
	k->action = NULL;
	free(k->code);
	free(k->message);
	k->code = k->message = NULL;
	k->failed = 0;
	k->flag = 0;
}

static void
do_call_free(struct do_call *k)
{
	if (k == NULL)
		return;
	do_call_clear_result(k);
	if (k->ev_timer != NULL)
		event_free(k->ev_timer);
	free(k->method);
	free(k->url);
	free(k->body);
	free(k);
}

static void
do_call_free_cb(struct api_call *b)
{
	do_call_free((struct do_call *)b);
}

/* Dropped without its callback: stop what it waits for. */
static void
do_call_drop_cb(struct api_call *b, int live)
{
	struct do_call	*k = (struct do_call *)b;

	if (!live)
		return;
	switch (k->state) {
	case CALL_SLEEP:
		evtimer_del(k->ev_timer);
		break;
	case CALL_HTTP:
		http_cancel(k->req);
		k->req = NULL;
		break;
	}
}

static void
do_destroy(struct do_client *c)
{
	api_queue_clear(&c->q);
	if (c->auth != NULL) {
		explicit_bzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
	free(c->base_url);
	free(c->ca_file);
	free(c);
}

static void
do_destroy_cb(void *owner)
{
	do_destroy(owner);
}

static void
do_deliver_cb(struct api_call *b)
{
	struct do_call	*k = (struct do_call *)b;
	struct api_err	 e, *ep = NULL;
	char		*text = NULL;

	if (k->failed) {
		text = api_err_set(&e, k->name, k->code, k->message,
		    k->status);
		ep = &e;
	}
	switch (k->op) {
	case OP_LIST:
		k->cb.list(k->arg, ep == NULL ? &k->list : NULL, ep);
		break;
	case OP_GET_DROPLET:
		k->cb.droplet(k->arg, ep == NULL ? k->droplet : NULL, ep);
		break;
	case OP_ACTION:
	case OP_GET_ACTION:
		k->cb.action(k->arg, ep == NULL ? k->action : NULL, ep);
		break;
	case OP_DELETE_DROPLET:
	case OP_DELETE_RESOURCE:
		k->cb.del(k->arg, ep == NULL ? k->flag : 0, ep);
		break;
	case OP_GET_RESOURCE:
		k->cb.exists(k->arg, ep == NULL ? k->flag : 0, ep);
		break;
	}
	free(text);
}

static const struct api_queue_ops do_queue_ops = {
	.deliver = do_deliver_cb,
	.drop = do_call_drop_cb,
	.free = do_call_free_cb,
	.destroy = do_destroy_cb,
};

/* The call is over: count it and hand it to the deliverer. */
static void
do_finish(struct do_call *k)
{
	if (k->failed)
		k->c->st.errors++;
	api_call_finish(&k->base);
}

/* Set the call's error (replacing any); it is not finished here. */
static void
do_set_error(struct do_call *k, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("digitalocean: vasprintf");
	va_end(ap);
	free(k->code);
	free(k->message);
	k->code = xstrdup(code);
	k->message = msg;
	k->failed = 1;
}

/* Arm the call's timer; the request goes out when it fires. */
static void
do_sleep(struct do_call *k, int64_t ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	k->state = CALL_SLEEP;
	if (evtimer_add(k->ev_timer, &tv) == -1) {
		do_set_error(k, "ConnectionError", "cannot arm a timer");
		do_finish(k);
	}
}

/* How long a request must wait for the rate limit's reset; 0: none. */
static int64_t
do_gate_ms(struct do_client *c)
{
	int64_t	now = now_ms(), ms;

	if (c->rl_remaining != 0)
		return 0;
	if (c->rl_reset_ms <= now) {
		/* The window turned over: the budget is full again. */
		c->rl_remaining = c->rl_limit;
		return 0;
	}
	ms = c->rl_reset_ms - now + api_uniform(DO_RATELIMIT_JITTER_MS);
	return ms > c->opts.ratelimit_cap_ms ? c->opts.ratelimit_cap_ms : ms;
}

/* Send one attempt now. */
static void
do_send(struct do_call *k)
{
	struct do_client	*c = k->c;
	struct http_request	 hr;
	const char		*headers[4];
	size_t			 n = 0;

	headers[n++] = c->auth;
	headers[n++] = "Accept: application/json";
	if (k->body != NULL)
		headers[n++] = "Content-Type: application/json";
	headers[n] = NULL;
	memset(&hr, 0, sizeof(hr));
	hr.method = k->method;
	hr.url = k->url;
	hr.headers = headers;
	hr.body = k->body;
	hr.bodylen = k->body != NULL ? strlen(k->body) : 0;
	hr.timeout_ms = c->opts.timeout_ms;
	hr.ca_file = c->ca_file;
	hr.max_body = DO_MAX_BODY;
	k->attempts++;
	if (c->rl_remaining > 0)
		c->rl_remaining--;
	k->state = CALL_HTTP;
	if ((k->req = http_start(c->http, &hr, do_http_cb, k)) == NULL) {
		do_set_error(k, "ConnectionError", "cannot start a request");
		do_finish(k);
	}
}

static void
do_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct do_call	*k = arg;
	int64_t		 ms;

	if (!k->gated && (ms = do_gate_ms(k->c)) > 0) {
		/* Once per attempt: past the cap, the request goes anyway
		 * and a 429 sends it back here. */
		k->gated = 1;
		log_debug("digitalocean: %s: rate limit spent, waiting %" PRId64
		    " ms for the reset", k->name, ms);
		do_sleep(k, ms);
		return;
	}
	k->gated = 0;
	do_send(k);
}

/* Read the budget headers of an answer. */
static void
do_ratelimit_update(struct do_client *c, const struct http_response *resp)
{
	const char	*s;
	char		*end;
	long long	 v;

	if ((s = http_header(resp, "ratelimit-limit")) != NULL &&
	    (v = strtoll(s, &end, 10)) >= 0 && end != s)
		c->rl_limit = v;
	if ((s = http_header(resp, "ratelimit-remaining")) != NULL &&
	    (v = strtoll(s, &end, 10)) >= 0 && end != s)
		c->rl_remaining = v;
	if ((s = http_header(resp, "ratelimit-reset")) != NULL &&
	    (v = strtoll(s, &end, 10)) > 0 && end != s && v < INT64_MAX / 1000)
		c->rl_reset_ms = (int64_t)v * 1000;
}

/* DigitalOcean's error from an answer that is not 2xx. */
static void
do_parse_error(struct do_call *k, const struct http_response *resp)
{
	json_t		*j = NULL;
	const char	*id = NULL, *msg = NULL;

	if (resp->bodylen > 0 &&
	    (j = json_loadb(resp->body, resp->bodylen, 0, NULL)) != NULL &&
	    json_is_object(j)) {
		id = json_string_value(json_object_get(j, "id"));
		msg = json_string_value(json_object_get(j, "message"));
	}
	free(k->code);
	free(k->message);
	k->code = id != NULL && *id != '\0' ? xstrdup(id) :
	    xasprintf("%d", resp->status);
	k->message = msg != NULL ? xstrdup(msg) : xasprintf("HTTP %d%s",
	    resp->status, resp->bodylen == 0 ? "" :
	    " and no DigitalOcean error message");
	k->failed = 1;
	json_decref(j);
}

/* May the list follow this next link? Only under our own base URL. */
static int
do_link_ok(const struct do_client *c, const char *url)
{
	size_t	n = strlen(c->base_url);

	return strncmp(url, c->base_url, n) == 0 && url[n] == '/' &&
	    strchr(url, '\r') == NULL && strchr(url, '\n') == NULL;
}

/* Add a page's droplets to the call's list, each id once. */
static void
do_list_merge(struct do_call *k, struct do_droplets *page)
{
	size_t	i, j;

	k->list.v = xreallocarray(k->list.v, k->list.n + page->n + 1,
	    sizeof(*k->list.v));
	for (i = 0; i < page->n; i++) {
		for (j = 0; j < k->list.n; j++)
			if (k->list.v[j].id == page->v[i].id)
				break;
		if (j < k->list.n) {
			/* Seen on an earlier page (the list moved). */
			do_droplet_clear(&page->v[i]);
			continue;
		}
		k->list.v[k->list.n++] = page->v[i];
	}
	free(page->v);
	page->v = NULL;
	page->n = 0;
	free(page);
}

/* A 2xx: the result, or the next page; 0: finished, 1: continues. */
static int
do_answer(struct do_call *k, const struct http_response *resp)
{
	struct do_client	*c = k->c;
	struct do_droplets	*page;
	json_error_t		 jerr;
	json_t			*j = NULL;
	char			 why[256], *next = NULL;
	int			 more = 0;

	if (k->op == OP_DELETE_DROPLET || k->op == OP_DELETE_RESOURCE) {
		k->flag = 0;		/* deleted now */
		return 0;
	}
	if (k->op == OP_GET_RESOURCE) {
		k->flag = 1;
		return 0;
	}
	memset(&jerr, 0, sizeof(jerr));
	if (resp->bodylen == 0 ||
	    (j = json_loadb(resp->body, resp->bodylen, 0, &jerr)) == NULL) {
		do_set_error(k, "UnexpectedAnswer", "the answer (HTTP %d) is "
		    "not JSON (line %d: %s)", resp->status, jerr.line,
		    resp->bodylen == 0 ? "empty" : jerr.text);
		return 0;
	}
	why[0] = '\0';
	switch (k->op) {
	case OP_LIST:
		if ((page = do_parse_droplets(j, &next, why,
		    sizeof(why))) == NULL)
			break;
		do_list_merge(k, page);
		if (next == NULL)
			break;
		if (!do_link_ok(c, next)) {
			do_set_error(k, "UnexpectedAnswer", "the next page "
			    "is not under %s", c->base_url);
			break;
		}
		if (++k->pages >= DO_MAX_PAGES) {
			do_set_error(k, "UnexpectedAnswer", "more than %d "
			    "pages", DO_MAX_PAGES);
			break;
		}
		free(k->url);
		k->url = next;
		next = NULL;
		k->attempts = 0;
		more = 1;
		break;
	case OP_GET_DROPLET:
		k->droplet = do_parse_droplet(j, why, sizeof(why));
		break;
	case OP_ACTION:
	case OP_GET_ACTION:
		k->action = do_parse_action(j, why, sizeof(why));
		break;
	default:
		break;
	}
	if (why[0] != '\0')
		do_set_error(k, "UnexpectedAnswer", "%s", why);
	free(next);
	json_decref(j);
	return more;
}

static void
do_http_cb(void *arg, const struct http_response *resp)
{
	struct do_call		*k = arg;
	struct do_client	*c = k->c;
	int64_t			 ms = 0, now, until;
	const char		*s;
	int			 retry = 0, throttled = 0;

	k->req = NULL;
	free(k->code);
	free(k->message);
	k->code = k->message = NULL;
	k->failed = 0;
	k->status = resp->status;
	if (resp->error != 0) {
		do_set_error(k, "ConnectionError", "%s", resp->message != NULL ?
		    resp->message : "no answer");
		retry = 1;
	} else {
		do_ratelimit_update(c, resp);
		if (resp->status >= 200 && resp->status < 300) {
			if (do_answer(k, resp)) {
				/* The next page, through the gate. */
				do_sleep(k, 0);
				return;
			}
		} else if (resp->status == 404 &&
		    (k->op == OP_DELETE_DROPLET ||
		    k->op == OP_DELETE_RESOURCE ||
		    k->op == OP_GET_RESOURCE)) {
			/* Gone already: what a delete wants. */
			k->flag = k->op != OP_GET_RESOURCE;
		} else {
			do_parse_error(k, resp);
			if (resp->status == 429) {
				c->st.throttles++;
				retry = throttled = 1;
			} else if (resp->status >= 500)
				retry = 1;
		}
	}
	log_debug("digitalocean: %s: %d%s%s (%" PRId64 " ms, attempt %d)",
	    k->name, resp->status, k->code != NULL ? " " : "",
	    k->code != NULL ? k->code : "", resp->elapsed_us / 1000,
	    k->attempts);

	if (!retry || k->attempts >= c->opts.max_attempts) {
		do_finish(k);
		return;
	}
	c->st.retries++;
	if (throttled) {
		/* Wait for the reset (or retry-after, if later); the gate
		 * in do_timer_cb does the waiting, for every call. */
		now = now_ms();
		until = c->rl_reset_ms;
		if ((s = http_header(resp, "retry-after")) != NULL &&
		    atoll(s) > 0 && atoll(s) < 86400 &&
		    now + atoll(s) * 1000 > until)
			until = now + atoll(s) * 1000;
		if (until > now) {
			c->rl_reset_ms = until;
			c->rl_remaining = 0;
		} else
			ms = api_backoff_ms(c->opts.backoff_base_ms,
			    c->opts.backoff_cap_ms, k->attempts);
	} else
		ms = api_backoff_ms(c->opts.backoff_base_ms,
		    c->opts.backoff_cap_ms, k->attempts);
	do_sleep(k, ms);
}

/* A new call on its way out (from the loop, never at once). */
static struct do_call *
do_call_new(struct do_client *c, enum do_op op, const char *name,
    const char *method, char *url, char *body, void *arg)
{
	struct do_call	*k;

	k = xcalloc(1, sizeof(*k));
	k->c = c;
	k->op = op;
	k->name = name;
	k->method = xstrdup(method);
	k->url = url;
	k->body = body;
	k->arg = arg;
	if ((k->ev_timer = evtimer_new(c->base, do_timer_cb, k)) == NULL) {
		do_call_free(k);
		return NULL;
	}
	api_call_add(&c->q, &k->base);
	c->st.calls++;
	do_sleep(k, 0);
	return k;
}

struct do_call *
do_droplets_by_tag(struct do_client *c, const char *tag, do_droplets_cb cb,
    void *arg)
{
	struct do_call	*k;
	char		*esc;

	if (tag == NULL || *tag == '\0' || strlen(tag) > 255) {
		log_warnx("digitalocean: ListDroplets: a tag of 1 to 255 "
		    "characters is needed");
		return NULL;
	}
	if ((esc = curl_easy_escape(NULL, tag, 0)) == NULL)
		return NULL;
	k = do_call_new(c, OP_LIST, "ListDroplets", "GET",
	    xasprintf("%s/v2/droplets?tag_name=%s&per_page=%d", c->base_url,
	    esc, c->opts.per_page), NULL, arg);
	curl_free(esc);
	if (k != NULL)
		k->cb.list = cb;
	return k;
}

struct do_call *
do_droplet_get(struct do_client *c, int64_t id, do_droplet_cb cb, void *arg)
{
	struct do_call	*k;

	if (id <= 0) {
		log_warnx("digitalocean: GetDroplet: bad id %" PRId64, id);
		return NULL;
	}
	k = do_call_new(c, OP_GET_DROPLET, "GetDroplet", "GET",
	    xasprintf("%s/v2/droplets/%" PRId64, c->base_url, id), NULL, arg);
	if (k != NULL)
		k->cb.droplet = cb;
	return k;
}

struct do_call *
do_droplet_action(struct do_client *c, int64_t id, const char *type,
    const char *snapshot_name, do_action_cb cb, void *arg)
{
	static const char *const types[] = { "shutdown", "power_off",
	    "power_on", "reboot", "snapshot", NULL };
	const char *const	*t;
	struct do_call		*k;
	json_t			*j;
	char			*body;

	for (t = types; type != NULL && *t != NULL; t++)
		if (strcmp(*t, type) == 0)
			break;
	if (id <= 0 || type == NULL || *t == NULL) {
		log_warnx("digitalocean: DropletAction: bad droplet id %" PRId64
		    " or action type %s", id, type != NULL ? type : "(none)");
		return NULL;
	}
	j = json_pack("{s:s}", "type", type);
	if (snapshot_name != NULL && strcmp(type, "snapshot") == 0)
		json_object_set_new(j, "name", json_string(snapshot_name));
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (body == NULL) {
		log_warnx("digitalocean: DropletAction: the snapshot name is "
		    "not UTF-8");
		return NULL;
	}
	k = do_call_new(c, OP_ACTION, "DropletAction", "POST",
	    xasprintf("%s/v2/droplets/%" PRId64 "/actions", c->base_url, id),
	    body, arg);
	if (k != NULL)
		k->cb.action = cb;
	return k;
}

struct do_call *
do_action_get(struct do_client *c, int64_t id, do_action_cb cb, void *arg)
{
	struct do_call	*k;

	if (id <= 0) {
		log_warnx("digitalocean: GetAction: bad id %" PRId64, id);
		return NULL;
	}
	k = do_call_new(c, OP_GET_ACTION, "GetAction", "GET",
	    xasprintf("%s/v2/actions/%" PRId64, c->base_url, id), NULL, arg);
	if (k != NULL)
		k->cb.action = cb;
	return k;
}

struct do_call *
do_droplet_delete(struct do_client *c, int64_t id, do_delete_cb cb,
    void *arg)
{
	struct do_call	*k;

	if (id <= 0) {
		log_warnx("digitalocean: DeleteDroplet: bad id %" PRId64, id);
		return NULL;
	}
	k = do_call_new(c, OP_DELETE_DROPLET, "DeleteDroplet", "DELETE",
	    xasprintf("%s/v2/droplets/%" PRId64, c->base_url, id), NULL, arg);
	if (k != NULL)
		k->cb.del = cb;
	return k;
}

/* The path and operation names of a resource; NULL if the id is bad. */
static const char *
do_resource_path(enum do_resource r, const char *id, const char **del,
    const char **get)
{
	const char	*p;

	if (id == NULL || *id == '\0' || strlen(id) > 128)
		return NULL;
	for (p = id; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != ':')
			return NULL;
	switch (r) {
	case DO_RES_LOAD_BALANCER:
		*del = "DeleteLoadBalancer";
		*get = "GetLoadBalancer";
		return "load_balancers";
	case DO_RES_FIREWALL:
		*del = "DeleteFirewall";
		*get = "GetFirewall";
		return "firewalls";
	case DO_RES_RESERVED_IP:
		*del = "DeleteReservedIP";
		*get = "GetReservedIP";
		return "reserved_ips";
	}
	return NULL;
}

struct do_call *
do_resource_delete(struct do_client *c, enum do_resource r, const char *id,
    do_delete_cb cb, void *arg)
{
	struct do_call	*k;
	const char	*path, *del = NULL, *get = NULL;

	if ((path = do_resource_path(r, id, &del, &get)) == NULL) {
		log_warnx("digitalocean: delete %s: bad id", do_resource_name(r));
		return NULL;
	}
	k = do_call_new(c, OP_DELETE_RESOURCE, del, "DELETE",
	    xasprintf("%s/v2/%s/%s", c->base_url, path, id), NULL, arg);
	if (k != NULL)
		k->cb.del = cb;
	return k;
}

struct do_call *
do_resource_exists(struct do_client *c, enum do_resource r, const char *id,
    do_exists_cb cb, void *arg)
{
	struct do_call	*k;
	const char	*path, *del = NULL, *get = NULL;

	if ((path = do_resource_path(r, id, &del, &get)) == NULL) {
		log_warnx("digitalocean: get %s: bad id", do_resource_name(r));
		return NULL;
	}
	k = do_call_new(c, OP_GET_RESOURCE, get, "GET",
	    xasprintf("%s/v2/%s/%s", c->base_url, path, id), NULL, arg);
	if (k != NULL)
		k->cb.exists = cb;
	return k;
}

void
do_cancel(struct do_call *k)
{
	if (k != NULL)
		api_call_drop(&k->base);
}

size_t
do_pending(const struct do_client *c)
{
	return api_queue_len(&c->q);
}

void
do_ratelimit_get(const struct do_client *c, struct do_ratelimit *rl)
{
	rl->limit = c->rl_limit;
	rl->remaining = c->rl_remaining;
	rl->reset = c->rl_reset_ms > 0 ? c->rl_reset_ms / 1000 : -1;
}

const struct do_stats *
do_stats(const struct do_client *c)
{
	return &c->st;
}

/* ---- the client ---- */

void
do_set_opts(struct do_client *c, const struct do_opts *o)
{
	c->opts.max_attempts = o->max_attempts > 0 ? o->max_attempts :
	    DO_MAX_ATTEMPTS;
	c->opts.backoff_base_ms = o->backoff_base_ms > 0 ?
	    o->backoff_base_ms : DO_BACKOFF_BASE_MS;
	c->opts.backoff_cap_ms = o->backoff_cap_ms > 0 ? o->backoff_cap_ms :
	    DO_BACKOFF_CAP_MS;
	c->opts.ratelimit_cap_ms = o->ratelimit_cap_ms > 0 ?
	    o->ratelimit_cap_ms : DO_RATELIMIT_CAP_MS;
	c->opts.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms :
	    DO_TIMEOUT_MS;
	c->opts.per_page = o->per_page > 0 && o->per_page <= DO_PER_PAGE ?
	    o->per_page : DO_PER_PAGE;
	free(c->ca_file);
	c->ca_file = xstrdup(o->ca_file);
	c->opts.ca_file = c->ca_file;
}

/* "scheme://host[:port][/path]" without a final '/', or NULL. */
static char *
do_base_url(const char *url)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL, *out = NULL;
	size_t	 len;

	if ((u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
	    strchr(url, '?') == NULL && strchr(url, '#') == NULL) {
		out = xstrdup(url);
		len = strlen(out);
		while (len > 0 && out[len - 1] == '/')
			out[--len] = '\0';
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return out;
}

struct do_client *
do_new(struct event_base *base, struct http *http, const char *base_url,
    const char *token)
{
	struct do_client	*c;
	struct do_opts		 o;

	if (!do_token_ok(token)) {
		log_warnx("digitalocean: the token is empty or holds "
		    "characters a token cannot have");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->http = http;
	c->rl_limit = c->rl_remaining = -1;
	if (api_queue_init(&c->q, base, &do_queue_ops, c) == -1)
		goto fail;
	if ((c->base_url = do_base_url(base_url != NULL ? base_url :
	    DO_DEFAULT_URL)) == NULL) {
		log_warnx("digitalocean: %s: not an http(s) URL", base_url);
		goto fail;
	}
	c->auth = xasprintf("Authorization: Bearer %s", token);
	memset(&o, 0, sizeof(o));
	do_set_opts(c, &o);
	return c;
fail:
	do_destroy(c);
	return NULL;
}

void
do_free(struct do_client *c)
{
	if (c != NULL && api_queue_close(&c->q))
		do_destroy(c);
}
