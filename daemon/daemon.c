/*
 * daemon: the shared services of the one process: the store and the
 * migrations in it, the HTTP client and the AWS and DigitalOcean clients
 * made on it (by region, by token), "something changed" (systemd's STATUS=
 * and whoever main plugged in), and the work a clean stop waits for. Every
 * daemon/ module is handed a pointer to struct daemon; this file includes
 * none of them. main(), the signals and the wiring of the runner, the
 * webhook and the control socket live in migrated.c, which nothing else
 * includes.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "aws-creds.h"
#include "aws.h"
#include "conf.h"
#include "config.h"
#include "daemon.h"
#include "digitalocean.h"
#include "http.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"
#include "xmalloc.h"

#define STOP_DEADLINE	25	/* seconds to finish work after SIGTERM */

struct http *
daemon_http(struct daemon *d)
{
	if (d->http == NULL && (d->http = http_new(d->base)) == NULL)
		log_warnx("cannot start the HTTP client");
	return d->http;
}

const char *
daemon_socket_path(const struct daemon *d)
{
	return d->socket_override ? d->socket_override : d->conf->socket;
}

const char *
daemon_state_path(const struct daemon *d)
{
	return d->state_override ? d->state_override : d->conf->state_db;
}

struct migration *
daemon_find(struct daemon *d, const char *name)
{
	size_t	i;

	for (i = 0; i < d->nmigs; i++)
		if (strcmp(d->migs[i]->name, name) == 0)
			return d->migs[i];
	return NULL;
}

void
daemon_add(struct daemon *d, struct migration *m)
{
	struct migration	**n;

	if ((n = reallocarray(d->migs, d->nmigs + 1, sizeof(*n))) == NULL)
		fatal("reallocarray");
	d->migs = n;
	d->migs[d->nmigs++] = m;
	if (d->attach != NULL)
		d->attach(d, m);
	daemon_changed(d, m);
}

void
daemon_remove(struct daemon *d, struct migration *m)
{
	size_t	i;

	for (i = 0; i < d->nmigs; i++)
		if (d->migs[i] == m)
			break;
	if (i == d->nmigs)
		return;
	memmove(&d->migs[i], &d->migs[i + 1],
	    (d->nmigs - i - 1) * sizeof(*d->migs));
	d->nmigs--;
	if (d->detach != NULL)
		d->detach(m);
	migration_free(m);
	daemon_changed(d, NULL);
}

void
daemon_changed(struct daemon *d, struct migration *m)
{
	if (d->changed != NULL)
		d->changed(d->changed_arg);
	if (d->ev_status != NULL)
		event_active(d->ev_status, 0, 0);
}

static void
daemon_status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon		*d = arg;
	struct migration	*m;
	char			 line[512];
	size_t			 i, len;

	if (!d->notify)
		return;
	len = snprintf(line, sizeof(line), "STATUS=%zu migration%s%s",
	    d->nmigs, d->nmigs == 1 ? "" : "s", d->nmigs ? ": " : "");
	for (i = 0; i < d->nmigs && len < sizeof(line); i++) {
		m = d->migs[i];
		if (m->phase == PH_SHIFTING && m->plan != NULL)
			len += snprintf(line + len, sizeof(line) - len,
			    "%s%s %s %d/%d", i ? ", " : "", m->name,
			    phase_name(m->phase), m->step + 1,
			    m->plan->traffic.nsteps);
		else
			len += snprintf(line + len, sizeof(line) - len,
			    "%s%s %s", i ? ", " : "", m->name,
			    phase_name(m->phase));
	}
	sd_notify(0, line);
}

/* Parse stored plan text and apply the `set` overrides on top. */
struct plan *
daemon_plan(struct migration *m, const char *text)
{
	struct conf_errors	 errs;
	struct plan		*p;
	json_t			*ov, *v;
	const char		*key;
	char			 why[512];
	int			 i;

	memset(&errs, 0, sizeof(errs));
	p = plan_parse(text, m->plan_path ? m->plan_path : m->name, &errs);
	for (i = 0; i < errs.n; i++)
		log_warnx("%s: %s", m->name, errs.msg[i]);
	conf_errors_clear(&errs);
	if (p == NULL || m->overrides == NULL)
		return p;
	if ((ov = json_loads(m->overrides, 0, NULL)) == NULL)
		return p;
	json_object_foreach(ov, key, v) {
		if (!json_is_string(v) || plan_set(p, key, json_string_value(v),
		    why, sizeof(why)) == -1)
			log_warnx("%s: override %s no longer applies: %s",
			    m->name, key, why);
	}
	json_decref(ov);
	return p;
}

static void
daemon_load_one(void *arg, struct migration *m)
{
	struct daemon	*d = arg;

	m->plan = daemon_plan(m, m->plan_text);
	if (m->plan == NULL)
		log_warnx("%s: stored plan does not parse; the migration "
		    "holds until it is fixed", m->name);
	daemon_add(d, m);
}

static void
daemon_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	/* Intents left open are reconciled at the next start. */
	log_warnx("work still running after %ds; exiting anyway",
	    STOP_DEADLINE);
	event_base_loopexit(d->base, NULL);
}

void
daemon_stop_when_idle(struct daemon *d)
{
	struct timeval	deadline = { STOP_DEADLINE, 0 };

	/* Effects end; messages already queued still go out. */
	if (d->held == 0) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	if (!evtimer_pending(d->ev_stop, NULL))
		evtimer_add(d->ev_stop, &deadline);
}

/*
 * Open the store and load its migrations; each is attached (d->attach)
 * as it arrives. base, conf and the paths must be set. -1 (logged) when
 * the daemon cannot start.
 */
int
daemon_open(struct daemon *d)
{
	char	err[1024];

	if ((d->store = store_open(daemon_state_path(d), err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	d->ev_status = event_new(d->base, -1, 0, daemon_status_cb, d);
	d->ev_stop = evtimer_new(d->base, daemon_deadline_cb, d);
	if (d->ev_status == NULL || d->ev_stop == NULL)
		fatalx("event_new");
	if (store_mig_load(d->store, daemon_load_one, d) == -1) {
		log_warnx("%s: migrations could not be loaded; not starting",
		    daemon_state_path(d));
		return -1;
	}
	return 0;
}

void
daemon_hold(struct daemon *d)
{
	d->held++;
}

void
daemon_release(struct daemon *d)
{
	if (--d->held == 0 && d->stopping)
		daemon_stop_when_idle(d);
}

/* STATUS= for systemd: one line summarising every migration. */
void
daemon_status(struct daemon *d)
{
	daemon_status_cb(-1, 0, d);
}


/*
 * The AWS clients, made on first use. The HTTP client and the credential
 * chain are shared by every region, so credentials are looked up (and
 * refreshed) once; each region has its own struct aws because a client is
 * bound to one region. Everything is made from the config's [aws] section
 * as it was at first use: a SIGHUP that changes [aws] is refused by the
 * reload until the next restart.
 */

struct aws_region_client {
	char		*name;
	struct aws	*aws;
};

struct aws_clients {
	struct aws_creds_src	*creds;
	struct aws_region_client	*v;
	size_t			 n;
};

const char *
daemon_aws_region(const struct daemon *d, const struct plan *p)
{
	if (p != NULL && p->traffic.region != NULL)
		return p->traffic.region;
	return d->conf != NULL ? d->conf->aws_region : NULL;
}

/* The shared parts, made once. */
static struct aws_clients *
daemon_aws_shared(struct daemon *d, char *why, size_t len)
{
	const struct config	*c = d->conf;
	struct aws_creds_opts	 co;
	struct aws_clients		*x;

	if (d->aws != NULL)
		return d->aws;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		fatal("calloc");
	if (daemon_http(d) == NULL) {
		snprintf(why, len, "AWS: cannot start the HTTP client");
		free(x);
		return NULL;
	}
	memset(&co, 0, sizeof(co));
	co.profile = c->aws_profile;
	co.region = c->aws_region;
	co.sts_endpoint = c->aws_endpoint[CONFIG_EP_STS];
	co.ca_file = c->aws_ca_file;
	if ((x->creds = aws_creds_new(d->base, d->http, &co)) == NULL)
		fatal("aws_creds_new");
	d->aws = x;
	return x;
}

struct aws *
daemon_aws(struct daemon *d, const char *region, char *why, size_t len)
{
	const struct config	*c = d->conf;
	struct aws_clients		*x;
	struct aws_region_client	*r;
	struct aws_opts		 o;
	const char		*eps[CONFIG_EP__COUNT + 1];
	char			 buf[CONFIG_EP__COUNT][1024];
	size_t			 i, n = 0;

	if (region == NULL) {
		snprintf(why, len, "no AWS region: set traffic.region in the "
		    "plan or region in [aws] of %s", d->conf_path);
		return NULL;
	}
	if ((x = daemon_aws_shared(d, why, len)) == NULL)
		return NULL;
	for (i = 0; i < x->n; i++)
		if (strcmp(x->v[i].name, region) == 0)
			return x->v[i].aws;

	for (i = 0; i < CONFIG_EP__COUNT; i++) {
		if (c->aws_endpoint[i] == NULL)
			continue;
		snprintf(buf[n], sizeof(buf[n]), "%s=%s", config_ep_service[i],
		    c->aws_endpoint[i]);
		eps[n] = buf[n];
		n++;
	}
	eps[n] = NULL;
	memset(&o, 0, sizeof(o));
	o.region = region;
	o.endpoints = eps;
	o.ca_file = c->aws_ca_file;
	if ((r = reallocarray(x->v, x->n + 1, sizeof(*x->v))) == NULL)
		fatal("reallocarray");
	x->v = r;
	r = &x->v[x->n];
	if ((r->name = strdup(region)) == NULL)
		fatal("strdup");
	if ((r->aws = aws_new(d->base, d->http, x->creds, &o)) == NULL) {
		snprintf(why, len, "AWS: cannot make a client for region %s; "
		    "check the region and the endpoint_* keys of [aws] in %s "
		    "(the log says which)", region, d->conf_path);
		free(r->name);
		return NULL;
	}
	x->n++;
	log_info("aws: client for %s made%s", region, n > 0 ?
	    " (endpoint overrides from the config)" : "");
	return r->aws;
}

void
daemon_aws_stats(const struct daemon *d, const struct aws_service *svc,
    struct aws_stats *sum)
{
	const struct aws_clients	*x = d->aws;
	const struct aws_stats	*st;
	size_t			 i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; x != NULL && i < x->n; i++) {
		if ((st = aws_stats(x->v[i].aws, svc)) == NULL)
			continue;
		sum->calls += st->calls;
		sum->errors += st->errors;
		sum->throttles += st->throttles;
		sum->retries += st->retries;
	}
}

static void
daemon_aws_free(struct daemon *d)
{
	struct aws_clients	*x = d->aws;
	size_t		 i;

	if (x == NULL)
		return;
	/* Clients first: their calls hold credential waits and requests. */
	for (i = 0; i < x->n; i++) {
		aws_free(x->v[i].aws);
		free(x->v[i].name);
	}
	free(x->v);
	aws_creds_free(x->creds);
	free(x);
	d->aws = NULL;
}

/*
 * The DigitalOcean clients: one per token file (the rate limit is the
 * token's), made on first use from the config's [digitalocean] endpoint.
 */

struct do_token_client {
	char			*token_file;
	struct do_client	*c;
};

struct do_clients {
	struct do_token_client	*v;
	size_t			 n;
};

struct do_client *
daemon_do(struct daemon *d, const char *token_file, char *why, size_t len)
{
	struct do_clients		*x = d->dox;
	struct do_client	*c;
	char			*token, err[256];
	size_t			 i;

	if (token_file == NULL) {
		snprintf(why, len, "decommission.do_token_file is not set");
		return NULL;
	}
	if (daemon_http(d) == NULL) {
		snprintf(why, len, "DigitalOcean: cannot start the HTTP client");
		return NULL;
	}
	if (x == NULL)
		x = d->dox = xcalloc(1, sizeof(*x));
	for (i = 0; i < x->n; i++)
		if (strcmp(x->v[i].token_file, token_file) == 0)
			return x->v[i].c;
	if (do_token_read(token_file, &token, err, sizeof(err)) == -1) {
		snprintf(why, len, "decommission.do_token_file: %s", err);
		return NULL;
	}
	c = do_new(d->base, d->http, d->conf->do_endpoint, token);
	explicit_bzero(token, strlen(token));
	free(token);
	if (c == NULL) {
		snprintf(why, len, "DigitalOcean: the token or [digitalocean] "
		    "endpoint cannot be used");
		return NULL;
	}
	x->v = xreallocarray(x->v, x->n + 1, sizeof(*x->v));
	x->v[x->n].token_file = xstrdup(token_file);
	x->v[x->n].c = c;
	x->n++;
	return c;
}

void
daemon_do_stats(const struct daemon *d, struct do_stats *sum)
{
	const struct do_clients	*x = d->dox;
	const struct do_stats	*st;
	size_t			 i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; x != NULL && i < x->n; i++) {
		st = do_stats(x->v[i].c);
		sum->calls += st->calls;
		sum->errors += st->errors;
		sum->throttles += st->throttles;
		sum->retries += st->retries;
	}
}

static void
daemon_do_free(struct daemon *d)
{
	struct do_clients	*x = d->dox;
	size_t		 i;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++) {
		do_free(x->v[i].c);
		free(x->v[i].token_file);
	}
	free(x->v);
	free(x);
	d->dox = NULL;
}

void
daemon_free(struct daemon *d)
{
	size_t	i;

	for (i = 0; i < d->nmigs; i++) {
		if (d->detach != NULL)
			d->detach(d->migs[i]);
		migration_free(d->migs[i]);
	}
	free(d->migs);
	/* After the migrations: their jobs cancelled their AWS calls. */
	daemon_aws_free(d);
	daemon_do_free(d);
	/* Last: every user above has cancelled its requests. */
	http_free(d->http);
	store_close(d->store);
	if (d->ev_term) {
		event_free(d->ev_term);
		event_free(d->ev_int);
		event_free(d->ev_hup);
		event_free(d->ev_chld);
	}
	if (d->ev_stop)
		event_free(d->ev_stop);
	if (d->ev_status)
		event_free(d->ev_status);
	if (d->ev_watchdog)
		event_free(d->ev_watchdog);
	config_free(d->conf);
	if (d->base)
		event_base_free(d->base);
}
