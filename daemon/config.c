/*
 * config: the daemon's configuration file. A table, copts[], names every
 * option (section, key, type, field, default) and one setter turns a value
 * into its field, for the defaults and for the file alike, so that a key
 * is added in one place. Sections: [daemon] and [aws] (region, profile,
 * CA file, endpoint overrides); [metrics] (listen address) comes with the
 * code that uses it, as new rows of copts[] and a new name in csections[].
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "log.h"

#define CONFIG_FILE_MAX	(64 * 1024)

enum copt_type {
	CT_PATH,	/* char *, absolute (relative: from the file's dir) */
	CT_SOCKET,	/* CT_PATH short enough for sockaddr_un */
	CT_MODE,	/* int, octal permission bits */
	CT_GROUP,	/* char *, a group that exists; blank: none */
	CT_LOGLEVEL,	/* int, enum log_level */
	CT_INT,		/* int in lo..hi */
	CT_REGION,	/* char *, an AWS region name; blank: none */
	CT_WORD,	/* char *, no blanks; blank: none */
	CT_URL,		/* char *, http:// or https:// URL; blank: none */
	CT_LOOPBACK,	/* char *, a loopback ADDRESS:PORT; blank: none */
};

struct copt {
	const char	*section;
	const char	*key;
	enum copt_type	 type;
	size_t		 off;
	const char	*def;	/* default, parsed like a value; NULL: none */
	long long	 lo, hi;
};

#define OFF(f)	offsetof(struct config, f)
#define STR(x)	STR2(x)
#define STR2(x)	#x

static const struct copt copts[] = {
	{ "daemon", "socket", CT_SOCKET, OFF(socket), CONFIG_SOCKET, 0, 0 },
	{ "daemon", "socket_mode", CT_MODE, OFF(socket_mode), "0660", 0, 0 },
	{ "daemon", "socket_group", CT_GROUP, OFF(socket_group), NULL, 0, 0 },
	{ "daemon", "state_db", CT_PATH, OFF(state_db), CONFIG_STATE_DB,
	    0, 0 },
	{ "daemon", "plan_dir", CT_PATH, OFF(plan_dir), CONFIG_PLAN_DIR, 0, 0 },
	{ "daemon", "log_level", CT_LOGLEVEL, OFF(log_level), "info", 0, 0 },
	{ "daemon", "max_clients", CT_INT, OFF(max_clients),
	    STR(CONFIG_MAX_CLIENTS), 1, 65536 },
	{ "metrics", "listen", CT_LOOPBACK, OFF(metrics_listen), NULL, 0, 0 },
	{ "digitalocean", "endpoint", CT_URL, OFF(do_endpoint), NULL, 0, 0 },
	{ "aws", "region", CT_REGION, OFF(aws_region), NULL, 0, 0 },
	{ "aws", "profile", CT_WORD, OFF(aws_profile), NULL, 0, 0 },
	{ "aws", "ca_file", CT_PATH, OFF(aws_ca_file), NULL, 0, 0 },
	{ "aws", "endpoint_elasticloadbalancing", CT_URL,
	    OFF(aws_endpoint[CONFIG_EP_ELBV2]), NULL, 0, 0 },
	{ "aws", "endpoint_ecs", CT_URL, OFF(aws_endpoint[CONFIG_EP_ECS]),
	    NULL, 0, 0 },
	{ "aws", "endpoint_monitoring", CT_URL,
	    OFF(aws_endpoint[CONFIG_EP_MONITORING]), NULL, 0, 0 },
	{ "aws", "endpoint_sts", CT_URL, OFF(aws_endpoint[CONFIG_EP_STS]),
	    NULL, 0, 0 },
	{ "aws", "endpoint_route53", CT_URL,
	    OFF(aws_endpoint[CONFIG_EP_ROUTE53]), NULL, 0, 0 },
};

/* The services of the endpoint_* keys, as lib/aws names them. */
const char *const config_ep_service[CONFIG_EP__COUNT] = {
	[CONFIG_EP_ELBV2] = "elasticloadbalancing",
	[CONFIG_EP_ECS] = "ecs",
	[CONFIG_EP_MONITORING] = "monitoring",
	[CONFIG_EP_STS] = "sts",
	[CONFIG_EP_ROUTE53] = "route53",
};

#define NCOPTS	(sizeof(copts) / sizeof(copts[0]))

static const char *const csections[] = { "daemon", "metrics", "aws",
	"digitalocean" };

#define NCSECTIONS	(sizeof(csections) / sizeof(csections[0]))

struct cparse {
	struct config		*c;
	const char		*file;
	struct conf_errors	*errs;
	int			 nerr;
	int			 cursec;	/* -1 unknown, 0 top, i + 1 */
	int			 secline[NCSECTIONS];
	int			 seen[NCOPTS];
};

int
config_split_addr(const char *v, char *host, size_t len, int *port)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	const char	*colon;
	char		*end;
	long		 n;
	size_t		 hl;

	if (*v == '[') {
		if ((colon = strstr(v, "]:")) == NULL)
			return -1;
		hl = (size_t)(colon - v - 1);
		v++;
		colon++;
	} else {
		if ((colon = strrchr(v, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - v);
	}
	if (hl == 0 || hl >= len)
		return -1;
	memcpy(host, v, hl);
	host[hl] = '\0';
	n = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || n < 1 || n > 65535)
		return -1;
	*port = (int)n;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127 ? 0 : -1;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ? 0 : -1;
	return -1;
}

/* What is wrong with a region, word or URL value, or NULL. */
static const char *
config_word_bad(enum copt_type type, const char *v)
{
	const char	*p;
	char		 host[64];
	int		 port;

	switch (type) {
	case CT_LOOPBACK:
		if (config_split_addr(v, host, sizeof(host), &port) == -1)
			return "expected a loopback address and port like "
			    "127.0.0.1:9464 or [::1]:9464 (metrics are served "
			    "without authentication)";
		return NULL;
	case CT_REGION:
		/* "us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1" */
		for (p = v; (*p >= 'a' && *p <= 'z') || (*p >= '0' &&
		    *p <= '9') || *p == '-'; p++)
			;
		if (*p != '\0' || strchr(v, '-') == NULL || *v == '-' ||
		    p[-1] == '-' || p - v > 32)
			return "expected an AWS region like us-east-1";
		return NULL;
	case CT_URL:
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			return "expected an http:// or https:// URL";
		if (v[strcspn(v, ":") + 3] == '\0' ||
		    v[strcspn(v, ":") + 3] == '/')
			return "expected a host after the scheme";
		/* FALLTHROUGH */
	default:
		for (p = v; *p != '\0'; p++)
			if (*p == ' ' || *p == '\t' || (unsigned char)*p < 0x20)
				return "expected no blanks";
		return NULL;
	}
}

static int
config_set(struct config *c, const struct copt *o, const char *value,
    char *why, size_t len)
{
	struct sockaddr_un	 sun;
	void			*f = (char *)c + o->off;
	const char		*p;
	char			*s = NULL;
	long long		 ll;
	long			 mode;
	int			 lvl;

	switch (o->type) {
	case CT_PATH:
	case CT_SOCKET:
		if (*value == '\0') {
			snprintf(why, len, "expected a path");
			return -1;
		}
		if ((s = conf_path_resolve(c->file, value)) == NULL) {
			snprintf(why, len, "cannot resolve '%s': %s", value,
			    strerror(errno));
			return -1;
		}
		if (o->type == CT_SOCKET && strlen(s) >= sizeof(sun.sun_path)) {
			snprintf(why, len, "%s is longer than a socket path "
			    "may be (%zu bytes)", s, sizeof(sun.sun_path) - 1);
			free(s);
			return -1;
		}
		free(*(char **)f);
		*(char **)f = s;
		return 0;
	case CT_MODE:
		for (p = value; *p >= '0' && *p <= '7'; p++)
			;
		if (*value == '\0' || *p != '\0' || p - value > 4 ||
		    (mode = strtol(value, NULL, 8)) > 0777) {
			snprintf(why, len, "expected an octal mode like 0660, "
			    "got '%s'", value);
			return -1;
		}
		*(int *)f = (int)mode;
		return 0;
	case CT_GROUP:
		if (*value != '\0') {
			if (getgrnam(value) == NULL) {
				snprintf(why, len, "no group named '%s'",
				    value);
				return -1;
			}
			if ((s = strdup(value)) == NULL) {
				snprintf(why, len, "out of memory");
				return -1;
			}
		}
		free(*(char **)f);
		*(char **)f = s;
		return 0;
	case CT_LOGLEVEL:
		if ((lvl = log_level_parse(value)) == -1) {
			snprintf(why, len, "expected err, warning, notice, info "
			    "or debug, got '%s'", value);
			return -1;
		}
		*(int *)f = lvl;
		return 0;
	case CT_INT:
		if (conf_int(value, o->lo, o->hi, &ll, why, len) == -1)
			return -1;
		*(int *)f = (int)ll;
		return 0;
	case CT_REGION:
	case CT_WORD:
	case CT_URL:
	case CT_LOOPBACK:
		if (*value != '\0') {
			if ((p = config_word_bad(o->type, value)) != NULL) {
				snprintf(why, len, "%s, got '%s'", p, value);
				return -1;
			}
			if ((s = strdup(value)) == NULL) {
				snprintf(why, len, "out of memory");
				return -1;
			}
		}
		free(*(char **)f);
		*(char **)f = s;
		return 0;
	}
	snprintf(why, len, "unknown option type");
	return -1;
}

static void
config_error(struct cparse *cp, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
config_error(struct cparse *cp, int line, const char *fmt, ...)
{
	va_list	ap;
	char	msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_error(cp->errs, cp->file, line, "%s", msg);
	cp->nerr++;
}

static void
config_section_cb(void *arg, const char *section, int line)
{
	struct cparse	*cp = arg;
	size_t		 i;
	int		 d, best = -1;
	const char	*near = NULL;

	for (i = 0; i < NCSECTIONS; i++)
		if (strcmp(csections[i], section) == 0)
			break;
	if (i == NCSECTIONS) {
		cp->cursec = -1;
		for (i = 0; i < NCSECTIONS; i++) {
			d = conf_similar(section, csections[i]);
			if (d != -1 && (best == -1 || d < best)) {
				best = d;
				near = csections[i];
			}
		}
		if (near != NULL)
			config_error(cp, line, "unknown section [%s]; did you "
			    "mean [%s]?", section, near);
		else
			config_error(cp, line, "unknown section [%s]", section);
		return;
	}
	cp->cursec = (int)i + 1;
	if (cp->secline[i] != 0) {
		config_error(cp, line, "duplicate section [%s] (first at line "
		    "%d)", section, cp->secline[i]);
		return;
	}
	cp->secline[i] = line;
}

static void
config_key_cb(void *arg, const char *section, const char *key,
    const char *value, int line)
{
	struct cparse		*cp = arg;
	const struct copt	*o = NULL;
	const char		*near = NULL;
	char			 why[512];
	size_t			 i;
	int			 d, best = -1;

	if (cp->cursec == -1)
		return;		/* under an unknown section: reported */
	for (i = 0; i < NCOPTS; i++) {
		if (strcmp(copts[i].section, section) != 0)
			continue;
		if (strcmp(copts[i].key, key) == 0) {
			o = &copts[i];
			break;
		}
		d = conf_similar(key, copts[i].key);
		if (d != -1 && (best == -1 || d < best)) {
			best = d;
			near = copts[i].key;
		}
	}
	if (o == NULL) {
		if (cp->cursec == 0) {
			for (i = 0; i < NCOPTS; i++)
				if (strcmp(copts[i].key, key) == 0)
					break;
			if (i < NCOPTS)
				config_error(cp, line, "key '%s' is outside "
				    "any section; it belongs in [%s]", key,
				    copts[i].section);
			else
				config_error(cp, line, "unknown key '%s' "
				    "before the first section", key);
		} else if (near != NULL)
			config_error(cp, line, "unknown key '%s' in [%s]; did "
			    "you mean '%s'?", key, section, near);
		else
			config_error(cp, line, "unknown key '%s' in [%s]",
			    key, section);
		return;
	}
	if (cp->seen[o - copts] != 0) {
		config_error(cp, line, "duplicate key '%s' in [%s] (first at "
		    "line %d)", key, section, cp->seen[o - copts]);
		return;
	}
	cp->seen[o - copts] = line;
	if (config_set(cp->c, o, value, why, sizeof(why)) == -1)
		config_error(cp, line, "%s: %s", key, why);
}

static int
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0);
}

int
config_aws_equal(const struct config *a, const struct config *b)
{
	int	i;

	if (!str_same(a->aws_region, b->aws_region) ||
	    !str_same(a->aws_profile, b->aws_profile) ||
	    !str_same(a->aws_ca_file, b->aws_ca_file))
		return 0;
	for (i = 0; i < CONFIG_EP__COUNT; i++)
		if (!str_same(a->aws_endpoint[i], b->aws_endpoint[i]))
			return 0;
	return 1;
}

void
config_aws_keep(struct config *to, struct config *from)
{
	char	*t;
	int	 i;

#define SWAP(a, b)	do { t = (a); (a) = (b); (b) = t; } while (0)
	SWAP(to->aws_region, from->aws_region);
	SWAP(to->aws_profile, from->aws_profile);
	SWAP(to->aws_ca_file, from->aws_ca_file);
	for (i = 0; i < CONFIG_EP__COUNT; i++)
		SWAP(to->aws_endpoint[i], from->aws_endpoint[i]);
#undef SWAP
}

struct config *
config_defaults(void)
{
	struct config	*c;
	char		 why[256];
	size_t		 i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	for (i = 0; i < NCOPTS; i++) {
		if (copts[i].def == NULL)
			continue;
		if (config_set(c, &copts[i], copts[i].def, why,
		    sizeof(why)) == -1) {
			/* Only out of memory: the defaults are valid. */
			config_free(c);
			return NULL;
		}
	}
	return c;
}

struct config *
config_load(const char *path, int must_exist, struct conf_errors *errs)
{
	struct cparse	 cp;
	struct config	*c;
	char		*text;

	if ((text = conf_read_file(path, CONFIG_FILE_MAX)) == NULL) {
		if (errno == ENOENT && !must_exist) {
			if ((c = config_defaults()) == NULL)
				conf_error(errs, path, 0, "out of memory");
			return c;
		}
		conf_error(errs, path, 0, "cannot read: %s", errno == EFBIG ?
		    "larger than 64 KiB" : strerror(errno));
		return NULL;
	}
	if ((c = config_defaults()) == NULL || (c->file = strdup(path)) ==
	    NULL) {
		conf_error(errs, path, 0, "out of memory");
		free(text);
		config_free(c);
		return NULL;
	}
	memset(&cp, 0, sizeof(cp));
	cp.c = c;
	cp.file = path;
	cp.errs = errs;
	if (conf_parse_sections(text, path, config_section_cb, config_key_cb,
	    &cp, errs) == -1)
		cp.nerr++;
	free(text);
	if (cp.nerr > 0) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct config *c)
{
	int	i;

	if (c == NULL)
		return;
	free(c->file);
	free(c->socket);
	free(c->socket_group);
	free(c->state_db);
	free(c->plan_dir);
	free(c->aws_region);
	free(c->aws_profile);
	free(c->aws_ca_file);
	free(c->metrics_listen);
	free(c->do_endpoint);
	for (i = 0; i < CONFIG_EP__COUNT; i++)
		free(c->aws_endpoint[i]);
	free(c);
}
