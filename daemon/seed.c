/*
 * seed: the import, as an effect. Two child processes, the dump and the
 * target's client, with the daemon between them: it reads the dump's output
 * through a bufferevent, looks for the CHANGE MASTER / CHANGE REPLICATION
 * SOURCE comment that --master-data=2 writes at the top, counts bytes for
 * status, and writes everything on to the client. The source's read of the
 * dump is bounded: past 8 MiB unwritten, reading stops until the client
 * catches up.
 *
 * An import interrupted by a crash is repeated from the start: the dump
 * drops and recreates each table, so a second run leaves what one run
 * would. The coordinates are recorded only when both tools exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon.h"
#include "dbpair.h"
#include "driver.h"
#include "effect.h"
#include "facts.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "plan.h"
#include "proc.h"
#include "store.h"

#define SEED_TIMEOUT	(24LL * 3600 * 1000)	/* ms, per tool */
#define SEED_HIGH	(8 * 1024 * 1024)	/* stop reading the dump */
#define SEED_LOW	(1 * 1024 * 1024)	/* read again */
#define SEED_HEADER	(256 * 1024)		/* where coordinates may be */

struct seed {
	struct job		*job;
	struct daemon		*d;
	struct migration	*m;
	struct effect		*e;		/* while importing */
	struct dbpair		*db;
	int			 cancelled;
	char			*src_cnf, *tgt_cnf;
	struct proc		*dump, *client;
	int			 dump_status, client_status;
	char			 dump_err[512], client_err[512];
	int			 procs;		/* still running */
	struct bufferevent	*from_dump, *to_client;
	int			 dump_eof;
	uint64_t		 copied, estimate;
	char			 header[SEED_HEADER + 1];
	size_t			 headerlen;
	char			 file[256];
	uint64_t		 pos;
	int			 found;
	int			 done;		/* seed_end() judged */
};

static int	seed_effect_run(struct effect *);
static void	seed_effect_reconcile(struct effect *);

const struct effect_kind seed_effect = {
	.name = "seed_import",
	.run = seed_effect_run,
	.reconcile = seed_effect_reconcile,
};

static void
seed_free(struct seed *s)
{
	if (s->from_dump != NULL)
		bufferevent_free(s->from_dump);
	if (s->to_client != NULL)
		bufferevent_free(s->to_client);
	if (s->src_cnf != NULL) {
		unlink(s->src_cnf);
		free(s->src_cnf);
	}
	if (s->tgt_cnf != NULL) {
		unlink(s->tgt_cnf);
		free(s->tgt_cnf);
	}
	free(s);
}

static void
seed_fire(struct seed *s, enum mev ev, const char *detail)
{
	if (s->cancelled)
		return;
	/* s is freed by its caller once no child is left. */
	job_end(s->job, s, NULL, ev, detail);
}

/*
 * "-- CHANGE MASTER TO MASTER_LOG_FILE='bin.000002', MASTER_LOG_POS=1234;"
 * or, from MySQL 8.0.23 tools, "... SOURCE_LOG_FILE=..., SOURCE_LOG_POS=".
 */
static int
seed_parse_coordinates(const char *text, char *file, size_t filelen,
    uint64_t *pos)
{
	const char	*f, *p, *end;

	if ((f = strstr(text, "MASTER_LOG_FILE='")) == NULL &&
	    (f = strstr(text, "SOURCE_LOG_FILE='")) == NULL)
		return -1;
	f += strlen("MASTER_LOG_FILE='");
	if ((end = strchr(f, '\'')) == NULL || (size_t)(end - f) >= filelen)
		return -1;
	if ((p = strstr(end, "_LOG_POS=")) == NULL)
		return -1;
	memcpy(file, f, end - f);
	file[end - f] = '\0';
	*pos = strtoull(p + strlen("_LOG_POS="), NULL, 10);
	return *pos > 0 ? 0 : -1;
}

/* Both tools and the pipe are done: judge, record, finish the effect. */
static void
seed_end(struct seed *s)
{
	struct migration	*m = s->m;
	char			 res[1400], pos[32];
	int			 ok;

	if (s->procs > 0 || (s->from_dump != NULL && !s->dump_eof))
		return;
	if (s->e == NULL) {
		/* It never started; seed_import_done() has said so. */
		seed_free(s);
		return;
	}
	ok = !s->cancelled && s->dump_status == 0 && s->client_status == 0 &&
	    s->found;
	if (s->cancelled)
		snprintf(res, sizeof(res), "stopped: the phase changed");
	else if (s->dump_status != 0)
		snprintf(res, sizeof(res), "the dump exited %d: %s",
		    s->dump_status, s->dump_err);
	else if (s->client_status != 0)
		snprintf(res, sizeof(res), "the target's client exited %d: %s",
		    s->client_status, s->client_err);
	else if (!s->found)
		snprintf(res, sizeof(res), "the dump carries no binlog "
		    "coordinates (is log_bin on, and may the user RELOAD?)");
	else
		snprintf(res, sizeof(res), "imported %.1f MiB; source "
		    "coordinates %s:%" PRIu64, s->copied / 1048576.0, s->file,
		    s->pos);
	if (ok) {
		snprintf(pos, sizeof(pos), "%" PRIu64, s->pos);
		if (store_fact_set(s->d->store, m->id, SEED_FACT_FILE,
		    s->file) == -1 || store_fact_set(s->d->store, m->id,
		    SEED_FACT_POS, pos) == -1) {
			ok = 0;
			snprintf(res, sizeof(res), "the coordinates could not "
			    "be recorded in the state file");
		}
	}
	s->done = 1;
	effect_finish(s->e, ok, res);
	if (ok) {
		m->obs.coordinates = 1;
		seed_fire(s, MEV_SEEDED, res);
	} else
		seed_fire(s, MEV_FAIL, res);
	seed_free(s);
}

static void
seed_progress(struct seed *s)
{
	if (s->estimate > 0)
		job_progress(s->job, "importing: %.1f MiB of about %.1f MiB",
		    s->copied / 1048576.0, s->estimate / 1048576.0);
	else
		job_progress(s->job, "importing: %.1f MiB",
		    s->copied / 1048576.0);
}

static void
seed_close_client(struct seed *s)
{
	/* EOF on the client's stdin: it finishes the last statement. */
	bufferevent_free(s->to_client);
	s->to_client = NULL;
}

static void
seed_dump_read_cb(struct bufferevent *bev, void *arg)
{
	struct seed	*s = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 n = evbuffer_get_length(in), take;

	if (!s->found && s->headerlen < SEED_HEADER) {
		take = SEED_HEADER - s->headerlen;
		if (take > n)
			take = n;
		evbuffer_copyout(in, s->header + s->headerlen, take);
		s->headerlen += take;
		s->header[s->headerlen] = '\0';
		if (seed_parse_coordinates(s->header, s->file,
		    sizeof(s->file), &s->pos) == 0)
			s->found = 1;
	}
	s->copied += n;
	if (s->to_client == NULL) {
		evbuffer_drain(in, n);		/* the client is gone */
		return;
	}
	evbuffer_add_buffer(bufferevent_get_output(s->to_client), in);
	if (evbuffer_get_length(bufferevent_get_output(s->to_client)) >
	    SEED_HIGH)
		bufferevent_disable(bev, EV_READ);
	seed_progress(s);
}

static void
seed_dump_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct seed	*s = arg;

	s->dump_eof = 1;
	bufferevent_disable(bev, EV_READ);
	if (s->to_client != NULL && evbuffer_get_length(
	    bufferevent_get_output(s->to_client)) == 0)
		seed_close_client(s);
	seed_end(s);
}

static void
seed_client_write_cb(struct bufferevent *bev, void *arg)
{
	struct seed	*s = arg;

	if (s->dump_eof) {
		/*
		 * The low watermark called: the rest must go out before the
		 * client sees EOF, or it gets a truncated statement.
		 */
		if (evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
			bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
			return;
		}
		seed_close_client(s);
		return;
	}
	bufferevent_enable(s->from_dump, EV_READ);
}

static void
seed_client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct seed	*s = arg;

	/* EPIPE: the client died; its exit status says why. */
	seed_close_client(s);
	if (s->dump != NULL)
		proc_kill(s->dump);
}

static void
seed_proc_done(struct seed *s, int status, const char *out, int *st,
    char *err, size_t errlen)
{
	char	*nl;

	*st = status;
	/* The tool's own "ERROR 1064 (42000) at line 9: ..." comes first. */
	if (strstr(out, "ERROR ") != NULL)
		out = strstr(out, "ERROR ");
	snprintf(err, errlen, "%.300s", out);
	while ((nl = strchr(err, '\n')) != NULL)
		*nl = ' ';
	s->procs--;
}

static void
seed_dump_done(void *arg, int status, int timed_out, const char *out)
{
	struct seed	*s = arg;

	s->dump = NULL;
	seed_proc_done(s, timed_out ? 124 : status, out, &s->dump_status,
	    s->dump_err, sizeof(s->dump_err));
	seed_end(s);
}

static void
seed_client_done(void *arg, int status, int timed_out, const char *out)
{
	struct seed	*s = arg;

	s->client = NULL;
	seed_proc_done(s, timed_out ? 124 : status, out, &s->client_status,
	    s->client_err, sizeof(s->client_err));
	/* A client that quit early must not leave the dump blocked. */
	if (status != 0 && s->dump != NULL)
		proc_kill(s->dump);
	seed_end(s);
}

/* 'it' as a single-quoted shell word. */
static void
shell_word(char *buf, size_t len, const char *it)
{
	size_t	o = 0;

	if (o < len - 1)
		buf[o++] = '\'';
	for (; *it != '\0' && o < len - 5; it++) {
		if (*it == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else
			buf[o++] = *it;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
}

static int
seed_effect_run(struct effect *e)
{
	struct seed		*s = e->arg;
	const struct plan	*p = s->m->plan;
	char			 cmd[4096], w[1024], *env[] = {
	    "PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	int			 a[2], b[2], i;
	size_t			 len;

	s->e = e;
	if ((s->src_cnf = dbpair_cnf(s->d, s->m, "source", &p->source.db,
	    p->source.db.user, s->db->src_pw)) == NULL ||
	    (s->tgt_cnf = dbpair_cnf(s->d, s->m, "target", &p->target.db,
	    p->target.db.user, s->db->tgt_pw)) == NULL)
		return -1;

	shell_word(w, sizeof(w), s->src_cnf);
	len = snprintf(cmd, sizeof(cmd), "d=$(command -v mariadb-dump || "
	    "command -v mysqldump) && exec \"$d\" --defaults-extra-file=%s "
	    "--single-transaction --master-data=2 --routines --triggers "
	    "--events --hex-blob --databases migrated", w);
	for (i = 0; i < p->source.nschemas && len < sizeof(cmd); i++) {
		shell_word(w, sizeof(w), p->source.schemas[i]);
		len += snprintf(cmd + len, sizeof(cmd) - len, " %s", w);
	}
	if (pipe2(a, O_CLOEXEC) == -1 || pipe2(b, O_CLOEXEC) == -1) {
		log_warn("%s: seeding: pipe", s->m->name);
		return -1;
	}
	s->dump = proc_spawn_io(s->d->base, cmd, env, -1, a[1], SEED_TIMEOUT,
	    seed_dump_done, s);
	close(a[1]);
	shell_word(w, sizeof(w), s->tgt_cnf);
	snprintf(cmd, sizeof(cmd), "c=$(command -v mariadb || command -v "
	    "mysql) && exec \"$c\" --defaults-extra-file=%s --batch", w);
	s->client = proc_spawn_io(s->d->base, cmd, env, b[0], -1,
	    SEED_TIMEOUT, seed_client_done, s);
	close(b[0]);
	s->procs = (s->dump != NULL) + (s->client != NULL);
	if (s->procs < 2) {
		/* Whatever started is reaped by its callback; stop it. */
		if (s->dump != NULL)
			proc_kill(s->dump);
		if (s->client != NULL)
			proc_kill(s->client);
		close(a[0]);
		close(b[1]);
		return -1;
	}
	evutil_make_socket_nonblocking(a[0]);
	evutil_make_socket_nonblocking(b[1]);
	s->from_dump = bufferevent_socket_new(s->d->base, a[0],
	    BEV_OPT_CLOSE_ON_FREE);
	s->to_client = bufferevent_socket_new(s->d->base, b[1],
	    BEV_OPT_CLOSE_ON_FREE);
	if (s->from_dump == NULL || s->to_client == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(s->from_dump, seed_dump_read_cb, NULL,
	    seed_dump_event_cb, s);
	bufferevent_setcb(s->to_client, NULL, seed_client_write_cb,
	    seed_client_event_cb, s);
	bufferevent_setwatermark(s->to_client, EV_WRITE, SEED_LOW, 0);
	bufferevent_enable(s->from_dump, EV_READ);
	bufferevent_enable(s->to_client, EV_WRITE);
	log_info("%s: seeding: importing %d schema%s from %s:%d into %s:%d",
	    s->m->name, p->source.nschemas, p->source.nschemas == 1 ? "" : "s",
	    p->source.db.host, p->source.db.port, p->target.db.host,
	    p->target.db.port);
	seed_progress(s);
	return 0;
}

static void
seed_effect_reconcile(struct effect *e)
{
	effect_reconciled(e, EFFECT_NOT_APPLIED, "an interrupted import is "
	    "run again from the start; the dump recreates every table");
}

static void
seed_import_done(struct effect *e, int ok, const char *result, void *arg)
{
	struct seed	*s = arg;

	s->e = NULL;
	if (s->done)
		return;		/* seed_end() judged, fired and frees */
	/* The import could not start: say so; free once no child is left. */
	seed_fire(s, MEV_FAIL, result);
	s->cancelled = 1;
	if (s->procs == 0)
		seed_free(s);
}

static void
seed_cancel(void *arg)
{
	struct seed	*s = arg;

	s->cancelled = 1;
	if (s->e == NULL) {
		/* Not importing yet: only queries are pending. */
		mydb_forget(s->db->src, s);
		seed_free(s);
		return;
	}
	if (s->dump != NULL)
		proc_kill(s->dump);
	if (s->client != NULL)
		proc_kill(s->client);
}

static void
seed_estimate_cb(void *arg, struct mydb_result *res)
{
	struct seed	*s = arg;
	const char	*v;

	if (res->err == 0 && (v = mydb_get(res, 0, "bytes")) != NULL)
		s->estimate = strtoull(v, NULL, 10);
	if (effect_start(s->job, &seed_effect, json_pack("{s:s}",
	    "tool", "mariadb-dump"), seed_import_done, s) == -1) {
		seed_fire(s, MEV_FAIL, "the import's intent could not be "
		    "journaled");
		seed_free(s);
	}
}

static void
seed_prepare_cb(void *arg, struct mydb_result *res)
{
	struct seed		*s = arg;
	const struct plan	*p = s->m->plan;
	char			 sql[4096], *q;
	size_t			 len;
	int			 i;

	if (res->err != 0) {
		char	why[600];

		snprintf(why, sizeof(why), "source: %s; the daemon's schema "
		    "`migrated` could not be created there", res->error);
		seed_fire(s, MEV_FAIL, why);
		seed_free(s);
		return;
	}
	len = snprintf(sql, sizeof(sql), "SELECT COALESCE(SUM(DATA_LENGTH + "
	    "INDEX_LENGTH), 0) AS bytes FROM information_schema.TABLES WHERE "
	    "TABLE_SCHEMA IN (");
	for (i = 0; i < p->source.nschemas && len < sizeof(sql); i++) {
		q = mydb_quote(p->source.schemas[i]);
		len += snprintf(sql + len, sizeof(sql) - len, "%s%s",
		    i ? ", " : "", q);
		free(q);
	}
	snprintf(sql + len, sizeof(sql) - len, ")");
	mydb_query(s->db->src, sql, seed_estimate_cb, s);
}

/* Coordinates the operator gave, after an import done elsewhere. */
static void
seed_external(struct job *j)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	const struct plan	*p = m->plan;
	char			 pos[32], detail[512];
	int			 rc = 0;

	if (p->target.seed_gtid != NULL) {
		rc = store_fact_set(d->store, m->id, SEED_FACT_GTID,
		    p->target.seed_gtid);
		snprintf(detail, sizeof(detail), "external import; source "
		    "GTID %s", p->target.seed_gtid);
	} else {
		snprintf(pos, sizeof(pos), "%lld", (long long)p->target.seed_pos);
		rc = store_fact_set(d->store, m->id, SEED_FACT_FILE,
		    p->target.seed_file) | store_fact_set(d->store, m->id,
		    SEED_FACT_POS, pos);
		snprintf(detail, sizeof(detail), "external import; source "
		    "coordinates %s:%s", p->target.seed_file, pos);
	}
	if (rc != 0) {
		job_end(j, NULL, NULL, MEV_FAIL, "the coordinates could not be "
		    "recorded in the state file");
		return;
	}
	m->obs.coordinates = 1;
	job_end(j, NULL, NULL, MEV_SEEDED, detail);
}

static void
seed_enter(struct job *j, enum phase from)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct seed		*s;
	char			*file, *pos, *gtid, why[512], detail[512];

	/* Recorded before a restart: the import is done. */
	file = store_fact_get(d->store, m->id, SEED_FACT_FILE);
	pos = store_fact_get(d->store, m->id, SEED_FACT_POS);
	gtid = store_fact_get(d->store, m->id, SEED_FACT_GTID);
	if ((file != NULL && pos != NULL) || gtid != NULL) {
		snprintf(detail, sizeof(detail), "coordinates recorded: %s%s%s",
		    gtid ? gtid : file, gtid ? "" : ":", gtid ? "" : pos);
		m->obs.coordinates = 1;
		free(file);
		free(pos);
		free(gtid);
		job_end(j, NULL, NULL, MEV_SEEDED, detail);
		return;
	}
	free(file);
	free(pos);
	free(gtid);
	if (m->plan->target.seed == SEED_EXTERNAL) {
		seed_external(j);
		return;
	}

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	s->job = j;
	s->d = d;
	s->m = m;
	s->dump_status = s->client_status = -1;
	if ((s->db = job_db(j, why, sizeof(why))) == NULL) {
		free(s);
		job_end(j, NULL, NULL, MEV_FAIL, why);
		return;
	}
	job_own(j, s);
	job_progress(j, "preparing the source");
	/* The daemon's own schema travels in the dump, heartbeat included. */
	mydb_query(s->db->src, "CREATE DATABASE IF NOT EXISTS migrated", NULL,
	    NULL);
	mydb_query(s->db->src, "CREATE TABLE IF NOT EXISTS migrated.heartbeat "
	    "(id TINYINT PRIMARY KEY, ts_us BIGINT NOT NULL)", NULL, NULL);
	mydb_query(s->db->src, "INSERT IGNORE INTO migrated.heartbeat VALUES "
	    "(1, 0)", NULL, NULL);
	mydb_query(s->db->src, "CREATE TABLE IF NOT EXISTS migrated.marker "
	    "(id INT PRIMARY KEY AUTO_INCREMENT, note VARCHAR(128) NOT NULL, "
	    "at_us BIGINT NOT NULL)", seed_prepare_cb, s);
}

const struct phase_driver seed_driver = {
	.phase = PH_SEEDING,
	.enter = seed_enter,
	.cancel = seed_cancel,
};
