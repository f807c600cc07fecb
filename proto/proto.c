/*
 * proto: the control protocol's framing and envelopes, shared by the daemon
 * and migratectl. It cuts an evbuffer into lines of at most PROTO_LINE_MAX
 * bytes, parses and checks request envelopes (every failure gets a code and
 * a sentence saying what to fix), builds request, reply and event envelopes,
 * encodes them as one compact line each, and owns the error code names.
 * It knows no command: which "cmd" exists and what its "args" mean is the
 * dispatcher's business.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "api.h"
#include "log.h"
#include "proto.h"

/* Error messages longer than this are cut, so an error reply always fits. */
#define PROTO_MSG_MAX	(PROTO_LINE_MAX / 2)

static const char *const proto_err_names[PROTO_E__COUNT] = {
	[PROTO_OK] = "ok",
	[PROTO_E_BAD_REQUEST] = "bad_request",
	[PROTO_E_TOO_LARGE] = "too_large",
	[PROTO_E_VERSION] = "version",
	[PROTO_E_UNKNOWN_COMMAND] = "unknown_command",
	[PROTO_E_USAGE] = "usage",
	[PROTO_E_NOT_FOUND] = "not_found",
	[PROTO_E_EXISTS] = "exists",
	[PROTO_E_FORBIDDEN] = "forbidden",
	[PROTO_E_WRONG_PHASE] = "wrong_phase",
	[PROTO_E_GUARD] = "guard",
	[PROTO_E_BAD_PLAN] = "bad_plan",
	[PROTO_E_BUSY] = "busy",
	[PROTO_E_INTERNAL] = "internal",
};

static size_t	 proto_utf8_len(const unsigned char *, size_t);
static json_t	*proto_string(const char *, size_t);

/*
 * The name of an error code as it goes on the wire. A value outside the
 * enum is a caller's bug; it is reported as "internal" rather than sent as
 * garbage.
 */
const char *
proto_err_name(enum proto_err e)
{
	if ((int)e < 0 || e >= PROTO_E__COUNT)
		return proto_err_names[PROTO_E_INTERNAL];
	return proto_err_names[e];
}

enum proto_err
proto_err_from_name(const char *name)
{
	int	i;

	if (name == NULL)
		return PROTO_E__COUNT;
	for (i = 0; i < PROTO_E__COUNT; i++)
		if (strcmp(proto_err_names[i], name) == 0)
			return i;
	return PROTO_E__COUNT;
}

/*
 * A line is complete at its "\n"; a "\r" before it is dropped. The limit
 * counts the newline, so the longest line has PROTO_LINE_MAX - 1 bytes of
 * content. A peer that has sent PROTO_LINE_MAX bytes without a newline can
 * no longer send a line that fits, so that is TOO_LONG at once: a reader
 * never buffers more than one maximal line per client.
 *
 * On TOO_LONG the buffer is left as it is; the caller replies too_large and
 * closes the connection, because the stream has no way to resynchronise.
 */
enum proto_frame
proto_frame_next(struct evbuffer *in, char **line, size_t *len)
{
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, n;
	char			*buf;

	*line = NULL;
	*len = 0;
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos == -1) {
		if (evbuffer_get_length(in) >= PROTO_LINE_MAX)
			return PROTO_FRAME_TOO_LONG;
		return PROTO_FRAME_MORE;
	}
	n = (size_t)eol.pos;
	if (n + 1 > PROTO_LINE_MAX)
		return PROTO_FRAME_TOO_LONG;

	if ((buf = malloc(n + 1)) == NULL)
		fatal("%s", __func__);
	if (n > 0 && evbuffer_remove(in, buf, n) != (int)n)
		fatalx("%s: evbuffer_remove short read", __func__);
	evbuffer_drain(in, eol_len);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*line = buf;
	*len = n;
	return PROTO_FRAME_LINE;
}

/*
 * The envelope's fields, one check each: each returns PROTO_OK or the
 * error with msg saying what to fix, and fills in its part of req.
 */
#define PROTO_STR(x)	#x
#define PROTO_XSTR(x)	PROTO_STR(x)

/*
 * A required member, and what msg says when it is not there or not of its
 * type (a string must not be empty): "request has no \"NAME\"; MISSING",
 * "\"NAME\" must be WRONG".
 */
struct proto_member {
	const char	*name;
	json_type	 type;
	const char	*missing;
	const char	*wrong;
};

static const struct proto_member proto_m_id = { "id", JSON_INTEGER,
	"add an integer \"id\" that the reply will echo", "an integer" };
static const struct proto_member proto_m_version = { "v", JSON_INTEGER,
	"the protocol version is required: add \"v\":"
	PROTO_XSTR(PROTO_VERSION),
	"an integer; this daemon speaks version " PROTO_XSTR(PROTO_VERSION) };
static const struct proto_member proto_m_cmd = { "cmd", JSON_STRING,
	"add the command name, e.g. \"cmd\":\"status\"",
	"a non-empty string, e.g. \"cmd\":\"status\"" };

/* root's member m, or NULL with msg saying what to fix. */
static json_t *
proto_req_member(json_t *root, const struct proto_member *m, char *msg,
    size_t msglen)
{
	json_t	*v;

	if ((v = json_object_get(root, m->name)) == NULL) {
		api_why(msg, msglen, "request has no \"%s\"; %s", m->name,
		    m->missing);
		return NULL;
	}
	if (json_typeof(v) != m->type ||
	    (m->type == JSON_STRING && json_string_length(v) == 0)) {
		api_why(msg, msglen, "\"%s\" must be %s", m->name, m->wrong);
		return NULL;
	}
	return v;
}

static enum proto_err
proto_req_id(json_t *root, struct proto_request *req, char *msg,
    size_t msglen)
{
	json_t	*id;

	if ((id = proto_req_member(root, &proto_m_id, msg, msglen)) == NULL)
		return PROTO_E_BAD_REQUEST;
	req->id = json_integer_value(id);
	return PROTO_OK;
}

static enum proto_err
proto_req_version(json_t *root, struct proto_request *req, char *msg,
    size_t msglen)
{
	json_t	*v;

	if ((v = proto_req_member(root, &proto_m_version, msg,
	    msglen)) == NULL)
		return PROTO_E_BAD_REQUEST;
	if (json_integer_value(v) != PROTO_VERSION) {
		api_why(msg, msglen, "protocol version %" JSON_INTEGER_FORMAT
		    " is not spoken here; this daemon speaks version %d: use a "
		    "matching migratectl", json_integer_value(v),
		    PROTO_VERSION);
		return PROTO_E_VERSION;
	}
	return PROTO_OK;
}

static enum proto_err
proto_req_cmd(json_t *root, struct proto_request *req, char *msg,
    size_t msglen)
{
	req->cmd = json_string_value(proto_req_member(root, &proto_m_cmd, msg,
	    msglen));
	return req->cmd == NULL ? PROTO_E_BAD_REQUEST : PROTO_OK;
}

/* "args" may be left out: it is then an empty object. */
static enum proto_err
proto_req_args(json_t *root, struct proto_request *req, char *msg,
    size_t msglen)
{
	json_t	*args;

	if ((args = json_object_get(root, "args")) == NULL) {
		if (json_object_set_new(root, "args", json_object()) == -1) {
			api_why(msg, msglen, "out of memory");
			return PROTO_E_INTERNAL;
		}
		args = json_object_get(root, "args");
	} else if (!json_is_object(args)) {
		api_why(msg, msglen, "\"args\" must be an object, e.g. "
		    "\"args\":{\"name\":\"shop\"}, or be left out");
		return PROTO_E_BAD_REQUEST;
	}
	req->args = args;
	return PROTO_OK;
}

static enum proto_err
proto_req_keys(json_t *root, struct proto_request *req, char *msg,
    size_t msglen)
{
	const char	*key;
	json_t		*v;

	json_object_foreach(root, key, v) {
		if (strcmp(key, "v") != 0 && strcmp(key, "id") != 0 &&
		    strcmp(key, "cmd") != 0 && strcmp(key, "args") != 0) {
			api_why(msg, msglen, "unknown key \"%.64s\" in "
			    "request; a request has only \"v\", \"id\", "
			    "\"cmd\" and \"args\"", key);
			return PROTO_E_BAD_REQUEST;
		}
	}
	return PROTO_OK;
}

/*
 * The envelope is checked field by field in a fixed order: "id" first, so
 * that even a request with a bad version or command gets its id echoed, then
 * "v", "cmd", "args", and finally unknown keys (a misspelt "args" would
 * otherwise be silently ignored).
 */
static enum proto_err (*const proto_req_checks[])(json_t *,
    struct proto_request *, char *, size_t) = {
	proto_req_id,
	proto_req_version,
	proto_req_cmd,
	proto_req_args,
	proto_req_keys,
};

int
proto_request_parse(const char *line, size_t len, struct proto_request *req,
    enum proto_err *err, char *msg, size_t msglen)
{
	json_error_t	 jerr;
	json_t		*root;
	size_t		 i;

	memset(req, 0, sizeof(*req));
	*err = PROTO_OK;
	api_why(msg, msglen, "ok");

	if (len + 1 > PROTO_LINE_MAX) {
		*err = PROTO_E_TOO_LARGE;
		api_why(msg, msglen, "request is %zu bytes with its newline; "
		    "the limit is %d", len + 1, PROTO_LINE_MAX);
		return -1;
	}
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (root == NULL) {
		*err = PROTO_E_BAD_REQUEST;
		api_why(msg, msglen, "request is not valid JSON (column %d: "
		    "%s); send one JSON object per line", jerr.column,
		    jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		*err = PROTO_E_BAD_REQUEST;
		api_why(msg, msglen, "request must be a JSON object like "
		    "{\"v\":1,\"id\":1,\"cmd\":\"status\",\"args\":{}}");
		goto fail;
	}
	for (i = 0; i < sizeof(proto_req_checks) /
	    sizeof(proto_req_checks[0]); i++)
		if ((*err = proto_req_checks[i](root, req, msg, msglen)) !=
		    PROTO_OK)
			goto fail;
	req->root = root;
	return 0;

fail:
	json_decref(root);
	req->cmd = NULL;
	req->args = NULL;
	req->root = NULL;
	return -1;
}

void
proto_request_clear(struct proto_request *req)
{
	if (req == NULL)
		return;
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

json_t *
proto_request_new(int64_t id, const char *cmd, json_t *args)
{
	json_t	*msg;

	if (args == NULL && (args = json_object()) == NULL)
		return NULL;
	msg = json_pack("{s:i, s:I, s:s, s:o}", "v", PROTO_VERSION,
	    "id", (json_int_t)id, "cmd", cmd, "args", args);
	return msg;
}

json_t *
proto_reply_ok(int64_t id, json_t *data)
{
	if (data == NULL && (data = json_object()) == NULL)
		return NULL;
	return json_pack("{s:i, s:I, s:b, s:o}", "v", PROTO_VERSION,
	    "id", (json_int_t)id, "ok", 1, "data", data);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
proto_utf8_len(const unsigned char *s, size_t n)
{
	size_t	need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (need > n)
		return 0;
	for (i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return need;
}

/*
 * A JSON string from bytes that may not be UTF-8 (a message may quote a
 * file or a remote reply): invalid bytes become '?' rather than failing
 * the whole reply.
 */
static json_t *
proto_string(const char *s, size_t len)
{
	json_t	*j;
	char	*copy;
	size_t	 i, n;

	if ((j = json_stringn(s, len)) != NULL)
		return j;
	if ((copy = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	for (i = 0; i < len; i += n) {
		n = proto_utf8_len((unsigned char *)copy + i, len - i);
		if (n == 0) {
			copy[i] = '?';
			n = 1;
		}
	}
	j = json_stringn(copy, len);
	free(copy);
	return j;
}

json_t *
proto_reply_error(int64_t id, enum proto_err e, const char *fmt, ...)
{
	va_list	 ap;
	char	*text = NULL;
	int	 n;
	json_t	*message;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n == -1)
		return NULL;
	if (n > PROTO_MSG_MAX) {
		/* Back off to a character boundary before cutting. */
		n = PROTO_MSG_MAX - 3;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
		memcpy(text + n, "...", 4);
		n += 3;
	}
	message = proto_string(text, (size_t)n);
	free(text);
	if (message == NULL)
		return NULL;
	return json_pack("{s:i, s:I, s:b, s:{s:s, s:o}}", "v", PROTO_VERSION,
	    "id", (json_int_t)id, "ok", 0, "error", "code",
	    proto_err_name(e), "message", message);
}

json_t *
proto_event_new(int64_t id, const char *event, json_t *data)
{
	if (data == NULL && (data = json_object()) == NULL)
		return NULL;
	return json_pack("{s:i, s:I, s:s, s:o}", "v", PROTO_VERSION,
	    "id", (json_int_t)id, "event", event, "data", data);
}

char *
proto_encode(const json_t *msg, size_t *len)
{
	char	*s, *line;
	size_t	 n;

	if (len != NULL)
		*len = 0;
	if (msg == NULL || (s = json_dumps(msg, JSON_COMPACT)) == NULL)
		return NULL;
	n = strlen(s);
	if (n + 1 > PROTO_LINE_MAX) {
		free(s);
		return NULL;
	}
	if ((line = realloc(s, n + 2)) == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	if (len != NULL)
		*len = n + 1;
	return line;
}
