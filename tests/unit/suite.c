/*
 * suite: check suites built from tables of test cases, and the service
 * clients' main(); see suite.h.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "log.h"
#include "suite.h"

Suite *
suite_of(const char *name, const struct suite_case *cases, size_t n)
{
	Suite			*s = suite_create(name);
	const struct suite_case	*c;
	TCase			*tc;
	size_t			 i, j;

	for (i = 0; i < n; i++) {
		c = &cases[i];
		tc = tcase_create(c->name);
		if (c->start != NULL || c->stop != NULL)
			tcase_add_unchecked_fixture(tc, c->start, c->stop);
		if (c->setup != NULL || c->teardown != NULL)
			tcase_add_checked_fixture(tc, c->setup, c->teardown);
		if (c->timeout > 0)
			tcase_set_timeout(tc, c->timeout);
		for (j = 0; c->tests[j] != NULL; j++)
			tcase_add_test(tc, c->tests[j]);
		suite_add_tcase(s, tc);
	}
	return s;
}

void
suite_testdata(char *buf, size_t len, const char *sub)
{
	const char	*dir = getenv("TESTDATA");

	snprintf(buf, len, "%s/%s", dir != NULL ? dir : "tests/data", sub);
}

int
suite_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
suite_client_main(const char *name, const char *debug,
    const struct suite_server *srv, void (*setup)(void),
    void (*teardown)(void), const TTest **local,
    void (*remote_setup)(void), const TTest **remote)
{
	const struct suite_case	cases[] = {
		{ "local", NULL, NULL, setup, teardown, 30, local },
		{ srv->name, srv->start, srv->stop, remote_setup, teardown, 60,
		    remote },
	};
	char			suite[64];
	int			status;

	snprintf(suite, sizeof(suite), "check_%s", name);
	signal(SIGPIPE, SIG_IGN);
	spawn_server_init(srv->spawn, suite, srv->stop);
	log_init(getenv(debug) != NULL ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	status = suite_run(suite_of(name, cases, 2));
	srv->stop();
	xmlCleanupParser();
	curl_global_cleanup();
	return status;
}
