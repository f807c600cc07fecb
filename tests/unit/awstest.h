/*
 * awstest: what each test of an AWS service client's suite stands on: an
 * event base, an HTTP client, credentials from a fixed environment with
 * an empty HOME (no shared files to find), an answer server on the same
 * loop; and a struct aws that sends the services it names to one
 * loopback port (the answer server, moto or fakeaws.py).
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
	char			 home[64];
};

/* Check's setup: all of it, or the test fails. */
void		 awstest_setup(struct awstest *, const char *suite,
		    const char *const *env, const char *ctype);
void		 awstest_teardown(struct awstest *);
/*
 * A struct aws in us-east-1 sending the services named (NULL-ended) to
 * 127.0.0.1:port: two attempts, backoff 10 to 50 ms, a 10 s timeout.
 */
struct aws	*awstest_aws(struct awstest *, int port, const char *service,
		    ...);

#endif
