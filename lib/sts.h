/*
 * sts: AWS Security Token Service calls the daemon makes itself (AssumeRole
 * belongs to aws-creds). GetCallerIdentity answers who the credentials
 * belong to, and its Date header how far our clock is from AWS's: preflight
 * refuses to start when the skew could break SigV4 (5 minutes).
 */
#ifndef STS_H
#define STS_H

#include <stdint.h>

struct aws;
struct aws_call;

struct sts_identity {
	const char	*account;	/* "123456789012" */
	const char	*arn;		/* "arn:aws:iam::123456789012:user/x" */
	const char	*user_id;	/* "AIDA..." */
	int64_t		 server_time;	/* the answer's Date, unix s; 0: none */
	/* server_time minus our clock when the answer came, in seconds
	 * (positive: AWS is ahead); 0 when server_time is 0. */
	int64_t		 skew_s;
};

/*
 * Called once, from the loop, with id (valid only during the call) or err:
 * a sentence naming the operation, AWS's code and its message.
 */
typedef void (*sts_identity_cb)(void *arg, const struct sts_identity *id,
    const char *err);

/*
 * Ask STS who we are. NULL if the call cannot start (the callback is then
 * not called); aws_cancel() on the result cancels it.
 */
struct aws_call	*sts_get_caller_identity(struct aws *, sts_identity_cb,
		    void *arg);

#endif /* STS_H */
