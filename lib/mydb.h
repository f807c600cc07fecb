/*
 * mydb: MySQL and MariaDB connections on the event loop, through MariaDB
 * Connector/C's non-blocking API (mysql_*_start / mysql_*_cont). A slow or
 * dead server never stalls the loop: every wait is an event on the
 * connection's socket or a timer. Queries on one connection run in order,
 * one at a time; results are small and materialised whole.
 *
 * The prefix is mydb_, not mysql_, which belongs to Connector/C.
 *
 * Callbacks run from the loop only, never from inside a mydb_* call; they
 * may call mydb_query, mydb_forget, mydb_reset and mydb_free on their own
 * connection. A query's deadline (query_timeout_ms) counts from mydb_query:
 * it covers waiting in the queue and for a connection. A failed connect
 * fails every query waiting for it; later ones wait out the backoff. The process
 * must ignore SIGPIPE (a TLS session's writes can raise it). Two waits
 * happen inside Connector/C, not on the loop: resolving a host name
 * (getaddrinfo(); none for an address) and the TLS handshake, cut off at
 * connect_timeout_ms when the server stops answering.
 */
#ifndef MYDB_H
#define MYDB_H

#include <stdint.h>

struct event_base;
struct mydb;

struct mydb_opts {
	const char	*name;		/* for logs: "shop source" */
	const char	*host;
	int		 port;
	const char	*unix_socket;	/* instead of host/port, or NULL */
	const char	*user;
	const char	*password;
	const char	*ca_file;	/* TLS with verification, or NULL */
	int64_t		 connect_timeout_ms;	/* 0: 5 s */
	int64_t		 query_timeout_ms;	/* 0: 30 s; per query */
	int64_t		 reconnect_max_ms;	/* backoff cap, 0: 10 s */
};

struct mydb_result {
	unsigned int		  err;		/* 0: success */
	char			  sqlstate[6];
	char			 *error;	/* message when err != 0 */
	unsigned int		  ncols;
	char			**cols;		/* column names */
	unsigned long long	  nrows;
	char			***rows;	/* rows[r][c]; NULL for SQL NULL */
	unsigned long long	  affected;
	unsigned long long	  insert_id;
	int64_t			  elapsed_us;	/* query round trip */
};

/*
 * Called once per query. res belongs to mydb and is freed after the
 * callback returns. On a connection failure or timeout, res->err is the
 * Connector/C client error (CR_*) and the connection is reset: the next
 * query reconnects, after a backoff when connecting keeps failing.
 */
typedef void (*mydb_cb)(void *arg, struct mydb_result *res);

/* Copies opts. Does not connect until the first query. */
struct mydb	*mydb_new(struct event_base *, const struct mydb_opts *);
/* Drop the connection; pending callbacks are not called. */
void		 mydb_free(struct mydb *);

/* Queue sql. Returns 0, or -1 when the queue is full (64). */
int	mydb_query(struct mydb *, const char *sql, mydb_cb, void *arg);
/*
 * Forget the callbacks of queued and running queries (their owner is
 * gone); they still run to completion or timeout on the server side.
 */
void	mydb_forget(struct mydb *, void *arg);
/* Close the connection now; queued queries fail with CR_SERVER_LOST. */
void	mydb_reset(struct mydb *);

/* After a successful connect: "10.11.6-MariaDB-0+deb12u1", or NULL; kept
 * (the last one seen) while disconnected. */
const char	*mydb_server_version(const struct mydb *);
/* The server's connection id of the current session (for KILL), or 0. */
unsigned long	 mydb_thread_id(const struct mydb *);
const char	*mydb_name(const struct mydb *);

/* A cell by row and column name (case-insensitive); NULL if SQL NULL or
 * absent. */
const char	*mydb_get(const struct mydb_result *, unsigned long long row,
		    const char *col);
/* The column exists in the result. */
int		 mydb_has(const struct mydb_result *, const char *col);
/*
 * In a name/value result (SHOW VARIABLES, SHOW STATUS): the value in the
 * row whose first column is name (case-insensitive); NULL if none.
 */
const char	*mydb_var(const struct mydb_result *, const char *name);

/*
 * A string literal for s that reads the same with and without
 * NO_BACKSLASH_ESCAPES (malloc'd; "NULL" for NULL). Without a backslash in
 * s: 'it''s', quotes doubled, every other byte as is; valid wherever the
 * grammar takes a plain string (CHANGE MASTER TO ... = '...'). With one,
 * no escaping reads the same in both modes, so it becomes a hex literal of
 * utf8mb4 text, _utf8mb4 X'5C...': fine wherever an expression goes (SELECT,
 * WHERE, IN, CALL arguments); statements that take only a plain string
 * reject it with a syntax error rather than read another string.
 */
char	*mydb_quote(const char *s);

#endif
