/*
 * check_sigv4: lib/aws-sigv4.c against every case of AWS's Signature
 * Version 4 test suite found under $TESTDATA/sigv4 (each .req parsed and
 * signed, then canonical request, string to sign, Authorization and signed
 * request compared byte for byte), plus the helpers (URI encoding, dates,
 * SHA-256, signing key), the path, query and header rules, the signer's own
 * headers (date, content hash, session token signed or not), error cases and
 * known answers from AWS's documentation or derived independently.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws-sigv4.h"
#include "suite.h"

/* What the suite assumes (its README, post-sts-token/readme.txt). */
#define SUITE_AKID	"AKIDEXAMPLE"
#define SUITE_SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME	1440938160	/* 20150830T123600Z */
#define SUITE_REGION	"us-east-1"
#define SUITE_SERVICE	"service"
#define SUITE_TOKEN	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4" \
	"x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSE" \
	"I/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7W" \
	"Z0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0i" \
	"PPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabI" \
	"Qwj2ICCR/oLxBA=="
#define EMPTY_SHA256	"e3b0c44298fc1c149afbf4c8996fb924" \
	"27ae41e4649b934ca495991b7852b855"

#define MAX_HDRS	32
#define MAX_CASES	256

/* A parsed .req: pointers into text, which the parser cuts up. */
struct req {
	char			*text;
	char			*method;
	char			*path;
	char			*query;
	struct aws_sigv4_header	 h[MAX_HDRS];
	size_t			 nh;
	char			*body;
	size_t			 bodylen;
	int			 has_sep;	/* a blank line before the body */
	char			*head;		/* request line and headers, raw */
	size_t			 headlen;
};

static char *
slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_int_ge(n, 0);
	ck_assert_ptr_nonnull(buf = malloc(n + 1));
	ck_assert_int_eq(fread(buf, 1, n, f), n);
	buf[n] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = n;
	return buf;
}

static const char *
testdata(void)
{
	const char	*d = getenv("TESTDATA");

	return d != NULL ? d : "tests/data";
}

/*
 * Parse the suite's loose HTTP: "METHOD target HTTP/1.1" (the target may
 * hold raw spaces and UTF-8), "Name:value" lines, continuation lines that
 * start with blanks (kept in the value after a newline, for the signer to
 * fold), an optional blank line and the body. Returns -1 if malformed.
 */
static int
req_parse(struct req *r, char *text, size_t len)
{
	char	*p, *eol, *sp, *ver, *colon, *prev;
	size_t	 n;

	memset(r, 0, sizeof(*r));
	r->text = text;
	r->head = text;
	if ((eol = strchr(text, '\n')) == NULL)
		eol = text + len;
	*eol = '\0';
	if ((sp = strchr(text, ' ')) == NULL ||
	    (ver = strstr(sp, " HTTP/")) == NULL)
		return -1;
	while ((p = strstr(ver + 1, " HTTP/")) != NULL)
		ver = p;
	*sp = '\0';
	*ver = '\0';
	r->method = text;
	r->path = sp + 1;
	if ((p = strchr(r->path, '?')) != NULL) {
		*p = '\0';
		r->query = p + 1;
	}
	r->headlen = eol - text;
	for (p = eol < text + len ? eol + 1 : eol; p < text + len; ) {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = text + len;
		if (eol == p) {		/* blank line: the body follows */
			r->has_sep = 1;
			r->body = eol + 1;
			r->bodylen = text + len - r->body;
			break;
		}
		r->headlen = eol - text;
		*eol = '\0';
		if (*p == ' ' || *p == '\t') {
			/* Continuation: rejoin it to the previous value. */
			if (r->nh == 0)
				return -1;
			prev = (char *)r->h[r->nh - 1].value;
			n = strlen(prev);
			prev[n] = '\n';	/* was the NUL at end of line */
			memmove(prev + n + 1, p, strlen(p) + 1);
		} else {
			if ((colon = strchr(p, ':')) == NULL ||
			    r->nh == MAX_HDRS)
				return -1;
			*colon = '\0';
			r->h[r->nh].name = p;
			r->h[r->nh++].value = colon + 1;
		}
		p = eol + 1;
	}
	return 0;
}

/* Like req_parse() but on a copy, keeping the raw head for .sreq. */
struct parsed {
	struct req	 r;
	char		*raw;
	size_t		 rawlen;
};

static int
parsed_load(struct parsed *pr, const char *file)
{
	char	*copy;

	if ((pr->raw = slurp(file, &pr->rawlen)) == NULL)
		return -1;
	ck_assert_ptr_nonnull(copy = malloc(pr->rawlen + 1));
	memcpy(copy, pr->raw, pr->rawlen + 1);
	return req_parse(&pr->r, copy, pr->rawlen);
}

static void
parsed_free(struct parsed *pr)
{
	free(pr->r.text);
	free(pr->raw);
}

/*
 * The signed request as the suite writes it: the .req's request line and
 * headers as they were, the added headers ("Authorization: " with a space,
 * the others without, as in post-sts-header-after.sreq), then the body.
 */
static char *
sreq_build(const struct parsed *pr, const struct aws_sigv4_signed *s)
{
	size_t	 n, i, cap;
	char	*out;

	cap = pr->rawlen + 64;
	for (i = 0; i < s->nadd; i++)
		cap += strlen(s->add[i].name) + strlen(s->add[i].value) + 4;
	ck_assert_ptr_nonnull(out = malloc(cap));
	memcpy(out, pr->raw, pr->r.headlen);
	n = pr->r.headlen;
	for (i = 0; i < s->nadd; i++)
		n += snprintf(out + n, cap - n, "\n%s:%s%s", s->add[i].name,
		    strcasecmp(s->add[i].name, "authorization") == 0 ?
		    " " : "", s->add[i].value);
	if (pr->r.has_sep) {
		n += snprintf(out + n, cap - n, "\n\n");
		memcpy(out + n, pr->r.body, pr->r.bodylen);
		n += pr->r.bodylen;
	}
	out[n] = '\0';
	return out;
}

/* Compare with an expected file; on a mismatch say where. */
static int
same(const char *what, const char *dir, const char *base, const char *ext,
    const char *got)
{
	char	 path[1024], *want;
	size_t	 i;
	int	 ok;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, base, ext);
	if ((want = slurp(path, NULL)) == NULL) {
		fprintf(stderr, "%s: cannot read %s\n", what, path);
		return 0;
	}
	if (!(ok = strcmp(want, got) == 0)) {
		for (i = 0; want[i] != '\0' && want[i] == got[i]; i++)
			;
		fprintf(stderr, "%s: %s differs at byte %zu\n--- want\n%s\n"
		    "--- got\n%s\n---\n", what, ext, i, want, got);
	}
	free(want);
	return ok;
}

/* Sign one case directory; returns 1 if all four files match. */
static int
run_case(const char *dir, const char *base, int token_group)
{
	struct aws_sigv4_creds	 creds = { SUITE_AKID, SUITE_SECRET, NULL };
	struct aws_sigv4_request req;
	struct aws_sigv4_signed	 s;
	struct parsed		 pr;
	char			 file[1024], *sreq;
	int			 ok;

	snprintf(file, sizeof(file), "%s/%s.req", dir, base);
	if (parsed_load(&pr, file) == -1) {
		fprintf(stderr, "%s: cannot parse %s\n", base, file);
		return 0;
	}
	memset(&req, 0, sizeof(req));
	req.method = pr.r.method;
	req.path = pr.r.path;
	req.query = pr.r.query;
	req.headers = pr.r.h;
	req.nheaders = pr.r.nh;
	req.payload = pr.r.body;
	req.payload_len = pr.r.bodylen;
	req.region = SUITE_REGION;
	req.service = SUITE_SERVICE;
	req.when = SUITE_TIME;
	if (token_group) {
		/*
		 * A token header in the .req is signed as given; without one
		 * (post-sts-header-after) the token is added after signing.
		 */
		creds.session_token = SUITE_TOKEN;
		req.flags |= AWS_SIGV4_TOKEN_UNSIGNED;
	}
	if (aws_sigv4_sign(&req, &creds, &s) == -1) {
		fprintf(stderr, "%s: sign: %s\n", base, strerror(errno));
		parsed_free(&pr);
		return 0;
	}
	sreq = sreq_build(&pr, &s);
	ok = same(base, dir, base, "creq", s.canonical_request);
	ok &= same(base, dir, base, "sts", s.string_to_sign);
	ok &= same(base, dir, base, "authz", s.authorization);
	ok &= same(base, dir, base, "sreq", sreq);
	free(sreq);
	aws_sigv4_signed_clear(&s);
	parsed_free(&pr);
	return ok;
}

static int
has_ext(const char *name, const char *ext)
{
	size_t	n = strlen(name), e = strlen(ext);

	return n > e && strcmp(name + n - e, ext) == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Collect every directory under dir that holds a suite file (.req, .creq,
 * .sts, .authz or .sreq) into cases[], sorted; descend into all others.
 */
static void
find_cases(const char *dir, char **cases, size_t *n)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 path[1024], *sub[MAX_CASES];
	size_t		 nsub = 0, i;
	int		 is_case = 0;

	ck_assert_msg((d = opendir(dir)) != NULL, "opendir %s: %s", dir,
	    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_int_eq(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			ck_assert_uint_lt(nsub, MAX_CASES);
			sub[nsub++] = strdup(path);
		} else if (has_ext(de->d_name, ".req") ||
		    has_ext(de->d_name, ".creq") ||
		    has_ext(de->d_name, ".sts") ||
		    has_ext(de->d_name, ".authz") ||
		    has_ext(de->d_name, ".sreq"))
			is_case = 1;
	}
	closedir(d);
	if (is_case) {
		ck_assert_uint_lt(*n, MAX_CASES);
		cases[(*n)++] = strdup(dir);
	}
	qsort(sub, nsub, sizeof(*sub), cmp_str);
	for (i = 0; i < nsub; i++) {
		find_cases(sub[i], cases, n);
		free(sub[i]);
	}
}

START_TEST(test_suite)
{
	char		 root[1024], *cases[MAX_CASES];
	const char	*base;
	size_t		 ncases = 0, ran = 0, passed = 0, i;

	snprintf(root, sizeof(root), "%s/sigv4", testdata());
	find_cases(root, cases, &ncases);
	qsort(cases, ncases, sizeof(*cases), cmp_str);
	for (i = 0; i < ncases; i++) {
		base = strrchr(cases[i], '/') + 1;
		ran++;
		passed += run_case(cases[i], base,
		    strstr(cases[i], "/post-sts-token/") != NULL);
		free(cases[i]);
	}
	printf("sigv4 suite: %zu case directories, %zu run, %zu passed\n",
	    ncases, ran, passed);
	ck_assert_uint_gt(ncases, 20);
	ck_assert_uint_eq(ran, ncases);
	ck_assert_uint_eq(passed, ncases);
}
END_TEST

/* Sign one suite case from its .req with changes applied by the caller. */
static void
suite_sign(const char *rel, struct parsed *pr, struct aws_sigv4_request *req)
{
	char	file[1024];

	snprintf(file, sizeof(file), "%s/sigv4/%s", testdata(), rel);
	ck_assert_msg(parsed_load(pr, file) == 0, "load %s", file);
	memset(req, 0, sizeof(*req));
	req->method = pr->r.method;
	req->path = pr->r.path;
	req->query = pr->r.query;
	req->headers = pr->r.h;
	req->nheaders = pr->r.nh;
	req->payload = pr->r.body;
	req->payload_len = pr->r.bodylen;
	req->region = SUITE_REGION;
	req->service = SUITE_SERVICE;
	req->when = SUITE_TIME;
}

/* Drop a header (by name) from a parsed request. */
static void
drop_header(struct req *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nh; i++)
		if (strcasecmp(r->h[i].name, name) == 0) {
			memmove(&r->h[i], &r->h[i + 1],
			    (r->nh - i - 1) * sizeof(r->h[0]));
			r->nh--;
			i--;
		}
}

static char *
expected(const char *rel)
{
	char	 file[1024], *s;

	snprintf(file, sizeof(file), "%s/sigv4/%s", testdata(), rel);
	ck_assert_msg((s = slurp(file, NULL)) != NULL, "read %s", file);
	return s;
}

/* The signer adds X-Amz-Date itself, signed, first among its headers. */
START_TEST(test_adds_date)
{
	struct aws_sigv4_creds	 creds = { SUITE_AKID, SUITE_SECRET, NULL };
	struct aws_sigv4_request req;
	struct aws_sigv4_signed	 s;
	struct parsed		 pr;
	char			*want;

	suite_sign("get-vanilla/get-vanilla.req", &pr, &req);
	drop_header(&pr.r, "x-amz-date");
	req.nheaders = pr.r.nh;
	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	want = expected("get-vanilla/get-vanilla.authz");
	ck_assert_str_eq(s.authorization, want);
	ck_assert_uint_eq(s.nadd, 2);
	ck_assert_str_eq(s.add[0].name, "X-Amz-Date");
	ck_assert_str_eq(s.add[0].value, "20150830T123600Z");
	ck_assert_str_eq(s.add[1].name, "Authorization");
	ck_assert_ptr_eq(s.add[1].value, s.authorization);
	free(want);
	aws_sigv4_signed_clear(&s);
	aws_sigv4_signed_clear(&s);
	parsed_free(&pr);
}
END_TEST

/*
 * The session token: post-sts-header-before without its token header, the
 * token in the credentials: the signer adds and signs it. And the "after"
 * variant, without the flag, would sign it: a different signature.
 */
START_TEST(test_session_token)
{
	struct aws_sigv4_creds	 creds = { SUITE_AKID, SUITE_SECRET,
				    SUITE_TOKEN };
	struct aws_sigv4_request req;
	struct aws_sigv4_signed	 s;
	struct parsed		 pr;
	char			*want;

	suite_sign("post-sts-token/post-sts-header-before/"
	    "post-sts-header-before.req", &pr, &req);
	drop_header(&pr.r, "x-amz-security-token");
	req.nheaders = pr.r.nh;
	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	want = expected("post-sts-token/post-sts-header-before/"
	    "post-sts-header-before.creq");
	ck_assert_str_eq(s.canonical_request, want);
	free(want);
	want = expected("post-sts-token/post-sts-header-before/"
	    "post-sts-header-before.authz");
	ck_assert_str_eq(s.authorization, want);
	free(want);
	ck_assert_uint_eq(s.nadd, 2);
	ck_assert_str_eq(s.add[0].name, "X-Amz-Security-Token");
	ck_assert_ptr_eq(s.add[0].value, creds.session_token);
	aws_sigv4_signed_clear(&s);
	parsed_free(&pr);

	/* Unsigned: the header is still added, after signing. */
	suite_sign("post-sts-token/post-sts-header-after/"
	    "post-sts-header-after.req", &pr, &req);
	req.flags = AWS_SIGV4_TOKEN_UNSIGNED;
	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	want = expected("post-sts-token/post-sts-header-after/"
	    "post-sts-header-after.authz");
	ck_assert_str_eq(s.authorization, want);
	free(want);
	ck_assert_uint_eq(s.nadd, 2);
	ck_assert_str_eq(s.add[0].name, "X-Amz-Security-Token");
	ck_assert_str_eq(s.add[0].value, SUITE_TOKEN);
	aws_sigv4_signed_clear(&s);

	/* An empty token is no token. */
	creds.session_token = "";
	req.flags = 0;
	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	want = expected("post-sts-token/post-sts-header-after/"
	    "post-sts-header-after.authz");
	ck_assert_str_eq(s.authorization, want);
	ck_assert_uint_eq(s.nadd, 1);
	free(want);
	aws_sigv4_signed_clear(&s);
	parsed_free(&pr);
}
END_TEST

START_TEST(test_uri_encode)
{
	static const struct {
		const char	*in;
		int		 slash;
		const char	*out;
	} cases[] = {
		{ "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
		  "tuvwxyz", 1, "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcde"
		  "fghijklmnopqrstuvwxyz" },
		{ "a b", 1, "a%20b" },
		{ "a/b", 1, "a%2Fb" },
		{ "a/b", 0, "a/b" },
		{ "\xe1\x88\xb4", 1, "%E1%88%B4" },
		{ "a+b=c&d", 1, "a%2Bb%3Dc%26d" },
		{ "*%!'()$,;:@", 1, "%2A%25%21%27%28%29%24%2C%3B%3A%40" },
		{ "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
		  "listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2", 1,
		  "arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-1%3A123456789012"
		  "%3Alistener%2Fapp%2Fshop%2F50dc6c495c0c9188%2Ff2f7dc8efc522"
		  "ab2" },
		{ "", 1, "" },
	};
	char	buf[256];
	size_t	i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = aws_sigv4_uri_encode(buf, sizeof(buf), cases[i].in,
		    strlen(cases[i].in), !cases[i].slash ? 0 : 1);
		ck_assert_str_eq(buf, cases[i].out);
		ck_assert_uint_eq(n, strlen(cases[i].out));
	}
	/* A NUL inside the given length is encoded, not a terminator. */
	n = aws_sigv4_uri_encode(buf, sizeof(buf), "a\0b", 3, 1);
	ck_assert_str_eq(buf, "a%00b");
	ck_assert_uint_eq(n, 5);
	/* Too small: the whole length returned, no partial escape. */
	n = aws_sigv4_uri_encode(buf, 4, "ab c", 4, 1);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(buf, "ab");
	n = aws_sigv4_uri_encode(buf, 6, "ab c", 4, 1);
	ck_assert_str_eq(buf, "ab%20");
	n = aws_sigv4_uri_encode(buf, 6, "ab cd", 5, 1);
	ck_assert_uint_eq(n, 7);
	ck_assert_str_eq(buf, "ab%20");
	buf[0] = 'x';
	ck_assert_uint_eq(aws_sigv4_uri_encode(buf, 0, "a b", 3, 1), 5);
	ck_assert_int_eq(buf[0], 'x');
}
END_TEST

START_TEST(test_amz_date)
{
	static const struct {
		time_t		 t;
		const char	*s;
	} cases[] = {
		{ 1440938160, "20150830T123600Z" },
		{ 0, "19700101T000000Z" },
		{ 1369353600, "20130524T000000Z" },
		{ 1709251199, "20240229T235959Z" },	/* leap day */
		{ 951868800, "20000301T000000Z" },
		{ 4102444799, "20991231T235959Z" },
	};
	char	buf[AWS_SIGV4_AMZ_DATE_LEN];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(aws_sigv4_amz_date(cases[i].t, buf), 0);
		ck_assert_str_eq(buf, cases[i].s);
	}
	ck_assert_int_eq(aws_sigv4_amz_date((time_t)400000 * 366 * 86400,
	    buf), -1);
}
END_TEST

START_TEST(test_sha256_hex)
{
	char	hex[AWS_SIGV4_HEX_LEN];

	ck_assert_int_eq(aws_sigv4_sha256_hex("", 0, hex), 0);
	ck_assert_str_eq(hex, EMPTY_SHA256);
	ck_assert_int_eq(aws_sigv4_sha256_hex(NULL, 0, hex), 0);
	ck_assert_str_eq(hex, EMPTY_SHA256);
	/* The body of post-x-www-form-urlencoded, hash from its .creq. */
	ck_assert_int_eq(aws_sigv4_sha256_hex("Param1=value1", 13, hex), 0);
	ck_assert_str_eq(hex, "9095672bbd1f56dfc5b65f3e153adc8731a4a6541923291"
	    "06275f4c7b24d0b6e");
	ck_assert_int_eq(aws_sigv4_sha256_hex("abc", 3, hex), 0);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9"
	    "cb410ff61f20015ad");
}
END_TEST

static void
key_hex(const char *secret, const char *date, const char *region,
    const char *service, char hex[AWS_SIGV4_HEX_LEN])
{
	unsigned char	key[AWS_SIGV4_KEY_LEN];
	size_t		i;

	ck_assert_int_eq(aws_sigv4_signing_key(secret, date, region, service,
	    key), 0);
	for (i = 0; i < sizeof(key); i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
}

/* Signing keys from the AWS General Reference's examples. */
START_TEST(test_signing_key)
{
	char	hex[AWS_SIGV4_HEX_LEN], longsecret[301];

	key_hex(SUITE_SECRET, "20120215", "us-east-1", "iam", hex);
	ck_assert_str_eq(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a"
	    "1a9e090d414db404d");
	key_hex(SUITE_SECRET, "20150830", "us-east-1", "iam", hex);
	ck_assert_str_eq(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5"
	    "e86da6ed3c154a4b9");
	/* A secret longer than the stack buffer (and the HMAC block). */
	memset(longsecret, 'k', sizeof(longsecret) - 1);
	longsecret[sizeof(longsecret) - 1] = '\0';
	key_hex(longsecret, "20150830", "us-east-1", "iam", hex);
	ck_assert_str_eq(hex, "b6e4fcf8768ba1242593b84eee9edc97fdcab5297492838"
	    "ece9ccd5ad3377e8a");
	ck_assert_int_eq(aws_sigv4_signing_key(NULL, "20150830", "r", "s",
	    (unsigned char *)hex), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/*
 * The AWS General Reference's worked example: IAM ListUsers, GET with a
 * query, signed on 2015-08-30. Hashed canonical request and signature as
 * published there.
 */
START_TEST(test_iam_list_users)
{
	static const struct aws_sigv4_header h[] = {
		{ "Host", "iam.amazonaws.com" },
		{ "Content-Type",
		  "application/x-www-form-urlencoded; charset=utf-8" },
	};
	struct aws_sigv4_creds	 creds = { SUITE_AKID, SUITE_SECRET, NULL };
	struct aws_sigv4_request req = {
		.method = "GET", .path = "/",
		.query = "Version=2010-05-08&Action=ListUsers",
		.headers = h, .nheaders = 2, .region = "us-east-1",
		.service = "iam", .when = SUITE_TIME,
	};
	struct aws_sigv4_signed	 s;
	char			 hex[AWS_SIGV4_HEX_LEN];

	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	ck_assert_int_eq(aws_sigv4_sha256_hex(s.canonical_request,
	    strlen(s.canonical_request), hex), 0);
	ck_assert_str_eq(hex, "f536975d06c0309214f805bb90ccff089219ecd68b2577e"
	    "fef23edd43b7e1a59");
	ck_assert_str_eq(s.string_to_sign, "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
	    "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
	ck_assert_str_eq(s.signature, "5d672d79c15b13162d9279b0855cfba6789a8ed"
	    "b4c82c400e06b5924a6f2b5d7");
	ck_assert_str_eq(s.authorization, "AWS4-HMAC-SHA256 Credential="
	    "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders="
	    "content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b08"
	    "55cfba6789a8edb4c82c400e06b5924a6f2b5d7");
	aws_sigv4_signed_clear(&s);
}
END_TEST

/*
 * The S3 API reference's GET Object example (examplebucket/test.txt,
 * Range: bytes=0-9): S3 rules, the signer adds x-amz-date and
 * x-amz-content-sha256.
 */
START_TEST(test_s3_get_object)
{
	static const struct aws_sigv4_header h[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Range", "bytes=0-9" },
	};
	struct aws_sigv4_creds	 creds = { "AKIAIOSFODNN7EXAMPLE",
				    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
				    NULL };
	struct aws_sigv4_request req = {
		.method = "GET", .path = "/test.txt", .headers = h,
		.nheaders = 2, .region = "us-east-1", .service = "s3",
		.when = 1369353600,
		.flags = AWS_SIGV4_S3 | AWS_SIGV4_CONTENT_SHA256,
	};
	struct aws_sigv4_signed	 s;

	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	ck_assert_str_eq(s.canonical_request, "GET\n/test.txt\n\n"
	    "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
	    "x-amz-content-sha256:" EMPTY_SHA256 "\n"
	    "x-amz-date:20130524T000000Z\n\n"
	    "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256);
	ck_assert_str_eq(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0"
	    "170aba48dd91039c6036bdb41");
	ck_assert_uint_eq(s.nadd, 3);
	ck_assert_str_eq(s.add[0].name, "X-Amz-Date");
	ck_assert_str_eq(s.add[1].name, "X-Amz-Content-Sha256");
	ck_assert_str_eq(s.add[1].value, EMPTY_SHA256);
	aws_sigv4_signed_clear(&s);
}
END_TEST

/* UNSIGNED-PAYLOAD; signature derived independently (Python hmac). */
START_TEST(test_unsigned_payload)
{
	static const struct aws_sigv4_header h[] = {
		{ "Host", "s3.eu-west-1.amazonaws.com" },
	};
	struct aws_sigv4_creds	 creds = { SUITE_AKID, SUITE_SECRET, NULL };
	struct aws_sigv4_request req = {
		.method = "PUT", .path = "/examplebucket/my%20key.txt",
		.headers = h, .nheaders = 1, .payload = "ignored",
		.payload_len = 7, .payload_hash = AWS_SIGV4_UNSIGNED_PAYLOAD,
		.region = "eu-west-1", .service = "s3", .when = SUITE_TIME,
		.flags = AWS_SIGV4_S3 | AWS_SIGV4_CONTENT_SHA256,
	};
	struct aws_sigv4_signed	 s;

	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	ck_assert_str_eq(s.canonical_request, "PUT\n"
	    "/examplebucket/my%20key.txt\n\n"
	    "host:s3.eu-west-1.amazonaws.com\n"
	    "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
	    "x-amz-date:20150830T123600Z\n\n"
	    "host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD");
	ck_assert_str_eq(s.signature, "07bd07e50e7f9bc3b599dad8477d21800c09d7d"
	    "8a918435f3ed2540e3ca6c3b4");
	ck_assert_str_eq(s.payload_hash, "UNSIGNED-PAYLOAD");
	aws_sigv4_signed_clear(&s);
}
END_TEST

/*
 * The daemon's kind of request: ELBv2 DescribeListeners, a form body, with
 * temporary credentials; the signer adds date and token. Signature derived
 * independently (Python hmac/hashlib).
 */
START_TEST(test_elbv2_with_token)
{
	static const char body[] = "Action=DescribeListeners&LoadBalancerArn="
	    "arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-1%3A123456789012%3Alo"
	    "adbalancer%2Fapp%2Fshop%2F50dc6c495c0c9188&Version=2015-12-01";
	static const struct aws_sigv4_header h[] = {
		{ "Host", "elasticloadbalancing.eu-west-1.amazonaws.com" },
		{ "Content-Type",
		  "application/x-www-form-urlencoded; charset=utf-8" },
	};
	struct aws_sigv4_creds	 creds = { SUITE_AKID, SUITE_SECRET,
		"FQoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE+token/value==" };
	struct aws_sigv4_request req = {
		.method = "POST", .path = "/", .headers = h, .nheaders = 2,
		.payload = body, .payload_len = sizeof(body) - 1,
		.region = "eu-west-1", .service = "elasticloadbalancing",
		.when = 1709251199,
	};
	struct aws_sigv4_signed	 s;

	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	ck_assert_str_eq(s.signature, "ece9d63b352d6f33f665ad4a034d08b6532770a"
	    "f4f97fa81e1e8f267bb55ec85");
	ck_assert_str_eq(s.authorization, "AWS4-HMAC-SHA256 Credential="
	    "AKIDEXAMPLE/20240229/eu-west-1/elasticloadbalancing/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
	    "Signature=ece9d63b352d6f33f665ad4a034d08b6532770af4f97fa81e1e8f26"
	    "7bb55ec85");
	ck_assert_uint_eq(s.nadd, 3);
	ck_assert_str_eq(s.add[0].name, "X-Amz-Date");
	ck_assert_str_eq(s.add[0].value, "20240229T235959Z");
	ck_assert_str_eq(s.add[1].name, "X-Amz-Security-Token");
	ck_assert_str_eq(s.add[2].name, "Authorization");
	/* No secret in anything the signer returns. */
	ck_assert_ptr_null(strstr(s.canonical_request, SUITE_SECRET));
	ck_assert_ptr_null(strstr(s.string_to_sign, SUITE_SECRET));
	ck_assert_ptr_null(strstr(s.authorization, SUITE_SECRET));
	aws_sigv4_signed_clear(&s);
}
END_TEST

/* Line 2 (path) and 3 (query) of the canonical request for one input. */
static void
canon_lines(const char *path, const char *query, int flags, char *line2,
    char *line3, size_t sz)
{
	static const struct aws_sigv4_header h[] = { { "host", "h" } };
	struct aws_sigv4_creds	 creds = { "AK", "SK", NULL };
	struct aws_sigv4_request req = {
		.method = "GET", .path = path, .query = query, .headers = h,
		.nheaders = 1, .region = "r", .service = "s",
		.when = SUITE_TIME, .flags = flags,
	};
	struct aws_sigv4_signed	 s;
	const char		*p, *nl;

	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	p = strchr(s.canonical_request, '\n') + 1;
	nl = strchr(p, '\n');
	ck_assert_uint_lt(nl - p, sz);
	snprintf(line2, sz, "%.*s", (int)(nl - p), p);
	p = nl + 1;
	nl = strchr(p, '\n');
	ck_assert_uint_lt(nl - p, sz);
	snprintf(line3, sz, "%.*s", (int)(nl - p), p);
	aws_sigv4_signed_clear(&s);
}

START_TEST(test_path_rules)
{
	static const struct {
		const char	*in;
		int		 flags;
		const char	*out;
	} cases[] = {
		{ NULL, 0, "/" },
		{ "", 0, "/" },
		{ "/", 0, "/" },
		{ "//", 0, "/" },
		{ "/a/b/../../..", 0, "/" },
		{ "/a/./b/", 0, "/a/b/" },
		{ "/a/b/..", 0, "/a" },
		{ "a/b", 0, "/a/b" },
		/* As sent: the escape is encoded again (double encoding). */
		{ "/example%20space/", 0, "/example%2520space/" },
		{ "/a b/$", 0, "/a%20b/%24" },
		{ "/my-object//example//photo.user", AWS_SIGV4_S3,
		  "/my-object//example//photo.user" },
		{ "/a/./b/../c", AWS_SIGV4_S3, "/a/./b/../c" },
		{ "/test$file.text", AWS_SIGV4_S3, "/test%24file.text" },
		{ "/a%20b/%7e%2f", AWS_SIGV4_S3, "/a%20b/~/" },
		{ "/100%", AWS_SIGV4_S3, "/100%25" },
		{ "", AWS_SIGV4_S3, "/" },
	};
	char	l2[256], l3[256];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		canon_lines(cases[i].in, NULL, cases[i].flags, l2, l3,
		    sizeof(l2));
		ck_assert_msg(strcmp(l2, cases[i].out) == 0,
		    "path '%s' flags %d: got '%s' want '%s'",
		    cases[i].in ? cases[i].in : "(null)", cases[i].flags, l2,
		    cases[i].out);
		ck_assert_str_eq(l3, "");
	}
}
END_TEST

START_TEST(test_query_rules)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ NULL, "" },
		{ "", "" },
		{ "b=2&a=1&a=0&c", "a=0&a=1&b=2&c=" },
		{ "&&a=1&", "a=1" },
		{ "a=", "a=" },
		{ "=v", "=v" },
		{ "x=a%2fb", "x=a%2Fb" },
		{ "k=a b+c", "k=a%20b%2Bc" },
		{ "k=%7E%41", "k=~A" },
		{ "k=100%&j=%zz", "j=%25zz&k=100%25" },
		{ "a=b=c", "a=b%3Dc" },
		/* Sorted by encoded key: "%E1..." before "A" before "a". */
		{ "a=1&A=2&\xe1\x88\xb4=3", "%E1%88%B4=3&A=2&a=1" },
		/* By key first: "a" < "a-b" whatever the values. */
		{ "a-b=1&a=2", "a=2&a-b=1" },
	};
	char	l2[256], l3[256];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		canon_lines("/", cases[i].in, 0, l2, l3, sizeof(l2));
		ck_assert_msg(strcmp(l3, cases[i].out) == 0,
		    "query '%s': got '%s' want '%s'",
		    cases[i].in ? cases[i].in : "(null)", l3, cases[i].out);
	}
}
END_TEST

START_TEST(test_header_rules)
{
	static const struct aws_sigv4_header h[] = {
		{ "X-Amz-Date", " 20150830T123600Z " },
		{ "Zeta", "\tlast\t" },
		{ "HOST", "Example.COM" },
		{ "My-Header", "  a   b\t\tc  " },
		{ "my-header", "second" },
		{ "Folded", "one\r\n  two  \r\n\tthree" },
		{ "Empty", "   " },
		{ "Late", "\n  x" },
	};
	struct aws_sigv4_creds	 creds = { "AK", "SK", NULL };
	struct aws_sigv4_request req = {
		.method = "GET", .path = "/", .headers = h,
		.nheaders = sizeof(h) / sizeof(h[0]), .region = "r",
		.service = "s", .when = SUITE_TIME,
	};
	struct aws_sigv4_signed	 s;

	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	ck_assert_str_eq(s.canonical_request, "GET\n/\n\n"
	    "empty:\nfolded:one,two,three\nhost:Example.COM\nlate:x\n"
	    "my-header:a b c,second\nx-amz-date:20150830T123600Z\nzeta:last\n"
	    "\nempty;folded;host;late;my-header;x-amz-date;zeta\n"
	    EMPTY_SHA256);
	ck_assert_uint_eq(s.nadd, 1);
	aws_sigv4_signed_clear(&s);
}
END_TEST

START_TEST(test_errors)
{
	struct aws_sigv4_header	 h[2] = { { "Host", "h" }, { NULL, NULL } };
	struct aws_sigv4_creds	 creds = { "AK", "SK", NULL };
	struct aws_sigv4_request good = {
		.method = "GET", .path = "/", .headers = h, .nheaders = 1,
		.region = "r", .service = "s", .when = SUITE_TIME,
	}, req;
	struct aws_sigv4_signed	 s;
	static const char *const badnames[] = {
		"", "Bad Name", "Bad:Name", "Bad\nName", "Bad\"Name",
	};
	size_t			 i;

#define REFUSED(r, c) do {						\
	memset(&s, 0xa5, sizeof(s));					\
	errno = 0;							\
	ck_assert_int_eq(aws_sigv4_sign((r), (c), &s), -1);		\
	ck_assert_int_eq(errno, EINVAL);				\
	ck_assert_ptr_null(s.canonical_request);			\
	ck_assert_uint_eq(s.nadd, 0);					\
} while (0)

	ck_assert_int_eq(aws_sigv4_sign(&good, &creds, &s), 0);
	aws_sigv4_signed_clear(&s);
	req = good; req.method = NULL; REFUSED(&req, &creds);
	req = good; req.method = ""; REFUSED(&req, &creds);
	req = good; req.region = ""; REFUSED(&req, &creds);
	req = good; req.service = NULL; REFUSED(&req, &creds);
	req = good; req.payload_len = 3; REFUSED(&req, &creds);
	req = good; req.payload_hash = EMPTY_SHA256 "0"; REFUSED(&req, &creds);
	req = good; req.nheaders = 0; REFUSED(&req, &creds);	/* no host */
	req = good; req.headers = NULL; REFUSED(&req, &creds);
	req = good; req.nheaders = 2; REFUSED(&req, &creds);	/* NULL name */
	REFUSED(&good, NULL);
	{
		struct aws_sigv4_creds	c = creds;

		c.access_key_id = "";
		REFUSED(&good, &c);
		c = creds;
		c.secret_access_key = NULL;
		REFUSED(&good, &c);
	}
	for (i = 0; i < sizeof(badnames) / sizeof(badnames[0]); i++) {
		h[1].name = badnames[i];
		h[1].value = "v";
		req = good;
		req.nheaders = 2;
		REFUSED(&req, &creds);
	}
	/* An X-Amz-Date that is not the signing time. */
	h[1].name = "X-Amz-Date";
	h[1].value = "20150830T123601Z";
	req = good;
	req.nheaders = 2;
	REFUSED(&req, &creds);
	h[1].value = "20150830T123600Z";
	ck_assert_int_eq(aws_sigv4_sign(&req, &creds, &s), 0);
	ck_assert_uint_eq(s.nadd, 1);
	aws_sigv4_signed_clear(&s);
	ck_assert_int_eq(aws_sigv4_sign(&good, &creds, NULL), -1);
	aws_sigv4_signed_clear(NULL);
#undef REFUSED
}
END_TEST

int
main(void)
{
	const TTest		*core[] = {
		test_suite, test_adds_date, test_session_token,
		test_uri_encode, test_amz_date, test_sha256_hex,
		test_signing_key, test_iam_list_users, test_s3_get_object,
		test_unsigned_payload, test_elbv2_with_token, test_path_rules,
		test_query_rules, test_header_rules, test_errors, NULL
	};
	const struct suite_case	 cases[] = {
		{ "core", NULL, NULL, NULL, NULL, 0, core },
	};

	return suite_run(suite_of("sigv4", cases, 1));
}
