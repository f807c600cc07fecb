/*
 * copytab: tables, chunks and the copy of one chunk (see copytab.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "copytab.h"
#include "mydb.h"
#include "xmalloc.h"

int
copy_sql(MYSQL *my, const char *sql, char *why, size_t len)
{
	if (mysql_real_query(my, sql, strlen(sql)) == 0)
		return 0;
	snprintf(why, len, "%s (%.120s)", mysql_error(my), sql);
	return -1;
}

/* `it`, with backquotes doubled, onto f. */
static void
ident(FILE *f, const char *it)
{
	fputc('`', f);
	for (; *it != '\0'; it++) {
		if (*it == '`')
			fputc('`', f);
		fputc(*it, f);
	}
	fputc('`', f);
}

/* One query's rows, or NULL with why. */
static MYSQL_RES *
copy_rows(MYSQL *my, const char *sql, char *why, size_t len)
{
	MYSQL_RES	*res;

	if (copy_sql(my, sql, why, len) == -1)
		return NULL;
	if ((res = mysql_store_result(my)) == NULL)
		snprintf(why, len, "%s (%.120s)", mysql_error(my), sql);
	return res;
}

/* Strings in SQL: "'a', 'b'" from a NULL-terminated list. */
static char *
copy_in_list(char *const *items)
{
	char	*buf = NULL, *q;
	size_t	 len;
	FILE	*f;
	int	 i;

	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	for (i = 0; items[i] != NULL; i++) {
		q = mydb_quote(items[i]);
		fprintf(f, "%s%s", i ? ", " : "", q);
		free(q);
	}
	fclose(f);
	return buf;
}

/*
 * "SELECT <head> WHERE <alias>TABLE_SCHEMA = .. AND <alias>TABLE_NAME =
 * ..<tail>": a query about t from information_schema.
 */
static MYSQL_RES *
tab_query(MYSQL *my, const struct copy_tab *t, const char *head,
    const char *alias, const char *tail, char *why, size_t len)
{
	MYSQL_RES	*res;
	char		*sql, *qs, *qt;

	qs = mydb_quote(t->schema);
	qt = mydb_quote(t->name);
	sql = xasprintf("SELECT %s WHERE %sTABLE_SCHEMA = %s AND %sTABLE_NAME "
	    "= %s%s", head, alias, qs, alias, qt, tail);
	free(qs);
	free(qt);
	res = copy_rows(my, sql, why, len);
	free(sql);
	return res;
}

/*
 * The insertable columns of t and the row hash the chunk compare uses
 * (the proof's: columns joined with '#' and their NULL flags, MD5'd).
 */
static int
copy_tab_columns(MYSQL *my, struct copy_tab *t, char *why, size_t len)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	FILE		*c, *h, *nulls;
	char		*nb = NULL;
	size_t		 clen, hlen, nlen;
	int		 n = 0;

	if ((res = tab_query(my, t, "COLUMN_NAME FROM information_schema."
	    "COLUMNS", "", " AND IS_GENERATED = 'NEVER' ORDER BY "
	    "ORDINAL_POSITION", why, len)) == NULL)
		return -1;
	c = open_memstream(&t->cols, &clen);
	h = open_memstream(&t->hash, &hlen);
	nulls = open_memstream(&nb, &nlen);
	if (c == NULL || h == NULL || nulls == NULL)
		abort();
	fputs("MD5(CONCAT_WS('#'", h);
	while ((row = mysql_fetch_row(res)) != NULL) {
		fputs(n ? ", " : "", c);
		ident(c, row[0]);
		fputs(", ", h);
		ident(h, row[0]);
		fputs(n ? ", ISNULL(" : "ISNULL(", nulls);
		ident(nulls, row[0]);
		fputc(')', nulls);
		n++;
	}
	mysql_free_result(res);
	fclose(nulls);
	fprintf(h, ", CONCAT(%s)))", nb);
	free(nb);
	fclose(c);
	fclose(h);
	if (n == 0) {
		snprintf(why, len, "%s has no columns to copy", t->label);
		return -1;
	}
	return 0;
}

/* An integer type whose values fit a long long: not BIGINT UNSIGNED. */
static int
key_fits(const char *data_type, const char *column_type)
{
	static const char *const ints[] = {
		"tinyint", "smallint", "mediumint", "int", "bigint",
	};
	size_t	i;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (strcmp(data_type, ints[i]) == 0)
			return strcmp(data_type, "bigint") != 0 ||
			    strstr(column_type, "unsigned") == NULL;
	return 0;
}

/* The key column when the primary key is one such integer column. */
static int
copy_tab_key(MYSQL *my, struct copy_tab *t, char *why, size_t len)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	FILE		*f;
	size_t		 klen;

	if ((res = tab_query(my, t, "k.COLUMN_NAME, c.DATA_TYPE, "
	    "c.COLUMN_TYPE FROM information_schema.KEY_COLUMN_USAGE k JOIN "
	    "information_schema.COLUMNS c USING (TABLE_SCHEMA, TABLE_NAME, "
	    "COLUMN_NAME)", "k.", " AND k.CONSTRAINT_NAME = 'PRIMARY'", why,
	    len)) == NULL)
		return -1;
	if (mysql_num_rows(res) == 1 && (row = mysql_fetch_row(res)) != NULL &&
	    key_fits(row[1], row[2])) {
		if ((f = open_memstream(&t->key, &klen)) == NULL)
			abort();
		ident(f, row[0]);
		fclose(f);
	}
	mysql_free_result(res);
	return 0;
}

int
copy_tabs_list(MYSQL *my, char *const *schemas, struct copy_tab **out,
    int *ntabs, char *why, size_t len)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	struct copy_tab	*tabs, *t;
	char		*sql, *in, *buf;
	size_t		 blen;
	FILE		*f;
	int		 n = 0, i;

	in = copy_in_list(schemas);
	sql = xasprintf("SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_ROWS, "
	    "0), COALESCE(DATA_LENGTH, 0) FROM information_schema.TABLES WHERE "
	    "TABLE_SCHEMA IN (%s) AND TABLE_TYPE = 'BASE TABLE' ORDER BY "
	    "DATA_LENGTH DESC, TABLE_SCHEMA, TABLE_NAME", in);
	free(in);
	res = copy_rows(my, sql, why, len);
	free(sql);
	if (res == NULL)
		return -1;
	tabs = xcalloc(mysql_num_rows(res) + 1, sizeof(*tabs));
	while ((row = mysql_fetch_row(res)) != NULL) {
		t = &tabs[n++];
		t->schema = xstrdup(row[0]);
		t->name = xstrdup(row[1]);
		t->rows = strtoull(row[2], NULL, 10);
		t->bytes = strtoull(row[3], NULL, 10);
		t->label = xasprintf("%s.%s", t->schema, t->name);
		if ((f = open_memstream(&buf, &blen)) == NULL)
			abort();
		ident(f, t->schema);
		fputc('.', f);
		ident(f, t->name);
		fclose(f);
		t->full = buf;
	}
	mysql_free_result(res);
	*out = tabs;
	*ntabs = n;
	for (i = 0; i < n; i++)
		if (copy_tab_columns(my, &tabs[i], why, len) == -1 ||
		    copy_tab_key(my, &tabs[i], why, len) == -1)
			return -1;
	return 0;
}

void
copy_tabs_free(struct copy_tab *tabs, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(tabs[i].schema);
		free(tabs[i].name);
		free(tabs[i].full);
		free(tabs[i].label);
		free(tabs[i].cols);
		free(tabs[i].hash);
		free(tabs[i].key);
	}
	free(tabs);
}

static struct copy_chunk *
chunk_add(struct copy_chunk **v, int *n, int *cap, int tab)
{
	struct copy_chunk	*c;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	c = &(*v)[(*n)++];
	memset(c, 0, sizeof(*c));
	c->tab = tab;
	return c;
}

/*
 * Walk t's key in steps of about COPY_CHUNK_BYTES worth of rows: each
 * boundary is the key COPY_CHUNK_BYTES / row size rows past the last.
 */
static int
chunks_walk(MYSQL *my, const struct copy_tab *t, int tab, uint64_t rows,
    struct copy_chunk **v, int *n, int *cap, char *why, size_t len)
{
	struct copy_chunk	*c;
	MYSQL_RES		*res;
	MYSQL_ROW		 row;
	uint64_t		 step, per;
	char			*sql;
	long long		 last = 0;
	int			 has_last = 0, k = 0, more = 1;

	per = t->rows > 0 ? t->bytes / t->rows : 256;
	step = COPY_CHUNK_BYTES / (per > 0 ? per : 1);
	if (step < 1000)
		step = 1000;
	if (rows > 0)
		step = rows;
	while (more) {
		if (has_last)
			sql = xasprintf("SELECT %s FROM %s WHERE %s > %lld ORDER "
			    "BY %s LIMIT 1 OFFSET %" PRIu64, t->key, t->full,
			    t->key, last, t->key, step - 1);
		else
			sql = xasprintf("SELECT %s FROM %s ORDER BY %s LIMIT 1 "
			    "OFFSET %" PRIu64, t->key, t->full, t->key,
			    step - 1);
		res = copy_rows(my, sql, why, len);
		free(sql);
		if (res == NULL)
			return -1;
		c = chunk_add(v, n, cap, tab);
		c->n = k++;
		c->has_lo = has_last;
		c->lo = last;
		c->bytes = step * per;
		if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL) {
			c->has_hi = 1;
			c->hi = last = strtoll(row[0], NULL, 10);
			has_last = 1;
		} else
			more = 0;	/* the last chunk is open */
		mysql_free_result(res);
	}
	return 0;
}

int
copy_chunks_plan(MYSQL *my, const struct copy_tab *tabs, int ntabs,
    uint64_t rows, struct copy_chunk **out, int *nchunks, char *why,
    size_t len)
{
	struct copy_chunk	*v = NULL, *c;
	int			 n = 0, cap = 0, i;

	for (i = 0; i < ntabs; i++) {
		if (tabs[i].key != NULL && (rows > 0 ? tabs[i].rows > rows :
		    tabs[i].bytes > COPY_CHUNK_BYTES)) {
			if (chunks_walk(my, &tabs[i], i, rows, &v, &n, &cap,
			    why, len) == -1) {
				free(v);
				return -1;
			}
			continue;
		}
		c = chunk_add(&v, &n, &cap, i);
		c->bytes = tabs[i].bytes;
	}
	*out = v;
	*nchunks = n;
	return 0;
}

int
copy_chunks_record(MYSQL *tgt, const char *owner, const struct copy_tab *tabs,
    const struct copy_chunk *v, int n, char *why, size_t len)
{
	const struct copy_chunk	*c;
	char			*buf = NULL, *qo, *ql, lo[32], hi[32];
	size_t			 blen;
	FILE			*f;
	int			 i, rc;

	qo = mydb_quote(owner);
	if ((f = open_memstream(&buf, &blen)) == NULL)
		abort();
	fputs("INSERT INTO " COPY_CHUNKS_TABLE " (owner, tbl, n, lo, hi, "
	    "bytes) VALUES ", f);
	for (i = 0; i < n; i++) {
		c = &v[i];
		snprintf(lo, sizeof(lo), c->has_lo ? "%lld" : "NULL", c->lo);
		snprintf(hi, sizeof(hi), c->has_hi ? "%lld" : "NULL", c->hi);
		ql = mydb_quote(tabs[c->tab].label);
		fprintf(f, "%s(%s, %s, %d, %s, %s, %" PRIu64 ")", i ? ", " : "",
		    qo, ql, c->n, lo, hi, c->bytes);
		free(ql);
	}
	fclose(f);
	free(qo);
	rc = copy_sql(tgt, "START TRANSACTION", why, len) == -1 ||
	    (n > 0 && copy_sql(tgt, buf, why, len) == -1) ||
	    copy_sql(tgt, "COMMIT", why, len) == -1 ? -1 : 0;
	free(buf);
	return rc;
}

static int
tab_find(const struct copy_tab *tabs, int ntabs, const char *label)
{
	int	i;

	for (i = 0; i < ntabs; i++)
		if (strcmp(tabs[i].label, label) == 0)
			return i;
	return -1;
}

int
copy_chunks_load(MYSQL *tgt, const char *owner, const struct copy_tab *tabs,
    int ntabs, struct copy_chunk **out, int *nchunks, char *why, size_t len)
{
	struct copy_chunk	*v = NULL, *c;
	MYSQL_RES		*res;
	MYSQL_ROW		 row;
	char			*sql, *qo;
	int			 n = 0, cap = 0, tab;

	qo = mydb_quote(owner);
	sql = xasprintf("SELECT tbl, n, lo, hi, bytes, done FROM "
	    COPY_CHUNKS_TABLE " WHERE owner = %s ORDER BY bytes DESC, tbl, n",
	    qo);
	free(qo);
	res = copy_rows(tgt, sql, why, len);
	free(sql);
	if (res == NULL)
		return -1;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if ((tab = tab_find(tabs, ntabs, row[0])) == -1) {
			snprintf(why, len, "the recorded chunks name %s, which "
			    "the source no longer has", row[0]);
			mysql_free_result(res);
			free(v);
			return -1;
		}
		c = chunk_add(&v, &n, &cap, tab);
		c->n = atoi(row[1]);
		if ((c->has_lo = row[2] != NULL))
			c->lo = strtoll(row[2], NULL, 10);
		if ((c->has_hi = row[3] != NULL))
			c->hi = strtoll(row[3], NULL, 10);
		c->bytes = strtoull(row[4], NULL, 10);
		c->state = atoi(row[5]) ? CHUNK_KEPT : CHUNK_PENDING;
	}
	mysql_free_result(res);
	*out = v;
	*nchunks = n;
	return 0;
}

/* " WHERE key > lo AND key <= hi", or "" for a whole table. */
static void
chunk_where(FILE *f, const struct copy_tab *t, const struct copy_chunk *c)
{
	if (t->key == NULL || (!c->has_lo && !c->has_hi))
		return;
	fputs(" WHERE ", f);
	if (c->has_lo)
		fprintf(f, "%s > %lld", t->key, c->lo);
	if (c->has_lo && c->has_hi)
		fputs(" AND ", f);
	if (c->has_hi)
		fprintf(f, "%s <= %lld", t->key, c->hi);
}

static char *
chunk_sql(const char *head, const char *what, const struct copy_tab *t,
    const struct copy_chunk *c)
{
	char	*buf = NULL;
	size_t	 len;
	FILE	*f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	fprintf(f, "%s%s FROM %s", head, what, t->full);
	chunk_where(f, t, c);
	fclose(f);
	return buf;
}

/* One value of a row as SQL: NULL, a number, X'..' for bytes, or '..'. */
static void
value_sql(MYSQL *tgt, FILE *f, const MYSQL_FIELD *fd, const char *v,
    unsigned long n, char **esc, size_t *esclen)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned long		i;

	if (v == NULL) {
		fputs("NULL", f);
		return;
	}
	if (IS_NUM(fd->type) && fd->type != MYSQL_TYPE_TIMESTAMP) {
		fwrite(v, 1, n, f);
		return;
	}
	if (fd->charsetnr == 63) {
		fputs("X'", f);
		for (i = 0; i < n; i++) {
			fputc(hex[(unsigned char)v[i] >> 4], f);
			fputc(hex[(unsigned char)v[i] & 0xf], f);
		}
		fputc('\'', f);
		return;
	}
	if (*esclen < 2 * n + 1) {
		*esclen = 2 * n + 1;
		*esc = xreallocarray(*esc, *esclen, 1);
	}
	fputc('\'', f);
	fwrite(*esc, 1, mysql_real_escape_string(tgt, *esc, v, n), f);
	fputc('\'', f);
}

struct batch {
	char	*buf;
	size_t	 len;
	FILE	*f;
	int	 rows;
};

static void
batch_open(struct batch *b, const struct copy_tab *t)
{
	if ((b->f = open_memstream(&b->buf, &b->len)) == NULL)
		abort();
	fprintf(b->f, "INSERT INTO %s (%s) VALUES ", t->full, t->cols);
	b->rows = 0;
}

/* Send what the batch holds; it is open again after. */
static int
batch_send(MYSQL *tgt, struct batch *b, const struct copy_tab *t, char *why,
    size_t len)
{
	int	rc = 0;

	fclose(b->f);
	if (b->rows > 0 && mysql_real_query(tgt, b->buf, b->len) != 0) {
		snprintf(why, len, "target: %s: %s", t->label,
		    mysql_error(tgt));
		rc = -1;
	}
	free(b->buf);
	b->buf = NULL;
	batch_open(b, t);
	return rc;
}

static int
chunk_stream(MYSQL *src, MYSQL *tgt, const struct copy_tab *t,
    MYSQL_RES *res, volatile uint64_t *rows, volatile uint64_t *bytes,
    char *why, size_t len)
{
	MYSQL_FIELD	*fds = mysql_fetch_fields(res);
	unsigned int	 nf = mysql_num_fields(res), i;
	unsigned long	*lens, sum;
	MYSQL_ROW	 row;
	struct batch	 b;
	char		*esc = NULL;
	size_t		 esclen = 0;
	int		 rc = 0;

	batch_open(&b, t);
	while (rc == 0 && (row = mysql_fetch_row(res)) != NULL) {
		lens = mysql_fetch_lengths(res);
		fputs(b.rows ? ",(" : "(", b.f);
		for (i = 0, sum = 0; i < nf; i++) {
			if (i > 0)
				fputc(',', b.f);
			value_sql(tgt, b.f, &fds[i], row[i], lens[i], &esc,
			    &esclen);
			sum += lens[i];
		}
		fputc(')', b.f);
		b.rows++;
		__atomic_add_fetch(rows, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(bytes, sum, __ATOMIC_RELAXED);
		if ((size_t)ftell(b.f) >= COPY_BATCH_BYTES)
			rc = batch_send(tgt, &b, t, why, len);
	}
	if (rc == 0 && mysql_errno(src) != 0) {
		snprintf(why, len, "source: %s: %s", t->label, mysql_error(src));
		rc = -1;
	}
	if (rc == 0)
		rc = batch_send(tgt, &b, t, why, len);
	fclose(b.f);
	free(b.buf);
	free(esc);
	return rc;
}

int
copy_chunk_copy(MYSQL *src, MYSQL *tgt, const char *owner,
    const struct copy_tab *t, const struct copy_chunk *c, int clear,
    volatile uint64_t *rows, volatile uint64_t *bytes, char *why, size_t len)
{
	MYSQL_RES	*res;
	char		*sql, *qo, *ql;
	int		 rc;

	if (copy_sql(tgt, "START TRANSACTION", why, len) == -1)
		return -1;
	if (clear) {
		sql = chunk_sql("DELETE", "", t, c);
		rc = copy_sql(tgt, sql, why, len);
		free(sql);
		if (rc == -1)
			return -1;
	}
	sql = chunk_sql("SELECT ", t->cols, t, c);
	rc = copy_sql(src, sql, why, len);
	free(sql);
	if (rc == -1)
		return -1;
	if ((res = mysql_use_result(src)) == NULL) {
		snprintf(why, len, "source: %s: %s", t->label, mysql_error(src));
		return -1;
	}
	rc = chunk_stream(src, tgt, t, res, rows, bytes, why, len);
	mysql_free_result(res);
	if (rc == -1)
		return -1;
	qo = mydb_quote(owner);
	ql = mydb_quote(t->label);
	sql = xasprintf("UPDATE " COPY_CHUNKS_TABLE " SET done = 1 WHERE owner "
	    "= %s AND tbl = %s AND n = %d", qo, ql, c->n);
	free(qo);
	free(ql);
	rc = copy_sql(tgt, sql, why, len);
	free(sql);
	if (rc == -1)
		return -1;
	return copy_sql(tgt, "COMMIT", why, len);
}

/* "n a b" of the chunk's rows: count and the two halves' sums. */
static int
chunk_sum(MYSQL *my, const struct copy_tab *t, const struct copy_chunk *c,
    char *out, size_t outlen, char *why, size_t len)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	char		*what, *sql;

	what = xasprintf("COUNT(*), SUM(CAST(CONV(LEFT(%s, 16), 16, 10) AS "
	    "UNSIGNED)), SUM(CAST(CONV(RIGHT(%s, 16), 16, 10) AS UNSIGNED))",
	    t->hash, t->hash);
	sql = chunk_sql("SELECT ", what, t, c);
	free(what);
	res = copy_rows(my, sql, why, len);
	free(sql);
	if (res == NULL)
		return -1;
	if ((row = mysql_fetch_row(res)) == NULL) {
		mysql_free_result(res);
		snprintf(why, len, "%s: no checksum row", t->label);
		return -1;
	}
	snprintf(out, outlen, "%s %s %s", row[0], row[1] ? row[1] : "-",
	    row[2] ? row[2] : "-");
	mysql_free_result(res);
	return 0;
}

int
copy_chunk_same(MYSQL *src, MYSQL *tgt, const struct copy_tab *t,
    const struct copy_chunk *c, char *why, size_t len)
{
	char	a[128], b[128];

	if (chunk_sum(src, t, c, a, sizeof(a), why, len) == -1 ||
	    chunk_sum(tgt, t, c, b, sizeof(b), why, len) == -1)
		return -1;
	return strcmp(a, b) == 0;
}
