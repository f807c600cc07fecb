/*
 * check_copy: the seed's tables and chunks (daemon/copytab.c) on the real
 * MariaDB pair: which columns and keys a table is copied by, how it is cut,
 * the plan kept on the target, one chunk copied with values that need care
 * (NULL, bytes, quotes, backslashes, BIT, FLOAT, DATETIME(3), a generated
 * column), and the compare that tells a kept chunk from a changed one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <mysql.h>

#include "copytab.h"
#include "mdbpair.h"

static MYSQL *
root(const char *sock)
{
	MYSQL	*my = mysql_init(NULL);

	ck_assert_ptr_nonnull(my);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	ck_assert_msg(mysql_real_connect(my, NULL, "root", NULL, NULL, 0,
	    sock, 0) != NULL, "%s", mysql_error(my));
	return my;
}

static void
sql(MYSQL *my, const char *q)
{
	char	why[1024];

	ck_assert_msg(copy_sql(my, q, why, sizeof(why)) == 0, "%s", why);
}

/* The same for a statement whose rows nobody reads (ANALYZE TABLE). */
static void
sql_drop(MYSQL *my, const char *q)
{
	sql(my, q);
	mysql_free_result(mysql_store_result(my));
}

static char *
one(MYSQL *my, const char *q)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	char		*v;

	sql(my, q);
	res = mysql_store_result(my);
	ck_assert_ptr_nonnull(res);
	row = mysql_fetch_row(res);
	ck_assert_ptr_nonnull(row);
	v = strdup(row[0] ? row[0] : "NULL");
	mysql_free_result(res);
	return v;
}

/*
 * c1: 1000 rows on an integer key; c2: odd values, a composite key; c3:
 * a BIGINT UNSIGNED key with its largest value.
 */
static void
setup_tables(MYSQL *src, MYSQL *tgt)
{
	static const char *const ddl[] = {
		"DROP DATABASE IF EXISTS cp",
		"CREATE DATABASE cp",
		"CREATE TABLE cp.c1 (id INT PRIMARY KEY, v VARCHAR(20))",
		"CREATE TABLE cp.c2 (a VARCHAR(10), b INT, c BLOB, d BIT(3), "
		"e FLOAT, f DATETIME(3), g INT AS (b * 2) VIRTUAL, "
		"PRIMARY KEY (a, b))",
		"CREATE TABLE cp.c3 (id BIGINT UNSIGNED PRIMARY KEY)",
	};
	size_t	i;

	for (i = 0; i < sizeof(ddl) / sizeof(ddl[0]); i++) {
		sql(src, ddl[i]);
		sql(tgt, ddl[i]);
	}
	sql(src, "INSERT INTO cp.c1 SELECT seq, CONCAT('v', seq) FROM "
	    "cp.seq_1_to_1000");
	sql(src, "INSERT INTO cp.c2 (a, b, c, d, e, f) VALUES "
	    "('x', 1, X'00FF275C', b'101', 1.5, '2020-01-01 00:00:00.123'), "
	    "('it''s', 2, NULL, NULL, NULL, NULL), "
	    "('b\\\\s', 3, '', b'0', -0.25, NULL)");
	sql(src, "INSERT INTO cp.c3 VALUES (1), (18446744073709551615)");
	sql(tgt, "CREATE DATABASE IF NOT EXISTS migrated");
	sql(tgt, "DROP TABLE IF EXISTS " COPY_CHUNKS_TABLE);
	sql(tgt, "CREATE TABLE " COPY_CHUNKS_TABLE " (owner VARCHAR(64) NOT "
	    "NULL, tbl VARCHAR(200) NOT NULL, n INT NOT NULL, lo BIGINT NULL, "
	    "hi BIGINT NULL, bytes BIGINT UNSIGNED NOT NULL, done TINYINT NOT "
	    "NULL DEFAULT 0, PRIMARY KEY (owner, tbl, n))");
	sql_drop(src, "ANALYZE TABLE cp.c1, cp.c2, cp.c3");
}

static struct copy_tab *
tab_named(struct copy_tab *tabs, int n, const char *name)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(tabs[i].name, name) == 0)
			return &tabs[i];
	ck_abort_msg("no table %s", name);
	return NULL;
}

START_TEST(test_tables_chunks_copy)
{
	char *const		 schemas[] = { "cp", NULL };
	MYSQL			*src = root(mdb.source_sock);
	MYSQL			*tgt = root(mdb.replica_sock);
	struct copy_tab		*tabs, *c1, *c2;
	struct copy_chunk	*v, *w;
	volatile uint64_t	 rows = 0, bytes = 0;
	char			 why[1024], *a, *b;
	int			 ntabs, n, nw, i, kept;

	setup_tables(src, tgt);
	ck_assert_msg(copy_tabs_list(src, schemas, &tabs, &ntabs, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(ntabs, 3);
	c1 = tab_named(tabs, ntabs, "c1");
	c2 = tab_named(tabs, ntabs, "c2");
	ck_assert_str_eq(c1->key, "`id`");
	ck_assert_ptr_null(c2->key);		/* composite: one chunk */
	/* BIGINT UNSIGNED: past a long long, so one chunk too. */
	ck_assert_ptr_null(tab_named(tabs, ntabs, "c3")->key);
	ck_assert_str_eq(c2->cols, "`a`, `b`, `c`, `d`, `e`, `f`");

	/* 100 rows a chunk: (-inf, 100], (100, 200], ..., (1000, +inf). */
	ck_assert_msg(copy_chunks_plan(src, tabs, ntabs, 100, &v, &n, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(n, 13);
	for (i = 0, kept = 0; i < n; i++) {
		if (&tabs[v[i].tab] != c1)
			continue;
		ck_assert_int_eq(v[i].has_lo, kept > 0);
		if (kept > 0 && kept < 10)
			ck_assert_int_eq(v[i].lo, kept * 100);
		ck_assert_int_eq(v[i].has_hi, kept < 10);
		kept++;
	}
	ck_assert_int_eq(kept, 11);

	ck_assert_msg(copy_chunks_record(tgt, "t", tabs, v, n, why,
	    sizeof(why)) == 0, "%s", why);
	for (i = 0; i < n; i++)
		ck_assert_msg(copy_chunk_copy(src, tgt, "t", &tabs[v[i].tab],
		    &v[i], 0, &rows, &bytes, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(rows, 1005);
	a = one(src, "SELECT COUNT(*) FROM cp.c1");
	b = one(tgt, "SELECT COUNT(*) FROM cp.c1");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	a = one(src, "SELECT GROUP_CONCAT(CONCAT_WS(',', a, b, HEX(c), d, e, "
	    "f, g) ORDER BY b) FROM cp.c2");
	b = one(tgt, "SELECT GROUP_CONCAT(CONCAT_WS(',', a, b, HEX(c), d, e, "
	    "f, g) ORDER BY b) FROM cp.c2");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);

	/* The plan read back: every chunk kept; compare tells them apart. */
	ck_assert_msg(copy_chunks_load(tgt, "t", tabs, ntabs, &w, &nw, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(nw, n);
	for (i = 0; i < nw; i++) {
		ck_assert_int_eq(w[i].state, CHUNK_KEPT);
		ck_assert_int_eq(copy_chunk_same(src, tgt, &tabs[w[i].tab],
		    &w[i], why, sizeof(why)), 1);
	}
	sql(tgt, "UPDATE cp.c1 SET v = 'changed' WHERE id = 150");
	sql(tgt, "DELETE FROM cp.c2 WHERE b = 2");
	for (i = 0, kept = 0; i < nw; i++)
		kept += copy_chunk_same(src, tgt, &tabs[w[i].tab], &w[i], why,
		    sizeof(why));
	ck_assert_int_eq(kept, nw - 2);
	/* Copied again with its range emptied first: the same again. */
	for (i = 0; i < nw; i++)
		if (copy_chunk_same(src, tgt, &tabs[w[i].tab], &w[i], why,
		    sizeof(why)) == 0)
			ck_assert_msg(copy_chunk_copy(src, tgt, "t",
			    &tabs[w[i].tab], &w[i], 1, &rows, &bytes, why,
			    sizeof(why)) == 0, "%s", why);
	for (i = 0; i < nw; i++)
		ck_assert_int_eq(copy_chunk_same(src, tgt, &tabs[w[i].tab],
		    &w[i], why, sizeof(why)), 1);
	free(v);
	free(w);
	copy_tabs_free(tabs, ntabs);
	mysql_close(src);
	mysql_close(tgt);
}
END_TEST

static Suite *
copy_suite(void)
{
	Suite	*s = suite_create("copy");
	TCase	*tc = tcase_create("copy");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tables_chunks_copy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return mdbpair_main("check_copy", copy_suite, 0);
}
