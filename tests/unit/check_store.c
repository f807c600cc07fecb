/*
 * check_store: the SQLite state file. Round trips of every persisted field,
 * the transactions that must never be half-written (proved with triggers
 * that make the second write fail), effects surviving a crashed process,
 * journal order and limits, samples, cascades, the upgrade from every older
 * schema, and the files store_open() must refuse and leave byte-identical:
 * newer schema, corrupt, and other programs' databases. Each test works in
 * its own directory under /tmp, removed afterwards.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "migration.h"
#include "phase.h"
#include "store.h"

#define APPLICATION_ID	0x6d696772	/* "migr", as in store.c */

/*
 * Every test gets a directory of its own inside topdir; main() removes
 * topdir at the end, so a failed test (whose forked child never reaches
 * teardown) leaves nothing behind either.
 */
static char	 topdir[] = "/tmp/check_store.XXXXXX";
static char	*tmpdir;
static char	*dbpath;

static void
setup(void)
{
	ck_assert_int_ne(asprintf(&tmpdir, "%s/t.XXXXXX", topdir), -1);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_ne(asprintf(&dbpath, "%s/state.db", tmpdir), -1);
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
teardown(void)
{
	rm_tree(tmpdir);
	free(tmpdir);
	free(dbpath);
	tmpdir = dbpath = NULL;
}

static struct store *
open_ok(void)
{
	struct store	*s;
	char		 err[1024] = "";

	s = store_open(dbpath, err, sizeof(err));
	ck_assert_msg(s != NULL, "store_open: %s", err);
	return s;
}

/* A side connection, as another process (or the operator's sqlite3) has. */
static void
sql_exec(const char *sql)
{
	sqlite3	*db;
	char	*msg = NULL;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
	    "%s: %s", sql, msg);
	sqlite3_close(db);
}

static int64_t
sql_int(const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 v;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE		*f;
	unsigned char	*buf;
	long		 n;

	ck_assert_ptr_nonnull(f = fopen(path, "rb"));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	ck_assert_int_ge(n = ftell(f), 0);
	rewind(f);
	ck_assert_ptr_nonnull(buf = malloc(n + 1));
	ck_assert_int_eq(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*len = n;
	return buf;
}

static void
spew(const char *path, const void *buf, size_t len)
{
	FILE	*f;

	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_int_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static int
sibling_exists(const char *suffix)
{
	struct stat	 sb;
	char		*p;
	int		 r;

	ck_assert_int_ne(asprintf(&p, "%s%s", dbpath, suffix), -1);
	r = stat(p, &sb) == 0;
	free(p);
	return r;
}

/*
 * store_open() must refuse dbpath with a message containing want, leave
 * the file byte-identical, and leave no journal, WAL or shm beside it that
 * was not there before.
 */
static void
refused_untouched(const char *want)
{
	unsigned char	*before, *after;
	size_t		 blen, alen;
	int		 wal, shm, journal;
	char		 err[1024] = "";

	before = slurp(dbpath, &blen);
	wal = sibling_exists("-wal");
	shm = sibling_exists("-shm");
	journal = sibling_exists("-journal");

	ck_assert_ptr_null(store_open(dbpath, err, sizeof(err)));
	log_debug("refused: %s", err);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"",
	    err, want);
	ck_assert_msg(strncmp(err, dbpath, strlen(dbpath)) == 0,
	    "error \"%s\" does not name the file", err);

	after = slurp(dbpath, &alen);
	ck_assert_uint_eq(alen, blen);
	ck_assert_msg(memcmp(before, after, blen) == 0, "file was modified");
	ck_assert_int_eq(sibling_exists("-wal"), wal);
	ck_assert_int_eq(sibling_exists("-shm"), shm);
	ck_assert_int_eq(sibling_exists("-journal"), journal);
	free(before);
	free(after);

	/* A second try says the same: nothing changed in between. */
	ck_assert_ptr_null(store_open(dbpath, err, sizeof(err)));
	ck_assert_msg(strstr(err, want) != NULL, "second error \"%s\"", err);
}

static struct migration *
mig_full(const char *name)
{
	struct migration	*m;

	m = migration_new(name);
	ck_assert_ptr_nonnull(m->plan_path = strdup("/etc/migrated/plans/x.ini"));
	ck_assert_ptr_nonnull(m->plan_text =
	    strdup("[source]\nhost = 10.0.0.5\n# \xc3\xa9t\xc3\xa9 'quoted'\n"));
	ck_assert_ptr_nonnull(m->overrides =
	    strdup("{\"gates.max_p99\":\"2s\"}"));
	m->phase = PH_PAUSED;
	m->resume_to = PH_SHIFTING;
	m->step = 3;
	m->approved = 1;
	migration_set_reason(m, "5xx rate 3.2% > 1%");
	m->phase_since = 1700000000123LL;
	m->created = 1690000000456LL;
	return m;
}

static struct migration *
mig_bare(const char *name)
{
	struct migration	*m;

	m = migration_new(name);
	ck_assert_ptr_nonnull(m->plan_text = strdup("name = x\n"));
	return m;
}

struct migs {
	struct migration	*v[16];
	int			 n;
};

static void
migs_cb(void *arg, struct migration *m)
{
	struct migs	*ms = arg;

	ck_assert_int_lt(ms->n, 16);
	ms->v[ms->n++] = m;
}

static void
migs_free(struct migs *ms)
{
	int	i;

	for (i = 0; i < ms->n; i++)
		migration_free(ms->v[i]);
	ms->n = 0;
}

static void
assert_mig_eq(const struct migration *a, const struct migration *b)
{
	ck_assert_int_eq(a->id, b->id);
	ck_assert_str_eq(a->name, b->name);
	ck_assert_pstr_eq(a->plan_path, b->plan_path);
	ck_assert_str_eq(a->plan_text, b->plan_text);
	ck_assert_pstr_eq(a->overrides, b->overrides);
	ck_assert_int_eq(a->phase, b->phase);
	ck_assert_int_eq(a->resume_to, b->resume_to);
	ck_assert_int_eq(a->step, b->step);
	ck_assert_int_eq(a->approved, b->approved);
	ck_assert_pstr_eq(a->reason, b->reason);
	ck_assert_int_eq(a->phase_since, b->phase_since);
	ck_assert_int_eq(a->created, b->created);
	ck_assert_ptr_null(b->plan);
}

struct rows {
	int64_t	 id[64];
	char	*kind[64];
	char	*from[64];
	char	*to[64];
	char	*event[64];
	char	*text[64];
	int	 n;
};

static char *
dup_or_null(const char *s)
{
	char	*p;

	if (s == NULL)
		return NULL;
	ck_assert_ptr_nonnull(p = strdup(s));
	return p;
}

static void
rows_cb(void *arg, const struct store_journal_row *r)
{
	struct rows	*rs = arg;

	ck_assert_int_lt(rs->n, 64);
	ck_assert_int_gt(r->ts, 0);
	rs->id[rs->n] = r->id;
	rs->kind[rs->n] = dup_or_null(r->kind);
	rs->from[rs->n] = dup_or_null(r->from);
	rs->to[rs->n] = dup_or_null(r->to);
	rs->event[rs->n] = dup_or_null(r->event);
	rs->text[rs->n] = dup_or_null(r->text);
	rs->n++;
}

static void
rows_free(struct rows *rs)
{
	int	i;

	for (i = 0; i < rs->n; i++) {
		free(rs->kind[i]);
		free(rs->from[i]);
		free(rs->to[i]);
		free(rs->event[i]);
		free(rs->text[i]);
	}
	rs->n = 0;
}

struct effs {
	int64_t	 id[16];
	char	*kind[16];
	char	*args[16];
	int64_t	 started[16];
	int	 n;
	struct store	*close_with;	/* reconcile each from the callback */
};

static void
effs_cb(void *arg, const struct store_effect *e)
{
	struct effs	*es = arg;

	ck_assert_int_lt(es->n, 16);
	ck_assert_str_eq(e->state, "intent");
	ck_assert_ptr_null(e->result);
	ck_assert_int_eq(e->finished, 0);
	es->id[es->n] = e->id;
	es->kind[es->n] = dup_or_null(e->kind);
	es->args[es->n] = dup_or_null(e->args);
	es->started[es->n] = e->started;
	es->n++;
	if (es->close_with != NULL)
		ck_assert_int_eq(store_effect_result(es->close_with, e->id,
		    "reconciled", "{\"seen\":true}"), 0);
}

static void
effs_free(struct effs *es)
{
	int	i;

	for (i = 0; i < es->n; i++) {
		free(es->kind[i]);
		free(es->args[i]);
	}
	es->n = 0;
}

/* Round trips. */

START_TEST(test_new_file)
{
	struct store	*s;
	struct migs	 ms = { .n = 0 };

	s = open_ok();
	ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, 0);
	store_close(s);

	ck_assert_int_eq(sql_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(sql_int("PRAGMA application_id"), APPLICATION_ID);
	store_close(NULL);
}
END_TEST

START_TEST(test_connection_settings)
{
	struct store	*s;
	sqlite3		*db;
	sqlite3_stmt	*st;

	s = open_ok();
	/* WAL is a property of the file; check it from a side connection. */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	store_close(s);
}
END_TEST

START_TEST(test_roundtrip)
{
	struct store		*s;
	struct migration	*a, *b;
	struct migs		 ms = { .n = 0 };
	int64_t			 t0 = now_ms();

	s = open_ok();
	a = mig_full("shop");
	b = mig_bare("blog");
	ck_assert_int_eq(store_mig_insert(s, a), 0);
	ck_assert_int_eq(store_mig_insert(s, b), 0);
	ck_assert_int_gt(a->id, 0);
	ck_assert_int_gt(b->id, a->id);
	ck_assert_int_ge(b->created, t0);
	ck_assert_int_ge(b->phase_since, t0);
	store_close(s);

	s = open_ok();
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, 2);
	assert_mig_eq(a, ms.v[0]);
	assert_mig_eq(b, ms.v[1]);
	ck_assert_int_ge(ms.v[0]->updated, t0);
	/* The defaults of a fresh migration survive as such. */
	ck_assert_int_eq(ms.v[1]->phase, PH_PLANNED);
	ck_assert_int_eq(ms.v[1]->resume_to, PH_NONE);
	ck_assert_int_eq(ms.v[1]->step, -1);
	ck_assert_ptr_null(ms.v[1]->overrides);
	ck_assert_ptr_null(ms.v[1]->reason);
	migs_free(&ms);

	/* Update rewrites every field, and NULLs clear. */
	a->phase = PH_FAILED;
	a->resume_to = PH_NONE;
	a->step = 5;
	a->approved = 0;
	migration_set_reason(a, NULL);
	free(a->overrides);
	a->overrides = NULL;
	free(a->plan_text);
	ck_assert_ptr_nonnull(a->plan_text = strdup("reloaded\n"));
	a->phase_since = 42;
	ck_assert_int_eq(store_mig_update(s, a), 0);
	b->phase = PH_DONE;
	ck_assert_int_eq(store_mig_update(s, b), 0);
	store_close(s);

	s = open_ok();
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, 2);
	assert_mig_eq(a, ms.v[0]);
	assert_mig_eq(b, ms.v[1]);
	migs_free(&ms);

	/* Every phase, by name, both as phase and as resume_to. */
	for (int ph = 0; ph < PH__COUNT; ph++) {
		a->phase = ph;
		a->resume_to = PH__COUNT - 1 - ph;
		ck_assert_int_eq(store_mig_update(s, a), 0);
		ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
		assert_mig_eq(a, ms.v[0]);
		migs_free(&ms);
	}
	ck_assert_int_eq(sql_int("SELECT count(*) FROM migrations WHERE "
	    "typeof(phase) <> 'text'"), 0);

	/* Out-of-range phases are refused, not stored as numbers. */
	a->phase = PH__COUNT;
	ck_assert_int_eq(store_mig_update(s, a), -1);
	a->phase = PH_PLANNED;

	/* Updating a migration that is not stored fails. */
	b->id = 9999;
	ck_assert_int_eq(store_mig_update(s, b), -1);

	store_close(s);
	migration_free(a);
	migration_free(b);
}
END_TEST

START_TEST(test_name_unique)
{
	struct store		*s;
	struct migration	*a, *b;
	struct migs		 ms = { .n = 0 };

	s = open_ok();
	a = mig_bare("shop");
	b = mig_full("shop");
	ck_assert_int_eq(store_mig_insert(s, a), 0);
	ck_assert_int_eq(store_mig_insert(s, b), -1);
	ck_assert_int_eq(b->id, 0);
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, 1);
	assert_mig_eq(a, ms.v[0]);
	migs_free(&ms);

	/* A migration without plan text is refused too (NOT NULL). */
	migration_free(b);
	b = migration_new("blog");
	ck_assert_int_eq(store_mig_insert(s, b), -1);
	store_close(s);
	migration_free(a);
	migration_free(b);
}
END_TEST

START_TEST(test_unknown_names)
{
	struct store		*s;
	struct migration	*a, *b;
	struct migs		 ms = { .n = 0 };

	s = open_ok();
	a = mig_bare("shop");
	b = mig_bare("blog");
	ck_assert_int_eq(store_mig_insert(s, a), 0);
	ck_assert_int_eq(store_mig_insert(s, b), 0);

	/* One bad row fails the whole load: the callback sees nothing. */
	sql_exec("UPDATE migrations SET phase = 'warp' WHERE name = 'blog'");
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), -1);
	ck_assert_int_eq(ms.n, 0);

	sql_exec("UPDATE migrations SET phase = 'planned', "
	    "resume_to = 'nowhere' WHERE name = 'blog'");
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), -1);
	ck_assert_int_eq(ms.n, 0);

	sql_exec("UPDATE migrations SET resume_to = NULL");
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, 2);
	migs_free(&ms);
	store_close(s);
	migration_free(a);
	migration_free(b);
}
END_TEST

/* Transitions. */

START_TEST(test_transition)
{
	struct store		*s;
	struct migration	*m;
	struct migs		 ms = { .n = 0 };
	struct rows		 rs = { .n = 0 };

	s = open_ok();
	m = mig_bare("shop");
	ck_assert_int_eq(store_mig_insert(s, m), 0);

	m->phase = PH_PREFLIGHT;
	m->phase_since = now_ms();
	ck_assert_int_eq(store_transition(s, m, PH_PLANNED, MEV_START,
	    "by alice"), 0);
	m->phase = PH_SEEDING;
	ck_assert_int_eq(store_transition(s, m, PH_PREFLIGHT,
	    MEV_CHECKS_PASSED, NULL), 0);
	store_close(s);

	s = open_ok();
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, 1);
	assert_mig_eq(m, ms.v[0]);
	migs_free(&ms);

	ck_assert_int_eq(store_history(s, m->id, 0, rows_cb, &rs), 0);
	ck_assert_int_eq(rs.n, 2);
	ck_assert_str_eq(rs.kind[0], "transition");
	ck_assert_str_eq(rs.from[0], "planned");
	ck_assert_str_eq(rs.to[0], "preflight");
	ck_assert_str_eq(rs.event[0], "start");
	ck_assert_str_eq(rs.text[0], "by alice");
	ck_assert_str_eq(rs.from[1], "preflight");
	ck_assert_str_eq(rs.to[1], "seeding");
	ck_assert_str_eq(rs.event[1], "checks_passed");
	ck_assert_ptr_null(rs.text[1]);
	rows_free(&rs);

	/* An event out of range is refused before anything is written. */
	ck_assert_int_eq(store_transition(s, m, PH_SEEDING, MEV__COUNT, NULL),
	    -1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal"), 2);
	store_close(s);
	migration_free(m);
}
END_TEST

/* The journal insert fails after the migration row was updated. */
START_TEST(test_transition_atomic)
{
	struct store		*s;
	struct migration	*m;
	struct migs		 ms = { .n = 0 };

	s = open_ok();
	m = mig_bare("shop");
	ck_assert_int_eq(store_mig_insert(s, m), 0);

	sql_exec("CREATE TRIGGER fail_journal BEFORE INSERT ON journal "
	    "WHEN NEW.kind = 'transition' "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END");
	m->phase = PH_PREFLIGHT;
	m->reason = strdup("half");
	ck_assert_int_eq(store_transition(s, m, PH_PLANNED, MEV_START, NULL),
	    -1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM migrations WHERE "
	    "phase = 'planned' AND reason IS NULL"), 1);
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.v[0]->phase, PH_PLANNED);
	migs_free(&ms);

	/* No transaction was left open: the next one goes through. */
	sql_exec("DROP TRIGGER fail_journal");
	ck_assert_int_eq(store_transition(s, m, PH_PLANNED, MEV_START, NULL),
	    0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM migrations WHERE "
	    "phase = 'preflight'"), 1);
	store_close(s);
	migration_free(m);
}
END_TEST

START_TEST(test_transition_deleted)
{
	struct store		*s;
	struct migration	*m, *other;

	s = open_ok();
	m = mig_bare("shop");
	other = mig_bare("blog");
	ck_assert_int_eq(store_mig_insert(s, m), 0);
	ck_assert_int_eq(store_mig_insert(s, other), 0);
	ck_assert_int_eq(store_mig_delete(s, m->id), 0);
	ck_assert_int_eq(store_mig_delete(s, m->id), -1);

	m->phase = PH_PREFLIGHT;
	ck_assert_int_eq(store_transition(s, m, PH_PLANNED, MEV_START, NULL),
	    -1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM migrations"), 1);

	other->phase = PH_PREFLIGHT;
	ck_assert_int_eq(store_transition(s, other, PH_PLANNED, MEV_START,
	    NULL), 0);
	store_close(s);
	migration_free(m);
	migration_free(other);
}
END_TEST

/* Effects. */

START_TEST(test_effects)
{
	struct store		*s;
	struct migration	*m;
	struct effs		 es = { .n = 0 };
	struct rows		 rs = { .n = 0 };
	int64_t			 e1, e2, e3, t0 = now_ms();

	s = open_ok();
	m = mig_bare("shop");
	ck_assert_int_eq(store_mig_insert(s, m), 0);

	e1 = store_effect_intent(s, m->id, "elbv2.set_weights",
	    "{\"droplets\":90,\"ecs\":10}");
	e2 = store_effect_intent(s, m->id, "mysql.freeze", NULL);
	e3 = store_effect_intent(s, m->id, "do.power_off", "{\"id\":7}");
	ck_assert_int_gt(e1, 0);
	ck_assert_int_gt(e2, e1);
	ck_assert_int_gt(e3, e2);

	ck_assert_int_eq(store_effects_open(s, m->id, effs_cb, &es), 0);
	ck_assert_int_eq(es.n, 3);
	ck_assert_int_eq(es.id[0], e1);
	ck_assert_str_eq(es.kind[0], "elbv2.set_weights");
	ck_assert_str_eq(es.args[0], "{\"droplets\":90,\"ecs\":10}");
	ck_assert_ptr_null(es.args[1]);
	ck_assert_int_ge(es.started[0], t0);
	effs_free(&es);

	ck_assert_int_eq(store_effect_result(s, e1, "done", "{\"ok\":1}"), 0);
	ck_assert_int_eq(store_effect_result(s, e3, "failed", NULL), 0);
	/* Results are final, states are checked, ids must exist. */
	ck_assert_int_eq(store_effect_result(s, e1, "failed", NULL), -1);
	ck_assert_int_eq(store_effect_result(s, e2, "intent", NULL), -1);
	ck_assert_int_eq(store_effect_result(s, e2, "bogus", NULL), -1);
	ck_assert_int_eq(store_effect_result(s, e2, NULL, NULL), -1);
	ck_assert_int_eq(store_effect_result(s, 9999, "done", NULL), -1);

	ck_assert_int_eq(store_effects_open(s, m->id, effs_cb, &es), 0);
	ck_assert_int_eq(es.n, 1);
	ck_assert_int_eq(es.id[0], e2);
	effs_free(&es);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM effects WHERE "
	    "state = 'done' AND result = '{\"ok\":1}' AND finished > 0"), 1);

	ck_assert_int_eq(store_history(s, m->id, 0, rows_cb, &rs), 0);
	ck_assert_int_eq(rs.n, 5);
	ck_assert_str_eq(rs.kind[0], "effect");
	ck_assert_str_eq(rs.text[0],
	    "intent elbv2.set_weights {\"droplets\":90,\"ecs\":10}");
	ck_assert_str_eq(rs.text[1], "intent mysql.freeze");
	ck_assert_str_eq(rs.text[3], "result elbv2.set_weights done {\"ok\":1}");
	ck_assert_str_eq(rs.text[4], "result do.power_off failed");
	ck_assert_ptr_null(rs.from[0]);
	rows_free(&rs);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal WHERE "
	    "effect IS NOT NULL"), 5);

	/* The callback may close what it is shown. */
	es.close_with = s;
	ck_assert_int_eq(store_effects_open(s, m->id, effs_cb, &es), 0);
	ck_assert_int_eq(es.n, 1);
	effs_free(&es);
	ck_assert_int_eq(store_effects_open(s, m->id, effs_cb, &es), 0);
	ck_assert_int_eq(es.n, 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM effects WHERE "
	    "state = 'reconciled'"), 1);

	/* An intent for a migration that does not exist writes nothing. */
	ck_assert_int_eq(store_effect_intent(s, 9999, "x", NULL), -1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM effects"), 3);
	store_close(s);
	migration_free(m);
}
END_TEST

START_TEST(test_effects_atomic)
{
	struct store		*s;
	struct migration	*m;
	int64_t			 e;

	s = open_ok();
	m = mig_bare("shop");
	ck_assert_int_eq(store_mig_insert(s, m), 0);

	sql_exec("CREATE TRIGGER fail_intent BEFORE INSERT ON journal "
	    "WHEN NEW.text LIKE 'intent %' "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END");
	ck_assert_int_eq(store_effect_intent(s, m->id, "ecs.scale", "{}"), -1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM effects"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal"), 0);
	sql_exec("DROP TRIGGER fail_intent");

	ck_assert_int_gt(e = store_effect_intent(s, m->id, "ecs.scale", "{}"),
	    0);
	sql_exec("CREATE TRIGGER fail_result BEFORE INSERT ON journal "
	    "WHEN NEW.text LIKE 'result %' "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END");
	ck_assert_int_eq(store_effect_result(s, e, "done", "{}"), -1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM effects WHERE "
	    "state = 'intent' AND result IS NULL AND finished IS NULL"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal"), 1);
	sql_exec("DROP TRIGGER fail_result");
	ck_assert_int_eq(store_effect_result(s, e, "done", "{}"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal"), 2);
	store_close(s);
	migration_free(m);
}
END_TEST

/*
 * A process journals an intent and dies before the result: by _exit()
 * without closing (_i == 0) or by SIGKILL while the store is open (_i == 1).
 * The next process finds the open intent.
 */
START_TEST(test_effects_crash)
{
	struct store		*s;
	struct migs		 ms = { .n = 0 };
	struct effs		 es = { .n = 0 };
	struct migration	*m;
	int			 p[2], status;
	pid_t			 pid;
	char			 c;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		close(p[0]);
		s = open_ok();
		m = mig_bare("shop");
		if (store_mig_insert(s, m) == -1 ||
		    store_effect_intent(s, m->id, "mysql.freeze",
		    "{\"timeout_ms\":3000}") == -1)
			_exit(2);
		if (_i == 0)
			_exit(0);
		if (write(p[1], "k", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	if (_i == 1) {
		ck_assert_int_eq(read(p[0], &c, 1), 1);
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(p[0]);
	if (_i == 0)
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	else
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	s = open_ok();
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, 1);
	ck_assert_int_eq(store_effects_open(s, ms.v[0]->id, effs_cb, &es), 0);
	ck_assert_int_eq(es.n, 1);
	ck_assert_str_eq(es.kind[0], "mysql.freeze");
	ck_assert_str_eq(es.args[0], "{\"timeout_ms\":3000}");
	ck_assert_int_eq(store_effect_result(s, es.id[0], "reconciled",
	    "{\"read_only\":false}"), 0);
	effs_free(&es);
	ck_assert_int_eq(store_effects_open(s, ms.v[0]->id, effs_cb, &es), 0);
	ck_assert_int_eq(es.n, 0);
	migs_free(&ms);
	store_close(s);
}
END_TEST

/* Journal, samples, delete. */

START_TEST(test_history)
{
	struct store		*s;
	struct migration	*a, *b;
	struct rows		 rs = { .n = 0 };
	char			 text[32];
	int			 i;

	s = open_ok();
	a = mig_bare("shop");
	b = mig_bare("blog");
	ck_assert_int_eq(store_mig_insert(s, a), 0);
	ck_assert_int_eq(store_mig_insert(s, b), 0);
	for (i = 1; i <= 10; i++) {
		snprintf(text, sizeof(text), "a%d", i);
		ck_assert_int_eq(store_journal(s, a->id, "operator", text), 0);
		snprintf(text, sizeof(text), "b%d", i);
		ck_assert_int_eq(store_journal(s, b->id, "hook", text), 0);
	}

	ck_assert_int_eq(store_history(s, a->id, 3, rows_cb, &rs), 0);
	ck_assert_int_eq(rs.n, 3);
	ck_assert_str_eq(rs.text[0], "a8");
	ck_assert_str_eq(rs.text[1], "a9");
	ck_assert_str_eq(rs.text[2], "a10");
	ck_assert_str_eq(rs.kind[0], "operator");
	ck_assert_int_lt(rs.id[0], rs.id[1]);
	rows_free(&rs);

	ck_assert_int_eq(store_history(s, b->id, 0, rows_cb, &rs), 0);
	ck_assert_int_eq(rs.n, 10);
	for (i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "b%d", i + 1);
		ck_assert_str_eq(rs.text[i], text);
		ck_assert_str_eq(rs.kind[i], "hook");
	}
	rows_free(&rs);

	ck_assert_int_eq(store_history(s, b->id, 100, rows_cb, &rs), 0);
	ck_assert_int_eq(rs.n, 10);
	rows_free(&rs);
	ck_assert_int_eq(store_history(s, 9999, 10, rows_cb, &rs), 0);
	ck_assert_int_eq(rs.n, 0);

	/* Journal rows need their migration (foreign key). */
	ck_assert_int_eq(store_journal(s, 9999, "operator", "x"), -1);
	ck_assert_int_eq(store_journal(s, a->id, NULL, "x"), -1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal"), 20);
	store_close(s);
	migration_free(a);
	migration_free(b);
}
END_TEST

START_TEST(test_samples)
{
	struct store		*s;
	struct migration	*m;

	s = open_ok();
	m = mig_bare("shop");
	ck_assert_int_eq(store_mig_insert(s, m), 0);
	ck_assert_int_eq(store_sample(s, m->id, "lag_ms", 120.5), 0);
	ck_assert_int_eq(store_sample(s, m->id, "lag_ms", 80), 0);
	ck_assert_int_eq(store_sample(s, m->id, "weight_ecs", 10), 0);
	ck_assert_int_eq(store_sample(s, 9999, "lag_ms", 1), -1);
	ck_assert_int_eq(store_sample(s, m->id, NULL, 1), -1);
	store_close(s);

	ck_assert_int_eq(sql_int("SELECT count(*) FROM samples"), 3);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM samples WHERE "
	    "series = 'lag_ms' AND ts > 0"), 2);
	ck_assert_int_eq(sql_int("SELECT CAST(sum(value) * 10 AS INTEGER) "
	    "FROM samples WHERE series = 'lag_ms'"), 2005);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM pragma_index_info("
	    "(SELECT name FROM sqlite_master WHERE type = 'index' AND "
	    "tbl_name = 'samples'))"), 3);
	migration_free(m);
}
END_TEST

START_TEST(test_facts)
{
	struct store		*s;
	struct migration	*m;
	char			*v;

	s = open_ok();
	m = mig_bare("shop");
	ck_assert_int_eq(store_mig_insert(s, m), 0);
	ck_assert_ptr_null(store_fact_get(s, m->id, "seed.file"));
	ck_assert_int_eq(store_fact_set(s, m->id, "seed.file", "bin.000003"),
	    0);
	ck_assert_int_eq(store_fact_set(s, m->id, "seed.pos", "4"), 0);
	ck_assert_int_eq(store_fact_set(s, m->id, "seed.pos", "1234"), 0);
	ck_assert_int_eq(store_fact_set(s, 9999, "x", "y"), -1);
	store_close(s);

	/* Facts survive a reopen; the newest value wins; NULL removes. */
	s = open_ok();
	v = store_fact_get(s, m->id, "seed.pos");
	ck_assert_str_eq(v, "1234");
	free(v);
	v = store_fact_get(s, m->id, "seed.file");
	ck_assert_str_eq(v, "bin.000003");
	free(v);
	ck_assert_int_eq(store_fact_set(s, m->id, "seed.file", NULL), 0);
	ck_assert_ptr_null(store_fact_get(s, m->id, "seed.file"));
	ck_assert_int_eq(store_mig_delete(s, m->id), 0);
	store_close(s);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM facts"), 0);
	migration_free(m);
}
END_TEST

START_TEST(test_delete_cascade)
{
	struct store		*s;
	struct migration	*a, *b;
	struct migs		 ms = { .n = 0 };
	struct migration	*both[2];
	int			 i;

	s = open_ok();
	both[0] = a = mig_full("shop");
	both[1] = b = mig_bare("blog");
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(store_mig_insert(s, both[i]), 0);
		both[i]->phase = PH_PREFLIGHT;
		ck_assert_int_eq(store_transition(s, both[i], PH_PLANNED,
		    MEV_START, NULL), 0);
		ck_assert_int_eq(store_journal(s, both[i]->id, "operator",
		    "start"), 0);
		ck_assert_int_gt(store_effect_intent(s, both[i]->id, "k",
		    NULL), 0);
		ck_assert_int_eq(store_sample(s, both[i]->id, "lag_ms", 1), 0);
	}
	ck_assert_int_eq(store_mig_delete(s, a->id), 0);
	store_close(s);

	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal WHERE mig = 1"),
	    0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM effects WHERE mig = 1"),
	    0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM samples WHERE mig = 1"),
	    0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM journal WHERE mig = 2"),
	    3);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM effects WHERE mig = 2"),
	    1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM samples WHERE mig = 2"),
	    1);

	s = open_ok();
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, 1);
	ck_assert_str_eq(ms.v[0]->name, "blog");
	migs_free(&ms);
	/* The name is free again. */
	a->id = 0;
	ck_assert_int_eq(store_mig_insert(s, a), 0);
	store_close(s);
	migration_free(a);
	migration_free(b);
}
END_TEST

/* Schema and upgrades. */

/* The tables of the current schema, column names in order. */
static const struct {
	const char	*table;
	const char	*columns;
} schema[] = {
	{ "migrations", "id,name,plan_path,plan_text,overrides,phase,"
	    "resume_to,step,approved,reason,phase_since,created,updated" },
	{ "journal", "id,mig,ts,kind,from_phase,to_phase,event,effect,text" },
	{ "effects", "id,mig,kind,args,state,result,started,finished" },
	{ "samples", "mig,ts,series,value" },
	{ "facts", "mig,key,value,updated" },
};

static void
assert_current_schema(void)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 cols[512];
	size_t		 i;

	ck_assert_int_eq(sql_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(sql_int("PRAGMA application_id"), APPLICATION_ID);
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT group_concat("
		    "name, ',') FROM (SELECT name FROM pragma_table_info(?1) "
		    "ORDER BY cid)", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, schema[i].table, -1, SQLITE_STATIC);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		snprintf(cols, sizeof(cols), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		ck_assert_str_eq(cols, schema[i].columns);
	}
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
	    "pragma_foreign_key_list('journal') WHERE \"table\" = 'migrations' "
	    "AND on_delete = 'CASCADE'", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	/* effects.state takes only the four states. */
	ck_assert_int_ne(sqlite3_exec(db, "INSERT INTO effects (mig, kind, "
	    "state, started) VALUES (1, 'k', 'bogus', 0)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'index' AND tbl_name = 'journal' AND sql IS NOT NULL"), 1);
}

/*
 * A file as each older schema left it. Adding schema version N + 1 to
 * store.c means adding fixtures of version N here: its tables as upgrades[]
 * created them, with rows that must survive (nmigs of them, names a*);
 * test_upgrade_covered fails until every older version has one.
 */
static const struct fixture {
	int		 version;
	const char	*what;
	const char	*sql;		/* NULL: a zero-byte file */
	int		 nmigs;
} fixtures[] = {
	{ 0, "zero-byte file", NULL, 0 },
	{ 0, "empty database in rollback mode",
	    "CREATE TABLE t (x); DROP TABLE t;", 0 },
	{ 0, "empty database in WAL mode",
	    "PRAGMA journal_mode = WAL; CREATE TABLE t (x); DROP TABLE t;", 0 },
	{ 1, "version 1 with two migrations, a journal and an effect",
	    "CREATE TABLE migrations (id INTEGER PRIMARY KEY, name TEXT UNIQUE "
	    "NOT NULL, plan_path TEXT, plan_text TEXT NOT NULL, overrides TEXT, "
	    "phase TEXT NOT NULL, resume_to TEXT, step INTEGER NOT NULL, "
	    "approved INTEGER NOT NULL, reason TEXT, phase_since INTEGER, "
	    "created INTEGER, updated INTEGER);"
	    "CREATE TABLE journal (id INTEGER PRIMARY KEY, mig INTEGER NOT NULL "
	    "REFERENCES migrations(id) ON DELETE CASCADE, ts INTEGER NOT NULL, "
	    "kind TEXT NOT NULL, from_phase TEXT, to_phase TEXT, event TEXT, "
	    "effect INTEGER, text TEXT);"
	    "CREATE INDEX journal_mig ON journal(mig, id);"
	    "CREATE TABLE effects (id INTEGER PRIMARY KEY, mig INTEGER NOT NULL "
	    "REFERENCES migrations(id) ON DELETE CASCADE, kind TEXT NOT NULL, "
	    "args TEXT, state TEXT NOT NULL CHECK (state IN ('intent', 'done', "
	    "'failed', 'reconciled')), result TEXT, started INTEGER NOT NULL, "
	    "finished INTEGER);"
	    "CREATE INDEX effects_mig ON effects(mig, state, id);"
	    "CREATE TABLE samples (mig INTEGER NOT NULL REFERENCES "
	    "migrations(id) ON DELETE CASCADE, ts INTEGER NOT NULL, series TEXT "
	    "NOT NULL, value REAL);"
	    "CREATE INDEX samples_mig ON samples(mig, series, ts);"
	    "INSERT INTO migrations VALUES (1, 'alpha', NULL, '# plan', NULL, "
	    "'shifting', NULL, 2, 0, NULL, 1, 1, 1);"
	    "INSERT INTO migrations VALUES (2, 'apple', NULL, '# plan', NULL, "
	    "'failed', 'preflight', -1, 0, 'why', 1, 1, 1);"
	    "INSERT INTO journal VALUES (1, 1, 1, 'transition', 'planned', "
	    "'preflight', 'start', NULL, NULL);"
	    "INSERT INTO effects VALUES (1, 2, 'hook', '{}', 'intent', NULL, 1, "
	    "NULL);"
	    "PRAGMA application_id = 1835624306; PRAGMA user_version = 1;", 2 },
};

START_TEST(test_upgrade_covered)
{
	size_t	i;
	int	v, found;

	for (v = 0; v < STORE_SCHEMA_VERSION; v++) {
		found = 0;
		for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
			if (fixtures[i].version == v)
				found = 1;
		ck_assert_msg(found, "no upgrade fixture for schema version %d",
		    v);
	}
}
END_TEST

START_TEST(test_upgrade)
{
	const struct fixture	*f = &fixtures[_i];
	struct store		*s;
	struct migration	*m;
	struct migs		 ms = { .n = 0 };
	int			 i;

	if (f->sql == NULL)
		spew(dbpath, "", 0);
	else
		sql_exec(f->sql);
	ck_assert_int_eq(sql_int("PRAGMA user_version"), f->version);

	s = open_ok();
	ck_assert_msg(store_schema_version(s) == STORE_SCHEMA_VERSION,
	    "%s: version %d", f->what, store_schema_version(s));
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, f->nmigs);
	for (i = 0; i < ms.n; i++)
		ck_assert_int_eq(ms.v[i]->name[0], 'a');
	migs_free(&ms);

	/* The upgraded file works for everything. */
	m = mig_full("upgraded");
	ck_assert_int_eq(store_mig_insert(s, m), 0);
	m->phase = PH_PREFLIGHT;
	ck_assert_int_eq(store_transition(s, m, PH_PLANNED, MEV_START, NULL),
	    0);
	ck_assert_int_gt(store_effect_intent(s, m->id, "k", NULL), 0);
	ck_assert_int_eq(store_sample(s, m->id, "lag_ms", 1), 0);
	store_close(s);
	assert_current_schema();

	/* Reopening an up-to-date file changes nothing. */
	s = open_ok();
	ck_assert_int_eq(store_mig_load(s, migs_cb, &ms), 0);
	ck_assert_int_eq(ms.n, f->nmigs + 1);
	migs_free(&ms);
	store_close(s);
	migration_free(m);
}
END_TEST

/* Files that must be refused and left alone. */

START_TEST(test_newer_refused)
{
	char	want[256], sql[256];

	snprintf(want, sizeof(want), "state file has schema version %d, this "
	    "migrated knows up to %d; upgrade migrated",
	    STORE_SCHEMA_VERSION + 1, STORE_SCHEMA_VERSION);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    STORE_SCHEMA_VERSION + 1);

	if (_i == 0) {
		/* Rollback journal mode, as a bare sqlite3 would write it. */
		snprintf(sql, sizeof(sql), "CREATE TABLE migrations (id); "
		    "PRAGMA application_id = %d; PRAGMA user_version = %d",
		    APPLICATION_ID, STORE_SCHEMA_VERSION + 1);
		sql_exec(sql);
	} else {
		/* A real state file, in WAL mode, from a newer migrated. */
		store_close(open_ok());
		sql_exec(sql);
	}
	ck_assert_int_eq(sibling_exists("-wal"), 0);
	refused_untouched(want);
}
END_TEST

/* A state file with a few pages of rows, closed cleanly. */
static void
make_state_file(void)
{
	struct store		*s;
	struct migration	*m;
	char			 text[200];
	int			 i;

	s = open_ok();
	m = mig_full("shop");
	ck_assert_int_eq(store_mig_insert(s, m), 0);
	for (i = 0; i < 300; i++) {
		snprintf(text, sizeof(text), "%d %0150d", i, i);
		ck_assert_int_eq(store_journal(s, m->id, "operator", text), 0);
	}
	store_close(s);
	migration_free(m);
	ck_assert_int_eq(sibling_exists("-wal"), 0);
}

START_TEST(test_corrupt_refused)
{
	unsigned char	*buf;
	size_t		 len, i, page = 4096;
	uint32_t	 x = 2463534242u;
	int		 fd;

	switch (_i) {
	case 0:		/* random bytes */
		ck_assert_ptr_nonnull(buf = malloc(len = 4 * page));
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[i] = x & 0xff;
		}
		spew(dbpath, buf, len);
		free(buf);
		break;
	case 1:		/* a short text file */
		spew(dbpath, "not a database\n", 15);
		break;
	case 2:		/* a state file overwritten in the middle */
		make_state_file();
		buf = slurp(dbpath, &len);
		ck_assert_uint_ge(len, 8 * page);
		memset(buf + (len / page / 2) * page, 0xa5, 2 * page);
		spew(dbpath, buf, len);
		free(buf);
		break;
	case 3:		/* a state file truncated to half */
		make_state_file();
		ck_assert_int_ge(fd = open(dbpath, O_WRONLY), 0);
		buf = slurp(dbpath, &len);
		free(buf);
		ck_assert_int_eq(ftruncate(fd, (len / page / 2) * page), 0);
		close(fd);
		break;
	}
	refused_untouched("not a migrated state file (or corrupt): ");
	refused_untouched("; it was left untouched");
}
END_TEST

START_TEST(test_foreign_refused)
{
	switch (_i) {
	case 0:		/* someone else's tables, no application_id */
		sql_exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name); "
		    "INSERT INTO users (name) VALUES ('alice')");
		refused_untouched("not a migrated state file (application_id "
		    "0x00000000");
		break;
	case 1:		/* someone else's application_id, no tables */
		sql_exec("PRAGMA application_id = 305419896");
		refused_untouched("not a migrated state file (application_id "
		    "0x12345678");
		break;
	case 2:		/* a foreign file with our table names, in WAL mode */
		sql_exec("PRAGMA journal_mode = WAL; "
		    "CREATE TABLE migrations (id); PRAGMA user_version = 1");
		refused_untouched("it was left untouched");
		break;
	}
}
END_TEST

static Suite *
store_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("store");

	tc = tcase_create("roundtrip");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_new_file);
	tcase_add_test(tc, test_connection_settings);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_name_unique);
	tcase_add_test(tc, test_unknown_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("transactions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_transition);
	tcase_add_test(tc, test_transition_atomic);
	tcase_add_test(tc, test_transition_deleted);
	tcase_add_test(tc, test_effects);
	tcase_add_test(tc, test_effects_atomic);
	tcase_add_loop_test(tc, test_effects_crash, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_samples);
	tcase_add_test(tc, test_delete_cascade);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_upgrade_covered);
	tcase_add_test(tc, test_facts);
	tcase_add_loop_test(tc, test_upgrade, 0,
	    sizeof(fixtures) / sizeof(fixtures[0]));
	tcase_add_loop_test(tc, test_newer_refused, 0, 2);
	tcase_add_loop_test(tc, test_corrupt_refused, 0, 4);
	tcase_add_loop_test(tc, test_foreign_refused, 0, 3);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	/* Refusals log warnings by design; CHECK_VERBOSE=1 shows them. */
	log_init(getenv("CHECK_VERBOSE") != NULL ?
	    LOG_LVL_DEBUG : LOG_LVL_ERR);
	if (mkdtemp(topdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rm_tree(topdir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
