/*
 * check_config: the daemon's config file (daemon/config.c): built-in
 * defaults, a missing file, a file setting every option, and a bad file
 * whose errors must be exactly TESTDATA/config/bad.err (file names
 * relative to TESTDATA/config).
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "log.h"
#include "suite.h"

static char	confdir[4096];		/* TESTDATA/config */

/* Errors joined, "TESTDATA/config/" stripped. */
static char *
errors_text(const struct conf_errors *errs)
{
	char	*s, *hit, prefix[4200];
	size_t	 pl;

	ck_assert_ptr_nonnull(s = conf_errors_join(errs));
	snprintf(prefix, sizeof(prefix), "%s/", confdir);
	pl = strlen(prefix);
	while ((hit = strstr(s, prefix)) != NULL)
		memmove(hit, hit + pl, strlen(hit + pl) + 1);
	return s;
}

START_TEST(test_defaults)
{
	struct config	*c;

	ck_assert_ptr_nonnull(c = config_defaults());
	ck_assert_ptr_null(c->file);
	ck_assert_str_eq(c->socket, "/run/migrated/migrated.sock");
	ck_assert_int_eq(c->socket_mode, 0660);
	ck_assert_ptr_null(c->socket_group);
	ck_assert_str_eq(c->state_db, "/var/lib/migrated/state.db");
	ck_assert_str_eq(c->plan_dir, "/etc/migrated/plans");
	ck_assert_int_eq(c->log_level, LOG_LVL_INFO);
	ck_assert_int_eq(c->max_clients, 1024);
	ck_assert_ptr_null(c->aws_region);
	ck_assert_ptr_null(c->aws_profile);
	ck_assert_ptr_null(c->aws_ca_file);
	for (int i = 0; i < CONFIG_EP__COUNT; i++)
		ck_assert_ptr_null(c->aws_endpoint[i]);
	config_free(c);
	config_free(NULL);
}
END_TEST

START_TEST(test_missing)
{
	struct conf_errors	 errs;
	struct config		*c;
	char			 path[4200], *e;

	snprintf(path, sizeof(path), "%s/no-such.conf", confdir);
	memset(&errs, 0, sizeof(errs));
	/* Optional: the defaults. */
	ck_assert_ptr_nonnull(c = config_load(path, 0, &errs));
	ck_assert_int_eq(errs.n, 0);
	ck_assert_ptr_null(c->file);
	ck_assert_str_eq(c->socket, CONFIG_SOCKET);
	config_free(c);
	/* Required: an error. */
	ck_assert_ptr_null(config_load(path, 1, &errs));
	e = errors_text(&errs);
	ck_assert_str_eq(e, "no-such.conf: cannot read: No such file or "
	    "directory");
	free(e);
	conf_errors_clear(&errs);
}
END_TEST

START_TEST(test_full)
{
	struct conf_errors	 errs;
	struct config		*c;
	char			 path[4200], *e, *abs;

	snprintf(path, sizeof(path), "%s/full.conf", confdir);
	memset(&errs, 0, sizeof(errs));
	c = config_load(path, 1, &errs);
	e = errors_text(&errs);
	ck_assert_msg(c != NULL, "%s", e);
	ck_assert_str_eq(e, "");
	ck_assert_str_eq(c->file, path);
	ck_assert_str_eq(c->socket, "/run/migrated-test/ctl.sock");
	ck_assert_int_eq(c->socket_mode, 0600);
	ck_assert_str_eq(c->socket_group, "root");
	ck_assert_str_eq(c->state_db, "/var/tmp/migrated-test/state.db");
	/* Relative: from the file's directory, made absolute. */
	snprintf(path, sizeof(path), "%s/plans", confdir);
	ck_assert_ptr_nonnull(abs = conf_path_resolve(NULL, path));
	ck_assert_str_eq(c->plan_dir, abs);
	ck_assert_int_eq(c->log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(c->max_clients, 16);
	free(abs);
	ck_assert_str_eq(c->aws_region, "eu-west-3");
	ck_assert_str_eq(c->aws_profile, "migrator");
	snprintf(path, sizeof(path), "%s/certs/ca.pem", confdir);
	ck_assert_ptr_nonnull(abs = conf_path_resolve(NULL, path));
	ck_assert_str_eq(c->aws_ca_file, abs);
	ck_assert_str_eq(c->aws_endpoint[CONFIG_EP_ELBV2],
	    "http://127.0.0.1:4566");
	ck_assert_str_eq(c->aws_endpoint[CONFIG_EP_ECS],
	    "http://127.0.0.1:4566/");
	ck_assert_str_eq(c->aws_endpoint[CONFIG_EP_MONITORING],
	    "https://monitoring.example:8443");
	ck_assert_str_eq(c->aws_endpoint[CONFIG_EP_STS],
	    "http://127.0.0.1:4566");
	ck_assert_str_eq(c->aws_endpoint[CONFIG_EP_ROUTE53],
	    "http://[::1]:4566");
	ck_assert_str_eq(config_ep_service[CONFIG_EP_MONITORING],
	    "monitoring");
	free(abs);
	free(e);
	conf_errors_clear(&errs);
	config_free(c);
}
END_TEST

START_TEST(test_bad)
{
	struct conf_errors	 errs;
	struct config		*c;
	char			 path[4200], *e, *want;
	size_t			 len;

	snprintf(path, sizeof(path), "%s/bad.err", confdir);
	ck_assert_ptr_nonnull(want = conf_read_file(path, 1 << 16));
	len = strlen(want);
	while (len > 0 && want[len - 1] == '\n')
		want[--len] = '\0';
	snprintf(path, sizeof(path), "%s/bad.conf", confdir);
	memset(&errs, 0, sizeof(errs));
	c = config_load(path, 1, &errs);
	ck_assert_ptr_null(c);
	e = errors_text(&errs);
	ck_assert_msg(strcmp(e, want) == 0, "--- expected\n%s\n--- got\n%s",
	    want, e);
	free(e);
	free(want);
	conf_errors_clear(&errs);
}
END_TEST

/* Load text written to a temporary file. */
static struct config *
load_text(const char *text, char **errtext)
{
	struct conf_errors	 errs;
	struct config		*c;
	char			 path[] = "/tmp/check_config.XXXXXX";
	int			 fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	memset(&errs, 0, sizeof(errs));
	c = config_load(path, 1, &errs);
	*errtext = conf_errors_join(&errs);
	conf_errors_clear(&errs);
	unlink(path);
	return c;
}

/* text is refused with an error that says want. */
static void
refused(const char *text, const char *want)
{
	struct config	*c;
	char		*e;

	c = load_text(text, &e);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(e, want) != NULL, "%s", e);
	free(e);
}

START_TEST(test_values)
{
	struct config	*c;
	char		*e;

	c = load_text("[daemon]\nsocket_group =\nlog_level = err\n"
	    "socket_mode = 600\n", &e);
	ck_assert_msg(c != NULL, "%s", e);
	ck_assert_ptr_null(c->socket_group);
	ck_assert_int_eq(c->log_level, LOG_LVL_ERR);
	ck_assert_int_eq(c->socket_mode, 0600);
	free(e);
	config_free(c);

	c = load_text("", &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->max_clients, 1024);
	free(e);
	config_free(c);

	c = load_text("[daemon]\nmax_clients = 65536\nsocket_mode = 0\n", &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->max_clients, 65536);
	ck_assert_int_eq(c->socket_mode, 0);
	free(e);
	config_free(c);

	refused("[daemon]\nmax_clients = 65537\n",
	    ":2: max_clients: expected an integer from 1 to 65536, "
	    "got '65537'");

	refused("[daemon]\nsocket_mode = 01777\n",
	    ":2: socket_mode: expected an octal mode like 0660, got '01777'");

	/* [aws]: blank is unset; regions and URLs are checked. */
	c = load_text("[aws]\nregion =\nprofile =\n"
	    "endpoint_route53 = https://route53.example\n", &e);
	ck_assert_msg(c != NULL, "%s", e);
	ck_assert_ptr_null(c->aws_region);
	ck_assert_ptr_null(c->aws_profile);
	ck_assert_str_eq(c->aws_endpoint[CONFIG_EP_ROUTE53],
	    "https://route53.example");
	free(e);
	config_free(c);

	c = load_text("[aws]\nregion = us-gov-west-1\n", &e);
	ck_assert_msg(c != NULL, "%s", e);
	ck_assert_str_eq(c->aws_region, "us-gov-west-1");
	free(e);
	config_free(c);

	refused("[aws]\nregion = useast1\n",
	    ":2: region: expected an AWS region like us-east-1, got 'useast1'");

	refused("[aws]\nprofile = two words\n",
	    ":2: profile: expected no blanks");

	refused("[aws]\nendpoint_sts = 127.0.0.1:4566\n",
	    ":2: endpoint_sts: expected an http:// or https:// URL");

	refused("region = us-east-1\n",
	    ":1: key 'region' is outside any section; it belongs in [aws]");
}
END_TEST

/* A reload keeps the [aws] the clients were made from. */
START_TEST(test_aws_keep)
{
	struct config	*a, *b;
	char		*e;

	ck_assert_ptr_nonnull(a = load_text("[aws]\nregion = us-east-1\n"
	    "endpoint_ecs = http://127.0.0.1:1\n", &e));
	free(e);
	ck_assert_ptr_nonnull(b = load_text("[aws]\nregion = eu-west-1\n",
	    &e));
	free(e);
	ck_assert_int_eq(config_aws_equal(a, a), 1);
	ck_assert_int_eq(config_aws_equal(a, b), 0);
	config_aws_keep(b, a);
	ck_assert_str_eq(b->aws_region, "us-east-1");
	ck_assert_str_eq(b->aws_endpoint[CONFIG_EP_ECS], "http://127.0.0.1:1");
	ck_assert_str_eq(a->aws_region, "eu-west-1");
	ck_assert_ptr_null(a->aws_endpoint[CONFIG_EP_ECS]);
	config_free(a);
	config_free(b);
}
END_TEST

/* conf/migrated.conf loads, and the defaults it shows are the defaults. */
START_TEST(test_shipped)
{
	struct config	*c, *d;
	const char	*srcdir;
	char		*path, *text, *e, *p;

	srcdir = getenv("SRCDIR") != NULL ? getenv("SRCDIR") : ".";
	ck_assert_int_ge(asprintf(&path, "%s/conf/migrated.conf", srcdir), 0);
	ck_assert_ptr_nonnull(text = conf_read_file(path, 1 << 16));
	free(path);
	ck_assert_ptr_nonnull(d = config_defaults());
	c = load_text(text, &e);
	ck_assert_msg(c != NULL, "%s", e);
	free(e);
	ck_assert_str_eq(c->socket, d->socket);
	config_free(c);

	/* Uncomment every "#key = value" line. */
	for (p = text; (p = strstr(p, "\n#")) != NULL; p++)
		if (p[2] != ' ' && p[2] != '\n')
			memmove(p + 1, p + 2, strlen(p + 2) + 1);
	c = load_text(text, &e);
	ck_assert_msg(c != NULL, "%s", e);
	free(e);
	ck_assert_str_eq(c->socket, d->socket);
	ck_assert_int_eq(c->socket_mode, d->socket_mode);
	ck_assert_ptr_null(c->socket_group);
	ck_assert_str_eq(c->state_db, d->state_db);
	ck_assert_str_eq(c->plan_dir, d->plan_dir);
	ck_assert_int_eq(c->log_level, d->log_level);
	ck_assert_int_eq(c->max_clients, d->max_clients);
	/* [aws] is all examples: every key set, each one valid. */
	ck_assert_str_eq(c->aws_region, "us-east-1");
	for (int i = 0; i < CONFIG_EP__COUNT; i++)
		ck_assert_ptr_nonnull(c->aws_endpoint[i]);
	config_free(c);
	config_free(d);
	free(text);
}
END_TEST

int
main(void)
{
	const TTest		*config[] = {
		test_defaults, test_missing, test_full, test_bad, test_values,
		test_shipped, test_aws_keep, NULL
	};
	const struct suite_case	 cases[] = {
		{ "config", NULL, NULL, NULL, NULL, 0, config },
	};

	suite_testdata(confdir, sizeof(confdir), "config");
	return suite_run(suite_of("config", cases, 1));
}
