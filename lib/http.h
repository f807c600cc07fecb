/*
 * http: HTTP(S) requests on the event loop through libcurl's multi
 * interface, driven by libevent (curl's socket and timer callbacks). Many
 * requests may be in flight; none ever blocks the loop. TLS peers are
 * verified (the system's CA store, or a CA file per request). Each request
 * has its own connect and total timeouts; a response larger than its cap
 * fails rather than grows without bound.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct http;
struct http_req;

struct http_request {
	const char		*method;	/* "GET", "POST", "PUT"... */
	const char		*url;
	const char *const	*headers;	/* "Name: value", NULL-ended */
	const void		*body;		/* or NULL */
	size_t			 bodylen;
	int64_t			 timeout_ms;	/* whole exchange; 0: 30 s */
	int64_t			 connect_timeout_ms;	/* 0: 5 s */
	const char		*ca_file;	/* NULL: the system's store */
	size_t			 max_body;	/* response cap; 0: 16 MiB */
};

struct http_response {
	int		 status;	/* HTTP status; 0: no response */
	int		 error;		/* CURLcode; 0 when a response came */
	const char	*message;	/* curl's words when error != 0 */
	char		**headers;	/* "name: value" as received */
	size_t		 nheaders;
	char		*body;		/* NUL-terminated */
	size_t		 bodylen;
	int64_t		 elapsed_us;
};

/* Called once per request, from the loop; resp is freed after it returns. */
typedef void (*http_cb)(void *arg, const struct http_response *resp);

struct http	*http_new(struct event_base *);
/* Cancels every request in flight without calling their callbacks. */
void		 http_free(struct http *);

/*
 * Start a request (copied: the caller's strings may go at once). NULL when
 * it cannot be started (a bad URL, out of handles); the callback is then
 * not called.
 */
struct http_req	*http_start(struct http *, const struct http_request *,
		    http_cb, void *arg);
/* Stop a request; its callback is not called. Safe from any callback. */
void		 http_cancel(struct http_req *);
/* Requests in flight. */
size_t		 http_pending(const struct http *);

/* A response header's value by name (case-insensitive), or NULL. */
const char	*http_header(const struct http_response *, const char *name);

#endif
