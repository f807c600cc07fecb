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

#include <libxml/parser.h>

#include "awstest.h"

struct awstest	awt;

/* What awstest_init() was told, for every test of the suite. */
static struct {
	const char		*suite;
	const char *const	*env;
	const char		*ctype;
	struct aws		**aws;
	struct answer		**srv;
	const char		*services[AWSTEST_NSERVICES];
	int			 nservices;
} conf;

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
awstest_init(const char *suite, const char *const *env, const char *ctype,
    struct aws **aws, struct answer **srv, const char *service, ...)
{
	va_list		 ap;
	const char	*s;

	conf.suite = suite;
	conf.env = env;
	conf.ctype = ctype;
	conf.aws = aws;
	conf.srv = srv;
	va_start(ap, service);
	for (s = service; s != NULL; s = va_arg(ap, const char *)) {
		if (conf.nservices == AWSTEST_NSERVICES) {
			fprintf(stderr, "%s: more than %d services\n", suite,
			    AWSTEST_NSERVICES);
			exit(EXIT_FAILURE);
		}
		conf.services[conf.nservices++] = s;
	}
	va_end(ap);
}

void
awstest_setup(void)
{
	struct awstest		*t = &awt;
	struct aws_creds_opts	 co;

	memset(t, 0, sizeof(*t));
	snprintf(t->home, sizeof(t->home), "/tmp/%s_home.XXXXXX", conf.suite);
	ck_assert_ptr_nonnull(mkdtemp(t->home));
	ck_assert_ptr_nonnull(t->base = event_base_new());
	ck_assert_ptr_nonnull(t->h = http_new(t->base));
	memset(&co, 0, sizeof(co));
	co.env = (char *const *)conf.env;
	co.home = t->home;
	ck_assert_ptr_nonnull(t->creds = aws_creds_new(t->base, t->h, &co));
	ck_assert_ptr_nonnull(t->srv = answer_new(t->base, conf.ctype));
	*conf.srv = t->srv;
	*conf.aws = NULL;
}

void
awstest_teardown(void)
{
	struct awstest	*t = &awt;

	aws_free(*conf.aws);
	*conf.aws = NULL;
	aws_creds_free(t->creds);
	http_free(t->h);
	answer_free(t->srv);
	event_base_free(t->base);
	rmdir(t->home);
	memset(t, 0, sizeof(*t));
}

struct aws *
awstest_aws(int port)
{
	struct aws_opts	 o;
	char		 ep[AWSTEST_NSERVICES][96];
	const char	*eps[AWSTEST_NSERVICES + 1];
	int		 i;

	for (i = 0; i < conf.nservices; i++) {
		snprintf(ep[i], sizeof(ep[i]), "%s=http://127.0.0.1:%d",
		    conf.services[i], port);
		eps[i] = ep[i];
	}
	eps[i] = NULL;
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
awstest_drop(void)
{
	aws_free(*conf.aws);
	*conf.aws = NULL;
	awstest_run(NULL, 0, 300);
}

xmlDoc *
awstest_doc(const char *xml)
{
	xmlDoc	*d;

	d = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	ck_assert_ptr_nonnull(d);
	return d;
}

void
awstest_run(int *n, int want, int64_t ms)
{
	answer_run_until(awt.base, n, want, ms);
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

void
awstest_err_is(const struct awstest_calls *c, const char *op,
    const char *code)
{
	char	prefix[160];

	ck_assert_int_eq(c->err, 1);
	ck_assert_str_eq(c->op, op);
	ck_assert_str_eq(c->code, code);
	snprintf(prefix, sizeof(prefix), "%s: %s: ", op, code);
	ck_assert_msg(strncmp(c->text, prefix, strlen(prefix)) == 0, "%s",
	    c->text);
}

void
awstest_wait_err(struct awstest_calls *c, const char *op, const char *code)
{
	awstest_run(&c->n, 1, 5000);
	awstest_err_is(c, op, code);
}

void
awstest_raw_cb(void *arg, const struct aws_result *res)
{
	struct awstest_raw	*r = arg;

	r->n++;
	r->ok = res->ok;
	snprintf(r->code, sizeof(r->code), "%s",
	    res->code != NULL ? res->code : "");
	snprintf(r->message, sizeof(r->message), "%s",
	    res->message != NULL ? res->message : "");
	if (res->json != NULL)
		r->json = json_incref(res->json);
	if (res->xml != NULL)
		r->xml = xmlCopyDoc(res->xml, 1);
}

void
awstest_raw_wait(struct awstest_raw *r, const char *op)
{
	awstest_run(&r->n, 1, 10000);
	ck_assert_int_eq(r->n, 1);
	ck_assert_msg(r->ok, "%s: %s: %s", op, r->code, r->message);
}

void
awstest_raw_clear(struct awstest_raw *r)
{
	json_decref(r->json);
	xmlFreeDoc(r->xml);
	memset(r, 0, sizeof(*r));
}
