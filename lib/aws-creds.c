/*
 * aws-creds: the AWS SDKs' default credential chain on the event loop. One
 * source object owns the cached credentials, the callers waiting for them
 * and at most one refresh. A refresh walks the chain: the environment and
 * the shared files are read synchronously (they are small local files);
 * the ECS container endpoint, IMDSv2 and STS AssumeRole are HTTP requests
 * through lib/http, one step at a time. Results reach callers from a
 * deferred event, never from inside aws_creds_get(). Credentials are
 * reference counted so a refresh may replace the cache while callers still
 * hold the old ones; every copy of a secret this file makes is wiped when
 * freed, and no error or log line ever quotes a response body.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <ini.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "aws-creds.h"
#include "aws-sigv4.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "xmalloc.h"

extern char **environ;

#define CREDS_REFRESH_S		300	/* refresh this long before expiry */
#define CREDS_MIN_LEFT_S	60	/* failed refresh: cache if more left */
#define CREDS_BODY_MAX		(64 * 1024)
#define CREDS_ERR_MAX		2048
#define CREDS_ROLES_MAX		8	/* role chain, the opts role included */
#define CREDS_LINE_MAX		(64 * 1024)
#define CREDS_TOKEN_FILE_MAX	(16 * 1024)
#define CREDS_DEFAULT_ECS	"http://169.254.170.2"
#define CREDS_DEFAULT_IMDS	"http://169.254.169.254"
#define CREDS_IMDS_CREDS_PATH	"/latest/meta-data/iam/security-credentials/"
#define CREDS_SESSION_NAME	"migrated"
#define CREDS_DURATION_S	3600

enum creds_env {
	E_KEY_ID,
	E_SECRET,
	E_TOKEN,
	E_PROFILE,
	E_REGION,
	E_DEFAULT_REGION,
	E_CREDS_FILE,
	E_CONFIG_FILE,
	E_HOME,
	E_ECS_RELATIVE,
	E_ECS_FULL,
	E_ECS_TOKEN,
	E_ECS_TOKEN_FILE,
	E_IMDS_DISABLED,
	E_IMDS_ENDPOINT,
	E_NENV
};

static const char *const creds_env_names[E_NENV] = {
	[E_KEY_ID] = "AWS_ACCESS_KEY_ID",
	[E_SECRET] = "AWS_SECRET_ACCESS_KEY",
	[E_TOKEN] = "AWS_SESSION_TOKEN",
	[E_PROFILE] = "AWS_PROFILE",
	[E_REGION] = "AWS_REGION",
	[E_DEFAULT_REGION] = "AWS_DEFAULT_REGION",
	[E_CREDS_FILE] = "AWS_SHARED_CREDENTIALS_FILE",
	[E_CONFIG_FILE] = "AWS_CONFIG_FILE",
	[E_HOME] = "HOME",
	[E_ECS_RELATIVE] = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	[E_ECS_FULL] = "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	[E_ECS_TOKEN] = "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	[E_ECS_TOKEN_FILE] = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	[E_IMDS_DISABLED] = "AWS_EC2_METADATA_DISABLED",
	[E_IMDS_ENDPOINT] = "AWS_EC2_METADATA_SERVICE_ENDPOINT",
};

/* Credentials shared by the cache and the callers about to receive them. */
struct creds_box {
	struct aws_creds	 c;
	char			*source;
	int			 refs;
};

struct creds_waiter {
	TAILQ_ENTRY(creds_waiter) entry;
	aws_creds_cb		 cb;
	void			*arg;
	struct creds_box	*box;		/* the result: creds, */
	char			*err;		/* or why not */
};
TAILQ_HEAD(creds_waiters, creds_waiter);

struct creds_role {
	char	*arn;
	char	*session_name;
	char	*external_id;		/* or NULL */
	int	 duration;
};

enum creds_step {
	ST_IDLE,
	ST_ECS,
	ST_IMDS_TOKEN,
	ST_IMDS_ROLE,
	ST_IMDS_CREDS,
	ST_STS,
};

/* Where a profile's role gets its first credentials (credential_source). */
enum creds_base {
	B_NONE,
	B_ECS,
	B_IMDS,
};

struct aws_creds_src {
	struct event_base	*base;
	struct http		*http;
	char			*env[E_NENV];	/* snapshot; NULL: unset */
	char			*profile;
	bool			 profile_explicit;
	char			*region;
	char			*home;
	char			*imds_endpoint;
	char			*ecs_host;
	char			*sts_endpoint;
	char			*role_arn;
	char			*role_session_name;
	char			*ca_file;

	struct creds_box	*cur;		/* the cache */
	struct creds_waiters	 waiting;	/* for the refresh */
	struct creds_waiters	 ready;		/* result known, to call */
	struct event		*ev_refresh;
	struct event		*ev_deliver;
	bool			 refreshing;
	bool			 delivering;
	bool			 dying;

	/* One refresh. */
	enum creds_step		 step;
	struct http_req		*req;
	char			*url;		/* of the request in flight */
	char			*imds_token;
	char			*imds_role;
	char			*profile_region;
	struct creds_box	*got;		/* credentials so far */
	struct creds_role	 roles[CREDS_ROLES_MAX];
	size_t			 nroles;
	size_t			 irole;
	char			 why[CREDS_ERR_MAX];
	size_t			 whylen;
};

static void	creds_refresh_cb(evutil_socket_t, short, void *);
static void	creds_deliver_cb(evutil_socket_t, short, void *);
static void	creds_http_cb(void *, const struct http_response *);
static void	creds_next_role(struct aws_creds_src *);
static void	creds_base_done(struct aws_creds_src *, struct creds_box *);
static void	creds_fail(struct aws_creds_src *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Wipe and free a string that may be a secret. */
static void
creds_wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static struct creds_box *
creds_box_new(const char *id, const char *secret, const char *token,
    int64_t expires, char *source)
{
	struct creds_box	*b;

	b = xcalloc(1, sizeof(*b));
	b->refs = 1;
	b->c.access_key_id = xstrdup(id);
	b->c.secret_access_key = xstrdup(secret);
	if (token != NULL && token[0] != '\0')
		b->c.session_token = xstrdup(token);
	b->c.expires = expires;
	b->source = source;
	b->c.source = source;
	return b;
}

static struct creds_box *
creds_box_ref(struct creds_box *b)
{
	b->refs++;
	return b;
}

static void
creds_box_unref(struct creds_box *b)
{
	if (b == NULL || --b->refs > 0)
		return;
	creds_wipe(b->c.access_key_id);
	creds_wipe(b->c.secret_access_key);
	creds_wipe(b->c.session_token);
	free(b->source);
	free(b);
}

/* Fresh: more than CREDS_REFRESH_S left, or no expiry at all. */
static bool
creds_fresh(const struct creds_box *b)
{
	return b != NULL && (b->c.expires == 0 ||
	    (int64_t)time(NULL) + CREDS_REFRESH_S < b->c.expires);
}

static const char *
creds_getenv(const struct aws_creds_src *src, enum creds_env e)
{
	return src->env[e];
}

/* Add a "source: reason" to the sentence a failed refresh reports. */
static void
creds_why(struct aws_creds_src *src, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;
	size_t	 room;

	if (src->whylen > 0 && src->whylen + 2 < sizeof(src->why)) {
		memcpy(src->why + src->whylen, "; ", 3);
		src->whylen += 2;
	}
	if (src->whylen >= sizeof(src->why) - 1)
		return;
	room = sizeof(src->why) - src->whylen;
	va_start(ap, fmt);
	r = vsnprintf(src->why + src->whylen, room, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	src->whylen += (size_t)r < room ? (size_t)r : room - 1;
}

static void
creds_roles_clear(struct aws_creds_src *src)
{
	size_t	i;

	for (i = 0; i < src->nroles; i++) {
		free(src->roles[i].arn);
		free(src->roles[i].session_name);
		free(src->roles[i].external_id);
	}
	memset(src->roles, 0, sizeof(src->roles));
	src->nroles = 0;
	src->irole = 0;
}

/* Forget everything about the refresh in progress (not its waiters). */
static void
creds_refresh_clear(struct aws_creds_src *src)
{
	if (src->req != NULL)
		http_cancel(src->req);
	src->req = NULL;
	src->step = ST_IDLE;
	free(src->url);
	src->url = NULL;
	creds_wipe(src->imds_token);
	src->imds_token = NULL;
	free(src->imds_role);
	src->imds_role = NULL;
	free(src->profile_region);
	src->profile_region = NULL;
	creds_box_unref(src->got);
	src->got = NULL;
	creds_roles_clear(src);
	src->why[0] = '\0';
	src->whylen = 0;
}

static void
creds_waiter_free(struct creds_waiter *w)
{
	creds_box_unref(w->box);
	free(w->err);
	free(w);
}

/* End the refresh: hand box (or err) to every caller waiting for it. */
static void
creds_finish(struct aws_creds_src *src, struct creds_box *box,
    const char *err)
{
	struct creds_waiter	*w;

	if (box != NULL) {
		creds_box_unref(src->cur);
		src->cur = box;
		if (box->c.expires != 0)
			log_info("aws-creds: credentials from %s, valid for "
			    "%lld s", box->source,
			    (long long)(box->c.expires - time(NULL)));
		else
			log_info("aws-creds: credentials from %s",
			    box->source);
	} else if (src->cur != NULL && (src->cur->c.expires == 0 ||
	    (int64_t)time(NULL) + CREDS_MIN_LEFT_S < src->cur->c.expires)) {
		log_warnx("aws-creds: refresh failed: %s; still using the "
		    "credentials from %s until they expire",
		    err, src->cur->source);
		box = src->cur;
		err = NULL;
	}
	while ((w = TAILQ_FIRST(&src->waiting)) != NULL) {
		TAILQ_REMOVE(&src->waiting, w, entry);
		if (box != NULL)
			w->box = creds_box_ref(box);
		else
			w->err = xstrdup(err);
		TAILQ_INSERT_TAIL(&src->ready, w, entry);
	}
	src->refreshing = false;
	creds_refresh_clear(src);
	if (!TAILQ_EMPTY(&src->ready))
		event_active(src->ev_deliver, EV_TIMEOUT, 0);
}

/* The refresh failed: the sentence is the reasons so far and this one. */
static void
creds_fail(struct aws_creds_src *src, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[CREDS_ERR_MAX], *err;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		creds_why(src, "%s", msg);
	}
	err = xasprintf("no AWS credentials: %s", src->why);
	creds_finish(src, NULL, err);
	free(err);
}

/*
 * "2024-05-01T12:00:00Z", with optional fractional seconds and a numeric
 * offset instead of Z. Returns 0, or -1 if it is not that.
 */
static int
creds_parse_time(const char *s, int64_t *out)
{
	struct tm	 tm;
	int		 n = 0, sign, oh, om;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return -1;
	s += n;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*out = t;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || sscanf(s + 1, "%2d:%2d%n", &oh,
	    &om, &n) != 2 || n != 5 || s[6] != '\0' || oh > 23 || om > 59)
		return -1;
	sign = s[0] == '+' ? 1 : -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* "~/x" and "~" against home; anything else as it is. */
static char *
creds_expand(const char *path, const char *home)
{
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
		if (home == NULL)
			return NULL;
		return xasprintf("%s%s", home, path + 1);
	}
	return xstrdup(path);
}

static bool
creds_has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/*
 * The environment.
 */

/* 1 found, 0 not configured, -1 configured but unusable. */
static int
creds_from_env(struct aws_creds_src *src, struct creds_box **out)
{
	const char	*id, *secret;

	id = creds_getenv(src, E_KEY_ID);
	secret = creds_getenv(src, E_SECRET);
	if (id == NULL && secret == NULL) {
		creds_why(src, "environment: AWS_ACCESS_KEY_ID not set");
		return 0;
	}
	if (id == NULL || secret == NULL) {
		creds_why(src, "environment: %s set without %s",
		    creds_env_names[id != NULL ? E_KEY_ID : E_SECRET],
		    creds_env_names[id != NULL ? E_SECRET : E_KEY_ID]);
		return -1;
	}
	*out = creds_box_new(id, secret, creds_getenv(src, E_TOKEN), 0,
	    xstrdup("environment"));
	return 1;
}

/*
 * The shared files: both are read whole into a list of (section, key,
 * value); a profile's key is looked up in the credentials file first, as
 * the SDKs do.
 */

struct creds_ent {
	char	*section;
	char	*key;
	char	*value;
};

struct creds_ini {
	const char		*label;		/* for "source" strings */
	char			*path;
	bool			 config;	/* [profile x] sections */
	bool			 found;
	struct creds_ent	*ents;
	size_t			 n;
	size_t			 cap;
};

static void
creds_ini_clear(struct creds_ini *ini)
{
	size_t	i;

	for (i = 0; i < ini->n; i++) {
		free(ini->ents[i].section);
		free(ini->ents[i].key);
		creds_wipe(ini->ents[i].value);
	}
	free(ini->ents);
	free(ini->path);
	memset(ini, 0, sizeof(*ini));
}

static char *
creds_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
creds_ini_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct creds_ini	*ini = arg;
	struct creds_ent	*e;
	char			 buf[512], *name;

	if (strlen(section) >= sizeof(buf))
		return 1;
	snprintf(buf, sizeof(buf), "%s", section);
	name = creds_trim(buf);
	if (ini->config && strcmp(name, "default") != 0) {
		/* Only [profile x] and [default]; skip [sso-session x]... */
		if (strncmp(name, "profile", 7) != 0 ||
		    !isspace((unsigned char)name[7]))
			return 1;
		name = creds_trim(name + 7);
	}
	if (ini->n == ini->cap) {
		ini->cap = ini->cap ? ini->cap * 2 : 16;
		ini->ents = xreallocarray(ini->ents, ini->cap, sizeof(*e));
	}
	e = &ini->ents[ini->n++];
	e->section = xstrdup(name);
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	return 1;
}

static char *
creds_fgets(char *buf, int len, void *f)
{
	return fgets(buf, len, f);
}

/*
 * Read one file. Returns 0 (read, or absent: ini->found says), or -1 with
 * the reason added.
 */
static int
creds_ini_read(struct aws_creds_src *src, struct creds_ini *ini)
{
	static char			 comment[] = "#;";
	/*
	 * The AWS files follow Python's configparser: no inline comments,
	 * indented continuation lines (nested "s3 =" blocks). Session tokens
	 * make long lines.
	 */
	const struct conf_ini_opts	 opts = {
		.multiline = true,
		.comment = comment,
		.max_line = CREDS_LINE_MAX,
		.initial_alloc = 512,
		.grow = true,
	};
	FILE				*f;
	int				 r;

	if ((f = fopen(ini->path, "re")) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		creds_why(src, "%s %s: %s", ini->label, ini->path,
		    strerror(errno));
		return -1;
	}
	ini->found = true;

	r = conf_ini_parse(&opts, creds_fgets, f, creds_ini_handler, ini);
	fclose(f);

	if (r < 0) {
		creds_why(src, "%s %s: out of memory", ini->label, ini->path);
		return -1;
	}
	if (r > 0) {
		creds_why(src, "%s %s: syntax error at line %d", ini->label,
		    ini->path, r);
		return -1;
	}
	return 0;
}

/* The last value of key in profile, or NULL. */
static const char *
creds_ini_get(const struct creds_ini *ini, const char *profile,
    const char *key)
{
	const char	*v = NULL;
	size_t		 i;

	for (i = 0; i < ini->n; i++)
		if (strcmp(ini->ents[i].section, profile) == 0 &&
		    strcasecmp(ini->ents[i].key, key) == 0)
			v = ini->ents[i].value;
	return v;
}

static bool
creds_ini_has(const struct creds_ini *ini, const char *profile)
{
	size_t	i;

	for (i = 0; i < ini->n; i++)
		if (strcmp(ini->ents[i].section, profile) == 0)
			return true;
	return false;
}

struct creds_files {
	struct creds_ini	 f[2];		/* credentials, then config */
};

/* key in profile, the credentials file first; *from says which file. */
static const char *
creds_prof_get(const struct creds_files *fs, const char *profile,
    const char *key, const struct creds_ini **from)
{
	const char	*v;
	int		 i;

	for (i = 0; i < 2; i++)
		if ((v = creds_ini_get(&fs->f[i], profile, key)) != NULL &&
		    v[0] != '\0') {
			if (from != NULL)
				*from = &fs->f[i];
			return v;
		}
	return NULL;
}

static bool
creds_prof_has(const struct creds_files *fs, const char *profile)
{
	return creds_ini_has(&fs->f[0], profile) ||
	    creds_ini_has(&fs->f[1], profile);
}

static int
creds_push_role(struct aws_creds_src *src, const char *arn,
    const char *session_name, const char *external_id, int duration)
{
	struct creds_role	*r;

	if (src->nroles == CREDS_ROLES_MAX)
		return -1;
	r = &src->roles[src->nroles++];
	r->arn = xstrdup(arn);
	r->session_name = xstrdup(session_name != NULL ? session_name :
	    src->role_session_name != NULL ? src->role_session_name :
	    CREDS_SESSION_NAME);
	r->external_id = xstrdup(external_id);
	r->duration = duration;
	return 0;
}

/* The roles were found from the profile outwards; assume them inwards. */
static void
creds_roles_reverse(struct aws_creds_src *src)
{
	struct creds_role	 t;
	size_t			 i, j;

	if (src->nroles == 0)
		return;
	for (i = 0, j = src->nroles - 1; i < j; i++, j--) {
		t = src->roles[i];
		src->roles[i] = src->roles[j];
		src->roles[j] = t;
	}
}

/*
 * A profile with role_arn: the role to assume, with its session name,
 * external id and duration. 0, or -1 when the profile is unusable.
 */
static int
creds_profile_role(struct aws_creds_src *src, struct creds_files *fs,
    const char *name, const char *role)
{
	const char	*dur;
	char		*end;
	long		 d;

	if (creds_prof_get(fs, name, "mfa_serial", NULL) != NULL) {
		creds_why(src, "shared files: profile %s needs an MFA code "
		    "(mfa_serial), which a daemon cannot enter", name);
		return -1;
	}
	d = CREDS_DURATION_S;
	if ((dur = creds_prof_get(fs, name, "duration_seconds",
	    NULL)) != NULL) {
		errno = 0;
		d = strtol(dur, &end, 10);
		if (errno != 0 || *end != '\0' || d < 900 || d > 43200) {
			creds_why(src, "shared files: profile %s: "
			    "duration_seconds is not 900 to 43200", name);
			return -1;
		}
	}
	if (creds_push_role(src, role, creds_prof_get(fs, name,
	    "role_session_name", NULL), creds_prof_get(fs, name,
	    "external_id", NULL), (int)d) == -1) {
		creds_why(src, "shared files: profile %s: role chain longer "
		    "than %d (a source_profile loop?)", name,
		    CREDS_ROLES_MAX - 1);
		return -1;
	}
	return 0;
}

/* A role's credential_source: as creds_from_profile() returns. */
static int
creds_profile_cred_source(struct aws_creds_src *src, const char *name,
    const char *cs, struct creds_box **out, enum creds_base *base)
{
	creds_roles_reverse(src);
	if (strcmp(cs, "Environment") == 0)
		return creds_from_env(src, out) != 1 ? -1 : 1;
	if (strcmp(cs, "EcsContainer") == 0) {
		*base = B_ECS;
		return 2;
	}
	if (strcmp(cs, "Ec2InstanceMetadata") == 0) {
		*base = B_IMDS;
		return 2;
	}
	creds_why(src, "shared files: profile %s: unknown credential_source "
	    "%s", name, cs);
	return -1;
}

/*
 * The keys at the end of a profile chain (name, depth links down): as
 * creds_from_profile() returns, never 2.
 */
static int
creds_profile_keys(struct aws_creds_src *src, struct creds_files *fs,
    const char *name, size_t depth, struct creds_box **out)
{
	static const char *const unsupported[] = { "credential_process",
	    "sso_session", "sso_start_url", "web_identity_token_file" };
	const struct creds_ini	*from_id, *from_secret;
	const char		*id, *secret;
	size_t			 i;

	id = creds_prof_get(fs, name, "aws_access_key_id", &from_id);
	secret = creds_prof_get(fs, name, "aws_secret_access_key",
	    &from_secret);
	if (id == NULL && secret == NULL) {
		for (i = 0; i < sizeof(unsupported) / sizeof(*unsupported);
		    i++)
			if (creds_prof_get(fs, name, unsupported[i],
			    NULL) != NULL) {
				creds_why(src, "shared files: profile %s uses "
				    "%s, which is not supported", name,
				    unsupported[i]);
				return -1;
			}
		creds_why(src, "shared files: profile %s has no "
		    "aws_access_key_id", name);
		return depth == 0 && src->nroles == 0 ? 0 : -1;
	}
	if (id == NULL || secret == NULL) {
		creds_why(src, "shared files: profile %s has %s without %s",
		    name, id != NULL ? "aws_access_key_id" :
		    "aws_secret_access_key", id != NULL ?
		    "aws_secret_access_key" : "aws_access_key_id");
		return -1;
	}
	*out = creds_box_new(id, secret, creds_prof_get(fs, name,
	    "aws_session_token", NULL), 0, xasprintf("%s profile %s",
	    from_id->label, name));
	creds_roles_reverse(src);
	return 1;
}

/*
 * The profile's credentials. 1: found (*out, and src->roles to assume);
 * 2: a role whose first credentials come from *base (ECS or IMDS);
 * 0: nothing here; -1: the profile is configured but unusable. The chain
 * of source_profile links is walked down to the keys or to a
 * credential_source, each role on the way pushed.
 */
static int
creds_from_profile(struct aws_creds_src *src, struct creds_files *fs,
    struct creds_box **out, enum creds_base *base)
{
	const char	*name = src->profile, *role, *sp, *cs, *v;
	size_t		 depth;

	if ((v = creds_prof_get(fs, name, "region", NULL)) != NULL)
		src->profile_region = xstrdup(v);
	for (depth = 0;; depth++) {
		if (!creds_prof_has(fs, name)) {
			if (depth > 0) {
				creds_why(src, "shared files: source_profile "
				    "%s not found", name);
				return -1;
			}
			creds_why(src, "shared files: profile %s not found",
			    name);
			return src->profile_explicit ? -1 : 0;
		}
		if ((role = creds_prof_get(fs, name, "role_arn", NULL)) ==
		    NULL)
			break;
		if (creds_profile_role(src, fs, name, role) == -1)
			return -1;
		sp = creds_prof_get(fs, name, "source_profile", NULL);
		cs = creds_prof_get(fs, name, "credential_source", NULL);
		if (sp != NULL && cs != NULL) {
			creds_why(src, "shared files: profile %s sets both "
			    "source_profile and credential_source", name);
			return -1;
		}
		if (sp == NULL && cs == NULL) {
			creds_why(src, "shared files: profile %s has role_arn "
			    "but neither source_profile nor "
			    "credential_source", name);
			return -1;
		}
		if (cs != NULL)
			return creds_profile_cred_source(src, name, cs, out,
			    base);
		/* A role's own profile may hold the keys to assume it. */
		if (strcmp(sp, name) == 0)
			break;
		name = sp;
	}
	return creds_profile_keys(src, fs, name, depth, out);
}

static int
creds_from_files(struct aws_creds_src *src, struct creds_box **out,
    enum creds_base *base)
{
	struct creds_files	 fs;
	const char		*home, *p;
	int			 i, r;

	memset(&fs, 0, sizeof(fs));
	fs.f[0].label = "shared-credentials-file";
	fs.f[1].label = "shared-config-file";
	fs.f[1].config = true;
	home = src->home != NULL ? src->home : creds_getenv(src, E_HOME);

	p = creds_getenv(src, E_CREDS_FILE);
	fs.f[0].path = p != NULL ? creds_expand(p, home) : home != NULL ?
	    xasprintf("%s/.aws/credentials", home) : NULL;
	p = creds_getenv(src, E_CONFIG_FILE);
	fs.f[1].path = p != NULL ? creds_expand(p, home) : home != NULL ?
	    xasprintf("%s/.aws/config", home) : NULL;
	if (fs.f[0].path == NULL && fs.f[1].path == NULL) {
		creds_why(src, "shared files: HOME not set");
		r = 0;
		goto done;
	}
	for (i = 0; i < 2; i++)
		if (fs.f[i].path != NULL &&
		    creds_ini_read(src, &fs.f[i]) == -1) {
			r = -1;
			goto done;
		}
	if (!fs.f[0].found && !fs.f[1].found) {
		creds_why(src, "shared files: neither %s nor %s exists",
		    fs.f[0].path != NULL ? fs.f[0].path : "(no HOME)",
		    fs.f[1].path != NULL ? fs.f[1].path : "(no HOME)");
		r = src->profile_explicit ? -1 : 0;
		goto done;
	}
	r = creds_from_profile(src, &fs, out, base);
done:
	creds_ini_clear(&fs.f[0]);
	creds_ini_clear(&fs.f[1]);
	return r;
}

/*
 * HTTP sources. Each answer is checked for transport errors and the
 * status, then parsed; an error names the URL but never the body.
 */

static int
creds_get(struct aws_creds_src *src, enum creds_step step, const char *method,
    char *url, const char *const *headers, const void *body, size_t bodylen,
    int64_t connect_ms, int64_t timeout_ms)
{
	struct http_request	 rq;

	free(src->url);
	src->url = url;
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.url = url;
	rq.headers = headers;
	rq.body = body;
	rq.bodylen = bodylen;
	rq.connect_timeout_ms = connect_ms;
	rq.timeout_ms = timeout_ms;
	rq.max_body = CREDS_BODY_MAX;
	if (step == ST_STS)
		rq.ca_file = src->ca_file;
	src->step = step;
	if ((src->req = http_start(src->http, &rq, creds_http_cb,
	    src)) == NULL)
		return -1;
	return 0;
}

/* Transport and status: 0 if resp is a 200, else -1 with the reason. */
static int
creds_http_ok(struct aws_creds_src *src, const char *what,
    const struct http_response *resp)
{
	if (resp->error != 0) {
		creds_why(src, "%s: %s: %s", what, src->url, resp->message);
		return -1;
	}
	if (resp->status != 200) {
		creds_why(src, "%s: %s answered HTTP %d", what, src->url,
		    resp->status);
		return -1;
	}
	return 0;
}

/* The body held secrets: wipe it before lib/http frees it. */
static void
creds_wipe_body(const struct http_response *resp)
{
	if (resp->body != NULL && resp->bodylen > 0)
		explicit_bzero(resp->body, resp->bodylen);
}

static void
creds_json_wipe(json_t *v)
{
	if (json_is_string(v))
		explicit_bzero((char *)json_string_value(v),
		    json_string_length(v));
}

/*
 * The JSON of the ECS endpoint and of IMDS: AccessKeyId, SecretAccessKey,
 * Token, Expiration. NULL with the reason added.
 */
static struct creds_box *
creds_parse_json(struct aws_creds_src *src, const char *what,
    const struct http_response *resp, const char *source)
{
	json_t			*root, *id, *secret, *token, *exp, *code;
	json_error_t		 jerr;
	struct creds_box	*b = NULL;
	int64_t			 expires = 0;

	if ((root = json_loadb(resp->body, resp->bodylen, 0, &jerr)) ==
	    NULL) {
		/* jerr.text may quote the body: only say where. */
		creds_why(src, "%s: %s answered malformed JSON (line %d "
		    "column %d)", what, src->url, jerr.line, jerr.column);
		return NULL;
	}
	id = json_object_get(root, "AccessKeyId");
	secret = json_object_get(root, "SecretAccessKey");
	token = json_object_get(root, "Token");
	exp = json_object_get(root, "Expiration");
	code = json_object_get(root, "Code");
	if (code != NULL && (!json_is_string(code) ||
	    strcmp(json_string_value(code), "Success") != 0)) {
		creds_why(src, "%s: %s answered Code %s", what, src->url,
		    json_is_string(code) ? json_string_value(code) :
		    "(not a string)");
		goto done;
	}
	if (!json_is_string(id) || !json_is_string(secret) ||
	    json_string_length(id) == 0 || json_string_length(secret) == 0 ||
	    (token != NULL && !json_is_null(token) && !json_is_string(token))) {
		creds_why(src, "%s: %s answered JSON without AccessKeyId and "
		    "SecretAccessKey strings", what, src->url);
		goto done;
	}
	if (exp != NULL && !json_is_null(exp) && (!json_is_string(exp) ||
	    creds_parse_time(json_string_value(exp), &expires) == -1)) {
		creds_why(src, "%s: %s answered an Expiration that is not an "
		    "ISO 8601 time", what, src->url);
		goto done;
	}
	b = creds_box_new(json_string_value(id), json_string_value(secret),
	    json_is_string(token) ? json_string_value(token) : NULL, expires,
	    xstrdup(source));
done:
	creds_json_wipe(secret);
	creds_json_wipe(token);
	json_decref(root);
	return b;
}

/*
 * The ECS agent's URL: the relative URI under the agent's address, or the
 * full URI, plain http only to this host or the ECS and EKS agents (as
 * the SDKs: the token goes with the request). Malloc'd, or NULL (why set).
 */
static char *
creds_ecs_url(struct aws_creds_src *src, const char *rel, const char *full)
{
	CURLU	*u = NULL;
	char	*scheme = NULL, *host = NULL, *url = NULL;

	if (rel != NULL)
		return xasprintf("%s%s%s", src->ecs_host, rel[0] == '/' ?
		    "" : "/", rel);
	if ((u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, full, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		creds_why(src, "ecs-container: "
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL");
	else if (strcasecmp(scheme, "https") != 0 &&
	    (strcasecmp(scheme, "http") != 0 ||
	    (strncmp(host, "127.", 4) != 0 &&
	    strcasecmp(host, "localhost") != 0 &&
	    strcmp(host, "[::1]") != 0 &&
	    strcmp(host, "169.254.170.2") != 0 &&
	    strcmp(host, "169.254.170.23") != 0 &&
	    strcasecmp(host, "[fd00:ec2::23]") != 0)))
		creds_why(src, "ecs-container: "
		    "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or http "
		    "to a loopback or the ECS/EKS agent address, not %s://%s",
		    scheme, host);
	else
		url = xstrdup(full);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return url;
}

/*
 * The authorization token, from its file or the environment, into *auth
 * (malloc'd; NULL: none). 0, or -1 (why set).
 */
static int
creds_ecs_token(struct aws_creds_src *src, char **auth)
{
	const char	*tok, *tokfile;
	char		 buf[CREDS_TOKEN_FILE_MAX + 1];
	FILE		*f;
	size_t		 n;
	int		 r = -1;

	*auth = NULL;
	tokfile = creds_getenv(src, E_ECS_TOKEN_FILE);
	tok = creds_getenv(src, E_ECS_TOKEN);
	if (tokfile == NULL) {
		if (tok != NULL)
			*auth = xstrdup(tok);
		return 0;
	}
	if ((f = fopen(tokfile, "re")) == NULL) {
		creds_why(src, "ecs-container: "
		    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s", tokfile,
		    strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n == sizeof(buf) - 1)
		creds_why(src, "ecs-container: "
		    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: over %d bytes",
		    tokfile, CREDS_TOKEN_FILE_MAX);
	else {
		*auth = xstrdup(creds_trim(buf));
		r = 0;
	}
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/* 1 started, 0 not configured, -1 configured but unusable. */
static int
creds_ecs_start(struct aws_creds_src *src)
{
	const char	*rel, *full;
	char		*url = NULL, *auth = NULL, *hdr = NULL;
	const char	*headers[2] = { NULL, NULL };
	int		 r = -1;

	rel = creds_getenv(src, E_ECS_RELATIVE);
	full = creds_getenv(src, E_ECS_FULL);
	if (rel == NULL && full == NULL) {
		creds_why(src, "ecs-container: "
		    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not "
		    "set");
		return 0;
	}
	if ((url = creds_ecs_url(src, rel, full)) == NULL ||
	    creds_ecs_token(src, &auth) == -1)
		goto done;
	if (auth != NULL) {
		if (creds_has_crlf(auth)) {
			creds_why(src, "ecs-container: the authorization "
			    "token has a line break");
			goto done;
		}
		hdr = xasprintf("Authorization: %s", auth);
		headers[0] = hdr;
	}
	if (creds_get(src, ST_ECS, "GET", url, headers, NULL, 0, 1000,
	    5000) == -1) {
		url = NULL;
		creds_why(src, "ecs-container: cannot start a request to %s",
		    src->url);
		goto done;
	}
	url = NULL;
	r = 1;
done:
	free(url);
	creds_wipe(auth);
	creds_wipe(hdr);
	return r;
}

static void
creds_ecs_done(struct aws_creds_src *src, const struct http_response *resp)
{
	struct creds_box	*b;

	if (creds_http_ok(src, "ecs-container", resp) == -1) {
		creds_fail(src, NULL);
		return;
	}
	b = creds_parse_json(src, "ecs-container", resp, "ecs-container");
	creds_wipe_body(resp);
	if (b == NULL) {
		creds_fail(src, NULL);
		return;
	}
	creds_base_done(src, b);
}

/* 1 started, 0 disabled, -1 cannot start. */
static int
creds_imds_start(struct aws_creds_src *src)
{
	static const char *const headers[] = {
	    "X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL };
	const char	*off;

	off = creds_getenv(src, E_IMDS_DISABLED);
	if (off != NULL && strcasecmp(off, "true") == 0) {
		creds_why(src, "imds: disabled by AWS_EC2_METADATA_DISABLED");
		return 0;
	}
	if (creds_get(src, ST_IMDS_TOKEN, "PUT", xasprintf(
	    "%s/latest/api/token", src->imds_endpoint), headers, "", 0,
	    1000, 2000) == -1) {
		creds_why(src, "imds: cannot start a request to %s",
		    src->url);
		return -1;
	}
	return 1;
}

static void
creds_imds_done(struct aws_creds_src *src, const struct http_response *resp)
{
	const char		*headers[2] = { NULL, NULL };
	char			*hdr, *p;
	struct creds_box	*b;
	int			 r;

	switch (src->step) {
	case ST_IMDS_TOKEN:
		if (creds_http_ok(src, "imds", resp) == -1)
			goto fail;
		p = creds_trim(resp->body);
		if (*p == '\0' || strlen(p) != strcspn(p, "\r\n")) {
			creds_why(src, "imds: %s answered no usable token",
			    src->url);
			creds_wipe_body(resp);
			goto fail;
		}
		src->imds_token = xstrdup(p);
		creds_wipe_body(resp);
		hdr = xasprintf("X-aws-ec2-metadata-token: %s",
		    src->imds_token);
		headers[0] = hdr;
		r = creds_get(src, ST_IMDS_ROLE, "GET", xasprintf("%s%s",
		    src->imds_endpoint, CREDS_IMDS_CREDS_PATH), headers, NULL,
		    0, 1000, 2000);
		creds_wipe(hdr);
		if (r == -1)
			goto nostart;
		return;
	case ST_IMDS_ROLE:
		if (resp->error == 0 && resp->status == 404) {
			creds_why(src, "imds: no IAM role attached to this "
			    "instance");
			goto fail;
		}
		if (creds_http_ok(src, "imds", resp) == -1)
			goto fail;
		p = resp->body;
		p[strcspn(p, "\r\n")] = '\0';
		p = creds_trim(p);
		if (*p == '\0') {
			creds_why(src, "imds: no IAM role attached to this "
			    "instance");
			goto fail;
		}
		for (hdr = p; *hdr != '\0'; hdr++)
			if (!isalnum((unsigned char)*hdr) &&
			    strchr("+=,.@_-", *hdr) == NULL) {
				creds_why(src, "imds: %s answered a role name "
				    "with a forbidden character", src->url);
				goto fail;
			}
		src->imds_role = xstrdup(p);
		hdr = xasprintf("X-aws-ec2-metadata-token: %s",
		    src->imds_token);
		headers[0] = hdr;
		r = creds_get(src, ST_IMDS_CREDS, "GET", xasprintf(
		    "%s%s%s", src->imds_endpoint, CREDS_IMDS_CREDS_PATH,
		    src->imds_role), headers, NULL, 0, 1000, 2000);
		creds_wipe(hdr);
		if (r == -1)
			goto nostart;
		return;
	case ST_IMDS_CREDS:
		if (creds_http_ok(src, "imds", resp) == -1)
			goto fail;
		b = creds_parse_json(src, "imds", resp, "imds");
		creds_wipe_body(resp);
		if (b == NULL)
			goto fail;
		creds_base_done(src, b);
		return;
	default:
		break;
	}
fail:
	creds_fail(src, NULL);
	return;
nostart:
	creds_fail(src, "imds: cannot start a request to %s", src->url);
}

/*
 * STS AssumeRole through the Query API, signed with the credentials found
 * so far; the answer is XML, read with libxml2 by local element names.
 */

static const char *
creds_region(const struct aws_creds_src *src)
{
	if (src->region != NULL)
		return src->region;
	if (creds_getenv(src, E_REGION) != NULL)
		return creds_getenv(src, E_REGION);
	if (creds_getenv(src, E_DEFAULT_REGION) != NULL)
		return creds_getenv(src, E_DEFAULT_REGION);
	if (src->profile_region != NULL)
		return src->profile_region;
	return "us-east-1";
}

/* Append "&name=value", the value URI-encoded. */
static void
creds_form_add(char **form, const char *name, const char *value)
{
	size_t	 n = strlen(value) * 3 + 1;	/* every byte as %XX */
	char	*enc, *s;

	enc = xmalloc(n);
	aws_sigv4_uri_encode(enc, n, value, strlen(value), 1);
	s = xasprintf("%s%s%s=%s", *form != NULL ? *form : "",
	    *form != NULL ? "&" : "", name, enc);
	free(enc);
	free(*form);
	*form = s;
}

static void
creds_sts_start(struct aws_creds_src *src, const struct creds_role *role)
{
	static const char	 ctype[] =
	    "application/x-www-form-urlencoded; charset=utf-8";
	struct aws_sigv4_header	 sh[2];
	struct aws_sigv4_request sr;
	struct aws_sigv4_creds	 sc;
	struct aws_sigv4_signed	 sig;
	const char		*region = creds_region(src);
	const char		*headers[3 + AWS_SIGV4_MAX_ADD];
	char			*hdrs[3 + AWS_SIGV4_MAX_ADD];
	char			*url, *body = NULL, *host = NULL, *port = NULL;
	char			*path = NULL, *hosthdr = NULL, dur[16];
	CURLU			*u = NULL;
	size_t			 i, n = 0;
	int			 signed_ok = 0;

	memset(hdrs, 0, sizeof(hdrs));
	memset(&sig, 0, sizeof(sig));
	if (src->sts_endpoint != NULL)
		url = xstrdup(src->sts_endpoint);
	else
		url = xasprintf("https://sts.%s.amazonaws.com%s/", region,
		    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	if ((u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		free(url);
		creds_fail(src, "assume-role %s: the STS endpoint is not a URL",
		    role->arn);
		goto done;
	}
	/* Only an explicit port: it is what curl puts in Host. */
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	hosthdr = port != NULL ? xasprintf("%s:%s", host, port) :
	    xstrdup(host);

	creds_form_add(&body, "Action", "AssumeRole");
	snprintf(dur, sizeof(dur), "%d", role->duration);
	creds_form_add(&body, "DurationSeconds", dur);
	if (role->external_id != NULL)
		creds_form_add(&body, "ExternalId", role->external_id);
	creds_form_add(&body, "RoleArn", role->arn);
	creds_form_add(&body, "RoleSessionName", role->session_name);
	creds_form_add(&body, "Version", "2011-06-15");

	sh[0].name = "Host";
	sh[0].value = hosthdr;
	sh[1].name = "Content-Type";
	sh[1].value = ctype;
	memset(&sr, 0, sizeof(sr));
	sr.method = "POST";
	sr.path = path;
	sr.headers = sh;
	sr.nheaders = 2;
	sr.payload = body;
	sr.payload_len = strlen(body);
	sr.region = region;
	sr.service = "sts";
	sr.when = time(NULL);
	sc.access_key_id = src->got->c.access_key_id;
	sc.secret_access_key = src->got->c.secret_access_key;
	sc.session_token = src->got->c.session_token;
	if (aws_sigv4_sign(&sr, &sc, &sig) == -1) {
		free(url);
		creds_fail(src, "assume-role %s: cannot sign the request: %s",
		    role->arn, strerror(errno));
		goto done;
	}
	signed_ok = 1;
	hdrs[n++] = xasprintf("Host: %s", hosthdr);
	hdrs[n++] = xasprintf("Content-Type: %s", ctype);
	for (i = 0; i < sig.nadd; i++)
		hdrs[n++] = xasprintf("%s: %s", sig.add[i].name,
		    sig.add[i].value);
	for (i = 0; i < n; i++)
		headers[i] = hdrs[i];
	headers[n] = NULL;
	if (creds_get(src, ST_STS, "POST", url, headers, body, strlen(body),
	    5000, 15000) == -1)
		creds_fail(src, "assume-role %s: cannot start a request to %s",
		    role->arn, src->url);
done:
	for (i = 0; i < n; i++)
		creds_wipe(hdrs[i]);
	if (signed_ok)
		aws_sigv4_signed_clear(&sig);
	free(body);
	free(hosthdr);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
}

/* The first element named name (any namespace) at or under n. */
static xmlNode *
creds_xml_find(xmlNode *n, const char *name)
{
	xmlNode	*c, *f;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, name) == 0)
			return n;
		if ((c = n->children) != NULL &&
		    (f = creds_xml_find(c, name)) != NULL)
			return f;
	}
	return NULL;
}

/* The text of element name under n (malloc'd, trimmed), or NULL. */
static char *
creds_xml_text(xmlNode *n, const char *name)
{
	xmlNode	*e;
	xmlChar	*t;
	char	*s;

	if (n == NULL || (e = creds_xml_find(n->children, name)) == NULL ||
	    (t = xmlNodeGetContent(e)) == NULL)
		return NULL;
	s = xstrdup(creds_trim((char *)t));
	explicit_bzero(t, strlen((char *)t));
	xmlFree(t);
	return s;
}

/* Wipe every text node: the tree held the secret. */
static void
creds_xml_wipe(xmlNode *n)
{
	for (; n != NULL; n = n->next) {
		if ((n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE) && n->content != NULL)
			explicit_bzero(n->content, strlen((char *)n->content));
		creds_xml_wipe(n->children);
	}
}

static void
creds_sts_done(struct aws_creds_src *src, const struct http_response *resp)
{
	const struct creds_role	*role = &src->roles[src->irole];
	xmlDoc			*doc = NULL;
	xmlNode			*root, *e;
	char			*code = NULL, *msg = NULL, *id = NULL;
	char			*secret = NULL, *token = NULL, *exp = NULL;
	int64_t			 expires;
	struct creds_box	*b;

	if (resp->error != 0) {
		creds_fail(src, "assume-role %s: sts AssumeRole: %s: %s",
		    role->arn, src->url, resp->message);
		return;
	}
	if (resp->bodylen > INT_MAX || (doc = xmlReadMemory(resp->body,
	    (int)resp->bodylen, "sts.xml", NULL, XML_PARSE_NONET |
	    XML_PARSE_NODICT | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) ==
	    NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		creds_wipe_body(resp);
		creds_fail(src, "assume-role %s: sts AssumeRole: %s answered "
		    "HTTP %d, not XML", role->arn, src->url, resp->status);
		goto done;
	}
	creds_wipe_body(resp);
	if ((e = creds_xml_find(root, "Error")) != NULL) {
		code = creds_xml_text(e, "Code");
		msg = creds_xml_text(e, "Message");
		creds_fail(src, "assume-role %s: sts AssumeRole: %s: %s",
		    role->arn, code != NULL ? code : "(no code)",
		    msg != NULL ? msg : "(no message)");
		goto done;
	}
	if (resp->status != 200) {
		creds_fail(src, "assume-role %s: sts AssumeRole: %s answered "
		    "HTTP %d", role->arn, src->url, resp->status);
		goto done;
	}
	e = creds_xml_find(root, "Credentials");
	id = creds_xml_text(e, "AccessKeyId");
	secret = creds_xml_text(e, "SecretAccessKey");
	token = creds_xml_text(e, "SessionToken");
	exp = creds_xml_text(e, "Expiration");
	if (id == NULL || secret == NULL || token == NULL || exp == NULL ||
	    *id == '\0' || *secret == '\0' || *token == '\0') {
		creds_fail(src, "assume-role %s: sts AssumeRole: the answer "
		    "has no Credentials with AccessKeyId, SecretAccessKey, "
		    "SessionToken and Expiration", role->arn);
		goto done;
	}
	if (creds_parse_time(exp, &expires) == -1) {
		creds_fail(src, "assume-role %s: sts AssumeRole: Expiration "
		    "is not an ISO 8601 time", role->arn);
		goto done;
	}
	b = creds_box_new(id, secret, token, expires,
	    xasprintf("assume-role %s", role->arn));
	creds_box_unref(src->got);
	src->got = b;
	src->irole++;
	creds_next_role(src);
done:
	if (doc != NULL) {
		creds_xml_wipe(xmlDocGetRootElement(doc));
		xmlFreeDoc(doc);
	}
	free(code);
	free(msg);
	creds_wipe(id);
	creds_wipe(secret);
	creds_wipe(token);
	free(exp);
}

/*
 * The refresh.
 */

static void
creds_http_cb(void *arg, const struct http_response *resp)
{
	struct aws_creds_src	*src = arg;

	src->req = NULL;
	switch (src->step) {
	case ST_ECS:
		creds_ecs_done(src, resp);
		break;
	case ST_IMDS_TOKEN:
	case ST_IMDS_ROLE:
	case ST_IMDS_CREDS:
		creds_imds_done(src, resp);
		break;
	case ST_STS:
		creds_sts_done(src, resp);
		break;
	case ST_IDLE:
		break;
	}
}

/* Assume the next role with what we have, or finish with it. */
static void
creds_next_role(struct aws_creds_src *src)
{
	struct creds_box	*b;

	if (src->irole < src->nroles) {
		creds_sts_start(src, &src->roles[src->irole]);
		return;
	}
	b = src->got;
	src->got = NULL;
	creds_finish(src, b, NULL);
}

/* The chain found its first credentials; the roles go on top. */
static void
creds_base_done(struct aws_creds_src *src, struct creds_box *b)
{
	creds_box_unref(src->got);
	src->got = b;
	if (src->role_arn != NULL && creds_push_role(src, src->role_arn,
	    NULL, NULL, CREDS_DURATION_S) == -1) {
		creds_fail(src, "assume-role %s: role chain longer than %d",
		    src->role_arn, CREDS_ROLES_MAX);
		return;
	}
	creds_next_role(src);
}

static void
creds_refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct aws_creds_src	*src = arg;
	struct creds_box	*b = NULL;
	enum creds_base		 base = B_NONE;
	int			 r;

	creds_refresh_clear(src);
	if ((r = creds_from_env(src, &b)) != 0) {
		if (r == 1)
			creds_base_done(src, b);
		else
			creds_fail(src, NULL);
		return;
	}
	if ((r = creds_from_files(src, &b, &base)) != 0) {
		if (r == 1)
			creds_base_done(src, b);
		else if (r == 2 && base == B_ECS &&
		    creds_ecs_start(src) == 1)
			return;
		else if (r == 2 && base == B_IMDS &&
		    creds_imds_start(src) == 1)
			return;
		else
			creds_fail(src, NULL);
		return;
	}
	if ((r = creds_ecs_start(src)) != 0) {
		if (r == -1)
			creds_fail(src, NULL);
		return;
	}
	if ((r = creds_imds_start(src)) != 0) {
		if (r == -1)
			creds_fail(src, NULL);
		return;
	}
	creds_fail(src, NULL);
}

static void
creds_destroy(struct aws_creds_src *src)
{
	struct creds_waiter	*w;
	int			 i;

	creds_refresh_clear(src);
	while ((w = TAILQ_FIRST(&src->waiting)) != NULL) {
		TAILQ_REMOVE(&src->waiting, w, entry);
		creds_waiter_free(w);
	}
	while ((w = TAILQ_FIRST(&src->ready)) != NULL) {
		TAILQ_REMOVE(&src->ready, w, entry);
		creds_waiter_free(w);
	}
	creds_box_unref(src->cur);
	if (src->ev_refresh != NULL)
		event_free(src->ev_refresh);
	if (src->ev_deliver != NULL)
		event_free(src->ev_deliver);
	for (i = 0; i < E_NENV; i++)
		creds_wipe(src->env[i]);
	free(src->profile);
	free(src->region);
	free(src->home);
	free(src->imds_endpoint);
	free(src->ecs_host);
	free(src->sts_endpoint);
	free(src->role_arn);
	free(src->role_session_name);
	free(src->ca_file);
	free(src);
}

static void
creds_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct aws_creds_src	*src = arg;
	struct creds_waiter	*w;

	src->delivering = true;
	while (!src->dying && (w = TAILQ_FIRST(&src->ready)) != NULL) {
		TAILQ_REMOVE(&src->ready, w, entry);
		w->cb(w->arg, w->box != NULL ? &w->box->c : NULL, w->err);
		creds_waiter_free(w);
	}
	src->delivering = false;
	if (src->dying)
		creds_destroy(src);
}

/* Strip trailing slashes so paths can be appended. */
static char *
creds_base_url(const char *s)
{
	char	*d = xstrdup(s);
	size_t	 n = strlen(d);

	while (n > 0 && d[n - 1] == '/')
		d[--n] = '\0';
	return d;
}

struct aws_creds_src *
aws_creds_new(struct event_base *base, struct http *http,
    const struct aws_creds_opts *opts)
{
	static const struct aws_creds_opts	 none;
	struct aws_creds_src			*src;
	char *const				*ep;
	const char				*eq;
	size_t					 len;
	int					 i;

	if (opts == NULL)
		opts = &none;
	if ((src = calloc(1, sizeof(*src))) == NULL)
		return NULL;
	src->base = base;
	src->http = http;
	TAILQ_INIT(&src->waiting);
	TAILQ_INIT(&src->ready);
	for (ep = opts->env != NULL ? opts->env : environ; *ep != NULL;
	    ep++) {
		if ((eq = strchr(*ep, '=')) == NULL || eq[1] == '\0')
			continue;
		len = (size_t)(eq - *ep);
		for (i = 0; i < E_NENV; i++)
			if (strlen(creds_env_names[i]) == len &&
			    strncmp(*ep, creds_env_names[i], len) == 0) {
				creds_wipe(src->env[i]);
				src->env[i] = xstrdup(eq + 1);
			}
	}
	if (opts->profile != NULL || src->env[E_PROFILE] != NULL) {
		src->profile_explicit = true;
		src->profile = xstrdup(opts->profile != NULL ?
		    opts->profile : src->env[E_PROFILE]);
	} else
		src->profile = xstrdup("default");
	src->region = xstrdup(opts->region);
	src->home = xstrdup(opts->home);
	src->imds_endpoint = creds_base_url(opts->imds_endpoint != NULL ?
	    opts->imds_endpoint : src->env[E_IMDS_ENDPOINT] != NULL ?
	    src->env[E_IMDS_ENDPOINT] : CREDS_DEFAULT_IMDS);
	src->ecs_host = creds_base_url(opts->ecs_host != NULL ?
	    opts->ecs_host : CREDS_DEFAULT_ECS);
	src->sts_endpoint = xstrdup(opts->sts_endpoint);
	src->role_arn = xstrdup(opts->role_arn);
	src->role_session_name = xstrdup(opts->role_session_name);
	src->ca_file = xstrdup(opts->ca_file);
	if ((src->ev_refresh = event_new(base, -1, 0, creds_refresh_cb,
	    src)) == NULL ||
	    (src->ev_deliver = event_new(base, -1, 0, creds_deliver_cb,
	    src)) == NULL)
		goto fail;
	xmlInitParser();
	return src;
fail:
	creds_destroy(src);
	return NULL;
}

void
aws_creds_free(struct aws_creds_src *src)
{
	if (src == NULL)
		return;
	if (src->delivering) {
		src->dying = true;
		return;
	}
	creds_destroy(src);
}

void
aws_creds_get(struct aws_creds_src *src, aws_creds_cb cb, void *arg)
{
	struct creds_waiter	*w;

	w = xcalloc(1, sizeof(*w));
	w->cb = cb;
	w->arg = arg;
	if (!src->refreshing && creds_fresh(src->cur)) {
		w->box = creds_box_ref(src->cur);
		TAILQ_INSERT_TAIL(&src->ready, w, entry);
		event_active(src->ev_deliver, EV_TIMEOUT, 0);
		return;
	}
	TAILQ_INSERT_TAIL(&src->waiting, w, entry);
	if (!src->refreshing) {
		src->refreshing = true;
		event_active(src->ev_refresh, EV_TIMEOUT, 0);
	}
}

void
aws_creds_forget(struct aws_creds_src *src, void *arg)
{
	struct creds_waiter	*w, *next;

	for (w = TAILQ_FIRST(&src->waiting); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->arg == arg) {
			TAILQ_REMOVE(&src->waiting, w, entry);
			creds_waiter_free(w);
		}
	}
	for (w = TAILQ_FIRST(&src->ready); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->arg == arg) {
			TAILQ_REMOVE(&src->ready, w, entry);
			creds_waiter_free(w);
		}
	}
}

void
aws_creds_invalidate(struct aws_creds_src *src)
{
	creds_box_unref(src->cur);
	src->cur = NULL;
}
