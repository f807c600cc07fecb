/*
 * check_awscreds: the credential chain over real HTTP on loopback. An
 * evhttp server on the test's own event loop plays IMDSv2 (token first, 401
 * without it), the ECS container endpoint (checks the Authorization token
 * of the full URI) and STS (checks the SigV4 Authorization names the
 * expected key, answers AssumeRole XML or an ErrorResponse). Shared files
 * are written into a throwaway HOME. Each test reads its own environment.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <check.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "answer.h"
#include "aws-creds.h"
#include "http.h"
#include "log.h"
#include "spawn.h"
#include "suite.h"

#define IMDS_TOKEN	"imds-token-123"
#define IMDS_ROLE	"test-role"
#define ECS_AUTH	"ecs-auth-token"

enum mode { M_OK, M_MALFORMED, M_ERROR };

struct fake {
	int	 imds_hits;
	int	 imds_mode;
	int	 imds_exp;		/* seconds from now */
	int	 ecs_hits;
	int	 ecs_mode;
	int	 sts_hits;
	int	 sts_mode;
	char	 sts_key[8][64];	/* access key that signed call n */
	char	 sts_role[8][256];	/* RoleArn of call n (encoded) */
	int	 sts_token[8];		/* call n carried a session token */
};

struct result {
	int	 done;
	int	 calls;
	int	 ok;
	char	 key[128];
	char	 secret[128];
	char	 token[128];
	char	 source[256];
	char	 err[2048];
	int64_t	 expires;
};

static struct event_base	*base;
static struct answer		*server;
static struct http		*client;
static struct fake		 fk;
static char			 home[64];
static char			 url_imds[128], url_base[128], url_sts[128];
static char			 url_dead[64];
static char			*envv[32];
static char			 envbuf[32][512];

static void
iso(char *buf, size_t sz, time_t t)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
reply(struct evhttp_request *req, int code, const char *body)
{
	answer_reply(req, code, NULL, body, strlen(body));
}

static const char *
hdr(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

static void
creds_json(char *buf, size_t sz, const char *key, int exp)
{
	char	t[32];

	iso(t, sizeof(t), time(NULL) + exp);
	snprintf(buf, sz, "{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", "
	    "\"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s-secret\", "
	    "\"Token\": \"%s-token\", \"Expiration\": \"%s\"}", key, key, key,
	    t);
}

static void
serve_imds(struct evhttp_request *req, const char *path)
{
	char	buf[1024];

	fk.imds_hits++;
	if (strcmp(path, "/latest/api/token") == 0) {
		if (evhttp_request_get_command(req) != EVHTTP_REQ_PUT ||
		    hdr(req, "X-aws-ec2-metadata-token-ttl-seconds") == NULL)
			reply(req, 400, "");
		else
			reply(req, 200, IMDS_TOKEN);
		return;
	}
	if (hdr(req, "X-aws-ec2-metadata-token") == NULL ||
	    strcmp(hdr(req, "X-aws-ec2-metadata-token"), IMDS_TOKEN) != 0) {
		reply(req, 401, "");
		return;
	}
	if (fk.imds_mode == M_ERROR) {
		reply(req, 500, "");
		return;
	}
	if (strcmp(path, "/latest/meta-data/iam/security-credentials/") == 0)
		reply(req, 200, IMDS_ROLE "\n");
	else if (strcmp(path, "/latest/meta-data/iam/security-credentials/"
	    IMDS_ROLE) == 0) {
		if (fk.imds_mode == M_MALFORMED)
			reply(req, 200, "{\"AccessKeyId\": \"AKIDX\", \"Secr");
		else {
			creds_json(buf, sizeof(buf), "AKIDIMDS", fk.imds_exp);
			reply(req, 200, buf);
		}
	} else
		reply(req, 404, "");
}

static void
serve_ecs(struct evhttp_request *req, const char *path)
{
	char		 buf[1024];
	const char	*auth = hdr(req, "Authorization");

	fk.ecs_hits++;
	if (strcmp(path, "/ecs-full") == 0 &&
	    (auth == NULL || strcmp(auth, ECS_AUTH) != 0)) {
		reply(req, 401, "");
		return;
	}
	if (fk.ecs_mode == M_MALFORMED) {
		reply(req, 200, "not json at all");
		return;
	}
	creds_json(buf, sizeof(buf), "AKIDECS", 3600);
	reply(req, 200, buf);
}

static void
serve_sts(struct evhttp_request *req)
{
	static const char prefix[] = "AWS4-HMAC-SHA256 Credential=";
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*auth = hdr(req, "Authorization"), *p, *e;
	char		 body[4096], out[2048], t[32];
	size_t		 n;
	int		 i = fk.sts_hits++;

	n = evbuffer_get_length(in);
	ck_assert_uint_lt(n, sizeof(body));
	evbuffer_copyout(in, body, n);
	body[n] = '\0';
	ck_assert_int_lt(i, 8);
	if (auth == NULL || strncmp(auth, prefix, sizeof(prefix) - 1) != 0 ||
	    strstr(body, "Action=AssumeRole") == NULL ||
	    strstr(body, "Version=2011-06-15") == NULL) {
		reply(req, 400, "<ErrorResponse><Error><Code>BadRequest</Code>"
		    "<Message>no signature or action</Message></Error>"
		    "</ErrorResponse>");
		return;
	}
	p = auth + sizeof(prefix) - 1;
	e = strchr(p, '/');
	ck_assert_ptr_nonnull(e);
	snprintf(fk.sts_key[i], sizeof(fk.sts_key[i]), "%.*s", (int)(e - p),
	    p);
	fk.sts_token[i] = hdr(req, "X-Amz-Security-Token") != NULL;
	if ((p = strstr(body, "RoleArn=")) != NULL)
		snprintf(fk.sts_role[i], sizeof(fk.sts_role[i]), "%.*s",
		    (int)strcspn(p + 8, "&"), p + 8);
	if (fk.sts_mode == M_ERROR) {
		reply(req, 403, "<ErrorResponse xmlns=\"https://sts.amazonaws."
		    "com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>"
		    "AccessDenied</Code><Message>User is not authorized to "
		    "perform: sts:AssumeRole</Message></Error><RequestId>r1"
		    "</RequestId></ErrorResponse>");
		return;
	}
	if (fk.sts_mode == M_MALFORMED) {
		reply(req, 200, "<AssumeRoleResponse><AssumeRoleResult><Cre");
		return;
	}
	iso(t, sizeof(t), time(NULL) + 3600);
	snprintf(out, sizeof(out), "<AssumeRoleResponse xmlns=\"https://sts."
	    "amazonaws.com/doc/2011-06-15/\">\n  <AssumeRoleResult>\n"
	    "    <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/R/s</Arn>"
	    "<AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>\n"
	    "    <Credentials>\n      <AccessKeyId>ASIASTS%d</AccessKeyId>\n"
	    "      <SecretAccessKey>sts-secret-%d</SecretAccessKey>\n"
	    "      <SessionToken>sts-token-%d</SessionToken>\n"
	    "      <Expiration>%s</Expiration>\n    </Credentials>\n"
	    "  </AssumeRoleResult>\n  <ResponseMetadata><RequestId>r2"
	    "</RequestId></ResponseMetadata>\n</AssumeRoleResponse>\n",
	    i + 1, i + 1, i + 1, t);
	reply(req, 200, out);
}

static void
serve(struct evhttp_request *req, void *arg)
{
	const char	*uri = evhttp_request_get_uri(req);

	if (strncmp(uri, "/imds/", 6) == 0)
		serve_imds(req, uri + 5);
	else if (strncmp(uri, "/ecs", 4) == 0)
		serve_ecs(req, uri);
	else if (strcmp(uri, "/sts/") == 0)
		serve_sts(req);
	else
		reply(req, 404, "");
}

static void
setup(void)
{
	int	port, dead;

	memset(&fk, 0, sizeof(fk));
	fk.imds_exp = 7200;
	ck_assert_ptr_nonnull(base = event_base_new());
	server = answer_new(base, NULL);
	answer_handle(server, serve, NULL);
	port = server->port;
	snprintf(url_base, sizeof(url_base), "http://127.0.0.1:%d", port);
	snprintf(url_imds, sizeof(url_imds), "http://127.0.0.1:%d/imds/", port);
	snprintf(url_sts, sizeof(url_sts), "http://127.0.0.1:%d/sts/", port);
	ck_assert_int_gt(dead = spawn_free_port(), 0);
	snprintf(url_dead, sizeof(url_dead), "http://127.0.0.1:%d", dead);

	client = http_new(base);
	ck_assert_ptr_nonnull(client);
	snprintf(home, sizeof(home), "/tmp/check_awscreds.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(home));
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
teardown(void)
{
	http_free(client);
	answer_free(server);
	event_base_free(base);
	nftw(home, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* The environment of one test: "NAME=value" strings, NULL-ended. */
static char **
env(const char *first, ...)
{
	va_list		 ap;
	const char	*s;
	int		 n = 0;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		ck_assert_int_lt(n, 31);
		snprintf(envbuf[n], sizeof(envbuf[n]), "%s", s);
		envv[n] = envbuf[n];
		n++;
	}
	va_end(ap);
	envv[n] = NULL;
	return envv;
}

static void
write_file(const char *rel, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/.aws", home);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s", home, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void
got_cb(void *arg, const struct aws_creds *c, const char *err)
{
	struct result	*r = arg;

	r->done = 1;
	r->calls++;
	if (c != NULL) {
		ck_assert_ptr_null(err);
		r->ok = 1;
		snprintf(r->key, sizeof(r->key), "%s", c->access_key_id);
		snprintf(r->secret, sizeof(r->secret), "%s",
		    c->secret_access_key);
		snprintf(r->token, sizeof(r->token), "%s",
		    c->session_token != NULL ? c->session_token : "");
		snprintf(r->source, sizeof(r->source), "%s", c->source);
		r->expires = c->expires;
	} else {
		ck_assert_ptr_nonnull(err);
		r->ok = 0;
		snprintf(r->err, sizeof(r->err), "%s", err);
	}
	if (getenv("CHECK_VERBOSE") != NULL)
		fprintf(stderr, "got: %s\n", c != NULL ? c->source : err);
}

static void
wait_for(struct result *r)
{
	ck_assert(answer_run_until(base, &r->done, 1, 30000));
}

static void	get(struct aws_creds_src *, struct result *);

/* Get from src: it must fail, its error naming each part (NULL-ended). */
static void
get_fails(struct aws_creds_src *src, struct result *r, const char *part, ...)
{
	va_list		 ap;
	const char	*p;

	get(src, r);
	ck_assert_int_eq(r->ok, 0);
	va_start(ap, part);
	for (p = part; p != NULL; p = va_arg(ap, const char *))
		ck_assert_msg(strstr(r->err, p) != NULL, "\"%s\" lacks \"%s\"",
		    r->err, p);
	va_end(ap);
}

static void
get(struct aws_creds_src *src, struct result *r)
{
	memset(r, 0, sizeof(*r));
	aws_creds_get(src, got_cb, r);
	/* Never from inside the call. */
	ck_assert_int_eq(r->done, 0);
	wait_for(r);
	ck_assert_int_eq(r->calls, 1);
}

/* A source with the fakes' endpoints and a throwaway HOME. */
static struct aws_creds_src *
src_new(char **e, const char *profile, const char *role_arn)
{
	struct aws_creds_opts	 o;
	struct aws_creds_src	*src;

	memset(&o, 0, sizeof(o));
	o.env = e;
	o.home = home;
	o.profile = profile;
	o.role_arn = role_arn;
	o.imds_endpoint = url_imds;
	o.ecs_host = url_base;
	o.sts_endpoint = url_sts;
	o.region = "eu-west-1";
	src = aws_creds_new(base, client, &o);
	ck_assert_ptr_nonnull(src);
	return src;
}

#define NO_IMDS	"AWS_EC2_METADATA_DISABLED=true"
#define ENV_KEYS "AWS_ACCESS_KEY_ID=AKIDENV", \
	"AWS_SECRET_ACCESS_KEY=env-secret"

START_TEST(environment)
{
	struct aws_creds_src	*src;
	struct result		 r;

	src = src_new(env(ENV_KEYS, "AWS_SESSION_TOKEN=env-token", NO_IMDS,
	    NULL), NULL, NULL);
	get(src, &r);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_str_eq(r.key, "AKIDENV");
	ck_assert_str_eq(r.secret, "env-secret");
	ck_assert_str_eq(r.token, "env-token");
	ck_assert_str_eq(r.source, "environment");
	ck_assert_int_eq(r.expires, 0);
	aws_creds_free(src);
}
END_TEST

START_TEST(environment_partial)
{
	struct aws_creds_src	*src;
	struct result		 r;

	src = src_new(env("AWS_ACCESS_KEY_ID=AKIDENV", NULL), NULL, NULL);
	get_fails(src, &r, "environment: AWS_ACCESS_KEY_ID set without "
	    "AWS_SECRET_ACCESS_KEY", NULL);
	/* A broken source ends the chain: IMDS was not asked. */
	ck_assert_int_eq(fk.imds_hits, 0);
	aws_creds_free(src);
}
END_TEST

START_TEST(credentials_file)
{
	struct aws_creds_src	*src;
	struct result		 r;

	write_file(".aws/credentials", "# comment\n[default]\n"
	    "aws_access_key_id = AKIDFILE\naws_secret_access_key = "
	    "file/secret+x;y\n\n[dev]\naws_access_key_id=AKIDDEV\n"
	    "aws_secret_access_key=dev-secret\naws_session_token=dev-token\n");
	src = src_new(env(NO_IMDS, NULL), NULL, NULL);
	get(src, &r);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_str_eq(r.key, "AKIDFILE");
	ck_assert_str_eq(r.secret, "file/secret+x;y");
	ck_assert_str_eq(r.token, "");
	ck_assert_str_eq(r.source, "shared-credentials-file profile default");
	aws_creds_free(src);

	/* Profile by option. */
	src = src_new(env(NO_IMDS, NULL), "dev", NULL);
	get(src, &r);
	ck_assert_str_eq(r.key, "AKIDDEV");
	ck_assert_str_eq(r.token, "dev-token");
	ck_assert_str_eq(r.source, "shared-credentials-file profile dev");
	aws_creds_free(src);

	/* Profile by AWS_PROFILE. */
	src = src_new(env(NO_IMDS, "AWS_PROFILE=dev", NULL), NULL, NULL);
	get(src, &r);
	ck_assert_str_eq(r.key, "AKIDDEV");
	aws_creds_free(src);

	/* The option beats AWS_PROFILE. */
	src = src_new(env(NO_IMDS, "AWS_PROFILE=dev", NULL), "default", NULL);
	get(src, &r);
	ck_assert_str_eq(r.key, "AKIDFILE");
	aws_creds_free(src);
}
END_TEST

START_TEST(config_file)
{
	struct aws_creds_src	*src;
	struct result		 r;
	char			 path[256], cfg[300];

	write_file(".aws/config", "[default]\nregion = eu-west-1\n\n"
	    "[profile cfg]\naws_access_key_id = AKIDCFG\n"
	    "aws_secret_access_key = cfg-secret\ns3 =\n"
	    "    max_concurrent_requests = 20\n\n"
	    "[cfg]\naws_access_key_id = NOTAPROFILE\n"
	    "aws_secret_access_key = x\n\n"
	    "[profile both]\naws_access_key_id = AKIDCFGBOTH\n"
	    "aws_secret_access_key = cfg-both\n");
	write_file(".aws/credentials", "[both]\naws_access_key_id = "
	    "AKIDCREDBOTH\naws_secret_access_key = cred-both\n");
	src = src_new(env(NO_IMDS, NULL), "cfg", NULL);
	get(src, &r);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_str_eq(r.key, "AKIDCFG");
	ck_assert_str_eq(r.source, "shared-config-file profile cfg");
	aws_creds_free(src);

	/* The credentials file wins over the config file. */
	src = src_new(env(NO_IMDS, NULL), "both", NULL);
	get(src, &r);
	ck_assert_str_eq(r.key, "AKIDCREDBOTH");
	ck_assert_str_eq(r.source, "shared-credentials-file profile both");
	aws_creds_free(src);

	/* AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE move them. */
	snprintf(path, sizeof(path), "%s/other", home);
	write_file("other", "[profile o]\naws_access_key_id = AKIDOTHER\n"
	    "aws_secret_access_key = o\n");
	snprintf(cfg, sizeof(cfg), "AWS_CONFIG_FILE=%s", path);
	src = src_new(env(NO_IMDS, cfg,
	    "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", NULL), "o", NULL);
	get(src, &r);
	ck_assert_str_eq(r.key, "AKIDOTHER");
	aws_creds_free(src);
}
END_TEST

START_TEST(profile_missing)
{
	struct aws_creds_src	*src;
	struct result		 r;

	write_file(".aws/credentials", "[default]\naws_access_key_id = A\n"
	    "aws_secret_access_key = B\n");
	/* Asked for by name: an error, not a fall-through to IMDS. */
	src = src_new(env(NULL), "nope", NULL);
	get_fails(src, &r, "profile nope not found", NULL);
	ck_assert_int_eq(fk.imds_hits, 0);
	aws_creds_free(src);

	/* A syntax error names the file and the line. */
	write_file(".aws/credentials", "[default]\naws_access_key_id = A\n"
	    "garbage line\n");
	src = src_new(env(NO_IMDS, NULL), NULL, NULL);
	get_fails(src, &r, "shared-credentials-file", "syntax error at line 3",
	    NULL);
	aws_creds_free(src);
}
END_TEST

START_TEST(assume_role_profile)
{
	struct aws_creds_src	*src;
	struct result		 r;

	write_file(".aws/credentials", "[base]\naws_access_key_id = AKIDBASE\n"
	    "aws_secret_access_key = base-secret\n");
	write_file(".aws/config", "[profile deploy]\n"
	    "role_arn = arn:aws:iam::123456789012:role/Deploy\n"
	    "source_profile = base\nrole_session_name = mig-test\n");
	src = src_new(env(NO_IMDS, NULL), "deploy", NULL);
	get(src, &r);
	ck_assert_msg(r.ok, "%s", r.err);
	ck_assert_int_eq(fk.sts_hits, 1);
	ck_assert_str_eq(fk.sts_key[0], "AKIDBASE");
	ck_assert_int_eq(fk.sts_token[0], 0);
	ck_assert_str_eq(fk.sts_role[0],
	    "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FDeploy");
	ck_assert_str_eq(r.key, "ASIASTS1");
	ck_assert_str_eq(r.secret, "sts-secret-1");
	ck_assert_str_eq(r.token, "sts-token-1");
	ck_assert_str_eq(r.source,
	    "assume-role arn:aws:iam::123456789012:role/Deploy");
	ck_assert(r.expires > time(NULL) + 3500 &&
	    r.expires <= time(NULL) + 3600);

	/* Cached: no second call. */
	get(src, &r);
	ck_assert_str_eq(r.key, "ASIASTS1");
	ck_assert_int_eq(fk.sts_hits, 1);
	aws_creds_free(src);
}
END_TEST

START_TEST(assume_role_chain)
{
	struct aws_creds_src	*src;
	struct result		 r;

	write_file(".aws/config", "[profile a]\nrole_arn = arn:aws:iam::1:"
	    "role/A\nsource_profile = b\n\n[profile b]\nrole_arn = "
	    "arn:aws:iam::1:role/B\nsource_profile = c\n\n[profile c]\n"
	    "aws_access_key_id = AKIDC\naws_secret_access_key = c\n");
	src = src_new(env(NO_IMDS, NULL), "a", NULL);
	get(src, &r);
	ck_assert_msg(r.ok, "%s", r.err);
	ck_assert_int_eq(fk.sts_hits, 2);
	ck_assert_str_eq(fk.sts_key[0], "AKIDC");
	ck_assert_str_eq(fk.sts_role[0], "arn%3Aaws%3Aiam%3A%3A1%3Arole%2FB");
	ck_assert_str_eq(fk.sts_key[1], "ASIASTS1");
	ck_assert_int_eq(fk.sts_token[1], 1);
	ck_assert_str_eq(fk.sts_role[1], "arn%3Aaws%3Aiam%3A%3A1%3Arole%2FA");
	ck_assert_str_eq(r.key, "ASIASTS2");
	aws_creds_free(src);

	/* A loop is refused. */
	write_file(".aws/config", "[profile a]\nrole_arn = arn:aws:iam::1:"
	    "role/A\nsource_profile = b\n\n[profile b]\nrole_arn = "
	    "arn:aws:iam::1:role/B\nsource_profile = a\n");
	src = src_new(env(NO_IMDS, NULL), "a", NULL);
	get_fails(src, &r, "loop", NULL);
	aws_creds_free(src);
}
END_TEST

START_TEST(assume_role_opts_and_credential_source)
{
	struct aws_creds_src	*src;
	struct result		 r;

	/* opts.role_arn on top of the environment's keys and token. */
	src = src_new(env(ENV_KEYS, "AWS_SESSION_TOKEN=t", NO_IMDS, NULL),
	    NULL, "arn:aws:iam::1:role/Opt");
	get(src, &r);
	ck_assert_msg(r.ok, "%s", r.err);
	ck_assert_str_eq(fk.sts_key[0], "AKIDENV");
	ck_assert_int_eq(fk.sts_token[0], 1);
	ck_assert_str_eq(r.source, "assume-role arn:aws:iam::1:role/Opt");
	aws_creds_free(src);

	/* credential_source = Ec2InstanceMetadata. */
	write_file(".aws/config", "[default]\nrole_arn = arn:aws:iam::1:"
	    "role/Ec2\ncredential_source = Ec2InstanceMetadata\n");
	src = src_new(env(NULL), NULL, NULL);
	get(src, &r);
	ck_assert_msg(r.ok, "%s", r.err);
	ck_assert_int_eq(fk.imds_hits, 3);
	ck_assert_str_eq(fk.sts_key[1], "AKIDIMDS");
	ck_assert_str_eq(r.source, "assume-role arn:aws:iam::1:role/Ec2");
	aws_creds_free(src);
}
END_TEST

START_TEST(sts_errors)
{
	struct aws_creds_src	*src;
	struct result		 r;

	fk.sts_mode = M_ERROR;
	src = src_new(env(ENV_KEYS, NO_IMDS, NULL), NULL,
	    "arn:aws:iam::1:role/Denied");
	get_fails(src, &r, "assume-role arn:aws:iam::1:role/Denied: sts "
	    "AssumeRole: AccessDenied: User is not authorized to perform: "
	    "sts:AssumeRole", NULL);
	ck_assert_ptr_null(strstr(r.err, "env-secret"));
	aws_creds_free(src);

	fk.sts_mode = M_MALFORMED;
	src = src_new(env(ENV_KEYS, NO_IMDS, NULL), NULL,
	    "arn:aws:iam::1:role/Bad");
	get_fails(src, &r, "assume-role arn:aws:iam::1:role/Bad: sts "
	    "AssumeRole", "not XML", NULL);
	aws_creds_free(src);

	/* STS unreachable. */
	{
		struct aws_creds_opts	o;
		char			dead[96];

		snprintf(dead, sizeof(dead), "%s/", url_dead);
		memset(&o, 0, sizeof(o));
		o.env = env(ENV_KEYS, NO_IMDS, NULL);
		o.home = home;
		o.role_arn = "arn:aws:iam::1:role/R";
		o.sts_endpoint = dead;
		src = aws_creds_new(base, client, &o);
		get(src, &r);
		ck_assert_int_eq(r.ok, 0);
		ck_assert_ptr_nonnull(strstr(r.err, "sts AssumeRole"));
		aws_creds_free(src);
	}
}
END_TEST

START_TEST(ecs_container)
{
	struct aws_creds_src	*src;
	struct result		 r;
	char			 full[256], tokfile[128], tokenv[256];
	FILE			*f;

	src = src_new(env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/ecs/v2/"
	    "credentials/abc", NULL), NULL, NULL);
	get(src, &r);
	ck_assert_msg(r.ok, "%s", r.err);
	ck_assert_str_eq(r.key, "AKIDECS");
	ck_assert_str_eq(r.token, "AKIDECS-token");
	ck_assert_str_eq(r.source, "ecs-container");
	ck_assert(r.expires > time(NULL) + 3500);
	ck_assert_int_eq(fk.imds_hits, 0);
	aws_creds_free(src);

	/* Full URI with the token. */
	snprintf(full, sizeof(full),
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s/ecs-full", url_base);
	src = src_new(env(full, "AWS_CONTAINER_AUTHORIZATION_TOKEN=" ECS_AUTH,
	    NULL), NULL, NULL);
	get(src, &r);
	ck_assert_msg(r.ok, "%s", r.err);
	ck_assert_str_eq(r.source, "ecs-container");
	aws_creds_free(src);

	/* The token from a file, which beats the variable. */
	snprintf(tokfile, sizeof(tokfile), "%s/token", home);
	f = fopen(tokfile, "w");
	fputs(ECS_AUTH "\n", f);
	fclose(f);
	snprintf(tokenv, sizeof(tokenv),
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=%s", tokfile);
	src = src_new(env(full, tokenv, "AWS_CONTAINER_AUTHORIZATION_TOKEN="
	    "wrong", NULL), NULL, NULL);
	get(src, &r);
	ck_assert_msg(r.ok, "%s", r.err);
	aws_creds_free(src);

	/* Without the token: 401, named. */
	src = src_new(env(full, NULL), NULL, NULL);
	get_fails(src, &r, "ecs-container", "HTTP 401", NULL);
	ck_assert_int_eq(fk.imds_hits, 0);
	aws_creds_free(src);

	/* Plain http to anywhere but loopback or the agents is refused. */
	src = src_new(env("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://10.1.2.3/"
	    "creds", NULL), NULL, NULL);
	get_fails(src, &r, "must be https", NULL);
	aws_creds_free(src);

	/* Malformed JSON. */
	fk.ecs_mode = M_MALFORMED;
	src = src_new(env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/ecs/x",
	    NULL), NULL, NULL);
	get_fails(src, &r, "ecs-container", "malformed JSON", NULL);
	aws_creds_free(src);
}
END_TEST

START_TEST(imds)
{
	struct aws_creds_src	*src;
	struct result		 r;

	src = src_new(env(NULL), NULL, NULL);
	get(src, &r);
	ck_assert_msg(r.ok, "%s", r.err);
	ck_assert_str_eq(r.key, "AKIDIMDS");
	ck_assert_str_eq(r.secret, "AKIDIMDS-secret");
	ck_assert_str_eq(r.token, "AKIDIMDS-token");
	ck_assert_str_eq(r.source, "imds");
	ck_assert_int_eq(fk.imds_hits, 3);
	aws_creds_free(src);

	fk.imds_mode = M_MALFORMED;
	src = src_new(env(NULL), NULL, NULL);
	get_fails(src, &r, "imds: ", "malformed JSON", NULL);
	ck_assert_ptr_null(strstr(r.err, "AKIDX"));
	aws_creds_free(src);
}
END_TEST

START_TEST(imds_disabled_nothing_found)
{
	struct aws_creds_src	*src;
	struct aws_creds_opts	 o;
	struct result		 r;

	src = src_new(env(NO_IMDS, NULL), NULL, NULL);
	get(src, &r);
	ck_assert_int_eq(r.ok, 0);
	ck_assert_int_eq(fk.imds_hits, 0);
	ck_assert_ptr_nonnull(strstr(r.err, "environment: "));
	ck_assert_ptr_nonnull(strstr(r.err, "shared files: "));
	ck_assert_ptr_nonnull(strstr(r.err, "ecs-container: "));
	ck_assert_ptr_nonnull(strstr(r.err,
	    "imds: disabled by AWS_EC2_METADATA_DISABLED"));
	aws_creds_free(src);

	/* IMDS enabled but nothing answers. */
	memset(&o, 0, sizeof(o));
	o.env = env(NULL);
	o.home = home;
	o.imds_endpoint = url_dead;
	src = aws_creds_new(base, client, &o);
	get_fails(src, &r, "no AWS credentials: ", "environment: ",
	    "shared files: ", "ecs-container: ", "imds: ", NULL);
	aws_creds_free(src);
}
END_TEST

START_TEST(order)
{
	struct aws_creds_src	*src;
	struct result		 r;
	const char		*ecs =
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/ecs/c";

	write_file(".aws/credentials", "[default]\naws_access_key_id = "
	    "AKIDFILE\naws_secret_access_key = s\n");

	src = src_new(env(ENV_KEYS, ecs, NULL), NULL, NULL);
	get(src, &r);
	ck_assert_str_eq(r.source, "environment");
	aws_creds_free(src);

	src = src_new(env(ecs, NULL), NULL, NULL);
	get(src, &r);
	ck_assert_str_eq(r.source, "shared-credentials-file profile default");
	aws_creds_free(src);
	ck_assert_int_eq(fk.ecs_hits + fk.imds_hits, 0);

	write_file(".aws/credentials", "[default]\nregion = eu-west-1\n");
	src = src_new(env(ecs, NULL), NULL, NULL);
	get(src, &r);
	ck_assert_str_eq(r.source, "ecs-container");
	ck_assert_int_eq(fk.imds_hits, 0);
	aws_creds_free(src);

	src = src_new(env(NULL), NULL, NULL);
	get(src, &r);
	ck_assert_str_eq(r.source, "imds");
	aws_creds_free(src);
}
END_TEST

START_TEST(expiry)
{
	struct aws_creds_src	*src;
	struct result		 r;

	/* Two hours left: cached. */
	src = src_new(env(NULL), NULL, NULL);
	get(src, &r);
	ck_assert_int_eq(fk.imds_hits, 3);
	get(src, &r);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_int_eq(fk.imds_hits, 3);
	aws_creds_free(src);

	/* Two minutes left: within the five-minute margin, refreshed. */
	fk.imds_hits = 0;
	fk.imds_exp = 120;
	src = src_new(env(NULL), NULL, NULL);
	get(src, &r);
	ck_assert_int_eq(fk.imds_hits, 3);
	get(src, &r);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_int_eq(fk.imds_hits, 6);

	/* A failed refresh still serves credentials not yet expired. */
	fk.imds_mode = M_ERROR;
	get(src, &r);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_str_eq(r.key, "AKIDIMDS");
	ck_assert_int_eq(fk.imds_hits, 8);

	/* After invalidate, nothing cached: the failure shows. */
	aws_creds_invalidate(src);
	get_fails(src, &r, "HTTP 500", NULL);
	aws_creds_free(src);
}
END_TEST

START_TEST(concurrent)
{
	struct aws_creds_src	*src;
	struct result		 r[3];
	int			 i;

	memset(r, 0, sizeof(r));
	src = src_new(env(NULL), NULL, NULL);
	for (i = 0; i < 3; i++)
		aws_creds_get(src, got_cb, &r[i]);
	for (i = 0; i < 3; i++)
		wait_for(&r[i]);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		ck_assert_str_eq(r[i].key, "AKIDIMDS");
	}
	ck_assert_int_eq(fk.imds_hits, 3);
	aws_creds_free(src);
}
END_TEST

static struct aws_creds_src	*freeing;

static void
free_cb(void *arg, const struct aws_creds *c, const char *err)
{
	got_cb(arg, c, err);
	aws_creds_free(freeing);
}

START_TEST(forget_and_free)
{
	struct aws_creds_src	*src;
	struct result		 a, b, c;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	src = src_new(env(NULL), NULL, NULL);
	aws_creds_get(src, got_cb, &a);
	aws_creds_get(src, got_cb, &b);
	aws_creds_forget(src, &a);
	wait_for(&b);
	ck_assert_int_eq(b.ok, 1);
	ck_assert_int_eq(a.calls, 0);

	/* Free from a callback: the others are dropped, nothing leaks. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	freeing = src;
	aws_creds_get(src, free_cb, &a);
	aws_creds_get(src, got_cb, &b);
	wait_for(&a);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(b.calls, 0);

	/* Free during a refresh in flight. */
	src = src_new(env(NULL), NULL, NULL);
	aws_creds_get(src, got_cb, &c);
	event_base_loop(base, EVLOOP_ONCE);
	aws_creds_free(src);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(c.calls, 0);
}
END_TEST

int
main(void)
{
	const TTest		*core[] = {
		environment, environment_partial, credentials_file,
		config_file, profile_missing, assume_role_profile,
		assume_role_chain, assume_role_opts_and_credential_source,
		sts_errors, ecs_container, imds, imds_disabled_nothing_found,
		order, expiry, concurrent, forget_and_free, NULL
	};
	const struct suite_case	 cases[] = {
		{ "core", NULL, NULL, setup, teardown, 30, core },
	};

	log_init(LOG_LVL_WARNING);
	return suite_run(suite_of("awscreds", cases, 1));
}
