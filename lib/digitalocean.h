/*
 * digitalocean: the DigitalOcean API v2 calls the daemon makes, over
 * lib/http with a bearer token: list the droplets carrying a tag (every
 * page), read one droplet, start a droplet action (shutdown, power_off,
 * snapshot...) and read an action until it is "completed" or "errored",
 * delete a droplet, and read or delete the other resources a decommission
 * removes (load balancers, firewalls, reserved IPs). Every call is
 * asynchronous and ends in one typed callback: a result, or an error
 * naming the operation ("ListDroplets: unauthorized: Unable to
 * authenticate you."). An answer that is not JSON or lacks what the
 * operation returns is such an error (code "UnexpectedAnswer"), never a
 * crash. A 404 to a delete is "already gone", not an error.
 *
 * Retries: a 429 waits until ratelimit-reset (or retry-after), capped, with
 * jitter; a 5xx or a connection error waits a capped exponential backoff
 * with full jitter; at most max_attempts attempts. When an answer says
 * ratelimit-remaining is 0, every request of this client waits for the
 * reset before it goes out. The token never appears in a log line.
 *
 * Ownership: results and errors handed to a callback belong to this module
 * and are freed when the callback returns; copy what you keep. Results from
 * do_parse_* belong to the caller (the matching *_free; NULL is a no-op).
 */
#ifndef DIGITALOCEAN_H
#define DIGITALOCEAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api.h"

struct event_base;
struct http;
struct do_client;
struct do_call;

#define DO_DEFAULT_URL		"https://api.digitalocean.com"
#define DO_TOKEN_MAX		1024		/* bytes in a token file */

/*
 * A call that fails hands its callback a struct api_err (lib/api.h), valid
 * only during the callback. Its code is DigitalOcean's id ("unauthorized",
 * "not_found", "too_many_requests", "unprocessable_entity",
 * "server_error"), the status as text when the answer had none, or a local
 * code: "ConnectionError" (no answer), "UnexpectedAnswer" (not JSON, or
 * not the shape the operation returns).
 */

struct do_droplet {
	int64_t		 id;
	char		*name;
	char		*status;	/* "new", "active", "off", "archive" */
	int		 locked;
	char		*private_ip;	/* first v4 of type "private"; NULL */
	char		*public_ip;	/* first v4 of type "public"; NULL */
	char		*region;	/* region.slug; NULL */
	char		**tags;
	size_t		 ntags;
	int64_t		*snapshot_ids;
	size_t		 nsnapshot_ids;
};

struct do_droplets {
	struct do_droplet	*v;
	size_t			 n;
};

enum do_action_status {
	DO_ACTION_OTHER = 0,		/* a status this code does not know */
	DO_ACTION_IN_PROGRESS,
	DO_ACTION_COMPLETED,
	DO_ACTION_ERRORED,
};

struct do_action {
	int64_t			 id;
	char			*status;	/* as DigitalOcean wrote it */
	enum do_action_status	 st;
	char			*type;		/* "shutdown" */
	char			*started_at;	/* RFC 3339; NULL */
	char			*completed_at;	/* NULL while in progress */
	int64_t			 resource_id;	/* the droplet; 0: none */
	char			*resource_type;	/* "droplet"; NULL */
	char			*region_slug;	/* NULL */
};

/* Resources other than droplets that a decommission deletes. */
enum do_resource {
	DO_RES_LOAD_BALANCER,		/* id: a UUID */
	DO_RES_FIREWALL,		/* id: a UUID */
	DO_RES_RESERVED_IP,		/* id: the address */
};

struct do_opts {
	int		 max_attempts;		/* 0: 5 */
	int64_t		 backoff_base_ms;	/* 0: 250 */
	int64_t		 backoff_cap_ms;	/* 0: 20000 */
	int64_t		 ratelimit_cap_ms;	/* longest wait for a reset; 0: 60000 */
	int64_t		 timeout_ms;		/* per attempt; 0: 30 s */
	int		 per_page;		/* list pages; 0: 200 (the most) */
	const char	*ca_file;		/* NULL: the system's store */
};

/* The budget as the last answer told it; -1: not known yet. */
struct do_ratelimit {
	int64_t		limit;
	int64_t		remaining;
	int64_t		reset;			/* unix seconds */
};

/* Counters, for metrics. */
struct do_stats {
	uint64_t	calls, errors, throttles, retries;
};

/* ---- callbacks: exactly one of result and err is not NULL ---- */

typedef void (*do_droplets_cb)(void *arg, const struct do_droplets *,
    const struct api_err *);
typedef void (*do_droplet_cb)(void *arg, const struct do_droplet *,
    const struct api_err *);
typedef void (*do_action_cb)(void *arg, const struct do_action *,
    const struct api_err *);
/* err NULL: deleted, or gone already (404) when gone is 1. */
typedef void (*do_delete_cb)(void *arg, int gone, const struct api_err *);
/* err NULL: exists is 1 (200) or 0 (404). */
typedef void (*do_exists_cb)(void *arg, int exists, const struct api_err *);

/*
 * A client of the API at base_url (NULL: DO_DEFAULT_URL; "http(s)://host
 * [:port][/path]", the tests' fake) with this token (copied). NULL when
 * base_url is not an http(s) URL or the token is empty or holds
 * characters a header cannot carry.
 */
struct do_client	*do_new(struct event_base *, struct http *,
			    const char *base_url, const char *token);
/* Cancels every call without its callback. NULL is a no-op. */
void			 do_free(struct do_client *);
/* Tune retries, pages, timeouts (copied; fields 0 keep the defaults). */
void			 do_set_opts(struct do_client *, const struct do_opts *);

/*
 * Read a token from a file: one line, surrounding white space dropped.
 * The file must be a regular file that neither group nor others may read
 * or write (like the daemon's other secrets). 0 and *token malloc'd (the
 * caller wipes and frees it), or -1 with the reason in why.
 */
int		 do_token_read(const char *path, char **token, char *why,
		    size_t len);

/*
 * Every call below copies its arguments and returns a handle for
 * do_cancel(), or NULL when it cannot start (arguments refused, logged);
 * the callback is then not called. Each callback is called once, from
 * the loop, never from inside the function that started the call.
 */

/*
 * ListDroplets: GET /v2/droplets?tag_name=TAG, every page (links.pages.
 * next, which must stay under base_url), each droplet once.
 */
struct do_call	*do_droplets_by_tag(struct do_client *, const char *tag,
		    do_droplets_cb, void *arg);
/* GetDroplet: GET /v2/droplets/ID; a 404 is the error "not_found". */
struct do_call	*do_droplet_get(struct do_client *, int64_t id,
		    do_droplet_cb, void *arg);
/*
 * DropletAction: POST /v2/droplets/ID/actions {"type": TYPE} (and
 * "name" for a snapshot; NULL: DigitalOcean names it). TYPE is one of
 * shutdown, power_off, power_on, reboot, snapshot. The callback gets the
 * action as started (usually in progress); poll it with do_action_get.
 * Retried on 5xx like every call: shutdown and power_off are harmless
 * twice, a snapshot may then be taken twice.
 */
struct do_call	*do_droplet_action(struct do_client *, int64_t droplet_id,
		    const char *type, const char *snapshot_name,
		    do_action_cb, void *arg);
/* GetAction: GET /v2/actions/ID. */
struct do_call	*do_action_get(struct do_client *, int64_t action_id,
		    do_action_cb, void *arg);
/* DeleteDroplet: DELETE /v2/droplets/ID; 204, or 404 (gone = 1). */
struct do_call	*do_droplet_delete(struct do_client *, int64_t id,
		    do_delete_cb, void *arg);
/*
 * DeleteLoadBalancer, DeleteFirewall, DeleteReservedIP: DELETE
 * /v2/load_balancers/ID, /v2/firewalls/ID, /v2/reserved_ips/IP; 204, or
 * 404 (gone = 1). The id may hold letters, digits, '-', '.' and ':'.
 */
struct do_call	*do_resource_delete(struct do_client *, enum do_resource,
		    const char *id, do_delete_cb, void *arg);
/* GetLoadBalancer, GetFirewall, GetReservedIP: does it still exist? */
struct do_call	*do_resource_exists(struct do_client *, enum do_resource,
		    const char *id, do_exists_cb, void *arg);

/*
 * Stop a call; its callback is not called. NULL, or a call whose callback
 * is running, is a no-op.
 */
void		 do_cancel(struct do_call *);

/* Calls in flight or waiting; the budget; the counters. */
size_t		 do_pending(const struct do_client *);
void		 do_ratelimit_get(const struct do_client *,
		    struct do_ratelimit *);
const struct do_stats	*do_stats(const struct do_client *);

/* "completed" -> DO_ACTION_COMPLETED; anything unknown -> DO_ACTION_OTHER. */
enum do_action_status	 do_action_status_parse(const char *);
/* "load_balancer", "firewall", "reserved_ip". */
const char		*do_resource_name(enum do_resource);

/* ---- parsers of whole answers (the tests feed recorded JSON) ---- */

/*
 * The droplets of a list answer ({"droplets": [...], "links": ...});
 * *next (may be NULL) gets links.pages.next, malloc'd, or NULL on the
 * last page. The droplet of {"droplet": {...}}; the action of
 * {"action": {...}}. NULL, with what is wrong in why, when the answer
 * lacks what it must hold.
 */
struct do_droplets	*do_parse_droplets(const json_t *, char **next,
			    char *why, size_t len);
struct do_droplet	*do_parse_droplet(const json_t *, char *why,
			    size_t len);
struct do_action	*do_parse_action(const json_t *, char *why,
			    size_t len);

void	do_droplets_free(struct do_droplets *);
void	do_droplet_free(struct do_droplet *);
void	do_action_free(struct do_action *);

#endif /* DIGITALOCEAN_H */
