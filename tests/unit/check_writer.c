/*
 * check_writer: the table of writer methods. Every method is the row of
 * the plan's cutover.writer that bears its name, and the row is whole: a
 * method that runs on its own has run; a switch by AWS has what the shared
 * machinery calls (service, describe, start, put_back, cancel, free). The
 * plans are tests/data/plans/good/minimal.ini with each writer and the
 * keys it needs, their secret in a private directory.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "plan.h"
#include "writer.h"

extern const struct writer_method	writer_hook_method;
extern const struct writer_method	writer_dns_method;
extern const struct writer_method	writer_ecs_env_method;

static char		 dir[] = "/tmp/check_writer.XXXXXX";

/* The methods, and the keys each needs in [cutover]. */
static const struct {
	const struct writer_method	*method;
	const char			*keys;
} methods[] = {
	{ &writer_hook_method, "writer_hook = /usr/local/bin/switch-writer\n" },
	{ &writer_dns_method, "dns_zone_id = Z0123456789ABCDEFGHIJ\n"
	    "dns_record = db.shop.internal\n" },
	{ &writer_ecs_env_method, "ecs_env_name = DB_HOST\n" },
};

/* %1$s the directory, %2$s the writer, %3$s its keys. */
static const char	plan_text[] =
	"[source]\n"
	"host = 10.114.0.5\n"
	"user = migrated\n"
	"password_file = %1$s/secret\n"
	"schemas = shop\n"
	"repl_user = repl\n"
	"repl_password_file = %1$s/secret\n"
	"[target]\n"
	"host = shop.c9akciq32.us-east-1.rds.amazonaws.com\n"
	"user = admin\n"
	"password_file = %1$s/secret\n"
	"[traffic]\n"
	"listener_arn = arn:aws:elasticloadbalancing:us-east-1:123456789012:"
	    "listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2\n"
	"droplet_target_group_arn = arn:aws:elasticloadbalancing:us-east-1:"
	    "123456789012:targetgroup/shop-droplets/73e2d6bc24d8a067\n"
	"ecs_target_group_arn = arn:aws:elasticloadbalancing:us-east-1:"
	    "123456789012:targetgroup/shop-ecs/2453ed029918f21f\n"
	"ecs_cluster = shop\n"
	"ecs_service = shop-web\n"
	"[cutover]\n"
	"writer = %2$s\n"
	"%3$s";

START_TEST(test_table)
{
	const struct writer_method	*wm = methods[_i].method, *got;
	struct conf_errors		 errs;
	struct plan			*p;
	char				 path[128], *text, *e;

	snprintf(path, sizeof(path), "%s/shop.ini", dir);
	ck_assert_int_ne(asprintf(&text, plan_text, dir, wm->name,
	    methods[_i].keys), -1);
	memset(&errs, 0, sizeof(errs));
	p = plan_parse(text, path, &errs);
	e = conf_errors_join(&errs);
	ck_assert_msg(p != NULL, "writer = %s:\n%s", wm->name, e);
	got = writer_method(p);
	ck_assert_msg(got == wm, "writer = %s: the row is %s", wm->name,
	    got != NULL ? got->name : "missing");
	if (wm->run != NULL)
		ck_assert_ptr_null(wm->start);
	else {
		ck_assert_ptr_nonnull(wm->service);
		ck_assert_ptr_nonnull(wm->describe);
		ck_assert_ptr_nonnull(wm->start);
		ck_assert_ptr_nonnull(wm->put_back);
		ck_assert_ptr_nonnull(wm->cancel);
		ck_assert_ptr_nonnull(wm->free);
	}
	ck_assert(wm->preflight_aws == NULL || wm->preflight_cancel != NULL);
	free(e);
	conf_errors_clear(&errs);
	plan_free(p);
	free(text);
}
END_TEST

static Suite *
writer_suite(void)
{
	Suite	*s = suite_create("writer");
	TCase	*tc = tcase_create("table");

	tcase_add_loop_test(tc, test_table, 0,
	    sizeof(methods) / sizeof(methods[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	char	 secret[sizeof(dir) + 8];
	FILE	*f;
	int	 failed;

	if (mkdtemp(dir) == NULL) {
		perror("check_writer: mkdtemp");
		return EXIT_FAILURE;
	}
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	if ((f = fopen(secret, "w")) == NULL || fputs("x\n", f) == EOF ||
	    fclose(f) == EOF || chmod(secret, 0600) == -1) {
		perror("check_writer: secret");
		return EXIT_FAILURE;
	}
	sr = srunner_create(writer_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(secret);
	rmdir(dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
