/*
 * store: the SQLite state file. This file owns the connection, the schema
 * and its upgrades (one array entry per version), the statements prepared
 * once at open, and the transactions that keep what belongs together
 * together: a migration's new phase with its journal row, an effect's intent
 * or result with its journal row. Phases and events are written by name.
 * Opening is careful: a file that is not a SQLite database, is corrupt, is
 * some other program's database, or was written by a newer migrated is
 * refused after reads only, and nothing is ever written to it.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "migration.h"
#include "store.h"

/* PRAGMA application_id of every state file: "migr". */
#define STORE_APPLICATION_ID	0x6d696772
#define STORE_BUSY_TIMEOUT	5000		/* ms */
#define QC_PREFIX		"*** in database main ***\n"

/*
 * upgrades[v] takes a file from schema version v to v + 1. store_open() runs
 * them in order, each in its own transaction that also sets user_version, so
 * a new version is one more entry here (and a fixture of the old version in
 * tests/unit/check_store.c).
 */
static const char *const upgrades[STORE_SCHEMA_VERSION] = {
	/* 0 -> 1: an empty file becomes a state file. */
	"CREATE TABLE migrations ("
	"	id		INTEGER PRIMARY KEY,"
	"	name		TEXT UNIQUE NOT NULL,"
	"	plan_path	TEXT,"
	"	plan_text	TEXT NOT NULL,"
	"	overrides	TEXT,"
	"	phase		TEXT NOT NULL,"
	"	resume_to	TEXT,"
	"	step		INTEGER NOT NULL,"
	"	approved	INTEGER NOT NULL,"
	"	reason		TEXT,"
	"	phase_since	INTEGER,"
	"	created		INTEGER,"
	"	updated		INTEGER"
	");"
	"CREATE TABLE journal ("
	"	id		INTEGER PRIMARY KEY,"
	"	mig		INTEGER NOT NULL"
	"			REFERENCES migrations(id) ON DELETE CASCADE,"
	"	ts		INTEGER NOT NULL,"
	"	kind		TEXT NOT NULL,"
	"	from_phase	TEXT,"
	"	to_phase	TEXT,"
	"	event		TEXT,"
	"	effect		INTEGER,"
	"	text		TEXT"
	");"
	"CREATE INDEX journal_mig ON journal(mig, id);"
	"CREATE TABLE effects ("
	"	id		INTEGER PRIMARY KEY,"
	"	mig		INTEGER NOT NULL"
	"			REFERENCES migrations(id) ON DELETE CASCADE,"
	"	kind		TEXT NOT NULL,"
	"	args		TEXT,"
	"	state		TEXT NOT NULL CHECK (state IN"
	"			    ('intent', 'done', 'failed', 'reconciled')),"
	"	result		TEXT,"
	"	started		INTEGER NOT NULL,"
	"	finished	INTEGER"
	");"
	"CREATE INDEX effects_mig ON effects(mig, state, id);"
	"CREATE TABLE samples ("
	"	mig		INTEGER NOT NULL"
	"			REFERENCES migrations(id) ON DELETE CASCADE,"
	"	ts		INTEGER NOT NULL,"
	"	series		TEXT NOT NULL,"
	"	value		REAL"
	");"
	"CREATE INDEX samples_mig ON samples(mig, series, ts);",

	/* 1 -> 2: facts a driver records about the world (coordinates). */
	"CREATE TABLE facts ("
	"	mig		INTEGER NOT NULL"
	"			REFERENCES migrations(id) ON DELETE CASCADE,"
	"	key		TEXT NOT NULL,"
	"	value		TEXT NOT NULL,"
	"	updated		INTEGER NOT NULL,"
	"	PRIMARY KEY (mig, key)"
	");",
};

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_MIG_INSERT,
	ST_MIG_UPDATE,
	ST_MIG_DELETE,
	ST_MIG_LOAD,
	ST_JOURNAL,
	ST_EFFECT_INSERT,
	ST_EFFECT_GET,
	ST_EFFECT_FINISH,
	ST_EFFECTS_OPEN,
	ST_HISTORY,
	ST_SAMPLE,
	ST_FACT_SET,
	ST_FACT_DEL,
	ST_FACT_GET,
	ST__COUNT
};

/* The migration columns in this order are ?1..?12 in insert and update. */
#define MIG_COLUMNS	"name, plan_path, plan_text, overrides, phase, " \
			"resume_to, step, approved, reason, phase_since, " \
			"created, updated"

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_MIG_INSERT] = "INSERT INTO migrations (" MIG_COLUMNS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_MIG_UPDATE] = "UPDATE migrations SET name = ?1, plan_path = ?2, "
	    "plan_text = ?3, overrides = ?4, phase = ?5, resume_to = ?6, "
	    "step = ?7, approved = ?8, reason = ?9, phase_since = ?10, "
	    "created = ?11, updated = ?12 WHERE id = ?13",
	[ST_MIG_DELETE] = "DELETE FROM migrations WHERE id = ?1",
	[ST_MIG_LOAD] = "SELECT id, " MIG_COLUMNS " FROM migrations "
	    "ORDER BY id",
	[ST_JOURNAL] = "INSERT INTO journal (mig, ts, kind, from_phase, "
	    "to_phase, event, effect, text) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_EFFECT_INSERT] = "INSERT INTO effects (mig, kind, args, state, "
	    "started) VALUES (?1, ?2, ?3, 'intent', ?4)",
	[ST_EFFECT_GET] = "SELECT mig, kind, state FROM effects WHERE id = ?1",
	[ST_EFFECT_FINISH] = "UPDATE effects SET state = ?2, result = ?3, "
	    "finished = ?4 WHERE id = ?1 AND state = 'intent'",
	[ST_EFFECTS_OPEN] = "SELECT id, mig, kind, args, state, result, "
	    "started, finished FROM effects WHERE mig = ?1 "
	    "AND state = 'intent' ORDER BY id",
	[ST_HISTORY] = "SELECT id, ts, kind, from_phase, to_phase, event, "
	    "text FROM (SELECT * FROM journal WHERE mig = ?1 "
	    "ORDER BY id DESC LIMIT ?2) ORDER BY id",
	[ST_SAMPLE] = "INSERT INTO samples (mig, ts, series, value) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_FACT_SET] = "INSERT INTO facts (mig, key, value, updated) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (mig, key) DO UPDATE SET "
	    "value = excluded.value, updated = excluded.updated",
	[ST_FACT_DEL] = "DELETE FROM facts WHERE mig = ?1 AND key = ?2",
	[ST_FACT_GET] = "SELECT value FROM facts WHERE mig = ?1 AND key = ?2",
};

struct store {
	sqlite3		*db;
	char		*path;
	int		 version;
	sqlite3_stmt	*stmt[ST__COUNT];
	/* The last failure, kept for the one log line its caller writes. */
	char		 err[512];
	int		 errcode;
};

static int	 store_check(struct store *, char *, size_t);
static int	 store_setup(struct store *, char *, size_t);
static int	 store_upgrade(struct store *, char *, size_t);
static int	 store_prepare(struct store *, char *, size_t);
static int	 store_pragma_int(struct store *, const char *, int64_t *);
static void	 store_sqlerr(struct store *);
static void	 store_reset(sqlite3_stmt *);
static int	 store_run(struct store *, sqlite3_stmt *);
static int	 store_begin(struct store *);
static int	 store_commit(struct store *);
static void	 store_rollback(struct store *);
static int	 store_bind_mig(struct store *, sqlite3_stmt *,
		    const struct migration *, int64_t);
static int	 store_journal_row(struct store *, int64_t, int64_t,
		    const char *, const char *, const char *, const char *,
		    int64_t, const char *);
static char	*store_column_text(sqlite3_stmt *, int);
static int	 store_row_phase(struct store *, sqlite3_stmt *, int,
		    const char *, int, enum phase *);

/*
 * Failures are reported in err only (the caller logs or prints it once);
 * success at creating or upgrading a file is logged here.
 */
struct store *
store_open(const char *path, char *err, size_t errlen)
{
	struct store	*s;
	struct stat	 sb;
	int		 had_wal;
	char		*wal;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	if ((s->path = strdup(path)) == NULL)
		fatal("strdup");
	if (asprintf(&wal, "%s-wal", path) == -1)
		fatal("asprintf");
	had_wal = stat(wal, &sb) == 0;
	free(wal);

	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (s->db == NULL)
			fatalx("sqlite3_open_v2: out of memory");
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT);
	/*
	 * Until the file is known to be ours, closing must not checkpoint a
	 * WAL left by someone else into it.
	 */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);

	if (store_check(s, err, errlen) == -1) {
		/*
		 * A WAL that we created while reading holds no frames: let
		 * the close remove it (and the -shm) instead of leaving them
		 * beside a file that is not ours.
		 */
		if (!had_wal)
			sqlite3_db_config(s->db,
			    SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
		goto fail;
	}
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);

	if (store_setup(s, err, errlen) == -1 ||
	    store_upgrade(s, err, errlen) == -1 ||
	    store_prepare(s, err, errlen) == -1)
		goto fail;
	return s;

 fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("%s: close: %s", s->path, sqlite3_errmsg(s->db));
	free(s->path);
	free(s);
}

int
store_schema_version(struct store *s)
{
	return s->version;
}

/*
 * Reads only: is this a sound SQLite file, and is it ours (or empty)? Runs
 * before anything that could write, PRAGMA journal_mode=WAL first of all.
 */
static int
store_check(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	const char	*res;
	char		*p;
	int64_t		 version, appid, ntables;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: not a migrated state file (or "
		    "corrupt): %s; it was left untouched", s->path,
		    sqlite3_errmsg(s->db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "%s: not a migrated state file (or "
		    "corrupt): %s; it was left untouched", s->path,
		    sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	res = (const char *)sqlite3_column_text(st, 0);
	if (res == NULL || strcmp(res, "ok") != 0) {
		/* "*** in database main ***\nPage 5: ..." on one line. */
		if (res == NULL)
			res = "quick_check gave no answer";
		else if (strncmp(res, QC_PREFIX, strlen(QC_PREFIX)) == 0)
			res += strlen(QC_PREFIX);
		snprintf(err, errlen, "%s: not a migrated state file (or "
		    "corrupt): %s; it was left untouched", s->path, res);
		for (p = err; *p != '\0'; p++)
			if (*p == '\n')
				*p = ' ';
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);

	if (store_pragma_int(s, "PRAGMA user_version", &version) == -1 ||
	    store_pragma_int(s, "PRAGMA application_id", &appid) == -1 ||
	    store_pragma_int(s, "SELECT count(*) FROM sqlite_master",
	    &ntables) == -1) {
		snprintf(err, errlen, "%s: not a migrated state file (or "
		    "corrupt): %s; it was left untouched", s->path, s->err);
		return -1;
	}

	/* A brand-new empty database is the one foreign file we take. */
	if (appid != STORE_APPLICATION_ID &&
	    !(appid == 0 && version == 0 && ntables == 0)) {
		snprintf(err, errlen, "%s: not a migrated state file "
		    "(application_id 0x%08llx, user_version %lld, %lld schema "
		    "objects); it was left untouched", s->path,
		    (unsigned long long)(uint32_t)appid, (long long)version,
		    (long long)ntables);
		return -1;
	}
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: state file has schema version %lld, "
		    "this migrated knows up to %d; upgrade migrated", s->path,
		    (long long)version, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (version < 0) {
		snprintf(err, errlen, "%s: not a migrated state file (schema "
		    "version %lld); it was left untouched", s->path,
		    (long long)version);
		return -1;
	}
	return 0;
}

/* Connection settings; the file is known to be ours (or empty) by now. */
static int
store_setup(struct store *s, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	const char	*mode;
	char		*msg = NULL;

	if (sqlite3_db_readonly(s->db, "main") == 1) {
		snprintf(err, errlen, "%s: state file is not writable",
		    s->path);
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: cannot set WAL mode: %s", s->path,
		    sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "%s: cannot set WAL mode (journal mode "
		    "stays %s)", s->path, mode != NULL ? mode : "unknown");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);

	if (sqlite3_exec(s->db, "PRAGMA synchronous = FULL; "
	    "PRAGMA foreign_keys = ON", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot set up the connection: %s",
		    s->path, msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/*
 * Bring the schema to STORE_SCHEMA_VERSION, one version per transaction.
 * The version is read again inside each transaction, so two processes
 * opening the same old file never run a step twice.
 */
static int
store_upgrade(struct store *s, char *err, size_t errlen)
{
	char	*sql, *msg = NULL;
	int64_t	 v;

	for (;;) {
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL,
		    &msg) != SQLITE_OK) {
			snprintf(err, errlen, "%s: cannot upgrade the state "
			    "file: %s", s->path, msg);
			sqlite3_free(msg);
			return -1;
		}
		if (store_pragma_int(s, "PRAGMA user_version", &v) == -1) {
			snprintf(err, errlen, "%s: cannot upgrade the state "
			    "file: %s", s->path, s->err);
			goto fail;
		}
		if (v > STORE_SCHEMA_VERSION) {
			snprintf(err, errlen, "%s: state file has schema "
			    "version %lld, this migrated knows up to %d; "
			    "upgrade migrated", s->path, (long long)v,
			    STORE_SCHEMA_VERSION);
			goto fail;
		}
		if (v == STORE_SCHEMA_VERSION)
			break;

		if (asprintf(&sql, "%s; PRAGMA user_version = %lld; "
		    "PRAGMA application_id = %d", upgrades[v], (long long)v + 1,
		    STORE_APPLICATION_ID) == -1)
			fatal("asprintf");
		if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "%s: upgrade to schema version "
			    "%lld failed: %s", s->path, (long long)v + 1, msg);
			sqlite3_free(msg);
			free(sql);
			goto fail;
		}
		free(sql);
		if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "%s: upgrade to schema version "
			    "%lld failed: %s", s->path, (long long)v + 1, msg);
			sqlite3_free(msg);
			goto fail;
		}
		if (v == 0)
			log_info("%s: new state file, schema version %d",
			    s->path, STORE_SCHEMA_VERSION);
		else
			log_notice("%s: state file upgraded from schema "
			    "version %lld to %lld", s->path, (long long)v,
			    (long long)v + 1);
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot read the state file: %s",
		    s->path, msg);
		sqlite3_free(msg);
		goto fail;
	}
	s->version = (int)v;
	return 0;

 fail:
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
store_prepare(struct store *s, char *err, size_t errlen)
{
	int	i;

	for (i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "%s: cannot prepare \"%s\": %s",
			    s->path, stmt_sql[i], sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

/* One integer from a one-row query; on error s->err says why. */
static int
store_pragma_int(struct store *s, const char *sql, int64_t *v)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_sqlerr(s);
		return -1;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_sqlerr(s);
		sqlite3_finalize(st);
		return -1;
	}
	*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Keep the connection's last error for the caller's log line. */
static void
store_sqlerr(struct store *s)
{
	s->errcode = sqlite3_extended_errcode(s->db);
	snprintf(s->err, sizeof(s->err), "%s", sqlite3_errmsg(s->db));
}

static void
store_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Step a statement that returns no rows to its end, then reset it. */
static int
store_run(struct store *s, sqlite3_stmt *st)
{
	int	rc;

	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		store_sqlerr(s);
	store_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
store_begin(struct store *s)
{
	return store_run(s, s->stmt[ST_BEGIN]);
}

static int
store_commit(struct store *s)
{
	return store_run(s, s->stmt[ST_COMMIT]);
}

static void
store_rollback(struct store *s)
{
	/* Some errors (full disk, I/O, out of memory) rolled back already. */
	if (sqlite3_get_autocommit(s->db))
		return;
	if (sqlite3_step(s->stmt[ST_ROLLBACK]) != SQLITE_DONE)
		log_warnx("%s: rollback: %s", s->path, sqlite3_errmsg(s->db));
	store_reset(s->stmt[ST_ROLLBACK]);
}

/* Bind m's persisted fields as ?1..?12, with updated = now. */
static int
store_bind_mig(struct store *s, sqlite3_stmt *st, const struct migration *m,
    int64_t now)
{
	int	rc = SQLITE_OK;

	if (m->phase < 0 || m->phase >= PH__COUNT ||
	    m->resume_to < PH_NONE || m->resume_to >= PH__COUNT) {
		snprintf(s->err, sizeof(s->err), "phase %d or resume_to %d out "
		    "of range", (int)m->phase, (int)m->resume_to);
		s->errcode = SQLITE_MISUSE;
		return -1;
	}
	rc |= sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 2, m->plan_path, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 3, m->plan_text, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 4, m->overrides, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 5, phase_name(m->phase), -1,
	    SQLITE_STATIC);
	if (m->resume_to == PH_NONE)
		rc |= sqlite3_bind_null(st, 6);
	else
		rc |= sqlite3_bind_text(st, 6, phase_name(m->resume_to), -1,
		    SQLITE_STATIC);
	rc |= sqlite3_bind_int(st, 7, m->step);
	rc |= sqlite3_bind_int(st, 8, m->approved != 0);
	rc |= sqlite3_bind_text(st, 9, m->reason, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_int64(st, 10, m->phase_since);
	rc |= sqlite3_bind_int64(st, 11, m->created);
	rc |= sqlite3_bind_int64(st, 12, now);
	if (rc != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(st);
		return -1;
	}
	return 0;
}

/* Insert one journal row; effect 0 and NULL strings are stored as NULL. */
static int
store_journal_row(struct store *s, int64_t mig, int64_t ts, const char *kind,
    const char *from, const char *to, const char *event, int64_t effect,
    const char *text)
{
	sqlite3_stmt	*st = s->stmt[ST_JOURNAL];
	int		 rc = SQLITE_OK;

	rc |= sqlite3_bind_int64(st, 1, mig);
	rc |= sqlite3_bind_int64(st, 2, ts);
	rc |= sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 4, from, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 5, to, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 6, event, -1, SQLITE_STATIC);
	if (effect != 0)
		rc |= sqlite3_bind_int64(st, 7, effect);
	rc |= sqlite3_bind_text(st, 8, text, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(st);
		return -1;
	}
	return store_run(s, st);
}

/* A copy of a text column, NULL for SQL NULL. */
static char *
store_column_text(sqlite3_stmt *st, int col)
{
	const unsigned char	*t;
	char			*p;

	if ((t = sqlite3_column_text(st, col)) == NULL)
		return NULL;
	if ((p = strdup((const char *)t)) == NULL)
		fatal("strdup");
	return p;
}

/*
 * A phase column by name. NULL is PH_NONE where nullable; an unknown name
 * fails, with the reason in s->err.
 */
static int
store_row_phase(struct store *s, sqlite3_stmt *st, int col, const char *what,
    int nullable, enum phase *ph)
{
	const char	*name;

	name = (const char *)sqlite3_column_text(st, col);
	if (name == NULL && nullable) {
		*ph = PH_NONE;
		return 0;
	}
	if (name == NULL || (*ph = phase_from_name(name)) == PH_NONE) {
		snprintf(s->err, sizeof(s->err), "unknown %s \"%s\" (written "
		    "by another migrated?)", what, name != NULL ? name : "NULL");
		return -1;
	}
	return 0;
}

int
store_mig_insert(struct store *s, struct migration *m)
{
	sqlite3_stmt	*st = s->stmt[ST_MIG_INSERT];
	int64_t		 now = now_ms();

	if (m->created == 0)
		m->created = now;
	if (m->phase_since == 0)
		m->phase_since = now;
	if (store_bind_mig(s, st, m, now) == -1 || store_run(s, st) == -1) {
		if (s->errcode == SQLITE_CONSTRAINT_UNIQUE)
			log_warnx("%s: a migration of that name already "
			    "exists", m->name);
		else
			log_warnx("%s: cannot store the new migration: %s",
			    m->name, s->err);
		return -1;
	}
	m->id = sqlite3_last_insert_rowid(s->db);
	m->updated = now;
	return 0;
}

int
store_mig_update(struct store *s, const struct migration *m)
{
	sqlite3_stmt	*st = s->stmt[ST_MIG_UPDATE];

	if (store_bind_mig(s, st, m, now_ms()) == -1)
		goto fail;
	if (sqlite3_bind_int64(st, 13, m->id) != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(st);
		goto fail;
	}
	if (store_run(s, st) == -1)
		goto fail;
	if (sqlite3_changes(s->db) != 1) {
		log_warnx("%s: not in the state file (id %lld)", m->name,
		    (long long)m->id);
		return -1;
	}
	return 0;

 fail:
	log_warnx("%s: cannot update the migration: %s", m->name, s->err);
	return -1;
}

int
store_mig_delete(struct store *s, int64_t id)
{
	sqlite3_stmt	*st = s->stmt[ST_MIG_DELETE];

	/* Journal, effects and samples go with it: ON DELETE CASCADE. */
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(st);
		goto fail;
	}
	if (store_run(s, st) == -1)
		goto fail;
	if (sqlite3_changes(s->db) != 1) {
		log_warnx("migration %lld: not in the state file",
		    (long long)id);
		return -1;
	}
	return 0;

 fail:
	log_warnx("migration %lld: cannot delete: %s", (long long)id, s->err);
	return -1;
}

/*
 * Every row is read and checked before cb sees any: a state file with one
 * bad row loads nothing, and cb may call back into the store.
 */
int
store_mig_load(struct store *s, void (*cb)(void *, struct migration *),
    void *arg)
{
	sqlite3_stmt		*st = s->stmt[ST_MIG_LOAD];
	struct migration	**v = NULL, **nv, *m;
	size_t			 n = 0, cap = 0, i;
	const char		*name;
	int			 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((name = (const char *)sqlite3_column_text(st, 1)) == NULL)
			name = "";
		m = migration_new(name);
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				fatal("reallocarray");
			v = nv;
		}
		v[n++] = m;
		m->id = sqlite3_column_int64(st, 0);
		m->plan_path = store_column_text(st, 2);
		m->plan_text = store_column_text(st, 3);
		m->overrides = store_column_text(st, 4);
		if (store_row_phase(s, st, 5, "phase", 0, &m->phase) == -1 ||
		    store_row_phase(s, st, 6, "resume_to phase", 1,
		    &m->resume_to) == -1) {
			log_warnx("%s: migration %s (id %lld): %s", s->path,
			    m->name, (long long)m->id, s->err);
			goto fail;
		}
		m->step = sqlite3_column_int(st, 7);
		m->approved = sqlite3_column_int(st, 8);
		m->reason = store_column_text(st, 9);
		m->phase_since = sqlite3_column_int64(st, 10);
		m->created = sqlite3_column_int64(st, 11);
		m->updated = sqlite3_column_int64(st, 12);
	}
	if (rc != SQLITE_DONE) {
		store_sqlerr(s);
		log_warnx("%s: cannot load migrations: %s", s->path, s->err);
		goto fail;
	}
	store_reset(st);
	for (i = 0; i < n; i++)
		cb(arg, v[i]);
	free(v);
	return 0;

 fail:
	store_reset(st);
	for (i = 0; i < n; i++)
		migration_free(v[i]);
	free(v);
	return -1;
}

int
store_transition(struct store *s, const struct migration *m, enum phase from,
    enum mev ev, const char *detail)
{
	sqlite3_stmt	*st = s->stmt[ST_MIG_UPDATE];
	int64_t		 now = now_ms();

	if (ev < 0 || ev >= MEV__COUNT) {
		log_warnx("%s: cannot record a transition on event %d",
		    m->name, (int)ev);
		return -1;
	}
	if (store_begin(s) == -1) {
		log_warnx("%s: cannot record %s -%s-> %s: %s", m->name,
		    phase_name(from), mev_name(ev), phase_name(m->phase),
		    s->err);
		return -1;
	}
	if (store_bind_mig(s, st, m, now) == -1)
		goto fail;
	if (sqlite3_bind_int64(st, 13, m->id) != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(st);
		goto fail;
	}
	if (store_run(s, st) == -1)
		goto fail;
	if (sqlite3_changes(s->db) != 1) {
		snprintf(s->err, sizeof(s->err), "not in the state file "
		    "(id %lld)", (long long)m->id);
		goto fail;
	}
	if (store_journal_row(s, m->id, now, "transition",
	    from < 0 || from >= PH__COUNT ? NULL : phase_name(from),
	    phase_name(m->phase), mev_name(ev), 0, detail) == -1)
		goto fail;
	if (store_commit(s) == -1)
		goto fail;
	return 0;

 fail:
	log_warnx("%s: cannot record %s -%s-> %s: %s", m->name,
	    phase_name(from), mev_name(ev), phase_name(m->phase), s->err);
	store_rollback(s);
	return -1;
}

int
store_journal(struct store *s, int64_t mig, const char *kind,
    const char *text)
{
	if (store_journal_row(s, mig, now_ms(), kind, NULL, NULL, NULL, 0,
	    text) == -1) {
		log_warnx("migration %lld: cannot journal %s: %s",
		    (long long)mig, kind != NULL ? kind : "(no kind)", s->err);
		return -1;
	}
	return 0;
}

int64_t
store_effect_intent(struct store *s, int64_t mig, const char *kind,
    const char *args)
{
	sqlite3_stmt	*st = s->stmt[ST_EFFECT_INSERT];
	int64_t		 now = now_ms(), id;
	char		*text = NULL;
	int		 rc = SQLITE_OK;

	if (store_begin(s) == -1) {
		log_warnx("migration %lld: cannot journal the intent of %s: %s",
		    (long long)mig, kind, s->err);
		return -1;
	}
	rc |= sqlite3_bind_int64(st, 1, mig);
	rc |= sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(st, 3, args, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_int64(st, 4, now);
	if (rc != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(st);
		goto fail;
	}
	if (store_run(s, st) == -1)
		goto fail;
	id = sqlite3_last_insert_rowid(s->db);
	if (asprintf(&text, "intent %s%s%s", kind, args != NULL ? " " : "",
	    args != NULL ? args : "") == -1)
		fatal("asprintf");
	if (store_journal_row(s, mig, now, "effect", NULL, NULL, NULL, id,
	    text) == -1)
		goto fail;
	if (store_commit(s) == -1)
		goto fail;
	free(text);
	return id;

 fail:
	log_warnx("migration %lld: cannot journal the intent of %s: %s",
	    (long long)mig, kind, s->err);
	store_rollback(s);
	free(text);
	return -1;
}

int
store_effect_result(struct store *s, int64_t effect, const char *state,
    const char *result)
{
	sqlite3_stmt	*get = s->stmt[ST_EFFECT_GET];
	sqlite3_stmt	*fin = s->stmt[ST_EFFECT_FINISH];
	int64_t		 now = now_ms(), mig;
	char		*kind = NULL, *text = NULL;
	const char	*cur;
	int		 rc = SQLITE_OK;

	if (state == NULL || (strcmp(state, "done") != 0 &&
	    strcmp(state, "failed") != 0 && strcmp(state, "reconciled") != 0)) {
		log_warnx("effect %lld: result state \"%s\" is not done, "
		    "failed or reconciled", (long long)effect,
		    state != NULL ? state : "NULL");
		return -1;
	}
	if (store_begin(s) == -1) {
		log_warnx("effect %lld: cannot journal the result: %s",
		    (long long)effect, s->err);
		return -1;
	}

	if (sqlite3_bind_int64(get, 1, effect) != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(get);
		goto fail;
	}
	if ((rc = sqlite3_step(get)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			snprintf(s->err, sizeof(s->err), "no such effect");
		else
			store_sqlerr(s);
		store_reset(get);
		goto fail;
	}
	mig = sqlite3_column_int64(get, 0);
	kind = store_column_text(get, 1);
	cur = (const char *)sqlite3_column_text(get, 2);
	if (cur == NULL || strcmp(cur, "intent") != 0) {
		/* Results are final: an effect is never closed twice. */
		snprintf(s->err, sizeof(s->err), "%s already has a result (%s)",
		    kind != NULL ? kind : "effect", cur != NULL ? cur : "NULL");
		store_reset(get);
		goto fail;
	}
	store_reset(get);

	rc = SQLITE_OK;
	rc |= sqlite3_bind_int64(fin, 1, effect);
	rc |= sqlite3_bind_text(fin, 2, state, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(fin, 3, result, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_int64(fin, 4, now);
	if (rc != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(fin);
		goto fail;
	}
	if (store_run(s, fin) == -1)
		goto fail;
	if (sqlite3_changes(s->db) != 1) {
		snprintf(s->err, sizeof(s->err), "effect changed under us");
		goto fail;
	}
	if (asprintf(&text, "result %s %s%s%s", kind, state,
	    result != NULL ? " " : "", result != NULL ? result : "") == -1)
		fatal("asprintf");
	if (store_journal_row(s, mig, now, "effect", NULL, NULL, NULL, effect,
	    text) == -1)
		goto fail;
	if (store_commit(s) == -1)
		goto fail;
	free(kind);
	free(text);
	return 0;

 fail:
	log_warnx("effect %lld: cannot journal the result: %s",
	    (long long)effect, s->err);
	store_rollback(s);
	free(kind);
	free(text);
	return -1;
}

static void
store_effect_clear(struct store_effect *e)
{
	free((char *)e->kind);
	free((char *)e->args);
	free((char *)e->state);
	free((char *)e->result);
}

/* Rows are copied out first: cb may close the effects it is shown. */
int
store_effects_open(struct store *s, int64_t mig,
    void (*cb)(void *, const struct store_effect *), void *arg)
{
	sqlite3_stmt		*st = s->stmt[ST_EFFECTS_OPEN];
	struct store_effect	*v = NULL, *nv, *e;
	size_t			 n = 0, cap = 0, i;
	int			 rc, ret = -1;

	if (sqlite3_bind_int64(st, 1, mig) != SQLITE_OK) {
		store_sqlerr(s);
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				fatal("reallocarray");
			v = nv;
		}
		e = &v[n++];
		e->id = sqlite3_column_int64(st, 0);
		e->mig = sqlite3_column_int64(st, 1);
		e->kind = store_column_text(st, 2);
		e->args = store_column_text(st, 3);
		e->state = store_column_text(st, 4);
		e->result = store_column_text(st, 5);
		e->started = sqlite3_column_int64(st, 6);
		e->finished = sqlite3_column_int64(st, 7);
	}
	if (rc != SQLITE_DONE) {
		store_sqlerr(s);
		goto done;
	}
	store_reset(st);
	for (i = 0; i < n; i++)
		cb(arg, &v[i]);
	ret = 0;

 done:
	if (ret == -1) {
		store_reset(st);
		log_warnx("migration %lld: cannot list open effects: %s",
		    (long long)mig, s->err);
	}
	for (i = 0; i < n; i++)
		store_effect_clear(&v[i]);
	free(v);
	return ret;
}

static void
store_journal_row_clear(struct store_journal_row *r)
{
	free((char *)r->kind);
	free((char *)r->from);
	free((char *)r->to);
	free((char *)r->event);
	free((char *)r->text);
}

/* limit <= 0 means every row. */
int
store_history(struct store *s, int64_t mig, int limit,
    void (*cb)(void *, const struct store_journal_row *), void *arg)
{
	sqlite3_stmt			*st = s->stmt[ST_HISTORY];
	struct store_journal_row	*v = NULL, *nv, *r;
	size_t				 n = 0, cap = 0, i;
	int				 rc, ret = -1;

	if (sqlite3_bind_int64(st, 1, mig) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, limit > 0 ? limit : -1) != SQLITE_OK) {
		store_sqlerr(s);
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				fatal("reallocarray");
			v = nv;
		}
		r = &v[n++];
		r->id = sqlite3_column_int64(st, 0);
		r->ts = sqlite3_column_int64(st, 1);
		r->kind = store_column_text(st, 2);
		r->from = store_column_text(st, 3);
		r->to = store_column_text(st, 4);
		r->event = store_column_text(st, 5);
		r->text = store_column_text(st, 6);
	}
	if (rc != SQLITE_DONE) {
		store_sqlerr(s);
		goto done;
	}
	store_reset(st);
	for (i = 0; i < n; i++)
		cb(arg, &v[i]);
	ret = 0;

 done:
	if (ret == -1) {
		store_reset(st);
		log_warnx("migration %lld: cannot read the journal: %s",
		    (long long)mig, s->err);
	}
	for (i = 0; i < n; i++)
		store_journal_row_clear(&v[i]);
	free(v);
	return ret;
}

int
store_sample(struct store *s, int64_t mig, const char *series, double value)
{
	sqlite3_stmt	*st = s->stmt[ST_SAMPLE];
	int		 rc = SQLITE_OK;

	rc |= sqlite3_bind_int64(st, 1, mig);
	rc |= sqlite3_bind_int64(st, 2, now_ms());
	rc |= sqlite3_bind_text(st, 3, series, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_double(st, 4, value);
	if (rc != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(st);
	} else if (store_run(s, st) == 0)
		return 0;
	log_warnx("migration %lld: cannot record sample %s: %s",
	    (long long)mig, series != NULL ? series : "(no series)", s->err);
	return -1;
}

int
store_fact_set(struct store *s, int64_t mig, const char *key,
    const char *value)
{
	sqlite3_stmt	*st = s->stmt[value != NULL ? ST_FACT_SET : ST_FACT_DEL];

	if (sqlite3_bind_int64(st, 1, mig) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC) != SQLITE_OK ||
	    (value != NULL && (sqlite3_bind_text(st, 3, value, -1,
	    SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, now_ms()) != SQLITE_OK))) {
		store_sqlerr(s);
		store_reset(st);
		log_warnx("migration %lld: cannot bind fact %s: %s",
		    (long long)mig, key, s->err);
		return -1;
	}
	if (store_run(s, st) == -1) {
		log_warnx("migration %lld: cannot record fact %s: %s",
		    (long long)mig, key, s->err);
		return -1;
	}
	return 0;
}

char *
store_fact_get(struct store *s, int64_t mig, const char *key)
{
	sqlite3_stmt	*st = s->stmt[ST_FACT_GET];
	char		*v = NULL;
	int		 rc;

	if (sqlite3_bind_int64(st, 1, mig) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC) != SQLITE_OK) {
		store_sqlerr(s);
		store_reset(st);
		return NULL;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = store_column_text(st, 0);
	else if (rc != SQLITE_DONE) {
		store_sqlerr(s);
		log_warnx("migration %lld: cannot read fact %s: %s",
		    (long long)mig, key, s->err);
	}
	store_reset(st);
	return v;
}

int
store_fact_setf(struct store *s, int64_t mig, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return store_fact_set(s, mig, key, buf);
}

int64_t
store_fact_i64(struct store *s, int64_t mig, const char *key)
{
	char	*v = store_fact_get(s, mig, key);
	int64_t	 n = v != NULL ? strtoll(v, NULL, 10) : 0;

	free(v);
	return n;
}

int
store_fact_exists(struct store *s, int64_t mig, const char *key)
{
	char	*v = store_fact_get(s, mig, key);
	int	 have = v != NULL;

	free(v);
	return have;
}
