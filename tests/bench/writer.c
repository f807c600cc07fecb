/*
 * writer: the "writer load" of the cutover tests and benchmarks. A client
 * that commits numbered rows at a steady rate to whatever server the
 * migration's writer switch points at, counts the writes the server
 * acknowledged, measures the longest gap between two acknowledged commits,
 * and afterwards checks that every acknowledged row is on the target. A
 * test tool: it uses Connector/C's ordinary blocking API.
 *
 *   writer run --host-file FILE --user U --password-file F
 *       [--database shop] [--rate 200] [--duration SECONDS] [--start N]
 *       [--report FILE] [--acked FILE] [--timeout SECONDS] [--ca FILE]
 *       [--bench] [--quiet]
 *
 *	FILE holds one line, "host:port" ("[v6]:port"; no port: 3306) or a
 *	Unix socket path starting with '/'. It is checked before every
 *	attempt (stat: device, inode, size, mtime, ctime; re-read on a change
 *	and at least every 200 ms) and when the address in it changes the
 *	writer drops its connection and connects to the new one: that is how
 *	the writer-switch hook, which atomically replaces the file, moves it.
 *	While the file is missing or unparseable nothing is written.
 *
 *	Each attempt is, with autocommit,
 *	  INSERT INTO writes (id, seq, at_us, note)
 *	      VALUES (N, N, <unix us>, 'writer')
 *	N starts at --start (1) and advances only when the server said OK.
 *	Failures are retried, the same N, after 1.5 ms: read_only (1290),
 *	lost or killed connections (2006, 2013, 1927), refused connects
 *	(2002, 2003), lock waits (1205) and deadlocks (1213) are expected
 *	during a cutover; any other error is printed and retried too. All are
 *	counted by code. A duplicate key (1062) on a retry means an earlier
 *	attempt committed and only its OK was lost: it counts as acknowledged
 *	(and as a "dup ack"). A 1062 on the very first attempt of the run
 *	means the table already holds that row: the run stops (exit 2; empty
 *	the table or pass --start). If `writes` is missing the writer tries
 *	CREATE TABLE IF NOT EXISTS (the test user normally may not).
 *	Connect, read and write timeouts are --timeout (2 s); the session's
 *	lock waits are capped below that, so a blocked INSERT fails with 1205
 *	instead of being abandoned on the server.
 *
 *	Writes follow a fixed schedule at 1/rate s (CLOCK_MONOTONIC, absolute
 *	sleeps); behind schedule after a stall it does not burst to catch up.
 *	Runs until --duration elapses or SIGTERM/SIGINT, then writes the
 *	report (JSON, atomically: tmp + rename) and one summary line on
 *	stderr. Exit 0, or 2 on bad usage or the "row already there" stop.
 *
 *	  {"acked": 600, "first_seq": 1, "last_seq": 600, "dup_acks": 0,
 *	   "errors": {"1290": 310, "2013": 1}, "max_gap_ms": 512.3,
 *	   "max_gap_at_us": <unix us of the ack that opened the gap>,
 *	   "gap2_ms": 6.1, "gap2_at_us": ..., "switches": [{"at_us": ...,
 *	   "from": "127.0.0.1:3306", "to": "127.0.0.1:3307"}],
 *	   "commit_p50_ms": 0.4, "commit_p99_ms": 1.2, "duration_s": 3.0,
 *	   "rate": 200, "attempts": ..., "connects": ..., "host": <first>,
 *	   "tail_gap_ms": <last ack to the end>, "stalled_at_end": false}
 *
 *	first_seq/last_seq are null when nothing was acknowledged. Commit
 *	latency is the round trip of the INSERTs that got OK. Error key
 *	"hostfile" counts attempts skipped for an unusable host file.
 *	--acked FILE gets the acknowledged seqs as "a-b" ranges, one per line
 *	(consecutive by construction: one range). --bench prints
 *	"BENCH cutover_write_gap_ms X ms" on stdout: max_gap_ms, or the tail
 *	gap when the run ended stalled (or acknowledged nothing) and that is
 *	longer.
 *
 *   writer verify (--host H [--port P] | --socket S) --user U
 *       --password-file F [--database shop] --report FILE [--wait SECONDS]
 *       [--timeout SECONDS] [--ca FILE] [--bench]
 *
 *	Reads first_seq..last_seq from the run's report and counts how many
 *	of those seqs are missing from `writes` on that server; with --wait
 *	it re-checks until none is missing or the time is up (replication
 *	catching up). Prints "lost N" on stdout (and up to 20 missing seqs on
 *	stderr); with --bench also "BENCH cutover_lost_writes N writes".
 *	Exit 0 if N == 0, 1 if writes are missing, 2 if it could not check.
 *
 * The password is the first line of the password file; it is never printed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#define WRITER_RETRY_NS		1500000		/* 1.5 ms between retries */
#define WRITER_REREAD_NS	200000000	/* host file re-read at least */
#define WRITER_MAX_ERRS		64		/* distinct codes kept */
#define WRITER_ERR_HOSTFILE	(-1)
#define WRITER_ERR_OTHER	(-2)		/* past WRITER_MAX_ERRS codes */
#define WRITER_MAX_MISSING	20

struct writer_addr {
	char		host[256];	/* empty for a socket */
	char		sock[256];	/* empty for TCP */
	unsigned int	port;
	char		text[300];	/* as logged and reported */
};

struct writer_hostfile {
	const char		*path;
	int			 cached;	/* the stat below matches addr */
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;
	struct timespec		 mtim;
	struct timespec		 ctim;
	int64_t			 read_ns;	/* when last read */
	struct writer_addr	 addr;
};

struct writer_err {
	int		code;
	long long	n;
};

struct writer_switch {
	int64_t		at_us;
	char		from[300];
	char		to[300];
};

struct writer_range {
	long long	a;
	long long	b;
};

struct writer {
	/* options */
	const char		*user;
	char			*password;
	const char		*database;
	const char		*ca;
	const char		*report_path;
	const char		*acked_path;
	double			 rate;
	double			 duration;
	long long		 start;
	unsigned int		 timeout;
	int			 bench;

	/* where to write, and the connection there */
	struct writer_hostfile	 hf;
	int			 have_target;
	struct writer_addr	 target;
	char			 first_host[300];
	MYSQL			*conn;
	int			 tried_create;

	/* counts */
	long long		 acked;
	long long		 dup_acks;
	long long		 first_seq;
	long long		 last_seq;
	long long		 attempts;
	long long		 connects;
	struct writer_err	 errs[WRITER_MAX_ERRS];
	int			 nerrs;
	int			 stalled_at_end;

	/* the two longest gaps between consecutive acks */
	int			 have_ack;
	int64_t			 last_ack_ns;
	int64_t			 last_ack_us;
	int64_t			 gap1_ns;
	int64_t			 gap1_at_us;
	int64_t			 gap2_ns;
	int64_t			 gap2_at_us;

	struct writer_switch	*sw;
	size_t			 nsw;
	size_t			 capsw;

	uint32_t		*lat_us;	/* commit round trips */
	size_t			 nlat;
	size_t			 caplat;

	struct writer_range	*ranges;
	size_t			 nranges;
	size_t			 capranges;
};

static volatile sig_atomic_t	writer_stop;
static int			writer_quiet;

static void writer_log(int, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
writer_on_signal(int sig)
{
	(void)sig;
	writer_stop = 1;
}

static int64_t
mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
wall_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sleep until monotonic time t, or until a stop signal. */
static void
sleep_until(int64_t t)
{
	struct timespec	ts;

	ts.tv_sec = t / 1000000000;
	ts.tv_nsec = t % 1000000000;
	while (!writer_stop && mono_ns() < t)
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* A line on stderr with the wall time; "always" lines ignore --quiet. */
static void
writer_log(int always, const char *fmt, ...)
{
	struct timespec	ts;
	struct tm	tm;
	char		when[16];
	va_list		ap;

	if (writer_quiet && !always)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(stderr, "writer: %s.%03ld ", when, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Grow *p (elements of size sz) to hold one more; -1 if out of memory. */
static int
grow(void **p, size_t *cap, size_t n, size_t sz)
{
	size_t	 ncap;
	void	*np;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if ((np = realloc(*p, ncap * sz)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static int
parse_double(const char *s, double min, double max, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

static int
parse_ll(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The first line of path, without its line end; NULL (and a message). */
static char *
read_password(const char *path)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "writer: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	n = getline(&line, &cap, f);
	fclose(f);
	if (n < 0) {			/* empty file: empty password */
		free(line);
		return strdup("");
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static void
free_password(char *pw)
{
	if (pw == NULL)
		return;
	explicit_bzero(pw, strlen(pw));
	free(pw);
}

/*
 * Parse "host:port", "[v6]:port", "host" (port 3306), a bare IPv6 address,
 * or "/socket/path". Returns 0 or -1.
 */
static int
addr_parse(const char *s, struct writer_addr *a)
{
	const char	*colon, *port = NULL, *close;
	size_t		 hlen;
	long long	 p = 3306;

	memset(a, 0, sizeof(*a));
	if (*s == '\0')
		return -1;
	if (s[0] == '/') {
		if (strlen(s) >= sizeof(a->sock) || strpbrk(s, " \t") != NULL)
			return -1;
		snprintf(a->sock, sizeof(a->sock), "%s", s);
		snprintf(a->text, sizeof(a->text), "%s", s);
		return 0;
	}
	if (s[0] == '[') {
		if ((close = strchr(s, ']')) == NULL)
			return -1;
		s++;
		hlen = close - s;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return -1;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hlen = colon - s;
		port = colon + 1;
	} else
		hlen = strlen(s);	/* no port, or a bare IPv6 address */
	if (hlen == 0 || hlen >= sizeof(a->host))
		return -1;
	memcpy(a->host, s, hlen);
	a->host[hlen] = '\0';
	if (strpbrk(a->host, " \t/[]") != NULL ||
	    (strchr(a->host, ':') != NULL &&
	    a->host[strspn(a->host, "0123456789abcdefABCDEF:.")] != '\0'))
		return -1;
	if (port != NULL && parse_ll(port, 1, 65535, &p) == -1)
		return -1;
	a->port = (unsigned int)p;
	snprintf(a->text, sizeof(a->text), strchr(a->host, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", a->host, a->port);
	return 0;
}

static int
same_stat(const struct writer_hostfile *hf, const struct stat *st)
{
	return hf->dev == st->st_dev && hf->ino == st->st_ino &&
	    hf->size == st->st_size &&
	    hf->mtim.tv_sec == st->st_mtim.tv_sec &&
	    hf->mtim.tv_nsec == st->st_mtim.tv_nsec &&
	    hf->ctim.tv_sec == st->st_ctim.tv_sec &&
	    hf->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/*
 * Bring hf->addr up to date with the file: a stat when nothing changed, a
 * read when it did (or when the last read is WRITER_REREAD_NS old, which
 * covers a same-size rewrite within one timestamp tick). Returns 0, or -1
 * with a reason in why when the file cannot be used.
 */
static int
hostfile_check(struct writer_hostfile *hf, int64_t now, char *why,
    size_t whylen)
{
	struct stat		 st;
	struct writer_addr	 a;
	char			 buf[1024], *line, *end;
	ssize_t			 n;
	size_t			 got = 0;
	int			 fd;

	if (stat(hf->path, &st) == -1) {
		hf->cached = 0;
		snprintf(why, whylen, "%s: %s", hf->path, strerror(errno));
		return -1;
	}
	if (hf->cached && same_stat(hf, &st) &&
	    now - hf->read_ns < WRITER_REREAD_NS)
		return 0;
	hf->cached = 0;
	if ((fd = open(hf->path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(why, whylen, "%s: %s", hf->path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while (got < sizeof(buf) - 1 &&
	    (n = read(fd, buf + got, sizeof(buf) - 1 - got)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "%s: %s", hf->path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	line = buf + strspn(buf, " \t\r\n");
	end = line + strcspn(line, "\r\n");
	*end = '\0';
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (addr_parse(line, &a) == -1) {
		snprintf(why, whylen, "%s: not host:port or /socket: \"%.64s\"",
		    hf->path, line);
		return -1;
	}
	hf->addr = a;
	hf->dev = st.st_dev;
	hf->ino = st.st_ino;
	hf->size = st.st_size;
	hf->mtim = st.st_mtim;
	hf->ctim = st.st_ctim;
	hf->read_ns = now;
	hf->cached = 1;
	return 0;
}

/* Errors after which the connection is gone or out of step. */
static int
err_drops_conn(unsigned int e)
{
	return e == 0 || (e >= CR_MIN_ERROR && e <= CR_MAX_ERROR) ||
	    (e >= 5000 && e <= 5999) ||		/* CR_MARIADB_*, CR_ERR_NET_* */
	    e == ER_CONNECTION_KILLED || e == ER_SERVER_SHUTDOWN ||
	    (e >= ER_ABORTING_CONNECTION && e <= ER_NET_WRITE_INTERRUPTED);
}

/*
 * Open a connection to addr with the run's timeouts. Returns the handle,
 * or NULL with *code and msg set.
 */
static MYSQL *
db_connect(const struct writer_addr *a, const char *user, const char *pw,
    const char *db, const char *ca, unsigned int timeout, unsigned int *code,
    char *msg, size_t msglen)
{
	MYSQL		*m;
	unsigned int	 proto;
	my_bool		 off = 0, on = 1;

	if ((m = mysql_init(NULL)) == NULL) {
		*code = CR_OUT_OF_MEMORY;
		snprintf(msg, msglen, "mysql_init: out of memory");
		return NULL;
	}
	proto = a->sock[0] != '\0' ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_RECONNECT, &off);
	if (ca != NULL) {
		mysql_options(m, MYSQL_OPT_SSL_CA, ca);
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
	}
	if (mysql_real_connect(m, a->sock[0] != '\0' ? "localhost" : a->host,
	    user, pw, db, a->port, a->sock[0] != '\0' ? a->sock : NULL,
	    0) == NULL) {
		*code = mysql_errno(m);
		snprintf(msg, msglen, "%s", mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* Count one failed attempt under code. */
static void
writer_count_err(struct writer *w, int code)
{
	int	i;

	for (i = 0; i < w->nerrs; i++)
		if (w->errs[i].code == code) {
			w->errs[i].n++;
			return;
		}
	if (w->nerrs >= WRITER_MAX_ERRS - 1 && code != WRITER_ERR_OTHER) {
		writer_count_err(w, WRITER_ERR_OTHER);
		return;
	}
	w->errs[w->nerrs].code = code;
	w->errs[w->nerrs].n = 1;
	w->nerrs++;
}

static void
writer_close(struct writer *w)
{
	if (w->conn != NULL)
		mysql_close(w->conn);
	w->conn = NULL;
}

/*
 * Connect to the current target and set up the session: autocommit, and
 * lock waits that give up (1205) before the client's read timeout would,
 * so a blocked INSERT is not left running on the server after we retry.
 */
static int
writer_connect(struct writer *w, unsigned int *code, char *msg, size_t msglen)
{
	char		 sql[160];
	unsigned int	 lw = w->timeout > 1 ? w->timeout - 1 : 1;

	w->tried_create = 0;
	w->conn = db_connect(&w->target, w->user, w->password, w->database,
	    w->ca, w->timeout, code, msg, msglen);
	if (w->conn == NULL)
		return -1;
	snprintf(sql, sizeof(sql), "SET SESSION autocommit = 1, "
	    "lock_wait_timeout = %u, innodb_lock_wait_timeout = %u", lw, lw);
	if (mysql_query(w->conn, sql) != 0 &&
	    (err_drops_conn(mysql_errno(w->conn)) ||
	    mysql_query(w->conn, "SET SESSION autocommit = 1") != 0)) {
		*code = mysql_errno(w->conn);
		snprintf(msg, msglen, "%s", mysql_error(w->conn));
		writer_close(w);
		return -1;
	}
	w->connects++;
	writer_log(0, "connected to %s (connection id %lu)", w->target.text,
	    mysql_thread_id(w->conn));
	return 0;
}

/* Follow the host file; -1 (why set) when it cannot be used now. */
static int
writer_follow(struct writer *w, char *why, size_t whylen)
{
	struct writer_switch	*s;

	if (hostfile_check(&w->hf, mono_ns(), why, whylen) == -1)
		return -1;
	if (!w->have_target) {
		w->target = w->hf.addr;
		w->have_target = 1;
		snprintf(w->first_host, sizeof(w->first_host), "%s",
		    w->target.text);
		writer_log(0, "writing to %s", w->target.text);
		return 0;
	}
	if (strcmp(w->hf.addr.text, w->target.text) == 0)
		return 0;
	writer_log(1, "switch %s -> %s", w->target.text, w->hf.addr.text);
	writer_close(w);
	if (grow((void **)&w->sw, &w->capsw, w->nsw, sizeof(*w->sw)) == 0) {
		s = &w->sw[w->nsw++];
		s->at_us = wall_us();
		snprintf(s->from, sizeof(s->from), "%s", w->target.text);
		snprintf(s->to, sizeof(s->to), "%s", w->hf.addr.text);
	}
	w->target = w->hf.addr;
	return 0;
}

static void
writer_ack(struct writer *w, long long seq, int dup, int64_t lat_ns)
{
	int64_t	now = mono_ns(), now_us = wall_us(), gap;

	if (w->acked == 0)
		w->first_seq = seq;
	w->last_seq = seq;
	w->acked++;
	if (dup)
		w->dup_acks++;
	if (w->have_ack) {
		gap = now - w->last_ack_ns;
		if (gap > w->gap1_ns) {
			w->gap2_ns = w->gap1_ns;
			w->gap2_at_us = w->gap1_at_us;
			w->gap1_ns = gap;
			w->gap1_at_us = w->last_ack_us;
		} else if (gap > w->gap2_ns) {
			w->gap2_ns = gap;
			w->gap2_at_us = w->last_ack_us;
		}
	}
	w->have_ack = 1;
	w->last_ack_ns = now;
	w->last_ack_us = now_us;
	if (!dup && grow((void **)&w->lat_us, &w->caplat, w->nlat,
	    sizeof(*w->lat_us)) == 0)
		w->lat_us[w->nlat++] = lat_ns / 1000 > UINT32_MAX ?
		    UINT32_MAX : (uint32_t)(lat_ns / 1000);
	if (w->nranges > 0 && w->ranges[w->nranges - 1].b == seq - 1)
		w->ranges[w->nranges - 1].b = seq;
	else if (grow((void **)&w->ranges, &w->capranges, w->nranges,
	    sizeof(*w->ranges)) == 0) {
		w->ranges[w->nranges].a = w->ranges[w->nranges].b = seq;
		w->nranges++;
	}
}

enum writer_outcome {
	WR_ACKED,
	WR_STOPPED,		/* signal or end of the run */
	WR_FATAL,		/* the table already held the row */
};

/*
 * Write row seq, retrying until the server acknowledges it or the run
 * ends. "sent" tells whether an earlier attempt may have reached the
 * server: only then does a duplicate key mean our own lost OK.
 */
static enum writer_outcome
writer_write(struct writer *w, long long seq, int64_t deadline)
{
	char		 sql[200], msg[512], why[512], why_logged[512] = "";
	unsigned int	 code;
	unsigned int	 last_logged = 0;
	long long	 fails = 0;
	int64_t		 t0 = mono_ns(), t;
	int		 sent = 0, prior, hf_bad = 0;

	for (;; sleep_until(mono_ns() + WRITER_RETRY_NS)) {
		if (writer_stop || mono_ns() >= deadline) {
			w->stalled_at_end = fails > 0;
			return WR_STOPPED;
		}
		if (writer_follow(w, why, sizeof(why)) == -1) {
			writer_count_err(w, WRITER_ERR_HOSTFILE);
			if (strcmp(why, why_logged) != 0)
				writer_log(1, "%s; not writing", why);
			snprintf(why_logged, sizeof(why_logged), "%s", why);
			hf_bad = 1;
			fails++;
			continue;
		}
		if (hf_bad)
			writer_log(1, "host file usable again: %s",
			    w->target.text);
		hf_bad = 0;
		why_logged[0] = '\0';
		if (w->conn == NULL &&
		    writer_connect(w, &code, msg, sizeof(msg)) == -1)
			goto failed;

		snprintf(sql, sizeof(sql), "INSERT INTO writes (id, seq, at_us, "
		    "note) VALUES (%lld, %lld, %" PRId64 ", 'writer')", seq, seq,
		    wall_us());
		prior = sent;
		sent = 1;
		w->attempts++;
		t = mono_ns();
		if (mysql_real_query(w->conn, sql, strlen(sql)) == 0) {
			if (mysql_field_count(w->conn) != 0)
				mysql_free_result(mysql_store_result(w->conn));
			writer_ack(w, seq, 0, mono_ns() - t);
			if (fails > 0)
				writer_log(0, "seq %lld acked after %lld failed "
				    "attempts, %.1f ms", seq, fails,
				    (mono_ns() - t0) / 1e6);
			return WR_ACKED;
		}
		code = mysql_errno(w->conn);
		snprintf(msg, sizeof(msg), "%s", mysql_error(w->conn));
		if (code == ER_DUP_ENTRY && prior) {
			writer_ack(w, seq, 1, 0);
			writer_log(0, "seq %lld was committed, its OK lost "
			    "(1062 on retry); acked after %lld failed "
			    "attempts, %.1f ms", seq, fails,
			    (mono_ns() - t0) / 1e6);
			return WR_ACKED;
		}
		if (code == ER_DUP_ENTRY) {
			writer_count_err(w, (int)code);
			if (w->acked == 0) {
				writer_log(1, "seq %lld is already in writes on "
				    "%s before we wrote it: empty the table or "
				    "pass --start", seq, w->target.text);
				return WR_FATAL;
			}
			/* Someone else wrote our next row; it is there. */
			writer_log(1, "seq %lld already in writes before its "
			    "first attempt (another writer?); counted as "
			    "acknowledged", seq);
			writer_ack(w, seq, 1, 0);
			return WR_ACKED;
		}
		if (code == ER_NO_SUCH_TABLE && !w->tried_create) {
			w->tried_create = 1;
			if (mysql_query(w->conn, "CREATE TABLE IF NOT EXISTS "
			    "writes (id BIGINT PRIMARY KEY, seq BIGINT NOT "
			    "NULL UNIQUE, at_us BIGINT, note VARCHAR(64)) "
			    "ENGINE=InnoDB") == 0)
				writer_log(1, "created table writes on %s",
				    w->target.text);
			else
				writer_log(1, "writes is missing on %s and "
				    "creating it failed: %s", w->target.text,
				    mysql_error(w->conn));
		}
failed:
		writer_count_err(w, (int)code);
		fails++;
		if (code != last_logged)
			writer_log(0, "seq %lld: %u %s%s; retrying", seq, code,
			    msg, w->conn == NULL || err_drops_conn(code) ?
			    " (reconnecting)" : "");
		last_logged = code;
		if (w->conn != NULL && err_drops_conn(code))
			writer_close(w);
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n], in ms; 0 when empty. */
static double
pct_ms(const uint32_t *v, size_t n, double p)
{
	size_t	r;

	if (n == 0)
		return 0;
	r = (size_t)(p * n + 0.999999);
	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return v[r - 1] / 1000.0;
}

static char *
tmp_path(const char *path)
{
	char	*tmp;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) == -1)
		return NULL;
	return tmp;
}

/* Close f (written to tmp) and rename it over path; 0 or -1. */
static int
commit_file(FILE *f, const char *tmp, const char *path)
{
	int	bad;

	bad = fflush(f) != 0 || fsync(fileno(f)) == -1;
	if (fclose(f) != 0 || bad || rename(tmp, path) == -1) {
		fprintf(stderr, "writer: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
writer_write_report(struct writer *w, double dur_s, double p50, double p99,
    int64_t tail_ns)
{
	json_t	*r, *errs, *sws, *s;
	char	 key[16], *tmp;
	FILE	*f;
	size_t	 i;
	int	 rc = -1;

	r = json_object();
	errs = json_object();
	sws = json_array();
	if (r == NULL || errs == NULL || sws == NULL)
		goto done;
	for (i = 0; i < (size_t)w->nerrs; i++) {
		if (w->errs[i].code == WRITER_ERR_HOSTFILE)
			snprintf(key, sizeof(key), "hostfile");
		else if (w->errs[i].code == WRITER_ERR_OTHER)
			snprintf(key, sizeof(key), "other");
		else
			snprintf(key, sizeof(key), "%d", w->errs[i].code);
		json_object_set_new(errs, key, json_integer(w->errs[i].n));
	}
	for (i = 0; i < w->nsw; i++) {
		s = json_object();
		json_object_set_new(s, "at_us", json_integer(w->sw[i].at_us));
		json_object_set_new(s, "from", json_string(w->sw[i].from));
		json_object_set_new(s, "to", json_string(w->sw[i].to));
		json_array_append_new(sws, s);
	}
	json_object_set_new(r, "acked", json_integer(w->acked));
	json_object_set_new(r, "first_seq", w->acked ?
	    json_integer(w->first_seq) : json_null());
	json_object_set_new(r, "last_seq", w->acked ?
	    json_integer(w->last_seq) : json_null());
	json_object_set_new(r, "dup_acks", json_integer(w->dup_acks));
	json_object_set(r, "errors", errs);
	json_object_set_new(r, "max_gap_ms", json_real(w->gap1_ns / 1e6));
	json_object_set_new(r, "max_gap_at_us", json_integer(w->gap1_at_us));
	json_object_set_new(r, "gap2_ms", json_real(w->gap2_ns / 1e6));
	json_object_set_new(r, "gap2_at_us", json_integer(w->gap2_at_us));
	json_object_set(r, "switches", sws);
	json_object_set_new(r, "commit_p50_ms", json_real(p50));
	json_object_set_new(r, "commit_p99_ms", json_real(p99));
	json_object_set_new(r, "duration_s", json_real(dur_s));
	json_object_set_new(r, "rate", json_real(w->rate));
	json_object_set_new(r, "attempts", json_integer(w->attempts));
	json_object_set_new(r, "connects", json_integer(w->connects));
	json_object_set_new(r, "host", w->first_host[0] ?
	    json_string(w->first_host) : json_null());
	json_object_set_new(r, "tail_gap_ms", json_real(tail_ns / 1e6));
	json_object_set_new(r, "stalled_at_end",
	    json_boolean(w->stalled_at_end));

	if ((tmp = tmp_path(w->report_path)) == NULL)
		goto done;
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "writer: %s: %s\n", tmp, strerror(errno));
		free(tmp);
		goto done;
	}
	if (json_dumpf(r, f, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) == -1 ||
	    fputc('\n', f) == EOF) {
		fprintf(stderr, "writer: %s: write failed\n", tmp);
		fclose(f);
		unlink(tmp);
		free(tmp);
		goto done;
	}
	rc = commit_file(f, tmp, w->report_path);
	free(tmp);
done:
	json_decref(sws);
	json_decref(errs);
	json_decref(r);
	return rc;
}

static int
writer_write_acked(struct writer *w)
{
	char	*tmp;
	FILE	*f;
	size_t	 i;
	int	 rc;

	if ((tmp = tmp_path(w->acked_path)) == NULL)
		return -1;
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "writer: %s: %s\n", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	for (i = 0; i < w->nranges; i++)
		fprintf(f, "%lld-%lld\n", w->ranges[i].a, w->ranges[i].b);
	rc = commit_file(f, tmp, w->acked_path);
	free(tmp);
	return rc;
}

/* The run's end: report, acked ranges, summary, BENCH line. */
static int
writer_finish(struct writer *w, int64_t started_ns)
{
	int64_t	 end = mono_ns(), tail;
	double	 dur = (end - started_ns) / 1e9, p50, p99;
	char	 errs[512];
	size_t	 off = 0;
	int	 i, rc = 0;

	if (w->nlat > 0)
		qsort(w->lat_us, w->nlat, sizeof(*w->lat_us), cmp_u32);
	p50 = pct_ms(w->lat_us, w->nlat, 0.50);
	p99 = pct_ms(w->lat_us, w->nlat, 0.99);
	tail = w->have_ack ? end - w->last_ack_ns : end - started_ns;
	if (w->report_path != NULL &&
	    writer_write_report(w, dur, p50, p99, tail) == -1)
		rc = -1;
	if (w->acked_path != NULL && writer_write_acked(w) == -1)
		rc = -1;

	errs[0] = '\0';
	for (i = 0; i < w->nerrs && off < sizeof(errs) - 32; i++) {
		if (w->errs[i].code == WRITER_ERR_HOSTFILE)
			off += snprintf(errs + off, sizeof(errs) - off,
			    " hostfile:%lld", w->errs[i].n);
		else if (w->errs[i].code == WRITER_ERR_OTHER)
			off += snprintf(errs + off, sizeof(errs) - off,
			    " other:%lld", w->errs[i].n);
		else
			off += snprintf(errs + off, sizeof(errs) - off,
			    " %d:%lld", w->errs[i].code, w->errs[i].n);
	}
	if (w->acked > 0)
		fprintf(stderr, "writer: acked %lld (seq %lld-%lld, %lld dup) "
		    "in %.2f s; errors%s; max gap %.1f ms, 2nd %.1f ms; "
		    "commit p50 %.2f ms p99 %.2f ms; %zu switch%s\n", w->acked,
		    w->first_seq, w->last_seq, w->dup_acks, dur,
		    errs[0] ? errs : " none", w->gap1_ns / 1e6,
		    w->gap2_ns / 1e6, p50, p99, w->nsw, w->nsw == 1 ? "" : "es");
	else
		fprintf(stderr, "writer: acked 0 in %.2f s; errors%s; "
		    "%zu switch%s\n", dur, errs[0] ? errs : " none", w->nsw,
		    w->nsw == 1 ? "" : "es");
	/*
	 * A run that ends stalled (or never wrote) has a gap that is still
	 * open: the figure is at least that long.
	 */
	if (w->bench)
		printf("BENCH cutover_write_gap_ms %.1f ms\n",
		    (w->stalled_at_end || !w->have_ack) && tail > w->gap1_ns ?
		    tail / 1e6 : w->gap1_ns / 1e6);
	fflush(stdout);
	return rc;
}

static void
usage_run(void)
{
	fprintf(stderr, "usage: writer run --host-file FILE --user U "
	    "--password-file F [--database shop]\n"
	    "\t[--rate 200] [--duration SECONDS] [--start N] [--report FILE] "
	    "[--acked FILE]\n"
	    "\t[--timeout SECONDS] [--ca FILE] [--bench] [--quiet]\n");
}

static void
usage_verify(void)
{
	fprintf(stderr, "usage: writer verify (--host H [--port P] | --socket "
	    "S) --user U --password-file F\n"
	    "\t[--database shop] --report FILE [--wait SECONDS] "
	    "[--timeout SECONDS] [--ca FILE] [--bench]\n");
}

static void
writer_free(struct writer *w)
{
	writer_close(w);
	free_password(w->password);
	free(w->sw);
	free(w->lat_us);
	free(w->ranges);
}

static int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host-file",		required_argument, NULL, 'H' },
		{ "user",		required_argument, NULL, 'u' },
		{ "password-file",	required_argument, NULL, 'p' },
		{ "database",		required_argument, NULL, 'd' },
		{ "rate",		required_argument, NULL, 'r' },
		{ "duration",		required_argument, NULL, 'D' },
		{ "start",		required_argument, NULL, 's' },
		{ "report",		required_argument, NULL, 'R' },
		{ "acked",		required_argument, NULL, 'a' },
		{ "timeout",		required_argument, NULL, 't' },
		{ "ca",			required_argument, NULL, 'c' },
		{ "bench",		no_argument,	   NULL, 'b' },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ NULL,			0,		   NULL, 0 },
	};
	struct writer		 w;
	struct sigaction	 sa;
	const char		*pwfile = NULL;
	enum writer_outcome	 out = WR_STOPPED;
	int64_t			 started, next, deadline, interval, now;
	double			 d;
	long long		 seq, ll;
	int			 c, rc;

	memset(&w, 0, sizeof(w));
	w.database = "shop";
	w.rate = 200;
	w.start = 1;
	w.timeout = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			w.hf.path = optarg;
			break;
		case 'u':
			w.user = optarg;
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 'd':
			w.database = optarg;
			break;
		case 'r':
			if (parse_double(optarg, 0.001, 1e6, &w.rate) == -1)
				goto bad;
			break;
		case 'D':
			if (parse_double(optarg, 0, 1e8, &w.duration) == -1)
				goto bad;
			break;
		case 's':
			if (parse_ll(optarg, 1, INT64_MAX / 2, &w.start) == -1)
				goto bad;
			break;
		case 'R':
			w.report_path = optarg;
			break;
		case 'a':
			w.acked_path = optarg;
			break;
		case 't':
			if (parse_ll(optarg, 1, 3600, &ll) == -1)
				goto bad;
			w.timeout = (unsigned int)ll;
			break;
		case 'c':
			w.ca = optarg;
			break;
		case 'b':
			w.bench = 1;
			break;
		case 'q':
			writer_quiet = 1;
			break;
		default:
			goto bad;
		}
	}
	if (optind != argc || w.hf.path == NULL || w.user == NULL ||
	    pwfile == NULL)
		goto bad;
	if ((w.password = read_password(pwfile)) == NULL)
		return 2;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = writer_on_signal;	/* no SA_RESTART: wake sleeps */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	interval = (int64_t)(1e9 / w.rate);
	if (interval < 1)
		interval = 1;
	started = next = mono_ns();
	d = w.duration * 1e9;
	deadline = w.duration > 0 && d < (double)(INT64_MAX - started) ?
	    started + (int64_t)d : INT64_MAX;
	for (seq = w.start; !writer_stop; seq++) {
		sleep_until(next < deadline ? next : deadline);
		if (writer_stop || mono_ns() >= deadline)
			break;
		if ((out = writer_write(&w, seq, deadline)) != WR_ACKED)
			break;
		/* Behind after a stall: carry on from now, no burst. */
		now = mono_ns();
		next += interval;
		if (next < now)
			next = now;
	}
	rc = writer_finish(&w, started) == -1 ? 1 : 0;
	if (out == WR_FATAL)
		rc = 2;
	writer_free(&w);
	return rc;
bad:
	usage_run();
	writer_free(&w);
	return 2;
}

/* How many of seqs a..b are missing from writes; -1 on a query error. */
static long long
verify_count(MYSQL *m, long long a, long long b)
{
	char		 sql[160];
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	long long	 n = -1;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM writes WHERE seq "
	    "BETWEEN %lld AND %lld", a, b);
	if (mysql_query(m, sql) != 0 || (res = mysql_store_result(m)) == NULL) {
		fprintf(stderr, "writer: verify: %u %s\n", mysql_errno(m),
		    mysql_error(m));
		return -1;
	}
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		n = strtoll(row[0], NULL, 10);
	mysql_free_result(res);
	if (n < 0)
		return -1;
	return n >= b - a + 1 ? 0 : b - a + 1 - n;
}

/* Print up to WRITER_MAX_MISSING of the seqs in a..b that are missing. */
static void
verify_list(MYSQL *m, long long a, long long b)
{
	char		 sql[160], line[WRITER_MAX_MISSING * 22 + 1];
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	long long	 expect = a, s;
	size_t		 off = 0;
	int		 n = 0;

	snprintf(sql, sizeof(sql), "SELECT seq FROM writes WHERE seq BETWEEN "
	    "%lld AND %lld ORDER BY seq", a, b);
	if (mysql_query(m, sql) != 0 || (res = mysql_use_result(m)) == NULL) {
		fprintf(stderr, "writer: verify: %u %s\n", mysql_errno(m),
		    mysql_error(m));
		return;
	}
	line[0] = '\0';
	while (n < WRITER_MAX_MISSING && (row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL)
			continue;
		s = strtoll(row[0], NULL, 10);
		for (; expect < s && n < WRITER_MAX_MISSING; expect++, n++)
			off += snprintf(line + off, sizeof(line) - off, " %lld",
			    expect);
		if (s >= expect)
			expect = s + 1;
	}
	for (; expect <= b && n < WRITER_MAX_MISSING; expect++, n++)
		off += snprintf(line + off, sizeof(line) - off, " %lld", expect);
	mysql_free_result(res);		/* drains the rest */
	fprintf(stderr, "writer: missing seqs (first %d):%s\n", n, line);
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host",		required_argument, NULL, 'h' },
		{ "port",		required_argument, NULL, 'P' },
		{ "socket",		required_argument, NULL, 'S' },
		{ "user",		required_argument, NULL, 'u' },
		{ "password-file",	required_argument, NULL, 'p' },
		{ "database",		required_argument, NULL, 'd' },
		{ "report",		required_argument, NULL, 'R' },
		{ "wait",		required_argument, NULL, 'w' },
		{ "timeout",		required_argument, NULL, 't' },
		{ "ca",			required_argument, NULL, 'c' },
		{ "bench",		no_argument,	   NULL, 'b' },
		{ NULL,			0,		   NULL, 0 },
	};
	struct writer_addr	 a;
	json_error_t		 jerr;
	json_t			*r = NULL, *jf, *jl;
	MYSQL			*m = NULL;
	const char		*host = NULL, *sock = NULL, *user = NULL;
	const char		*pwfile = NULL, *db = "shop", *report = NULL;
	const char		*ca = NULL;
	char			*pw = NULL, msg[512], logged[512] = "";
	unsigned int		 code, timeout = 2;
	long long		 port = 3306, first, last, lost = -1, ll;
	double			 wait_s = 0;
	int64_t			 deadline;
	int			 c, bench = 0, rc = 2;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			host = optarg;
			break;
		case 'P':
			if (parse_ll(optarg, 1, 65535, &port) == -1)
				goto bad;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'R':
			report = optarg;
			break;
		case 'w':
			if (parse_double(optarg, 0, 86400, &wait_s) == -1)
				goto bad;
			break;
		case 't':
			if (parse_ll(optarg, 1, 3600, &ll) == -1)
				goto bad;
			timeout = (unsigned int)ll;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'b':
			bench = 1;
			break;
		default:
			goto bad;
		}
	}
	if (optind != argc || (host == NULL) == (sock == NULL) ||
	    user == NULL || pwfile == NULL || report == NULL)
		goto bad;
	memset(&a, 0, sizeof(a));
	if (sock != NULL) {
		if (sock[0] != '/' || addr_parse(sock, &a) == -1)
			goto bad;
	} else {
		if (strlen(host) >= sizeof(a.host))
			goto bad;
		snprintf(a.host, sizeof(a.host), "%s", host);
		a.port = (unsigned int)port;
	}

	if ((r = json_load_file(report, 0, &jerr)) == NULL) {
		fprintf(stderr, "writer: %s: %s (line %d)\n", report, jerr.text,
		    jerr.line);
		return 2;
	}
	jf = json_object_get(r, "first_seq");
	jl = json_object_get(r, "last_seq");
	if (json_is_null(jf) && json_is_null(jl)) {
		fprintf(stderr, "writer: %s: nothing was acknowledged\n",
		    report);
		lost = 0;
		goto out;
	}
	if (!json_is_integer(jf) || !json_is_integer(jl) ||
	    (first = json_integer_value(jf)) < 1 ||
	    (last = json_integer_value(jl)) < first) {
		fprintf(stderr, "writer: %s: no valid first_seq/last_seq\n",
		    report);
		goto done;
	}
	if ((pw = read_password(pwfile)) == NULL)
		goto done;

	deadline = mono_ns() + (int64_t)(wait_s * 1e9);
	for (;;) {
		if (m == NULL && (m = db_connect(&a, user, pw, db, ca, timeout,
		    &code, msg, sizeof(msg))) == NULL &&
		    strcmp(msg, logged) != 0) {
			fprintf(stderr, "writer: verify: connect: %u %s\n", code,
			    msg);
			snprintf(logged, sizeof(logged), "%s", msg);
		}
		if (m != NULL && (lost = verify_count(m, first, last)) == -1) {
			mysql_close(m);
			m = NULL;
		}
		if (lost == 0 || mono_ns() >= deadline)
			break;
		sleep_until(mono_ns() + 200000000);
	}
	if (lost < 0)
		goto done;
	if (lost > 0 && m != NULL)
		verify_list(m, first, last);
out:
	printf("lost %lld\n", lost);
	if (bench)
		printf("BENCH cutover_lost_writes %lld writes\n", lost);
	fflush(stdout);
	rc = lost == 0 ? 0 : 1;
done:
	if (m != NULL)
		mysql_close(m);
	free_password(pw);
	json_decref(r);
	return rc;
bad:
	usage_verify();
	return 2;
}

int
main(int argc, char *argv[])
{
	int	rc;

	if (argc >= 2 && strcmp(argv[1], "run") == 0) {
		mysql_library_init(0, NULL, NULL);
		rc = cmd_run(argc - 1, argv + 1);
	} else if (argc >= 2 && strcmp(argv[1], "verify") == 0) {
		mysql_library_init(0, NULL, NULL);
		rc = cmd_verify(argc - 1, argv + 1);
	} else {
		usage_run();
		usage_verify();
		return 2;
	}
	mysql_library_end();
	return rc;
}
