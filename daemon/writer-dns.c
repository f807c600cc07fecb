/*
 * writer-dns: the writer switched by a Route 53 record both fleets use as
 * their database host (cutover.dns_zone_id, cutover.dns_record), and
 * preflight's check of that record: a plain record whose TTL is at most
 * 5 s, so that the switch is seen quickly.
 *
 * The switch reads the record first (its type and TTL stay what they are;
 * the type asked first is the one the host suggests: A for an IPv4
 * address, AAAA for IPv6, else CNAME), UPSERTs it to the host, then polls
 * GetChange until INSYNC. Going back, it then waits one TTL more: the
 * rollback ends the application's sessions on the target right after, and
 * a pool that reconnected through a cached answer would write where
 * nobody looks. A failure after the UPSERT was sent puts the old values
 * back.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migration.h"
#include "plan.h"
#include "route53.h"
#include "writer.h"
#include "xmalloc.h"

#define DNS_POLL_MS		250	/* GetChange */
#define DNS_MAX_TTL		5	/* preflight's; a record made anew's */
#define DNS_SETTLE_MAX_MS	30000	/* going back: one TTL, at most this */

struct dns {
	struct r53_call		*r53;
	char			*zone, *record;
	const char		*types[3];	/* asked in this order */
	int			 ntry;
	const char		*type;
	long			 ttl;
	char			**old;		/* the values before */
	size_t			 nold;
	char			*change;
};

static void	dns_ask(struct writer *);

static void
dns_describe(const struct plan *p, const char *host, char *buf, size_t len)
{
	snprintf(buf, len, "Route 53 record to %s", host);
}

static void
dns_cancel(struct writer *w)
{
	struct dns	*dn = w->priv;

	if (dn == NULL)
		return;
	r53_cancel(dn->r53);
	dn->r53 = NULL;
}

static void
dns_free(struct writer *w)
{
	struct dns	*dn = w->priv;
	size_t		 i;

	if (dn == NULL)
		return;
	for (i = 0; i < dn->nold; i++)
		free(dn->old[i]);
	free(dn->old);
	free(dn->change);
	free(dn->zone);
	free(dn->record);
	free(dn);
}

/* --- putting back what a failed switch may have changed --- */

static void
dns_put_back_cb(void *arg, const struct r53_change *ch,
    const struct api_err *err)
{
	struct writer	*w = arg;
	struct dns	*dn = w->priv;

	dn->r53 = NULL;
	writer_put_back_done(w, err != NULL ? err->text : NULL);
}

static void
dns_put_back(struct writer *w)
{
	struct dns	*dn = w->priv;

	if (dn->nold == 0) {
		writer_put_back_done(w, "the record did not exist before and "
		    "is left in place");
		return;
	}
	writer_journal(w, "warning", "%s: putting Route 53 %s %s back to %s",
	    w->what, dn->record, dn->type, dn->old[0]);
	dn->r53 = r53_upsert(w->aws, dn->zone, dn->record, dn->type, dn->ttl,
	    (const char *const *)dn->old, dn->nold, dns_put_back_cb, w);
	if (dn->r53 == NULL)
		writer_put_back_done(w, "the UPSERT could not be sent (see the "
		    "log)");
}

/* --- the switch --- */

static void
dns_settled(struct writer *w)
{
	struct dns	*dn = w->priv;
	char		 result[512];

	snprintf(result, sizeof(result), "Route 53 %s -> %s, INSYNC, "
	    "resolvers' caches expired", dn->record, w->host);
	writer_finish(w, 1, result);
}

static void
dns_synced(struct writer *w)
{
	struct dns	*dn = w->priv;
	int64_t		 settle;
	char		 result[512];

	writer_journal(w, "info", "%s: Route 53 %s %s -> %s, change %s "
	    "INSYNC after %lld ms", w->what, dn->record, dn->type, w->host,
	    dn->change, (long long)writer_elapsed(w));
	if (!w->to_target && dn->ttl > 0) {
		settle = (int64_t)dn->ttl * 1000;
		if (settle > DNS_SETTLE_MAX_MS)
			settle = DNS_SETTLE_MAX_MS;
		writer_journal(w, "info", "%s: waiting %lld ms, the record's "
		    "TTL, before the application's sessions on the target are "
		    "ended", w->what, (long long)settle);
		writer_deadline_clear(w);
		writer_after(w, dns_settled, settle);
		return;
	}
	snprintf(result, sizeof(result), "Route 53 %s -> %s, INSYNC",
	    dn->record, w->host);
	writer_finish(w, 1, result);
}

static void	dns_poll(struct writer *);

static void
dns_change_cb(void *arg, const struct r53_change *ch,
    const struct api_err *err)
{
	struct writer	*w = arg;
	struct dns	*dn = w->priv;

	dn->r53 = NULL;
	if (err != NULL) {
		/*
		 * GetChange failing says nothing of the change itself: it
		 * was accepted and stays a possible change.
		 */
		if (dn->change != NULL)
			writer_fail(w, "%s", err->text);
		else
			writer_call_failed(w, err->status, err->text);
		return;
	}
	if (dn->change == NULL) {
		dn->change = xstrdup(ch->id);
		w->mutated = 1;
		w->late = "the record change was not INSYNC";
		writer_journal(w, "info", "%s: Route 53 %s %s -> %s (TTL %ld "
		    "s) accepted as change %s, %s", w->what, dn->record,
		    dn->type, w->host, dn->ttl, dn->change, ch->status);
	}
	if (ch->st == R53_CH_INSYNC) {
		dns_synced(w);
		return;
	}
	writer_after(w, dns_poll, DNS_POLL_MS);
}

static void
dns_poll(struct writer *w)
{
	struct dns	*dn = w->priv;

	if ((dn->r53 = r53_get_change(w->aws, dn->change, dns_change_cb,
	    w)) == NULL)
		writer_fail(w, "GetChange %s could not be sent (see the log)",
		    dn->change);
}

static int
host_is(int af, const char *host)
{
	unsigned char	buf[sizeof(struct in6_addr)];

	return inet_pton(af, host, buf) == 1;
}

static void
dns_upsert(struct writer *w)
{
	struct dns	*dn = w->priv;
	const char	*values[1] = { w->host };
	char		 why[256];

	if (r53_upsert_check(dn->zone, dn->record, dn->type, dn->ttl, values,
	    1, why, sizeof(why)) == -1) {
		writer_fail(w, "Route 53 %s: %s", dn->record, why);
		return;
	}
	/* From here the change may be made, whatever we hear back. */
	w->mutated = 1;
	if ((dn->r53 = r53_upsert(w->aws, dn->zone, dn->record, dn->type,
	    dn->ttl, values, 1, dns_change_cb, w)) == NULL) {
		w->mutated = 0;
		writer_fail(w, "Route 53 %s: the UPSERT could not be sent (see "
		    "the log)", dn->record);
	}
}

static void
dns_record_cb(void *arg, const struct r53_record *r,
    const struct api_err *err)
{
	struct writer	*w = arg;
	struct dns	*dn = w->priv;
	size_t		 i;

	dn->r53 = NULL;
	if (err != NULL) {
		writer_fail(w, "%s", err->text);
		return;
	}
	if (!r->found) {
		if (++dn->ntry < 3) {
			dns_ask(w);
			return;
		}
		/* Preflight saw it; someone removed it since. */
		dn->type = dn->types[0];
		dn->ttl = DNS_MAX_TTL;
		writer_journal(w, "warning", "%s: Route 53 %s has no CNAME, A "
		    "or AAAA record in zone %s; making a %s record, TTL %d s",
		    w->what, dn->record, dn->zone, dn->type, DNS_MAX_TTL);
		dns_upsert(w);
		return;
	}
	if (r->alias || r->ttl < 0) {
		writer_fail(w, "Route 53 %s is an alias record; make it a "
		    "plain %s record", dn->record, dn->types[0]);
		return;
	}
	if ((strcmp(dn->type, "A") == 0 && !host_is(AF_INET, w->host)) ||
	    (strcmp(dn->type, "AAAA") == 0 && !host_is(AF_INET6, w->host))) {
		writer_fail(w, "Route 53 %s is an %s record, which cannot hold "
		    "%s; make it a %s record", dn->record, dn->type, w->host,
		    dn->types[0]);
		return;
	}
	dn->ttl = (long)r->ttl;
	if ((dn->old = calloc(r->nvalues, sizeof(*dn->old))) == NULL &&
	    r->nvalues > 0)
		fatal("calloc");
	for (i = 0; i < r->nvalues; i++)
		dn->old[i] = xstrdup(r->values[i]);
	dn->nold = r->nvalues;
	dns_upsert(w);
}

static void
dns_ask(struct writer *w)
{
	struct dns	*dn = w->priv;

	dn->type = dn->types[dn->ntry];
	if ((dn->r53 = r53_get_record(w->aws, dn->zone, dn->record, dn->type,
	    dns_record_cb, w)) == NULL)
		writer_fail(w, "Route 53 %s: cannot ask for the record (see "
		    "the log)", dn->record);
}

static void
dns_start(struct writer *w)
{
	const struct plan	*p = w->m->plan;
	struct dns		*dn;

	w->priv = dn = xcalloc(1, sizeof(*dn));
	dn->zone = xstrdup(p->cutover.dns_zone_id);
	dn->record = xstrdup(p->cutover.dns_record);
	if (host_is(AF_INET, w->host)) {
		dn->types[0] = "A";
		dn->types[1] = "CNAME";
		dn->types[2] = "AAAA";
	} else if (host_is(AF_INET6, w->host)) {
		dn->types[0] = "AAAA";
		dn->types[1] = "CNAME";
		dn->types[2] = "A";
	} else {
		dn->types[0] = "CNAME";
		dn->types[1] = "A";
		dn->types[2] = "AAAA";
	}
	dns_ask(w);
}

/* --- preflight: the record exists, plain, with a short TTL --- */

static void	dns_check_cb(void *, const struct r53_record *,
		    const struct api_err *);

static int
dns_check_ask(struct writer_check *wc, const char *type)
{
	const struct plan	*p = wc->m->plan;

	if ((wc->call = r53_get_record(wc->aws, p->cutover.dns_zone_id,
	    p->cutover.dns_record, type, dns_check_cb, wc)) == NULL) {
		writer_check_fail(wc, "cutover.dns_record: cannot ask Route 53 "
		    "for it (see the log)");
		return 0;
	}
	return 1;
}

static void
dns_check_cb(void *arg, const struct r53_record *r, const struct api_err *err)
{
	struct writer_check	*wc = arg;
	const struct plan	*p = wc->m->plan;

	wc->call = NULL;
	if (err != NULL)
		writer_check_fail(wc, "cutover.dns_record %s: " WRITER_AWS_MSG
		    "; check cutover.dns_zone_id", p->cutover.dns_record,
		    WRITER_AWS_ARG(err->text));
	else if (!r->found && wc->ntry++ == 0) {
		/* A database host is a CNAME to RDS, or an A record. */
		if (dns_check_ask(wc, "A"))
			return;
	} else if (!r->found)
		writer_check_fail(wc, "cutover.dns_record %s: no CNAME or A "
		    "record in zone %s; create it with a TTL of at most %d s",
		    p->cutover.dns_record, p->cutover.dns_zone_id,
		    DNS_MAX_TTL);
	else if (r->alias || r->ttl < 0)
		writer_check_fail(wc, "cutover.dns_record %s is an alias "
		    "record; make it a plain record with a TTL of at most %d s",
		    p->cutover.dns_record, DNS_MAX_TTL);
	else if (r->ttl > DNS_MAX_TTL)
		writer_check_fail(wc, "cutover.dns_record %s has a TTL of %lld "
		    "s; lower it to %d s or less, at least the old TTL before "
		    "the cutover", p->cutover.dns_record, (long long)r->ttl,
		    DNS_MAX_TTL);
	wc->done(wc->arg);
}

static int
dns_preflight_aws(struct writer_check *wc)
{
	const struct plan	*p = wc->m->plan;

	if (p->cutover.dns_zone_id == NULL || p->cutover.dns_record == NULL)
		return 0;
	return dns_check_ask(wc, "CNAME");
}

static void
dns_preflight_cancel(struct writer_check *wc)
{
	r53_cancel(wc->call);
}

const struct writer_method writer_dns_method = {
	.name = "dns",
	.service = "Route 53",
	.describe = dns_describe,
	.preflight_aws = dns_preflight_aws,
	.preflight_cancel = dns_preflight_cancel,
	.start = dns_start,
	.put_back = dns_put_back,
	.cancel = dns_cancel,
	.free = dns_free,
};
