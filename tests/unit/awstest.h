/*
 * awstest: what each test of an AWS service client's suite stands on, one
 * fixture per process: an event base, an HTTP client, credentials from a
 * fixed environment with an empty HOME (no shared files to find), an
 * answer server on the same loop; and a struct aws that sends the
 * suite's services to one loopback port (the answer server, moto or
 * fakeaws.py), freed with the rest whatever the test did. And one
 * recorder for what the client's callbacks saw.
 */
#ifndef AWSTEST_H
#define AWSTEST_H

#include <event2/event.h>

#include "answer.h"
#include "aws-creds.h"
#include "aws.h"
#include "http.h"

#define AWSTEST_NSERVICES	4

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

extern struct awstest	awt;

/*
 * In main(), before the suite runs: what each test's setup makes. suite
 * names the temporary HOME; env gives the credentials; the answer server
 * answers ctype; the services named (NULL-ended) go to the port that
 * awstest_aws() is given. *aws is the test's client (NULL at setup,
 * freed at teardown), *srv is awt.srv.
 */
void		 awstest_init(const char *suite, const char *const *env,
		    const char *ctype, struct aws **aws, struct answer **srv,
		    const char *service, ...);
/* Check's fixture: all of the setup, or the test fails. */
void		 awstest_setup(void);
void		 awstest_teardown(void);
/*
 * A struct aws in us-east-1 sending the suite's services to
 * 127.0.0.1:port: two attempts, backoff 10 to 50 ms, a 10 s timeout.
 */
struct aws	*awstest_aws(int port);
/*
 * Free the test's client now, then run the loop 300 ms: the calls it had
 * in flight end without their callbacks.
 */
void		 awstest_drop(void);
/* A recorded XML answer, parsed as lib/aws parses one (to xmlFreeDoc). */
xmlDoc		*awstest_doc(const char *xml);
/* Run the loop until *n reaches want (n NULL: never), or ms pass. */
void		 awstest_run(int *n, int want, int64_t ms);

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
/*
 * The latest call c saw failed, in op with code, and its text says so
 * first ("op: code: ...").
 */
void		 awstest_err_is(const struct awstest_calls *c, const char *op,
		    const char *code);
/* Wait up to 5 s for c's callback, then the same. */
void		 awstest_wait_err(struct awstest_calls *c, const char *op,
		    const char *code);

/* What the callback of a plain lib/aws call saw, copied. */
struct awstest_raw {
	int	 n, ok;
	char	 code[64], message[256];
	json_t	*json;			/* a JSON answer, held */
	xmlDoc	*xml;			/* an XML answer, copied */
};

/* The callback for aws_json(), aws_query(), aws_rest(): arg is a raw. */
void		 awstest_raw_cb(void *arg, const struct aws_result *res);
/* Wait for the one answer to op's call: it must have worked. */
void		 awstest_raw_wait(struct awstest_raw *r, const char *op);
/* Free the answer r holds. */
void		 awstest_raw_clear(struct awstest_raw *r);

#endif
