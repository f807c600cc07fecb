/*
 * doctx: DigitalOcean clients by token file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "digitalocean.h"
#include "doctx.h"
#include "http.h"
#include "daemon.h"
#include "xmalloc.h"

struct doctx_client {
	char			*token_file;
	struct do_client	*c;
};

struct doctx {
	struct doctx_client	*v;
	size_t			 n;
};

struct do_client *
doctx_get(struct daemon *d, const char *token_file, char *why, size_t len)
{
	struct doctx		*x = d->dox;
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
doctx_stats(const struct daemon *d, struct do_stats *sum)
{
	const struct doctx	*x = d->dox;
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

void
doctx_free(struct daemon *d)
{
	struct doctx	*x = d->dox;
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
