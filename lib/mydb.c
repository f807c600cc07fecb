/*
 * mydb: one MySQL or MariaDB connection driven by the event loop. It owns the
 * Connector/C handle, the queue of queries (run in order, one at a time), the
 * timers (connect timeout, each query's deadline, reconnect backoff) and the
 * materialised results. Every Connector/C call that may wait is a
 * mysql_*_start / mysql_*_cont pair: the wait becomes a libevent event on the
 * connection's socket and the handle's coroutine is resumed from the loop.
 * A connection is torn down in one place, mydb_close(); an operation still
 * suspended there is unwound by shutting the socket down and reporting its
 * wait as timed out, so Connector/C frees what it holds. The exception to
 * "never wait inside a call" is Connector/C's TLS handshake, bounded by the
 * connect deadline (mydb_io_wait). Callbacks run only from the loop, never
 * from inside an API call or a Connector/C call.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "log.h"
#include "mydb.h"
#include "now.h"
#include "xmalloc.h"

#define MYDB_QUEUE_MAX		64
#define MYDB_CONNECT_TIMEOUT	5000	/* ms */
#define MYDB_QUERY_TIMEOUT	30000	/* ms */
#define MYDB_RECONNECT_MAX	10000	/* ms */
#define MYDB_BACKOFF_MIN	100	/* ms */
#define MYDB_START		(-1)	/* mydb_step(): start, not resume */
#define MYDB_ABORT_TRIES	64
/* MySQL 8.0: the server closed an idle session (wait_timeout). */
#define MYDB_ER_CLIENT_INTERACTION_TIMEOUT 4031

enum mydb_op {
	MYDB_OP_NONE,
	MYDB_OP_CONNECT,
	MYDB_OP_QUERY,
	MYDB_OP_STORE,
	MYDB_OP_NEXT,
};

struct mydb_q {
	TAILQ_ENTRY(mydb_q)	 entry;
	struct mydb		*db;
	char			*sql;
	size_t			 len;
	mydb_cb			 cb;
	void			*arg;
	struct event		*ev_deadline;
	struct mydb_result	*res;		/* being built, or to deliver */
	int64_t			 queued_us;
	int64_t			 sent_us;
};
TAILQ_HEAD(mydb_qs, mydb_q);

struct mydb {
	struct event_base	*base;
	char			*name;
	char			*host;
	int			 port;
	char			*unix_socket;
	char			*user;
	char			*password;
	char			*ca_file;
	char			 where[300];	/* host:port or socket, for logs */
	int64_t			 connect_timeout_ms;
	int64_t			 query_timeout_ms;
	int64_t			 reconnect_max_ms;
	int64_t			 connect_deadline_us;

	MYSQL			*my;		/* NULL: not connected */
	enum mydb_op		 op;		/* suspended operation */
	int			 connected;	/* my finished connecting */
	unsigned long		 nqueries;	/* done on this connection */
	char			*version;
	unsigned long		 thread_id;

	struct mydb_qs		 queue;		/* waiting, in order */
	int			 nqueued;
	struct mydb_q		*running;
	struct mydb_qs		 done;		/* failed by mydb_reset */

	struct event		*ev_io;		/* socket and Connector/C's own
						   timeout */
	struct event		*ev_connect;	/* connect timeout */
	struct event		*ev_backoff;
	struct event		*ev_kick;	/* deliver, start the next query */
	int64_t			 backoff_ms;	/* next delay; 0: no failure */
	int			 backing_off;
	int			 failures;	/* connects failed in a row */
	int			 lost;		/* the last connection broke */

	int			 busy;		/* callbacks running */
	int			 dying;		/* mydb_free() during a callback */
};

static void	mydb_step(struct mydb *, int);
static void	mydb_io_cb(evutil_socket_t, short, void *);
static void	mydb_close(struct mydb *, int);
static void	mydb_kick(struct mydb *);

static struct timeval
mydb_tv(int64_t ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

static void
mydb_result_free(struct mydb_result *r)
{
	unsigned long long	i;
	unsigned int		c;

	if (r == NULL)
		return;
	for (i = 0; r->rows != NULL && i < r->nrows; i++) {
		for (c = 0; c < r->ncols; c++)
			free(r->rows[i][c]);
		free(r->rows[i]);
	}
	free(r->rows);
	for (c = 0; r->cols != NULL && c < r->ncols; c++)
		free(r->cols[c]);
	free(r->cols);
	free(r->error);
	free(r);
}

/* Record an error; the first one of a query wins. */
static void __attribute__((format(printf, 4, 5)))
mydb_seterr(struct mydb_result *r, unsigned int err, const char *sqlstate,
    const char *fmt, ...)
{
	va_list	ap;

	if (r->err != 0)
		return;
	r->err = err != 0 ? err : CR_UNKNOWN_ERROR;
	snprintf(r->sqlstate, sizeof(r->sqlstate), "%s",
	    sqlstate != NULL && *sqlstate != '\0' ? sqlstate : "HY000");
	va_start(ap, fmt);
	if (vasprintf(&r->error, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
}

static void
mydb_seterr_my(struct mydb_result *r, MYSQL *my)
{
	mydb_seterr(r, mysql_errno(my), mysql_sqlstate(my), "%s",
	    mysql_error(my));
}

/*
 * Errors after which the session cannot be trusted: every client-side
 * error (lost, gone, out of sync, TLS...) and the server's own goodbyes.
 */
static int
mydb_fatal(unsigned int err)
{
	if ((err >= CR_MIN_ERROR && err <= CR_MAX_ERROR) ||
	    (err >= CER_MIN_ERROR && err <= CER_MAX_ERROR))
		return 1;
	switch (err) {
	case ER_SERVER_SHUTDOWN:
	case ER_ABORTING_CONNECTION:
	case ER_NET_PACKET_TOO_LARGE:
	case ER_NET_READ_ERROR_FROM_PIPE:
	case ER_NET_FCNTL_ERROR:
	case ER_NET_PACKETS_OUT_OF_ORDER:
	case ER_NET_UNCOMPRESS_ERROR:
	case ER_NET_READ_ERROR:
	case ER_NET_READ_INTERRUPTED:
	case ER_NET_ERROR_ON_WRITE:
	case ER_NET_WRITE_INTERRUPTED:
	case ER_NEW_ABORTING_CONNECTION:
	case ER_CONNECTION_KILLED:
	case MYDB_ER_CLIENT_INTERACTION_TIMEOUT:
		return 1;
	}
	return 0;
}

/* Copy the first result set that has columns; else note the OK packet. */
static void
mydb_collect(struct mydb_result *r, MYSQL *my, MYSQL_RES *mres)
{
	MYSQL_FIELD		*f;
	MYSQL_ROW		 row;
	unsigned long		*len;
	unsigned long long	 n, nrows;
	unsigned int		 c;

	if (mres == NULL) {
		if (r->cols == NULL) {
			r->affected = mysql_affected_rows(my);
			r->insert_id = mysql_insert_id(my);
		}
		return;
	}
	if (r->cols != NULL)
		return;
	r->ncols = mysql_num_fields(mres);
	r->cols = xcalloc(r->ncols, sizeof(*r->cols));
	f = mysql_fetch_fields(mres);
	for (c = 0; c < r->ncols; c++)
		r->cols[c] = xstrdup(f[c].name);
	nrows = mysql_num_rows(mres);
	r->rows = xcalloc(nrows, sizeof(*r->rows));
	/* A stored result: mysql_fetch_row() reads memory, not the socket. */
	for (n = 0; n < nrows && (row = mysql_fetch_row(mres)) != NULL; n++) {
		len = mysql_fetch_lengths(mres);
		r->rows[n] = xcalloc(r->ncols, sizeof(**r->rows));
		for (c = 0; c < r->ncols; c++) {
			if (row[c] == NULL)
				continue;
			r->rows[n][c] = xmalloc(len[c] + 1);
			memcpy(r->rows[n][c], row[c], len[c]);
			r->rows[n][c][len[c]] = '\0';
		}
	}
	r->nrows = n;
}

static void
mydb_q_free(struct mydb_q *q)
{
	if (q == NULL)
		return;
	event_free(q->ev_deadline);
	mydb_result_free(q->res);
	free(q->sql);
	free(q);
}

/* Free every query: queued, running, delivered. */
static void
mydb_drop_queries(struct mydb *db)
{
	struct mydb_q	*q;

	while ((q = TAILQ_FIRST(&db->queue)) != NULL) {
		TAILQ_REMOVE(&db->queue, q, entry);
		mydb_q_free(q);
	}
	while ((q = TAILQ_FIRST(&db->done)) != NULL) {
		TAILQ_REMOVE(&db->done, q, entry);
		mydb_q_free(q);
	}
	mydb_q_free(db->running);
}

static void
mydb_destroy(struct mydb *db)
{
	mydb_close(db, 0);
	mydb_drop_queries(db);
	event_free(db->ev_io);
	event_free(db->ev_connect);
	event_free(db->ev_backoff);
	event_free(db->ev_kick);
	free(db->name);
	free(db->host);
	free(db->unix_socket);
	free(db->user);
	if (db->password != NULL) {
		explicit_bzero(db->password, strlen(db->password));
		free(db->password);
	}
	free(db->ca_file);
	free(db->version);
	free(db);
}

/*
 * Hand a finished query to its owner and free it. Returns -1 when db must
 * not be touched any more (mydb_free() was called from the callback).
 */
static int
mydb_finish(struct mydb *db, struct mydb_q *q)
{
	struct mydb_result	*res = q->res;
	mydb_cb			 cb = q->cb;
	void			*arg = q->arg;

	q->res = NULL;
	mydb_q_free(q);
	if (cb != NULL) {
		db->busy++;
		cb(arg, res);
		db->busy--;
	}
	mydb_result_free(res);
	if (db->dying) {
		if (db->busy == 0)
			mydb_destroy(db);
		return -1;
	}
	return 0;
}

/*
 * The TLS handshake is not suspended like the rest: Connector/C (3.3) runs
 * it inside the call and waits for the server with its io_wait hook (else
 * poll() for MYSQL_OPT_CONNECT_TIMEOUT, taken as milliseconds, forever if
 * unset). This is the one place the loop can stall; the hook bounds the
 * stall by the deadline of the operation, set before every call into
 * Connector/C, whatever timeout it passes.
 */
static int64_t	mydb_io_deadline_us;

static int
mydb_io_wait(my_socket fd, my_bool is_read, int timeout)
{
	struct pollfd	pfd;
	int64_t		left;
	int		rc;

	memset(&pfd, 0, sizeof(pfd));
	pfd.fd = fd;
	pfd.events = is_read ? POLLIN : POLLOUT;
	left = (mydb_io_deadline_us - now_mono_us()) / 1000;
	if (left < 0)
		left = 0;
	do
		rc = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
	while (rc == -1 && errno == EINTR);
	return rc;
}

/*
 * Connector/C makes the socket blocking once connected and relies on
 * MSG_DONTWAIT, which OpenSSL does not use: on a TLS session a blocking
 * socket would stall the loop in every SSL_read. Keep it non-blocking.
 */
static void
mydb_nonblock(struct mydb *db)
{
	my_socket	fd;
	int		fl;

	if ((int)(fd = mysql_get_socket(db->my)) < 0 ||
	    (fl = fcntl(fd, F_GETFL)) == -1 || (fl & O_NONBLOCK))
		return;
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Wait for what Connector/C asked for, then resume it from mydb_io_cb. */
static void
mydb_wait(struct mydb *db, int wait)
{
	struct timeval	 tv, *tvp = NULL;
	my_socket	 fd;
	short		 what = 0;

	mydb_nonblock(db);
	fd = mysql_get_socket(db->my);
	if (db->op == MYDB_OP_CONNECT && db->ca_file != NULL && (int)fd >= 0) {
		/* Once the TCP connection is up, Connector/C makes the socket
		 * blocking and, when the greeting is already there, runs the
		 * TLS handshake before it next yields: bound those reads. */
		tv = mydb_tv((db->connect_deadline_us - now_mono_us()) / 1000 +
		    1);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (wait & MYSQL_WAIT_READ)
		what |= EV_READ;
	/* A failed connect() makes the socket writable: no EXCEPT event. */
	if (wait & MYSQL_WAIT_WRITE)
		what |= EV_WRITE;
	if ((int)fd < 0 || what == 0) {
		fd = -1;
		what = 0;
	}
	if (wait & MYSQL_WAIT_TIMEOUT) {
		tv = mydb_tv(mysql_get_timeout_value_ms(db->my));
		tvp = &tv;
	} else if (what == 0) {
		/* Nothing to wait for: resume at once rather than hang. */
		tv = mydb_tv(0);
		tvp = &tv;
	}
	event_del(db->ev_io);
	event_assign(db->ev_io, db->base, fd, what, mydb_io_cb, db);
	if (event_add(db->ev_io, tvp) == -1)
		fatalx("%s: event_add failed", db->name);
}

static void
mydb_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mydb	*db = arg;
	int		 status = 0;

	if (what & EV_READ)
		status |= MYSQL_WAIT_READ;
	if (what & EV_WRITE)
		status |= MYSQL_WAIT_WRITE;
	if (what & EV_TIMEOUT)
		status |= MYSQL_WAIT_TIMEOUT;
	mydb_step(db, status);
}

/* What the current Connector/C call gives back, by operation. */
struct mydb_ret {
	MYSQL		*my;		/* connect */
	MYSQL_RES	*res;		/* store */
	int		 rc;		/* query, next */
};

/*
 * Start (status MYDB_START) or resume db's current Connector/C call. Returns
 * what it waits for; 0 once it is done, its result in *r.
 */
static int
mydb_call(struct mydb *db, int status, struct mydb_ret *r)
{
	struct mydb_q	*q = db->running;
	int		 start = status == MYDB_START;

	switch (db->op) {
	case MYDB_OP_CONNECT:
		if (start)
			return mysql_real_connect_start(&r->my, db->my,
			    db->unix_socket != NULL ? NULL : db->host,
			    db->user, db->password, NULL,
			    db->unix_socket != NULL ? 0 : db->port,
			    db->unix_socket, CLIENT_MULTI_RESULTS);
		return mysql_real_connect_cont(&r->my, db->my, status);
	case MYDB_OP_QUERY:
		if (start)
			return mysql_real_query_start(&r->rc, db->my, q->sql,
			    q->len);
		return mysql_real_query_cont(&r->rc, db->my, status);
	case MYDB_OP_STORE:
		if (start)
			return mysql_store_result_start(&r->res, db->my);
		return mysql_store_result_cont(&r->res, db->my, status);
	case MYDB_OP_NEXT:
		if (start)
			return mysql_next_result_start(&r->rc, db->my);
		return mysql_next_result_cont(&r->rc, db->my, status);
	case MYDB_OP_NONE:
		break;
	}
	return 0;
}

/*
 * Finish the suspended operation now. Its socket is shut down and its wait
 * reported as timed out: Connector/C gives up, frees what the operation
 * holds and ends the session. Reads on a TLS session ignore the timeout
 * flag, hence the shutdown (writes on it may raise SIGPIPE, which the
 * process ignores).
 */
static void
mydb_abort(struct mydb *db)
{
	struct mydb_ret	 r;
	my_socket	 fd;
	int		 wait = 1, i;

	if (db->op == MYDB_OP_NONE)
		return;
	event_del(db->ev_io);
	mydb_io_deadline_us = 0;
	if ((int)(fd = mysql_get_socket(db->my)) >= 0)
		shutdown(fd, SHUT_RDWR);
	for (i = 0; wait != 0 && i < MYDB_ABORT_TRIES; i++) {
		wait = mydb_call(db, MYSQL_WAIT_TIMEOUT, &r);
		if (wait == 0 && db->op == MYDB_OP_STORE && r.res != NULL)
			mysql_free_result(r.res);
	}
	if (wait != 0)
		log_warnx("%s: Connector/C did not give up an aborted "
		    "operation", db->name);
	db->op = MYDB_OP_NONE;
}

/*
 * The one place a connection ends. hard: the session is broken or being
 * abandoned, shut the socket so that nothing below can wait on it.
 */
static void
mydb_close(struct mydb *db, int hard)
{
	my_socket	fd;
	int		wait, i;

	if (db->my == NULL)
		return;
	event_del(db->ev_io);
	evtimer_del(db->ev_connect);
	if (db->op != MYDB_OP_NONE)
		mydb_abort(db);
	else if (hard && (int)(fd = mysql_get_socket(db->my)) >= 0)
		shutdown(fd, SHUT_RDWR);
	/* COM_QUIT on a healthy idle session; done unless the send buffer is
	 * full, and then given up like any other operation. */
	mydb_io_deadline_us = 0;
	wait = mysql_close_start(db->my);
	for (i = 0; wait != 0 && i < MYDB_ABORT_TRIES; i++) {
		if (i == 0 && (int)(fd = mysql_get_socket(db->my)) >= 0)
			shutdown(fd, SHUT_RDWR);
		wait = mysql_close_cont(db->my, MYSQL_WAIT_TIMEOUT);
	}
	db->my = NULL;
	db->connected = 0;
	db->thread_id = 0;
	db->nqueries = 0;
}

static void
mydb_kick(struct mydb *db)
{
	event_active(db->ev_kick, EV_TIMEOUT, 0);
}

/*
 * Connecting failed or timed out: fail the queries that were waiting for
 * it (they would all meet the same server), back off. Queries queued from
 * their callbacks wait for the next attempt.
 */
static void
mydb_connect_failed(struct mydb *db, unsigned int err, const char *sqlstate,
    const char *msg)
{
	struct mydb_q	*q;
	struct timeval	 tv;
	int64_t		 delay;
	int		 n;

	delay = db->backoff_ms != 0 ? db->backoff_ms : MYDB_BACKOFF_MIN;
	if (delay > db->reconnect_max_ms)
		delay = db->reconnect_max_ms;
	db->backoff_ms = delay * 2 > db->reconnect_max_ms ?
	    db->reconnect_max_ms : delay * 2;
	db->failures++;
	log_warnx("%s: cannot connect to %s: %s; next attempt in %lld ms",
	    db->name, db->where, msg, (long long)delay);
	mydb_close(db, 1);
	db->backing_off = 1;
	tv = mydb_tv(delay);
	evtimer_add(db->ev_backoff, &tv);
	for (n = db->nqueued; n > 0; n--) {
		if ((q = TAILQ_FIRST(&db->queue)) == NULL)
			return;
		TAILQ_REMOVE(&db->queue, q, entry);
		db->nqueued--;
		q->res = xcalloc(1, sizeof(*q->res));
		mydb_seterr(q->res, err, sqlstate, "%s", msg);
		q->res->elapsed_us = now_mono_us() - q->queued_us;
		if (mydb_finish(db, q) == -1)
			return;
	}
	mydb_kick(db);
}

static void
mydb_connected(struct mydb *db)
{
	struct timeval	 zero = { 0, 0 };
	const char	*v;
	my_socket	 fd;

	db->connected = 1;
	evtimer_del(db->ev_connect);
	mydb_nonblock(db);
	if (db->ca_file != NULL && (int)(fd = mysql_get_socket(db->my)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof(zero));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof(zero));
	}
	if ((v = mysql_get_server_info(db->my)) == NULL)
		v = "unknown version";
	free(db->version);
	db->version = xstrdup(v);
	db->thread_id = mysql_thread_id(db->my);
	if (db->failures > 0)
		log_notice("%s: connected to %s after %d failed attempts "
		    "(%s, connection %lu)", db->name, db->where, db->failures,
		    db->version, db->thread_id);
	else if (db->lost)
		log_info("%s: reconnected to %s (connection %lu)", db->name,
		    db->where, db->thread_id);
	else
		log_debug("%s: connected to %s (%s, connection %lu)",
		    db->name, db->where, db->version, db->thread_id);
	db->failures = 0;
	db->backoff_ms = 0;
	db->lost = 0;
	mydb_kick(db);
}

static void
mydb_connect(struct mydb *db)
{
	struct timeval	 tv;
	unsigned int	 zero = 0;
	my_bool		 off = 0, on = 1;
	MYSQL		*my;

	if ((my = mysql_init(NULL)) == NULL)
		fatalx("%s: mysql_init: out of memory", db->name);
	db->my = my;
	db->connected = 0;
	db->op = MYDB_OP_CONNECT;
	db->connect_deadline_us = now_mono_us() + db->connect_timeout_ms * 1000;
	tv = mydb_tv(db->connect_timeout_ms);
	evtimer_add(db->ev_connect, &tv);
	if (mysql_options(my, MYSQL_OPT_NONBLOCK, 0) != 0 ||
	    mysql_options(my, MARIADB_OPT_IO_WAIT, mydb_io_wait) != 0 ||
	    mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
	    mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &zero) != 0 ||
	    mysql_options(my, MYSQL_OPT_RECONNECT, &off) != 0) {
		db->op = MYDB_OP_NONE;
		mydb_connect_failed(db, CR_UNKNOWN_ERROR, NULL,
		    "Connector/C refused the connection options");
		return;
	}
	/* Verified TLS or nothing: never fall back to a clear session. */
	if (db->ca_file != NULL &&
	    (mysql_options(my, MYSQL_OPT_SSL_CA, db->ca_file) != 0 ||
	    mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on) != 0 ||
	    mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &on) != 0)) {
		db->op = MYDB_OP_NONE;
		mydb_connect_failed(db, CR_SSL_CONNECTION_ERROR, NULL,
		    "Connector/C refused the TLS options (built without TLS?)");
		return;
	}
	mydb_step(db, MYDB_START);
}

static void
mydb_connect_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mydb	*db = arg;
	char		 msg[400];

	if (db->op != MYDB_OP_CONNECT)
		return;
	snprintf(msg, sizeof(msg), "Can't connect to server on %s: timed "
	    "out after %lld ms", db->where, (long long)db->connect_timeout_ms);
	mydb_connect_failed(db, CR_CONN_HOST_ERROR, "HY000", msg);
}

static void
mydb_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mydb	*db = arg;

	db->backing_off = 0;
	mydb_kick(db);
}

/* The running query is complete (res filled in): deliver it. */
static void
mydb_complete(struct mydb *db, int broken)
{
	struct mydb_q	*q = db->running;

	db->running = NULL;
	db->op = MYDB_OP_NONE;
	db->nqueries++;
	q->res->elapsed_us = now_mono_us() - q->sent_us;
	if (q->res->err != 0 && (broken || mydb_fatal(q->res->err))) {
		log_warnx("%s: connection to %s lost: %s", db->name, db->where,
		    q->res->error);
		db->lost = 1;
		mydb_close(db, 1);
	}
	if (mydb_finish(db, q) == -1)
		return;
	mydb_kick(db);
}

/* What a step of mydb_step() leaves: wait for the socket, the next
 * operation of the query to start at once, or nothing more to do. */
enum mydb_next {
	MYDB_NEXT_WAIT,
	MYDB_NEXT_AGAIN,
	MYDB_NEXT_DONE,
};

/* A connection attempt ended: connected, or why not. */
static void
mydb_connect_done(struct mydb *db, MYSQL *ret)
{
	db->op = MYDB_OP_NONE;
	if (ret == NULL && now_mono_us() >= db->connect_deadline_us) {
		char	msg[MYSQL_ERRMSG_SIZE + 400];

		/* Our deadline, met in the TLS handshake. */
		snprintf(msg, sizeof(msg), "Can't connect to server on %s: "
		    "timed out after %lld ms (%s)", db->where,
		    (long long)db->connect_timeout_ms, mysql_error(db->my));
		mydb_connect_failed(db, CR_CONN_HOST_ERROR, "HY000", msg);
	} else if (ret == NULL) {
		char	msg[MYSQL_ERRMSG_SIZE + 8], st[6];

		/* Copies: mydb_connect_failed() closes my. */
		snprintf(msg, sizeof(msg), "%s", mysql_error(db->my));
		snprintf(st, sizeof(st), "%s", mysql_sqlstate(db->my));
		mydb_connect_failed(db, mysql_errno(db->my), st, msg);
	} else
		mydb_connected(db);
}

/*
 * The current operation's call is done: a query sent, or the next result
 * set reached (rc -1: there is none). An error ends the query with the
 * session in step (from a CALL, the server stops at the failed statement).
 */
static enum mydb_next
mydb_step_sent(struct mydb *db, struct mydb_q *q, int rc)
{
	if (rc > 0 || (rc != 0 && db->op == MYDB_OP_QUERY))
		mydb_seterr_my(q->res, db->my);
	if (rc != 0) {
		mydb_complete(db, 0);
		return MYDB_NEXT_DONE;
	}
	db->op = MYDB_OP_STORE;
	return MYDB_NEXT_AGAIN;
}

static enum mydb_next
mydb_step_store(struct mydb *db, struct mydb_q *q, MYSQL_RES *res)
{
	if (res == NULL && mysql_field_count(db->my) != 0) {
		/* Rows cut short: where the session stands is unknown, so
		 * it is not reused. */
		mydb_seterr_my(q->res, db->my);
		mydb_complete(db, 1);
		return MYDB_NEXT_DONE;
	}
	mydb_collect(q->res, db->my, res);
	if (res != NULL)
		mysql_free_result(res);
	if (!mysql_more_results(db->my)) {
		mydb_complete(db, 0);
		return MYDB_NEXT_DONE;
	}
	db->op = MYDB_OP_NEXT;
	return MYDB_NEXT_AGAIN;
}

/*
 * Start (status MYDB_START) or resume the current operation and carry the
 * query on through its result sets until it waits or is complete: connect;
 * or query, then store each result set and move to the next one.
 */
static void
mydb_step(struct mydb *db, int status)
{
	struct mydb_q	*q;
	struct mydb_ret	 r;
	enum mydb_next	 next = MYDB_NEXT_DONE;
	int		 wait = 0;

	for (;;) {
		q = db->running;
		if (db->op == MYDB_OP_CONNECT)
			mydb_io_deadline_us = db->connect_deadline_us;
		else if (q != NULL) {
			mydb_io_deadline_us = q->queued_us +
			    db->query_timeout_ms * 1000;
			mydb_nonblock(db);
		}
		if (db->op == MYDB_OP_NONE)
			return;
		if ((wait = mydb_call(db, status, &r)) != 0) {
			next = MYDB_NEXT_WAIT;
			break;
		}
		switch (db->op) {
		case MYDB_OP_CONNECT:
			mydb_connect_done(db, r.my);
			next = MYDB_NEXT_DONE;
			break;
		case MYDB_OP_STORE:
			next = mydb_step_store(db, q, r.res);
			break;
		default:
			next = mydb_step_sent(db, q, r.rc);
			break;
		}
		if (next != MYDB_NEXT_AGAIN)
			break;
		status = MYDB_START;
	}
	if (next == MYDB_NEXT_WAIT)
		mydb_wait(db, wait);
}

/*
 * An idle session the server has ended (KILL, wait_timeout, shutdown) has
 * something to read: the goodbye or the end of the stream.
 */
static int
mydb_alive(struct mydb *db)
{
	struct pollfd	pfd;

	if (db->nqueries == 0)
		return 1;
	memset(&pfd, 0, sizeof(pfd));
	if ((int)(pfd.fd = mysql_get_socket(db->my)) < 0)
		return 0;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 0;
}

static void
mydb_dispatch(struct mydb *db)
{
	struct mydb_q	*q = TAILQ_FIRST(&db->queue);

	TAILQ_REMOVE(&db->queue, q, entry);
	db->nqueued--;
	db->running = q;
	q->res = xcalloc(1, sizeof(*q->res));
	q->sent_us = now_mono_us();
	db->op = MYDB_OP_QUERY;
	mydb_step(db, MYDB_START);
}

static void
mydb_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mydb	*db = arg;
	struct mydb_q	*q;

	while ((q = TAILQ_FIRST(&db->done)) != NULL) {
		TAILQ_REMOVE(&db->done, q, entry);
		if (mydb_finish(db, q) == -1)
			return;
	}
	if (db->op != MYDB_OP_NONE || db->running != NULL ||
	    TAILQ_EMPTY(&db->queue))
		return;
	if (db->my != NULL && db->connected && !mydb_alive(db)) {
		log_warnx("%s: the server closed the idle connection to %s; "
		    "reconnecting", db->name, db->where);
		db->lost = 1;
		mydb_close(db, 1);
	}
	if (db->my == NULL) {
		if (!db->backing_off)
			mydb_connect(db);
		return;
	}
	if (db->connected)
		mydb_dispatch(db);
}

/* A query's own deadline: fail it, and end the session if it is running. */
static void
mydb_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mydb_q	*q = arg;
	struct mydb	*db = q->db;
	int64_t		 now = now_mono_us();

	mydb_result_free(q->res);
	q->res = xcalloc(1, sizeof(*q->res));
	if (db->running == q) {
		log_warnx("%s: query timed out after %lld ms; closing the "
		    "connection to %s", db->name,
		    (long long)db->query_timeout_ms, db->where);
		db->running = NULL;
		db->lost = 1;
		mydb_close(db, 1);
		mydb_seterr(q->res, CR_SERVER_LOST, "HY000", "query timed out "
		    "after %lld ms", (long long)db->query_timeout_ms);
		q->res->elapsed_us = now - q->sent_us;
	} else {
		TAILQ_REMOVE(&db->queue, q, entry);
		db->nqueued--;
		mydb_seterr(q->res, CR_SERVER_LOST, "HY000", "query timed out "
		    "after %lld ms before it could be sent to %s",
		    (long long)db->query_timeout_ms, db->where);
		q->res->elapsed_us = now - q->queued_us;
	}
	if (mydb_finish(db, q) == -1)
		return;
	mydb_kick(db);
}

struct mydb *
mydb_new(struct event_base *base, const struct mydb_opts *opts)
{
	static int	 inited;
	struct mydb	*db;

	if (!inited) {
		if (mysql_library_init(0, NULL, NULL) != 0)
			fatalx("mysql_library_init failed");
		inited = 1;
	}
	db = xcalloc(1, sizeof(*db));
	db->base = base;
	db->name = xstrdup(opts->name != NULL ? opts->name : "mysql");
	db->host = xstrdup(opts->host != NULL ? opts->host : "localhost");
	db->port = opts->port != 0 ? opts->port : 3306;
	db->unix_socket = xstrdup(opts->unix_socket);
	db->user = xstrdup(opts->user);
	db->password = xstrdup(opts->password);
	db->ca_file = xstrdup(opts->ca_file);
	db->connect_timeout_ms = opts->connect_timeout_ms > 0 ?
	    opts->connect_timeout_ms : MYDB_CONNECT_TIMEOUT;
	db->query_timeout_ms = opts->query_timeout_ms > 0 ?
	    opts->query_timeout_ms : MYDB_QUERY_TIMEOUT;
	db->reconnect_max_ms = opts->reconnect_max_ms > 0 ?
	    opts->reconnect_max_ms : MYDB_RECONNECT_MAX;
	if (db->unix_socket != NULL)
		snprintf(db->where, sizeof(db->where), "%s", db->unix_socket);
	else if (strchr(db->host, ':') != NULL)
		snprintf(db->where, sizeof(db->where), "[%s]:%d", db->host,
		    db->port);
	else
		snprintf(db->where, sizeof(db->where), "%s:%d", db->host,
		    db->port);
	TAILQ_INIT(&db->queue);
	TAILQ_INIT(&db->done);
	if ((db->ev_io = event_new(base, -1, 0, mydb_io_cb, db)) == NULL ||
	    (db->ev_connect = evtimer_new(base, mydb_connect_timeout_cb,
	    db)) == NULL ||
	    (db->ev_backoff = evtimer_new(base, mydb_backoff_cb, db)) == NULL ||
	    (db->ev_kick = event_new(base, -1, 0, mydb_kick_cb, db)) == NULL)
		fatalx("%s: event_new failed", db->name);
	return db;
}

void
mydb_free(struct mydb *db)
{
	if (db == NULL || db->dying)
		return;
	if (db->busy == 0) {
		mydb_destroy(db);
		return;
	}
	/* Inside one of its callbacks: let go of everything but the struct,
	 * which mydb_finish() frees when the callback returns. */
	db->dying = 1;
	mydb_close(db, 0);
	mydb_drop_queries(db);
	db->running = NULL;
	db->nqueued = 0;
	event_del(db->ev_backoff);
	event_del(db->ev_kick);
}

int
mydb_query(struct mydb *db, const char *sql, mydb_cb cb, void *arg)
{
	struct mydb_q	*q;
	struct timeval	 tv;

	if (db->dying || db->nqueued + (db->running != NULL) >= MYDB_QUEUE_MAX)
		return -1;
	q = xcalloc(1, sizeof(*q));
	q->db = db;
	q->sql = xstrdup(sql);
	q->len = strlen(sql);
	q->cb = cb;
	q->arg = arg;
	q->queued_us = now_mono_us();
	if ((q->ev_deadline = evtimer_new(db->base, mydb_deadline_cb, q)) ==
	    NULL)
		fatalx("%s: evtimer_new failed", db->name);
	tv = mydb_tv(db->query_timeout_ms);
	evtimer_add(q->ev_deadline, &tv);
	TAILQ_INSERT_TAIL(&db->queue, q, entry);
	db->nqueued++;
	mydb_kick(db);
	return 0;
}

void
mydb_forget(struct mydb *db, void *arg)
{
	struct mydb_q	*q;

	TAILQ_FOREACH(q, &db->queue, entry)
		if (q->arg == arg)
			q->cb = NULL;
	TAILQ_FOREACH(q, &db->done, entry)
		if (q->arg == arg)
			q->cb = NULL;
	if (db->running != NULL && db->running->arg == arg)
		db->running->cb = NULL;
}

void
mydb_reset(struct mydb *db)
{
	struct mydb_q	*q;

	if (db->dying)
		return;
	if (db->my != NULL) {
		log_info("%s: closing the connection to %s on request",
		    db->name, db->where);
		mydb_close(db, db->op != MYDB_OP_NONE);
	}
	/* Failed from the loop, not from here: the caller is mid-change. */
	if ((q = db->running) != NULL) {
		db->running = NULL;
		TAILQ_INSERT_TAIL(&db->done, q, entry);
	}
	while ((q = TAILQ_FIRST(&db->queue)) != NULL) {
		TAILQ_REMOVE(&db->queue, q, entry);
		TAILQ_INSERT_TAIL(&db->done, q, entry);
	}
	db->nqueued = 0;
	TAILQ_FOREACH(q, &db->done, entry) {
		if (q->res != NULL && q->res->err != 0)
			continue;
		evtimer_del(q->ev_deadline);
		mydb_result_free(q->res);
		q->res = xcalloc(1, sizeof(*q->res));
		mydb_seterr(q->res, CR_SERVER_LOST, "HY000", "connection to "
		    "%s reset", db->where);
		q->res->elapsed_us = now_mono_us() - q->queued_us;
	}
	mydb_kick(db);
}

const char *
mydb_server_version(const struct mydb *db)
{
	return db->version;
}

unsigned long
mydb_thread_id(const struct mydb *db)
{
	return db->thread_id;
}

const char *
mydb_name(const struct mydb *db)
{
	return db->name;
}

const char *
mydb_get(const struct mydb_result *res, unsigned long long row,
    const char *col)
{
	unsigned int	c;

	if (res == NULL || res->rows == NULL || row >= res->nrows)
		return NULL;
	for (c = 0; c < res->ncols; c++)
		if (strcasecmp(res->cols[c], col) == 0)
			return res->rows[row][c];
	return NULL;
}

const char *
mydb_var(const struct mydb_result *res, const char *name)
{
	unsigned long long	r;

	if (res == NULL || res->rows == NULL || res->ncols < 2)
		return NULL;
	for (r = 0; r < res->nrows; r++)
		if (res->rows[r][0] != NULL &&
		    strcasecmp(res->rows[r][0], name) == 0)
			return res->rows[r][1];
	return NULL;
}

int
mydb_has(const struct mydb_result *res, const char *col)
{
	unsigned int	c;

	if (res == NULL || res->cols == NULL)
		return 0;
	for (c = 0; c < res->ncols; c++)
		if (strcasecmp(res->cols[c], col) == 0)
			return 1;
	return 0;
}

/*
 * A backslash means one thing with NO_BACKSLASH_ESCAPES and another
 * without, so a string holding one is not written as '...' at all but as
 * a hex literal of utf8mb4 text, which no sql_mode reads differently.
 */
char *
mydb_quote(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;
	size_t			 n = 0;

	if (s == NULL)
		return xstrdup("NULL");
	if (strchr(s, '\\') != NULL) {
		n = strlen(s);
		out = o = xmalloc(sizeof("_utf8mb4 X''") + 2 * n);
		o += sprintf(o, "_utf8mb4 X'");
		for (p = (const unsigned char *)s; *p != '\0'; p++) {
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 0xf];
		}
		*o++ = '\'';
		*o = '\0';
		return out;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		n += *p == '\'' ? 2 : 1;
	out = o = xmalloc(n + 3);
	*o++ = '\'';
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\'')
			*o++ = '\'';
		*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}
