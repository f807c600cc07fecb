/*
 * aws: one AWS API call on the event loop, whatever the service's wire
 * protocol: query (form body, XML answer: ELBv2, CloudWatch, STS), JSON
 * 1.1 (X-Amz-Target: ECS) or REST-XML (Route 53). A call is signed with
 * Signature Version 4 using credentials from aws-creds, sent with http,
 * retried on throttling, 5xx and connection errors with capped exponential
 * backoff and full jitter, and answered with either the parsed body or
 * AWS's error code and message. The service clients (elbv2.c, ecs.c,
 * cloudwatch.c, route53.c, sts.c) build requests and read answers on top,
 * each call's context built on one struct aws_op: its lifecycle (send,
 * the next page, deliver, cancel, free) is here, so that a client is its
 * operations and its parsing, and its errors are struct api_err.
 */
#ifndef AWS_H
#define AWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "api.h"

struct event_base;
struct http;
struct aws_creds_src;
struct aws;
struct aws_call;

enum aws_protocol {
	AWS_QUERY,	/* POST form Action=...&Version=..., XML answer */
	AWS_JSON11,	/* POST JSON, X-Amz-Target, JSON answer */
	AWS_RESTXML,	/* method + path, XML body both ways */
};

struct aws_service {
	const char		*name;		/* signing name: "elasticloadbalancing" */
	const char		*endpoint_prefix;	/* host: "elasticloadbalancing" */
	enum aws_protocol	 protocol;
	const char		*version;	/* query: "2015-12-01" */
	const char		*target_prefix;	/* json: "AmazonEC2ContainerServiceV20141113" */
	const char		*json_version;	/* json: "1.1" */
	int			 global;	/* one endpoint, signed in us-east-1 */
	/* REST: a path not starting with '/' is relative to this: "/2013-04-01/" */
	const char		*path_prefix;
};

extern const struct aws_service	aws_elbv2, aws_ecs, aws_cloudwatch, aws_sts,
				aws_route53;

struct aws_opts {
	const char	*region;		/* required */
	/* "elasticloadbalancing=http://127.0.0.1:5000", ... NULL-ended;
	 * how the tests point a service at the local endpoint. */
	const char *const *endpoints;
	const char	*ca_file;		/* NULL: system store */
	int		 max_attempts;		/* 0: 5 */
	int64_t		 backoff_base_ms;	/* 0: 100 */
	int64_t		 backoff_cap_ms;	/* 0: 20000 */
	int64_t		 timeout_ms;		/* per attempt; 0: 10 s */
};

struct aws_result {
	int		 ok;		/* 1: 2xx and parsed */
	int		 status;	/* HTTP status of the last attempt; 0: none */
	const char	*code;		/* AWS's error code ("Throttling"), or
					   a local one ("ConnectionError",
					   "ParseError", "CredentialsError") */
	const char	*message;	/* AWS's message or ours */
	const char	*request_id;
	int		 attempts;
	xmlDoc		*xml;		/* query / REST-XML answer */
	json_t		*json;		/* JSON answer */
	int64_t		 server_time;	/* the answer's Date header, unix s, 0 */
};

/* Called once per call, from the loop; res is freed after it returns. */
typedef void (*aws_cb)(void *arg, const struct aws_result *res);

struct aws	*aws_new(struct event_base *, struct http *,
		    struct aws_creds_src *, const struct aws_opts *);
void		 aws_free(struct aws *);

/* A query call's parameters being built: "Name=value", NULL-ended. */
struct aws_params {
	char	**v;
	size_t	  n, cap;
};
/* Add one (printf-formatted, raw: aws_query encodes); dies on ENOMEM. */
void		 aws_params_add(struct aws_params *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 aws_params_clear(struct aws_params *);

/*
 * Query protocol: params are "Name=value" pairs (values raw; encoded here),
 * NULL-ended; Action and Version are added.
 */
struct aws_call	*aws_query(struct aws *, const struct aws_service *,
		    const char *action, const char *const *params, aws_cb,
		    void *arg);
/* JSON 1.1: body is stolen (NULL: {}). */
struct aws_call	*aws_json(struct aws *, const struct aws_service *,
		    const char *operation, json_t *body, aws_cb, void *arg);
/*
 * REST-XML: body may be NULL. path is sent as given (already encoded), or,
 * without a leading '/', after the service's path_prefix ("hostedzone");
 * query is raw, without '?', or NULL.
 */
struct aws_call	*aws_rest(struct aws *, const struct aws_service *,
		    const char *method, const char *path, const char *query,
		    const char *body, const char *operation, aws_cb,
		    void *arg);
/*
 * Would AWS's answer (HTTP status, code) have been retried: throttling, a
 * 5xx, a 429, a timeout, no answer at all? Callers use it on the final
 * error of a call to tell "AWS is busy" from "AWS said no".
 */
int		 aws_transient(int status, const char *code);
/* Cancel a call; its callback is not called. */
void		 aws_cancel(struct aws_call *);
/*
 * For wrappers that pass a context of their own as arg: release(arg) is
 * called instead of the callback when the call ends without it (aws_cancel,
 * aws_free), so the context can be freed.
 */
void		 aws_call_set_release(struct aws_call *, void (*)(void *));

/* ---- a service client's call ---- */

struct aws_op;

/* What a service client tells lib/aws about its calls: one per client. */
struct aws_op_type {
	const char		*client;	/* for log lines: "elbv2" */
	const struct aws_service *svc;
	size_t			 size;		/* of the client's context */
	/* Query paging: the parameter that asks for the next page
	 * ("Marker") and the answer's element that gives it ("NextMarker"). */
	const char		*page_param;
	const char		*page_answer;
	/*
	 * A 2xx answer: call the client's callback with the result (or an
	 * error, through aws_op_fail) and return 0; or return 1 when the op
	 * goes on with another request (the next page, the next step); or
	 * return -1 with why set when the answer is not of the expected
	 * shape: the error "UnexpectedAnswer" is then delivered.
	 */
	int	(*answer)(struct aws_op *, const struct aws_result *, char *why,
		    size_t len);
	/* Call the client's callback with this error and no result. */
	void	(*fail)(struct aws_op *, const struct api_err *);
	/* Free what the context owns beyond its struct aws_op; NULL: none. */
	void	(*clear)(struct aws_op *);
};

/*
 * The first member of every service client's call context. The context
 * is freed after the client's callback returns, or when the call ends
 * without one (aws_op_cancel, aws_free).
 */
struct aws_op {
	const struct aws_op_type *type;
	struct aws		*aws;
	const char		*name;		/* "DescribeServices" */
	int			 kind;		/* the client's own */
	void			*arg;		/* the client's callback's */
	struct aws_call		*call;		/* in flight; NULL */
	int			 delivering;	/* its callback is running */
	struct aws_params	 params;	/* query: kept for the pages */
	int			 pages;
};

/* A new context of type->size bytes, zeroed, its struct aws_op filled. */
void		*aws_op_new(struct aws *, const struct aws_op_type *,
		    const char *name, int kind, void *arg);
/* Is v given (not NULL, not empty)? If not, say so: "ecs: OP: no WHAT". */
int		 aws_op_arg_ok(const struct aws_op_type *, const char *op,
		    const char *what, const char *v);
void		 aws_op_free(struct aws_op *);
/*
 * Send the op's request: the query parameters in o->params (plus the
 * type's page_param=page when page is not NULL), a JSON 1.1 body (stolen),
 * or a REST-XML request (as aws_rest). 0, or -1 when lib/aws refuses.
 */
int		 aws_op_query(struct aws_op *, const char *page);
int		 aws_op_json(struct aws_op *, json_t *body);
int		 aws_op_rest(struct aws_op *, const char *method,
		    const char *path, const char *query, const char *body);
/* After the first send (rc): o, or NULL, o logged and freed, on -1. */
void		*aws_op_started(struct aws_op *, int rc);
/*
 * Ask for the next page of a query operation (page: the answer's
 * page_answer, NULL when there is none): 1 when it is on its way, 0 when
 * this was the last, -1 when it cannot be asked for (the error is then
 * delivered).
 */
int		 aws_op_next_page(struct aws_op *, const char *page);
/* Deliver an error to the client's callback, through type->fail. */
void		 aws_op_fail(struct aws_op *, const char *code,
		    const char *message, int status);
/*
 * Stop an op; its callback is not called. NULL, or an op whose callback
 * is running, is a no-op.
 */
void		 aws_op_cancel(struct aws_op *);

/* XML helpers for answers: the first element with this local name below
 * node (NULL: the root), depth-first; its text (malloc'd) or NULL. */
xmlNode		*aws_xml_find(xmlDoc *, xmlNode *, const char *name);
char		*aws_xml_text(xmlDoc *, xmlNode *, const char *name);

/*
 * Direct children, the way the service clients walk an answer's shape:
 * the first child element of node with this local name, or NULL; the
 * "member" elements of a list; a node's text, trimmed (malloc'd, "" when
 * empty); the text of a child (malloc'd), or NULL when there is none.
 */
xmlNode		*aws_xml_child(const xmlNode *node, const char *name);
xmlNode		*aws_xml_member(xmlNode *from);	/* from itself included */
#define AWS_XML_MEMBERS(m, list)					\
	for ((m) = aws_xml_member((list) != NULL ? (list)->children : NULL); \
	    (m) != NULL; (m) = aws_xml_member((m)->next))
char		*aws_xml_content(xmlNode *node);
char		*aws_xml_child_text(const xmlNode *node, const char *name);

/* Per-service counters, for metrics: calls, errors, throttles, retries. */
struct aws_stats {
	uint64_t	calls, errors, throttles, retries;
};
const struct aws_stats	*aws_stats(const struct aws *,
			    const struct aws_service *);

#endif
