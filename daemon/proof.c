/*
 * proof: the chunked checksum comparison of the target with the frozen
 * source, on N pairs of connections (streams) whose every session holds a
 * consistent snapshot of the same point. It owns the table metadata of
 * both sides, the walks along the tables' keys, the queue of chunks, and
 * the report.
 *
 * A table's chunks are (-inf, b1], (b1, b2], ..., (bn, +inf) for bounds
 * found on the source: whatever the bounds, they partition each side's
 * rows, so a row is never left out, and the last chunk holds whatever the
 * target has beyond the source's last key. A walk finds its bounds one
 * after the other (each from the last), so it asks one at a time, on
 * whichever stream is idle; the chunks it finds go into one queue, and
 * every idle stream takes the next chunk and checksums it on its source
 * and its target session at once. Several tables are walked at a time, so
 * N streams keep busy on one big table or on many small ones. Each session
 * has at most one query in flight. A stream that is asked for a bound
 * while the queue is short finds it first: the walks run ahead of the
 * checksums by about one chunk per stream.
 *
 * Resumable: for each table, the chunks from its start that were compared
 * and matched, without a gap, end at a mark (the upper bound of the last
 * of them); the marks and the tables done are a small JSON state that the
 * caller may keep (proof_state()) and give back to a later proof
 * (proof_resume()), which then walks each table from its mark and skips
 * the tables done. What the state says stays proven at the point where it
 * was compared; the key ranges it covers are not read again.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <mysqld_error.h>

#include "log.h"
#include "mydb.h"
#include "mydialect.h"
#include "now.h"
#include "proof.h"
#include "xmalloc.h"

#define PROOF_CHUNK_ROWS	1000
#define PROOF_SRC		0
#define PROOF_TGT		1
#define PROOF_POLL_MS		250	/* the target's checksums, again */
#define PROOF_CHECK_MS		5000	/* none applied: its replica status */
#define PROOF_STALL_MS		600000	/* none applied, replicating: fail */
#define PROOF_SAVE_MS		1000	/* the state, at most this often */
#define PROOF_CHUNK_MS		100	/* adaptive chunks: about this long */
#define PROOF_CHUNK_GROW	4	/* at most this factor a chunk */
#define PROOF_CHUNK_MAX		1000000	/* rows */

/* How a key column's values are written back into SQL. */
enum proof_kind {
	PROOF_K_NONE,		/* cannot bound a chunk: one chunk per table */
	PROOF_K_NUM,		/* bare number */
	PROOF_K_STR,		/* quoted string (text, dates and times) */
	PROOF_K_BIN,		/* read as HEX(), written as X'...' */
};

struct proof_col {
	char		*name;
	char		*type;		/* DATA_TYPE, lower case */
	char		*coll;		/* COLLATION_NAME or NULL */
	int		 nullable;
	long		 pos;
};

struct proof_idx {
	char		*name;
	char		**cols;		/* by SEQ_IN_INDEX - 1 */
	size_t		 ncols;
	int		 bad;		/* prefix or expression part */
};

/* A table as one side sees it. */
struct proof_tab {
	char			*schema, *name, *engine;
	struct proof_col	*cols;
	size_t			 ncols;
	struct proof_idx	*idx;		/* unique indexes (source) */
	size_t			 nidx;
	uint64_t		 est_rows;	/* information_schema's */
	uint64_t		 est_bytes;	/* DATA_LENGTH */
};

/* One side's metadata, read on the first stream. */
struct proof_side {
	const char		*label;		/* "source", "target" */
	struct proof_tab	*tabs;		/* sorted by schema, name */
	size_t			 ntabs;
};

struct proof_pair {
	struct proof_tab	*s, *t;		/* NULL: not on that side */
};

struct proof_walk;

/* (lo, hi] of a walk's table; NULL: an open end. */
struct proof_chunk {
	struct proof_chunk	*next;		/* queue, or a walk's done */
	struct proof_walk	*w;
	char			**lo, **hi;
	uint64_t		 seq;		/* in its walk, from 0 */
	uint64_t		 rows;		/* the source's, once compared */
	int			 matched;
	int64_t			 t0_us;		/* checksums sent */
};

/* One table being compared. */
struct proof_walk {
	size_t			 pair;		/* in p->pairs */
	struct proof_tab	*tab;		/* the source's */
	char			*full;		/* "schema.table" */
	char			*keytext;	/* "id", "(a, b)"; NULL: none */
	size_t			 nkey;
	size_t			*key;		/* into the source's cols */
	enum proof_kind		*kind;
	char			*sum_head;	/* SELECT ... FROM t */
	char			*bound_head;	/* SELECT key FROM t FORCE.. */
	char			*bound_tail;	/* ORDER BY .. */
	int			 rows;		/* the next chunk's size */
	char			**last;		/* hi of the last chunk queued */
	int			 asking;	/* a bound in flight */
	int			 ended;		/* the open-ended chunk queued */
	uint64_t		 seq;		/* chunks queued */
	uint64_t		 inflight;	/* queued, not yet compared */
	uint64_t		 next_mark;	/* first seq beyond the mark */
	struct proof_chunk	*done;		/* compared beyond it, by seq */
	char			**mark;		/* (-inf, mark] matched */
	int			 broken;	/* a mismatch: the mark stays */
	uint64_t		 mark_rows, mark_chunks;
	uint64_t		 bytes;		/* counted in bytes_done */
	double			 row_bytes;	/* estimated */
};

enum proof_busy {
	PROOF_B_IDLE,
	PROOF_B_META,		/* setting the sessions up */
	PROOF_B_BOUND,		/* finding a walk's next bound */
	PROOF_B_SUM,		/* checksumming a chunk */
};

/* One pair of sessions, each inside its snapshot. */
struct proof_stream {
	struct proof		*p;
	size_t			 idx;
	struct mydb		*db[2];
	unsigned long		 tid[2];	/* the snapshots' sessions */
	int			 step[2];	/* enum proof_step */
	int			 busy;		/* enum proof_busy */
	struct proof_walk	*w;		/* the bound asked for */
	struct proof_chunk	*c;		/* the chunk checksummed */
	int			 sums;		/* answers due */
	char			*sum[2][3];	/* count and sums of a chunk */
};

struct proof {
	struct proof_stream	*st;
	size_t			 nst;
	struct proof_side	 side[2];
	char			*in;		/* "'a', 'b'": the schemas */
	size_t			 nschemas;
	int			 chunk_rows;	/* the first chunks' size */
	int			 adaptive;	/* then sized by their time */
	int			 crc;		/* CRC32 + CRC32C, else MD5 */
	proof_cb		 done;
	void			*arg;
	struct event		*ev_done;	/* done, from the loop */
	int			 listed;	/* sides with metadata read */
	int			 finished;
	int64_t			 t0_us;

	struct proof_pair	*pairs;
	size_t			 npairs, cur;	/* the next pair to start */
	struct proof_walk	**walks;	/* by pair; NULL: not active */
	size_t			 nwalks;
	struct proof_chunk	*queue, **qtail;
	size_t			 nqueue;

	/* Resume: the state given and the state now. */
	json_t			*resume;	/* "tables": {full: {...}} */
	json_t			*state;
	proof_save_cb		 save;
	void			*save_arg;
	int64_t			 saved_us;
	struct event		*ev_save;	/* a save held back */

	/* Replicated checksums (proof_new_repl): the run, the chunks. */
	int			 repl;
	uint64_t		 run;
	uint64_t		 rchunk;	/* chunks written so far */
	struct event		*ev;		/* the target's poll */
	int			 waiting;	/* for the target */
	uint64_t		 applied;	/* chunks there */
	int64_t			 stall_us;	/* last progress there */
	int64_t			 check_us;	/* last replica status read */
	char			*status_sql;	/* the target's replica
						   status */
	char			*owner;		/* whose rows (a name) */

	struct proof_report	 rep;
	char			 progress[320];
};

static void	proof_pump(struct proof *);

static char *
proof_lower(const char *s)
{
	char	*p, *q;

	p = xstrdup(s != NULL ? s : "");
	for (q = p; *q != '\0'; q++)
		*q = tolower((unsigned char)*q);
	return p;
}

/* A string built piece by piece; proof_sb_end() returns it. */
static FILE *
proof_sb(char **buf, size_t *len)
{
	FILE	*f;

	if ((f = open_memstream(buf, len)) == NULL)
		fatal("open_memstream");
	return f;
}

static char *
proof_sb_end(FILE *f, char **buf)
{
	if (fclose(f) != 0)
		fatal("open_memstream");
	return *buf;
}

/* `name`, backticks doubled. */
static void
proof_ident(FILE *f, const char *name)
{
	const char	*c;

	fputc('`', f);
	for (c = name; *c != '\0'; c++) {
		if (*c == '`')
			fputc('`', f);
		fputc(*c, f);
	}
	fputc('`', f);
}

static int
proof_is_number(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v != '\0'; v++)
		if (!isdigit((unsigned char)*v) && strchr("+-.eE", *v) == NULL)
			return 0;
	return 1;
}

static int
proof_is_hex(const char *v)
{
	for (; *v != '\0'; v++)
		if (!isxdigit((unsigned char)*v))
			return 0;
	return 1;
}

/* A key value as an SQL literal that compares the way the index sorts. */
static void
proof_literal(FILE *f, enum proof_kind kind, const char *v)
{
	char	*q;

	if (kind == PROOF_K_NUM && proof_is_number(v)) {
		fputs(v, f);
		return;
	}
	if (kind == PROOF_K_BIN && proof_is_hex(v)) {
		fprintf(f, "X'%s'", v);
		return;
	}
	q = mydb_quote(v);
	fputs(q, f);
	free(q);
}

/* A key value for people: 42, 'text' (quotes doubled), 0x00ff. */
static void
proof_show(FILE *f, enum proof_kind kind, const char *v)
{
	const char	*c;

	if (kind == PROOF_K_NUM) {
		fputs(v, f);
		return;
	}
	if (kind == PROOF_K_BIN) {
		fprintf(f, "0x%s", v);
		return;
	}
	fputc('\'', f);
	for (c = v; *c != '\0'; c++) {
		if (*c == '\'')
			fputc('\'', f);
		fputc(*c, f);
	}
	fputc('\'', f);
}

static enum proof_kind
proof_kind_of(const char *type)
{
	static const char *const num[] = { "tinyint", "smallint",
	    "mediumint", "int", "integer", "bigint", "decimal", "numeric",
	    "float", "double", "real", "year", NULL };
	static const char *const str[] = { "char", "varchar", "date",
	    "datetime", "timestamp", "time", NULL };
	static const char *const bin[] = { "binary", "varbinary", NULL };
	size_t	i;

	for (i = 0; num[i] != NULL; i++)
		if (strcmp(type, num[i]) == 0)
			return PROOF_K_NUM;
	for (i = 0; str[i] != NULL; i++)
		if (strcmp(type, str[i]) == 0)
			return PROOF_K_STR;
	for (i = 0; bin[i] != NULL; i++)
		if (strcmp(type, bin[i]) == 0)
			return PROOF_K_BIN;
	return PROOF_K_NONE;
}

/* Long values are hashed on their own first: a short concatenation. */
static int
proof_is_long(const char *type)
{
	return strstr(type, "blob") != NULL || strstr(type, "text") != NULL ||
	    strcmp(type, "json") == 0;
}

/* --- the report --- */

/* A difference in table full, along key keytext (NULL: no key). */
static void
proof_mismatch_in(struct proof *p, const char *full, const char *keytext,
    enum proof_what what, char *lo, char *hi, uint64_t src_rows,
    uint64_t tgt_rows, char *detail)
{
	struct proof_report	*r = &p->rep;
	struct proof_mismatch	*m;
	char			 range[512] = "";
	int			 chunk = what <= PROOF_EXTRA_ON_TARGET;

	/* Counted always, listed and logged up to the cap. */
	r->nmismatches++;
	if (r->nlisted == PROOF_MISMATCH_MAX) {
		free(lo);
		free(hi);
		free(detail);
		return;
	}
	if (chunk)
		snprintf(range, sizeof(range), " in %s (%s, %s], source %llu "
		    "rows, target %llu", keytext != NULL ? keytext :
		    "the whole table", lo != NULL ? lo : "-inf",
		    hi != NULL ? hi : "+inf", (unsigned long long)src_rows,
		    (unsigned long long)tgt_rows);
	log_warnx("proof: %s: %s%s%s%s", full, proof_what_name(what), range,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	if (r->mismatches == NULL)
		r->mismatches = xcalloc(PROOF_MISMATCH_MAX,
		    sizeof(*r->mismatches));
	m = &r->mismatches[r->nlisted++];
	m->what = what;
	m->table = xstrdup(full);
	m->key = chunk && keytext != NULL ? xstrdup(keytext) : NULL;
	m->lo = lo;
	m->hi = hi;
	m->src_rows = src_rows;
	m->tgt_rows = tgt_rows;
	m->detail = detail;
}

static void __attribute__((format(printf, 2, 3)))
proof_note(struct proof *p, const char *fmt, ...)
{
	struct proof_report	*r = &p->rep;
	va_list			 ap;
	char			*s;

	if (r->nnotes == PROOF_NOTE_MAX)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	log_info("proof: %s", s);
	if (r->notes == NULL)
		r->notes = xcalloc(PROOF_NOTE_MAX, sizeof(*r->notes));
	r->notes[r->nnotes++] = s;
}

/*
 * The end, by success or failure. Late answers to queries still in
 * flight are forgotten; done is called from the loop's next turn, never
 * from inside one of the proof's own calls, so it may free p.
 */
static void
proof_finish(struct proof *p)
{
	struct proof_report	*r = &p->rep;
	size_t			 i, s;

	if (p->finished)
		return;
	p->finished = 1;
	if (p->ev != NULL)
		evtimer_del(p->ev);
	evtimer_del(p->ev_save);
	for (i = 0; i < p->nst; i++)
		for (s = 0; s < 2; s++) {
			mydb_forget(p->st[i].db[s], &p->st[i]);
			mydb_forget(p->st[i].db[s], p);
		}
	r->elapsed_ms = (now_mono_us() - p->t0_us) / 1000;
	if (r->error != NULL)
		r->verdict = PROOF_ERROR;
	else if (r->nmismatches > 0)
		r->verdict = PROOF_MISMATCH;
	else
		r->verdict = PROOF_OK;
	if (p->save != NULL && !p->repl && r->error == NULL)
		p->save(p->save_arg, p->state);
	event_active(p->ev_done, 0, 0);
}

static void
proof_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proof	*p = arg;

	p->done(p->arg, &p->rep);
}

static void __attribute__((format(printf, 2, 3)))
proof_fail(struct proof *p, const char *fmt, ...)
{
	va_list	ap;

	if (p->finished)
		return;
	va_start(ap, fmt);
	if (vasprintf(&p->rep.error, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	log_warnx("proof: %s", p->rep.error);
	proof_finish(p);
}

/*
 * Every answer goes through here. An error, or an answer from another
 * session than the one given (mydb reconnects silently, outside the
 * snapshot), ends the proof: returns -1.
 */
static int
proof_answer(struct proof_stream *st, int s, struct mydb_result *res,
    const char *doing)
{
	struct proof	*p = st->p;
	const char	*label = p->side[s].label;
	unsigned long	 tid = mydb_thread_id(st->db[s]);

	if (p->finished)
		return -1;
	/*
	 * Replicated checksums hold no snapshot, but their session's
	 * binlog_format must hold from the first statement to the last: the
	 * first answer's session is the one, and a reconnection still ends
	 * the run.
	 */
	if (p->repl && st->tid[s] == 0 && res->err == 0)
		st->tid[s] = tid;
	if (res->err == 0 && st->tid[s] != 0 && tid == st->tid[s])
		return 0;
	if (res->err != 0)
		proof_fail(p, "%s: %s failed: %s%s", label, doing,
		    res->error, tid != st->tid[s] ? " (connection lost: the "
		    "snapshot is gone)" : "");
	else if (st->tid[s] == 0)
		proof_fail(p, "%s: the connection was not open, so it held no "
		    "snapshot", label);
	else
		proof_fail(p, "%s: the connection was lost and re-made while "
		    "%s: the snapshot is gone", label, doing);
	return -1;
}

/* Returns -1 when the proof has ended. */
static int
proof_query(struct proof_stream *st, int s, const char *sql, mydb_cb cb)
{
	if (mydb_query(st->db[s], sql, cb, st) == 0)
		return 0;
	proof_fail(st->p, "%s: the connection's query queue is full",
	    st->p->side[s].label);
	return -1;
}

/* --- metadata --- */

static int
proof_tab_cmp(const void *a, const void *b)
{
	const struct proof_tab	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->schema, y->schema)) != 0)
		return c;
	return strcmp(x->name, y->name);
}

static struct proof_tab *
proof_tab_find(struct proof_side *side, const char *schema, const char *name)
{
	struct proof_tab	key;

	if (schema == NULL || name == NULL)
		return NULL;
	key.schema = (char *)schema;
	key.name = (char *)name;
	return bsearch(&key, side->tabs, side->ntabs, sizeof(key),
	    proof_tab_cmp);
}

static int
proof_col_cmp(const void *a, const void *b)
{
	const struct proof_col	*x = a, *y = b;

	return (x->pos > y->pos) - (x->pos < y->pos);
}

static struct proof_col *
proof_col_find(struct proof_tab *t, const char *name)
{
	size_t	i;

	for (i = 0; i < t->ncols; i++)
		if (strcasecmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

static void
proof_tab_clear(struct proof_tab *t)
{
	size_t	i, j;

	free(t->schema);
	free(t->name);
	free(t->engine);
	for (i = 0; i < t->ncols; i++) {
		free(t->cols[i].name);
		free(t->cols[i].type);
		free(t->cols[i].coll);
	}
	free(t->cols);
	for (i = 0; i < t->nidx; i++) {
		free(t->idx[i].name);
		for (j = 0; j < t->idx[i].ncols; j++)
			free(t->idx[i].cols[j]);
		free(t->idx[i].cols);
	}
	free(t->idx);
}

static void
proof_got_tables(struct proof_side *side, struct mydb_result *res)
{
	unsigned long long	 r;
	struct proof_tab	*t;

	side->tabs = xcalloc(res->nrows, sizeof(*side->tabs));
	for (r = 0; r < res->nrows; r++) {
		if (mydb_get(res, r, "s") == NULL ||
		    mydb_get(res, r, "t") == NULL)
			continue;
		t = &side->tabs[side->ntabs++];
		t->schema = xstrdup(mydb_get(res, r, "s"));
		t->name = xstrdup(mydb_get(res, r, "t"));
		t->engine = xstrdup(mydb_get(res, r, "e"));
		if (mydb_get(res, r, "r") != NULL)
			t->est_rows = strtoull(mydb_get(res, r, "r"), NULL, 10);
		if (mydb_get(res, r, "b") != NULL)
			t->est_bytes = strtoull(mydb_get(res, r, "b"), NULL,
			    10);
	}
	qsort(side->tabs, side->ntabs, sizeof(*side->tabs), proof_tab_cmp);
}

static void
proof_got_columns(struct proof_side *side, struct mydb_result *res)
{
	unsigned long long	 r;
	struct proof_tab	*t;
	struct proof_col	*c;
	const char		*name, *n;
	size_t			 i;

	for (r = 0; r < res->nrows; r++) {
		t = proof_tab_find(side, mydb_get(res, r, "s"),
		    mydb_get(res, r, "t"));
		if (t == NULL || (name = mydb_get(res, r, "c")) == NULL)
			continue;
		t->cols = xreallocarray(t->cols, t->ncols + 1,
		    sizeof(*t->cols));
		c = &t->cols[t->ncols++];
		c->name = xstrdup(name);
		c->type = proof_lower(mydb_get(res, r, "d"));
		c->coll = xstrdup(mydb_get(res, r, "k"));
		n = mydb_get(res, r, "n");
		c->nullable = n == NULL || strcasecmp(n, "NO") != 0;
		c->pos = mydb_get(res, r, "o") != NULL ?
		    strtol(mydb_get(res, r, "o"), NULL, 10) : 0;
	}
	for (i = 0; i < side->ntabs; i++)
		qsort(side->tabs[i].cols, side->tabs[i].ncols,
		    sizeof(*side->tabs[i].cols), proof_col_cmp);
}

static void
proof_got_indexes(struct proof_side *side, struct mydb_result *res)
{
	unsigned long long	 r;
	struct proof_tab	*t;
	struct proof_idx	*x;
	const char		*name, *col, *q;
	size_t			 i, seq;

	for (r = 0; r < res->nrows; r++) {
		t = proof_tab_find(side, mydb_get(res, r, "s"),
		    mydb_get(res, r, "t"));
		if (t == NULL || (name = mydb_get(res, r, "i")) == NULL)
			continue;
		for (i = 0; i < t->nidx; i++)
			if (strcmp(t->idx[i].name, name) == 0)
				break;
		if (i == t->nidx) {
			t->idx = xreallocarray(t->idx, t->nidx + 1,
			    sizeof(*t->idx));
			x = &t->idx[t->nidx++];
			memset(x, 0, sizeof(*x));
			x->name = xstrdup(name);
		}
		x = &t->idx[i];
		q = mydb_get(res, r, "q");
		seq = q != NULL ? strtoul(q, NULL, 10) : 0;
		col = mydb_get(res, r, "c");
		if (seq == 0 || seq > 64 || col == NULL ||
		    mydb_get(res, r, "p") != NULL) {
			x->bad = 1;
			continue;
		}
		if (seq > x->ncols) {
			x->cols = xreallocarray(x->cols, seq,
			    sizeof(*x->cols));
			memset(x->cols + x->ncols, 0,
			    (seq - x->ncols) * sizeof(*x->cols));
			x->ncols = seq;
		}
		free(x->cols[seq - 1]);
		x->cols[seq - 1] = xstrdup(col);
	}
}

/* Source and target tables side by side, both lists being sorted. */
/* Source and target tables side by side, both lists being sorted. */
static void
proof_pair_up(struct proof *p)
{
	struct proof_side	*s = &p->side[PROOF_SRC];
	struct proof_side	*t = &p->side[PROOF_TGT];
	size_t			 i = 0, j = 0;
	int			 c;

	p->pairs = xcalloc(s->ntabs + t->ntabs, sizeof(*p->pairs));
	while (i < s->ntabs || j < t->ntabs) {
		if (i == s->ntabs)
			c = 1;
		else if (j == t->ntabs)
			c = -1;
		else
			c = proof_tab_cmp(&s->tabs[i], &t->tabs[j]);
		p->pairs[p->npairs].s = c <= 0 ? &s->tabs[i++] : NULL;
		p->pairs[p->npairs].t = c >= 0 ? &t->tabs[j++] : NULL;
		p->npairs++;
	}
	p->rep.tables_total = p->npairs;
	p->walks = xcalloc(p->npairs + 1, sizeof(*p->walks));
	for (i = 0; i < s->ntabs; i++)
		p->rep.bytes_total += s->tabs[i].est_bytes;
}

/* What each side reads before the tables are compared, in order. */
enum proof_step {
	PROOF_M_SESSION,
	PROOF_M_TRX,
	PROOF_M_TABLES,
	PROOF_M_COLUMNS,
	PROOF_M_KEYS,		/* the source's only */
	PROOF_M_DONE,
};


static const char *
proof_meta_sql(struct proof *p, enum proof_step step, char *buf, size_t len)
{
	switch (step) {
	case PROOF_M_SESSION:
		/* Values rendered alike on both sides, whatever the servers'
		 * defaults: TIMESTAMPs in UTC, CHAR not padded. */
		return "SET SESSION time_zone = '+00:00', SESSION sql_mode = "
		    "'NO_ENGINE_SUBSTITUTION'";
	case PROOF_M_TRX:
		/* MariaDB only; MySQL does not know the variable. */
		return "SELECT @@in_transaction AS t";
	case PROOF_M_TABLES:
		snprintf(buf, len, "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, "
		    "ENGINE AS e, TABLE_ROWS AS r, DATA_LENGTH AS b FROM "
		    "information_schema.TABLES WHERE TABLE_SCHEMA IN (%s) AND "
		    "TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')", p->in);
		return buf;
	case PROOF_M_COLUMNS:
		snprintf(buf, len, "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, "
		    "COLUMN_NAME AS c, ORDINAL_POSITION AS o, DATA_TYPE AS d, "
		    "IS_NULLABLE AS n, COLLATION_NAME AS k FROM "
		    "information_schema.COLUMNS WHERE TABLE_SCHEMA IN (%s)",
		    p->in);
		return buf;
	case PROOF_M_KEYS:
		snprintf(buf, len, "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, "
		    "INDEX_NAME AS i, SEQ_IN_INDEX AS q, COLUMN_NAME AS c, "
		    "SUB_PART AS p FROM information_schema.STATISTICS WHERE "
		    "TABLE_SCHEMA IN (%s) AND NON_UNIQUE = 0", p->in);
		return buf;
	case PROOF_M_DONE:
		break;
	}
	return NULL;
}

size_t
proof_streams(int wanted)
{
	if (wanted < 1)
		return 1;
	return wanted > PROOF_STREAMS_MAX ? PROOF_STREAMS_MAX :
	    (size_t)wanted;
}

/*
 * CRC32C where both servers have it (MariaDB 10.8 and later): a row's
 * CRC32 and CRC32C, 64 bits, cost a fifth of its MD5. Pure.
 */
int
proof_has_crc32c(const char *version)
{
	int	major, minor;

	if (version == NULL || strstr(version, "MariaDB") == NULL ||
	    sscanf(version, "%d.%d", &major, &minor) != 2)
		return 0;
	return major > 10 || (major == 10 && minor >= 8);
}

static void	proof_meta_src_cb(void *, struct mydb_result *);
static void	proof_meta_tgt_cb(void *, struct mydb_result *);

/* Both sides of the first stream are listed: the tables can start. */
static void
proof_listed(struct proof *p)
{
	proof_pair_up(p);
	if (p->nschemas == 0) {
		proof_fail(p, "no schemas to compare");
		return;
	}
	p->crc = proof_has_crc32c(mydb_server_version(p->st[0].db[PROOF_SRC]))
	    && proof_has_crc32c(mydb_server_version(p->st[0].db[PROOF_TGT]));
	p->rep.streams = p->nst;
	log_info("proof: %zu tables on %zu stream%s, checksums by %s",
	    p->npairs, p->nst, p->nst == 1 ? "" : "s", p->crc ?
	    "CRC32 and CRC32C" : "MD5");
}

/*
 * The next metadata query of side s of a stream: every session is set up
 * and checked for its transaction; the first stream also lists the
 * tables (the target needs no keys).
 */
static void
proof_meta_next(struct proof_stream *st, int s)
{
	struct proof	*p = st->p;
	char		*buf;
	size_t		 len = strlen(p->in) + 512;

	if (st->step[s] == PROOF_M_TABLES && st->idx > 0)
		st->step[s] = PROOF_M_DONE;
	if (s == PROOF_TGT && st->step[s] == PROOF_M_KEYS)
		st->step[s] = PROOF_M_DONE;
	/* Replicated checksums read outside any transaction. */
	if (p->repl && st->step[s] == PROOF_M_TRX)
		st->step[s]++;
	if (st->step[s] != PROOF_M_DONE) {
		buf = xcalloc(1, len);
		(void)proof_query(st, s, proof_meta_sql(p, st->step[s], buf,
		    len), s == PROOF_SRC ? proof_meta_src_cb :
		    proof_meta_tgt_cb);
		free(buf);
		return;
	}
	if (st->step[!s] == PROOF_M_DONE)
		st->busy = PROOF_B_IDLE;
	/* This side is listed. */
	if (st->idx == 0 && ++p->listed == 2)
		proof_listed(p);
	proof_pump(p);
}

static void
proof_meta(struct proof_stream *st, int s, struct mydb_result *res)
{
	struct proof_side	*side = &st->p->side[s];
	const char		*t;
	static const char *const doing[] = { "setting the session up",
	    "checking for a transaction", "listing the tables",
	    "listing the columns", "listing the keys" };

	if (st->p->finished)
		return;
	/* A server that cannot tell (MySQL) is trusted. */
	if (st->step[s] == PROOF_M_TRX &&
	    res->err == ER_UNKNOWN_SYSTEM_VARIABLE)
		res->err = 0;
	if (proof_answer(st, s, res, doing[st->step[s]]) == -1)
		return;
	switch (st->step[s]) {
	case PROOF_M_TRX:
		t = mydb_get(res, 0, "t");
		if (t != NULL && strcmp(t, "0") == 0) {
			proof_fail(st->p, "%s: the connection is not inside a "
			    "transaction, so it holds no snapshot",
			    side->label);
			return;
		}
		break;
	case PROOF_M_TABLES:
		proof_got_tables(side, res);
		break;
	case PROOF_M_COLUMNS:
		proof_got_columns(side, res);
		break;
	case PROOF_M_KEYS:
		proof_got_indexes(side, res);
		break;
	case PROOF_M_SESSION:
	case PROOF_M_DONE:
		break;
	}
	st->step[s]++;
	proof_meta_next(st, s);
}

static void
proof_meta_src_cb(void *arg, struct mydb_result *res)
{
	proof_meta(arg, PROOF_SRC, res);
}

static void
proof_meta_tgt_cb(void *arg, struct mydb_result *res)
{
	proof_meta(arg, PROOF_TGT, res);
}

/* --- one table --- */

static void
proof_keys_free(size_t nkey, char ***v)
{
	size_t	i;

	if (*v == NULL)
		return;
	for (i = 0; i < nkey; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
}

static char **
proof_keys_dup(size_t nkey, char **v)
{
	char	**c;
	size_t	  i;

	if (v == NULL)
		return NULL;
	c = xcalloc(nkey, sizeof(*c));
	for (i = 0; i < nkey; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

static void
proof_chunk_free(struct proof_chunk *c)
{
	if (c == NULL)
		return;
	proof_keys_free(c->w->nkey, &c->lo);
	proof_keys_free(c->w->nkey, &c->hi);
	free(c);
}

static void
proof_walk_free(struct proof_walk *w)
{
	struct proof_chunk	*c;

	if (w == NULL)
		return;
	while ((c = w->done) != NULL) {
		w->done = c->next;
		proof_chunk_free(c);
	}
	proof_keys_free(w->nkey, &w->last);
	proof_keys_free(w->nkey, &w->mark);
	free(w->full);
	free(w->keytext);
	free(w->key);
	free(w->kind);
	free(w->sum_head);
	free(w->bound_head);
	free(w->bound_tail);
	free(w);
}

/*
 * The columns of both sides by name: a column on one side only is a
 * mismatch and the data is not compared (the same query cannot run on
 * both); a different order alone is a note, since columns are named.
 */
static int
proof_columns_match(struct proof *p, const char *full, struct proof_tab *s,
    struct proof_tab *t)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len, i, nsrc = 0, ntgt = 0;

	f = proof_sb(&buf, &len);
	if (s->ncols == 0)
		fputs("no columns could be read on the source", f);
	for (i = 0; i < s->ncols; i++) {
		if (proof_col_find(t, s->cols[i].name) != NULL)
			continue;
		fputs(nsrc++ == 0 ? "on the source only: " : ", ", f);
		fputs(s->cols[i].name, f);
	}
	for (i = 0; i < t->ncols; i++) {
		if (proof_col_find(s, t->cols[i].name) != NULL)
			continue;
		if (ntgt++ > 0)
			fputs(", ", f);
		else
			fputs(nsrc > 0 ? "; on the target only: " :
			    "on the target only: ", f);
		fputs(t->cols[i].name, f);
	}
	buf = proof_sb_end(f, &buf);
	if (nsrc > 0 || ntgt > 0 || s->ncols == 0) {
		proof_mismatch_in(p, full, NULL, PROOF_COLUMNS_DIFFER, NULL, NULL,
		    0, 0, buf);
		return 0;
	}
	free(buf);
	for (i = 0; i < s->ncols; i++)
		if (strcasecmp(s->cols[i].name, t->cols[i].name) != 0) {
			proof_note(p, "%s: the columns are in another order on "
			    "the target (compared by name)", full);
			break;
		}
	return 1;
}

/* Collations by name; utf8_ is what newer servers call utf8mb3_. */
static int
proof_coll_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (strncmp(a, "utf8mb3_", 8) == 0)
		a += 7;
	else if (strncmp(a, "utf8_", 5) == 0)
		a += 4;
	if (strncmp(b, "utf8mb3_", 8) == 0)
		b += 7;
	else if (strncmp(b, "utf8_", 5) == 0)
		b += 4;
	return strcmp(a, b) == 0;
}

/*
 * Why column name of s cannot be part of the key to walk, or NULL if it
 * can: it must be NOT NULL, of a type whose values can be written back
 * as literals that compare the way the index sorts, and of the same type
 * and collation on the target, or the same range would hold other rows
 * there (a false mismatch, never a missed row).
 */
static const char *
proof_key_col_unfit(struct proof_tab *s, struct proof_tab *t,
    const char *name)
{
	struct proof_col	*c, *tc;

	if (name == NULL || (c = proof_col_find(s, name)) == NULL)
		return "an expression";
	if (c->nullable)
		return "nullable";
	if (proof_kind_of(c->type) == PROOF_K_NONE)
		return "of a type that cannot bound a range";
	if ((tc = proof_col_find(t, name)) == NULL ||
	    strcmp(c->type, tc->type) != 0 || !proof_coll_eq(c->coll, tc->coll))
		return "of another type or collation on the target";
	return NULL;
}

/*
 * The key to walk: the primary key, else the narrowest unique index, with
 * no prefix part and every column fit. NULL (and a note) when there is
 * none: the table is one chunk.
 */
static struct proof_idx *
proof_pick_key(struct proof *p, const char *full, struct proof_tab *s,
    struct proof_tab *t)
{
	struct proof_idx	*x, *best = NULL;
	const char		*why = NULL, *w;	/* why: a column */
	size_t			 i, j;

	for (i = 0; i < s->nidx; i++) {
		x = &s->idx[i];
		if (x->bad || x->ncols == 0)
			continue;
		for (j = 0; j < x->ncols; j++) {
			w = proof_key_col_unfit(s, t, x->cols[j]);
			if (w != NULL && why == NULL)
				why = x->cols[j];
			if (w != NULL)
				break;
		}
		if (j < x->ncols)
			continue;
		if (strcmp(x->name, "PRIMARY") == 0) {
			best = x;
			break;
		}
		if (best == NULL || x->ncols < best->ncols ||
		    (x->ncols == best->ncols && strcmp(x->name,
		    best->name) < 0))
			best = x;
	}
	if (best != NULL)
		return best;
	if (why != NULL)
		proof_note(p, "%s: no usable key (column %s is %s): compared "
		    "as one chunk", full, why,
		    proof_key_col_unfit(s, t, why));
	else
		proof_note(p, "%s: no primary key or unique NOT NULL key: "
		    "compared as one chunk", full);
	return NULL;
}

/*
 * The per-chunk checksum, as pt-table-checksum does it: each row's columns
 * joined with '#' and followed by their NULL flags (so NULL differs from
 * ''), hashed with MD5; long values are hashed first. The two 64-bit
 * halves are summed rather than XORed, so duplicate rows in a key-less
 * table cannot cancel out.
 */

/*
 * The per-chunk checksum: each row's columns joined with '#' and followed
 * by their NULL flags (so NULL differs from ''), long values hashed on
 * their own first (a short concatenation), then hashed: by CRC32 and
 * CRC32C (64 bits a row) where both servers have CRC32C, else by MD5 (its
 * two 64-bit halves). The hashes are summed rather than XORed, so
 * duplicate rows in a key-less table cannot cancel out.
 */
static char *
proof_sum_head(struct proof *p, struct proof_tab *s)
{
	FILE	*f;
	char	*buf = NULL, *row = NULL;
	size_t	 len, rlen, i;

	f = proof_sb(&row, &rlen);
	fputs("CONCAT_WS('#'", f);
	for (i = 0; i < s->ncols; i++) {
		fputs(", ", f);
		if (proof_is_long(s->cols[i].type)) {
			fputs("MD5(", f);
			proof_ident(f, s->cols[i].name);
			fputc(')', f);
		} else
			proof_ident(f, s->cols[i].name);
	}
	fputs(", CONCAT(", f);
	for (i = 0; i < s->ncols; i++) {
		fputs(i ? ", ISNULL(" : "ISNULL(", f);
		proof_ident(f, s->cols[i].name);
		fputc(')', f);
	}
	fputs("))", f);
	row = proof_sb_end(f, &row);

	f = proof_sb(&buf, &len);
	if (p->crc)
		fprintf(f, "SELECT COUNT(*) AS n, SUM(CRC32(%s)) AS a, "
		    "SUM(CRC32C(%s)) AS b FROM ", row, row);
	else
		fprintf(f, "SELECT COUNT(*) AS n, SUM(CAST(CONV(LEFT(MD5(%s), "
		    "16), 16, 10) AS UNSIGNED)) AS a, SUM(CAST(CONV(RIGHT(MD5("
		    "%s), 16), 16, 10) AS UNSIGNED)) AS b FROM ", row, row);
	proof_ident(f, s->schema);
	fputc('.', f);
	proof_ident(f, s->name);
	free(row);
	return proof_sb_end(f, &buf);
}

static void
proof_bound_sql(struct proof *p, struct proof_walk *w, struct proof_idx *x)
{
	struct proof_tab	*s = w->tab;
	FILE			*f;
	char			*buf = NULL;
	size_t			 len, i;

	f = proof_sb(&buf, &len);
	fputs("SELECT ", f);
	for (i = 0; i < w->nkey; i++) {
		fputs(i ? ", " : "", f);
		if (w->kind[i] == PROOF_K_BIN) {
			fputs("HEX(", f);
			proof_ident(f, s->cols[w->key[i]].name);
			fputc(')', f);
		} else
			proof_ident(f, s->cols[w->key[i]].name);
	}
	fputs(" FROM ", f);
	proof_ident(f, s->schema);
	fputc('.', f);
	proof_ident(f, s->name);
	fputs(" FORCE INDEX (", f);
	proof_ident(f, x->name);
	fputc(')', f);
	w->bound_head = proof_sb_end(f, &buf);

	buf = NULL;
	f = proof_sb(&buf, &len);
	fputs(" ORDER BY ", f);
	for (i = 0; i < w->nkey; i++) {
		fputs(i ? ", " : "", f);
		proof_ident(f, s->cols[w->key[i]].name);
	}
	w->bound_tail = proof_sb_end(f, &buf);
}

/*
 * key > v (strict) or key <= v, for a composite key written out as
 * a > x OR (a = x AND b > y): the servers use the index for a range
 * written so, and MariaDB does not for (a, b) > (x, y). The two are each
 * other's negation, which is what makes the chunks a partition.
 */
static void
proof_cmp(struct proof_walk *w, FILE *f, char **v, int above)
{
	size_t	i, j;

	fputc('(', f);
	for (i = 0; i < w->nkey; i++) {
		fputs(i ? " OR (" : "(", f);
		for (j = 0; j < i; j++) {
			proof_ident(f, w->tab->cols[w->key[j]].name);
			fputs(" = ", f);
			proof_literal(f, w->kind[j], v[j]);
			fputs(" AND ", f);
		}
		proof_ident(f, w->tab->cols[w->key[i]].name);
		fputs(above ? " > " : i + 1 < w->nkey ? " < " : " <= ", f);
		proof_literal(f, w->kind[i], v[i]);
		fputc(')', f);
	}
	fputc(')', f);
}

static char *
proof_range_text(struct proof_walk *w, char **v)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len, i;

	if (v == NULL)
		return NULL;
	f = proof_sb(&buf, &len);
	if (w->nkey > 1)
		fputc('(', f);
	for (i = 0; i < w->nkey; i++) {
		fputs(i ? ", " : "", f);
		proof_show(f, w->kind[i], v[i]);
	}
	if (w->nkey > 1)
		fputc(')', f);
	return proof_sb_end(f, &buf);
}

/* The chunk (lo, hi], as a WHERE clause (none for the whole table). */
static void
proof_where(struct proof_chunk *c, FILE *f)
{
	if (c->lo != NULL || c->hi != NULL)
		fputs(" WHERE ", f);
	if (c->lo != NULL)
		proof_cmp(c->w, f, c->lo, 1);
	if (c->lo != NULL && c->hi != NULL)
		fputs(" AND ", f);
	if (c->hi != NULL)
		proof_cmp(c->w, f, c->hi, 0);
}

static struct proof_walk *proof_walk_resume(struct proof *,
		    struct proof_walk *);
static void	proof_bound_cb(void *, struct mydb_result *);
static void	proof_sum_src_cb(void *, struct mydb_result *);
static void	proof_sum_tgt_cb(void *, struct mydb_result *);
static void	proof_rchunk(struct proof_stream *, struct proof_chunk *);
static void	proof_rwait(struct proof *);

static int
proof_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
proof_keys_equal(struct proof_walk *w, char **a, char **b)
{
	size_t	i;

	for (i = 0; i < w->nkey; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* --- the state: what is proven, for a later proof --- */

/*
 * The state changed: saved now if the last save is a second old, else
 * when it is (one save a second at most, whatever the number of tables).
 */
static void
proof_save_now(struct proof *p)
{
	int64_t		t = now_mono_us(), wait;
	struct timeval	tv;

	if (p->save == NULL || p->repl || p->finished)
		return;
	wait = p->saved_us + (int64_t)PROOF_SAVE_MS * 1000 - t;
	if (wait > 0) {
		if (!evtimer_pending(p->ev_save, NULL)) {
			tv.tv_sec = wait / 1000000;
			tv.tv_usec = wait % 1000000;
			evtimer_add(p->ev_save, &tv);
		}
		return;
	}
	p->saved_us = t;
	p->save(p->save_arg, p->state);
}

static void
proof_save_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	proof_save_now(arg);
}

/*
 * A walk's table in the state: {"k": key, "done": true} once every chunk
 * matched, else {"k": key, "at": [mark values]} while (-inf, mark]
 * matched; with the rows and chunks behind it. A mark that is not valid
 * UTF-8 is not kept (the range is compared again).
 */
static void
proof_state_mark(struct proof *p, struct proof_walk *w, int done)
{
	json_t	*e, *at, *v;
	size_t	 i;

	if (p->repl || (!done && w->mark == NULL))
		return;
	e = json_pack("{s:s?, s:I, s:I}", "k", w->keytext, "rows",
	    (json_int_t)w->mark_rows, "chunks", (json_int_t)w->mark_chunks);
	if (e == NULL)
		return;
	if (done)
		json_object_set_new(e, "done", json_true());
	else {
		at = json_array();
		for (i = 0; i < w->nkey; i++) {
			if ((v = json_string(w->mark[i])) == NULL) {
				json_decref(at);
				json_decref(e);
				return;
			}
			json_array_append_new(at, v);
		}
		json_object_set_new(e, "at", at);
	}
	json_object_set_new(json_object_get(p->state, "tables"), w->full, e);
	proof_save_now(p);
}

/*
 * What an earlier proof proved of w's table, if it walked the same key:
 * 1 all of it (done); else 0, with the mark to go on from, if any.
 */
static int
proof_resumed(struct proof *p, struct proof_walk *w)
{
	json_t		*e, *at;
	const char	*v;
	size_t		 i;

	e = json_object_get(json_object_get(p->resume, "tables"), w->full);
	if (!json_is_object(e) || !proof_streq(json_string_value(
	    json_object_get(e, "k")), w->keytext))
		return 0;
	w->mark_rows = json_integer_value(json_object_get(e, "rows"));
	w->mark_chunks = json_integer_value(json_object_get(e, "chunks"));
	if (json_is_true(json_object_get(e, "done")))
		return 1;
	at = json_object_get(e, "at");
	if (w->nkey == 0 || !json_is_array(at) ||
	    json_array_size(at) != w->nkey)
		goto none;
	w->mark = xcalloc(w->nkey, sizeof(*w->mark));
	for (i = 0; i < w->nkey; i++) {
		if ((v = json_string_value(json_array_get(at, i))) == NULL)
			goto none;
		w->mark[i] = xstrdup(v);
	}
	w->last = proof_keys_dup(w->nkey, w->mark);
	return 0;
none:
	proof_keys_free(w->nkey, &w->mark);
	w->mark_rows = w->mark_chunks = 0;
	return 0;
}

/* --- the walks and the queue --- */

/* A table is done: counted, its estimated bytes all in. */
static void
proof_table_done(struct proof *p, uint64_t est_bytes, uint64_t counted)
{
	p->rep.tables++;
	if (est_bytes > counted)
		p->rep.bytes_done += est_bytes - counted;
}

/* Queue (last, hi] of w; hi (taken) NULL: the open-ended last chunk. */
static void
proof_enqueue(struct proof *p, struct proof_walk *w, char **hi)
{
	struct proof_chunk	*c;

	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->lo = proof_keys_dup(w->nkey, w->last);
	c->hi = hi;
	c->seq = w->seq++;
	w->inflight++;
	proof_keys_free(w->nkey, &w->last);
	if (hi == NULL)
		w->ended = 1;
	else
		w->last = proof_keys_dup(w->nkey, hi);
	*p->qtail = c;
	p->qtail = &c->next;
	p->nqueue++;
}

static struct proof_chunk *
proof_dequeue(struct proof *p)
{
	struct proof_chunk	*c = p->queue;

	if (c == NULL)
		return NULL;
	if ((p->queue = c->next) == NULL)
		p->qtail = &p->queue;
	c->next = NULL;
	p->nqueue--;
	return c;
}

/* The walk's key, when the table has one to walk. */
static void
proof_walk_key(struct proof *p, struct proof_walk *w, struct proof_idx *x)
{
	struct proof_tab	*s = w->tab;
	FILE			*f;
	char			*buf = NULL;
	size_t			 len, i;

	w->nkey = x->ncols;
	w->key = xcalloc(w->nkey, sizeof(*w->key));
	w->kind = xcalloc(w->nkey, sizeof(*w->kind));
	f = proof_sb(&buf, &len);
	if (w->nkey > 1)
		fputc('(', f);
	for (i = 0; i < w->nkey; i++) {
		w->key[i] = proof_col_find(s, x->cols[i]) - s->cols;
		w->kind[i] = proof_kind_of(s->cols[w->key[i]].type);
		fprintf(f, "%s%s", i ? ", " : "", s->cols[w->key[i]].name);
	}
	if (w->nkey > 1)
		fputc(')', f);
	w->keytext = proof_sb_end(f, &buf);
	proof_bound_sql(p, w, x);
}

/*
 * Start on pair i: a walk, or NULL when the table needs no queries (on
 * one side only, other columns, or proven by an earlier proof).
 */
static struct proof_walk *
proof_walk_new(struct proof *p, size_t i)
{
	struct proof_pair	*pr = &p->pairs[i];
	struct proof_tab	*s = pr->s, *t = pr->t;
	struct proof_walk	*w;
	struct proof_idx	*x;
	char			*full;

	full = s != NULL ? xasprintf("%s.%s", s->schema, s->name) :
	    xasprintf("%s.%s", t->schema, t->name);
	if (s == NULL || t == NULL || !proof_columns_match(p, full, s, t)) {
		if (s == NULL || t == NULL)
			proof_mismatch_in(p, full, NULL, t == NULL ?
			    PROOF_TABLE_MISSING : PROOF_TABLE_EXTRA, NULL,
			    NULL, 0, 0, NULL);
		proof_table_done(p, s != NULL ? s->est_bytes : 0, 0);
		free(full);
		return NULL;
	}
	if (strcasecmp(s->engine ? s->engine : "", "InnoDB") != 0 ||
	    strcasecmp(t->engine ? t->engine : "", "InnoDB") != 0)
		proof_note(p, "%s: engine %s on the source, %s on the target: "
		    "only InnoDB tables are inside the snapshot, so writes "
		    "after the freeze can show as differences", full,
		    s->engine ? s->engine : "?", t->engine ? t->engine : "?");
	w = xcalloc(1, sizeof(*w));
	w->pair = i;
	w->tab = s;
	w->full = full;
	w->row_bytes = s->est_rows > 0 ? (double)s->est_bytes /
	    (double)s->est_rows : 0;
	w->rows = p->chunk_rows;
	w->sum_head = proof_sum_head(p, s);
	if ((x = proof_pick_key(p, full, s, t)) != NULL)
		proof_walk_key(p, w, x);
	return proof_walk_resume(p, w);
}

/*
 * What an earlier proof proved of the walk's table is counted and not
 * read again: all of it (the walk ends here: NULL), or up to its mark,
 * from which the walk goes on. A key-less table is one chunk.
 */
static struct proof_walk *
proof_walk_resume(struct proof *p, struct proof_walk *w)
{
	struct proof_report	*r = &p->rep;
	uint64_t		 b;
	int			 done = proof_resumed(p, w);
	json_t			*e;

	r->chunks += w->mark_chunks;
	r->rows += w->mark_rows;
	r->resumed_chunks += w->mark_chunks;
	b = (uint64_t)((double)w->mark_rows * w->row_bytes);
	if (b > w->tab->est_bytes || done)
		b = w->tab->est_bytes;
	w->bytes = b;
	r->bytes_done += b;
	r->bytes_resumed += b;
	if (done) {
		e = json_object_get(json_object_get(p->resume, "tables"),
		    w->full);
		json_object_set(json_object_get(p->state, "tables"), w->full,
		    e);
		proof_table_done(p, w->tab->est_bytes, w->bytes);
		proof_walk_free(w);
		return NULL;
	}
	if (w->mark != NULL) {
		r->resumed_tables++;
		proof_state_mark(p, w, 0);
	}
	if (w->nkey == 0)
		proof_enqueue(p, w, NULL);
	return w;
}

/* Ask the source, on st, for the upper bound of w's next chunk. */
static void
proof_ask_bound(struct proof_stream *st, struct proof_walk *w)
{
	FILE	*f;
	char	*sql = NULL;
	size_t	 len;

	f = proof_sb(&sql, &len);
	fputs(w->bound_head, f);
	if (w->last != NULL) {
		fputs(" WHERE ", f);
		proof_cmp(w, f, w->last, 1);
	}
	fputs(w->bound_tail, f);
	fprintf(f, " LIMIT 1 OFFSET %d", w->rows - 1);
	sql = proof_sb_end(f, &sql);
	st->busy = PROOF_B_BOUND;
	st->w = w;
	w->asking = 1;
	(void)proof_query(st, PROOF_SRC, sql, proof_bound_cb);
	free(sql);
}

static void
proof_bound_cb(void *arg, struct mydb_result *res)
{
	struct proof_stream	*st = arg;
	struct proof_walk	*w = st->w;
	char			 doing[512], **next = NULL;
	size_t			 i;

	snprintf(doing, sizeof(doing), "finding a chunk of %s", w->full);
	if (proof_answer(st, PROOF_SRC, res, doing) == -1)
		return;
	st->busy = PROOF_B_IDLE;
	st->w = NULL;
	w->asking = 0;
	if (res->nrows > 0 && res->ncols == w->nkey) {
		next = xcalloc(w->nkey, sizeof(*next));
		for (i = 0; i < w->nkey; i++)
			next[i] = xstrdup(res->rows[0][i] != NULL ?
			    res->rows[0][i] : "");
		/*
		 * A bound that does not move (a value whose text does not
		 * read back as itself): the rest is one last chunk, which
		 * still covers every row.
		 */
		if (w->last != NULL && proof_keys_equal(w, next, w->last))
			proof_keys_free(w->nkey, &next);
	}
	proof_enqueue(st->p, w, next);
	proof_pump(st->p);
}

/* How many streams checksum at once, at most: the parallelism had. */
static void
proof_busy_count(struct proof *p)
{
	size_t	i, n = 0;

	for (i = 0; i < p->nst; i++)
		n += p->st[i].busy == PROOF_B_SUM;
	if (n > p->rep.streams_busy_max)
		p->rep.streams_busy_max = n;
}

/* Checksum chunk c on both sessions of st at once. */
static void
proof_sum_start(struct proof_stream *st, struct proof_chunk *c)
{
	FILE	*f;
	char	*sql = NULL;
	size_t	 len;

	st->busy = PROOF_B_SUM;
	st->c = c;
	c->t0_us = now_mono_us();
	proof_busy_count(st->p);
	if (st->p->repl) {
		proof_rchunk(st, c);
		return;
	}
	f = proof_sb(&sql, &len);
	fputs(c->w->sum_head, f);
	proof_where(c, f);
	sql = proof_sb_end(f, &sql);
	st->sums = 2;
	if (proof_query(st, PROOF_SRC, sql, proof_sum_src_cb) == 0)
		(void)proof_query(st, PROOF_TGT, sql, proof_sum_tgt_cb);
	free(sql);
}

/*
 * c was compared: into the walk's list beyond the mark, and the mark
 * moves over every chunk that now follows it without a gap, up to the
 * first that did not match (which stops it for good).
 */
static void
proof_mark(struct proof *p, struct proof_walk *w, struct proof_chunk *c)
{
	struct proof_chunk	**pp, *h;
	int			  moved = 0;

	for (pp = &w->done; *pp != NULL && (*pp)->seq < c->seq;
	    pp = &(*pp)->next)
		;
	c->next = *pp;
	*pp = c;
	while (!w->broken && (h = w->done) != NULL &&
	    h->seq == w->next_mark) {
		w->done = h->next;
		if (!h->matched)
			w->broken = 1;
		else {
			w->next_mark++;
			w->mark_rows += h->rows;
			w->mark_chunks++;
			if (h->hi != NULL) {
				proof_keys_free(w->nkey, &w->mark);
				w->mark = h->hi;
				h->hi = NULL;
				moved = 1;
			}
		}
		proof_chunk_free(h);
	}
	while (w->broken && (h = w->done) != NULL) {
		w->done = h->next;
		proof_chunk_free(h);
	}
	if (moved && !w->broken)
		proof_state_mark(p, w, 0);
}

/* Chunk c of st is compared (or, replicated, written): count it. */
static void
proof_chunk_done(struct proof *p, struct proof_chunk *c)
{
	struct proof_walk	*w = c->w;
	uint64_t		 add;

	p->rep.chunks++;
	p->rep.rows += c->rows;
	add = (uint64_t)((double)c->rows * w->row_bytes);
	if (w->bytes + add > w->tab->est_bytes)
		add = w->tab->est_bytes > w->bytes ?
		    w->tab->est_bytes - w->bytes : 0;
	w->bytes += add;
	p->rep.bytes_done += add;
	w->inflight--;
	if (p->repl)
		proof_chunk_free(c);
	else
		proof_mark(p, w, c);
	if (!w->ended || w->inflight > 0 || w->asking)
		return;
	/* Every chunk compared: done, and proven if all matched. */
	if (!w->broken && w->next_mark == w->seq)
		proof_state_mark(p, w, 1);
	proof_table_done(p, w->tab->est_bytes, w->bytes);
	p->walks[w->pair] = NULL;
	p->nwalks--;
	proof_walk_free(w);
}

/*
 * The next chunk's rows after one of rows took ms: about PROOF_CHUNK_MS
 * long, like pt-table-checksum's --chunk-time (a query's own cost is then
 * a small part of it), growing at most PROOF_CHUNK_GROW times a chunk,
 * never below the first size nor above PROOF_CHUNK_MAX. Pure.
 */
int
proof_chunk_size(int cur, int first, uint64_t rows, int64_t ms)
{
	double	want;

	if (rows == 0)
		return cur;
	want = ms > 0 ? (double)rows * PROOF_CHUNK_MS / (double)ms :
	    (double)cur * PROOF_CHUNK_GROW;
	if (want > (double)cur * PROOF_CHUNK_GROW)
		want = (double)cur * PROOF_CHUNK_GROW;
	if (want > PROOF_CHUNK_MAX)
		want = PROOF_CHUNK_MAX;
	if (want < first)
		want = first;
	return (int)want;
}

/* Both sides' sums of st's chunk are in: the same, or a mismatch. */
static void
proof_compare(struct proof_stream *st)
{
	struct proof		*p = st->p;
	struct proof_chunk	*c = st->c;
	struct proof_walk	*w = c->w;
	char			**s = st->sum[PROOF_SRC], **t = st->sum[PROOF_TGT];
	uint64_t		 ns, nt;
	enum proof_what		 what;
	size_t			 i;

	ns = s[0] != NULL ? strtoull(s[0], NULL, 10) : 0;
	nt = t[0] != NULL ? strtoull(t[0], NULL, 10) : 0;
	c->rows = ns;
	c->matched = ns == nt && proof_streq(s[1], t[1]) &&
	    proof_streq(s[2], t[2]);
	if (p->adaptive && c->hi != NULL)
		w->rows = proof_chunk_size(w->rows, p->chunk_rows, ns,
		    (now_mono_us() - c->t0_us) / 1000);
	if (!c->matched) {
		what = nt < ns ? PROOF_MISSING_ON_TARGET : nt > ns ?
		    PROOF_EXTRA_ON_TARGET : PROOF_ROWS_DIFFER;
		proof_mismatch_in(p, w->full, w->keytext, what,
		    proof_range_text(w, c->lo), proof_range_text(w, c->hi),
		    ns, nt, NULL);
	}
	for (i = 0; i < 3; i++) {
		free(s[i]);
		free(t[i]);
		s[i] = t[i] = NULL;
	}
	st->busy = PROOF_B_IDLE;
	st->c = NULL;
	proof_chunk_done(p, c);
	proof_pump(p);
}

static void
proof_sum(struct proof_stream *st, int s, struct mydb_result *res)
{
	char	doing[512];
	size_t	i;

	snprintf(doing, sizeof(doing), "checksumming a chunk of %s",
	    st->c->w->full);
	if (proof_answer(st, s, res, doing) == -1)
		return;
	for (i = 0; i < 3; i++)
		st->sum[s][i] = res->nrows > 0 && res->ncols == 3 &&
		    res->rows[0][i] != NULL ? xstrdup(res->rows[0][i]) : NULL;
	if (--st->sums == 0)
		proof_compare(st);
}

static void
proof_sum_src_cb(void *arg, struct mydb_result *res)
{
	proof_sum(arg, PROOF_SRC, res);
}

static void
proof_sum_tgt_cb(void *arg, struct mydb_result *res)
{
	proof_sum(arg, PROOF_TGT, res);
}

/*
 * Give st a bound to find: the oldest walk that can ask, else the next
 * table. 1 when st is now busy; chunks may have been queued either way.
 */
static int
proof_walk_some(struct proof *p, struct proof_stream *st)
{
	struct proof_walk	*w;
	size_t			 i;

	for (i = 0; i < p->cur; i++) {
		w = p->walks[i];
		if (w != NULL && !w->asking && !w->ended) {
			proof_ask_bound(st, w);
			return 1;
		}
	}
	while (p->cur < p->npairs && !p->finished) {
		i = p->cur++;
		if ((w = proof_walk_new(p, i)) == NULL)
			continue;
		p->walks[i] = w;
		p->nwalks++;
		if (w->ended)
			return 0;
		proof_ask_bound(st, w);
		return 1;
	}
	return 0;
}

static int
proof_idle(const struct proof *p)
{
	size_t	i;

	if (p->cur < p->npairs || p->nwalks > 0 || p->nqueue > 0 ||
	    p->waiting)
		return 0;
	for (i = 0; i < p->nst; i++)
		if (p->st[i].busy != PROOF_B_IDLE)
			return 0;
	return 1;
}

/*
 * Put every idle stream to work: finding bounds while the queue is
 * shorter than the streams, else checksumming the next chunk. Then, with
 * nothing left, the end.
 */
static void
proof_pump(struct proof *p)
{
	struct proof_stream	*st;
	struct proof_chunk	*c;
	size_t			 i;

	if (p->finished || p->listed < 2)
		return;
	for (i = 0; i < p->nst && !p->finished; i++) {
		st = &p->st[i];
		if (st->busy != PROOF_B_IDLE)
			continue;
		if (p->nqueue < p->nst && proof_walk_some(p, st))
			continue;
		if (!p->finished && (c = proof_dequeue(p)) != NULL)
			proof_sum_start(st, c);
	}
	if (p->finished || !proof_idle(p))
		return;
	if (p->repl)
		proof_rwait(p);
	else
		proof_finish(p);
}

/* --- replicated checksums --- */

/*
 * The checksums table: one row per chunk of a run, written on the source
 * by statement (this_*: the statement's own result, on whichever server
 * runs it) and completed with the source's result as literals (master_*),
 * as pt-table-checksum's percona.checksums is. Row 0 of a run says every
 * chunk before it was written. Rows are the owner's (a migration): a run
 * clears its owner's earlier runs, an interrupted one too, and anyone's
 * older than a day, never another migration's run in progress.
 */
#define PROOF_RTABLE	"migrated.checksums"

static const char *const proof_rprep[] = {
	/* STATEMENT logging of InnoDB writes needs REPEATABLE READ. */
	"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	"SET SESSION binlog_format = 'STATEMENT'",
	"CREATE TABLE IF NOT EXISTS " PROOF_RTABLE " ("
	    "run BIGINT UNSIGNED NOT NULL, chunk BIGINT UNSIGNED NOT NULL, "
	    "owner VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL DEFAULT '', "
	    "db VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL, "
	    "tbl VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL, "
	    "kname BLOB, lo BLOB, hi BLOB, this_cnt BIGINT UNSIGNED, "
	    "this_a DECIMAL(65, 0), this_b DECIMAL(65, 0), "
	    "master_cnt BIGINT UNSIGNED, master_a DECIMAL(65, 0), "
	    "master_b DECIMAL(65, 0), "
	    "at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, "
	    "PRIMARY KEY (run, chunk)) ENGINE = InnoDB",
	NULL
};

static void
proof_rprep_cb(void *arg, struct mydb_result *res)
{
	struct proof	*p = arg;

	if (p->finished)
		return;
	(void)proof_answer(p->st, PROOF_SRC, res, "preparing the replicated "
	    "checksums (SET SESSION binlog_format needs BINLOG ADMIN)");
}

/*
 * The session's settings and the table, then the owner's earlier runs
 * (an interrupted one too) and anyone's a day old, on both sides. -1: the
 * query queue is full.
 */
static int
proof_rprep_send(struct proof *p, struct mydb *src)
{
	char	*q, *sql;
	size_t	 i;
	int	 rc;

	for (i = 0; proof_rprep[i] != NULL; i++)
		if (mydb_query(src, proof_rprep[i], proof_rprep_cb, p) == -1)
			return -1;
	q = mydb_quote(p->owner);
	sql = xasprintf("DELETE FROM " PROOF_RTABLE " WHERE owner = %s OR "
	    "at < NOW() - INTERVAL 1 DAY", q);
	rc = mydb_query(src, sql, proof_rprep_cb, p);
	free(q);
	free(sql);
	return rc;
}

/* NULL or a quoted string. */
static void
proof_rquote(FILE *f, const char *v)
{
	char	*q;

	if (v == NULL) {
		fputs("NULL", f);
		return;
	}
	q = mydb_quote(v);
	fputs(q, f);
	free(q);
}

/* NULL or a number as it was read. */
static void
proof_rnum(FILE *f, const char *v)
{
	fputs(v != NULL && proof_is_number(v) ? v : "NULL", f);
}

static void	proof_rwrote_cb(void *, struct mydb_result *);
static void	proof_rread_cb(void *, struct mydb_result *);
static void	proof_rset_cb(void *, struct mydb_result *);

/*
 * Checksum (lo, hi] by a statement that the source logs as itself, so
 * that the target's SQL thread runs it at the same point of the stream;
 * then read the source's result back.
 */
static void
proof_rchunk(struct proof_stream *st, struct proof_chunk *c)
{
	struct proof		*p = st->p;
	struct proof_walk	*w = c->w;
	FILE			*f;
	char			*sql = NULL, *lo, *hi;
	size_t			 len;

	p->rchunk++;
	lo = proof_range_text(w, c->lo);
	hi = proof_range_text(w, c->hi);
	f = proof_sb(&sql, &len);
	fprintf(f, "INSERT INTO " PROOF_RTABLE " (run, chunk, owner, db, tbl, "
	    "kname, lo, hi, this_cnt, this_a, this_b) SELECT %llu, %llu, ",
	    (unsigned long long)p->run, (unsigned long long)p->rchunk);
	proof_rquote(f, p->owner);
	fputs(", ", f);
	proof_rquote(f, w->tab->schema);
	fputs(", ", f);
	proof_rquote(f, w->tab->name);
	fputs(", ", f);
	proof_rquote(f, w->keytext);
	fputs(", ", f);
	proof_rquote(f, lo);
	fputs(", ", f);
	proof_rquote(f, hi);
	fputs(", ", f);
	/* The checksum's own SELECT list and FROM, without "SELECT ". */
	fputs(w->sum_head + strlen("SELECT "), f);
	proof_where(c, f);
	sql = proof_sb_end(f, &sql);
	free(lo);
	free(hi);
	if (proof_query(st, PROOF_SRC, sql, proof_rwrote_cb) == 0) {
		free(sql);
		sql = xasprintf("SELECT this_cnt AS n, this_a AS a, this_b AS "
		    "b FROM " PROOF_RTABLE " WHERE run = %llu AND chunk = %llu",
		    (unsigned long long)p->run, (unsigned long long)p->rchunk);
		(void)proof_query(st, PROOF_SRC, sql, proof_rread_cb);
	}
	free(sql);
}

static void
proof_rwrote_cb(void *arg, struct mydb_result *res)
{
	struct proof_stream	*st = arg;
	char			 doing[512];

	snprintf(doing, sizeof(doing), "checksumming a chunk of %s",
	    st->c->w->full);
	(void)proof_answer(st, PROOF_SRC, res, doing);
}

/* The source's result, stored as literals: the same on both sides. */
static void
proof_rread_cb(void *arg, struct mydb_result *res)
{
	struct proof_stream	*st = arg;
	struct proof		*p = st->p;
	char			**sum = st->sum[PROOF_SRC];
	FILE			*f;
	char			*sql = NULL;
	size_t			 len, i;

	if (proof_answer(st, PROOF_SRC, res, "reading a chunk's checksum") ==
	    -1)
		return;
	if (res->nrows == 0 || res->ncols != 3) {
		proof_fail(p, "source: the checksum of chunk %llu of %s was "
		    "not written", (unsigned long long)p->rchunk,
		    st->c->w->full);
		return;
	}
	for (i = 0; i < 3; i++)
		sum[i] = res->rows[0][i] != NULL ? xstrdup(res->rows[0][i]) :
		    NULL;
	f = proof_sb(&sql, &len);
	fputs("UPDATE " PROOF_RTABLE " SET master_cnt = ", f);
	proof_rnum(f, sum[0]);
	fputs(", master_a = ", f);
	proof_rnum(f, sum[1]);
	fputs(", master_b = ", f);
	proof_rnum(f, sum[2]);
	fprintf(f, " WHERE run = %llu AND chunk = %llu",
	    (unsigned long long)p->run, (unsigned long long)p->rchunk);
	sql = proof_sb_end(f, &sql);
	(void)proof_query(st, PROOF_SRC, sql, proof_rset_cb);
	free(sql);
}

static void
proof_rset_cb(void *arg, struct mydb_result *res)
{
	struct proof_stream	*st = arg;
	struct proof_chunk	*c = st->c;
	char			**sum = st->sum[PROOF_SRC];
	size_t			 i;

	if (proof_answer(st, PROOF_SRC, res, "storing a chunk's checksum") ==
	    -1)
		return;
	c->rows = sum[0] != NULL ? strtoull(sum[0], NULL, 10) : 0;
	for (i = 0; i < 3; i++) {
		free(sum[i]);
		sum[i] = NULL;
	}
	st->busy = PROOF_B_IDLE;
	st->c = NULL;
	proof_chunk_done(st->p, c);
	proof_pump(st->p);
}

static void	proof_rpoll(struct proof *);
static void	proof_rdone_cb(void *, struct mydb_result *);

/* Every chunk is written: the end mark, then wait for the target. */
static void
proof_rwait(struct proof *p)
{
	char	*sql, *q;

	p->waiting = 1;
	p->stall_us = p->check_us = now_mono_us();
	q = mydb_quote(p->owner);
	sql = xasprintf("INSERT INTO " PROOF_RTABLE " (run, chunk, owner, db, "
	    "tbl) VALUES (%llu, 0, %s, '', '')", (unsigned long long)p->run, q);
	free(q);
	if (proof_query(p->st, PROOF_SRC, sql, proof_rdone_cb) == 0)
		proof_rpoll(p);
	free(sql);
}

static void
proof_rdone_cb(void *arg, struct mydb_result *res)
{
	struct proof_stream	*st = arg;
	struct proof		*p = st->p;

	if (!p->finished)
		(void)proof_answer(p->st, PROOF_SRC, res, "writing the end mark");
}

static void	proof_rpoll_cb(void *, struct mydb_result *);
static void	proof_rstatus_cb(void *, struct mydb_result *);
static void	proof_rcompare_cb(void *, struct mydb_result *);

/* Poll again shortly. */
static void
proof_rlater(struct proof *p)
{
	struct timeval	 tv;

	tv.tv_sec = 0;
	tv.tv_usec = PROOF_POLL_MS * 1000;
	evtimer_add(p->ev, &tv);
}

static void
proof_rpoll(struct proof *p)
{
	char	*sql;

	sql = xasprintf("SELECT COUNT(*) AS n, COALESCE(SUM(chunk = 0), 0) AS "
	    "d FROM " PROOF_RTABLE " WHERE run = %llu",
	    (unsigned long long)p->run);
	(void)proof_query(p->st, PROOF_TGT, sql, proof_rpoll_cb);
	free(sql);
}

static void
proof_rtick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proof	*p = arg;

	if (!p->finished)
		proof_rpoll(p);
}

static void
proof_rpoll_cb(void *arg, struct mydb_result *res)
{
	struct proof_stream	*st = arg;
	struct proof		*p = st->p;
	const char	*n = NULL, *d = NULL;
	uint64_t	 got;
	char		*sql;

	/* Not there yet: its CREATE TABLE has not been applied. */
	if (res->err == ER_NO_SUCH_TABLE)
		res->err = 0;
	else if (res->err == 0) {
		n = mydb_get(res, 0, "n");
		d = mydb_get(res, 0, "d");
	}
	if (p->finished || proof_answer(p->st, PROOF_TGT, res, "reading the "
	    "replicated checksums") == -1)
		return;
	if (d != NULL && strtoull(d, NULL, 10) > 0) {
		sql = xasprintf("SELECT chunk AS c, db, tbl, kname, lo, hi, "
		    "this_cnt AS n, this_a AS a, this_b AS b, master_cnt AS "
		    "mn, master_a AS ma, master_b AS mb FROM " PROOF_RTABLE
		    " WHERE run = %llu AND chunk > 0 ORDER BY chunk",
		    (unsigned long long)p->run);
		(void)proof_query(p->st, PROOF_TGT, sql, proof_rcompare_cb);
		free(sql);
		return;
	}
	got = n != NULL ? strtoull(n, NULL, 10) : 0;
	if (got > p->applied) {
		p->applied = got;
		p->stall_us = now_mono_us();
	}
	if (now_mono_us() - p->stall_us > (int64_t)PROOF_STALL_MS * 1000) {
		proof_fail(p, "target: no replicated checksum applied for %d s "
		    "(%llu of %llu chunks there) although it replicates",
		    PROOF_STALL_MS / 1000, (unsigned long long)p->applied,
		    (unsigned long long)p->rchunk);
		return;
	}
	/* Nothing new for a while: is its replication running at all? */
	if (now_mono_us() - p->stall_us > (int64_t)PROOF_CHECK_MS * 1000 &&
	    now_mono_us() - p->check_us > (int64_t)PROOF_CHECK_MS * 1000) {
		p->check_us = now_mono_us();
		(void)proof_query(p->st, PROOF_TGT, p->status_sql,
		    proof_rstatus_cb);
		return;
	}
	proof_rlater(p);
}

/*
 * The target's replica status, read the way lag.c reads it: a stopped
 * thread ends the run with its error rather than a long wait.
 */
static void
proof_rstatus_cb(void *arg, struct mydb_result *res)
{
	struct proof_stream	*st = arg;
	struct proof		*p = st->p;
	const char	*io = NULL, *sql = NULL, *ioerr = NULL, *sqlerr = NULL;

	if (res->err == 0 && res->nrows > 0) {
		io = mydialect_status(res, 0, "Replica_IO_Running");
		sql = mydialect_status(res, 0, "Replica_SQL_Running");
		ioerr = mydialect_status(res, 0, "Last_IO_Error");
		sqlerr = mydialect_status(res, 0, "Last_SQL_Error");
	}
	if (p->finished || proof_answer(p->st, PROOF_TGT, res, "reading its "
	    "replica status") == -1)
		return;
	if (res->nrows == 0) {
		proof_fail(p, "target: it does not replicate (no replica "
		    "status), so the checksums cannot reach it");
		return;
	}
	if (sql == NULL || strcasecmp(sql, "Yes") != 0 || io == NULL ||
	    strcasecmp(io, "Yes") != 0) {
		proof_fail(p, "target: its replication is not running (IO "
		    "thread %s%s%s, SQL thread %s%s%s): %llu of %llu "
		    "replicated checksums applied", io ? io : "?",
		    ioerr && *ioerr ? ": " : "", ioerr ? ioerr : "",
		    sql ? sql : "?", sqlerr && *sqlerr ? ": " : "",
		    sqlerr ? sqlerr : "", (unsigned long long)p->applied,
		    (unsigned long long)p->rchunk);
		return;
	}
	proof_rlater(p);
}

/* Every chunk as the target computed it, against the source's result. */
static void
proof_rcompare_cb(void *arg, struct mydb_result *res)
{
	struct proof_stream	*st = arg;
	struct proof		*p = st->p;
	const char		*db, *tbl, *key, *a, *b, *ma, *mb;
	char			*full;
	uint64_t		 nt, ns;
	unsigned long long	 r;

	if (p->finished || proof_answer(p->st, PROOF_TGT, res, "reading the "
	    "replicated checksums") == -1)
		return;
	p->applied = res->nrows;
	if (res->nrows != p->rchunk) {
		proof_fail(p, "target: %llu of %llu replicated checksums "
		    "arrived: were rows of " PROOF_RTABLE " changed there?",
		    (unsigned long long)res->nrows,
		    (unsigned long long)p->rchunk);
		return;
	}
	for (r = 0; r < res->nrows; r++) {
		db = mydb_get(res, r, "db");
		tbl = mydb_get(res, r, "tbl");
		key = mydb_get(res, r, "kname");
		a = mydb_get(res, r, "a");
		b = mydb_get(res, r, "b");
		ma = mydb_get(res, r, "ma");
		mb = mydb_get(res, r, "mb");
		nt = strtoull(mydb_get(res, r, "n") ? mydb_get(res, r,
		    "n") : "0", NULL, 10);
		ns = strtoull(mydb_get(res, r, "mn") ? mydb_get(res, r,
		    "mn") : "0", NULL, 10);
		if (ns == nt && proof_streq(a, ma) && proof_streq(b, mb))
			continue;
		full = xasprintf("%s.%s", db ? db : "?", tbl ? tbl : "?");
		proof_mismatch_in(p, full, key, nt < ns ?
		    PROOF_MISSING_ON_TARGET : nt > ns ? PROOF_EXTRA_ON_TARGET :
		    PROOF_ROWS_DIFFER, xstrdup(mydb_get(res, r, "lo")),
		    xstrdup(mydb_get(res, r, "hi")), ns, nt, NULL);
		free(full);
	}
	p->waiting = 0;
	proof_finish(p);
}

/* --- the interface --- */

static struct proof *
proof_make(struct event_base *base, struct mydb *const *src,
    struct mydb *const *tgt, size_t n, const char *const *schemas,
    size_t nschemas, int chunk_rows, proof_cb done, void *arg)
{
	struct proof	*p;
	FILE		*f;
	char		*q;
	size_t		 len, i;

	p = xcalloc(1, sizeof(*p));
	if ((p->ev_done = event_new(base, -1, 0, proof_done_cb, p)) == NULL ||
	    (p->ev_save = evtimer_new(base, proof_save_tick_cb, p)) == NULL)
		fatalx("event_new");
	p->side[PROOF_SRC].label = "source";
	p->side[PROOF_TGT].label = "target";
	p->nst = n > 0 ? n : 1;
	p->st = xcalloc(p->nst, sizeof(*p->st));
	for (i = 0; i < p->nst; i++) {
		p->st[i].p = p;
		p->st[i].idx = i;
		p->st[i].busy = PROOF_B_META;
		p->st[i].db[PROOF_SRC] = src[i];
		p->st[i].db[PROOF_TGT] = tgt[i];
		/* The sessions given, each holding its snapshot. */
		p->st[i].tid[PROOF_SRC] = mydb_thread_id(src[i]);
		p->st[i].tid[PROOF_TGT] = mydb_thread_id(tgt[i]);
	}
	p->qtail = &p->queue;
	p->chunk_rows = chunk_rows > 0 ? chunk_rows : PROOF_CHUNK_ROWS;
	p->adaptive = chunk_rows <= 0;
	p->nschemas = nschemas;
	p->done = done;
	p->arg = arg;
	p->t0_us = now_mono_us();
	p->state = json_pack("{s:{}}", "tables");
	f = proof_sb(&p->in, &len);
	if (nschemas == 0)
		fputs("NULL", f);
	for (i = 0; i < nschemas; i++) {
		q = mydb_quote(schemas[i]);
		fprintf(f, "%s%s", i ? ", " : "", q);
		free(q);
	}
	p->in = proof_sb_end(f, &p->in);
	return p;
}

/* The first answers tell whether these are the sessions given. */
static struct proof *
proof_start(struct proof *p)
{
	const char	*sql = proof_meta_sql(p, PROOF_M_SESSION, NULL, 0);
	size_t		 i;
	int		 full = 0;

	if (p->repl && proof_rprep_send(p, p->st[0].db[PROOF_SRC]) == -1)
		full = 1;
	for (i = 0; i < p->nst && !full; i++)
		if (mydb_query(p->st[i].db[PROOF_SRC], sql, proof_meta_src_cb,
		    &p->st[i]) == -1 || mydb_query(p->st[i].db[PROOF_TGT], sql,
		    proof_meta_tgt_cb, &p->st[i]) == -1)
			full = 1;
	if (!full)
		return p;
	log_warnx("proof: a connection's query queue is full");
	proof_finish(p);
	event_del(p->ev_done);
	proof_free(p);
	return NULL;
}

struct proof *
proof_new(struct event_base *base, struct mydb *const *src,
    struct mydb *const *tgt, size_t n, const char *const *schemas,
    size_t nschemas, int chunk_rows, proof_cb done, void *arg)
{
	return proof_start(proof_make(base, src, tgt, n, schemas, nschemas,
	    chunk_rows, done, arg));
}

struct proof *
proof_new_repl(struct event_base *base, uint64_t run, const char *owner,
    const char *status_sql, struct mydb *src, struct mydb *tgt,
    const char *const *schemas, size_t nschemas, int chunk_rows,
    proof_cb done, void *arg)
{
	struct proof	*p;

	p = proof_make(base, &src, &tgt, 1, schemas, nschemas, chunk_rows,
	    done, arg);
	p->repl = 1;
	p->adaptive = 0;
	p->run = run;
	p->status_sql = xstrdup(status_sql);
	p->owner = xstrdup(owner);
	if ((p->ev = evtimer_new(base, proof_rtick_cb, p)) == NULL)
		fatalx("evtimer_new");
	return proof_start(p);
}

void
proof_resume(struct proof *p, const json_t *state)
{
	json_decref(p->resume);
	p->resume = state != NULL ? json_deep_copy(state) : NULL;
}

void
proof_on_save(struct proof *p, proof_save_cb cb, void *arg)
{
	p->save = cb;
	p->save_arg = arg;
}

const json_t *
proof_state(const struct proof *p)
{
	return p->state;
}

static void
proof_stream_clear(struct proof_stream *st)
{
	size_t	s, i;

	for (s = 0; s < 2; s++)
		for (i = 0; i < 3; i++)
			free(st->sum[s][i]);
	proof_chunk_free(st->c);
}

static void
proof_report_clear(struct proof_report *r)
{
	size_t	i;

	for (i = 0; i < r->nlisted; i++) {
		free(r->mismatches[i].table);
		free(r->mismatches[i].key);
		free(r->mismatches[i].lo);
		free(r->mismatches[i].hi);
		free(r->mismatches[i].detail);
	}
	free(r->mismatches);
	for (i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	free(r->error);
}

void
proof_free(struct proof *p)
{
	struct proof_chunk	*c;
	size_t			 i, s;

	if (p == NULL)
		return;
	for (i = 0; i < p->nst; i++)
		for (s = 0; s < 2; s++) {
			mydb_forget(p->st[i].db[s], &p->st[i]);
			mydb_forget(p->st[i].db[s], p);
		}
	while ((c = proof_dequeue(p)) != NULL)
		proof_chunk_free(c);
	for (i = 0; i < p->nst; i++)
		proof_stream_clear(&p->st[i]);
	for (i = 0; p->walks != NULL && i < p->npairs; i++)
		proof_walk_free(p->walks[i]);
	free(p->walks);
	free(p->st);
	if (p->ev != NULL)
		event_free(p->ev);
	event_free(p->ev_done);
	event_free(p->ev_save);
	free(p->status_sql);
	free(p->owner);
	for (s = 0; s < 2; s++) {
		for (i = 0; i < p->side[s].ntabs; i++)
			proof_tab_clear(&p->side[s].tabs[i]);
		free(p->side[s].tabs);
	}
	free(p->pairs);
	free(p->in);
	json_decref(p->resume);
	json_decref(p->state);
	proof_report_clear(&p->rep);
	free(p);
}

/* Bytes done against the estimate, the rate, the time left. Pure. */
void
proof_pace(const struct proof_report *r, int64_t elapsed_ms,
    struct proof_pace *pc)
{
	uint64_t	ran;

	memset(pc, 0, sizeof(*pc));
	pc->eta_s = -1;
	if (r->bytes_total > 0)
		pc->pct = r->bytes_done >= r->bytes_total ? 100 :
		    (int)(r->bytes_done * 100 / r->bytes_total);
	ran = r->bytes_done > r->bytes_resumed ? r->bytes_done -
	    r->bytes_resumed : 0;
	if (elapsed_ms < 1000 || ran == 0)
		return;
	pc->bytes_per_s = (double)ran * 1000 / (double)elapsed_ms;
	pc->eta_s = r->bytes_total > r->bytes_done ? (int64_t)((double)(
	    r->bytes_total - r->bytes_done) / pc->bytes_per_s + 0.5) : 0;
}

int64_t
proof_elapsed_ms(const struct proof *p)
{
	return p->finished ? p->rep.elapsed_ms : (now_mono_us() - p->t0_us) /
	    1000;
}

/* "1h02m", "3m05s", "42s". */
static void
proof_dur(char *buf, size_t len, int64_t s)
{
	if (s < 0)
		snprintf(buf, len, "?");
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
}

const char *
proof_progress(struct proof *p)
{
	const struct proof_report	*r = &p->rep;
	struct proof_pace		 pc;
	char				 eta[32];

	proof_pace(r, proof_elapsed_ms(p), &pc);
	proof_dur(eta, sizeof(eta), pc.eta_s);
	if (p->finished)
		snprintf(p->progress, sizeof(p->progress), "%s: %zu/%zu "
		    "tables, %llu chunks, %llu rows, %llu mismatches",
		    proof_verdict_name(r->verdict), r->tables,
		    r->tables_total, (unsigned long long)r->chunks,
		    (unsigned long long)r->rows,
		    (unsigned long long)r->nmismatches);
	else if (p->listed < 2)
		snprintf(p->progress, sizeof(p->progress), "listing tables");
	else if (p->waiting)
		snprintf(p->progress, sizeof(p->progress), "%zu/%zu tables, "
		    "%llu chunks, %llu rows checksummed on the source; the "
		    "target has applied %llu/%llu", r->tables,
		    r->tables_total, (unsigned long long)r->chunks,
		    (unsigned long long)r->rows,
		    (unsigned long long)p->applied,
		    (unsigned long long)p->rchunk);
	else
		snprintf(p->progress, sizeof(p->progress), "%zu/%zu tables, "
		    "%llu chunks, %llu rows, %.0f of ~%.0f MB (%d%%), %.1f "
		    "MB/s, %s left, %zu stream%s, %llu mismatches%s",
		    r->tables, r->tables_total, (unsigned long long)r->chunks,
		    (unsigned long long)r->rows, (double)r->bytes_done / 1e6,
		    (double)r->bytes_total / 1e6, pc.pct, pc.bytes_per_s / 1e6,
		    eta, p->nst, p->nst == 1 ? "" : "s",
		    (unsigned long long)r->nmismatches, r->resumed_chunks > 0 ?
		    " (resumed)" : "");
	return p->progress;
}

json_t *
proof_pace_json(struct proof *p)
{
	const struct proof_report	*r = &p->rep;
	struct proof_pace		 pc;

	proof_pace(r, proof_elapsed_ms(p), &pc);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I}",
	    "streams", (json_int_t)p->nst,
	    "tables", (json_int_t)r->tables,
	    "chunks", (json_int_t)r->chunks,
	    "rows", (json_int_t)r->rows,
	    "bytes_done", (json_int_t)r->bytes_done,
	    "bytes_total", (json_int_t)r->bytes_total,
	    "bytes_per_s", pc.bytes_per_s,
	    "eta_s", (json_int_t)pc.eta_s,
	    "elapsed_ms", (json_int_t)proof_elapsed_ms(p));
}

const struct proof_report *
proof_counts(const struct proof *p)
{
	return &p->rep;
}

const struct proof_report *
proof_report(const struct proof *p)
{
	return p->finished ? &p->rep : NULL;
}

const char *
proof_verdict_name(enum proof_verdict v)
{
	switch (v) {
	case PROOF_OK:
		return "ok";
	case PROOF_MISMATCH:
		return "mismatch";
	case PROOF_ERROR:
		return "error";
	}
	return "?";
}

const char *
proof_what_name(enum proof_what w)
{
	switch (w) {
	case PROOF_ROWS_DIFFER:
		return "rows differ";
	case PROOF_MISSING_ON_TARGET:
		return "missing on target";
	case PROOF_EXTRA_ON_TARGET:
		return "extra on target";
	case PROOF_TABLE_MISSING:
		return "table missing on target";
	case PROOF_TABLE_EXTRA:
		return "table extra on target";
	case PROOF_COLUMNS_DIFFER:
		return "columns differ";
	}
	return "?";
}

/* A JSON string, invalid UTF-8 bytes shown as '?'; null for NULL. */
static json_t *
proof_json_str(const char *s)
{
	json_t	*j;
	char	*copy, *c;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	copy = xstrdup(s);
	for (c = copy; *c != '\0'; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *
proof_report_json(const struct proof_report *r)
{
	const struct proof_mismatch	*m;
	json_t				*o, *list, *notes;
	size_t				 i;

	list = json_array();
	for (i = 0; i < r->nlisted; i++) {
		m = &r->mismatches[i];
		json_array_append_new(list, json_pack("{s:o, s:s, s:o, s:o, "
		    "s:o, s:I, s:I, s:o}",
		    "table", proof_json_str(m->table),
		    "what", proof_what_name(m->what),
		    "key", proof_json_str(m->key),
		    "lo", proof_json_str(m->lo),
		    "hi", proof_json_str(m->hi),
		    "src_rows", (json_int_t)m->src_rows,
		    "tgt_rows", (json_int_t)m->tgt_rows,
		    "detail", proof_json_str(m->detail)));
	}
	notes = json_array();
	for (i = 0; i < r->nnotes; i++)
		json_array_append_new(notes, proof_json_str(r->notes[i]));
	o = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
	    "verdict", proof_verdict_name(r->verdict),
	    "error", proof_json_str(r->error),
	    "tables", (json_int_t)r->tables,
	    "tables_total", (json_int_t)r->tables_total,
	    "chunks", (json_int_t)r->chunks,
	    "rows", (json_int_t)r->rows,
	    "elapsed_ms", (json_int_t)r->elapsed_ms,
	    "mismatches", (json_int_t)r->nmismatches,
	    "mismatch_list", list,
	    "notes", notes);
	json_object_update_new(o, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
	    "streams", (json_int_t)r->streams,
	    "streams_busy_max", (json_int_t)r->streams_busy_max,
	    "bytes_total", (json_int_t)r->bytes_total,
	    "bytes_done", (json_int_t)r->bytes_done,
	    "resumed_chunks", (json_int_t)r->resumed_chunks,
	    "resumed_tables", (json_int_t)r->resumed_tables));
	return o;
}
