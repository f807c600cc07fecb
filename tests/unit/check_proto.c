/*
 * check_proto: unit suite for proto.c, the control protocol's framing,
 * request parsing, envelopes, encoding and error names. Framing is driven
 * through a real evbuffer, fed the way a socket would feed it.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>
#include <jansson.h>

#include "proto.h"
#include "suite.h"

static void	add(struct evbuffer *, const char *);
static char	*next_line(struct evbuffer *);
static void	 expect_line(struct evbuffer *, const char *);
static void	 fill(struct evbuffer *, char, size_t);
static void	 parse_fails(const char *, enum proto_err, int64_t,
		    const char *);

static void
add(struct evbuffer *b, const char *s)
{
	ck_assert_int_eq(evbuffer_add(b, s, strlen(s)), 0);
}

/* The next line, which must be there. */
static char *
next_line(struct evbuffer *b)
{
	char	*line;
	size_t	 len;

	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_LINE);
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_eq(len, strlen(line));
	return line;
}

/* The next line, which must be there and be want. */
static void
expect_line(struct evbuffer *b, const char *want)
{
	char	*line = next_line(b);

	ck_assert_str_eq(line, want);
	free(line);
}

static void
fill(struct evbuffer *b, char c, size_t n)
{
	char	*s;

	s = malloc(n);
	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	ck_assert_int_eq(evbuffer_add(b, s, n), 0);
	free(s);
}

START_TEST(frame_one_line)
{
	struct evbuffer	*b = evbuffer_new();
	char		*line;
	size_t		 len;

	add(b, "{\"v\":1}\n");
	expect_line(b, "{\"v\":1}");
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_MORE);
	ck_assert_ptr_null(line);
	ck_assert_uint_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}
END_TEST

START_TEST(frame_empty)
{
	struct evbuffer	*b = evbuffer_new();
	char		*line;
	size_t		 len;

	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_MORE);
	add(b, "\n");
	expect_line(b, "");
	evbuffer_free(b);
}
END_TEST

START_TEST(frame_several)
{
	struct evbuffer	*b = evbuffer_new();
	char		*line;
	size_t		 len;

	add(b, "one\ntwo\nthree\npart");
	expect_line(b, "one");
	expect_line(b, "two");
	expect_line(b, "three");
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_MORE);
	ck_assert_uint_eq(evbuffer_get_length(b), 4);
	evbuffer_free(b);
}
END_TEST

START_TEST(frame_split)
{
	struct evbuffer	*b = evbuffer_new();
	char		*line;
	size_t		 len;

	add(b, "{\"v\":1,");
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_MORE);
	add(b, "\"id\":2");
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_MORE);
	add(b, "}\r");
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_MORE);
	add(b, "\n{");
	expect_line(b, "{\"v\":1,\"id\":2}");
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_MORE);
	ck_assert_uint_eq(evbuffer_get_length(b), 1);
	evbuffer_free(b);
}
END_TEST

START_TEST(frame_crlf)
{
	struct evbuffer	*b = evbuffer_new();

	add(b, "a\r\nb\n\r\nc\r\r\n");
	expect_line(b, "a");
	expect_line(b, "b");
	expect_line(b, "");
	/* Only one trailing CR is the line ending's. */
	expect_line(b, "c\r");
	evbuffer_free(b);
}
END_TEST

START_TEST(frame_exactly_max)
{
	struct evbuffer	*b = evbuffer_new();
	char		*line;
	size_t		 len;

	fill(b, 'x', PROTO_LINE_MAX - 1);
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_MORE);
	add(b, "\n");
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_LINE);
	ck_assert_uint_eq(len, PROTO_LINE_MAX - 1);
	ck_assert_uint_eq(strlen(line), PROTO_LINE_MAX - 1);
	free(line);
	ck_assert_uint_eq(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}
END_TEST

START_TEST(frame_max_with_crlf)
{
	struct evbuffer	*b = evbuffer_new();
	char		*line;
	size_t		 len;

	/* The CR counts: it is a byte on the wire. */
	fill(b, 'x', PROTO_LINE_MAX - 2);
	add(b, "\r\n");
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_LINE);
	ck_assert_uint_eq(len, PROTO_LINE_MAX - 2);
	free(line);
	fill(b, 'x', PROTO_LINE_MAX - 1);
	add(b, "\r\n");
	ck_assert_int_eq(proto_frame_next(b, &line, &len),
	    PROTO_FRAME_TOO_LONG);
	evbuffer_free(b);
}
END_TEST

START_TEST(frame_one_over)
{
	struct evbuffer	*b = evbuffer_new();
	char		*line;
	size_t		 len;

	fill(b, 'x', PROTO_LINE_MAX);
	add(b, "\n");
	ck_assert_int_eq(proto_frame_next(b, &line, &len),
	    PROTO_FRAME_TOO_LONG);
	ck_assert_ptr_null(line);
	evbuffer_free(b);
}
END_TEST

START_TEST(frame_long_no_newline)
{
	struct evbuffer	*b = evbuffer_new();
	char		*line;
	size_t		 len;

	/* PROTO_LINE_MAX - 1 bytes may still end in a newline... */
	fill(b, 'x', PROTO_LINE_MAX - 1);
	ck_assert_int_eq(proto_frame_next(b, &line, &len), PROTO_FRAME_MORE);
	/* ...one more and no line that fits can come any more. */
	fill(b, 'x', 1);
	ck_assert_int_eq(proto_frame_next(b, &line, &len),
	    PROTO_FRAME_TOO_LONG);
	ck_assert_ptr_null(line);
	fill(b, 'x', 100000);
	ck_assert_int_eq(proto_frame_next(b, &line, &len),
	    PROTO_FRAME_TOO_LONG);
	evbuffer_free(b);
}
END_TEST

START_TEST(frame_good_then_long)
{
	struct evbuffer	*b = evbuffer_new();
	char		*line;
	size_t		 len;

	add(b, "ok\n");
	fill(b, 'x', PROTO_LINE_MAX + 10);
	expect_line(b, "ok");
	ck_assert_int_eq(proto_frame_next(b, &line, &len),
	    PROTO_FRAME_TOO_LONG);
	evbuffer_free(b);
}
END_TEST

/* Parse s, expect failure with code e, id echoed as id, msg mentioning m. */
static void
parse_fails(const char *s, enum proto_err e, int64_t id, const char *m)
{
	struct proto_request	 req;
	enum proto_err		 err;
	char			 msg[256];

	ck_assert_int_eq(proto_request_parse(s, strlen(s), &req, &err, msg,
	    sizeof(msg)), -1);
	ck_assert_msg(err == e, "%s: got %s, want %s", s, proto_err_name(err),
	    proto_err_name(e));
	ck_assert_msg(req.id == id, "%s: id %lld, want %lld", s,
	    (long long)req.id, (long long)id);
	ck_assert_ptr_null(req.root);
	ck_assert_ptr_null(req.cmd);
	ck_assert_ptr_null(req.args);
	ck_assert_msg(strstr(msg, m) != NULL, "%s: message \"%s\" lacks "
	    "\"%s\"", s, msg, m);
	proto_request_clear(&req);
}

START_TEST(parse_ok)
{
	const char		*s = "{\"v\":1,\"id\":7,\"cmd\":\"status\","
				    "\"args\":{\"name\":\"shop\"}}";
	struct proto_request	 req;
	enum proto_err		 err;
	char			 msg[256];

	ck_assert_int_eq(proto_request_parse(s, strlen(s), &req, &err, msg,
	    sizeof(msg)), 0);
	ck_assert_int_eq(err, PROTO_OK);
	ck_assert_int_eq(req.id, 7);
	ck_assert_str_eq(req.cmd, "status");
	ck_assert(json_is_object(req.args));
	ck_assert_str_eq(json_string_value(json_object_get(req.args, "name")),
	    "shop");
	proto_request_clear(&req);
	ck_assert_ptr_null(req.root);
	proto_request_clear(&req);
}
END_TEST

START_TEST(parse_args_default)
{
	const char		*s = "{\"cmd\":\"list\",\"id\":-3,\"v\":1}";
	struct proto_request	 req;
	enum proto_err		 err;
	char			 msg[256];

	ck_assert_int_eq(proto_request_parse(s, strlen(s), &req, &err, msg,
	    sizeof(msg)), 0);
	ck_assert_int_eq(req.id, -3);
	ck_assert_str_eq(req.cmd, "list");
	ck_assert(json_is_object(req.args));
	ck_assert_uint_eq(json_object_size(req.args), 0);
	ck_assert_ptr_eq(json_object_get(req.root, "args"), req.args);
	proto_request_clear(&req);
}
END_TEST

START_TEST(parse_null_msg)
{
	const char		*s = "nope";
	struct proto_request	 req;
	enum proto_err		 err;

	ck_assert_int_eq(proto_request_parse(s, strlen(s), &req, &err, NULL,
	    0), -1);
	ck_assert_int_eq(err, PROTO_E_BAD_REQUEST);
}
END_TEST

START_TEST(parse_errors)
{
	parse_fails("", PROTO_E_BAD_REQUEST, 0, "not valid JSON");
	parse_fails("{\"v\":1,", PROTO_E_BAD_REQUEST, 0, "not valid JSON");
	parse_fails("{\"v\":1,\"id\":1,\"cmd\":\"x\"} {}", PROTO_E_BAD_REQUEST,
	    0, "not valid JSON");
	parse_fails("[1,2]", PROTO_E_BAD_REQUEST, 0, "JSON object");
	parse_fails("\"status\"", PROTO_E_BAD_REQUEST, 0, "JSON object");
	parse_fails("null", PROTO_E_BAD_REQUEST, 0, "JSON object");
	parse_fails("{\"v\":1,\"id\":1,\"id\":2,\"cmd\":\"x\"}",
	    PROTO_E_BAD_REQUEST, 0, "duplicate");
	parse_fails("{\"v\":1,\"cmd\":\"list\"}", PROTO_E_BAD_REQUEST, 0,
	    "no \"id\"");
	parse_fails("{\"v\":1,\"id\":\"7\",\"cmd\":\"list\"}",
	    PROTO_E_BAD_REQUEST, 0, "\"id\" must be an integer");
	parse_fails("{\"v\":1,\"id\":7.5,\"cmd\":\"list\"}",
	    PROTO_E_BAD_REQUEST, 0, "\"id\" must be an integer");
	parse_fails("{\"id\":9,\"cmd\":\"list\"}", PROTO_E_BAD_REQUEST, 9,
	    "no \"v\"");
	parse_fails("{\"v\":\"1\",\"id\":9,\"cmd\":\"list\"}",
	    PROTO_E_BAD_REQUEST, 9, "\"v\" must be an integer");
	parse_fails("{\"v\":2,\"id\":10,\"cmd\":\"list\"}", PROTO_E_VERSION,
	    10, "version 2");
	parse_fails("{\"v\":0,\"id\":10,\"cmd\":\"list\"}", PROTO_E_VERSION,
	    10, "speaks version 1");
	parse_fails("{\"v\":1,\"id\":11}", PROTO_E_BAD_REQUEST, 11,
	    "no \"cmd\"");
	parse_fails("{\"v\":1,\"id\":12,\"cmd\":\"\"}", PROTO_E_BAD_REQUEST,
	    12, "non-empty string");
	parse_fails("{\"v\":1,\"id\":12,\"cmd\":3}", PROTO_E_BAD_REQUEST,
	    12, "non-empty string");
	/* Without JSON_ALLOW_NUL, jansson refuses \u0000 in strings. */
	parse_fails("{\"v\":1,\"id\":12,\"cmd\":\"a\\u0000b\"}",
	    PROTO_E_BAD_REQUEST, 0, "not valid JSON");
	parse_fails("{\"v\":1,\"id\":13,\"cmd\":\"list\",\"args\":[]}",
	    PROTO_E_BAD_REQUEST, 13, "\"args\" must be an object");
	parse_fails("{\"v\":1,\"id\":13,\"cmd\":\"list\",\"args\":null}",
	    PROTO_E_BAD_REQUEST, 13, "\"args\" must be an object");
	parse_fails("{\"v\":1,\"id\":14,\"cmd\":\"list\",\"arg\":{}}",
	    PROTO_E_BAD_REQUEST, 14, "unknown key \"arg\"");
}
END_TEST

START_TEST(parse_too_large)
{
	struct proto_request	 req;
	enum proto_err		 err;
	char			 msg[256], *s;

	s = malloc(PROTO_LINE_MAX + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, ' ', PROTO_LINE_MAX);
	s[PROTO_LINE_MAX] = '\0';
	ck_assert_int_eq(proto_request_parse(s, PROTO_LINE_MAX, &req, &err,
	    msg, sizeof(msg)), -1);
	ck_assert_int_eq(err, PROTO_E_TOO_LARGE);
	ck_assert_ptr_nonnull(strstr(msg, "limit"));
	free(s);
}
END_TEST

START_TEST(envelope_request)
{
	json_t			*m;
	char			*line, msg[256];
	size_t			 len;
	struct proto_request	 req;
	enum proto_err		 err;

	m = proto_request_new(42, "pause", json_pack("{s:s, s:s}", "name",
	    "shop", "reason", "lunch"));
	ck_assert_ptr_nonnull(m);
	line = proto_encode(m, &len);
	json_decref(m);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, "{\"v\":1,\"id\":42,\"cmd\":\"pause\","
	    "\"args\":{\"name\":\"shop\",\"reason\":\"lunch\"}}\n");
	ck_assert_uint_eq(len, strlen(line));
	ck_assert_int_eq(proto_request_parse(line, len - 1, &req, &err, msg,
	    sizeof(msg)), 0);
	ck_assert_int_eq(req.id, 42);
	ck_assert_str_eq(req.cmd, "pause");
	ck_assert_str_eq(json_string_value(json_object_get(req.args,
	    "reason")), "lunch");
	proto_request_clear(&req);
	free(line);

	m = proto_request_new(1, "list", NULL);
	line = proto_encode(m, &len);
	json_decref(m);
	ck_assert_str_eq(line, "{\"v\":1,\"id\":1,\"cmd\":\"list\","
	    "\"args\":{}}\n");
	free(line);

	/* NULL command: no envelope, and the args are still taken. */
	ck_assert_ptr_null(proto_request_new(1, NULL, json_object()));
}
END_TEST

START_TEST(envelope_replies)
{
	json_t	*m, *back;
	char	*line;
	size_t	 len;

	m = proto_reply_ok(7, json_pack("{s:s}", "phase", "planned"));
	line = proto_encode(m, &len);
	ck_assert_str_eq(line, "{\"v\":1,\"id\":7,\"ok\":true,"
	    "\"data\":{\"phase\":\"planned\"}}\n");
	back = json_loadb(line, len, 0, NULL);
	ck_assert(json_equal(back, m));
	json_decref(back);
	json_decref(m);
	free(line);

	m = proto_reply_ok(8, NULL);
	line = proto_encode(m, NULL);
	ck_assert_str_eq(line, "{\"v\":1,\"id\":8,\"ok\":true,\"data\":{}}\n");
	json_decref(m);
	free(line);

	m = proto_reply_error(9, PROTO_E_NOT_FOUND, "no migration \"%s\"",
	    "shop");
	line = proto_encode(m, &len);
	ck_assert_str_eq(line, "{\"v\":1,\"id\":9,\"ok\":false,\"error\":"
	    "{\"code\":\"not_found\","
	    "\"message\":\"no migration \\\"shop\\\"\"}}\n");
	back = json_loadb(line, len, 0, NULL);
	ck_assert(json_equal(back, m));
	ck_assert_int_eq(proto_err_from_name(json_string_value(
	    json_object_get(json_object_get(back, "error"), "code"))),
	    PROTO_E_NOT_FOUND);
	json_decref(back);
	json_decref(m);
	free(line);

	m = proto_event_new(3, "status", json_pack("{s:[]}", "migrations"));
	line = proto_encode(m, &len);
	ck_assert_str_eq(line, "{\"v\":1,\"id\":3,\"event\":\"status\","
	    "\"data\":{\"migrations\":[]}}\n");
	json_decref(m);
	free(line);
}
END_TEST

START_TEST(envelope_error_message)
{
	json_t		*m;
	const char	*text;
	char		*big;

	/* Not UTF-8: the bad bytes are replaced, the reply still made. */
	m = proto_reply_error(1, PROTO_E_BAD_PLAN, "plan:%d: bad \xff%s", 3,
	    "\xe2\x82\xac \xe2\x82");
	ck_assert_ptr_nonnull(m);
	text = json_string_value(json_object_get(json_object_get(m, "error"),
	    "message"));
	ck_assert_str_eq(text, "plan:3: bad ?\xe2\x82\xac ??");
	json_decref(m);

	/* Huge: cut so the reply always encodes. */
	big = malloc(PROTO_LINE_MAX * 2);
	memset(big, 'y', PROTO_LINE_MAX * 2 - 1);
	big[PROTO_LINE_MAX * 2 - 1] = '\0';
	m = proto_reply_error(1, PROTO_E_INTERNAL, "%s", big);
	ck_assert_ptr_nonnull(m);
	free(big);
	big = proto_encode(m, NULL);
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(strstr(big, "yyy...\""));
	free(big);
	json_decref(m);

	/* An out-of-range code goes on the wire as "internal". */
	m = proto_reply_error(1, (enum proto_err)99, "x");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(m,
	    "error"), "code")), "internal");
	json_decref(m);
}
END_TEST

START_TEST(encode_limit)
{
	json_t	*m;
	char	*s, *line;
	size_t	 len, overhead;

	/* {"s":"..."} is 8 bytes around the string, plus the newline. */
	overhead = 8 + 1;
	s = malloc(PROTO_LINE_MAX);
	memset(s, 'z', PROTO_LINE_MAX - 1);
	s[PROTO_LINE_MAX - overhead] = '\0';
	m = json_pack("{s:s}", "s", s);
	line = proto_encode(m, &len);
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_eq(len, PROTO_LINE_MAX);
	ck_assert_int_eq(line[len - 1], '\n');
	free(line);
	json_decref(m);

	s[PROTO_LINE_MAX - overhead] = 'z';
	s[PROTO_LINE_MAX - overhead + 1] = '\0';
	m = json_pack("{s:s}", "s", s);
	len = 123;
	ck_assert_ptr_null(proto_encode(m, &len));
	ck_assert_uint_eq(len, 0);
	json_decref(m);
	free(s);

	ck_assert_ptr_null(proto_encode(NULL, &len));
}
END_TEST

START_TEST(err_names)
{
	int		 e;
	const char	*name;
	static const char *const want[] = {
		"ok", "bad_request", "too_large", "version",
		"unknown_command", "usage", "not_found", "exists",
		"forbidden", "wrong_phase", "guard", "bad_plan", "busy",
		"internal",
	};

	ck_assert_int_eq(sizeof(want) / sizeof(want[0]), PROTO_E__COUNT);
	for (e = 0; e < PROTO_E__COUNT; e++) {
		name = proto_err_name(e);
		ck_assert_ptr_nonnull(name);
		ck_assert_str_eq(name, want[e]);
		ck_assert_int_eq(proto_err_from_name(name), e);
	}
	ck_assert_int_eq(proto_err_from_name("nope"), PROTO_E__COUNT);
	ck_assert_int_eq(proto_err_from_name("NOT_FOUND"), PROTO_E__COUNT);
	ck_assert_int_eq(proto_err_from_name(""), PROTO_E__COUNT);
	ck_assert_int_eq(proto_err_from_name(NULL), PROTO_E__COUNT);
	ck_assert_str_eq(proto_err_name(PROTO_E__COUNT), "internal");
	ck_assert_str_eq(proto_err_name((enum proto_err)-1), "internal");
}
END_TEST

int
main(void)
{
	const TTest		*frame[] = {
		frame_one_line, frame_empty, frame_several, frame_split,
		frame_crlf, frame_exactly_max, frame_max_with_crlf,
		frame_one_over, frame_long_no_newline, frame_good_then_long,
		NULL
	};
	const TTest		*request[] = {
		parse_ok, parse_args_default, parse_null_msg, parse_errors,
		parse_too_large, NULL
	};
	const TTest		*envelope[] = {
		envelope_request, envelope_replies, envelope_error_message,
		encode_limit, err_names, NULL
	};
	const struct suite_case	 cases[] = {
		{ "frame", NULL, NULL, NULL, NULL, 0, frame },
		{ "request", NULL, NULL, NULL, NULL, 0, request },
		{ "envelope", NULL, NULL, NULL, NULL, 0, envelope },
	};

	return suite_run(suite_of("proto", cases, 3));
}
