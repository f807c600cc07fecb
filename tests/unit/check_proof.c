/*
 * check_proof: the checksum proof against a real pair of MariaDB servers,
 * started once by main() with tests/mariadb/mariadb.sh and stopped by the
 * parent whatever happens. Each test builds its own schema with the same
 * rows on both servers (as root, kept out of the binary logs), opens a
 * consistent snapshot on one connection per side as the cutover does, and
 * runs the proof to its report: identical data in every shape of table,
 * a changed, a deleted and an extra row found in the right chunk only,
 * NULL against '', missing and extra tables and columns, writes after the
 * snapshot left unseen, and killed or unopened sessions giving "error".
 * The replicated checksums (proof_new_repl) run with the replica
 * replicating from the source: identical data, the same differences named
 * as the snapshot proof names them, and a stopped SQL thread an error.
 * PROOF_BENCH=N adds a timing run over a table of N rows.
 */
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "answer.h"
#include "mdbpair.h"
#include "mydb.h"
#include "proof.h"

#define SRC		0
#define TGT		1


static struct event_base	*base;
static struct mydb		*root[2];	/* set-up, over the socket */
static struct mydb		*snap[2];	/* the proof's, as cutover's */

struct sqlres {
	int		 done;
	unsigned int	 err;
	char		 error[512];
	char		 value[128];
};

struct outcome {
	int				 calls;
	const struct proof_report	*rep;
};

static void
sqlres_cb(void *arg, struct mydb_result *res)
{
	struct sqlres	*a = arg;

	a->done = 1;
	a->err = res->err;
	snprintf(a->error, sizeof(a->error), "%s", res->error ? res->error :
	    "");
	if (res->nrows > 0 && res->ncols > 0 && res->rows[0][0] != NULL)
		snprintf(a->value, sizeof(a->value), "%s", res->rows[0][0]);
}

/* Turn the loop until *flag (a deadline guards against a hang). */
static void
loop_until(const int *flag)
{
	ck_assert_msg(answer_run_until(base, flag, 1, 20000),
	    "no answer within 20 s");
}

/* Run one statement on side's root connection; it must succeed. */
static void __attribute__((format(printf, 2, 3)))
sql_on(int side, const char *fmt, ...)
{
	struct sqlres	 a = { 0 };
	va_list		 ap;
	char		*sql;

	va_start(ap, fmt);
	ck_assert_int_ne(vasprintf(&sql, fmt, ap), -1);
	va_end(ap);
	ck_assert_int_eq(mydb_query(root[side], sql, sqlres_cb, &a), 0);
	loop_until(&a.done);
	ck_assert_msg(a.err == 0, "%s: %s", sql, a.error);
	free(sql);
}

/* The same statement on both servers. */
static void __attribute__((format(printf, 1, 2)))
sql_both(const char *fmt, ...)
{
	va_list	 ap;
	char	*sql;

	va_start(ap, fmt);
	ck_assert_int_ne(vasprintf(&sql, fmt, ap), -1);
	va_end(ap);
	sql_on(SRC, "%s", sql);
	sql_on(TGT, "%s", sql);
	free(sql);
}

/* What the cutover does on each of its two proof connections. */
static void
snapshot_open_on(int s)
{
	static const char *const sql[] = {
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
		"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
	};
	struct sqlres	a;
	size_t		i;

	for (i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		ck_assert_int_eq(mydb_query(snap[s], sql[i], sqlres_cb, &a),
		    0);
		loop_until(&a.done);
		ck_assert_msg(a.err == 0, "%s: %s", sql[i], a.error);
	}
}

static void
snapshot_open(void)
{
	snapshot_open_on(SRC);
	snapshot_open_on(TGT);
}

static void
done_cb(void *arg, const struct proof_report *rep)
{
	struct outcome	*o = arg;

	o->calls++;
	o->rep = rep;
}

static struct proof *
run_proof(const char *schema, int chunk_rows, struct outcome *o)
{
	const char	*schemas[] = { schema };
	struct proof	*p;

	memset(o, 0, sizeof(*o));
	p = proof_new(base, &snap[SRC], &snap[TGT], 1, schemas, 1, chunk_rows, done_cb,
	    o);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(proof_report(p));
	loop_until(&o->calls);
	ck_assert_int_eq(o->calls, 1);
	ck_assert_ptr_eq(proof_report(p), o->rep);
	return p;
}

static void
schema_fresh(const char *s)
{
	sql_both("DROP DATABASE IF EXISTS `%s`", s);
	sql_both("CREATE DATABASE `%s`", s);
}

/*
 * Five tables, the same rows on both sides. With 7 rows a chunk: t_int
 * (50 rows: bounds 7, 14, ..., 49, so 8 chunks), t_comp (composite key,
 * 30 rows, 5 chunks), t_nopk (no key, duplicates, 1 chunk), t_uk (unique
 * VARBINARY key holding NUL, quote and backslash bytes, 20 rows, 3
 * chunks), t_empty (1 chunk): 18 chunks, 110 rows.
 */
#define STD_TABLES	5
#define STD_CHUNKS	18
#define STD_ROWS	110

static void
schema_std(const char *s)
{
	schema_fresh(s);
	sql_both("CREATE TABLE `%s`.t_int (id INT PRIMARY KEY, v VARCHAR(20) "
	    "NOT NULL, s VARCHAR(10) NULL, n INT NULL, b BLOB NULL, f DOUBLE "
	    "NOT NULL, ts TIMESTAMP(3) NULL) ENGINE=InnoDB", s);
	sql_both("INSERT INTO `%s`.t_int SELECT seq, CONCAT('v', seq), "
	    "IF(seq %% 4 = 0, NULL, IF(seq %% 4 = 1, '', CONCAT('s', seq))), "
	    "IF(seq %% 5 = 0, NULL, seq * 3), IF(seq %% 7 = 0, NULL, "
	    "IF(seq %% 3 = 0, '', UNHEX(MD5(seq)))), seq / 3, "
	    "FROM_UNIXTIME(1700000000 + seq + 0.125) FROM `%s`.seq_1_to_50",
	    s, s);
	sql_both("CREATE TABLE `%s`.t_comp (a INT NOT NULL, b VARCHAR(10) NOT "
	    "NULL, c DATETIME NULL, d DECIMAL(10,2), PRIMARY KEY (a, b)) "
	    "ENGINE=InnoDB", s);
	sql_both("INSERT INTO `%s`.t_comp SELECT seq DIV 3, CONCAT('k', "
	    "seq %% 3), '2024-01-01' + INTERVAL seq HOUR, seq * 1.25 FROM "
	    "`%s`.seq_1_to_30", s, s);
	sql_both("CREATE TABLE `%s`.t_nopk (x INT NULL, y VARCHAR(10) NULL) "
	    "ENGINE=InnoDB", s);
	sql_both("INSERT INTO `%s`.t_nopk SELECT seq %% 4, IF(seq %% 3 = 0, "
	    "NULL, 'dup') FROM `%s`.seq_1_to_10", s, s);
	sql_both("CREATE TABLE `%s`.t_uk (code VARBINARY(16) NOT NULL, v INT, "
	    "UNIQUE KEY uk (code)) ENGINE=InnoDB", s);
	sql_both("INSERT INTO `%s`.t_uk SELECT UNHEX(CONCAT(LPAD(HEX(seq), 2, "
	    "'0'), '00275C')), seq FROM `%s`.seq_1_to_20", s, s);
	sql_both("CREATE TABLE `%s`.t_empty (id INT PRIMARY KEY) ENGINE=InnoDB",
	    s);
}

static const struct proof_mismatch *
only_mismatch(const struct proof_report *r)
{
	ck_assert_int_eq(r->verdict, PROOF_MISMATCH);
	ck_assert_ptr_null(r->error);
	ck_assert_uint_eq(r->nmismatches, 1);
	ck_assert_uint_eq(r->nlisted, 1);
	return &r->mismatches[0];
}

/* Open the snapshots and prove schema, 7 rows a chunk: one mismatch. */
static const struct proof_mismatch *
one_mismatch(const char *schema, struct outcome *o, struct proof **p)
{
	snapshot_open();
	*p = run_proof(schema, 7, o);
	return only_mismatch(o->rep);
}

static int
has_note(const struct proof_report *r, const char *part)
{
	size_t	i;

	for (i = 0; i < r->nnotes; i++)
		if (strstr(r->notes[i], part) != NULL)
			return 1;
	return 0;
}

static void
setup(void)
{
	struct mydb_opts	o;
	int			s;

	base = event_base_new();
	for (s = 0; s < 2; s++) {
		memset(&o, 0, sizeof(o));
		o.name = s == SRC ? "test source root" : "test target root";
		o.unix_socket = s == SRC ? mdb.source_sock : mdb.replica_sock;
		o.user = "root";
		root[s] = mydb_new(base, &o);
		memset(&o, 0, sizeof(o));
		o.name = s == SRC ? "test source snapshot" :
		    "test target snapshot";
		o.host = "127.0.0.1";
		o.port = s == SRC ? mdb.source_port : mdb.replica_port;
		o.user = s == SRC ? "migrate" : "admin";
		o.password = s == SRC ? mdb.migrate_pw : mdb.admin_pw;
		snap[s] = mydb_new(base, &o);
	}
	sql_both("SET SESSION sql_log_bin = 0");
}

static void
teardown(void)
{
	int	s;

	for (s = 0; s < 2; s++) {
		mydb_free(snap[s]);
		mydb_free(root[s]);
	}
	event_base_free(base);
}

START_TEST(identical_is_ok)
{
	struct outcome	 o;
	struct proof	*p;
	json_t		*j;

	schema_std("pf_same");
	snapshot_open();
	p = run_proof("pf_same", 7, &o);
	ck_assert_msg(o.rep->verdict == PROOF_OK, "verdict %s: %s",
	    proof_verdict_name(o.rep->verdict), o.rep->error ? o.rep->error :
	    o.rep->nlisted ? o.rep->mismatches[0].table : "");
	ck_assert_ptr_null(o.rep->error);
	ck_assert_uint_eq(o.rep->tables_total, STD_TABLES);
	ck_assert_uint_eq(o.rep->tables, STD_TABLES);
	ck_assert_uint_eq(o.rep->chunks, STD_CHUNKS);
	ck_assert_uint_eq(o.rep->rows, STD_ROWS);
	ck_assert_uint_eq(o.rep->nmismatches, 0);
	ck_assert(o.rep->elapsed_ms >= 0);
	ck_assert(has_note(o.rep, "pf_same.t_nopk: no primary key"));
	ck_assert_str_eq(proof_progress(p), "ok: 5/5 tables, 18 chunks, 110 "
	    "rows, 0 mismatches");

	j = proof_report_json(o.rep);
	ck_assert_str_eq(json_string_value(json_object_get(j, "verdict")),
	    "ok");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "chunks")),
	    STD_CHUNKS);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "rows")),
	    STD_ROWS);
	ck_assert(json_is_null(json_object_get(j, "error")));
	ck_assert_uint_eq(json_array_size(json_object_get(j,
	    "mismatch_list")), 0);
	json_decref(j);
	proof_free(p);

	/* The default chunk: every table in one chunk and the last. */
	p = run_proof("pf_same", 0, &o);
	ck_assert_int_eq(o.rep->verdict, PROOF_OK);
	ck_assert_uint_eq(o.rep->chunks, STD_TABLES);
	ck_assert_uint_eq(o.rep->rows, STD_ROWS);
	proof_free(p);
	proof_free(NULL);
}
END_TEST

START_TEST(changed_row_in_its_chunk)
{
	const struct proof_mismatch	*m;
	struct outcome			 o;
	struct proof			*p;
	json_t				*j, *e;

	schema_std("pf_changed");
	sql_on(TGT, "UPDATE pf_changed.t_int SET v = 'changed' WHERE id = 20");
	m = one_mismatch("pf_changed", &o, &p);
	ck_assert_int_eq(m->what, PROOF_ROWS_DIFFER);
	ck_assert_str_eq(m->table, "pf_changed.t_int");
	ck_assert_str_eq(m->key, "id");
	ck_assert_str_eq(m->lo, "14");
	ck_assert_str_eq(m->hi, "21");
	ck_assert_uint_eq(m->src_rows, 7);
	ck_assert_uint_eq(m->tgt_rows, 7);
	/* Every other chunk and table was still compared. */
	ck_assert_uint_eq(o.rep->tables, STD_TABLES);
	ck_assert_uint_eq(o.rep->chunks, STD_CHUNKS);

	j = proof_report_json(o.rep);
	ck_assert_str_eq(json_string_value(json_object_get(j, "verdict")),
	    "mismatch");
	e = json_array_get(json_object_get(j, "mismatch_list"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "what")),
	    "rows differ");
	ck_assert_str_eq(json_string_value(json_object_get(e, "lo")), "14");
	ck_assert_str_eq(json_string_value(json_object_get(e, "hi")), "21");
	json_decref(j);
	proof_free(p);
}
END_TEST

START_TEST(changed_row_composite_key)
{
	const struct proof_mismatch	*m;
	struct outcome			 o;
	struct proof			*p;

	/* Key order is insertion order: (5, 'k2') is row 17, in the third
	 * chunk, after row 14 (4, 'k2') and up to row 21 (7, 'k0'). */
	schema_std("pf_comp");
	sql_on(TGT, "UPDATE pf_comp.t_comp SET d = d + 0.01 WHERE a = 5 AND "
	    "b = 'k2'");
	m = one_mismatch("pf_comp", &o, &p);
	ck_assert_int_eq(m->what, PROOF_ROWS_DIFFER);
	ck_assert_str_eq(m->table, "pf_comp.t_comp");
	ck_assert_str_eq(m->key, "(a, b)");
	ck_assert_str_eq(m->lo, "(4, 'k2')");
	ck_assert_str_eq(m->hi, "(7, 'k0')");
	proof_free(p);
}
END_TEST

START_TEST(changed_row_binary_key)
{
	const struct proof_mismatch	*m;
	struct outcome			 o;
	struct proof			*p;

	schema_std("pf_bin");
	sql_on(TGT, "UPDATE pf_bin.t_uk SET v = -1 WHERE code = "
	    "X'0F00275C'");
	m = one_mismatch("pf_bin", &o, &p);
	ck_assert_str_eq(m->table, "pf_bin.t_uk");
	ck_assert_str_eq(m->key, "code");
	ck_assert_str_eq(m->lo, "0x0E00275C");
	ck_assert_ptr_null(m->hi);
	proof_free(p);
}
END_TEST

START_TEST(deleted_row)
{
	const struct proof_mismatch	*m;
	struct outcome			 o;
	struct proof			*p;

	schema_std("pf_deleted");
	sql_on(TGT, "DELETE FROM pf_deleted.t_int WHERE id = 30");
	m = one_mismatch("pf_deleted", &o, &p);
	ck_assert_int_eq(m->what, PROOF_MISSING_ON_TARGET);
	ck_assert_str_eq(m->table, "pf_deleted.t_int");
	ck_assert_str_eq(m->lo, "28");
	ck_assert_str_eq(m->hi, "35");
	ck_assert_uint_eq(m->src_rows, 7);
	ck_assert_uint_eq(m->tgt_rows, 6);
	proof_free(p);
}
END_TEST

START_TEST(extra_row_beyond_the_last_key)
{
	const struct proof_mismatch	*m;
	struct outcome			 o;
	struct proof			*p;

	schema_std("pf_extra");
	sql_on(TGT, "INSERT INTO pf_extra.t_int (id, v, f) VALUES (1000, 'x', "
	    "0)");
	m = one_mismatch("pf_extra", &o, &p);
	ck_assert_int_eq(m->what, PROOF_EXTRA_ON_TARGET);
	ck_assert_str_eq(m->lo, "49");
	ck_assert_ptr_null(m->hi);
	ck_assert_uint_eq(m->src_rows, 1);
	ck_assert_uint_eq(m->tgt_rows, 2);
	proof_free(p);

	/* In an empty table too: its one chunk is (-inf, +inf). */
	sql_on(TGT, "DELETE FROM pf_extra.t_int WHERE id = 1000");
	sql_on(TGT, "INSERT INTO pf_extra.t_empty VALUES (1)");
	m = one_mismatch("pf_extra", &o, &p);
	ck_assert_str_eq(m->table, "pf_extra.t_empty");
	ck_assert_int_eq(m->what, PROOF_EXTRA_ON_TARGET);
	ck_assert_ptr_null(m->lo);
	ck_assert_ptr_null(m->hi);
	proof_free(p);
}
END_TEST

START_TEST(null_is_not_empty)
{
	const struct proof_mismatch	*m;
	struct outcome			 o;
	struct proof			*p;

	schema_std("pf_null");
	/* id 1 has s = '' on both; NULL on the target. */
	sql_on(TGT, "UPDATE pf_null.t_int SET s = NULL WHERE id = 1");
	m = one_mismatch("pf_null", &o, &p);
	ck_assert_int_eq(m->what, PROOF_ROWS_DIFFER);
	ck_assert_ptr_null(m->lo);
	ck_assert_str_eq(m->hi, "7");
	proof_free(p);

	/*
	 * Joined with '#', (1, '', 'x') and (1, NULL, '#x') both read
	 * "1##x", since CONCAT_WS skips NULLs: the NULL flags tell them
	 * apart.
	 */
	schema_fresh("pf_null2");
	sql_both("CREATE TABLE pf_null2.t (id INT PRIMARY KEY, a VARCHAR(9) "
	    "NULL, b VARCHAR(9) NULL)");
	sql_on(SRC, "INSERT INTO pf_null2.t VALUES (1, '', 'x')");
	sql_on(TGT, "INSERT INTO pf_null2.t VALUES (1, NULL, '#x')");
	m = one_mismatch("pf_null2", &o, &p);
	ck_assert_int_eq(m->what, PROOF_ROWS_DIFFER);
	ck_assert_str_eq(m->table, "pf_null2.t");
	proof_free(p);
}
END_TEST

START_TEST(duplicates_without_a_key)
{
	const struct proof_mismatch	*m;
	struct outcome			 o;
	struct proof			*p;

	/* {A, A, B} against {B, C, C}: XOR would see no difference. */
	schema_fresh("pf_dup");
	sql_both("CREATE TABLE pf_dup.t (v VARCHAR(9))");
	sql_on(SRC, "INSERT INTO pf_dup.t VALUES ('A'), ('A'), ('B')");
	sql_on(TGT, "INSERT INTO pf_dup.t VALUES ('B'), ('C'), ('C')");
	m = one_mismatch("pf_dup", &o, &p);
	ck_assert_int_eq(m->what, PROOF_ROWS_DIFFER);
	ck_assert_ptr_null(m->key);
	ck_assert_uint_eq(m->src_rows, 3);
	proof_free(p);
}
END_TEST

START_TEST(tables_and_columns_differ)
{
	const struct proof_report	*r;
	struct outcome			 o;
	struct proof			*p;
	size_t				 i;
	int				 seen = 0;

	schema_std("pf_tables");
	sql_on(TGT, "DROP TABLE pf_tables.t_uk");
	sql_on(TGT, "CREATE TABLE pf_tables.t_new (id INT PRIMARY KEY)");
	sql_on(TGT, "ALTER TABLE pf_tables.t_comp ADD COLUMN e INT");
	snapshot_open();
	p = run_proof("pf_tables", 7, &o);
	r = o.rep;
	ck_assert_int_eq(r->verdict, PROOF_MISMATCH);
	ck_assert_uint_eq(r->nmismatches, 3);
	ck_assert_uint_eq(r->tables_total, STD_TABLES + 1);
	ck_assert_uint_eq(r->tables, STD_TABLES + 1);
	for (i = 0; i < r->nlisted; i++) {
		if (strcmp(r->mismatches[i].table, "pf_tables.t_uk") == 0) {
			ck_assert_int_eq(r->mismatches[i].what,
			    PROOF_TABLE_MISSING);
			seen |= 1;
		} else if (strcmp(r->mismatches[i].table,
		    "pf_tables.t_new") == 0) {
			ck_assert_int_eq(r->mismatches[i].what,
			    PROOF_TABLE_EXTRA);
			seen |= 2;
		} else if (strcmp(r->mismatches[i].table,
		    "pf_tables.t_comp") == 0) {
			ck_assert_int_eq(r->mismatches[i].what,
			    PROOF_COLUMNS_DIFFER);
			ck_assert_str_eq(r->mismatches[i].detail,
			    "on the target only: e");
			seen |= 4;
		}
	}
	ck_assert_int_eq(seen, 7);
	proof_free(p);
}
END_TEST

START_TEST(key_choice)
{
	struct outcome	 o;
	struct proof	*p;

	schema_fresh("pf_keys");
	/* An ENUM sorts by number and compares by text: not walked. */
	sql_both("CREATE TABLE pf_keys.t_enum (e ENUM('b', 'a', 'c') PRIMARY "
	    "KEY, v INT)");
	sql_both("INSERT INTO pf_keys.t_enum VALUES ('a', 1), ('b', 2), "
	    "('c', 3)");
	/* Another collation on the target would put rows in other chunks. */
	sql_on(SRC, "CREATE TABLE pf_keys.t_coll (k VARCHAR(10) COLLATE "
	    "utf8mb4_general_ci PRIMARY KEY)");
	sql_on(TGT, "CREATE TABLE pf_keys.t_coll (k VARCHAR(10) COLLATE "
	    "utf8mb4_bin PRIMARY KEY)");
	sql_both("INSERT INTO pf_keys.t_coll VALUES ('a'), ('B'), ('c'), "
	    "('D'), ('e'), ('F'), ('g'), ('H'), ('i')");
	/* No primary key: the NOT NULL unique one, not the nullable one. */
	sql_both("CREATE TABLE pf_keys.t_uk2 (a INT NULL, b INT NOT NULL, "
	    "UNIQUE KEY ua (a), UNIQUE KEY ub (b))");
	sql_both("INSERT INTO pf_keys.t_uk2 SELECT seq, 100 - seq FROM "
	    "pf_keys.seq_1_to_20");
	snapshot_open();
	p = run_proof("pf_keys", 7, &o);
	ck_assert_msg(o.rep->verdict == PROOF_OK, "verdict %s",
	    proof_verdict_name(o.rep->verdict));
	ck_assert_uint_eq(o.rep->tables, 3);
	ck_assert_uint_eq(o.rep->chunks, 1 + 1 + 3);
	ck_assert_uint_eq(o.rep->rows, 3 + 9 + 20);
	ck_assert(has_note(o.rep, "pf_keys.t_enum: no usable key (column e "
	    "is of a type that cannot bound a range)"));
	ck_assert(has_note(o.rep, "pf_keys.t_coll: no usable key (column k "
	    "is of another type or collation on the target)"));
	ck_assert(!has_note(o.rep, "pf_keys.t_uk2"));
	proof_free(p);

	sql_on(TGT, "UPDATE pf_keys.t_uk2 SET a = NULL WHERE b = 90");
	snapshot_open();
	p = run_proof("pf_keys", 7, &o);
	ck_assert_str_eq(only_mismatch(o.rep)->key, "b");
	ck_assert_str_eq(only_mismatch(o.rep)->lo, "86");
	ck_assert_str_eq(only_mismatch(o.rep)->hi, "93");
	proof_free(p);
}
END_TEST

START_TEST(writes_after_the_snapshot_are_unseen)
{
	struct outcome	 o;
	struct proof	*p;

	schema_std("pf_after");
	snapshot_open();
	/* The application goes on after the freeze, on both sides. */
	sql_on(SRC, "INSERT INTO pf_after.t_int (id, v, f) SELECT seq, 'new', "
	    "0 FROM pf_after.seq_100_to_140");
	sql_on(SRC, "UPDATE pf_after.t_comp SET d = 0");
	sql_on(TGT, "DELETE FROM pf_after.t_uk");
	sql_on(TGT, "INSERT INTO pf_after.t_empty VALUES (1), (2)");
	p = run_proof("pf_after", 7, &o);
	ck_assert_msg(o.rep->verdict == PROOF_OK, "verdict %s",
	    proof_verdict_name(o.rep->verdict));
	ck_assert_uint_eq(o.rep->chunks, STD_CHUNKS);
	ck_assert_uint_eq(o.rep->rows, STD_ROWS);
	proof_free(p);
}
END_TEST

/* Turn the loop until the proof has compared n chunks or is done. */
static void
run_to_chunk(struct proof *p, const struct outcome *o, unsigned long n)
{
	unsigned long	chunks = 0;
	size_t		a, b;
	time_t		end = time(NULL) + 20;

	while (!o->calls && chunks < n && time(NULL) < end) {
		event_base_loop(base, EVLOOP_ONCE);
		if (sscanf(proof_progress(p), "%zu/%zu tables, %lu chunks", &a,
		    &b, &chunks) != 3)
			chunks = 0;
	}
}

static void
killed_mid_proof(int side)
{
	struct outcome	 o;
	struct sqlres	 a = { 0 };
	struct proof	*p;
	const char	*schemas[] = { "pf_killed" };
	char		 sql[64];

	schema_std("pf_killed");
	snapshot_open();
	memset(&o, 0, sizeof(o));
	p = proof_new(base, &snap[SRC], &snap[TGT], 1, schemas, 1, 1, done_cb, &o);
	ck_assert_ptr_nonnull(p);
	run_to_chunk(p, &o, 3);
	ck_assert_int_eq(o.calls, 0);
	snprintf(sql, sizeof(sql), "KILL CONNECTION %lu",
	    mydb_thread_id(snap[side]));
	ck_assert_int_eq(mydb_query(root[side], sql, sqlres_cb, &a), 0);
	loop_until(&o.calls);
	ck_assert_int_eq(o.calls, 1);
	ck_assert_int_eq(o.rep->verdict, PROOF_ERROR);
	ck_assert_ptr_nonnull(o.rep->error);
	ck_assert_msg(strncmp(o.rep->error, side == SRC ? "source: " :
	    "target: ", 8) == 0, "error: %s", o.rep->error);
	ck_assert_ptr_nonnull(strstr(o.rep->error, "snapshot is gone"));
	ck_assert(o.rep->chunks < 100);
	loop_until(&a.done);
	proof_free(p);
	/* Nothing of the proof's is called any more. */
	loop_until(&a.done);
}

START_TEST(source_killed_mid_proof)
{
	killed_mid_proof(SRC);
}
END_TEST

START_TEST(target_killed_mid_proof)
{
	killed_mid_proof(TGT);
}
END_TEST

START_TEST(no_snapshot_is_an_error)
{
	struct outcome	 o;
	struct proof	*p;

	/* The source connection never connected: no session, no snapshot. */
	schema_std("pf_nosnap");
	snapshot_open_on(TGT);
	p = run_proof("pf_nosnap", 7, &o);
	ck_assert_int_eq(o.rep->verdict, PROOF_ERROR);
	ck_assert_str_eq(o.rep->error, "source: the connection was not open, "
	    "so it held no snapshot");
	proof_free(p);
}
END_TEST

START_TEST(no_transaction_is_an_error)
{
	struct outcome	 o;
	struct sqlres	 a = { 0 };
	struct proof	*p;

	/* A session, but the transaction was never started. */
	schema_std("pf_notrx");
	snapshot_open_on(SRC);
	ck_assert_int_eq(mydb_query(snap[TGT], "SELECT 1", sqlres_cb, &a), 0);
	loop_until(&a.done);
	p = run_proof("pf_notrx", 7, &o);
	ck_assert_int_eq(o.rep->verdict, PROOF_ERROR);
	ck_assert_str_eq(o.rep->error, "target: the connection is not inside "
	    "a transaction, so it holds no snapshot");
	proof_free(p);
}
END_TEST

START_TEST(cancelled_proof_is_silent)
{
	struct outcome	 o;
	struct sqlres	 a = { 0 };
	struct proof	*p;
	const char	*schemas[] = { "pf_cancel" };

	schema_std("pf_cancel");
	snapshot_open();
	memset(&o, 0, sizeof(o));
	p = proof_new(base, &snap[SRC], &snap[TGT], 1, schemas, 1, 1, done_cb, &o);
	run_to_chunk(p, &o, 2);
	proof_free(p);
	/* Queued behind the proof's last queries: they have run by then. */
	ck_assert_int_eq(mydb_query(snap[SRC], "SELECT 1", sqlres_cb, &a), 0);
	loop_until(&a.done);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(mydb_query(snap[TGT], "SELECT 1", sqlres_cb, &a), 0);
	loop_until(&a.done);
	ck_assert_int_eq(o.calls, 0);
}
END_TEST

static void
free_in_done_cb(void *arg, const struct proof_report *rep)
{
	struct proof	**pp = arg;

	ck_assert_int_eq(rep->verdict, PROOF_OK);
	proof_free(*pp);
	*pp = NULL;
}

START_TEST(free_from_done)
{
	struct proof	*p;
	const char	*schemas[] = { "pf_free" };

	schema_std("pf_free");
	snapshot_open();
	p = proof_new(base, &snap[SRC], &snap[TGT], 1, schemas, 1, 7, free_in_done_cb,
	    &p);
	ck_assert_ptr_nonnull(p);
	while (p != NULL)
		event_base_loop(base, EVLOOP_ONCE);
}
END_TEST

/* --- streams and resume --- */

#define XSTREAMS	3

static struct mydb	*xs[XSTREAMS][2];	/* streams 1.. (0 is snap) */

/* n - 1 more pairs of snapshot connections, opened at once. */
static void
streams_open(size_t n, struct mydb **src, struct mydb **tgt)
{
	struct mydb_opts	 o;
	struct mydb		*keep[2];
	size_t			 i;
	int			 s;

	src[0] = snap[SRC];
	tgt[0] = snap[TGT];
	for (i = 1; i < n; i++)
		for (s = 0; s < 2; s++) {
			memset(&o, 0, sizeof(o));
			o.name = "test stream";
			o.host = "127.0.0.1";
			o.port = s == SRC ? mdb.source_port :
			    mdb.replica_port;
			o.user = s == SRC ? "migrate" : "admin";
			o.password = s == SRC ? mdb.migrate_pw : mdb.admin_pw;
			xs[i - 1][s] = mydb_new(base, &o);
		}
	/* snapshot_open_on() works on snap[]: borrow it for each pair. */
	keep[SRC] = snap[SRC];
	keep[TGT] = snap[TGT];
	for (i = 0; i < n; i++) {
		snap[SRC] = i == 0 ? keep[SRC] : xs[i - 1][SRC];
		snap[TGT] = i == 0 ? keep[TGT] : xs[i - 1][TGT];
		snapshot_open();
		src[i] = snap[SRC];
		tgt[i] = snap[TGT];
	}
	snap[SRC] = keep[SRC];
	snap[TGT] = keep[TGT];
}

static void
streams_close(size_t n)
{
	size_t	i;

	for (i = 1; i < n; i++) {
		mydb_free(xs[i - 1][SRC]);
		mydb_free(xs[i - 1][TGT]);
		xs[i - 1][SRC] = xs[i - 1][TGT] = NULL;
	}
}

static struct proof *
run_streams(const char *schema, int chunk_rows, size_t n, struct outcome *o,
    const json_t *resume)
{
	struct mydb	*src[XSTREAMS + 1], *tgt[XSTREAMS + 1];
	const char	*schemas[] = { schema };
	struct proof	*p;

	streams_open(n, src, tgt);
	memset(o, 0, sizeof(*o));
	p = proof_new(base, src, tgt, n, schemas, 1, chunk_rows, done_cb, o);
	ck_assert_ptr_nonnull(p);
	proof_resume(p, resume);
	loop_until(&o->calls);
	ck_assert_int_eq(o->calls, 1);
	return p;
}

START_TEST(streams_identical_and_one_difference)
{
	struct outcome	 o;
	struct proof	*p;

	schema_std("pf_streams");
	p = run_streams("pf_streams", 7, XSTREAMS + 1, &o, NULL);
	ck_assert_msg(o.rep->verdict == PROOF_OK, "verdict %s: %s",
	    proof_verdict_name(o.rep->verdict), o.rep->error ? o.rep->error :
	    "");
	ck_assert_uint_eq(o.rep->streams, XSTREAMS + 1);
	/* Chunks of several tables were checksummed at once. */
	ck_assert_uint_ge(o.rep->streams_busy_max, 2);
	ck_assert_uint_eq(o.rep->tables, STD_TABLES);
	ck_assert_uint_eq(o.rep->chunks, STD_CHUNKS);
	ck_assert_uint_eq(o.rep->rows, STD_ROWS);
	ck_assert_uint_eq(o.rep->bytes_done, o.rep->bytes_total);
	proof_free(p);
	streams_close(XSTREAMS + 1);

	/* One row, found in its chunk whatever stream compared it. */
	sql_on(TGT, "UPDATE pf_streams.t_int SET v = 'changed' WHERE id = 20");
	p = run_streams("pf_streams", 7, XSTREAMS + 1, &o, NULL);
	ck_assert_str_eq(only_mismatch(o.rep)->table, "pf_streams.t_int");
	ck_assert_str_eq(only_mismatch(o.rep)->lo, "14");
	ck_assert_str_eq(only_mismatch(o.rep)->hi, "21");
	ck_assert_uint_eq(o.rep->chunks, STD_CHUNKS);
	proof_free(p);
	streams_close(XSTREAMS + 1);
}
END_TEST

/*
 * A proof stopped part way leaves a state: tables proven whole, and one
 * proven up to a mark. The next proof, given it, compares only the rest:
 * a row changed inside what was proven is not read again (it was proven
 * at the earlier point), a row changed beyond the mark is found, and the
 * counts add up to a whole proof's.
 */
START_TEST(resume_compares_only_the_rest)
{
	struct outcome	 o;
	struct proof	*p;
	const char	*schemas[] = { "pf_resume" };
	json_t		*state, *t;
	uint64_t	 whole;

	schema_std("pf_resume");
	p = run_streams("pf_resume", 1, 1, &o, NULL);
	ck_assert_int_eq(o.rep->verdict, PROOF_OK);
	whole = o.rep->chunks;
	t = json_object_get(json_object_get(proof_state(p), "tables"),
	    "pf_resume.t_int");
	ck_assert(json_is_true(json_object_get(t, "done")));
	proof_free(p);

	/* Stopped after t_comp (31 chunks), t_empty (1), part of t_int. */
	snapshot_open();
	memset(&o, 0, sizeof(o));
	p = proof_new(base, &snap[SRC], &snap[TGT], 1, schemas, 1, 1, done_cb,
	    &o);
	run_to_chunk(p, &o, 40);
	ck_assert_int_eq(o.calls, 0);
	state = json_deep_copy(proof_state(p));
	proof_free(p);
	t = json_object_get(json_object_get(state, "tables"),
	    "pf_resume.t_comp");
	ck_assert(json_is_true(json_object_get(t, "done")));
	t = json_object_get(json_object_get(state, "tables"),
	    "pf_resume.t_int");
	ck_assert_str_eq(json_string_value(json_object_get(t, "k")), "id");
	ck_assert_int_eq(json_array_size(json_object_get(t, "at")), 1);
	ck_assert_int_lt(strtol(json_string_value(json_array_get(
	    json_object_get(t, "at"), 0)), NULL, 10), 20);

	sql_on(TGT, "UPDATE pf_resume.t_comp SET d = 0 WHERE a = 2");
	sql_on(TGT, "UPDATE pf_resume.t_int SET v = 'changed' WHERE id = 45");
	snapshot_open();
	p = run_streams("pf_resume", 1, 1, &o, state);
	ck_assert_str_eq(only_mismatch(o.rep)->table, "pf_resume.t_int");
	ck_assert_str_eq(only_mismatch(o.rep)->hi, "45");
	ck_assert_uint_eq(o.rep->chunks, whole);
	ck_assert_uint_eq(o.rep->rows, STD_ROWS);
	ck_assert_uint_eq(o.rep->tables, STD_TABLES);
	ck_assert_uint_ge(o.rep->resumed_chunks, 33);
	ck_assert_uint_eq(o.rep->resumed_tables, 1);
	/* t_int stays at its old mark: the changed chunk stops it. */
	t = json_object_get(json_object_get(proof_state(p), "tables"),
	    "pf_resume.t_int");
	ck_assert(!json_is_true(json_object_get(t, "done")));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(t,
	    "at"), 0)), "44");
	json_decref(state);
	proof_free(p);
}
END_TEST

/* --- pure --- */

START_TEST(chunk_sizes)
{
	/* 1000 rows in 5 ms: 4 times more at most, not 20. */
	ck_assert_int_eq(proof_chunk_size(1000, 1000, 1000, 5), 4000);
	/* 4000 rows in 80 ms: 5000 for 100 ms. */
	ck_assert_int_eq(proof_chunk_size(4000, 1000, 4000, 80), 5000);
	/* Slow: smaller, but never below the first size. */
	ck_assert_int_eq(proof_chunk_size(8000, 1000, 8000, 400), 2000);
	ck_assert_int_eq(proof_chunk_size(8000, 1000, 8000, 40000), 1000);
	/* No time measured: grows; never past a million. */
	ck_assert_int_eq(proof_chunk_size(1000, 1000, 1000, 0), 4000);
	ck_assert_int_eq(proof_chunk_size(900000, 1000, 900000, 1),
	    1000000);
	/* An empty chunk says nothing. */
	ck_assert_int_eq(proof_chunk_size(3000, 1000, 0, 0), 3000);
}
END_TEST

START_TEST(crc32c_versions)
{
	ck_assert(proof_has_crc32c("10.11.19-MariaDB-0+deb12u1"));
	ck_assert(proof_has_crc32c("10.8.1-MariaDB"));
	ck_assert(proof_has_crc32c("11.4.2-MariaDB-log"));
	ck_assert(!proof_has_crc32c("10.6.16-MariaDB-log"));
	ck_assert(!proof_has_crc32c("10.4.33-MariaDB"));
	ck_assert(!proof_has_crc32c("8.0.36"));
	ck_assert(!proof_has_crc32c("8.4.0-RDS"));
	ck_assert(!proof_has_crc32c(NULL));
	ck_assert(!proof_has_crc32c("MariaDB"));
}
END_TEST

START_TEST(streams_bounds)
{
	ck_assert_uint_eq(proof_streams(0), 1);
	ck_assert_uint_eq(proof_streams(-3), 1);
	ck_assert_uint_eq(proof_streams(4), 4);
	ck_assert_uint_eq(proof_streams(PROOF_STREAMS_MAX), PROOF_STREAMS_MAX);
	ck_assert_uint_eq(proof_streams(1000), PROOF_STREAMS_MAX);
}
END_TEST

START_TEST(pace)
{
	struct proof_report	r;
	struct proof_pace	pc;

	memset(&r, 0, sizeof(r));
	proof_pace(&r, 0, &pc);
	ck_assert_int_eq(pc.eta_s, -1);
	ck_assert_int_eq(pc.pct, 0);
	ck_assert(pc.bytes_per_s == 0);
	r.bytes_total = 1000000000;
	r.bytes_done = 250000000;
	/* Not yet a second: no rate. */
	proof_pace(&r, 900, &pc);
	ck_assert_int_eq(pc.eta_s, -1);
	ck_assert_int_eq(pc.pct, 25);
	/* 250 MB in 5 s: 50 MB/s, 750 MB left, 15 s. */
	proof_pace(&r, 5000, &pc);
	ck_assert(pc.bytes_per_s > 49.9e6 && pc.bytes_per_s < 50.1e6);
	ck_assert_int_eq(pc.eta_s, 15);
	/* What was proven before the restart is not this run's pace. */
	r.bytes_resumed = 150000000;
	proof_pace(&r, 5000, &pc);
	ck_assert(pc.bytes_per_s > 19.9e6 && pc.bytes_per_s < 20.1e6);
	ck_assert_int_eq(pc.eta_s, 38);
	ck_assert_int_eq(pc.pct, 25);
	/* Estimates are estimates: never past 100 %, never below 0 s. */
	r.bytes_done = 1200000000;
	proof_pace(&r, 5000, &pc);
	ck_assert_int_eq(pc.pct, 100);
	ck_assert_int_eq(pc.eta_s, 0);
}
END_TEST

START_TEST(bench)
{
	struct outcome	 o;
	struct proof	*p;
	long		 n = strtol(getenv("PROOF_BENCH"), NULL, 10);

	schema_fresh("pf_bench");
	sql_both("CREATE TABLE pf_bench.t (id BIGINT PRIMARY KEY, a INT, "
	    "v VARCHAR(64), t TEXT, d DATETIME, x DOUBLE)");
	sql_both("INSERT INTO pf_bench.t SELECT seq, seq %% 1000, "
	    "MD5(seq), REPEAT('t', seq %% 100), '2024-01-01' + INTERVAL seq "
	    "SECOND, seq / 7 FROM pf_bench.seq_1_to_%ld", n);
	snapshot_open();
	p = run_proof("pf_bench", 0, &o);
	ck_assert_int_eq(o.rep->verdict, PROOF_OK);
	fprintf(stderr, "BENCH proof_%ld_rows %lld ms (%llu chunks)\n", n,
	    (long long)o.rep->elapsed_ms, (unsigned long long)o.rep->chunks);
	proof_free(p);
}
END_TEST

static void
nosnap_setup(void)
{
	struct mydb_opts	o;

	setup();
	/* A connection object that has never run a query. */
	mydb_free(snap[SRC]);
	memset(&o, 0, sizeof(o));
	o.name = "test source unopened";
	o.host = "127.0.0.1";
	o.port = mdb.source_port;
	o.user = "migrate";
	o.password = mdb.migrate_pw;
	snap[SRC] = mydb_new(base, &o);
}

/* --- replicated checksums: the target replicates from the source --- */

#define RDS_STATUS	"CALL mysql.rds_replica_status"

struct binpos {
	int	done;
	char	file[128], pos[32];
};

static void
binpos_cb(void *arg, struct mydb_result *res)
{
	struct binpos	*b = arg;
	const char	*f, *p;

	b->done = 1;
	f = res->err == 0 ? mydb_get(res, 0, "File") : NULL;
	p = res->err == 0 ? mydb_get(res, 0, "Position") : NULL;
	snprintf(b->file, sizeof(b->file), "%s", f ? f : "");
	snprintf(b->pos, sizeof(b->pos), "%s", p ? p : "");
}

/* The replica replicates from the source's current position on. */
static void
repl_start(void)
{
	struct binpos	 b = { 0 };
	char		 path[256], pw[128] = "";
	FILE		*f;

	snprintf(path, sizeof(path), "%s/db/secrets/repl", mdb.dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(pw, sizeof(pw), f));
	fclose(f);
	pw[strcspn(pw, "\n")] = '\0';
	sql_both("CREATE DATABASE IF NOT EXISTS migrated");
	ck_assert_int_eq(mydb_query(root[SRC], "SHOW MASTER STATUS",
	    binpos_cb, &b), 0);
	loop_until(&b.done);
	ck_assert_str_ne(b.file, "");
	sql_on(TGT, "STOP SLAVE");
	sql_on(TGT, "RESET SLAVE ALL");
	sql_on(TGT, "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT "
	    "= %d, MASTER_USER = 'repl', MASTER_PASSWORD = '%s', "
	    "MASTER_LOG_FILE = '%s', MASTER_LOG_POS = %s, MASTER_USE_GTID = "
	    "no", mdb.source_port, pw, b.file, b.pos);
	sql_on(TGT, "START SLAVE");
}

static void
repl_teardown(void)
{
	sql_on(TGT, "STOP SLAVE");
	sql_on(TGT, "RESET SLAVE ALL");
	teardown();
}

static struct proof *
run_repl(const char *schema, uint64_t run, struct outcome *o)
{
	const char	*schemas[] = { schema };
	struct proof	*p;

	memset(o, 0, sizeof(*o));
	p = proof_new_repl(base, run, "shop", RDS_STATUS, snap[SRC], snap[TGT],
	    schemas, 1, 7, done_cb, o);
	ck_assert_ptr_nonnull(p);
	loop_until(&o->calls);
	ck_assert_int_eq(o->calls, 1);
	return p;
}

static void
same_mismatch(const struct proof_mismatch *a, const struct proof_mismatch *b)
{
	ck_assert_int_eq(a->what, b->what);
	ck_assert_str_eq(a->table, b->table);
	ck_assert_pstr_eq(a->key, b->key);
	ck_assert_pstr_eq(a->lo, b->lo);
	ck_assert_pstr_eq(a->hi, b->hi);
	ck_assert_uint_eq(a->src_rows, b->src_rows);
	ck_assert_uint_eq(a->tgt_rows, b->tgt_rows);
}

START_TEST(replicated_identical_is_ok)
{
	struct outcome	 o;
	struct proof	*p;
	struct sqlres	 a = { 0 };

	schema_std("pr_same");
	repl_start();
	p = run_repl("pr_same", 7, &o);
	ck_assert_msg(o.rep->verdict == PROOF_OK, "verdict %s: %s",
	    proof_verdict_name(o.rep->verdict), o.rep->error ? o.rep->error :
	    o.rep->nlisted ? o.rep->mismatches[0].table : "");
	ck_assert_uint_eq(o.rep->tables, STD_TABLES);
	ck_assert_uint_eq(o.rep->chunks, STD_CHUNKS);
	ck_assert_uint_eq(o.rep->rows, STD_ROWS);
	ck_assert(has_note(o.rep, "pr_same.t_nopk: no primary key"));
	proof_free(p);
	/* Each chunk's row (and the end mark) computed on the target. */
	ck_assert_int_eq(mydb_query(root[TGT], "SELECT COUNT(*) FROM "
	    "migrated.checksums WHERE run = 7 AND this_cnt = master_cnt AND "
	    "this_a <=> master_a AND this_b <=> master_b", sqlres_cb, &a), 0);
	loop_until(&a.done);
	ck_assert_str_eq(a.value, "18");
	/* The source's own binary log format is untouched. */
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(mydb_query(root[SRC], "SELECT @@GLOBAL.binlog_format",
	    sqlres_cb, &a), 0);
	loop_until(&a.done);
	ck_assert_str_eq(a.value, "ROW");

	/* A second run replaces the first's rows. */
	p = run_repl("pr_same", 8, &o);
	ck_assert_int_eq(o.rep->verdict, PROOF_OK);
	proof_free(p);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(mydb_query(root[TGT], "SELECT COUNT(DISTINCT run) "
	    "FROM migrated.checksums", sqlres_cb, &a), 0);
	loop_until(&a.done);
	ck_assert_str_eq(a.value, "1");
}
END_TEST

/* The differences are the snapshot proof's, named alike. */
START_TEST(replicated_names_like_the_proof)
{
	struct outcome	 o, so;
	struct proof	*p, *sp;
	size_t		 i;

	schema_std("pr_diff");
	sql_on(TGT, "UPDATE pr_diff.t_int SET v = 'changed' WHERE id = 20");
	sql_on(TGT, "UPDATE pr_diff.t_comp SET d = d + 0.01 WHERE a = 5 AND "
	    "b = 'k2'");
	sql_on(TGT, "DELETE FROM pr_diff.t_uk WHERE v = 20");
	sql_on(TGT, "UPDATE pr_diff.t_nopk SET y = '' WHERE y IS NULL LIMIT 1");
	repl_start();
	p = run_repl("pr_diff", 9, &o);
	ck_assert_msg(o.rep->verdict == PROOF_MISMATCH, "verdict %s: %s",
	    proof_verdict_name(o.rep->verdict), o.rep->error ? o.rep->error :
	    "");
	ck_assert_uint_eq(o.rep->nmismatches, 4);
	ck_assert_uint_eq(o.rep->chunks, STD_CHUNKS);
	ck_assert_str_eq(o.rep->mismatches[0].table, "pr_diff.t_comp");
	ck_assert_str_eq(o.rep->mismatches[0].key, "(a, b)");
	ck_assert_str_eq(o.rep->mismatches[0].lo, "(4, 'k2')");
	ck_assert_str_eq(o.rep->mismatches[0].hi, "(7, 'k0')");
	ck_assert_str_eq(o.rep->mismatches[1].table, "pr_diff.t_int");
	ck_assert_str_eq(o.rep->mismatches[1].lo, "14");
	ck_assert_str_eq(o.rep->mismatches[1].hi, "21");
	ck_assert_str_eq(o.rep->mismatches[2].table, "pr_diff.t_nopk");
	ck_assert_ptr_null(o.rep->mismatches[2].key);
	ck_assert_int_eq(o.rep->mismatches[3].what, PROOF_MISSING_ON_TARGET);

	snapshot_open();
	sp = run_proof("pr_diff", 7, &so);
	ck_assert_uint_eq(so.rep->nmismatches, o.rep->nmismatches);
	for (i = 0; i < o.rep->nlisted; i++)
		same_mismatch(&o.rep->mismatches[i], &so.rep->mismatches[i]);
	proof_free(sp);
	proof_free(p);
}
END_TEST

START_TEST(replicated_stopped_target_is_an_error)
{
	struct outcome	 o;
	struct proof	*p;

	schema_std("pr_stop");
	repl_start();
	sql_on(TGT, "STOP SLAVE SQL_THREAD");
	p = run_repl("pr_stop", 10, &o);
	ck_assert_int_eq(o.rep->verdict, PROOF_ERROR);
	ck_assert_msg(strstr(o.rep->error, "its replication is not running "
	    "(IO thread Yes, SQL thread No)") != NULL, "%s", o.rep->error);
	proof_free(p);
}
END_TEST

static Suite *
proof_suite(void)
{
	Suite	*s = suite_create("proof");
	TCase	*tc;

	tc = tcase_create("compare");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, identical_is_ok);
	tcase_add_test(tc, changed_row_in_its_chunk);
	tcase_add_test(tc, changed_row_composite_key);
	tcase_add_test(tc, changed_row_binary_key);
	tcase_add_test(tc, deleted_row);
	tcase_add_test(tc, extra_row_beyond_the_last_key);
	tcase_add_test(tc, null_is_not_empty);
	tcase_add_test(tc, duplicates_without_a_key);
	tcase_add_test(tc, tables_and_columns_differ);
	tcase_add_test(tc, key_choice);
	tcase_add_test(tc, writes_after_the_snapshot_are_unseen);
	suite_add_tcase(s, tc);

	tc = tcase_create("streams");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, streams_identical_and_one_difference);
	tcase_add_test(tc, resume_compares_only_the_rest);
	suite_add_tcase(s, tc);

	tc = tcase_create("pure");
	tcase_add_test(tc, crc32c_versions);
	tcase_add_test(tc, chunk_sizes);
	tcase_add_test(tc, streams_bounds);
	tcase_add_test(tc, pace);
	suite_add_tcase(s, tc);

	tc = tcase_create("sessions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, source_killed_mid_proof);
	tcase_add_test(tc, target_killed_mid_proof);
	tcase_add_test(tc, cancelled_proof_is_silent);
	tcase_add_test(tc, free_from_done);
	tcase_add_test(tc, no_transaction_is_an_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("replicated");
	tcase_add_checked_fixture(tc, setup, repl_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, replicated_identical_is_ok);
	tcase_add_test(tc, replicated_names_like_the_proof);
	tcase_add_test(tc, replicated_stopped_target_is_an_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("unopened");
	tcase_add_checked_fixture(tc, nosnap_setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, no_snapshot_is_an_error);
	suite_add_tcase(s, tc);

	if (getenv("PROOF_BENCH") != NULL) {
		tc = tcase_create("bench");
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 600);
		tcase_add_test(tc, bench);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	return mdbpair_main("check_proof", proof_suite, 0);
}
