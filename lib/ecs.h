/*
 * ecs: the Amazon ECS calls the daemon makes, over lib/aws's JSON 1.1
 * protocol (X-Amz-Target AmazonEC2ContainerServiceV20141113.*): describe
 * a service (its counts, deployments and rollout states, deployment
 * controller and strategy, load balancers, latest events), set its
 * desired count (the shadow phase), and the `ecs-env` writer switch: copy
 * a task definition with one environment variable set in one container
 * or all of them, register it as a new revision and point the service at
 * it with a new deployment. Every call is asynchronous and ends in one
 * typed callback: a result, or an error naming the operation
 * ("DescribeServices: MISSING: arn:..."). A service that DescribeServices
 * lists under failures[] is such an error, never an empty success; an
 * answer of an unexpected shape is one too (code "UnexpectedAnswer"),
 * never a crash. The parsers and the request builder are exported
 * (ecs_parse_*, ecs_register_body) so that recorded answers can be read
 * without a network.
 *
 * Ownership: results and errors handed to a callback belong to this module
 * and are freed when the callback returns; copy what you keep. Results from
 * ecs_parse_* belong to the caller (the matching *_free; NULL is a no-op).
 */
#ifndef ECS_H
#define ECS_H

#include <stddef.h>

#include <jansson.h>

#include "api.h"

struct aws;
struct ecs_call;

/* The newest service events kept by ecs_parse_service(). */
#define ECS_MAX_EVENTS	5

/*
 * A call that fails hands its callback a struct api_err (lib/api.h), valid
 * only during the callback. Its code is AWS's code
 * ("ClusterNotFoundException", "ThrottlingException"), the reason of a
 * DescribeServices failure ("MISSING"), lib/aws's local one
 * ("ConnectionError", "ParseError", "CredentialsError"),
 * "UnexpectedAnswer" when the JSON lacks what the operation returns, or,
 * from ecs_register_with_env(), "ContainerNotFound" and "SecretConflict"
 * (see ecs_register_body()).
 */

/* deploymentController.type */
enum ecs_controller {
	ECS_CTRL_NONE = 0,		/* absent: ECS's default, rolling */
	ECS_CTRL_ECS,
	ECS_CTRL_CODE_DEPLOY,
	ECS_CTRL_EXTERNAL,
	ECS_CTRL_OTHER,			/* a type this code does not know */
};

/* A deployment's rolloutState. */
enum ecs_rollout {
	ECS_RO_NONE = 0,		/* absent (circuit breaker off, old) */
	ECS_RO_COMPLETED,
	ECS_RO_IN_PROGRESS,
	ECS_RO_FAILED,
	ECS_RO_OTHER,
};

struct ecs_deployment {
	char			*id;		/* "ecs-svc/9223370..." */
	char			*status;	/* PRIMARY, ACTIVE, INACTIVE */
	int			 primary;	/* status is PRIMARY */
	char			*task_definition;	/* NULL: none given */
	int			 desired, running, pending, failed_tasks;
	char			*rollout_state;	/* as AWS wrote it; NULL */
	enum ecs_rollout	 rollout;
	char			*rollout_state_reason;	/* NULL: none */
};

struct ecs_load_balancer {
	char	*target_group_arn;	/* NULL for a Classic LB */
	char	*load_balancer_name;	/* Classic LB only; NULL */
	char	*container_name;
	int	 container_port;	/* 0: none given */
};

struct ecs_event {
	char	*id;			/* NULL: none given */
	double	 created_at;		/* unix seconds; 0: none given */
	char	*message;
};

struct ecs_service {
	char			*arn;
	char			*name;		/* NULL: none given */
	char			*cluster_arn;	/* NULL: none given */
	char			*status;	/* ACTIVE, DRAINING, INACTIVE */
	int			 desired_count, running_count, pending_count;
	char			*task_definition;	/* NULL: none given */
	char			*controller;	/* as AWS wrote it; NULL */
	enum ecs_controller	 ctrl;
	/* deploymentConfiguration.strategy: ROLLING, BLUE_GREEN, LINEAR,
	 * CANARY; NULL when absent (rolling). */
	char			*strategy;
	struct ecs_deployment	*deployments;
	size_t			 ndeployments;
	struct ecs_load_balancer *lbs;
	size_t			 nlbs;
	/* The newest ECS_MAX_EVENTS at most, newest first, as AWS lists. */
	struct ecs_event	*events;
	size_t			 nevents;
};

struct ecs_task_def {
	char	 *arn;
	char	 *family;
	int	  revision;
	char	 *status;		/* ACTIVE, INACTIVE; NULL: none */
	char	**containers;		/* containerDefinitions[].name */
	size_t	  ncontainers;
	json_t	 *json;			/* the taskDefinition object */
	json_t	 *tags;			/* the answer's tags[]; NULL: none */
};

/* ---- callbacks: exactly one of result and err is not NULL ---- */

typedef void (*ecs_service_cb)(void *arg, const struct ecs_service *,
    const struct api_err *);
typedef void (*ecs_task_def_cb)(void *arg, const struct ecs_task_def *,
    const struct api_err *);

/*
 * Every call below copies its arguments and returns a handle for
 * ecs_cancel(), or NULL when it cannot start: arguments refused (logged
 * with the reason) or lib/aws refusing the call. The callback is then not
 * called. Each callback is called once, from the loop. cluster and
 * service are names or ARNs.
 */

/*
 * DescribeServices for one service. A service that ECS does not find is
 * the error "DescribeServices: MISSING: <arn>" (code: the failure's
 * reason); a missing cluster is AWS's ClusterNotFoundException. A
 * service deleted not long ago is still listed, status INACTIVE: callers
 * that need it running check that status is ACTIVE.
 */
struct ecs_call	*ecs_describe_service(struct aws *, const char *cluster,
		    const char *service, ecs_service_cb, void *arg);

/* UpdateService desiredCount (>= 0); the callback gets the service as
 * UpdateService answers it. */
struct ecs_call	*ecs_update_desired(struct aws *, const char *cluster,
		    const char *service, int count, ecs_service_cb,
		    void *arg);

/*
 * UpdateService taskDefinition (family:revision or ARN), with
 * forceNewDeployment when force is not 0; the callback gets the service
 * as UpdateService answers it. ECS starts a new deployment; watch it with
 * ecs_describe_service() and ecs_deployment_complete().
 */
struct ecs_call	*ecs_update_service_task_definition(struct aws *,
		    const char *cluster, const char *service,
		    const char *task_definition, int force, ecs_service_cb,
		    void *arg);

/* DescribeTaskDefinition (family, family:revision or ARN), its tags
 * included. */
struct ecs_call	*ecs_describe_task_definition(struct aws *,
		    const char *task_definition, ecs_task_def_cb, void *arg);

/*
 * The `ecs-env` writer switch, first half: DescribeTaskDefinition, then
 * RegisterTaskDefinition of a copy (see ecs_register_body()) with the
 * environment variable name=value set in container (NULL: in every
 * container). The callback gets the new revision; an error names the
 * step that failed. Not idempotent: each call registers a revision, so a
 * caller that may repeat it (after a restart) reads the service's task
 * definition first and compares with ecs_task_def_env().
 */
struct ecs_call	*ecs_register_with_env(struct aws *,
		    const char *task_definition, const char *container,
		    const char *name, const char *value, ecs_task_def_cb,
		    void *arg);

/*
 * Stop a call; its callback is not called. NULL, or a call whose callback
 * is running, is a no-op. A call is freed once its callback returns, and
 * by aws_free() without its callback.
 */
void		 ecs_cancel(struct ecs_call *);

/* ---- helpers, no I/O ---- */

/* The PRIMARY deployment, or NULL. */
const struct ecs_deployment	*ecs_primary_deployment(
				    const struct ecs_service *);

/*
 * Is the service's deployment complete: exactly one deployment, PRIMARY,
 * rolloutState COMPLETED, or, when the rollout state is absent, running ==
 * desired in that deployment? 1, or 0 with what is still going on (or
 * the failure) in why. This says nothing about scaling: a desiredCount
 * change does not start a deployment, so callers waiting for a count
 * compare running_count with desired_count too.
 */
int		 ecs_deployment_complete(const struct ecs_service *,
		    char *why, size_t len);

/*
 * Has a deployment of this task definition (NULL: any) rolled out to
 * FAILED? 1 with the deployment and AWS's reason in why, or 0.
 */
int		 ecs_deployment_failed(const struct ecs_service *,
		    const char *task_definition, char *why, size_t len);

/*
 * Does the service deploy by rolling update, leaving the listener's
 * weights alone: deployment controller ECS (or absent) and strategy
 * ROLLING (or absent)? CODE_DEPLOY, EXTERNAL and ECS's own BLUE_GREEN,
 * LINEAR and CANARY strategies shift listener weights themselves and
 * would fight the daemon. 1, or 0 with the reason in why.
 */
int		 ecs_rolling_controller(const struct ecs_service *,
		    char *why, size_t len);

/*
 * The value of environment variable name in container (NULL: the value
 * every container has, if they all have it and agree), or NULL.
 */
const char	*ecs_task_def_env(const struct ecs_task_def *,
		    const char *container, const char *name);

/* "COMPLETED" -> ECS_RO_COMPLETED, unknown -> ECS_RO_OTHER, NULL -> NONE. */
enum ecs_rollout	 ecs_rollout_parse(const char *);
enum ecs_controller	 ecs_controller_parse(const char *);

/* ---- parsers and builders (the tests feed recorded JSON) ---- */

/* One service object (of DescribeServices' services[], or UpdateService's
 * service). NULL, with what is wrong in why. */
struct ecs_service	*ecs_parse_service(const json_t *, char *why,
			    size_t len);

/*
 * A DescribeServices answer for one service: services[0]. When services[]
 * is empty and failures[] is not, NULL with *reason (malloc'd) set to the
 * failure's reason ("MISSING") and its ARN and detail in why; NULL with
 * *reason NULL when the answer has an unexpected shape.
 */
struct ecs_service	*ecs_parse_describe_services(const json_t *,
			    char **reason, char *why, size_t len);

/* A DescribeTaskDefinition or RegisterTaskDefinition answer. */
struct ecs_task_def	*ecs_parse_task_definition(const json_t *,
			    char *why, size_t len);

/*
 * The RegisterTaskDefinition request that copies td (a taskDefinition
 * object): its registrable fields (family, containerDefinitions,
 * taskRoleArn, executionRoleArn, networkMode, requiresCompatibilities,
 * cpu, memory, volumes, placementConstraints, runtimePlatform,
 * ephemeralStorage, proxyConfiguration, pidMode, ipcMode,
 * inferenceAccelerators, enableFaultInjection), not the read-only ones
 * (taskDefinitionArn, revision, status, requiresAttributes,
 * compatibilities, registeredAt, registeredBy, deregisteredAt), plus the
 * tags given (NULL: none; "aws:" keys, which only AWS may set, left
 * out). name=value is set in container (NULL: every container): the
 * existing entry's value replaced in place (further entries of the same
 * name dropped), or an entry appended. NULL, with *code and why, when a
 * named container is not there ("ContainerNotFound"), when a target
 * container has a secret of that name, which ECS would not let the
 * variable replace ("SecretConflict"), when td is malformed
 * ("UnexpectedAnswer"), or when name is empty or name or value is not
 * UTF-8 ("InvalidArgument").
 */
json_t		*ecs_register_body(const json_t *td, const json_t *tags,
		    const char *container, const char *name,
		    const char *value, const char **code, char *why,
		    size_t len);

void	ecs_service_free(struct ecs_service *);
void	ecs_task_def_free(struct ecs_task_def *);

#endif /* ECS_H */
