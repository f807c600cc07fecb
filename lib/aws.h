/*
 * aws: one AWS API call on the event loop, whatever the service's wire
 * protocol: query (form body, XML answer: ELBv2, CloudWatch, STS), JSON
 * 1.1 (X-Amz-Target: ECS) or REST-XML (Route 53). A call is signed with
 * Signature Version 4 using credentials from aws-creds, sent with http,
 * retried on throttling, 5xx and connection errors with capped exponential
 * backoff and full jitter, and answered with either the parsed body or
 * AWS's error code and message. The service clients (elbv2.c, ecs.c,
 * cloudwatch.c, route53.c, sts.c) build requests and read answers on top.
 */
#ifndef AWS_H
#define AWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libxml/tree.h>

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
