/*
 * aws-sigv4: AWS Signature Version 4 on libcrypto. aws_sigv4_sign() builds
 * the canonical request (method, canonical URI, canonical query, canonical
 * headers, signed headers, payload hash), hashes it into the string to sign,
 * derives the signing key with the HMAC chain over date, region, service
 * and "aws4_request", and formats the Authorization value. All temporaries
 * of one signature live in one scratch allocation and the three output
 * strings in another; the HMAC and SHA-256 implementations are fetched from
 * the default provider once per process.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "aws-sigv4.h"

#define SIGV4_TERMINATOR	"aws4_request"

static pthread_once_t	 sigv4_once = PTHREAD_ONCE_INIT;
static EVP_MAC		*sigv4_mac;
static EVP_MD		*sigv4_md;

static const char	 sigv4_hexdigits[] = "0123456789abcdef";
static const char	 sigv4_uphex[] = "0123456789ABCDEF";

/* One header on its way into the canonical request. */
struct sigv4_hdr {
	char		*name;		/* lower case, NUL-terminated */
	char		*value;		/* canonical value */
	size_t		 namelen;
	size_t		 valuelen;
	size_t		 order;		/* position given, for a stable sort */
};

/* One query parameter, encoded. */
struct sigv4_param {
	char		*key;
	char		*value;
};

/* A growable output buffer; err sticks once an allocation failed. */
struct sigv4_buf {
	char		*p;
	size_t		 len;
	size_t		 cap;
	int		 err;
};

/* Bump allocator over one malloc'd block, sized up front. */
struct sigv4_arena {
	char		*base;
	size_t		 off;
	size_t		 cap;
};

static void
sigv4_fetch(void)
{
	sigv4_mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	sigv4_md = EVP_MD_fetch(NULL, OSSL_DIGEST_NAME_SHA2_256, NULL);
}

static int
sigv4_init(void)
{
	if (pthread_once(&sigv4_once, sigv4_fetch) != 0 ||
	    sigv4_mac == NULL || sigv4_md == NULL)
		return -1;
	return 0;
}

static void *
sigv4_arena_get(struct sigv4_arena *a, size_t n)
{
	void	*p;

	/* Keep every piece aligned for the structs carved from it. */
	n = (n + 15) & ~(size_t)15;
	if (n > a->cap - a->off)
		return NULL;	/* only if the sizing in aws_sigv4_sign() is wrong */
	p = a->base + a->off;
	a->off += n;
	return p;
}

static int
sigv4_buf_reserve(struct sigv4_buf *b, size_t n)
{
	size_t	 cap;
	char	*p;

	if (b->err)
		return -1;
	if (n <= b->cap - b->len)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->err = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void
sigv4_buf_add(struct sigv4_buf *b, const void *s, size_t n)
{
	if (sigv4_buf_reserve(b, n) == -1)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
sigv4_buf_adds(struct sigv4_buf *b, const char *s)
{
	sigv4_buf_add(b, s, strlen(s));
}

static void
sigv4_buf_addc(struct sigv4_buf *b, char c)
{
	sigv4_buf_add(b, &c, 1);
}

static int
sigv4_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static int
sigv4_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Encode one byte into dst (room for 3); returns the bytes written. */
static size_t
sigv4_enc_byte(char *dst, unsigned char c, int encode_slash)
{
	if (sigv4_unreserved(c) || (c == '/' && !encode_slash)) {
		dst[0] = c;
		return 1;
	}
	dst[0] = '%';
	dst[1] = sigv4_uphex[c >> 4];
	dst[2] = sigv4_uphex[c & 15];
	return 3;
}

/*
 * Encode len bytes of src into dst (room for 3 * len), first decoding any
 * valid %XX escape, so that an escape already on the wire is encoded once,
 * not twice. A '%' not followed by two hex digits is taken literally.
 */
static size_t
sigv4_reencode(char *dst, const char *src, size_t len, int encode_slash)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i, n = 0;
	int			 hi, lo;
	unsigned char		 c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '%' && i + 2 < len &&
		    (hi = sigv4_hexval(s[i + 1])) != -1 &&
		    (lo = sigv4_hexval(s[i + 2])) != -1) {
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		n += sigv4_enc_byte(dst + n, c, encode_slash);
	}
	return n;
}

size_t
aws_sigv4_uri_encode(char *dst, size_t dstsz, const char *src, size_t len,
    int encode_slash)
{
	char	enc[3];
	size_t	i, k, n = 0, written = 0;

	/* Stop writing at the first escape that does not fit whole. */
	for (i = 0; i < len; i++) {
		k = sigv4_enc_byte(enc, (unsigned char)src[i], encode_slash);
		if (written == n && n + k < dstsz) {
			memcpy(dst + n, enc, k);
			written += k;
		}
		n += k;
	}
	if (dstsz > 0)
		dst[written] = '\0';
	return n;
}

/* Write v as exactly n decimal digits. */
static char *
sigv4_digits(char *p, int v, int n)
{
	int	i;

	for (i = n - 1; i >= 0; i--, v /= 10)
		p[i] = '0' + v % 10;
	return p + n;
}

int
aws_sigv4_amz_date(time_t t, char buf[AWS_SIGV4_AMZ_DATE_LEN])
{
	struct tm	 tm;
	char		*p = buf;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return -1;
	p = sigv4_digits(p, tm.tm_year + 1900, 4);
	p = sigv4_digits(p, tm.tm_mon + 1, 2);
	p = sigv4_digits(p, tm.tm_mday, 2);
	*p++ = 'T';
	p = sigv4_digits(p, tm.tm_hour, 2);
	p = sigv4_digits(p, tm.tm_min, 2);
	p = sigv4_digits(p, tm.tm_sec, 2);
	*p++ = 'Z';
	*p = '\0';
	return 0;
}

static void
sigv4_hex(const unsigned char *in, size_t len, char *out)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		out[2 * i] = sigv4_hexdigits[in[i] >> 4];
		out[2 * i + 1] = sigv4_hexdigits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
sigv4_sha256(EVP_MD_CTX *ctx, const void *data, size_t len,
    char hex[AWS_SIGV4_HEX_LEN])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen;

	if (!EVP_DigestInit_ex(ctx, sigv4_md, NULL) ||
	    !EVP_DigestUpdate(ctx, data, len) ||
	    !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32)
		return -1;
	sigv4_hex(md, 32, hex);
	return 0;
}

int
aws_sigv4_sha256_hex(const void *data, size_t len,
    char hex[AWS_SIGV4_HEX_LEN])
{
	EVP_MD_CTX	*ctx;
	int		 rc;

	if (sigv4_init() == -1 || (ctx = EVP_MD_CTX_new()) == NULL) {
		errno = EIO;
		return -1;
	}
	if ((rc = sigv4_sha256(ctx, data, len, hex)) == -1)
		errno = EIO;
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* An HMAC context bound to SHA-256; each sigv4_hmac() re-keys it. */
static EVP_MAC_CTX *
sigv4_hmac_new(void)
{
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];

	if (sigv4_init() == -1 || (ctx = EVP_MAC_CTX_new(sigv4_mac)) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)OSSL_DIGEST_NAME_SHA2_256, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(ctx, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int
sigv4_hmac(EVP_MAC_CTX *ctx, const unsigned char *key, size_t keylen,
    const void *msg, size_t len, unsigned char out[AWS_SIGV4_KEY_LEN])
{
	size_t	outlen;

	if (!EVP_MAC_init(ctx, key, keylen, NULL) ||
	    !EVP_MAC_update(ctx, msg, len) ||
	    !EVP_MAC_final(ctx, out, &outlen, AWS_SIGV4_KEY_LEN) ||
	    outlen != AWS_SIGV4_KEY_LEN)
		return -1;
	return 0;
}

static int
sigv4_derive(EVP_MAC_CTX *ctx, const char *secret, const char *date,
    const char *region, const char *service,
    unsigned char key[AWS_SIGV4_KEY_LEN])
{
	unsigned char	 stackbuf[128], *k;
	size_t		 slen = strlen(secret);
	int		 rc = -1;

	if (slen + 4 <= sizeof(stackbuf))
		k = stackbuf;
	else if ((k = malloc(slen + 4)) == NULL)
		return -1;
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, slen);
	if (sigv4_hmac(ctx, k, slen + 4, date, strlen(date), key) == -1 ||
	    sigv4_hmac(ctx, key, AWS_SIGV4_KEY_LEN, region, strlen(region),
	    key) == -1 ||
	    sigv4_hmac(ctx, key, AWS_SIGV4_KEY_LEN, service, strlen(service),
	    key) == -1 ||
	    sigv4_hmac(ctx, key, AWS_SIGV4_KEY_LEN, SIGV4_TERMINATOR,
	    strlen(SIGV4_TERMINATOR), key) == -1)
		goto done;
	rc = 0;
 done:
	OPENSSL_cleanse(k, slen + 4);
	if (k != stackbuf)
		free(k);
	if (rc == -1)
		OPENSSL_cleanse(key, AWS_SIGV4_KEY_LEN);
	return rc;
}

int
aws_sigv4_signing_key(const char *secret, const char *date,
    const char *region, const char *service,
    unsigned char key[AWS_SIGV4_KEY_LEN])
{
	EVP_MAC_CTX	*ctx;
	int		 rc;

	if (secret == NULL || date == NULL || region == NULL ||
	    service == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((ctx = sigv4_hmac_new()) == NULL) {
		errno = EIO;
		return -1;
	}
	if ((rc = sigv4_derive(ctx, secret, date, region, service, key)) == -1)
		errno = EIO;
	EVP_MAC_CTX_free(ctx);
	return rc;
}

static int
sigv4_tchar(unsigned char c)
{
	/* RFC 9110 token characters, the legal header-name bytes. */
	return sigv4_unreserved(c) || (c != '\0' && strchr("!#$%&'*+^`|", c));
}

static int
sigv4_ws(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Canonical form of a header value: each line trimmed, runs of blanks
 * inside a line collapsed to one space, the non-empty lines joined with
 * ','. Never longer than the input. Returns the length written to dst.
 */
static size_t
sigv4_canon_value(char *dst, const char *v)
{
	const char	*line, *end, *nl;
	size_t		 n = 0;
	int		 first = 1, blank;

	for (line = v; ; line = nl + 1) {
		nl = strchr(line, '\n');
		end = nl ? nl : line + strlen(line);
		if (end > line && end[-1] == '\r')
			end--;
		while (line < end && sigv4_ws(*line))
			line++;
		while (end > line && sigv4_ws(end[-1]))
			end--;
		if (line < end) {
			if (!first)
				dst[n++] = ',';
			first = 0;
			for (blank = 0; line < end; line++) {
				if (sigv4_ws(*line)) {
					blank = 1;
					continue;
				}
				if (blank)
					dst[n++] = ' ';
				blank = 0;
				dst[n++] = *line;
			}
		}
		if (nl == NULL)
			break;
	}
	dst[n] = '\0';
	return n;
}

/* Lower-case a header name into dst; -1 if it is not a token. */
static int
sigv4_canon_name(char *dst, const char *name, size_t *lenp)
{
	size_t	i;

	for (i = 0; name[i] != '\0'; i++) {
		if (!sigv4_tchar((unsigned char)name[i]))
			return -1;
		dst[i] = (name[i] >= 'A' && name[i] <= 'Z') ?
		    name[i] - 'A' + 'a' : name[i];
	}
	dst[i] = '\0';
	*lenp = i;
	return i == 0 ? -1 : 0;
}

static int
sigv4_hdr_cmp(const struct sigv4_hdr *a, const struct sigv4_hdr *b)
{
	int	c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int
sigv4_param_cmp(const void *pa, const void *pb)
{
	const struct sigv4_param	*a = pa, *b = pb;
	int				 c;

	if ((c = strcmp(a->key, b->key)) != 0)
		return c;
	return strcmp(a->value, b->value);
}

/* The path as it enters the canonical request. */
static void
sigv4_canon_path(struct sigv4_buf *cr, struct sigv4_arena *a,
    const char *path, int s3)
{
	const char	 *p, *seg, **segs;
	size_t		 *lens, nseg = 0, len, i;
	char		 *dst;

	if (path == NULL || *path == '\0')
		path = "/";
	len = strlen(path);
	if (sigv4_buf_reserve(cr, 3 * len + 2) == -1)
		return;
	dst = cr->p + cr->len;
	if (s3) {
		if (*path != '/')
			*dst++ = '/';
		dst += sigv4_reencode(dst, path, len, 0);
		cr->len = dst - cr->p;
		return;
	}

	/*
	 * Remove "." and "..", drop empty segments (collapsing "//"), keep
	 * a trailing slash if there is one and anything is left, then
	 * encode the result again, escapes included.
	 */
	segs = sigv4_arena_get(a, (len / 2 + 2) * sizeof(*segs));
	lens = sigv4_arena_get(a, (len / 2 + 2) * sizeof(*lens));
	if (segs == NULL || lens == NULL) {
		cr->err = 1;
		return;
	}
	for (p = path; *p != '\0'; ) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		seg = p;
		while (*p != '\0' && *p != '/')
			p++;
		if (p - seg == 1 && seg[0] == '.')
			continue;
		if (p - seg == 2 && seg[0] == '.' && seg[1] == '.') {
			if (nseg > 0)
				nseg--;
			continue;
		}
		segs[nseg] = seg;
		lens[nseg++] = p - seg;
	}
	*dst++ = '/';
	for (i = 0; i < nseg; i++) {
		if (i > 0)
			*dst++ = '/';
		for (p = segs[i]; p < segs[i] + lens[i]; p++)
			dst += sigv4_enc_byte(dst, (unsigned char)*p, 1);
	}
	if (nseg > 0 && path[len - 1] == '/')
		*dst++ = '/';
	cr->len = dst - cr->p;
}

/* The query: parameters decoded, encoded, sorted by key then value. */
static void
sigv4_canon_query(struct sigv4_buf *cr, struct sigv4_arena *a,
    const char *query)
{
	struct sigv4_param	*params;
	const char		*p, *end, *eq;
	size_t			 n = 0, max = 1, qlen, i;
	char			*dst;

	if (query == NULL || *query == '\0')
		return;
	qlen = strlen(query);
	for (p = query; *p != '\0'; p++)
		if (*p == '&')
			max++;
	params = sigv4_arena_get(a, max * sizeof(*params));
	dst = sigv4_arena_get(a, 3 * qlen + 2 * max);
	if (params == NULL || dst == NULL) {
		cr->err = 1;
		return;
	}
	for (p = query; ; p = end + 1) {
		if ((end = strchr(p, '&')) == NULL)
			end = p + strlen(p);
		if (end > p) {
			if ((eq = memchr(p, '=', end - p)) == NULL)
				eq = end;
			params[n].key = dst;
			dst += sigv4_reencode(dst, p, eq - p, 1);
			*dst++ = '\0';
			params[n].value = dst;
			if (eq < end)
				dst += sigv4_reencode(dst, eq + 1,
				    end - eq - 1, 1);
			*dst++ = '\0';
			n++;
		}
		if (*end == '\0')
			break;
	}
	qsort(params, n, sizeof(*params), sigv4_param_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sigv4_buf_addc(cr, '&');
		sigv4_buf_adds(cr, params[i].key);
		sigv4_buf_addc(cr, '=');
		sigv4_buf_adds(cr, params[i].value);
	}
}

void
aws_sigv4_signed_clear(struct aws_sigv4_signed *out)
{
	if (out == NULL)
		return;
	free(out->canonical_request);
	memset(out, 0, sizeof(*out));
}

static int
sigv4_valid(const struct aws_sigv4_request *req,
    const struct aws_sigv4_creds *creds)
{
	if (req == NULL || creds == NULL || req->method == NULL ||
	    *req->method == '\0' || req->region == NULL ||
	    *req->region == '\0' || req->service == NULL ||
	    *req->service == '\0' || creds->access_key_id == NULL ||
	    *creds->access_key_id == '\0' ||
	    creds->secret_access_key == NULL ||
	    (req->nheaders > 0 && req->headers == NULL) ||
	    (req->payload == NULL && req->payload_len > 0) ||
	    (req->payload_hash != NULL &&
	    strlen(req->payload_hash) >= AWS_SIGV4_HEX_LEN))
		return -1;
	return 0;
}

/* What one signature carries from step to step. */
struct sigv4_job {
	const struct aws_sigv4_request	*req;
	const struct aws_sigv4_creds	*creds;
	struct aws_sigv4_signed		*out;
	const char			*token;		/* NULL: none */
	char				 date[9];	/* YYYYMMDD */
	struct aws_sigv4_header		 extra[3];	/* headers we add */
	size_t				 nextra;
	int				 have_date, have_token;
	struct sigv4_arena		 arena;
	struct sigv4_hdr		*hdrs;		/* canonical, sorted */
	size_t				 nh, strbytes;
	struct sigv4_buf		 b;		/* the three outputs */
	EVP_MAC_CTX			*mac;
	EVP_MD_CTX			*md;
	char				 crhash[AWS_SIGV4_HEX_LEN];
	size_t				 sh_off, sh_len;	/* signed headers */
	size_t				 sts_off;	/* string to sign */
	size_t				 scope_off, scope_len;
	size_t				 authz_off;
};

/* Header i of the request and then of the ones we add. */
static void
sigv4_job_header(const struct sigv4_job *j, size_t i, const char **name,
    const char **value)
{
	const struct aws_sigv4_request	*req = j->req;

	*name = i < req->nheaders ? req->headers[i].name :
	    j->extra[i - req->nheaders].name;
	*value = i < req->nheaders ? req->headers[i].value :
	    j->extra[i - req->nheaders].value;
}

/*
 * Which of the headers the signer supplies are already there; the others
 * (X-Amz-Date, X-Amz-Content-Sha256, a signed token) go into extra. 0 or
 * EINVAL.
 */
static int
sigv4_extra_headers(struct sigv4_job *j)
{
	const struct aws_sigv4_request	*req = j->req;
	const char			*name;
	size_t				 i;
	int				 have_host = 0, have_sha = 0;

	for (i = 0; i < req->nheaders; i++) {
		if ((name = req->headers[i].name) == NULL ||
		    req->headers[i].value == NULL)
			return EINVAL;
		if (strcasecmp(name, "host") == 0)
			have_host = 1;
		else if (strcasecmp(name, "x-amz-date") == 0)
			j->have_date = 1;
		else if (strcasecmp(name, "x-amz-content-sha256") == 0)
			have_sha = 1;
		else if (strcasecmp(name, "x-amz-security-token") == 0)
			j->have_token = 1;
	}
	if (!have_host)
		return EINVAL;
	if (!j->have_date) {
		j->extra[j->nextra].name = "X-Amz-Date";
		j->extra[j->nextra++].value = j->out->amz_date;
	}
	if ((req->flags & AWS_SIGV4_CONTENT_SHA256) && !have_sha) {
		j->extra[j->nextra].name = "X-Amz-Content-Sha256";
		j->extra[j->nextra++].value = j->out->payload_hash;
	}
	if (j->token != NULL && !j->have_token &&
	    !(req->flags & AWS_SIGV4_TOKEN_UNSIGNED)) {
		j->extra[j->nextra].name = "X-Amz-Security-Token";
		j->extra[j->nextra++].value = j->token;
	}
	j->nh = req->nheaders + j->nextra;
	return 0;
}

/* The scratch block: headers, path segments, query. 0 or ENOMEM. */
static int
sigv4_arena_alloc(struct sigv4_job *j)
{
	const struct aws_sigv4_request	*req = j->req;
	const char			*name, *value;
	size_t				 i, total;

	total = j->nh * sizeof(struct sigv4_hdr) + 16;
	j->strbytes = 0;
	for (i = 0; i < j->nh; i++) {
		sigv4_job_header(j, i, &name, &value);
		j->strbytes += strlen(name) + strlen(value) + 2;
	}
	total += j->strbytes + 32;
	/* Segment tables for the path ("/" when none), each rounded up. */
	i = (req->path != NULL && *req->path != '\0') ? strlen(req->path) : 1;
	total += (i / 2 + 2) * (sizeof(char *) + sizeof(size_t)) + 32;
	if (req->query != NULL)
		total += (strlen(req->query) + 1) *
		    (sizeof(struct sigv4_param) + 2) + 3 * strlen(req->query) +
		    32;
	if ((j->arena.base = malloc(total)) == NULL)
		return ENOMEM;
	j->arena.cap = total;
	return 0;
}

/* Canonical headers: lower-case names, clean values, sorted. 0 or errno. */
static int
sigv4_canon_headers(struct sigv4_job *j)
{
	const char		*name, *value;
	struct sigv4_hdr	*h, tmp;
	char			*s;
	size_t			 i, k;

	if ((j->hdrs = sigv4_arena_get(&j->arena, j->nh *
	    sizeof(*j->hdrs))) == NULL ||
	    (s = sigv4_arena_get(&j->arena, j->strbytes)) == NULL)
		return ENOMEM;
	for (i = 0; i < j->nh; i++) {
		sigv4_job_header(j, i, &name, &value);
		h = &j->hdrs[i];
		h->name = s;
		if (sigv4_canon_name(s, name, &h->namelen) == -1)
			return EINVAL;
		s += h->namelen + 1;
		h->value = s;
		h->valuelen = sigv4_canon_value(s, value);
		s += h->valuelen + 1;
		h->order = i;
		if (j->have_date && strcmp(h->name, "x-amz-date") == 0 &&
		    strcmp(h->value, j->out->amz_date) != 0)
			return EINVAL;
	}
	/* Insertion sort: few headers, and it must be stable. */
	for (i = 1; i < j->nh; i++) {
		tmp = j->hdrs[i];
		for (k = i; k > 0 && sigv4_hdr_cmp(&j->hdrs[k - 1], &tmp) > 0;
		    k--)
			j->hdrs[k] = j->hdrs[k - 1];
		j->hdrs[k] = tmp;
	}
	return 0;
}

/* The canonical request, at the start of j->b, and its hash. 0 or errno. */
static int
sigv4_canonical_request(struct sigv4_job *j)
{
	const struct aws_sigv4_request	*req = j->req;
	const struct sigv4_hdr		*h = j->hdrs;
	struct sigv4_buf		*b = &j->b;
	size_t				 i;

	if (sigv4_buf_reserve(b, 512 + 2 * j->strbytes +
	    (req->path ? 3 * strlen(req->path) : 0) +
	    (req->query ? 3 * strlen(req->query) : 0)) == -1)
		return ENOMEM;
	sigv4_buf_adds(b, req->method);
	sigv4_buf_addc(b, '\n');
	sigv4_canon_path(b, &j->arena, req->path, req->flags & AWS_SIGV4_S3);
	sigv4_buf_addc(b, '\n');
	sigv4_canon_query(b, &j->arena, req->query);
	sigv4_buf_addc(b, '\n');
	for (i = 0; i < j->nh; i++) {
		if (i == 0 || strcmp(h[i].name, h[i - 1].name) != 0) {
			if (i > 0)
				sigv4_buf_addc(b, '\n');
			sigv4_buf_add(b, h[i].name, h[i].namelen);
			sigv4_buf_addc(b, ':');
		} else
			sigv4_buf_addc(b, ',');
		sigv4_buf_add(b, h[i].value, h[i].valuelen);
	}
	sigv4_buf_add(b, "\n\n", 2);
	j->sh_off = b->len;
	for (i = 0; i < j->nh; i++) {
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0)
			continue;
		if (i > 0)
			sigv4_buf_addc(b, ';');
		sigv4_buf_add(b, h[i].name, h[i].namelen);
	}
	j->sh_len = b->len - j->sh_off;
	sigv4_buf_addc(b, '\n');
	sigv4_buf_adds(b, j->out->payload_hash);
	if (b->err)
		return ENOMEM;
	if (sigv4_sha256(j->md, b->p, b->len, j->crhash) == -1)
		return EIO;
	sigv4_buf_addc(b, '\0');
	return 0;
}

/* The string to sign, after the canonical request. 0 or ENOMEM. */
static int
sigv4_string_to_sign(struct sigv4_job *j)
{
	struct sigv4_buf	*b = &j->b;

	j->sts_off = b->len;
	sigv4_buf_adds(b, AWS_SIGV4_ALGORITHM "\n");
	sigv4_buf_adds(b, j->out->amz_date);
	sigv4_buf_addc(b, '\n');
	j->scope_off = b->len;
	sigv4_buf_adds(b, j->date);
	sigv4_buf_addc(b, '/');
	sigv4_buf_adds(b, j->req->region);
	sigv4_buf_addc(b, '/');
	sigv4_buf_adds(b, j->req->service);
	sigv4_buf_adds(b, "/" SIGV4_TERMINATOR);
	j->scope_len = b->len - j->scope_off;
	sigv4_buf_addc(b, '\n');
	sigv4_buf_adds(b, j->crhash);
	return b->err ? ENOMEM : 0;
}

/* The signing key, derived and used once, then the signature. 0 or EIO. */
static int
sigv4_signature(struct sigv4_job *j)
{
	struct sigv4_buf	*b = &j->b;
	unsigned char		 key[AWS_SIGV4_KEY_LEN], sig[AWS_SIGV4_KEY_LEN];
	int			 rc;

	rc = sigv4_derive(j->mac, j->creds->secret_access_key, j->date,
	    j->req->region, j->req->service, key) == -1 ||
	    sigv4_hmac(j->mac, key, sizeof(key), b->p + j->sts_off,
	    b->len - j->sts_off, sig) == -1;
	OPENSSL_cleanse(key, sizeof(key));
	if (rc)
		return EIO;
	sigv4_hex(sig, sizeof(sig), j->out->signature);
	sigv4_buf_addc(b, '\0');
	return 0;
}

/* The Authorization value; reserved first so offsets stay put. */
static int
sigv4_authorization(struct sigv4_job *j)
{
	struct sigv4_buf	*b = &j->b;

	if (sigv4_buf_reserve(b, sizeof(AWS_SIGV4_ALGORITHM) + 64 +
	    strlen(j->creds->access_key_id) + j->scope_len + j->sh_len +
	    AWS_SIGV4_HEX_LEN) == -1)
		return ENOMEM;
	j->authz_off = b->len;
	sigv4_buf_adds(b, AWS_SIGV4_ALGORITHM " Credential=");
	sigv4_buf_adds(b, j->creds->access_key_id);
	sigv4_buf_addc(b, '/');
	sigv4_buf_add(b, b->p + j->scope_off, j->scope_len);
	sigv4_buf_adds(b, ", SignedHeaders=");
	sigv4_buf_add(b, b->p + j->sh_off, j->sh_len);
	sigv4_buf_adds(b, ", Signature=");
	sigv4_buf_adds(b, j->out->signature);
	sigv4_buf_addc(b, '\0');
	return b->err ? ENOMEM : 0;
}

/* The outputs, and the headers the caller adds to the request. */
static void
sigv4_output(struct sigv4_job *j)
{
	struct aws_sigv4_signed	*out = j->out;
	size_t			 i;

	out->canonical_request = j->b.p;
	out->string_to_sign = j->b.p + j->sts_off;
	out->authorization = j->b.p + j->authz_off;
	for (i = 0; i < j->nextra; i++)
		out->add[out->nadd++] = j->extra[i];
	if (j->token != NULL && !j->have_token &&
	    (j->req->flags & AWS_SIGV4_TOKEN_UNSIGNED)) {
		out->add[out->nadd].name = "X-Amz-Security-Token";
		out->add[out->nadd++].value = j->token;
	}
	out->add[out->nadd].name = "Authorization";
	out->add[out->nadd++].value = out->authorization;
}

/* The date, the token, the payload hash. 0 or errno. */
static int
sigv4_start(struct sigv4_job *j)
{
	const struct aws_sigv4_request	*req = j->req;
	struct aws_sigv4_signed		*out = j->out;

	if (aws_sigv4_amz_date(req->when, out->amz_date) == -1)
		return EINVAL;
	memcpy(j->date, out->amz_date, 8);
	j->date[8] = '\0';
	j->token = j->creds->session_token;
	if (j->token != NULL && *j->token == '\0')
		j->token = NULL;
	if ((j->md = EVP_MD_CTX_new()) == NULL ||
	    (j->mac = sigv4_hmac_new()) == NULL)
		return EIO;
	if (req->payload_hash != NULL)
		memcpy(out->payload_hash, req->payload_hash,
		    strlen(req->payload_hash) + 1);
	else if (sigv4_sha256(j->md, req->payload ? req->payload : "",
	    req->payload_len, out->payload_hash) == -1)
		return EIO;
	return 0;
}

int
aws_sigv4_sign(const struct aws_sigv4_request *req,
    const struct aws_sigv4_creds *creds, struct aws_sigv4_signed *out)
{
	struct sigv4_job	 j;
	int			 err = EINVAL;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (out == NULL || sigv4_valid(req, creds) == -1) {
		errno = EINVAL;
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.req = req;
	j.creds = creds;
	j.out = out;
	if ((err = sigv4_start(&j)) != 0 ||
	    (err = sigv4_extra_headers(&j)) != 0 ||
	    (err = sigv4_arena_alloc(&j)) != 0 ||
	    (err = sigv4_canon_headers(&j)) != 0 ||
	    (err = sigv4_canonical_request(&j)) != 0 ||
	    (err = sigv4_string_to_sign(&j)) != 0 ||
	    (err = sigv4_signature(&j)) != 0 ||
	    (err = sigv4_authorization(&j)) != 0)
		goto fail;
	sigv4_output(&j);
	free(j.arena.base);
	EVP_MAC_CTX_free(j.mac);
	EVP_MD_CTX_free(j.md);
	return 0;

 fail:
	free(j.b.p);
	free(j.arena.base);
	EVP_MAC_CTX_free(j.mac);
	EVP_MD_CTX_free(j.md);
	memset(out, 0, sizeof(*out));
	errno = err;
	return -1;
}
