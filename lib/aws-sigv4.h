/*
 * aws-sigv4: AWS Signature Version 4 (AWS4-HMAC-SHA256) request signing on
 * OpenSSL libcrypto. It turns a description of one HTTP request (method,
 * path, query, headers, payload or its hash, region, service, time and
 * credentials) into the canonical request, the string to sign, the signature
 * and the Authorization header value, and says which headers the caller must
 * add to the request it sends. It does no I/O, keeps no state between calls
 * and knows nothing about the daemon.
 */
#ifndef AWS_SIGV4_H
#define AWS_SIGV4_H

#include <stddef.h>
#include <time.h>

#define AWS_SIGV4_ALGORITHM		"AWS4-HMAC-SHA256"
/* Payload hash for a body that is not signed (S3, presigned URLs). */
#define AWS_SIGV4_UNSIGNED_PAYLOAD	"UNSIGNED-PAYLOAD"
/* "20150830T123600Z" and its NUL. */
#define AWS_SIGV4_AMZ_DATE_LEN		17
/* 64 lower-case hex digits and the NUL. */
#define AWS_SIGV4_HEX_LEN		65
#define AWS_SIGV4_KEY_LEN		32

/* aws_sigv4_request.flags */
/*
 * S3 rules for the path: no dot-segment removal, no collapsing of "//", and
 * the path is URI-encoded once (escapes in it are decoded first). Without
 * it, the path as sent is normalised and encoded again, which double-encodes
 * escapes, as every service but S3 expects.
 */
#define AWS_SIGV4_S3			0x01
/*
 * With a session token: add X-Amz-Security-Token to the request after
 * signing instead of signing it (services that want it unsigned).
 */
#define AWS_SIGV4_TOKEN_UNSIGNED	0x02
/* Sign an x-amz-content-sha256 header carrying the payload hash (S3). */
#define AWS_SIGV4_CONTENT_SHA256	0x04

struct aws_sigv4_header {
	const char	*name;
	const char	*value;
};

struct aws_sigv4_creds {
	const char	*access_key_id;
	const char	*secret_access_key;
	const char	*session_token;		/* NULL or "" if none */
};

/*
 * One request. Every header given is signed: pass only those that go on the
 * wire as given (host is required). Header values may be multi-line (folded
 * lines become comma-separated values).
 */
struct aws_sigv4_request {
	const char			*method;	/* "GET", "POST" */
	const char			*path;		/* as sent: "/", "/a%20b" */
	const char			*query;		/* raw, no '?'; NULL or "" */
	const struct aws_sigv4_header	*headers;
	size_t				 nheaders;
	const void			*payload;	/* body, may be NULL */
	size_t				 payload_len;
	/*
	 * Hex SHA-256 of the body or AWS_SIGV4_UNSIGNED_PAYLOAD; when set,
	 * payload is not hashed.
	 */
	const char			*payload_hash;
	const char			*region;	/* "eu-west-1" */
	const char			*service;	/* "elasticloadbalancing" */
	time_t				 when;		/* signing time, UTC */
	int				 flags;		/* AWS_SIGV4_* */
};

#define AWS_SIGV4_MAX_ADD	4

/*
 * The result. The three strings share one allocation owned by the struct;
 * add[] lists, in order, the headers the caller must add to the request:
 * X-Amz-Date (unless given), x-amz-content-sha256 (with the flag, unless
 * given), X-Amz-Security-Token (with a token, unless given) and last
 * Authorization. Their values point into this struct, except the token's,
 * which points at creds->session_token.
 */
struct aws_sigv4_signed {
	char			*canonical_request;
	char			*string_to_sign;
	char			*authorization;
	char			 signature[AWS_SIGV4_HEX_LEN];
	char			 amz_date[AWS_SIGV4_AMZ_DATE_LEN];
	char			 payload_hash[AWS_SIGV4_HEX_LEN];
	struct aws_sigv4_header	 add[AWS_SIGV4_MAX_ADD];
	size_t			 nadd;
};

/*
 * Sign req with creds into *out (which need not be initialised). Returns 0,
 * or -1 with errno EINVAL (a missing field, a bad header name, no host
 * header, or an X-Amz-Date header that is not req->when), ENOMEM, or EIO
 * (libcrypto failed); *out then holds nothing to free. The secret key is
 * never copied out and the intermediate keys are wiped.
 */
int	aws_sigv4_sign(const struct aws_sigv4_request *req,
	    const struct aws_sigv4_creds *creds, struct aws_sigv4_signed *out);
/* Free what aws_sigv4_sign() allocated; safe to call twice. */
void	aws_sigv4_signed_clear(struct aws_sigv4_signed *out);

/*
 * URI-encode len bytes of src into dst per RFC 3986: A-Z a-z 0-9 - . _ ~
 * stay, '/' stays unless encode_slash, every other byte becomes %XX (upper
 * case). Writes at most dstsz bytes including a NUL; returns the length of
 * the whole encoding, so a result >= dstsz means dst was too small.
 */
size_t	aws_sigv4_uri_encode(char *dst, size_t dstsz, const char *src,
	    size_t len, int encode_slash);
/* Format t as "20150830T123600Z" (UTC). Returns 0, or -1 if out of range. */
int	aws_sigv4_amz_date(time_t t, char buf[AWS_SIGV4_AMZ_DATE_LEN]);
/* Lower-case hex SHA-256 of len bytes. Returns 0, or -1 (EIO). */
int	aws_sigv4_sha256_hex(const void *data, size_t len,
	    char hex[AWS_SIGV4_HEX_LEN]);
/*
 * The signing key HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region),
 * service), "aws4_request") for date "YYYYMMDD". Returns 0, or -1.
 */
int	aws_sigv4_signing_key(const char *secret, const char *date,
	    const char *region, const char *service,
	    unsigned char key[AWS_SIGV4_KEY_LEN]);

#endif /* AWS_SIGV4_H */
