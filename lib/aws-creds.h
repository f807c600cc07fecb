/*
 * aws-creds: AWS credentials found the way the AWS SDKs find them, on the
 * event loop. The chain, in order: the environment (AWS_ACCESS_KEY_ID...),
 * the shared credentials and config files for one profile (static keys, or
 * role_arn with source_profile or credential_source), the ECS container
 * endpoint, then EC2 instance metadata (IMDSv2); and, on top of whatever
 * was found, an STS AssumeRole when a role is asked for. A source that is
 * configured but fails ends the chain with its error (a profile named by
 * option or $AWS_PROFILE counts as configured); one that is not configured
 * is skipped. Not supported: IMDSv1, credential_process, SSO, web identity. Credentials are cached and refreshed five minutes
 * before they expire; concurrent callers share one refresh. Secrets are
 * never logged and are wiped when freed.
 */
#ifndef AWS_CREDS_H
#define AWS_CREDS_H

#include <stdint.h>

struct event_base;
struct http;
struct aws_creds_src;

struct aws_creds {
	char		*access_key_id;
	char		*secret_access_key;
	char		*session_token;		/* NULL if none */
	int64_t		 expires;		/* unix seconds; 0: never */
	/*
	 * Where they came from: "environment", "shared-credentials-file
	 * profile NAME", "shared-config-file profile NAME", "ecs-container",
	 * "imds", "assume-role ROLE_ARN".
	 */
	const char	*source;
};

/*
 * Every field may be NULL: the SDKs' defaults then apply.
 *   profile		$AWS_PROFILE, else "default"
 *   region		for STS: $AWS_REGION, $AWS_DEFAULT_REGION, the
 *			profile's region, else us-east-1
 *   env		environ; read once, by aws_creds_new()
 *   home		$HOME (where .aws/ is)
 *   imds_endpoint	$AWS_EC2_METADATA_SERVICE_ENDPOINT, else
 *			http://169.254.169.254
 *   ecs_host		base of the relative URI: http://169.254.170.2
 *   sts_endpoint	https://sts.REGION.amazonaws.com/
 *   role_arn		a role to assume on top of what the chain found
 *   role_session_name	"migrated"
 *   ca_file		for STS: the system's store
 */
struct aws_creds_opts {
	const char	*profile;
	const char	*region;
	char *const	*env;
	const char	*home;
	const char	*imds_endpoint;
	const char	*ecs_host;
	const char	*sts_endpoint;
	const char	*role_arn;
	const char	*role_session_name;
	const char	*ca_file;
};

/*
 * Called once, from the loop, with creds (valid only during the call) or
 * with err: a sentence naming each source tried and why it failed.
 */
typedef void (*aws_creds_cb)(void *arg, const struct aws_creds *creds,
    const char *err);

/* Options are copied. NULL on out of memory. */
struct aws_creds_src	*aws_creds_new(struct event_base *, struct http *,
			    const struct aws_creds_opts *);
/* Stops any refresh; pending callbacks are not called. Safe from one. */
void			 aws_creds_free(struct aws_creds_src *);

/*
 * Current credentials: the cached ones while they have more than five
 * minutes left, else a refresh that every caller meanwhile shares. A
 * failed refresh still serves cached credentials with over a minute left
 * (and logs a warning).
 */
void	aws_creds_get(struct aws_creds_src *, aws_creds_cb, void *arg);
/* Cancel the pending callbacks of arg. */
void	aws_creds_forget(struct aws_creds_src *, void *arg);
/* Drop the cache: the next get refreshes (after a 403 from a service). */
void	aws_creds_invalidate(struct aws_creds_src *);

#endif /* AWS_CREDS_H */
