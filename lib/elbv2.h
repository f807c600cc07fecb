/*
 * elbv2: the Elastic Load Balancing v2 calls the daemon makes, over
 * lib/aws's query protocol (Version 2015-12-01): read and set the weighted
 * forward action of an ALB listener (how users move from the droplets to
 * ECS), describe target groups and their targets' health, register and
 * deregister targets, and manage the listener rules that route chosen
 * requests ("Method B"). Every call is asynchronous and ends in one typed
 * callback: a result, or an error naming the operation ("DescribeListeners:
 * ListenerNotFound: ..."). An answer of an unexpected shape is such an
 * error (code "UnexpectedAnswer"), never a crash. Requests that AWS would
 * refuse (a weight above 999, more than 5 target groups) are refused here,
 * before anything is sent. The parsers are exported (elbv2_parse_*) so that
 * recorded answers can be read without a network.
 *
 * Ownership: results and errors handed to a callback belong to this module
 * and are freed when the callback returns; copy what you keep. Results from
 * elbv2_parse_* belong to the caller (the matching *_free; NULL is a no-op).
 */
#ifndef ELBV2_H
#define ELBV2_H

#include <stddef.h>

#include <libxml/tree.h>

#include "api.h"

struct aws;
struct elbv2_call;

/* AWS's limits on a forward action. */
#define ELBV2_MAX_FORWARD_TGS	5
#define ELBV2_MAX_WEIGHT	999
#define ELBV2_MAX_STICKY_S	604800		/* 7 days */
#define ELBV2_MIN_PRIORITY	1
#define ELBV2_MAX_PRIORITY	50000
#define ELBV2_MAX_COND_VALUES	5		/* per rule, all conditions */

/*
 * A call that fails hands its callback a struct api_err (lib/api.h), valid
 * only during the callback. Its code is AWS's code ("ListenerNotFound",
 * "Throttling"), lib/aws's local one ("ConnectionError", "ParseError",
 * "CredentialsError"), or "UnexpectedAnswer" when the XML lacks what the
 * operation returns.
 */

/* ---- forward actions ---- */

/* One target group of a forward action, as sent (caller's strings). */
struct elbv2_weight {
	const char	*tg_arn;
	int		 weight;	/* 0..999 */
};

/* TargetGroupStickinessConfig of a forward action. */
struct elbv2_stickiness {
	int		 enabled;
	int		 duration_seconds;	/* 0: absent from the answer */
};

/* One target group of a forward action, as read. */
struct elbv2_fwd_tg {
	char		*tg_arn;
	int		 weight;	/* 1 when AWS gives none (plain forward) */
};

struct elbv2_forward {
	struct elbv2_fwd_tg	*tgs;
	size_t			 ntgs;
	struct elbv2_stickiness	 stickiness;	/* 0/0 when absent */
};

struct elbv2_listener {
	char			*arn;
	char			*lb_arn;
	char			*protocol;	/* "HTTP", "HTTPS" */
	int			 port;
	/*
	 * Default actions: all of them are replaced by elbv2_set_weights(),
	 * so a listener with more than one (authenticate-oidc, then forward)
	 * must not be shifted with it.
	 */
	size_t			 nactions;
	char			*action_type;	/* the forward one, else the last */
	int			 is_forward;
	/* Only when is_forward: ForwardConfig.TargetGroups, or
	 * {TargetGroupArn, 1} for a plain forward. */
	struct elbv2_forward	 forward;
};

/* ---- target groups and targets ---- */

struct elbv2_target_group {
	char		*arn;
	char		*name;
	char		*target_type;	/* "ip", "instance", "lambda", "alb" */
	char		*protocol;	/* NULL for lambda */
	int		 port;		/* 0: none */
	char		*vpc_id;	/* NULL for lambda */
	char		**lb_arns;
	size_t		 nlb_arns;
};

struct elbv2_target_groups {
	struct elbv2_target_group	*v;
	size_t				 n;
};

/* A target to register, deregister or ask about (caller's strings). */
struct elbv2_target {
	const char	*id;		/* IP address or instance id */
	int		 port;		/* 0: the target group's port */
};

enum elbv2_target_state {
	ELBV2_TS_OTHER = 0,		/* a state this code does not know */
	ELBV2_TS_INITIAL,
	ELBV2_TS_HEALTHY,
	ELBV2_TS_UNHEALTHY,
	ELBV2_TS_UNHEALTHY_DRAINING,
	ELBV2_TS_UNUSED,
	ELBV2_TS_DRAINING,
	ELBV2_TS_UNAVAILABLE,
};

struct elbv2_target_health {
	char			*id;
	int			 port;		/* 0: none given */
	char			*az;		/* NULL: none given */
	char			*health_check_port;	/* "traffic-port", NULL */
	char			*state;		/* as AWS wrote it */
	enum elbv2_target_state	 st;
	char			*reason;	/* "Target.FailedHealthChecks", NULL */
	char			*description;	/* NULL: none given */
};

struct elbv2_target_healths {
	struct elbv2_target_health	*v;
	size_t				 n;
};

/* ---- listener rules ---- */

struct elbv2_condition {
	char		*field;		/* "path-pattern", "http-header"... */
	char		*header_name;	/* http-header only */
	/* The *Config's values (query-string: "key=value" or "value"), or
	 * the legacy Values when there is no config. */
	char		**values;
	size_t		 nvalues;
};

struct elbv2_rule {
	char			*arn;
	char			*priority;	/* "default" or "10" */
	int			 prio;		/* 0 for the default rule */
	int			 is_default;
	struct elbv2_condition	*conds;
	size_t			 nconds;
	size_t			 nactions;
	char			*action_type;	/* the forward one, else the last */
	int			 is_forward;
	struct elbv2_forward	 forward;	/* only when is_forward */
};

struct elbv2_rules {
	struct elbv2_rule	*v;
	size_t			 n;
};

/*
 * A rule to create or to put in place of an existing one's conditions and
 * actions (the caller's memory, read before the call returns). At least
 * one condition; at most ELBV2_MAX_COND_VALUES values in all.
 */
struct elbv2_rule_spec {
	int				 priority;	/* create: 1..50000 */
	const char *const		*path_patterns;
	size_t				 npath_patterns;
	const char			*header_name;	/* NULL: none */
	const char *const		*header_values;
	size_t				 nheader_values;
	const struct elbv2_weight	*forward;	/* 1..5 target groups */
	size_t				 nforward;
	const struct elbv2_stickiness	*stickiness;	/* NULL: not sent */
};

/* ---- callbacks: exactly one of result and err is not NULL ---- */

typedef void (*elbv2_listener_cb)(void *arg, const struct elbv2_listener *,
    const struct api_err *);
typedef void (*elbv2_target_groups_cb)(void *arg,
    const struct elbv2_target_groups *, const struct api_err *);
typedef void (*elbv2_target_health_cb)(void *arg,
    const struct elbv2_target_healths *, const struct api_err *);
typedef void (*elbv2_rules_cb)(void *arg, const struct elbv2_rules *,
    const struct api_err *);
typedef void (*elbv2_rule_cb)(void *arg, const struct elbv2_rule *,
    const struct api_err *);
/* err NULL: done. */
typedef void (*elbv2_done_cb)(void *arg, const struct api_err *);

/*
 * Every call below copies its arguments and returns a handle for
 * elbv2_cancel(), or NULL when it cannot start: arguments refused (logged
 * with the reason; the *_check functions give it to the caller first) or
 * lib/aws refusing the call. The callback is then not called. Each
 * callback is called once, from the loop.
 */

/* DescribeListeners for one listener: its default action. */
struct elbv2_call	*elbv2_describe_listener(struct aws *,
			    const char *listener_arn, elbv2_listener_cb,
			    void *arg);

/*
 * ModifyListener: the default actions become one forward to these target
 * groups with these weights, and this stickiness (NULL: none sent, which
 * AWS takes as disabled; pass what elbv2_describe_listener read to keep
 * it). The callback gets the listener as ModifyListener answers it;
 * callers read it back with elbv2_describe_listener() and compare with
 * elbv2_forward_equal() to see that nobody else changed it.
 */
struct elbv2_call	*elbv2_set_weights(struct aws *,
			    const char *listener_arn,
			    const struct elbv2_weight *, size_t n,
			    const struct elbv2_stickiness *,
			    elbv2_listener_cb, void *arg);

/* DescribeTargetGroups for these ARNs (n == 0: every one), all pages. */
struct elbv2_call	*elbv2_describe_target_groups(struct aws *,
			    const char *const *arns, size_t n,
			    elbv2_target_groups_cb, void *arg);

/*
 * DescribeTargetHealth: every registered target (n == 0) or these ones
 * (a deregistered target is then reported, as "unused" or "draining").
 */
struct elbv2_call	*elbv2_describe_target_health(struct aws *,
			    const char *tg_arn, const struct elbv2_target *,
			    size_t n, elbv2_target_health_cb, void *arg);

/* RegisterTargets / DeregisterTargets: n >= 1. */
struct elbv2_call	*elbv2_register_targets(struct aws *,
			    const char *tg_arn, const struct elbv2_target *,
			    size_t n, elbv2_done_cb, void *arg);
struct elbv2_call	*elbv2_deregister_targets(struct aws *,
			    const char *tg_arn, const struct elbv2_target *,
			    size_t n, elbv2_done_cb, void *arg);

/*
 * DeleteTargetGroup. AWS refuses it (ResourceInUse) while a listener or
 * rule forwards to the group; a group already gone is TargetGroupNotFound.
 */
struct elbv2_call	*elbv2_delete_target_group(struct aws *,
			    const char *tg_arn, elbv2_done_cb, void *arg);

/* DescribeRules of a listener, the default rule included, all pages. */
struct elbv2_call	*elbv2_describe_rules(struct aws *,
			    const char *listener_arn, elbv2_rules_cb,
			    void *arg);
/* CreateRule; the callback gets the new rule (its ARN). */
struct elbv2_call	*elbv2_create_rule(struct aws *,
			    const char *listener_arn,
			    const struct elbv2_rule_spec *, elbv2_rule_cb,
			    void *arg);
/* ModifyRule: conditions and actions replaced; spec->priority ignored. */
struct elbv2_call	*elbv2_modify_rule(struct aws *, const char *rule_arn,
			    const struct elbv2_rule_spec *, elbv2_rule_cb,
			    void *arg);
/* DeleteRule. */
struct elbv2_call	*elbv2_delete_rule(struct aws *, const char *rule_arn,
			    elbv2_done_cb, void *arg);

/*
 * Stop a call; its callback is not called. NULL, or a call whose callback
 * is running, is a no-op. A call is freed once its callback returns, and
 * by aws_free() without its callback.
 */
void		 elbv2_cancel(struct elbv2_call *);

/* ---- checks and helpers, no I/O ---- */

/*
 * Would AWS take this forward action? 1..5 distinct non-empty target
 * groups, weights 0..999 and not all 0 (that would send every user an
 * error), stickiness duration 1..604800 s when enabled. 0, or -1 with
 * the reason in why.
 */
int		 elbv2_forward_check(const struct elbv2_weight *, size_t n,
		    const struct elbv2_stickiness *, char *why, size_t len);
/* The same for a rule; create: priority checked too. */
int		 elbv2_rule_spec_check(const struct elbv2_rule_spec *,
		    int create, char *why, size_t len);

/*
 * Is the forward action read back exactly what was set: the same target
 * groups (in any order) with the same weights, and, unless stickiness is
 * NULL, the same stickiness? 1, or 0 with the first difference in why.
 */
int		 elbv2_forward_equal(const struct elbv2_forward *,
		    const struct elbv2_weight *, size_t n,
		    const struct elbv2_stickiness *, char *why, size_t len);

/* The weight of a target group in a forward action; -1: not in it. */
int		 elbv2_forward_weight(const struct elbv2_forward *,
		    const char *tg_arn);

/*
 * The lowest priority in lo..hi that no rule has, or -1 when all are
 * taken (or the range is not within 1..50000).
 */
int		 elbv2_rules_free_priority(const struct elbv2_rules *,
		    int lo, int hi);

/* "healthy" -> ELBV2_TS_HEALTHY; anything unknown -> ELBV2_TS_OTHER. */
enum elbv2_target_state	 elbv2_target_state_parse(const char *);
const char		*elbv2_target_state_name(enum elbv2_target_state);

/* ---- parsers of whole answers (the tests feed recorded XML) ---- */

/*
 * The first listener of a DescribeListeners or ModifyListener answer; the
 * target groups of a DescribeTargetGroups answer; the targets of a
 * DescribeTargetHealth answer; the rules of a DescribeRules, CreateRule or
 * ModifyRule answer. NULL, with what is wrong in why, when the answer
 * lacks what it must hold. *next_marker (may be NULL) gets NextMarker,
 * malloc'd, or NULL on the last page.
 */
struct elbv2_listener		*elbv2_parse_listener(xmlDoc *, char *why,
				    size_t len);
struct elbv2_target_groups	*elbv2_parse_target_groups(xmlDoc *,
				    char **next_marker, char *why, size_t len);
struct elbv2_target_healths	*elbv2_parse_target_health(xmlDoc *,
				    char *why, size_t len);
struct elbv2_rules		*elbv2_parse_rules(xmlDoc *,
				    char **next_marker, char *why, size_t len);

void	elbv2_listener_free(struct elbv2_listener *);
void	elbv2_target_groups_free(struct elbv2_target_groups *);
void	elbv2_target_healths_free(struct elbv2_target_healths *);
void	elbv2_rules_free(struct elbv2_rules *);

#endif /* ELBV2_H */
