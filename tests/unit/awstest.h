/*
 * awstest: what each test of an AWS service client's suite stands on, one
 * fixture per process: an event base, an HTTP client, credentials from a
 * fixed environment with an empty HOME (no shared files to find), an
 * answer server on the same loop; and a struct aws that sends the
 * services it names to one loopback port (the answer server, moto or
 * fakeaws.py), freed with the rest whatever the test did.
 */
#ifndef AWSTEST_H
#define AWSTEST_H

#include <event2/event.h>

#include "answer.h"
#include "aws-creds.h"
#include "aws.h"
#include "http.h"

/* The documentation's example keys, and the keys moto accepts. */
extern const char *const	awstest_env_example[];
extern const char *const	awstest_env_moto[];

struct awstest {
	struct event_base	*base;
	struct http		*h;
	struct aws_creds_src	*creds;
	struct answer		*srv;		/* answers ctype */
	struct aws		**aws;		/* the test's client */
	char			 home[64];
};

extern struct awstest	awt;

/*
 * Check's setup: all of it, or the test fails. *aws is the test's
 * client: NULL now, freed at teardown; *srv is awt.srv.
 */
void		 awstest_setup(const char *suite, const char *const *env,
		    const char *ctype, struct aws **aws, struct answer **srv);
/*
 * What a client's callbacks saw of their calls: how many came, and the
 * struct api_err of the latest that failed, copied.
 */
struct awstest_calls {
	int	n;
	int	err;
	char	op[64], code[64], text[512];
	int	status;
};

/*
 * Count one callback: 1 if it says its call failed (e is not NULL), then
 * res, the call's result, must be NULL and e is copied into c.
 */
int		 awstest_failed(struct awstest_calls *c, const void *res,
		    const struct api_err *e);
/* Check's teardown. */
void		 awstest_teardown(void);
/*
 * A struct aws in us-east-1 sending the services named (NULL-ended) to
 * 127.0.0.1:port: two attempts, backoff 10 to 50 ms, a 10 s timeout.
 */
struct aws	*awstest_aws(int port, const char *service, ...);
/* Run the loop until *n reaches want (n NULL: never), or ms pass. */
void		 awstest_run(int *n, int want, int64_t ms);

#endif
