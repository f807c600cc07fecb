/*
 * aws: one AWS API call on the event loop. A call walks a small cycle:
 * credentials from aws-creds (deferred, shared with other calls), then a
 * signed request through http, then a verdict on the answer: done (parsed
 * body, or AWS's error), or another attempt after a backoff timer with full
 * jitter. The calls live on lib/api's queue: user callbacks run only from
 * its one event_active'd event per struct aws that delivers the finished
 * calls, never from inside aws_* functions or another module's callback;
 * so aws_cancel and aws_free may be called from anywhere, and the call
 * whose callback is running (and the struct, if freed inside it) is freed
 * by the deliverer when the callback returns. Below the calls, the service
 * clients' contexts (struct aws_op): one lifecycle for all of them, from
 * the first send through the pages to the callback or the release hook.
 * No header, body, key or signature is ever logged: one debug line per
 * attempt names the service, the action, the status and the time taken.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "aws-creds.h"
#include "aws-sigv4.h"
#include "aws.h"
#include "http.h"
#include "log.h"
#include "xmalloc.h"

#define AWS_MAX_ATTEMPTS	5
#define AWS_BACKOFF_BASE_MS	100
#define AWS_BACKOFF_CAP_MS	20000
#define AWS_TIMEOUT_MS		10000
#define AWS_MAX_HEADERS		(4 + AWS_SIGV4_MAX_ADD + 1)

const struct aws_service aws_elbv2 = {
	.name = "elasticloadbalancing",
	.endpoint_prefix = "elasticloadbalancing",
	.protocol = AWS_QUERY,
	.version = "2015-12-01",
};

const struct aws_service aws_ecs = {
	.name = "ecs",
	.endpoint_prefix = "ecs",
	.protocol = AWS_JSON11,
	.target_prefix = "AmazonEC2ContainerServiceV20141113",
	.json_version = "1.1",
};

const struct aws_service aws_cloudwatch = {
	.name = "monitoring",
	.endpoint_prefix = "monitoring",
	.protocol = AWS_QUERY,
	.version = "2010-08-01",
};

const struct aws_service aws_sts = {
	.name = "sts",
	.endpoint_prefix = "sts",
	.protocol = AWS_QUERY,
	.version = "2011-06-15",
};

const struct aws_service aws_route53 = {
	.name = "route53",
	.endpoint_prefix = "route53",
	.protocol = AWS_RESTXML,
	.version = "2013-04-01",
	.global = 1,
	.path_prefix = "/2013-04-01/",
};

/* Codes that mean "slow down": retried, and counted as throttles. */
static const char *const aws_throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "RequestLimitExceeded",
	"TooManyRequestsException", "RequestThrottled",
	"PriorRequestNotComplete", "SlowDown", "Rate exceeded",
	"EC2ThrottledException", "BandwidthLimitExceeded",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException", NULL
};
/* Other codes worth another attempt. */
static const char *const aws_transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", NULL
};
/* The credentials went stale: refreshed, and retried once. */
static const char *const aws_expired_codes[] = {
	"ExpiredToken", "ExpiredTokenException", "RequestExpired", NULL
};

enum aws_call_state {
	CALL_CREDS,		/* waiting for credentials */
	CALL_HTTP,		/* a request in flight */
	CALL_SLEEP,		/* backoff timer armed */
};

struct aws_endpoint {
	char	*name;		/* signing name */
	char	*url;		/* scheme://host[:port][/path], no final / */
	char	*host;		/* Host header: host[:port] */
};

struct aws_svc_stats {
	LIST_ENTRY(aws_svc_stats) entry;
	const char		*name;		/* the service's, static */
	struct aws_stats	 st;
};

struct aws_call {
	struct api_call		 base;		/* first: on a->q */
	struct aws		*a;
	const struct aws_service *svc;
	struct aws_stats	*st;
	enum aws_call_state	 state;		/* while live */
	char			*action;	/* for logs and messages */
	char			*method;
	char			*path;		/* as sent */
	char			*query;		/* raw; NULL */
	char			*body;		/* NULL: none */
	size_t			 bodylen;
	const char		*ctype;		/* NULL: no body */
	char			*target;	/* X-Amz-Target value; NULL */
	aws_cb			 cb;
	void			*arg;
	void			(*release)(void *);
	struct http_req		*req;
	struct event		*ev_sleep;
	int			 expired_retried;

	/* The result, built up by the last attempt. */
	struct aws_result	 res;
	char			*code;
	char			*message;
	char			*request_id;
};

struct aws {
	struct event_base	*base;
	struct http		*http;
	struct aws_creds_src	*creds;
	char			*region;
	char			*ca_file;
	int			 max_attempts;
	int64_t			 base_ms, cap_ms, timeout_ms;
	struct aws_endpoint	*eps;
	size_t			 neps;
	struct api_queue	 q;		/* the calls */
	LIST_HEAD(, aws_svc_stats) stats;
};

static void	aws_attempt(struct aws_call *);
static void	aws_http_cb(void *, const struct http_response *);

static int
aws_in(const char *const *list, const char *s)
{
	if (s == NULL)
		return 0;
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* Reset what one attempt left behind, before the next one. */
static void
aws_call_clear_result(struct aws_call *c)
{
	if (c->res.xml != NULL)
		xmlFreeDoc(c->res.xml);
	json_decref(c->res.json);
	free(c->code);
	free(c->message);
	free(c->request_id);
	c->code = c->message = c->request_id = NULL;
	c->res.xml = NULL;
	c->res.json = NULL;
	c->res.ok = 0;
	c->res.status = 0;
	c->res.server_time = 0;
}

static void
aws_call_free(struct aws_call *c)
{
	if (c == NULL)
		return;
	aws_call_clear_result(c);
	if (c->ev_sleep != NULL)
		event_free(c->ev_sleep);
	free(c->action);
	free(c->method);
	free(c->path);
	free(c->query);
	free(c->body);
	free(c->target);
	free(c);
}

static void
aws_call_free_cb(struct api_call *b)
{
	aws_call_free((struct aws_call *)b);
}

/* Dropped without its callback: stop what it waits for; its release hook. */
static void
aws_call_drop_cb(struct api_call *b, int live)
{
	struct aws_call	*c = (struct aws_call *)b;

	if (live) {
		switch (c->state) {
		case CALL_CREDS:
			aws_creds_forget(c->a->creds, c);
			break;
		case CALL_HTTP:
			http_cancel(c->req);
			c->req = NULL;
			break;
		case CALL_SLEEP:
			evtimer_del(c->ev_sleep);
			break;
		}
	}
	if (c->release != NULL)
		c->release(c->arg);
}

static void
aws_call_deliver_cb(struct api_call *b)
{
	struct aws_call	*c = (struct aws_call *)b;

	c->res.code = c->code;
	c->res.message = c->message;
	c->res.request_id = c->request_id;
	c->cb(c->arg, &c->res);
}

static void
aws_destroy(struct aws *a)
{
	struct aws_svc_stats	*s;
	size_t			 i;

	api_queue_clear(&a->q);
	while ((s = LIST_FIRST(&a->stats)) != NULL) {
		LIST_REMOVE(s, entry);
		free(s);
	}
	for (i = 0; i < a->neps; i++) {
		free(a->eps[i].name);
		free(a->eps[i].url);
		free(a->eps[i].host);
	}
	free(a->eps);
	free(a->region);
	free(a->ca_file);
	free(a);
}

static void
aws_destroy_cb(void *owner)
{
	aws_destroy(owner);
}

static const struct api_queue_ops aws_queue_ops = {
	.deliver = aws_call_deliver_cb,
	.drop = aws_call_drop_cb,
	.free = aws_call_free_cb,
	.destroy = aws_destroy_cb,
};

/* The call is over: count it and hand it to the deliverer. */
static void
aws_finish(struct aws_call *c)
{
	if (!c->res.ok)
		c->st->errors++;
	api_call_finish(&c->base);
}

/* End the call with a local error. */
static void
aws_fail(struct aws_call *c, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("aws: vasprintf");
	va_end(ap);
	free(c->code);
	free(c->message);
	c->code = xstrdup(code);
	c->message = msg;
	c->res.ok = 0;
	aws_finish(c);
}

/* The endpoint of svc, override first: its URL and Host header. */
static void
aws_endpoint(struct aws *a, const struct aws_service *svc, char **url,
    char **host)
{
	size_t	i;

	for (i = 0; i < a->neps; i++)
		if (strcmp(a->eps[i].name, svc->name) == 0) {
			*url = xstrdup(a->eps[i].url);
			*host = xstrdup(a->eps[i].host);
			return;
		}
	if (svc->global)
		*host = xasprintf("%s.amazonaws.com", svc->endpoint_prefix);
	else
		*host = xasprintf("%s.%s.amazonaws.com%s",
		    svc->endpoint_prefix, a->region,
		    strncmp(a->region, "cn-", 3) == 0 ? ".cn" : "");
	*url = xasprintf("https://%s", *host);
}

/* Sign and send one attempt with these credentials. */
static void
aws_send(struct aws_call *c, const struct aws_creds *cr)
{
	struct aws		*a = c->a;
	struct aws_sigv4_header	 sh[3];
	struct aws_sigv4_request sr;
	struct aws_sigv4_creds	 sc;
	struct aws_sigv4_signed	 sig;
	struct http_request	 hr;
	const char		*headers[AWS_MAX_HEADERS];
	char			*hdrs[AWS_MAX_HEADERS];
	char			*url = NULL, *base = NULL, *host = NULL;
	size_t			 i, n = 0, nsh = 0;

	aws_endpoint(a, c->svc, &base, &host);
	url = xasprintf("%s%s%s%s", base, c->path,
	    c->query != NULL && c->query[0] != '\0' ? "?" : "",
	    c->query != NULL ? c->query : "");
	sh[nsh].name = "Host";
	sh[nsh++].value = host;
	if (c->ctype != NULL) {
		sh[nsh].name = "Content-Type";
		sh[nsh++].value = c->ctype;
	}
	if (c->target != NULL) {
		sh[nsh].name = "X-Amz-Target";
		sh[nsh++].value = c->target;
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = c->method;
	sr.path = c->path;
	sr.query = c->query;
	sr.headers = sh;
	sr.nheaders = nsh;
	sr.payload = c->body != NULL ? c->body : "";
	sr.payload_len = c->bodylen;
	sr.region = c->svc->global ? "us-east-1" : a->region;
	sr.service = c->svc->name;
	sr.when = time(NULL);
	sc.access_key_id = cr->access_key_id;
	sc.secret_access_key = cr->secret_access_key;
	sc.session_token = cr->session_token;
	if (aws_sigv4_sign(&sr, &sc, &sig) == -1) {
		aws_fail(c, "CredentialsError", "%s: cannot sign the request: "
		    "%s", c->action, strerror(errno));
		goto done;
	}
	for (i = 0; i < nsh; i++)
		hdrs[n++] = xasprintf("%s: %s", sh[i].name, sh[i].value);
	for (i = 0; i < sig.nadd; i++)
		hdrs[n++] = xasprintf("%s: %s", sig.add[i].name,
		    sig.add[i].value);
	aws_sigv4_signed_clear(&sig);
	for (i = 0; i < n; i++)
		headers[i] = hdrs[i];
	headers[n] = NULL;

	memset(&hr, 0, sizeof(hr));
	hr.method = c->method;
	hr.url = url;
	hr.headers = headers;
	hr.body = c->body;
	hr.bodylen = c->bodylen;
	hr.timeout_ms = a->timeout_ms;
	hr.ca_file = a->ca_file;
	c->res.attempts++;
	c->state = CALL_HTTP;
	if ((c->req = http_start(a->http, &hr, aws_http_cb, c)) == NULL) {
		/* Never a passing condition: a bad URL or header. */
		aws_fail(c, "ConnectionError", "%s: cannot start a request to "
		    "%s", c->action, host);
		goto done;
	}
done:
	/* The signature and token are in these: wipe them. */
	for (i = 0; i < n; i++) {
		explicit_bzero(hdrs[i], strlen(hdrs[i]));
		free(hdrs[i]);
	}
	free(url);
	free(base);
	free(host);
}

static void
aws_got_creds(void *arg, const struct aws_creds *cr, const char *err)
{
	struct aws_call	*c = arg;

	if (cr == NULL) {
		aws_fail(c, "CredentialsError", "%s", err != NULL ? err :
		    "no AWS credentials");
		return;
	}
	aws_send(c, cr);
}

/* One attempt: credentials first (always deferred by aws-creds). */
static void
aws_attempt(struct aws_call *c)
{
	c->state = CALL_CREDS;
	aws_creds_get(c->a->creds, aws_got_creds, c);
}

static void
aws_sleep_cb(evutil_socket_t fd, short what, void *arg)
{
	aws_attempt(arg);
}

/* Trim surrounding white space of a libxml string into a copy. */
static char *
aws_trimdup(const char *s)
{
	size_t	len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

xmlNode *
aws_xml_find(xmlDoc *doc, xmlNode *node, const char *name)
{
	xmlNode	*n, *f;

	if (node == NULL) {
		if (doc == NULL || (n = xmlDocGetRootElement(doc)) == NULL)
			return NULL;
		if (strcmp((const char *)n->name, name) == 0)
			return n;
		node = n;
	}
	for (n = node->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, name) == 0)
			return n;
		if ((f = aws_xml_find(doc, n, name)) != NULL)
			return f;
	}
	return NULL;
}

char *
aws_xml_text(xmlDoc *doc, xmlNode *node, const char *name)
{
	xmlNode	*e;
	xmlChar	*t;
	char	*s;

	if ((e = aws_xml_find(doc, node, name)) == NULL ||
	    (t = xmlNodeGetContent(e)) == NULL)
		return NULL;
	s = aws_trimdup((const char *)t);
	xmlFree(t);
	return s;
}

static int
aws_xml_is(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

xmlNode *
aws_xml_child(const xmlNode *node, const char *name)
{
	xmlNode	*c;

	if (node == NULL)
		return NULL;
	for (c = node->children; c != NULL; c = c->next)
		if (aws_xml_is(c, name))
			return c;
	return NULL;
}

xmlNode *
aws_xml_member(xmlNode *c)
{
	for (; c != NULL; c = c->next)
		if (aws_xml_is(c, "member"))
			return c;
	return NULL;
}

char *
aws_xml_content(xmlNode *node)
{
	xmlChar		*t;
	const char	*s, *e;
	char		*d;

	if ((t = xmlNodeGetContent(node)) == NULL)
		return xstrdup("");
	for (s = (const char *)t; *s == ' ' || *s == '\t' || *s == '\n' ||
	    *s == '\r'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' ||
	    e[-1] == '\n' || e[-1] == '\r'); e--)
		;
	d = xstrndup(s, (size_t)(e - s));
	xmlFree(t);
	return d;
}

char *
aws_xml_child_text(const xmlNode *node, const char *name)
{
	xmlNode	*c;

	if ((c = aws_xml_child(node, name)) == NULL)
		return NULL;
	return aws_xml_content(c);
}

static xmlDoc *
aws_xml_parse(const struct http_response *resp)
{
	if (resp->bodylen == 0 || resp->bodylen > INT32_MAX)
		return NULL;
	return xmlReadMemory(resp->body, (int)resp->bodylen, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
}

/* "prefix#Code", "Code:http://internal..." -> "Code". */
static char *
aws_json_code(const char *s)
{
	const char	*p;

	if ((p = strrchr(s, '#')) != NULL)
		s = p + 1;
	return strndup(s, strcspn(s, ":"));
}

/* AWS's error from an answer that is not 2xx, whatever its protocol. */
static void
aws_parse_error(struct aws_call *c, const struct http_response *resp)
{
	xmlDoc		*doc;
	xmlNode		*err;
	json_t		*j;
	const char	*s, *hdr;

	if ((hdr = http_header(resp, "x-amzn-ErrorType")) != NULL &&
	    *hdr != '\0')
		c->code = aws_json_code(hdr);
	if (resp->bodylen > 0 && resp->body[0] == '{') {
		if ((j = json_loadb(resp->body, resp->bodylen, 0, NULL)) !=
		    NULL) {
			if (c->code == NULL &&
			    (((s = json_string_value(json_object_get(j,
			    "__type"))) != NULL) ||
			    (s = json_string_value(json_object_get(j,
			    "code"))) != NULL ||
			    (s = json_string_value(json_object_get(j,
			    "Code"))) != NULL))
				c->code = aws_json_code(s);
			if ((s = json_string_value(json_object_get(j,
			    "message"))) != NULL ||
			    (s = json_string_value(json_object_get(j,
			    "Message"))) != NULL)
				c->message = xstrdup(s);
			json_decref(j);
		}
	} else if ((doc = aws_xml_parse(resp)) != NULL) {
		/* <ErrorResponse><Error><Code/><Message/></Error>
		 * <RequestId/></ErrorResponse>, or a bare <Error>. */
		if ((err = aws_xml_find(doc, NULL, "Error")) != NULL) {
			if (c->code == NULL)
				c->code = aws_xml_text(doc, err, "Code");
			if ((c->message = aws_xml_text(doc, err,
			    "Message")) == NULL)
				c->message = aws_xml_text(doc, err,
				    "message");
		}
		if (c->request_id == NULL)
			c->request_id = aws_xml_text(doc, NULL, "RequestId");
		xmlFreeDoc(doc);
	}
	if (c->code == NULL || c->code[0] == '\0') {
		/* As the SDKs do: the status is the code. */
		free(c->code);
		c->code = xasprintf("%d", resp->status);
	}
	if (c->message == NULL)
		c->message = xasprintf("%s: HTTP %d%s", c->action,
		    resp->status, resp->bodylen == 0 ? "" :
		    " and no AWS error message");
}

/* A 2xx answer: its body parsed, or ParseError. */
static void
aws_parse_ok(struct aws_call *c, const struct http_response *resp)
{
	json_error_t	jerr;

	memset(&jerr, 0, sizeof(jerr));
	if (c->svc->protocol == AWS_JSON11) {
		if (resp->bodylen == 0)
			c->res.json = json_object();
		else
			c->res.json = json_loadb(resp->body, resp->bodylen, 0,
			    &jerr);
		if (c->res.json == NULL) {
			c->code = xstrdup("ParseError");
			c->message = xasprintf("%s: the answer is not JSON "
			    "(line %d: %s)", c->action, jerr.line, jerr.text);
			return;
		}
		c->res.ok = 1;
		return;
	}
	if (resp->bodylen == 0 && c->svc->protocol == AWS_RESTXML) {
		c->res.ok = 1;		/* no body to parse: a 204 */
		return;
	}
	if ((c->res.xml = aws_xml_parse(resp)) == NULL ||
	    xmlDocGetRootElement(c->res.xml) == NULL) {
		c->code = xstrdup("ParseError");
		c->message = xasprintf("%s: the answer is not XML",
		    c->action);
		return;
	}
	if (c->request_id == NULL)
		c->request_id = aws_xml_text(c->res.xml, NULL, "RequestId");
	c->res.ok = 1;
}

static void
aws_http_cb(void *arg, const struct http_response *resp)
{
	struct aws_call	*c = arg;
	struct aws	*a = c->a;
	struct timeval	 tv;
	const char	*s;
	int64_t		 ms;
	int		 retry = 0, now = 0;

	c->req = NULL;
	aws_call_clear_result(c);
	c->res.status = resp->status;
	if (resp->error != 0) {
		c->code = xstrdup("ConnectionError");
		c->message = xasprintf("%s: %s", c->action, resp->message);
		retry = 1;
	} else {
		if ((s = http_header(resp, "Date")) != NULL) {
			time_t	t = curl_getdate(s, NULL);

			if (t > 0)
				c->res.server_time = (int64_t)t;
		}
		if ((s = http_header(resp, "x-amzn-RequestId")) != NULL ||
		    (s = http_header(resp, "x-amz-request-id")) != NULL)
			c->request_id = xstrdup(s);
		if (resp->status >= 200 && resp->status < 300)
			aws_parse_ok(c, resp);
		else {
			aws_parse_error(c, resp);
			if (aws_in(aws_throttle_codes, c->code) ||
			    (c->message != NULL &&
			    strcmp(c->message, "Rate exceeded") == 0)) {
				c->st->throttles++;
				retry = 1;
			} else if (resp->status >= 500 || resp->status == 429 ||
			    aws_in(aws_transient_codes, c->code))
				retry = 1;
			else if (aws_in(aws_expired_codes, c->code) &&
			    !c->expired_retried) {
				c->expired_retried = 1;
				aws_creds_invalidate(a->creds);
				retry = now = 1;
			}
		}
	}
	log_debug("aws: %s %s: %d%s%s (%" PRId64 " ms, attempt %d)",
	    c->svc->name, c->action, resp->status, c->code != NULL ? " " : "",
	    c->code != NULL ? c->code : "", resp->elapsed_us / 1000,
	    c->res.attempts);

	if (!retry || c->res.attempts >= a->max_attempts) {
		aws_finish(c);
		return;
	}
	c->st->retries++;
	ms = now ? 0 : api_backoff_ms(a->base_ms, a->cap_ms,
	    c->res.attempts);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	c->state = CALL_SLEEP;
	if (evtimer_add(c->ev_sleep, &tv) == -1)
		aws_finish(c);
}

void
aws_params_add(struct aws_params *p, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("aws: vasprintf");
	va_end(ap);
	if (p->n + 2 > p->cap) {
		p->cap = p->cap == 0 ? 16 : p->cap * 2;
		p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
	}
	p->v[p->n++] = s;
	p->v[p->n] = NULL;
}

void
aws_params_clear(struct aws_params *p)
{
	xstrv_free(p->v, p->n);
	memset(p, 0, sizeof(*p));
}

int
aws_transient(int status, const char *code)
{
	if (code != NULL && (strcmp(code, "ConnectionError") == 0 ||
	    aws_in(aws_throttle_codes, code) ||
	    aws_in(aws_transient_codes, code)))
		return 1;
	return status >= 500 || status == 429;
}

/* The endpoint overrides: "name=url". */
static int
aws_parse_endpoints(struct aws *a, const char *const *eps)
{
	const char *const	*ep;
	const char		*eq;
	struct aws_endpoint	*e;
	CURLU			*u = NULL;
	char			*scheme = NULL, *host = NULL, *port = NULL;
	char			*path = NULL, *url = NULL;
	size_t			 n = 0, len;
	int			 rc = -1;

	for (ep = eps; ep != NULL && *ep != NULL; ep++)
		n++;
	if (n == 0)
		return 0;
	if ((a->eps = calloc(n, sizeof(*a->eps))) == NULL)
		return -1;
	for (ep = eps; *ep != NULL; ep++) {
		if ((eq = strchr(*ep, '=')) == NULL || eq == *ep) {
			log_warnx("aws: endpoint \"%s\": not NAME=URL", *ep);
			goto done;
		}
		if ((u = curl_url()) == NULL ||
		    curl_url_set(u, CURLUPART_URL, eq + 1, 0) != CURLUE_OK ||
		    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) !=
		    CURLUE_OK ||
		    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		    (strcmp(scheme, "http") != 0 &&
		    strcmp(scheme, "https") != 0)) {
			log_warnx("aws: endpoint for %.*s: not an http(s) URL",
			    (int)(eq - *ep), *ep);
			goto done;
		}
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
			port = NULL;
		if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
			path = NULL;
		e = &a->eps[a->neps++];
		e->name = strndup(*ep, (size_t)(eq - *ep));
		e->host = port != NULL ? xasprintf("%s:%s", host, port) :
		    xstrdup(host);
		url = xasprintf("%s://%s%s", scheme, e->host,
		    path != NULL ? path : "");
		len = strlen(url);
		while (len > 0 && url[len - 1] == '/')
			url[--len] = '\0';
		e->url = url;
		url = NULL;
		if (e->name == NULL)
			goto done;
		curl_free(scheme);
		curl_free(host);
		curl_free(port);
		curl_free(path);
		scheme = host = port = path = NULL;
		curl_url_cleanup(u);
		u = NULL;
	}
	rc = 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

struct aws *
aws_new(struct event_base *base, struct http *http,
    struct aws_creds_src *creds, const struct aws_opts *opts)
{
	struct aws	*a;
	const char	*p;

	if (opts == NULL || opts->region == NULL || opts->region[0] == '\0') {
		log_warnx("aws: no region");
		return NULL;
	}
	/* It becomes part of a host name. */
	for (p = opts->region; *p != '\0'; p++)
		if (!islower((unsigned char)*p) &&
		    !isdigit((unsigned char)*p) && *p != '-') {
			log_warnx("aws: region \"%s\": not a region name",
			    opts->region);
			return NULL;
		}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->base = base;
	a->http = http;
	a->creds = creds;
	LIST_INIT(&a->stats);
	a->region = xstrdup(opts->region);
	a->ca_file = xstrdup(opts->ca_file);
	a->max_attempts = opts->max_attempts > 0 ? opts->max_attempts :
	    AWS_MAX_ATTEMPTS;
	a->base_ms = opts->backoff_base_ms > 0 ? opts->backoff_base_ms :
	    AWS_BACKOFF_BASE_MS;
	a->cap_ms = opts->backoff_cap_ms > 0 ? opts->backoff_cap_ms :
	    AWS_BACKOFF_CAP_MS;
	a->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms :
	    AWS_TIMEOUT_MS;
	if (api_queue_init(&a->q, base, &aws_queue_ops, a) == -1 ||
	    aws_parse_endpoints(a, opts->endpoints) == -1)
		goto fail;
	xmlInitParser();
	return a;
fail:
	aws_destroy(a);
	return NULL;
}

void
aws_free(struct aws *a)
{
	if (a != NULL && api_queue_close(&a->q))
		aws_destroy(a);
}

static struct aws_stats *
aws_stats_get(struct aws *a, const struct aws_service *svc)
{
	struct aws_svc_stats	*s;

	LIST_FOREACH(s, &a->stats, entry)
		if (strcmp(s->name, svc->name) == 0)
			return &s->st;
	s = xcalloc(1, sizeof(*s));
	s->name = svc->name;
	LIST_INSERT_HEAD(&a->stats, s, entry);
	return &s->st;
}

const struct aws_stats *
aws_stats(const struct aws *a, const struct aws_service *svc)
{
	static const struct aws_stats	 none;
	const struct aws_svc_stats	*s;

	LIST_FOREACH(s, &a->stats, entry)
		if (strcmp(s->name, svc->name) == 0)
			return &s->st;
	return &none;
}

/* A new call, not yet started. */
static struct aws_call *
aws_call_new(struct aws *a, const struct aws_service *svc, const char *action,
    aws_cb cb, void *arg)
{
	struct aws_call	*c;

	if (a->q.dying || svc == NULL || action == NULL || cb == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	if ((c->ev_sleep = evtimer_new(a->base, aws_sleep_cb, c)) == NULL) {
		free(c);
		return NULL;
	}
	c->a = a;
	c->svc = svc;
	c->action = xstrdup(action);
	c->cb = cb;
	c->arg = arg;
	return c;
}

static struct aws_call *
aws_call_start(struct aws_call *c)
{
	struct aws	*a = c->a;

	c->st = aws_stats_get(a, c->svc);
	c->st->calls++;
	api_call_add(&a->q, &c->base);
	aws_attempt(c);
	return c;
}

/* Append "&name=value", both encoded, to the body. */
static void
aws_form_add(char **body, const char *name, size_t namelen, const char *value)
{
	size_t	 vlen = strlen(value);
	size_t	 nn = namelen * 3 + 1, vn = vlen * 3 + 1;
	char	*en, *ev, *s;

	en = xmalloc(nn);
	ev = xmalloc(vn);
	aws_sigv4_uri_encode(en, nn, name, namelen, 1);
	aws_sigv4_uri_encode(ev, vn, value, vlen, 1);
	s = xasprintf("%s%s%s=%s", *body != NULL ? *body : "",
	    *body != NULL ? "&" : "", en, ev);
	free(en);
	free(ev);
	free(*body);
	*body = s;
}

struct aws_call *
aws_query(struct aws *a, const struct aws_service *svc, const char *action,
    const char *const *params, aws_cb cb, void *arg)
{
	struct aws_call		*c;
	const char *const	*pp;
	const char		*eq;

	if (svc == NULL || svc->protocol != AWS_QUERY ||
	    (c = aws_call_new(a, svc, action, cb, arg)) == NULL)
		return NULL;
	c->method = xstrdup("POST");
	c->path = xstrdup("/");
	c->ctype = "application/x-www-form-urlencoded; charset=utf-8";
	aws_form_add(&c->body, "Action", 6, action);
	aws_form_add(&c->body, "Version", 7, svc->version);
	for (pp = params; pp != NULL && *pp != NULL; pp++) {
		if ((eq = strchr(*pp, '=')) != NULL)
			aws_form_add(&c->body, *pp, (size_t)(eq - *pp),
			    eq + 1);
		else
			aws_form_add(&c->body, *pp, strlen(*pp), "");
	}
	c->bodylen = strlen(c->body);
	return aws_call_start(c);
}

struct aws_call *
aws_json(struct aws *a, const struct aws_service *svc, const char *operation,
    json_t *body, aws_cb cb, void *arg)
{
	struct aws_call	*c;

	if (svc == NULL || svc->protocol != AWS_JSON11 ||
	    (c = aws_call_new(a, svc, operation, cb, arg)) == NULL) {
		json_decref(body);
		return NULL;
	}
	c->method = xstrdup("POST");
	c->path = xstrdup("/");
	c->ctype = svc->json_version != NULL &&
	    strcmp(svc->json_version, "1.0") == 0 ?
	    "application/x-amz-json-1.0" : "application/x-amz-json-1.1";
	c->target = xasprintf("%s.%s", svc->target_prefix, operation);
	if (body == NULL)
		c->body = xstrdup("{}");
	else if ((c->body = json_dumps(body, JSON_COMPACT)) == NULL)
		fatal("aws: json_dumps");
	json_decref(body);
	c->bodylen = strlen(c->body);
	return aws_call_start(c);
}

struct aws_call *
aws_rest(struct aws *a, const struct aws_service *svc, const char *method,
    const char *path, const char *query, const char *body,
    const char *operation, aws_cb cb, void *arg)
{
	struct aws_call	*c;

	if (svc == NULL || svc->protocol != AWS_RESTXML || method == NULL ||
	    path == NULL ||
	    (c = aws_call_new(a, svc, operation, cb, arg)) == NULL)
		return NULL;
	c->method = xstrdup(method);
	if (path[0] == '/' || svc->path_prefix == NULL)
		c->path = xasprintf("%s%s", path[0] == '/' ? "" : "/",
		    path);
	else
		c->path = xasprintf("%s%s", svc->path_prefix, path);
	c->query = xstrdup(query);
	if (body != NULL) {
		c->body = xstrdup(body);
		c->bodylen = strlen(body);
		c->ctype = "application/xml";
	}
	return aws_call_start(c);
}

void
aws_cancel(struct aws_call *c)
{
	if (c != NULL)
		api_call_drop(&c->base);
}

void
aws_call_set_release(struct aws_call *c, void (*release)(void *))
{
	if (c != NULL)
		c->release = release;
}

/* ---- a service client's call ---- */

/* More pages than this is a loop on a bad marker, not a big answer. */
#define AWS_OP_MAX_PAGES	100

void *
aws_op_new(struct aws *a, const struct aws_op_type *type, const char *name,
    int kind, void *arg)
{
	struct aws_op	*o;

	o = xcalloc(1, type->size);
	o->type = type;
	o->aws = a;
	o->name = name;
	o->kind = kind;
	o->arg = arg;
	return o;
}

int
aws_op_arg_ok(const struct aws_op_type *type, const char *op,
    const char *what, const char *v)
{
	if (v == NULL || v[0] == '\0') {
		log_warnx("%s: %s: no %s", type->client, op, what);
		return 0;
	}
	return 1;
}

void
aws_op_free(struct aws_op *o)
{
	if (o == NULL)
		return;
	if (o->type->clear != NULL)
		o->type->clear(o);
	aws_params_clear(&o->params);
	free(o);
}

static void
aws_op_release(void *arg)
{
	aws_op_free(arg);
}

void
aws_op_fail(struct aws_op *o, const char *code, const char *message,
    int status)
{
	struct api_err	 e;
	char		*text;

	text = api_err_set(&e, o->name, code, message, status);
	o->type->fail(o, &e);
	free(text);
}

static void
aws_op_done(void *arg, const struct aws_result *res)
{
	struct aws_op	*o = arg;
	char		 why[256];
	int		 rc;

	o->call = NULL;
	o->delivering = 1;
	why[0] = '\0';
	if (!res->ok)
		aws_op_fail(o, res->code, res->message, res->status);
	else if ((rc = o->type->answer(o, res, why, sizeof(why))) == 1) {
		o->delivering = 0;
		return;		/* o goes on */
	} else if (rc == -1) {
		log_debug("%s: %s: unexpected answer: %s", o->type->client,
		    o->name, why);
		aws_op_fail(o, "UnexpectedAnswer", why, res->status);
	}
	aws_op_free(o);
}

/* The call just made (NULL: refused) becomes the op's. */
static int
aws_op_sent(struct aws_op *o, struct aws_call *c)
{
	if ((o->call = c) == NULL)
		return -1;
	aws_call_set_release(c, aws_op_release);
	return 0;
}

int
aws_op_query(struct aws_op *o, const char *page)
{
	struct aws_params	 p;
	struct aws_call		*c;
	size_t			 i;

	memset(&p, 0, sizeof(p));
	for (i = 0; i < o->params.n; i++)
		aws_params_add(&p, "%s", o->params.v[i]);
	if (page != NULL)
		aws_params_add(&p, "%s=%s", o->type->page_param, page);
	c = aws_query(o->aws, o->type->svc, o->name, (const char *const *)p.v,
	    aws_op_done, o);
	aws_params_clear(&p);
	return aws_op_sent(o, c);
}

int
aws_op_json(struct aws_op *o, json_t *body)
{
	return aws_op_sent(o, aws_json(o->aws, o->type->svc, o->name, body,
	    aws_op_done, o));
}

int
aws_op_rest(struct aws_op *o, const char *method, const char *path,
    const char *query, const char *body)
{
	return aws_op_sent(o, aws_rest(o->aws, o->type->svc, method, path,
	    query, body, o->name, aws_op_done, o));
}

void *
aws_op_started(struct aws_op *o, int rc)
{
	if (rc == -1) {
		log_warnx("%s: %s: cannot start the call", o->type->client,
		    o->name);
		aws_op_free(o);
		return NULL;
	}
	return o;
}

int
aws_op_next_page(struct aws_op *o, const char *page)
{
	char	*msg;

	if (page == NULL)
		return 0;
	if (++o->pages >= AWS_OP_MAX_PAGES) {
		msg = xasprintf("too many pages: the %s does not end",
		    o->type->page_answer);
		aws_op_fail(o, "UnexpectedAnswer", msg, 0);
		free(msg);
		return -1;
	}
	if (aws_op_query(o, page) == -1) {
		aws_op_fail(o, "LocalError", "cannot ask for the next page",
		    0);
		return -1;
	}
	return 1;
}

void
aws_op_cancel(struct aws_op *o)
{
	if (o == NULL || o->delivering)
		return;
	/* The release hook frees o. */
	aws_cancel(o->call);
}
