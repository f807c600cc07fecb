/*
 * awstest: one setup for the suites of the AWS service clients; see
 * awstest.h.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awstest.h"

#define AWSTEST_NSERVICES	4

struct awstest	awt;

const char *const awstest_env_example[] = {
	"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
	"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	"AWS_EC2_METADATA_DISABLED=true", NULL
};

const char *const awstest_env_moto[] = {
	"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
	"AWS_EC2_METADATA_DISABLED=true", NULL
};

void
awstest_setup(const char *suite, const char *const *env, const char *ctype,
    struct aws **aws, struct answer **srv)
{
	struct awstest		*t = &awt;
	struct aws_creds_opts	 co;

	memset(t, 0, sizeof(*t));
	snprintf(t->home, sizeof(t->home), "/tmp/%s_home.XXXXXX", suite);
	ck_assert_ptr_nonnull(mkdtemp(t->home));
	ck_assert_ptr_nonnull(t->base = event_base_new());
	ck_assert_ptr_nonnull(t->h = http_new(t->base));
	memset(&co, 0, sizeof(co));
	co.env = (char *const *)env;
	co.home = t->home;
	ck_assert_ptr_nonnull(t->creds = aws_creds_new(t->base, t->h, &co));
	ck_assert_ptr_nonnull(t->srv = answer_new(t->base, ctype));
	*srv = t->srv;
	t->aws = aws;
	*aws = NULL;
}

void
awstest_teardown(void)
{
	struct awstest	*t = &awt;

	aws_free(*t->aws);
	*t->aws = NULL;
	aws_creds_free(t->creds);
	http_free(t->h);
	answer_free(t->srv);
	event_base_free(t->base);
	rmdir(t->home);
	memset(t, 0, sizeof(*t));
}

int
awstest_failed(struct awstest_calls *c, const void *res,
    const struct api_err *e)
{
	c->n++;
	if (e == NULL)
		return 0;
	ck_assert_ptr_null(res);
	c->err = 1;
	snprintf(c->op, sizeof(c->op), "%s", e->op);
	snprintf(c->code, sizeof(c->code), "%s", e->code);
	snprintf(c->text, sizeof(c->text), "%s", e->text);
	c->status = e->status;
	return 1;
}

struct aws *
awstest_aws(int port, const char *service, ...)
{
	struct aws_opts	 o;
	char		 ep[AWSTEST_NSERVICES][96];
	const char	*eps[AWSTEST_NSERVICES + 1];
	va_list		 ap;
	const char	*s;
	int		 n = 0;

	va_start(ap, service);
	for (s = service; s != NULL; s = va_arg(ap, const char *)) {
		ck_assert_int_lt(n, AWSTEST_NSERVICES);
		snprintf(ep[n], sizeof(ep[n]), "%s=http://127.0.0.1:%d", s,
		    port);
		eps[n] = ep[n];
		n++;
	}
	va_end(ap);
	eps[n] = NULL;
	memset(&o, 0, sizeof(o));
	o.region = "us-east-1";
	o.endpoints = eps;
	o.max_attempts = 2;
	o.backoff_base_ms = 10;
	o.backoff_cap_ms = 50;
	o.timeout_ms = 10000;
	return aws_new(awt.base, awt.h, awt.creds, &o);
}

void
awstest_run(int *n, int want, int64_t ms)
{
	answer_run_until(awt.base, n, want, ms);
}
