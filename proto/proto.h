/*
 * proto: the control protocol spoken over the Unix socket. One JSON object
 * per line, at most PROTO_LINE_MAX bytes with its newline.
 *
 *   request  {"v":1,"id":7,"cmd":"status","args":{"name":"shop"}}
 *   reply    {"v":1,"id":7,"ok":true,"data":{...}}
 *            {"v":1,"id":7,"ok":false,"error":{"code":"not_found",
 *                                              "message":"..."}}
 *   event    {"v":1,"id":7,"event":"phase","data":{...}}   (watch streams)
 *
 * Both ends use the same framing and envelopes.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PROTO_VERSION	1
#define PROTO_LINE_MAX	(64 * 1024)	/* bytes, newline included */
#define PROTO_SOCKET	"/run/migrated/migrated.sock"

enum proto_err {
	PROTO_OK,
	PROTO_E_BAD_REQUEST,	/* not JSON, or not a request envelope */
	PROTO_E_TOO_LARGE,	/* line over PROTO_LINE_MAX */
	PROTO_E_VERSION,	/* "v" we do not speak */
	PROTO_E_UNKNOWN_COMMAND,
	PROTO_E_USAGE,		/* missing or wrong arguments */
	PROTO_E_NOT_FOUND,	/* no such migration */
	PROTO_E_EXISTS,		/* a migration of that name exists */
	PROTO_E_FORBIDDEN,	/* peer may not change things */
	PROTO_E_WRONG_PHASE,	/* command not valid in this phase */
	PROTO_E_GUARD,		/* valid here, but its condition does not hold */
	PROTO_E_BAD_PLAN,	/* plan does not parse or validate */
	PROTO_E_BUSY,		/* too many clients, or shutting down */
	PROTO_E_INTERNAL,	/* the daemon failed (store); see its log */
	PROTO_E__COUNT
};

const char	*proto_err_name(enum proto_err);
/* PROTO_E__COUNT when unknown. */
enum proto_err	 proto_err_from_name(const char *);

struct evbuffer;

enum proto_frame {
	PROTO_FRAME_LINE,	/* *line holds one line, newline removed */
	PROTO_FRAME_MORE,	/* no whole line yet */
	PROTO_FRAME_TOO_LONG,	/* the buffered line exceeds PROTO_LINE_MAX */
};

/*
 * Take the next line from in. On PROTO_FRAME_LINE, *line is malloc'd and
 * NUL-terminated (the caller frees it) and *len its length.
 */
enum proto_frame	proto_frame_next(struct evbuffer *in, char **line,
			    size_t *len);

struct proto_request {
	int64_t		 id;
	const char	*cmd;		/* points into root */
	json_t		*args;		/* object (borrowed from root) */
	json_t		*root;
};

/*
 * Parse one request line. On failure returns -1 with *err and a message;
 * req->id is still set when the line carried a usable id, so the error
 * reply can echo it.
 */
int	proto_request_parse(const char *line, size_t len,
	    struct proto_request *req, enum proto_err *err, char *msg,
	    size_t msglen);
void	proto_request_clear(struct proto_request *);

/* Envelopes. Each steals the json_t it is given. */
json_t	*proto_request_new(int64_t id, const char *cmd, json_t *args);
json_t	*proto_reply_ok(int64_t id, json_t *data);
json_t	*proto_reply_error(int64_t id, enum proto_err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
json_t	*proto_event_new(int64_t id, const char *event, json_t *data);

/*
 * Encode msg as one compact line with its newline (malloc'd). NULL when
 * the line would exceed PROTO_LINE_MAX or on allocation failure.
 */
char	*proto_encode(const json_t *msg, size_t *len);

#endif
