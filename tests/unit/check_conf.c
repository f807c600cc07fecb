/*
 * check_conf: the INI plumbing of lib/conf.c: typed values (durations,
 * percentages, booleans, integers, numbers, lists), the secret-file rule,
 * line numbers of keys, sections and syntax errors, the error list, file
 * reading and path resolution.
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "suite.h"

/* What the handlers saw. */
struct seen {
	int	 n;
	char	*sec[32];
	char	*key[32];
	char	*val[32];
	int	 line[32];
	int	 nsec;
	char	*secname[32];
	int	 secline[32];
};

static void
seen_key(void *arg, const char *section, const char *key, const char *value,
    int line)
{
	struct seen	*s = arg;

	ck_assert_int_lt(s->n, 32);
	s->sec[s->n] = strdup(section);
	s->key[s->n] = strdup(key);
	s->val[s->n] = strdup(value);
	s->line[s->n] = line;
	s->n++;
}

static void
seen_section(void *arg, const char *section, int line)
{
	struct seen	*s = arg;

	ck_assert_int_lt(s->nsec, 32);
	s->secname[s->nsec] = strdup(section);
	s->secline[s->nsec] = line;
	s->nsec++;
}

static void
seen_free(struct seen *s)
{
	int	i;

	for (i = 0; i < s->n; i++) {
		free(s->sec[i]);
		free(s->key[i]);
		free(s->val[i]);
	}
	for (i = 0; i < s->nsec; i++)
		free(s->secname[i]);
	memset(s, 0, sizeof(*s));
}

/* Parse text, return the errors joined (caller frees). */
static char *
parse(const char *text, struct seen *s, int *rc)
{
	struct conf_errors	 errs;
	char			*joined;

	memset(&errs, 0, sizeof(errs));
	memset(s, 0, sizeof(*s));
	*rc = conf_parse_sections(text, "t.ini", seen_section, seen_key, s,
	    &errs);
	joined = conf_errors_join(&errs);
	conf_errors_clear(&errs);
	return joined;
}

START_TEST(test_duration_good)
{
	static const struct {
		const char	*in;
		int64_t		 ms;
	} cases[] = {
		{ "250ms", 250 }, { "90s", 90000 }, { "5m", 300000 },
		{ "2h", 7200000 }, { "1d", 86400000 }, { "0s", 0 },
		{ "0ms", 0 }, { "1.5s", 1500 }, { "0.25s", 250 },
		{ "1.5m", 90000 }, { "007s", 7000 },
	};
	char	why[256];
	int64_t	ms;
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = -1;
		ck_assert_msg(conf_duration(cases[i].in, &ms, why,
		    sizeof(why)) == 0, "%s: %s", cases[i].in, why);
		ck_assert_int_eq(ms, cases[i].ms);
	}
}
END_TEST

START_TEST(test_duration_bad)
{
	static const char *const bad[] = {
		"5", "", "s", "5x", "-5s", "5 s", " 5s", "5s ", "5S", "1.s",
		".5s", "5sec", "1m30s", "0x10s", "+5s", "5.", "ms",
	};
	char	why[256], want[256];
	int64_t	ms = 42;
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(conf_duration(bad[i], &ms, why,
		    sizeof(why)) == -1, "'%s' accepted", bad[i]);
		snprintf(want, sizeof(want),
		    "expected a duration like 90s or 5m, got '%s'", bad[i]);
		ck_assert_str_eq(why, want);
		ck_assert_int_eq(ms, 42);
	}
	ck_assert_int_eq(conf_duration("1.0005s", &ms, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "duration '1.0005s' is not a whole number of "
	    "milliseconds");
	ck_assert_int_eq(conf_duration("99999999999999999999d", &ms, why,
	    sizeof(why)), -1);
	ck_assert_str_eq(why, "duration '99999999999999999999d' is too long");
	ck_assert_int_eq(conf_duration("200000000000000d", &ms, why,
	    sizeof(why)), -1);
	ck_assert_str_eq(why, "duration '200000000000000d' is too long");
	ck_assert_int_eq(ms, 42);
}
END_TEST

START_TEST(test_duration_str)
{
	static const struct {
		int64_t		 ms;
		const char	*out;
	} cases[] = {
		{ 0, "0s" }, { 1, "1ms" }, { 1500, "1500ms" }, { 1000, "1s" },
		{ 90000, "90s" }, { 300000, "5m" }, { 7200000, "2h" },
		{ 86400000, "1d" }, { 90061000, "90061s" }, { 5400000, "90m" },
	};
	char	buf[32];
	int64_t	back;
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_duration_str(cases[i].ms, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].out);
		/* What is printed parses back to the same value. */
		ck_assert_int_eq(conf_duration(buf, &back, NULL, 0), 0);
		ck_assert_int_eq(back, cases[i].ms);
	}
}
END_TEST

START_TEST(test_percent)
{
	static const struct {
		const char	*in;
		double		 ratio;
	} good[] = {
		{ "1.5%", 0.015 }, { "0.015", 0.015 }, { "100%", 1 },
		{ "0", 0 }, { "0%", 0 }, { "1", 1 }, { "50%", 0.5 },
		{ "0.5", 0.5 },
	};
	char	why[256];
	double	r;
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(conf_percent(good[i].in, &r, why,
		    sizeof(why)) == 0, "%s: %s", good[i].in, why);
		ck_assert_double_eq_tol(r, good[i].ratio, 1e-12);
	}
	ck_assert_int_eq(conf_percent("150%", &r, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "'150%' is more than 100%");
	ck_assert_int_eq(conf_percent("2", &r, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "'2' is a ratio above 1; write a percentage "
	    "with '%', like 2%");
	ck_assert_int_eq(conf_percent("-1%", &r, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "expected a percentage like 1.5% or a ratio "
	    "like 0.015, got '-1%'");
	ck_assert_int_eq(conf_percent("lots", &r, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_percent("1.5 %", &r, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_percent("%", &r, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_percent("", &r, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_percent("1%%", &r, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_percent("nan", &r, why, sizeof(why)), -1);
}
END_TEST

START_TEST(test_bool)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES",
	    "True" };
	static const char *const no[] = { "no", "false", "off", "0", "Off" };
	char	why[256];
	int	b;
	size_t	i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = -1;
		ck_assert_int_eq(conf_bool(yes[i], &b, why, sizeof(why)), 0);
		ck_assert_int_eq(b, 1);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = -1;
		ck_assert_int_eq(conf_bool(no[i], &b, why, sizeof(why)), 0);
		ck_assert_int_eq(b, 0);
	}
	b = 7;
	ck_assert_int_eq(conf_bool("maybe", &b, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "expected yes or no, got 'maybe'");
	ck_assert_int_eq(conf_bool("", &b, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_bool("2", &b, why, sizeof(why)), -1);
	ck_assert_int_eq(b, 7);
}
END_TEST

START_TEST(test_int)
{
	char		why[256];
	long long	v;

	ck_assert_int_eq(conf_int("42", 0, 100, &v, why, sizeof(why)), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(conf_int("-3", -5, 5, &v, why, sizeof(why)), 0);
	ck_assert_int_eq(v, -3);
	ck_assert_int_eq(conf_int("1", 1, 1, &v, why, sizeof(why)), 0);
	ck_assert_int_eq(conf_int("65535", 1, 65535, &v, why, sizeof(why)),
	    0);
	v = 9;
	ck_assert_int_eq(conf_int("65536", 1, 65535, &v, why, sizeof(why)),
	    -1);
	ck_assert_str_eq(why, "expected an integer from 1 to 65535, got "
	    "'65536'");
	ck_assert_int_eq(conf_int("0", 1, 65535, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_int("1e3", 0, 10000, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_int("0x10", 0, 100, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_int(" 1", 0, 100, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_int("1 ", 0, 100, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_int("", 0, 100, &v, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_int("two", 0, 100, &v, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "expected an integer from 0 to 100, got 'two'");
	ck_assert_int_eq(conf_int("99999999999999999999", 0, LLONG_MAX, &v,
	    why, sizeof(why)), -1);
	ck_assert_int_eq(v, 9);
}
END_TEST

START_TEST(test_double)
{
	char	why[256];
	double	d;

	ck_assert_int_eq(conf_double("1.5", 1, 1000, &d, why, sizeof(why)), 0);
	ck_assert_double_eq(d, 1.5);
	ck_assert_int_eq(conf_double("-0.5", -1, 1, &d, why, sizeof(why)), 0);
	ck_assert_double_eq(d, -0.5);
	ck_assert_int_eq(conf_double("3", 1, 1000, &d, why, sizeof(why)), 0);
	ck_assert_double_eq(d, 3);
	d = 9;
	ck_assert_int_eq(conf_double("0.5", 1, 1000, &d, why, sizeof(why)),
	    -1);
	ck_assert_str_eq(why, "expected a number from 1 to 1000, got '0.5'");
	ck_assert_int_eq(conf_double("nan", 0, 1, &d, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_double("inf", 0, 1e300, &d, why, sizeof(why)),
	    -1);
	ck_assert_int_eq(conf_double("1e3", 0, 1e4, &d, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_double("0x1p3", 0, 100, &d, why, sizeof(why)),
	    -1);
	ck_assert_int_eq(conf_double("", 0, 1, &d, why, sizeof(why)), -1);
	ck_assert_double_eq(d, 9);
}
END_TEST

START_TEST(test_list)
{
	char	why[256], **v = NULL;
	int	n = -1;

	ck_assert_int_eq(conf_list("a, b ,c", &v, &n, why, sizeof(why)), 0);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(v[0], "a");
	ck_assert_str_eq(v[1], "b");
	ck_assert_str_eq(v[2], "c");
	ck_assert_ptr_null(v[3]);
	conf_list_free(v);

	ck_assert_int_eq(conf_list("single", &v, &n, why, sizeof(why)), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(v[0], "single");
	ck_assert_ptr_null(v[1]);
	conf_list_free(v);

	ck_assert_int_eq(conf_list("two words, x", &v, &n, why, sizeof(why)),
	    0);
	ck_assert_str_eq(v[0], "two words");
	conf_list_free(v);

	ck_assert_int_eq(conf_list("", &v, &n, why, sizeof(why)), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_null(v[0]);
	conf_list_free(v);
	ck_assert_int_eq(conf_list("  ", &v, &n, why, sizeof(why)), 0);
	ck_assert_int_eq(n, 0);
	conf_list_free(v);

	v = NULL;
	ck_assert_int_eq(conf_list("a,,b", &v, &n, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "expected a comma-separated list without empty "
	    "items, got 'a,,b'");
	ck_assert_int_eq(conf_list("a,", &v, &n, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_list(",a", &v, &n, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_list("a, ,b", &v, &n, why, sizeof(why)), -1);
	ck_assert_int_eq(conf_list(",", &v, &n, why, sizeof(why)), -1);
	ck_assert_ptr_null(v);
	conf_list_free(NULL);
}
END_TEST

#define TMPDIR_TEMPLATE	"/tmp/check_conf.XXXXXX"

static char tmpdir[] = TMPDIR_TEMPLATE;

static void
mkfile(const char *name, mode_t mode, const char *text)
{
	char	path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void
setup_tmp(void)
{
	strcpy(tmpdir, TMPDIR_TEMPLATE);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown_tmp(void)
{
	char	cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

START_TEST(test_secret_file)
{
	char	why[1024], want[2048], path[512];

	mkfile("ok", 0600, "s3cret\n");
	mkfile("ro", 0400, "s3cret\n");
	mkfile("group", 0640, "s3cret\n");
	mkfile("world", 0604, "s3cret\n");
	mkfile("gw", 0620, "s3cret\n");

	snprintf(path, sizeof(path), "%s/ok", tmpdir);
	ck_assert_int_eq(conf_secret_file_ok(path, why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/ro", tmpdir);
	ck_assert_int_eq(conf_secret_file_ok(path, why, sizeof(why)), 0);

	snprintf(path, sizeof(path), "%s/group", tmpdir);
	ck_assert_int_eq(conf_secret_file_ok(path, why, sizeof(why)), -1);
	snprintf(want, sizeof(want), "%s has mode 0640: group or others may "
	    "read it; run chmod 600 %s", path, path);
	ck_assert_str_eq(why, want);

	snprintf(path, sizeof(path), "%s/world", tmpdir);
	ck_assert_int_eq(conf_secret_file_ok(path, why, sizeof(why)), -1);
	snprintf(want, sizeof(want), "%s has mode 0604: group or others may "
	    "read it; run chmod 600 %s", path, path);
	ck_assert_str_eq(why, want);

	/* Any bit for group or others is refused, not only read. */
	snprintf(path, sizeof(path), "%s/gw", tmpdir);
	ck_assert_int_eq(conf_secret_file_ok(path, why, sizeof(why)), -1);

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	ck_assert_int_eq(conf_secret_file_ok(path, why, sizeof(why)), -1);
	snprintf(want, sizeof(want), "%s does not exist", path);
	ck_assert_str_eq(why, want);

	ck_assert_int_eq(conf_secret_file_ok(tmpdir, why, sizeof(why)), -1);
	snprintf(want, sizeof(want), "%s is not a regular file", tmpdir);
	ck_assert_str_eq(why, want);
}
END_TEST

START_TEST(test_read_file)
{
	char	path[512], *s;
	FILE	*f;

	mkfile("text", 0600, "a = 1\n");
	snprintf(path, sizeof(path), "%s/text", tmpdir);
	ck_assert_ptr_nonnull(s = conf_read_file(path, 1024));
	ck_assert_str_eq(s, "a = 1\n");
	free(s);

	errno = 0;
	ck_assert_ptr_null(conf_read_file(path, 3));
	ck_assert_int_eq(errno, EFBIG);

	snprintf(path, sizeof(path), "%s/nope", tmpdir);
	ck_assert_ptr_null(conf_read_file(path, 1024));
	ck_assert_int_eq(errno, ENOENT);

	snprintf(path, sizeof(path), "%s/nul", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fwrite("a = 1\0b = 2\n", 1, 12, f);
	fclose(f);
	ck_assert_ptr_null(conf_read_file(path, 1024));
	ck_assert_int_eq(errno, EINVAL);

	mkfile("empty", 0600, "");
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	ck_assert_ptr_nonnull(s = conf_read_file(path, 0));
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_parse_lines)
{
	struct seen	 s;
	char		*e;
	int		 rc;

	e = parse("# comment\n"
	    "top = 1\n"
	    "\n"
	    "[one]\n"
	    "a = x\n"
	    "; another comment\n"
	    "  b   =   y y  \n"
	    "[two]\n"
	    "c=\n", &s, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(e, "");
	ck_assert_int_eq(s.n, 4);
	ck_assert_str_eq(s.sec[0], "");
	ck_assert_str_eq(s.key[0], "top");
	ck_assert_int_eq(s.line[0], 2);
	ck_assert_str_eq(s.sec[1], "one");
	ck_assert_str_eq(s.val[1], "x");
	ck_assert_int_eq(s.line[1], 5);
	ck_assert_str_eq(s.key[2], "b");
	ck_assert_str_eq(s.val[2], "y y");
	ck_assert_int_eq(s.line[2], 7);
	ck_assert_str_eq(s.sec[3], "two");
	ck_assert_str_eq(s.val[3], "");
	ck_assert_int_eq(s.line[3], 9);
	ck_assert_int_eq(s.nsec, 2);
	ck_assert_str_eq(s.secname[0], "one");
	ck_assert_int_eq(s.secline[0], 4);
	ck_assert_str_eq(s.secname[1], "two");
	ck_assert_int_eq(s.secline[1], 8);
	free(e);
	seen_free(&s);
}
END_TEST

START_TEST(test_parse_syntax_errors)
{
	struct seen	 s;
	char		*e;
	int		 rc;

	e = parse("[ok]\n"
	    "a = 1\n"
	    "no equals here\n"
	    "b = 2\n"
	    "[broken\n"
	    "lost = 1\n"
	    "key: value\n"
	    "= 5\n"
	    "[x] junk\n"
	    "[]\n"
	    "[fine] ; comment\n"
	    "c = 3\n"
	    "d ; = 4\n", &s, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(e,
	    "t.ini:3: syntax error: expected 'key = value', '[section]' or a "
	    "comment\n"
	    "t.ini:5: syntax error: '[' without a closing ']'\n"
	    "t.ini:7: syntax error: expected 'key = value', '[section]' or a "
	    "comment\n"
	    "t.ini:8: syntax error: no key before '='\n"
	    "t.ini:9: syntax error: text after ']'\n"
	    "t.ini:10: syntax error: empty section name\n"
	    "t.ini:13: syntax error: expected 'key = value', '[section]' or a "
	    "comment");
	/* Keys after a bad line keep their own line numbers. */
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.key[1], "b");
	ck_assert_int_eq(s.line[1], 4);
	ck_assert_str_eq(s.sec[2], "fine");
	ck_assert_str_eq(s.key[2], "c");
	ck_assert_int_eq(s.line[2], 12);
	free(e);
	seen_free(&s);
}
END_TEST

START_TEST(test_parse_comments)
{
	struct seen	 s;
	char		*e;
	int		 rc;

	e = parse("a = v ; semicolon comment\n"
	    "b = v # hash comment\n"
	    "c = v#not a comment\n"
	    "d = v;not a comment\n"
	    "e = http://x/#frag\n"
	    "f = a\t# tab before\n", &s, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(e, "");
	ck_assert_int_eq(s.n, 6);
	ck_assert_str_eq(s.val[0], "v");
	ck_assert_str_eq(s.val[1], "v");
	ck_assert_str_eq(s.val[2], "v#not a comment");
	ck_assert_str_eq(s.val[3], "v;not a comment");
	ck_assert_str_eq(s.val[4], "http://x/#frag");
	ck_assert_str_eq(s.val[5], "a");
	free(e);
	seen_free(&s);
}
END_TEST

START_TEST(test_parse_no_multiline)
{
	struct seen	 s;
	char		*e;
	int		 rc;

	/* A continuation line is an error, not part of the value above. */
	e = parse("[s]\n"
	    "a = first\n"
	    "  continued\n"
	    "  b = indented key\n", &s, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(e, "t.ini:3: syntax error: expected 'key = value', "
	    "'[section]' or a comment");
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.val[0], "first");
	ck_assert_str_eq(s.key[1], "b");
	ck_assert_str_eq(s.val[1], "indented key");
	ck_assert_int_eq(s.line[1], 4);
	free(e);
	seen_free(&s);
}
END_TEST

START_TEST(test_parse_crlf_bom)
{
	struct seen	 s;
	char		*e;
	int		 rc;

	e = parse("\xEF\xBB\xBF[s]\r\na = 1\r\nb = 2 ; c\r\n", &s, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(e, "");
	ck_assert_int_eq(s.nsec, 1);
	ck_assert_str_eq(s.secname[0], "s");
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.val[0], "1");
	ck_assert_int_eq(s.line[0], 2);
	ck_assert_str_eq(s.val[1], "2");
	ck_assert_int_eq(s.line[1], 3);
	free(e);
	seen_free(&s);

	/* No newline at the end. */
	e = parse("[s]\na = last", &s, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.val[0], "last");
	ck_assert_int_eq(s.line[0], 2);
	free(e);
	seen_free(&s);

	e = parse("", &s, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(s.n, 0);
	free(e);
	seen_free(&s);
}
END_TEST

START_TEST(test_parse_long_lines)
{
	struct seen	 s;
	char		*text, *e, want[128];
	size_t		 vlen;
	int		 rc;

	/* A line of exactly CONF_LINE_MAX is fine; one more byte is not. */
	vlen = CONF_LINE_MAX - strlen("a = ");
	ck_assert_ptr_nonnull(text = malloc(2 * CONF_LINE_MAX + 64));
	strcpy(text, "a = ");
	memset(text + 4, 'x', vlen);
	strcpy(text + 4 + vlen, "\nb = ");
	memset(text + 9 + vlen, 'y', vlen + 1);
	strcpy(text + 9 + 2 * vlen + 1, "\nc = 3\n");
	e = parse(text, &s, &rc);
	ck_assert_int_eq(rc, -1);
	snprintf(want, sizeof(want), "t.ini:2: line longer than %d bytes",
	    CONF_LINE_MAX);
	ck_assert_str_eq(e, want);
	ck_assert_int_eq(s.n, 2);
	ck_assert_uint_eq(strlen(s.val[0]), vlen);
	ck_assert_str_eq(s.key[1], "c");
	ck_assert_int_eq(s.line[1], 3);
	free(e);
	free(text);
	seen_free(&s);
}
END_TEST

START_TEST(test_parse_restores_inih)
{
	struct seen	 s;
	char		*e;
	int		 rc;
	bool		 multi = ini_allow_multiline;
	char		*pref = ini_inline_comment_prefixes;
	int		 maxl = ini_max_line;

	e = parse("a = 1\n", &s, &rc);
	ck_assert_int_eq(ini_allow_multiline, multi);
	ck_assert_ptr_eq(ini_inline_comment_prefixes, pref);
	ck_assert_int_eq(ini_max_line, maxl);
	free(e);
	seen_free(&s);
}
END_TEST

static void
count_key(void *arg, const char *section, const char *key, const char *value,
    int line)
{
	(void)section;
	(void)key;
	(void)value;
	(void)line;
	(*(int *)arg)++;
}

START_TEST(test_parse_text)
{
	struct conf_errors	errs;
	int			n = 0;

	memset(&errs, 0, sizeof(errs));
	ck_assert_int_eq(conf_parse_text("[a]\nx = 1\n[b]\ny = 2\n", "f",
	    count_key, &n, &errs), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(errs.n, 0);
	ck_assert_int_eq(conf_parse_text("oops\n", "f", count_key, &n,
	    &errs), -1);
	ck_assert_int_eq(errs.n, 1);
	conf_errors_clear(&errs);
}
END_TEST

START_TEST(test_errors)
{
	struct conf_errors	 errs;
	char			*s, want[64];
	int			 i;

	memset(&errs, 0, sizeof(errs));
	s = conf_errors_join(&errs);
	ck_assert_str_eq(s, "");
	free(s);

	conf_error(&errs, "plan.ini", 12, "bake: %s", "bad");
	conf_error(&errs, "plan.ini", 0, "[source] host is required");
	conf_error(&errs, NULL, 3, "no file");
	conf_error(&errs, NULL, 0, "bare");
	ck_assert_int_eq(errs.n, 4);
	ck_assert_str_eq(errs.msg[0], "plan.ini:12: bake: bad");
	ck_assert_str_eq(errs.msg[1], "plan.ini: [source] host is required");
	ck_assert_str_eq(errs.msg[2], "line 3: no file");
	ck_assert_str_eq(errs.msg[3], "bare");
	s = conf_errors_join(&errs);
	ck_assert_str_eq(s, "plan.ini:12: bake: bad\n"
	    "plan.ini: [source] host is required\nline 3: no file\nbare");
	free(s);
	conf_errors_clear(&errs);
	ck_assert_int_eq(errs.n, 0);
	ck_assert_int_eq(errs.dropped, 0);

	/* Past CONF_ERR_MAX errors are counted, not kept. */
	for (i = 0; i < CONF_ERR_MAX + 3; i++)
		conf_error(&errs, "f", i + 1, "error %d", i);
	ck_assert_int_eq(errs.n, CONF_ERR_MAX);
	ck_assert_int_eq(errs.dropped, 3);
	s = conf_errors_join(&errs);
	snprintf(want, sizeof(want), "f:%d: error %d\n(and 3 more errors)",
	    CONF_ERR_MAX, CONF_ERR_MAX - 1);
	ck_assert_ptr_nonnull(strstr(s, want));
	free(s);
	conf_errors_clear(&errs);
	conf_errors_clear(NULL);
	conf_error(NULL, "f", 1, "ignored");
}
END_TEST

START_TEST(test_path_resolve)
{
	char	*s, *cwd, want[4096];

	s = conf_path_resolve("/etc/migrated/plans/shop.ini", "secrets/db");
	ck_assert_str_eq(s, "/etc/migrated/plans/secrets/db");
	free(s);
	s = conf_path_resolve("/etc/migrated/plans/shop.ini", "../secrets/db");
	ck_assert_str_eq(s, "/etc/migrated/secrets/db");
	free(s);
	s = conf_path_resolve("/etc/x.ini", "/abs/./a/../b//c");
	ck_assert_str_eq(s, "/abs/b/c");
	free(s);
	s = conf_path_resolve("/x.ini", "../../..");
	ck_assert_str_eq(s, "/");
	free(s);
	s = conf_path_resolve(NULL, "/a/b");
	ck_assert_str_eq(s, "/a/b");
	free(s);

	ck_assert_ptr_nonnull(cwd = getcwd(NULL, 0));
	s = conf_path_resolve("plans/shop.ini", "./secrets/db");
	snprintf(want, sizeof(want), "%s/plans/secrets/db",
	    strcmp(cwd, "/") == 0 ? "" : cwd);
	ck_assert_str_eq(s, want);
	free(s);
	s = conf_path_resolve("shop.ini", "db");
	snprintf(want, sizeof(want), "%s/db", strcmp(cwd, "/") == 0 ? "" : cwd);
	ck_assert_str_eq(s, want);
	free(s);
	free(cwd);
}
END_TEST

START_TEST(test_similar)
{
	ck_assert_int_eq(conf_similar("bak", "bake"), 1);
	ck_assert_int_eq(conf_similar("baek", "bake"), 1);
	ck_assert_int_eq(conf_similar("Bake", "bake"), 0);
	ck_assert_int_eq(conf_similar("stesp", "steps"), 1);
	ck_assert_int_eq(conf_similar("droplet_target_group",
	    "droplet_target_group_arn"), 4);
	ck_assert_int_eq(conf_similar("xyz", "bake"), -1);
	ck_assert_int_eq(conf_similar("x", "y"), -1);
	ck_assert_int_eq(conf_similar("frobnicate", "bake"), -1);
}
END_TEST

int
main(void)
{
	const TTest		*values[] = {
		test_duration_good, test_duration_bad, test_duration_str,
		test_percent, test_bool, test_int, test_double, test_list,
		test_similar, test_path_resolve, NULL
	};
	const TTest		*files[] = {
		test_secret_file, test_read_file, NULL
	};
	const TTest		*parse[] = {
		test_parse_lines, test_parse_syntax_errors,
		test_parse_comments, test_parse_no_multiline,
		test_parse_crlf_bom, test_parse_long_lines,
		test_parse_restores_inih, test_parse_text, test_errors, NULL
	};
	const struct suite_case	 cases[] = {
		{ "values", NULL, NULL, NULL, NULL, 0, values },
		{ "files", NULL, NULL, setup_tmp, teardown_tmp, 0, files },
		{ "parse", NULL, NULL, NULL, NULL, 0, parse },
	};

	return suite_run(suite_of("conf", cases, 3));
}
