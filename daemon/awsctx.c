/*
 * awsctx: the lazily made AWS clients of the daemon. The daemon's HTTP
 * client and the credential chain are shared by every region, so credentials are
 * looked up (and refreshed) once; each region has its own struct aws
 * because a client is bound to one region. Everything is made from the
 * config's [aws] section as it was at first use: a SIGHUP that changes
 * [aws] is refused by daemon_reload() until the next restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws-creds.h"
#include "aws.h"
#include "awsctx.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "daemon.h"
#include "plan.h"

struct awsctx_region {
	char		*name;
	struct aws	*aws;
};

struct awsctx {
	struct aws_creds_src	*creds;
	struct awsctx_region	*v;
	size_t			 n;
};

const char *
awsctx_region(const struct daemon *d, const struct plan *p)
{
	if (p != NULL && p->traffic.region != NULL)
		return p->traffic.region;
	return d->conf != NULL ? d->conf->aws_region : NULL;
}

/* The shared parts, made once. */
static struct awsctx *
awsctx_shared(struct daemon *d, char *why, size_t len)
{
	const struct config	*c = d->conf;
	struct aws_creds_opts	 co;
	struct awsctx		*x;

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
awsctx_get(struct daemon *d, const char *region, char *why, size_t len)
{
	const struct config	*c = d->conf;
	struct awsctx		*x;
	struct awsctx_region	*r;
	struct aws_opts		 o;
	const char		*eps[CONFIG_EP__COUNT + 1];
	char			 buf[CONFIG_EP__COUNT][1024];
	size_t			 i, n = 0;

	if (region == NULL) {
		snprintf(why, len, "no AWS region: set traffic.region in the "
		    "plan or region in [aws] of %s", d->conf_path);
		return NULL;
	}
	if ((x = awsctx_shared(d, why, len)) == NULL)
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
awsctx_stats(const struct daemon *d, const struct aws_service *svc,
    struct aws_stats *sum)
{
	const struct awsctx	*x = d->aws;
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

void
awsctx_free(struct daemon *d)
{
	struct awsctx	*x = d->aws;
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
