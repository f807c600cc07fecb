/*
 * route53: the Route 53 calls of the "dns" writer switch, over lib/aws's
 * REST-XML protocol (API 2013-04-01): put a record set in place (UPSERT,
 * how the application's database host moves from the source to RDS),
 * wait for the change to be INSYNC, and read a record set back (its TTL,
 * which preflight requires to be at most 5 s, and its values). Every call
 * is asynchronous and ends in one typed callback: a result, or an error
 * naming the operation ("ChangeResourceRecordSets: NoSuchHostedZone:
 * ..."). An answer of an unexpected shape is such an error (code
 * "UnexpectedAnswer"), never a crash. The request body and the parsers
 * are exported so that they can be checked without a network.
 *
 * Ownership: results and errors handed to a callback belong to this
 * module and are freed when the callback returns; copy what you keep.
 * Results from r53_parse_* and r53_change_batch_xml belong to the caller.
 */
#ifndef ROUTE53_H
#define ROUTE53_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "api.h"

struct aws;
struct r53_call;

#define R53_XMLNS		"https://route53.amazonaws.com/doc/2013-04-01/"
#define R53_MAX_TTL		2147483647L
#define R53_MAX_VALUES		100	/* ours: a writer record has one */

/*
 * A call that fails hands its callback a struct api_err (lib/api.h), valid
 * only during the callback. Its code is AWS's code ("NoSuchHostedZone",
 * "InvalidChangeBatch", "Throttling"), lib/aws's local one
 * ("ConnectionError", "ParseError", "CredentialsError"), or
 * "UnexpectedAnswer".
 */

enum r53_change_status {
	R53_CH_OTHER = 0,	/* a status this code does not know */
	R53_CH_PENDING,
	R53_CH_INSYNC,
};

/* A ChangeInfo. */
struct r53_change {
	char			*id;		/* "C2682N5HXP0BZ4" (no /change/) */
	char			*status;	/* as AWS wrote it */
	enum r53_change_status	 st;
	char			*submitted_at;	/* NULL: none given */
};

/* A record set as read back. */
struct r53_record {
	int		 found;		/* 0: no such name and type */
	char		*name;		/* as AWS writes it: "db.example.com." */
	char		*type;		/* "A" */
	int64_t		 ttl;		/* -1: none (an alias record) */
	char		**values;
	size_t		 nvalues;
	int		 alias;		/* AliasTarget instead of values */
	char		*set_identifier; /* weighted, latency...; NULL */
};

/* ---- callbacks: exactly one of result and err is not NULL ---- */

typedef void (*r53_change_cb)(void *arg, const struct r53_change *,
    const struct api_err *);
typedef void (*r53_record_cb)(void *arg, const struct r53_record *,
    const struct api_err *);

/*
 * Every call below copies its arguments and returns a handle for
 * r53_cancel(), or NULL when it cannot start: arguments refused (logged
 * with the reason; r53_upsert_check gives it to the caller first) or
 * lib/aws refusing the call. The callback is then not called. Each
 * callback is called once, from the loop. A zone id may be given as
 * "Z123" or "/hostedzone/Z123", a change id as "C123" or "/change/C123".
 */

/*
 * ChangeResourceRecordSets with one UPSERT: name/type get this TTL and
 * these values (n >= 1), whatever they had. The callback gets the change.
 */
struct r53_call	*r53_upsert(struct aws *, const char *zone_id,
		    const char *name, const char *type, long ttl,
		    const char *const *values, size_t n, r53_change_cb,
		    void *arg);

/* GetChange: is the change PENDING or INSYNC? */
struct r53_call	*r53_get_change(struct aws *, const char *change_id,
		    r53_change_cb, void *arg);

/*
 * ListResourceRecordSets from name/type, one record set: the record
 * (found == 0 when the zone has no such name and type).
 */
struct r53_call	*r53_get_record(struct aws *, const char *zone_id,
		    const char *name, const char *type, r53_record_cb,
		    void *arg);

/*
 * Stop a call; its callback is not called. NULL, or a call whose callback
 * is running, is a no-op. A call is freed once its callback returns, and
 * by aws_free() without its callback.
 */
void		 r53_cancel(struct r53_call *);

/* ---- checks and helpers, no I/O ---- */

/*
 * Would Route 53 take this UPSERT? A zone id, a name of 1..1024 bytes, a
 * record type (upper case letters and digits), a TTL 0..2147483647, and
 * 1..R53_MAX_VALUES non-empty values. 0, or -1 with the reason in why.
 */
int		 r53_upsert_check(const char *zone_id, const char *name,
		    const char *type, long ttl, const char *const *values,
		    size_t n, char *why, size_t len);

/*
 * The ChangeResourceRecordSetsRequest document of one UPSERT (checked
 * arguments), malloc'd; NULL if libxml2 fails.
 */
char		*r53_change_batch_xml(const char *name, const char *type,
		    long ttl, const char *const *values, size_t n);

/*
 * Do two DNS names name the same record? Case and one final dot aside,
 * and with Route 53's octal escapes ("\052" for '*') read.
 */
int		 r53_name_equal(const char *, const char *);

enum r53_change_status	 r53_change_status_parse(const char *);

/* ---- parsers of whole answers (the tests feed recorded XML) ---- */

/*
 * The ChangeInfo of a ChangeResourceRecordSets or GetChange answer; the
 * first record set of a ListResourceRecordSets answer if it is name/type
 * (found == 0 otherwise). NULL, with what is wrong in why, when the
 * answer lacks what it must hold.
 */
struct r53_change	*r53_parse_change(xmlDoc *, char *why, size_t len);
struct r53_record	*r53_parse_record(xmlDoc *, const char *name,
			    const char *type, char *why, size_t len);

void	r53_change_free(struct r53_change *);
void	r53_record_free(struct r53_record *);

#endif /* ROUTE53_H */
