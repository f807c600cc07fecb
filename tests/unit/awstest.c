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
awstest_setup(struct awstest *t, const char *suite, const char *const *env,
    const char *ctype)
{
	struct aws_creds_opts	co;

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
}

void
awstest_teardown(struct awstest *t)
{
	aws_creds_free(t->creds);
	http_free(t->h);
	answer_free(t->srv);
	event_base_free(t->base);
	rmdir(t->home);
	memset(t, 0, sizeof(*t));
}

struct aws *
awstest_aws(struct awstest *t, int port, const char *service, ...)
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
	return aws_new(t->base, t->h, t->creds, &o);
}
