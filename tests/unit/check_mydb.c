/*
 * check_mydb: mydb against a real pair of MariaDB servers, started once by
 * main() with tests/mariadb/mariadb.sh in a private directory and stopped
 * by the parent whatever happens: results and NULLs, errors that leave the
 * session usable, order, stored procedures' result sets, query and connect
 * timeouts, a session killed by the server, reconnect backoff, a loop that
 * keeps turning during a slow query, forget/reset/free from callbacks,
 * quoting under both sql_modes, and verified TLS (MDB_TLS=1).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "answer.h"
#include "mdbpair.h"
#include "mydb.h"
#include "now.h"
#include "spawn.h"



static struct event_base	*base;

/* One callback's record, with a deep copy of its result. */
struct rec {
	int			 calls;
	int			 seq;
	int64_t			 at_us;
	struct mydb_result	*res;
};

static int	seq;

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

static struct mydb_result *
clone_result(const struct mydb_result *r)
{
	struct mydb_result	*c;
	unsigned long long	 i;
	unsigned int		 j;

	c = calloc(1, sizeof(*c));
	*c = *r;
	c->error = dup_or_null(r->error);
	c->cols = NULL;
	c->rows = NULL;
	if (r->cols != NULL) {
		c->cols = calloc(r->ncols + 1, sizeof(*c->cols));
		for (j = 0; j < r->ncols; j++)
			c->cols[j] = strdup(r->cols[j]);
	}
	if (r->rows != NULL) {
		c->rows = calloc(r->nrows + 1, sizeof(*c->rows));
		for (i = 0; i < r->nrows; i++) {
			c->rows[i] = calloc(r->ncols + 1, sizeof(**c->rows));
			for (j = 0; j < r->ncols; j++)
				c->rows[i][j] = dup_or_null(r->rows[i][j]);
		}
	}
	return c;
}

static void
free_result(struct mydb_result *c)
{
	unsigned long long	i;
	unsigned int		j;

	if (c == NULL)
		return;
	for (i = 0; c->rows != NULL && i < c->nrows; i++) {
		for (j = 0; j < c->ncols; j++)
			free(c->rows[i][j]);
		free(c->rows[i]);
	}
	free(c->rows);
	for (j = 0; c->cols != NULL && j < c->ncols; j++)
		free(c->cols[j]);
	free(c->cols);
	free(c->error);
	free(c);
}

static void
rec_clear(struct rec *r)
{
	free_result(r->res);
	memset(r, 0, sizeof(*r));
}

static void
rec_cb(void *arg, struct mydb_result *res)
{
	struct rec	*r = arg;

	r->calls++;
	r->seq = ++seq;
	r->at_us = now_mono_us();
	free_result(r->res);
	r->res = clone_result(res);
}

/* Turn the loop until *flag or ms passed. */
static void
loop_until(const int *flag, int64_t ms)
{
	answer_run_until(base, flag, 1, ms);
}

static void
loop_for(int64_t ms)
{
	loop_until(NULL, ms);
}

static void
run(struct mydb *db, const char *sql, struct rec *r)
{
	rec_clear(r);
	ck_assert_int_eq(mydb_query(db, sql, rec_cb, r), 0);
	loop_until(&r->calls, 15000);
	ck_assert_msg(r->calls == 1, "no answer to %s", sql);
}

/* Run sql and insist it succeeds. */
static void
ok(struct mydb *db, const char *sql, struct rec *r)
{
	run(db, sql, r);
	ck_assert_msg(r->res->err == 0, "%s: %u %s", sql, r->res->err,
	    r->res->error);
}

static void
opts_root(struct mydb_opts *o, const char *sock)
{
	memset(o, 0, sizeof(*o));
	o->name = "test root";
	o->unix_socket = sock;
	o->user = "root";
}

static void
opts_migrate(struct mydb_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->name = "test source";
	o->host = "127.0.0.1";
	o->port = mdb.source_port;
	o->user = "migrate";
	o->password = mdb.migrate_pw;
}

/* A loopback TCP port nobody listens on (right now). */
static int
closed_port(void)
{
	int	port;

	ck_assert_int_gt(port = spawn_free_port(), 0);
	return port;
}

/* A listener that completes TCP handshakes and never says a word. */
static int
mute_listener(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			s;

	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s, 4), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return s;
}

static void
setup(void)
{
	base = event_base_new();
	seq = 0;
}

static void
teardown(void)
{
	event_base_free(base);
}

START_TEST(select_null_and_names)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };

	opts_migrate(&o);
	db = mydb_new(base, &o);
	ck_assert_str_eq(mydb_name(db), "test source");
	ck_assert_ptr_null(mydb_server_version(db));
	ck_assert_uint_eq(mydb_thread_id(db), 0);

	ok(db, "SELECT 1 AS One, NULL AS Nothing, 'x' AS s, '' AS e, "
	    "'\xc3\xa9t\xc3\xa9' AS u UNION ALL SELECT 2, 'y', NULL, NULL, "
	    "NULL", &r);
	ck_assert_uint_eq(r.res->ncols, 5);
	ck_assert_uint_eq(r.res->nrows, 2);
	ck_assert_str_eq(r.res->cols[0], "One");
	ck_assert_str_eq(r.res->cols[1], "Nothing");
	ck_assert_str_eq(mydb_get(r.res, 0, "one"), "1");
	ck_assert_str_eq(mydb_get(r.res, 0, "ONE"), "1");
	ck_assert_ptr_null(mydb_get(r.res, 0, "nothing"));
	ck_assert_ptr_null(r.res->rows[0][1]);
	ck_assert_int_eq(mydb_has(r.res, "NOTHING"), 1);
	ck_assert_int_eq(mydb_has(r.res, "missing"), 0);
	ck_assert_ptr_null(mydb_get(r.res, 0, "missing"));
	ck_assert_str_eq(mydb_get(r.res, 0, "e"), "");
	ck_assert_str_eq(mydb_get(r.res, 0, "u"), "\xc3\xa9t\xc3\xa9");
	ck_assert_str_eq(mydb_get(r.res, 1, "nothing"), "y");
	ck_assert_ptr_null(mydb_get(r.res, 1, "s"));
	ck_assert_ptr_null(mydb_get(r.res, 2, "one"));
	ck_assert_ptr_null(mydb_get(NULL, 0, "one"));
	ck_assert_int_eq(mydb_has(NULL, "one"), 0);
	ck_assert(r.res->elapsed_us > 0);
	ck_assert_ptr_nonnull(mydb_server_version(db));
	ck_assert_ptr_nonnull(strstr(mydb_server_version(db), "MariaDB"));
	ck_assert_uint_ne(mydb_thread_id(db), 0);

	ok(db, "SELECT CONNECTION_ID() AS id, @@character_set_client AS cs, "
	    "@@autocommit AS ac, USER() AS u", &r);
	ck_assert_uint_eq(strtoul(mydb_get(r.res, 0, "id"), NULL, 10),
	    mydb_thread_id(db));
	ck_assert_str_eq(mydb_get(r.res, 0, "cs"), "utf8mb4");
	ck_assert_str_eq(mydb_get(r.res, 0, "ac"), "1");
	ck_assert_str_eq(mydb_get(r.res, 0, "u"), "migrate@127.0.0.1");

	/* Empty result set: columns, no rows. */
	ok(db, "SELECT 1 AS a FROM DUAL WHERE 0", &r);
	ck_assert_uint_eq(r.res->ncols, 1);
	ck_assert_uint_eq(r.res->nrows, 0);
	ck_assert_ptr_null(mydb_get(r.res, 0, "a"));
	ck_assert_int_eq(mydb_has(r.res, "A"), 1);
	rec_clear(&r);
	mydb_free(db);
	mydb_free(NULL);
}
END_TEST

START_TEST(dml_affected_rows)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };

	opts_root(&o, mdb.source_sock);
	db = mydb_new(base, &o);
	ok(db, "CREATE DATABASE IF NOT EXISTS mydbtest", &r);
	ok(db, "CREATE OR REPLACE TABLE mydbtest.dml (id INT AUTO_INCREMENT "
	    "PRIMARY KEY, v INT)", &r);
	ok(db, "INSERT INTO mydbtest.dml (v) VALUES (1), (2), (3)", &r);
	ck_assert_uint_eq(r.res->affected, 3);
	ck_assert_uint_eq(r.res->insert_id, 1);
	ck_assert_uint_eq(r.res->ncols, 0);
	ck_assert_uint_eq(r.res->nrows, 0);
	ok(db, "UPDATE mydbtest.dml SET v = v + 10 WHERE v >= 2", &r);
	ck_assert_uint_eq(r.res->affected, 2);
	ok(db, "DELETE FROM mydbtest.dml WHERE v = 1", &r);
	ck_assert_uint_eq(r.res->affected, 1);
	ok(db, "INSERT INTO mydbtest.dml (v) VALUES (7)", &r);
	ck_assert_uint_eq(r.res->insert_id, 4);
	/* No LOCAL INFILE: the client never offers to send a file. */
	run(db, "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE "
	    "mydbtest.dml (v)", &r);
	ck_assert_uint_ne(r.res->err, 0);
	ok(db, "SELECT COUNT(*) AS n, SUM(v) AS s FROM mydbtest.dml", &r);
	ck_assert_str_eq(mydb_get(r.res, 0, "n"), "3");
	ck_assert_str_eq(mydb_get(r.res, 0, "s"), "32");
	rec_clear(&r);
	mydb_free(db);
}
END_TEST

START_TEST(sql_error_keeps_session)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };
	unsigned long		 tid;

	opts_migrate(&o);
	db = mydb_new(base, &o);
	ok(db, "SELECT 1", &r);
	tid = mydb_thread_id(db);

	run(db, "SELECT * FROM migrated.no_such_table", &r);
	ck_assert_uint_eq(r.res->err, ER_NO_SUCH_TABLE);
	ck_assert_str_eq(r.res->sqlstate, "42S02");
	ck_assert_ptr_nonnull(r.res->error);
	ck_assert_ptr_nonnull(strstr(r.res->error, "no_such_table"));
	ck_assert_uint_eq(mydb_thread_id(db), tid);

	run(db, "SELEKT 1", &r);
	ck_assert_uint_eq(r.res->err, ER_PARSE_ERROR);
	ck_assert_str_eq(r.res->sqlstate, "42000");

	ok(db, "SELECT 2 AS two", &r);
	ck_assert_str_eq(mydb_get(r.res, 0, "two"), "2");
	ck_assert_uint_eq(mydb_thread_id(db), tid);
	rec_clear(&r);
	mydb_free(db);
}
END_TEST

START_TEST(queued_run_in_order)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r[10], last = { 0 }, many[65];
	char			 sql[64];
	int			 i, n;

	memset(r, 0, sizeof(r));
	memset(many, 0, sizeof(many));
	opts_root(&o, mdb.source_sock);
	db = mydb_new(base, &o);
	/* Fire and forget: no callback. */
	ck_assert_int_eq(mydb_query(db, "CREATE DATABASE IF NOT EXISTS "
	    "mydbtest", NULL, NULL), 0);
	ck_assert_int_eq(mydb_query(db, "CREATE OR REPLACE TABLE mydbtest.ff "
	    "(i INT)", NULL, NULL), 0);
	for (i = 0; i < 10; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d AS n, SLEEP(0.0%d) AS z",
		    i, (9 - i) % 3);
		ck_assert_int_eq(mydb_query(db, sql, rec_cb, &r[i]), 0);
		if (i == 4)
			ck_assert_int_eq(mydb_query(db, "INSERT INTO "
			    "mydbtest.ff VALUES (42)", NULL, NULL), 0);
	}
	/* Never called from inside mydb_query. */
	ck_assert_int_eq(r[0].calls, 0);
	ok(db, "SELECT GROUP_CONCAT(i) AS v FROM mydbtest.ff", &last);
	ck_assert_str_eq(mydb_get(last.res, 0, "v"), "42");
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		ck_assert_int_eq(r[i].seq, i + 1);
		ck_assert_uint_eq(r[i].res->err, 0);
		ck_assert_int_eq(atoi(mydb_get(r[i].res, 0, "n")), i);
		rec_clear(&r[i]);
	}
	ck_assert_int_eq(last.seq, 11);

	/* 64 queued at most. */
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(mydb_query(db, "SELECT 1", rec_cb, &many[i]),
		    0);
	ck_assert_int_eq(mydb_query(db, "SELECT 1", rec_cb, &many[64]), -1);
	loop_until(&many[63].calls, 10000);
	for (i = n = 0; i < 65; i++) {
		n += many[i].calls;
		if (i < 64)
			ck_assert_uint_eq(many[i].res->err, 0);
		rec_clear(&many[i]);
	}
	ck_assert_int_eq(n, 64);
	ok(db, "SELECT 'again' AS a", &last);
	rec_clear(&last);
	mydb_free(db);
}
END_TEST

START_TEST(call_consumes_every_result)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };
	unsigned long		 tid;

	opts_root(&o, mdb.source_sock);
	db = mydb_new(base, &o);
	ok(db, "CREATE DATABASE IF NOT EXISTS mydbtest", &r);
	tid = mydb_thread_id(db);
	ok(db, "CREATE OR REPLACE PROCEDURE mydbtest.two_sets() BEGIN "
	    "SELECT 1 AS a, 'two' AS b UNION ALL SELECT 3, NULL; "
	    "SELECT 'second' AS c; END", &r);
	ok(db, "CALL mydbtest.two_sets()", &r);
	ck_assert_uint_eq(r.res->ncols, 2);
	ck_assert_uint_eq(r.res->nrows, 2);
	ck_assert_str_eq(mydb_get(r.res, 0, "b"), "two");
	ck_assert_ptr_null(mydb_get(r.res, 1, "b"));
	ck_assert_int_eq(mydb_has(r.res, "c"), 0);
	/* Out of sync would be CR_COMMANDS_OUT_OF_SYNC here. */
	ok(db, "SELECT 'after' AS x", &r);
	ck_assert_str_eq(mydb_get(r.res, 0, "x"), "after");

	ok(db, "CREATE OR REPLACE TABLE mydbtest.pt (i INT)", &r);
	ok(db, "CREATE OR REPLACE PROCEDURE mydbtest.no_sets() BEGIN "
	    "INSERT INTO mydbtest.pt VALUES (1), (2); END", &r);
	ok(db, "CALL mydbtest.no_sets()", &r);
	ck_assert_uint_eq(r.res->ncols, 0);
	ck_assert_uint_eq(r.res->affected, 2);

	ok(db, "CREATE OR REPLACE PROCEDURE mydbtest.fails() BEGIN "
	    "SELECT 1 AS a; SELECT * FROM mydbtest.no_such_table; END", &r);
	run(db, "CALL mydbtest.fails()", &r);
	ck_assert_uint_eq(r.res->err, ER_NO_SUCH_TABLE);
	ck_assert_str_eq(r.res->sqlstate, "42S02");
	ok(db, "SELECT 'still' AS x", &r);
	ck_assert_str_eq(mydb_get(r.res, 0, "x"), "still");
	ck_assert_uint_eq(mydb_thread_id(db), tid);
	rec_clear(&r);
	mydb_free(db);
}
END_TEST

START_TEST(query_timeout_reconnects)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 }, r2 = { 0 };
	unsigned long		 tid;
	int64_t			 t0, ms;

	opts_migrate(&o);
	o.query_timeout_ms = 300;
	db = mydb_new(base, &o);
	ok(db, "SELECT 1", &r);
	tid = mydb_thread_id(db);

	t0 = now_mono_us();
	run(db, "SELECT SLEEP(5)", &r);
	ms = (r.at_us - t0) / 1000;
	ck_assert_msg(ms >= 280 && ms < 2000, "timed out after %lld ms",
	    (long long)ms);
	ck_assert_uint_eq(r.res->err, CR_SERVER_LOST);
	ck_assert_ptr_nonnull(strstr(r.res->error, "timed out after 300 ms"));
	ck_assert_uint_eq(mydb_thread_id(db), 0);

	ok(db, "SELECT 2 AS n", &r);
	ck_assert_str_eq(mydb_get(r.res, 0, "n"), "2");
	ck_assert_uint_ne(mydb_thread_id(db), 0);
	ck_assert_uint_ne(mydb_thread_id(db), tid);

	/* The deadline counts from mydb_query: waiting behind a slow query
	 * is part of it. */
	tid = mydb_thread_id(db);
	rec_clear(&r);
	ck_assert_int_eq(mydb_query(db, "SELECT SLEEP(5)", rec_cb, &r), 0);
	ck_assert_int_eq(mydb_query(db, "SELECT 3", rec_cb, &r2), 0);
	loop_until(&r2.calls, 3000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r2.calls, 1);
	ck_assert_uint_eq(r2.res->err, CR_SERVER_LOST);
	ck_assert_ptr_nonnull(strstr(r2.res->error, "before it could be sent"));
	ok(db, "SELECT 4", &r);
	ck_assert_uint_ne(mydb_thread_id(db), tid);
	rec_clear(&r);
	rec_clear(&r2);
	mydb_free(db);
}
END_TEST

START_TEST(killed_by_server)
{
	struct mydb_opts	 o;
	struct mydb		*db, *killer;
	struct rec		 r = { 0 }, k = { 0 };
	unsigned long		 tid;
	char			 sql[64];
	int64_t			 t0;

	opts_migrate(&o);
	db = mydb_new(base, &o);
	opts_root(&o, mdb.source_sock);
	killer = mydb_new(base, &o);
	ok(db, "SELECT 1", &r);
	ok(killer, "SELECT 1", &k);
	tid = mydb_thread_id(db);

	/* Mid-query. */
	rec_clear(&r);
	t0 = now_mono_us();
	ck_assert_int_eq(mydb_query(db, "SELECT SLEEP(5)", rec_cb, &r), 0);
	loop_for(200);
	ck_assert_int_eq(r.calls, 0);
	snprintf(sql, sizeof(sql), "KILL %lu", tid);
	ok(killer, sql, &k);
	loop_until(&r.calls, 3000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_msg(r.res->err == ER_CONNECTION_KILLED ||
	    r.res->err == CR_SERVER_LOST, "err %u %s", r.res->err,
	    r.res->error);
	ck_assert((r.at_us - t0) / 1000 < 3000);
	ck_assert_uint_eq(mydb_thread_id(db), 0);
	ok(db, "SELECT 2 AS n", &r);
	ck_assert_uint_ne(mydb_thread_id(db), tid);

	/* While idle: the next query notices and reconnects first. */
	tid = mydb_thread_id(db);
	snprintf(sql, sizeof(sql), "KILL %lu", tid);
	ok(killer, sql, &k);
	loop_for(200);
	ok(db, "SELECT 3 AS n", &r);
	ck_assert_str_eq(mydb_get(r.res, 0, "n"), "3");
	ck_assert_uint_ne(mydb_thread_id(db), tid);
	rec_clear(&r);
	rec_clear(&k);
	mydb_free(db);
	mydb_free(killer);
}
END_TEST

/* A chain of queries, each queued from the previous one's callback. */
static struct mydb	*chain_db;
static struct rec	*chain_r;
static int		 chain_n, chain_i;

static void
chain_cb(void *arg, struct mydb_result *res)
{
	rec_cb(arg, res);
	if (++chain_i < chain_n)
		ck_assert_int_eq(mydb_query(chain_db, "SELECT 1", chain_cb,
		    &chain_r[chain_i]), 0);
}

START_TEST(refused_backs_off)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r[6], q[3];
	int64_t			 t0, gap[6];
	int			 i;

	memset(r, 0, sizeof(r));
	memset(q, 0, sizeof(q));
	opts_migrate(&o);
	o.port = closed_port();
	o.reconnect_max_ms = 400;
	o.query_timeout_ms = 10000;
	db = mydb_new(base, &o);

	/* Queries waiting together share the failed attempt. */
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(mydb_query(db, "SELECT 1", rec_cb, &q[i]), 0);
	loop_until(&q[2].calls, 5000);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(q[i].calls, 1);
		ck_assert_int_eq(q[i].seq, i + 1);
	}
	ck_assert_msg((q[2].at_us - q[0].at_us) / 1000 < 50,
	    "one attempt failed all three");
	mydb_free(db);

	/* Each later attempt waits longer: 100, 200, 400 (the cap)... */
	db = mydb_new(base, &o);
	chain_db = db;
	chain_r = r;
	chain_n = 6;
	chain_i = 0;
	t0 = now_mono_us();
	ck_assert_int_eq(mydb_query(db, "SELECT 1", chain_cb, &r[0]), 0);
	loop_until(&r[5].calls, 5000);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		ck_assert_msg(r[i].res->err == CR_CONNECTION_ERROR ||
		    r[i].res->err == CR_CONN_HOST_ERROR, "err %u %s",
		    r[i].res->err, r[i].res->error);
		gap[i] = (r[i].at_us - (i ? r[i - 1].at_us : t0)) / 1000;
	}
	ck_assert_msg(gap[0] < 100, "first attempt after %lld ms",
	    (long long)gap[0]);
	ck_assert_msg(gap[1] >= 90 && gap[1] < 190, "gap %lld",
	    (long long)gap[1]);
	ck_assert_msg(gap[2] >= 190 && gap[2] < 390, "gap %lld",
	    (long long)gap[2]);
	for (i = 3; i < 6; i++)
		ck_assert_msg(gap[i] >= 390 && gap[i] < 700, "gap %d: %lld",
		    i, (long long)gap[i]);
	for (i = 0; i < 6; i++)
		rec_clear(&r[i]);
	for (i = 0; i < 3; i++)
		rec_clear(&q[i]);
	mydb_free(db);
}
END_TEST

START_TEST(deadline_during_backoff)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r[2];
	int64_t			 t0, ms;
	int			 i;

	memset(r, 0, sizeof(r));
	opts_migrate(&o);
	o.port = closed_port();
	o.query_timeout_ms = 50;
	db = mydb_new(base, &o);
	chain_db = db;
	chain_r = r;
	chain_n = 2;
	chain_i = 0;
	t0 = now_mono_us();
	/* Refused at once; the second query, queued then, waits for the
	 * next attempt (100 ms), past its own 50 ms deadline. */
	ck_assert_int_eq(mydb_query(db, "SELECT 1", chain_cb, &r[0]), 0);
	loop_until(&r[1].calls, 3000);
	ck_assert_msg(r[0].res->err == CR_CONNECTION_ERROR ||
	    r[0].res->err == CR_CONN_HOST_ERROR, "err %u %s",
	    r[0].res->err, r[0].res->error);
	ck_assert_uint_eq(r[1].res->err, CR_SERVER_LOST);
	ck_assert_ptr_nonnull(strstr(r[1].res->error, "timed out after 50"));
	ms = (r[1].at_us - t0) / 1000;
	ck_assert_msg(ms >= 40 && ms < 100, "timed out at %lld ms",
	    (long long)ms);
	for (i = 0; i < 2; i++)
		rec_clear(&r[i]);
	mydb_free(db);
}
END_TEST

START_TEST(connect_timeout)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };
	int64_t			 t0, ms;
	int			 ls, port;

	ls = mute_listener(&port);
	opts_migrate(&o);
	o.port = port;
	o.connect_timeout_ms = 300;
	db = mydb_new(base, &o);
	t0 = now_mono_us();
	run(db, "SELECT 1", &r);
	ms = (r.at_us - t0) / 1000;
	ck_assert_uint_eq(r.res->err, CR_CONN_HOST_ERROR);
	ck_assert_ptr_nonnull(strstr(r.res->error, "timed out after 300 ms"));
	ck_assert_msg(ms >= 280 && ms < 1500, "gave up after %lld ms",
	    (long long)ms);
	ck_assert_ptr_null(mydb_server_version(db));
	rec_clear(&r);
	mydb_free(db);
	close(ls);
}
END_TEST

static void
count_tick(evutil_socket_t fd, short what, void *arg)
{
	(*(int *)arg)++;
}

START_TEST(loop_keeps_turning)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };
	struct event		*ev;
	struct timeval		 tv = { 0, 10000 };
	int			 ticks = 0;

	opts_migrate(&o);
	db = mydb_new(base, &o);
	ev = event_new(base, -1, EV_PERSIST, count_tick, &ticks);
	event_add(ev, &tv);
	/* Connect included: a fresh connection. */
	ok(db, "SELECT SLEEP(1) AS s", &r);
	ck_assert_str_eq(mydb_get(r.res, 0, "s"), "0");
	ck_assert_msg(ticks >= 50, "%d ticks during SLEEP(1)", ticks);
	event_free(ev);
	rec_clear(&r);
	mydb_free(db);
}
END_TEST

struct counter {
	int		 calls;
	struct mydb	*db;
	void		*forget;
};

static void
count_cb(void *arg, struct mydb_result *res)
{
	struct counter	*c = arg;

	c->calls++;
	if (c->forget != NULL)
		mydb_forget(c->db, c->forget);
}

START_TEST(forget_suppresses_callbacks)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct counter		 a = { 0 }, b = { 0 }, c = { 0 };
	struct rec		 r = { 0 };

	opts_root(&o, mdb.source_sock);
	db = mydb_new(base, &o);
	ok(db, "CREATE DATABASE IF NOT EXISTS mydbtest", &r);
	ok(db, "CREATE OR REPLACE TABLE mydbtest.fg (i INT)", &r);

	/* Running and queued. */
	mydb_query(db, "SELECT SLEEP(0.2)", count_cb, &a);
	mydb_query(db, "INSERT INTO mydbtest.fg VALUES (1)", count_cb, &a);
	mydb_query(db, "SELECT 1", count_cb, &b);
	loop_for(50);
	mydb_forget(db, &a);
	loop_until(&b.calls, 3000);
	ck_assert_int_eq(b.calls, 1);
	ck_assert_int_eq(a.calls, 0);

	/* From a callback: c forgets a's later query. */
	c.db = db;
	c.forget = &a;
	mydb_query(db, "SELECT 1", count_cb, &c);
	mydb_query(db, "INSERT INTO mydbtest.fg VALUES (2)", count_cb, &a);
	b.calls = 0;
	mydb_query(db, "SELECT 2", count_cb, &b);
	loop_until(&b.calls, 3000);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(a.calls, 0);

	/* The forgotten statements still ran. */
	ok(db, "SELECT GROUP_CONCAT(i ORDER BY i) AS v FROM mydbtest.fg", &r);
	ck_assert_str_eq(mydb_get(r.res, 0, "v"), "1,2");
	rec_clear(&r);
	mydb_free(db);
}
END_TEST

struct freer {
	int		 calls;
	struct mydb	*db;
	int		 reset;
	struct rec	*then;
};

static void
free_cb(void *arg, struct mydb_result *res)
{
	struct freer	*f = arg;

	f->calls++;
	if (f->reset) {
		mydb_reset(f->db);
		mydb_query(f->db, "SELECT 'fresh' AS f", rec_cb, f->then);
		return;
	}
	mydb_free(f->db);
	/* Freed, but res stays valid until we return. */
	ck_assert_ptr_nonnull(res);
	(void)res->err;
}

START_TEST(free_inside_callback)
{
	struct mydb_opts	 o;
	struct freer		 f = { 0 };
	struct rec		 r2 = { 0 }, r3 = { 0 }, r4 = { 0 };
	unsigned long		 tid;
	int			 ls, port;

	/* After a result, with more queued. */
	opts_root(&o, mdb.source_sock);
	f.db = mydb_new(base, &o);
	mydb_query(f.db, "SELECT 1", free_cb, &f);
	mydb_query(f.db, "SELECT 2", rec_cb, &r2);
	mydb_query(f.db, "SELECT SLEEP(1)", rec_cb, &r3);
	loop_until(&f.calls, 3000);
	loop_for(200);
	ck_assert_int_eq(f.calls, 1);
	ck_assert_int_eq(r2.calls, 0);
	ck_assert_int_eq(r3.calls, 0);

	/* After a failed connect, with more queued. */
	memset(&f, 0, sizeof(f));
	opts_migrate(&o);
	o.port = closed_port();
	f.db = mydb_new(base, &o);
	mydb_query(f.db, "SELECT 1", free_cb, &f);
	mydb_query(f.db, "SELECT 2", rec_cb, &r2);
	loop_until(&f.calls, 3000);
	loop_for(300);
	ck_assert_int_eq(f.calls, 1);
	ck_assert_int_eq(r2.calls, 0);

	/* After a query timeout. */
	memset(&f, 0, sizeof(f));
	opts_migrate(&o);
	o.query_timeout_ms = 100;
	f.db = mydb_new(base, &o);
	mydb_query(f.db, "SELECT SLEEP(2)", free_cb, &f);
	loop_until(&f.calls, 3000);
	ck_assert_int_eq(f.calls, 1);

	/* Not in a callback: mid-query, and mid-connect. */
	opts_migrate(&o);
	f.db = mydb_new(base, &o);
	mydb_query(f.db, "SELECT SLEEP(2)", rec_cb, &r3);
	loop_for(150);
	mydb_free(f.db);
	ls = mute_listener(&port);
	o.port = port;
	f.db = mydb_new(base, &o);
	mydb_query(f.db, "SELECT 1", rec_cb, &r3);
	loop_for(100);
	mydb_free(f.db);
	loop_for(100);
	ck_assert_int_eq(r3.calls, 0);
	close(ls);

	/* Reset and queue again from a callback. */
	memset(&f, 0, sizeof(f));
	opts_root(&o, mdb.source_sock);
	f.db = mydb_new(base, &o);
	f.reset = 1;
	f.then = &r4;
	ok(f.db, "SELECT 0", &r2);
	tid = mydb_thread_id(f.db);
	rec_clear(&r2);
	mydb_query(f.db, "SELECT 1", free_cb, &f);
	mydb_query(f.db, "SELECT 2", rec_cb, &r2);
	loop_until(&r4.calls, 3000);
	ck_assert_int_eq(f.calls, 1);
	ck_assert_int_eq(r2.calls, 1);
	ck_assert_uint_eq(r2.res->err, CR_SERVER_LOST);
	ck_assert_int_eq(r4.calls, 1);
	ck_assert_uint_eq(r4.res->err, 0);
	ck_assert_str_eq(mydb_get(r4.res, 0, "f"), "fresh");
	ck_assert_uint_ne(mydb_thread_id(f.db), tid);
	mydb_free(f.db);
	rec_clear(&r2);
	rec_clear(&r3);
	rec_clear(&r4);
}
END_TEST

START_TEST(reset_fails_queued)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 }, r1 = { 0 }, r2 = { 0 };
	unsigned long		 tid;

	opts_migrate(&o);
	db = mydb_new(base, &o);
	ok(db, "SELECT 1", &r);
	tid = mydb_thread_id(db);
	mydb_query(db, "SELECT SLEEP(2)", rec_cb, &r1);
	mydb_query(db, "SELECT 1", rec_cb, &r2);
	loop_for(100);
	mydb_reset(db);
	/* Delivered from the loop, not from inside mydb_reset. */
	ck_assert_int_eq(r1.calls, 0);
	ck_assert_int_eq(r2.calls, 0);
	ck_assert_uint_eq(mydb_thread_id(db), 0);
	loop_until(&r2.calls, 3000);
	ck_assert_int_eq(r1.calls, 1);
	ck_assert_uint_eq(r1.res->err, CR_SERVER_LOST);
	ck_assert_uint_eq(r2.res->err, CR_SERVER_LOST);
	ck_assert_int_lt(r1.seq, r2.seq);
	ok(db, "SELECT 3 AS n", &r);
	ck_assert_uint_ne(mydb_thread_id(db), tid);
	rec_clear(&r);
	rec_clear(&r1);
	rec_clear(&r2);
	mydb_free(db);
}
END_TEST

START_TEST(quote_forms)
{
	char	*q;

	q = mydb_quote("");
	ck_assert_str_eq(q, "''");
	free(q);
	q = mydb_quote("it's");
	ck_assert_str_eq(q, "'it''s'");
	free(q);
	q = mydb_quote("a\nb\t\"c\"");
	ck_assert_str_eq(q, "'a\nb\t\"c\"'");
	free(q);
	q = mydb_quote("a\\b'");
	ck_assert_str_eq(q, "_utf8mb4 X'615C6227'");
	free(q);
	q = mydb_quote(NULL);
	ck_assert_str_eq(q, "NULL");
	free(q);
}
END_TEST

static const char *tricky[] = {
	"",
	"plain",
	"it's",
	"''",
	"'",
	"\\",
	"back\\slash",
	"ends with \\",
	"\\'",
	"'\\",
	"\\\\'' OR 1=1 -- ",
	"\\0 \\n \\t \\Z \\% \\_ %_",
	"tab\there\nnewline\r\n",
	"\x01\x02\x07\x1a\x1b\x1f\x7f",
	"\"double\" `tick`",
	"; DROP TABLE x; --",
	"\xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x98\x80",
	"\xe6\x97\xa5\xe6\x9c\xac\\\xe8\xaa\x9e'",
};

static void
hexof(const char *s, char *out)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		*out++ = hex[*p >> 4];
		*out++ = hex[*p & 0xf];
	}
	*out = '\0';
}

static void
roundtrip(int nbe)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };
	char			 sql[1024], hex[256];
	char			*q;
	size_t			 i;

	opts_root(&o, mdb.source_sock);
	db = mydb_new(base, &o);
	ok(db, "CREATE DATABASE IF NOT EXISTS mydbtest", &r);
	ok(db, "CREATE OR REPLACE PROCEDURE mydbtest.echo(s VARCHAR(200)) "
	    "SELECT s AS v", &r);
	if (nbe)
		ok(db, "SET SESSION sql_mode = CONCAT(@@sql_mode, "
		    "',NO_BACKSLASH_ESCAPES')", &r);
	else
		ok(db, "SET SESSION sql_mode = REPLACE(@@sql_mode, "
		    "'NO_BACKSLASH_ESCAPES', '')", &r);
	ok(db, "SELECT @@sql_mode AS m, 'a\\\\b' AS probe", &r);
	ck_assert_int_eq(strstr(mydb_get(r.res, 0, "m"),
	    "NO_BACKSLASH_ESCAPES") != NULL, nbe);
	/* The mode is really in force: '\\' reads differently. */
	ck_assert_str_eq(mydb_get(r.res, 0, "probe"), nbe ? "a\\\\b" : "a\\b");
	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		q = mydb_quote(tricky[i]);
		hexof(tricky[i], hex);
		snprintf(sql, sizeof(sql), "SELECT %s AS v, HEX(%s) AS h, "
		    "CHAR_LENGTH(%s) AS n", q, q, q);
		ok(db, sql, &r);
		ck_assert_msg(strcmp(mydb_get(r.res, 0, "v"), tricky[i]) == 0,
		    "%s mode: %s read back as %s", nbe ? "NBE" : "default", q,
		    mydb_get(r.res, 0, "v"));
		ck_assert_str_eq(mydb_get(r.res, 0, "h"), hex);
		snprintf(sql, sizeof(sql), "CALL mydbtest.echo(%s)", q);
		ok(db, sql, &r);
		ck_assert_str_eq(mydb_get(r.res, 0, "v"), tricky[i]);
		free(q);
	}

	/* A plain literal also where only a plain string is allowed... */
	q = mydb_quote("o'brien\tx");
	snprintf(sql, sizeof(sql), "CHANGE MASTER 'mydbq' TO MASTER_HOST = "
	    "'127.0.0.1', MASTER_USER = %s", q);
	free(q);
	ok(db, sql, &r);
	ok(db, "SHOW SLAVE 'mydbq' STATUS", &r);
	ck_assert_str_eq(mydb_get(r.res, 0, "Master_User"), "o'brien\tx");
	ok(db, "RESET SLAVE 'mydbq' ALL", &r);
	/* ...and a backslash there is refused, never read as another string. */
	q = mydb_quote("a\\b");
	snprintf(sql, sizeof(sql), "CHANGE MASTER 'mydbq' TO MASTER_HOST = "
	    "'127.0.0.1', MASTER_USER = %s", q);
	free(q);
	run(db, sql, &r);
	ck_assert_uint_eq(r.res->err, ER_PARSE_ERROR);
	rec_clear(&r);
	mydb_free(db);
}

START_TEST(quote_roundtrip_default_mode)
{
	roundtrip(0);
}
END_TEST

START_TEST(quote_roundtrip_no_backslash_escapes)
{
	roundtrip(1);
}
END_TEST

static void
opts_tls(struct mydb_opts *o, const char *ca)
{
	memset(o, 0, sizeof(*o));
	o->name = "test replica";
	o->host = "127.0.0.1";
	o->port = mdb.replica_port;
	o->user = "admin";
	o->password = mdb.admin_pw;
	o->ca_file = ca;
}

START_TEST(tls_verified)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };
	struct event		*ev;
	struct timeval		 tv = { 0, 10000 };
	unsigned long		 tid;
	const char		*v;
	int			 ticks = 0;

	opts_tls(&o, mdb.replica_ca);
	o.query_timeout_ms = 2000;
	db = mydb_new(base, &o);
	ok(db, "SHOW STATUS LIKE 'Ssl_cipher'", &r);
	v = mydb_get(r.res, 0, "Value");
	ck_assert_ptr_nonnull(v);
	ck_assert_msg(*v != '\0', "no TLS cipher");
	ok(db, "SHOW STATUS LIKE 'Ssl_version'", &r);
	ck_assert_ptr_nonnull(strstr(mydb_get(r.res, 0, "Value"), "TLS"));

	/* SSL_read must not block the loop either. */
	ev = event_new(base, -1, EV_PERSIST, count_tick, &ticks);
	event_add(ev, &tv);
	ok(db, "SELECT SLEEP(0.5) AS s", &r);
	event_free(ev);
	ck_assert_msg(ticks >= 25, "%d ticks during SLEEP(0.5)", ticks);
	mydb_free(db);
	o.query_timeout_ms = 300;
	db = mydb_new(base, &o);

	/* A timeout on a TLS session: the abort path, then a new session. */
	tid = mydb_thread_id(db);
	run(db, "SELECT SLEEP(5) AS s", &r);
	ck_assert_msg(r.res->err == CR_SERVER_LOST, "err %u after %lld us: %s",
	    r.res->err, (long long)r.res->elapsed_us,
	    r.res->err ? r.res->error : mydb_get(r.res, 0, "s"));
	ok(db, "SHOW STATUS LIKE 'Ssl_cipher'", &r);
	ck_assert_str_ne(mydb_get(r.res, 0, "Value"), "");
	ck_assert_uint_ne(mydb_thread_id(db), tid);
	rec_clear(&r);
	mydb_free(db);
}
END_TEST

START_TEST(tls_wrong_ca_refused)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };
	char			 cmd[1024], ca[128];

	/* A CA of our own that never signed the server's certificate. */
	snprintf(ca, sizeof(ca), "%s/other-ca.pem", mdb.dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -keyout %s/other-key.pem "
	    "-out %s -days 1 -subj '/CN=mariadb.sh test CA' "
	    ">/dev/null 2>&1", mdb.dir, ca);
	ck_assert_int_eq(system(cmd), 0);
	opts_tls(&o, ca);
	db = mydb_new(base, &o);
	run(db, "SELECT 1", &r);
	ck_assert_uint_eq(r.res->err, CR_SSL_CONNECTION_ERROR);
	ck_assert_ptr_nonnull(r.res->error);
	ck_assert_ptr_nonnull(strstr(r.res->error, "certificate"));
	ck_assert_ptr_null(mydb_server_version(db));
	rec_clear(&r);
	mydb_free(db);

	/* TLS asked of a server without it: refused, not sent in clear. */
	opts_migrate(&o);
	o.ca_file = mdb.replica_ca;
	db = mydb_new(base, &o);
	run(db, "SELECT 1", &r);
	ck_assert_uint_ne(r.res->err, 0);
	ck_assert_ptr_null(mydb_server_version(db));
	rec_clear(&r);
	mydb_free(db);
}
END_TEST

/* A server that greets, offers TLS, and then never answers. */
struct mute_tls {
	struct event	*ev;
	int		 fd;
};

static void
mute_tls_accept(evutil_socket_t ls, short what, void *arg)
{
	static const unsigned char	 salt[] = "abcdefghijklmnopqrst";
	struct mute_tls			*m = arg;
	unsigned char			 p[256], *o = p + 4;
	uint32_t			 caps = 0x1 | 0x4 | 0x8 | 0x200 |
					    0x800 | 0x8000 | 0x20000 | 0x80000;
	size_t				 len;

	if ((m->fd = accept(ls, NULL, NULL)) == -1)
		return;
	*o++ = 10;
	o += sprintf((char *)o, "5.5.5-10.11.0-MariaDB") + 1;
	memcpy(o, "\7\0\0\0", 4);
	o += 4;
	memcpy(o, salt, 8);
	o += 8;
	*o++ = 0;
	*o++ = caps & 0xff;
	*o++ = (caps >> 8) & 0xff;
	*o++ = 45;
	*o++ = 2;
	*o++ = 0;
	*o++ = (caps >> 16) & 0xff;
	*o++ = (caps >> 24) & 0xff;
	*o++ = 21;
	memset(o, 0, 10);
	o += 10;
	memcpy(o, salt + 8, 12);
	o += 12;
	*o++ = 0;
	o += sprintf((char *)o, "mysql_native_password") + 1;
	len = o - p - 4;
	p[0] = len & 0xff;
	p[1] = (len >> 8) & 0xff;
	p[2] = 0;
	p[3] = 0;
	ck_assert_int_eq(write(m->fd, p, o - p), o - p);
}

START_TEST(tls_handshake_stall_bounded)
{
	struct mydb_opts	 o;
	struct mydb		*db;
	struct rec		 r = { 0 };
	struct mute_tls		 m = { NULL, -1 };
	int64_t			 t0, ms;
	int			 ls, port;

	ls = mute_listener(&port);
	m.ev = event_new(base, ls, EV_READ, mute_tls_accept, &m);
	event_add(m.ev, NULL);
	opts_tls(&o, mdb.replica_ca);
	o.port = port;
	o.connect_timeout_ms = 300;
	db = mydb_new(base, &o);
	t0 = now_mono_us();
	run(db, "SELECT 1", &r);
	ms = (r.at_us - t0) / 1000;
	ck_assert_int_ge(m.fd, 0);
	ck_assert_uint_eq(r.res->err, CR_CONN_HOST_ERROR);
	ck_assert_ptr_nonnull(strstr(r.res->error, "timed out after 300 ms"));
	ck_assert_msg(ms >= 250 && ms < 1500, "gave up after %lld ms",
	    (long long)ms);
	rec_clear(&r);
	mydb_free(db);
	event_free(m.ev);
	close(m.fd);
	close(ls);
}
END_TEST

static Suite *
mydb_suite(void)
{
	Suite	*s = suite_create("mydb");
	TCase	*tc = tcase_create("mariadb");
	TCase	*tq = tcase_create("quote");
	TCase	*tt = tcase_create("tls");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, select_null_and_names);
	tcase_add_test(tc, dml_affected_rows);
	tcase_add_test(tc, sql_error_keeps_session);
	tcase_add_test(tc, queued_run_in_order);
	tcase_add_test(tc, call_consumes_every_result);
	tcase_add_test(tc, query_timeout_reconnects);
	tcase_add_test(tc, killed_by_server);
	tcase_add_test(tc, refused_backs_off);
	tcase_add_test(tc, deadline_during_backoff);
	tcase_add_test(tc, connect_timeout);
	tcase_add_test(tc, loop_keeps_turning);
	tcase_add_test(tc, forget_suppresses_callbacks);
	tcase_add_test(tc, free_inside_callback);
	tcase_add_test(tc, reset_fails_queued);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tq, setup, teardown);
	tcase_set_timeout(tq, 30);
	tcase_add_test(tq, quote_forms);
	tcase_add_test(tq, quote_roundtrip_default_mode);
	tcase_add_test(tq, quote_roundtrip_no_backslash_escapes);
	suite_add_tcase(s, tq);

	if (*mdb.replica_ca != '\0') {
		tcase_add_checked_fixture(tt, setup, teardown);
		tcase_set_timeout(tt, 30);
		tcase_add_test(tt, tls_verified);
		tcase_add_test(tt, tls_wrong_ca_refused);
		tcase_add_test(tt, tls_handshake_stall_bounded);
		suite_add_tcase(s, tt);
	} else
		fprintf(stderr, "check_mydb: no openssl, TLS tests not run\n");
	return s;
}

int
main(void)
{
	/* The TLS tests need openssl to make their certificates. */
	return mdbpair_main("check_mydb", mydb_suite,
	    system("command -v openssl >/dev/null 2>&1") == 0);
}
