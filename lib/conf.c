/*
 * conf: the INI plumbing shared by the daemon's config and the plans. inih
 * does the splitting of "key = value" lines; a reader callback hands it the
 * text one line at a time, which is how every key gets its line number
 * (Debian's inih 55 passes none) and how syntax errors are caught and
 * reported line by line instead of "first error at line N". This file also
 * owns the typed value parsers, the secret-file rule and the error list.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"

#define CONF_COMMENT	";#"	/* start a comment; inline after a blank */

void
conf_error(struct conf_errors *errs, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024], *s;
	int	 r;

	if (errs == NULL)
		return;
	if (errs->n >= CONF_ERR_MAX) {
		errs->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (file == NULL && line <= 0)
		r = asprintf(&s, "%s", msg);
	else if (file == NULL)
		r = asprintf(&s, "line %d: %s", line, msg);
	else if (line <= 0)
		r = asprintf(&s, "%s: %s", file, msg);
	else
		r = asprintf(&s, "%s:%d: %s", file, line, msg);
	if (r == -1) {
		errs->dropped++;
		return;
	}
	errs->msg[errs->n++] = s;
}

void
conf_errors_clear(struct conf_errors *errs)
{
	int	i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	memset(errs, 0, sizeof(*errs));
}

char *
conf_errors_join(const struct conf_errors *errs)
{
	char	*s, more[64] = "";
	size_t	 len = 1, off = 0, l;
	int	 i;

	if (errs->dropped > 0)
		snprintf(more, sizeof(more), "(and %d more error%s)",
		    errs->dropped, errs->dropped == 1 ? "" : "s");
	for (i = 0; i < errs->n; i++)
		len += strlen(errs->msg[i]) + 1;
	len += strlen(more);
	if ((s = malloc(len)) == NULL)
		return NULL;
	for (i = 0; i < errs->n; i++) {
		if (i > 0)
			s[off++] = '\n';
		l = strlen(errs->msg[i]);
		memcpy(s + off, errs->msg[i], l);
		off += l;
	}
	if (*more != '\0') {
		if (off > 0)
			s[off++] = '\n';
		l = strlen(more);
		memcpy(s + off, more, l);
		off += l;
	}
	s[off] = '\0';
	return s;
}

/*
 * Parsing. Every line goes through conf_classify() first, which applies
 * inih's own rules (so the two never disagree on a line inih accepts) plus
 * a few stricter ones: no "key: value", no empty key or section name, no
 * text after "]". A line it refuses is recorded with its number and inih
 * gets an empty line instead, so inih itself never sees an error.
 */
enum conf_line {
	LN_BLANK,
	LN_SECTION,
	LN_KEY,
	LN_ERR_SYNTAX,
	LN_ERR_BRACKET,
	LN_ERR_TRAILING,
	LN_ERR_NOKEY,
	LN_ERR_NOSECTION,
};

struct conf_parse {
	const char		*file;
	const char		*p;		/* next unread byte of the text */
	int			 line;		/* line last handed to inih */
	const char		*chunk;		/* what is left to hand over */
	size_t			 chunklen;
	int			 skip;		/* keys under a bad header */
	int			 bad;		/* syntax errors */
	conf_section_handler	 sh;
	conf_handler		 kh;
	void			*arg;
	struct conf_errors	*errs;
};

static char *
conf_rstrip(char *s)
{
	size_t	len = strlen(s);

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

static char *
conf_lskip(char *s)
{
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	return s;
}

/* inih's find_chars_or_comment(): stop at chars or at a comment after a blank. */
static char *
conf_find(char *s, const char *chars)
{
	int	was_space = 0;

	while (*s != '\0' && (chars == NULL || strchr(chars, *s) == NULL) &&
	    !(was_space && strchr(CONF_COMMENT, *s) != NULL)) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static enum conf_line
conf_classify(char *s, char **section)
{
	char	*start, *end, *rest;

	start = conf_lskip(conf_rstrip(s));
	if (*start == '\0' || strchr(CONF_COMMENT, *start) != NULL)
		return LN_BLANK;
	if (*start == '[') {
		end = conf_find(start + 1, "]");
		if (*end != ']')
			return LN_ERR_BRACKET;
		*end = '\0';
		rest = conf_lskip(end + 1);
		if (*rest != '\0' && strchr(CONF_COMMENT, *rest) == NULL)
			return LN_ERR_TRAILING;
		if (start[1] == '\0')
			return LN_ERR_NOSECTION;
		*section = start + 1;
		return LN_SECTION;
	}
	end = conf_find(start, "=:");
	if (*end != '=')
		return LN_ERR_SYNTAX;
	*end = '\0';
	if (*conf_rstrip(start) == '\0')
		return LN_ERR_NOKEY;
	return LN_KEY;
}

static void
conf_next_line(struct conf_parse *cp)
{
	static const char	*why[] = {
		[LN_ERR_SYNTAX] = "syntax error: expected 'key = value', "
		    "'[section]' or a comment",
		[LN_ERR_BRACKET] = "syntax error: '[' without a closing ']'",
		[LN_ERR_TRAILING] = "syntax error: text after ']'",
		[LN_ERR_NOKEY] = "syntax error: no key before '='",
		[LN_ERR_NOSECTION] = "syntax error: empty section name",
	};
	char			 buf[CONF_LINE_MAX + 1], *name = NULL, *s;
	const char		*start = cp->p, *end;
	size_t			 len;
	enum conf_line		 kind;

	if ((end = strchr(start, '\n')) == NULL)
		end = start + strlen(start);
	len = (size_t)(end - start);
	cp->p = *end == '\n' ? end + 1 : end;
	cp->line++;
	cp->chunk = start;
	cp->chunklen = (size_t)(cp->p - start);

	if (len > CONF_LINE_MAX) {
		conf_error(cp->errs, cp->file, cp->line,
		    "line longer than %d bytes", CONF_LINE_MAX);
		cp->bad++;
		cp->chunk = "\n";
		cp->chunklen = 1;
		return;
	}
	memcpy(buf, start, len);
	buf[len] = '\0';
	s = buf;
	if (cp->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	kind = conf_classify(s, &name);
	switch (kind) {
	case LN_BLANK:
	case LN_KEY:
		break;
	case LN_SECTION:
		cp->skip = 0;
		if (cp->sh != NULL)
			cp->sh(cp->arg, name, cp->line);
		break;
	default:
		conf_error(cp->errs, cp->file, cp->line, "%s", why[kind]);
		cp->bad++;
		/* Keys under a broken header would land in the wrong section. */
		if (kind != LN_ERR_SYNTAX && kind != LN_ERR_NOKEY)
			cp->skip = 1;
		cp->chunk = "\n";
		cp->chunklen = 1;
		break;
	}
}

static char *
conf_reader(char *buf, int num, void *arg)
{
	struct conf_parse	*cp = arg;

	if (*cp->p == '\0')
		return NULL;
	conf_next_line(cp);
	if (cp->chunklen > (size_t)num - 1) {
		/* Not reached: inih's buffer is larger than CONF_LINE_MAX. */
		conf_error(cp->errs, cp->file, cp->line,
		    "line longer than %d bytes", num - 2);
		cp->bad++;
		cp->chunk = "\n";
		cp->chunklen = 1;
	}
	memcpy(buf, cp->chunk, cp->chunklen);
	buf[cp->chunklen] = '\0';
	return buf;
}

static int
conf_ini_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct conf_parse	*cp = arg;

	if (!cp->skip)
		cp->kh(cp->arg, section, key, value, cp->line);
	return 1;
}

int
conf_ini_parse(const struct conf_ini_opts *o, ini_reader reader, void *stream,
    ini_handler handler, void *arg)
{
	bool	 o_multi, o_inline, o_stack, o_realloc;
	bool	 o_stop, o_novalue, o_bom;
	char	*o_inpref, *o_startpref;
	int	 o_max, o_alloc, r;

	o_multi = ini_allow_multiline;
	o_inline = ini_allow_inline_comments;
	o_inpref = ini_inline_comment_prefixes;
	o_startpref = ini_start_comment_prefixes;
	o_stack = ini_use_stack;
	o_max = ini_max_line;
	o_alloc = ini_initial_alloc;
	o_realloc = ini_allow_realloc;
	o_stop = ini_stop_on_first_error;
	o_novalue = ini_allow_no_value;
	o_bom = ini_allow_bom;

	ini_allow_multiline = o->multiline;
	ini_allow_inline_comments = o->inline_comments;
	ini_inline_comment_prefixes = o->comment;
	ini_start_comment_prefixes = o->comment;
	ini_use_stack = false;
	ini_max_line = o->max_line;
	ini_initial_alloc = o->initial_alloc;
	ini_allow_realloc = o->grow;
	ini_stop_on_first_error = false;
	ini_allow_no_value = false;
	ini_allow_bom = true;

	r = ini_parse_stream(reader, stream, handler, arg);

	ini_allow_multiline = o_multi;
	ini_allow_inline_comments = o_inline;
	ini_inline_comment_prefixes = o_inpref;
	ini_start_comment_prefixes = o_startpref;
	ini_use_stack = o_stack;
	ini_max_line = o_max;
	ini_initial_alloc = o_alloc;
	ini_allow_realloc = o_realloc;
	ini_stop_on_first_error = o_stop;
	ini_allow_no_value = o_novalue;
	ini_allow_bom = o_bom;
	return r;
}

int
conf_parse_sections(const char *text, const char *file,
    conf_section_handler sh, conf_handler kh, void *arg,
    struct conf_errors *errs)
{
	static char			 comment[] = CONF_COMMENT;
	const struct conf_ini_opts	 opts = {
		.inline_comments = true,
		.comment = comment,
		.max_line = CONF_LINE_MAX + 3,	/* "\r\n" and NUL */
		.initial_alloc = CONF_LINE_MAX + 3,
	};
	struct conf_parse		 cp = {
		.file = file, .p = text, .sh = sh, .kh = kh, .arg = arg,
		.errs = errs,
	};
	int				 r;

	r = conf_ini_parse(&opts, conf_reader, &cp, conf_ini_handler, &cp);
	if (r < 0) {
		conf_error(errs, file, 0, "cannot parse: out of memory");
		return -1;
	}
	if (r > 0 && cp.bad == 0) {
		conf_error(errs, file, r, "syntax error");
		cp.bad++;
	}
	return cp.bad > 0 ? -1 : 0;
}

int
conf_parse_text(const char *text, const char *file, conf_handler kh,
    void *arg, struct conf_errors *errs)
{
	return conf_parse_sections(text, file, NULL, kh, arg, errs);
}

char *
conf_read_file(const char *path, size_t max)
{
	char	*buf = NULL, *nbuf;
	size_t	 len = 0, size = 0;
	ssize_t	 r;
	int	 fd, saved;

	if (max == 0)
		max = SIZE_MAX - 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	for (;;) {
		if (size - len < 2) {
			size = size == 0 ? 4096 : size * 2;
			if ((nbuf = realloc(buf, size)) == NULL)
				goto fail;
			buf = nbuf;
		}
		r = read(fd, buf + len, size - len - 1);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		/* A NUL would silently cut the file short. */
		errno = EINVAL;
		goto fail;
	}
	close(fd);
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

/*
 * Typed values.
 */

/*
 * A non-negative decimal: digits, then optionally '.' and more digits.
 * Stores the integer part, and the fraction as frac / 10^scale.
 */
static int
conf_decimal(const char *s, const char **end, uint64_t *ip, uint64_t *frac,
    int *scale)
{
	uint64_t	 v = 0, f = 0;
	int		 nd = 0, sc = 0;

	for (; isdigit((unsigned char)*s); s++, nd++) {
		if (v > (UINT64_MAX - 9) / 10)
			v = UINT64_MAX;		/* saturate: "too large" */
		else
			v = v * 10 + (uint64_t)(*s - '0');
	}
	if (nd == 0)
		return -1;
	if (*s == '.') {
		s++;
		for (; isdigit((unsigned char)*s); s++) {
			if (sc >= 9)
				return -1;	/* finer than we ever need */
			f = f * 10 + (uint64_t)(*s - '0');
			sc++;
		}
		if (sc == 0)
			return -1;
	}
	*ip = v;
	*frac = f;
	*scale = sc;
	*end = s;
	return 0;
}

int
conf_duration(const char *s, int64_t *ms, char *why, size_t len)
{
	static const struct {
		const char	*unit;
		uint64_t	 ms;
	} units[] = {
		{ "ms", 1 },
		{ "s", 1000 },
		{ "m", 60 * 1000 },
		{ "h", 60 * 60 * 1000 },
		{ "d", 24 * 60 * 60 * 1000 },
	};
	const char	*u;
	uint64_t	 ip, frac, pow10 = 1, v;
	size_t		 i;
	int		 scale, k;

	if (conf_decimal(s, &u, &ip, &frac, &scale) == -1)
		goto bad;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(u, units[i].unit) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		goto bad;
	for (k = 0; k < scale; k++)
		pow10 *= 10;
	if (ip > (uint64_t)INT64_MAX / units[i].ms) {
		snprintf(why, len, "duration '%s' is too long", s);
		return -1;
	}
	if ((frac * units[i].ms) % pow10 != 0) {
		snprintf(why, len, "duration '%s' is not a whole number of "
		    "milliseconds", s);
		return -1;
	}
	v = ip * units[i].ms + frac * units[i].ms / pow10;
	if (v > (uint64_t)INT64_MAX) {
		snprintf(why, len, "duration '%s' is too long", s);
		return -1;
	}
	*ms = (int64_t)v;
	return 0;
bad:
	snprintf(why, len, "expected a duration like 90s or 5m, got '%s'", s);
	return -1;
}

void
conf_duration_str(int64_t ms, char *buf, size_t len)
{
	static const struct {
		const char	*unit;
		int64_t		 ms;
	} units[] = {
		{ "d", 24 * 60 * 60 * 1000 },
		{ "h", 60 * 60 * 1000 },
		{ "m", 60 * 1000 },
		{ "s", 1000 },
	};
	size_t	i;

	if (ms == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms % units[i].ms == 0) {
			snprintf(buf, len, "%" PRId64 "%s", ms / units[i].ms,
			    units[i].unit);
			return;
		}
	snprintf(buf, len, "%" PRId64 "ms", ms);
}

int
conf_percent(const char *s, double *ratio, char *why, size_t len)
{
	const char	*end;
	uint64_t	 ip, frac;
	double		 v;
	int		 scale;

	if (conf_decimal(s, &end, &ip, &frac, &scale) == -1 ||
	    (*end != '\0' && strcmp(end, "%") != 0)) {
		snprintf(why, len, "expected a percentage like 1.5%% or a "
		    "ratio like 0.015, got '%s'", s);
		return -1;
	}
	v = strtod(s, NULL);
	if (*end == '%') {
		if (v > 100) {
			snprintf(why, len, "'%s' is more than 100%%", s);
			return -1;
		}
		v /= 100;
	} else if (v > 1) {
		snprintf(why, len, "'%s' is a ratio above 1; write a "
		    "percentage with '%%', like %s%%", s, s);
		return -1;
	}
	*ratio = v;
	return 0;
}

int
conf_bool(const char *s, int *b, char *why, size_t len)
{
	static const char	*yes[] = { "yes", "true", "on", "1" };
	static const char	*no[] = { "no", "false", "off", "0" };
	size_t			 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*b = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*b = 0;
			return 0;
		}
	}
	snprintf(why, len, "expected yes or no, got '%s'", s);
	return -1;
}

int
conf_int(const char *s, long long min, long long max, long long *v,
    char *why, size_t len)
{
	char		*end;
	long long	 n;

	errno = 0;
	if (*s == '\0' || isspace((unsigned char)*s))
		goto bad;
	n = strtoll(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || n < min || n > max)
		goto bad;
	*v = n;
	return 0;
bad:
	snprintf(why, len, "expected an integer from %lld to %lld, got '%s'",
	    min, max, s);
	return -1;
}

int
conf_double(const char *s, double min, double max, double *v, char *why,
    size_t len)
{
	const char	*p = s, *end;
	uint64_t	 ip, frac;
	double		 d;
	int		 scale;

	/* Plain decimals only: strtod would take "nan", "inf" and hex. */
	if (*p == '-' || *p == '+')
		p++;
	if (conf_decimal(p, &end, &ip, &frac, &scale) == -1 || *end != '\0')
		goto bad;
	d = strtod(s, NULL);
	if (!isfinite(d) || d < min || d > max)
		goto bad;
	*v = d;
	return 0;
bad:
	snprintf(why, len, "expected a number from %g to %g, got '%s'", min,
	    max, s);
	return -1;
}

int
conf_list(const char *s, char ***items, int *n, char *why, size_t len)
{
	char		**v = NULL;
	const char	 *p, *end, *a, *b;
	int		  count = 1, i = 0;

	for (p = s; *p != '\0'; p++)
		if (*p == ',')
			count++;
	if ((v = calloc((size_t)count + 1, sizeof(*v))) == NULL) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	for (p = s; isspace((unsigned char)*p); p++)
		;
	if (*p == '\0') {
		*items = v;
		*n = 0;
		return 0;
	}
	for (p = s;; p = end + 1) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		for (a = p; a < end && isspace((unsigned char)*a); a++)
			;
		for (b = end; b > a && isspace((unsigned char)b[-1]); b--)
			;
		if (a == b) {
			snprintf(why, len, "expected a comma-separated list "
			    "without empty items, got '%s'", s);
			goto fail;
		}
		if ((v[i++] = strndup(a, (size_t)(b - a))) == NULL) {
			snprintf(why, len, "out of memory");
			goto fail;
		}
		if (*end == '\0')
			break;
	}
	*items = v;
	*n = i;
	return 0;
fail:
	conf_list_free(v);
	return -1;
}

void
conf_list_free(char **v)
{
	char	**p;

	if (v == NULL)
		return;
	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

int
conf_secret_file_ok(const char *path, char *why, size_t len)
{
	struct stat	st;

	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			snprintf(why, len, "%s does not exist", path);
		else
			snprintf(why, len, "cannot stat %s: %s", path,
			    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s is not a regular file", path);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(why, len, "%s has mode %04o: group or others may "
		    "read it; run chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	if (access(path, R_OK) == -1) {
		snprintf(why, len, "cannot read %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

char *
conf_path_resolve(const char *file, const char *path)
{
	char		*joined = NULL, *out = NULL, *cwd = NULL, *seg, *save;
	const char	*slash;
	size_t		 dirlen = 0, olen = 0;
	int		 r;

	if (path[0] == '/')
		r = asprintf(&joined, "%s", path);
	else {
		if (file != NULL && (slash = strrchr(file, '/')) != NULL)
			dirlen = (size_t)(slash - file);
		if (file != NULL && file[0] == '/')
			r = asprintf(&joined, "%.*s/%s", (int)dirlen, file,
			    path);
		else {
			if ((cwd = getcwd(NULL, 0)) == NULL)
				return NULL;
			r = asprintf(&joined, "%s/%.*s/%s", cwd, (int)dirlen,
			    file == NULL ? "" : file, path);
			free(cwd);
		}
	}
	if (r == -1)
		return NULL;

	/* Fold "", "." and ".." components; ".." at the root stays there. */
	if ((out = malloc(strlen(joined) + 2)) == NULL) {
		free(joined);
		return NULL;
	}
	for (seg = strtok_r(joined, "/", &save); seg != NULL;
	    seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			while (olen > 0 && out[olen - 1] != '/')
				olen--;
			if (olen > 0)
				olen--;
			continue;
		}
		out[olen++] = '/';
		memcpy(out + olen, seg, strlen(seg));
		olen += strlen(seg);
	}
	if (olen == 0)
		out[olen++] = '/';
	out[olen] = '\0';
	free(joined);
	return out;
}

int
conf_similar(const char *typed, const char *known)
{
	enum { M = 64 };
	int	d[M + 1][M + 1], la, lb, i, j, cost, v, limit;

	la = (int)strlen(typed);
	lb = (int)strlen(known);
	if (la > M || lb > M)
		return -1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			cost = tolower((unsigned char)typed[i - 1]) !=
			    tolower((unsigned char)known[j - 1]);
			v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && typed[i - 1] == known[j - 2] &&
			    typed[i - 2] == known[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	/* A third of the word may be wrong, and never all of it. */
	limit = lb / 3 > 1 ? lb / 3 : 1;
	if (d[la][lb] > limit || d[la][lb] >= la)
		return -1;
	return d[la][lb];
}
