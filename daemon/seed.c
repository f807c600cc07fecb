/*
 * seed: the import, as an effect. The copy is a worker process, the
 * daemon's own binary run as `migrated --seed-copy` (copy.h): its MySQL
 * connections block, so they live there, never in this loop. The daemon
 * hands it the job on its stdin, reads one JSON line a second of
 * progress from its stdout, and turns that into status, /metrics, the
 * throttle's changes (`set target.seed_max_load`) and the stall clock.
 *
 * There is no limit on how long a copy may take. One that makes no
 * progress (no row copied, no chunk compared, not paused by the throttle)
 * for target.seed_stall_timeout is stopped and started again; a run that
 * dies is started again too, keeping what it finished: the chunks' done
 * marks are on the target, committed with their rows. After SEED_TRIES
 * runs in a row that finish no chunk, the phase fails with the last
 * run's words. The coordinates are recorded when a run says "done".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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

#define SEED_TRIES	3		/* runs in a row without a chunk */
#define SEED_RETRY_MS	2000		/* before the next run */
#define SEED_RATE_WINDOW 10		/* seconds the rate is taken over */
/* A run's only clock is the stall's: proc's timeout is set past reach. */
#define SEED_NO_LIMIT	(3650LL * 86400 * 1000)

struct seed_run {			/* what the current run reported */
	int		 resume;
	uint64_t	 rows, bytes, done_bytes, total_bytes;
	int		 chunks, chunks_done, kept, verified, redo;
	char		 throttle[256];
	char		 file[256];
	uint64_t	 pos;
	int		 done;		/* "done" came */
};

struct seed {
	struct job		*job;
	struct daemon		*d;
	struct migration	*m;
	struct effect		*e;		/* while copying */
	struct dbpair		*db;
	int			 cancelled;
	char			*src_cnf, *tgt_cnf;
	struct proc		*copy;
	int			 to_copy;	/* its stdin */
	struct bufferevent	*from_copy;	/* its stdout */
	int			 out_eof, exited, status;
	char			 err[512];
	struct seed_run		 run;
	int			 runs, fruitless;	/* runs; in a row w/o chunk */
	int			 stalled;	/* this run was stopped for it */
	int			 max_load;	/* as the worker was told */
	int64_t			 moved_ms;	/* the last sign of progress */
	uint64_t		 moved_mark;
	uint64_t		 window[SEED_RATE_WINDOW];	/* done_bytes */
	int			 ticks;
	double			 rate;		/* bytes/s */
	struct event		*tick, *retry;
	uint64_t		 estimate;
	int			 done;		/* judged */
};

static int	seed_effect_run(struct effect *);
static void	seed_effect_reconcile(struct effect *);
static void	seed_spawn(struct seed *);

const struct effect_kind seed_effect = {
	.name = "seed_import",
	.run = seed_effect_run,
	.reconcile = seed_effect_reconcile,
};

static void
seed_close_io(struct seed *s)
{
	if (s->from_copy != NULL) {
		bufferevent_free(s->from_copy);
		s->from_copy = NULL;
	}
	if (s->to_copy != -1) {
		close(s->to_copy);
		s->to_copy = -1;
	}
}

static void
seed_free(struct seed *s)
{
	seed_close_io(s);
	if (s->tick != NULL)
		event_free(s->tick);
	if (s->retry != NULL)
		event_free(s->retry);
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

/* The figures status and /metrics show, and the progress line. */
static void
seed_show(struct seed *s)
{
	const struct seed_run	*r = &s->run;
	uint64_t		 total = r->total_bytes ? r->total_bytes :
				    s->estimate;
	double			 eta = -1;

	if (s->rate > 0 && total > r->done_bytes)
		eta = (total - r->done_bytes) / s->rate;
	else if (total > 0 && r->done_bytes >= total)
		eta = 0;
	job_set_stats(s->job, json_pack("{s:I, s:I, s:I, s:I, s:f, s:o, "
	    "s:i, s:i, s:i, s:i, s:i, s:s?}", "bytes_done",
	    (json_int_t)r->done_bytes, "bytes_total", (json_int_t)total,
	    "bytes_read", (json_int_t)r->bytes, "rows", (json_int_t)r->rows,
	    "rate_bytes_s", s->rate, "eta_s", eta >= 0 ? json_integer(
	    (json_int_t)(eta + 0.5)) : json_null(), "chunks", r->chunks,
	    "chunks_done", r->chunks_done, "chunks_compared", r->verified,
	    "chunks_recopied", r->redo, "runs", s->runs, "throttle",
	    r->throttle[0] ? r->throttle : NULL));
	if (r->throttle[0] != '\0')
		job_progress(s->job, "paused: %s; %.1f of %.1f MiB copied",
		    r->throttle, r->done_bytes / 1048576.0, total / 1048576.0);
	else if (eta >= 0)
		job_progress(s->job, "copying: %.1f of %.1f MiB, %.1f MiB/s, "
		    "about %.0f s left; %d of %d chunks", r->done_bytes /
		    1048576.0, total / 1048576.0, s->rate / 1048576.0, eta,
		    r->chunks_done, r->chunks);
	else
		job_progress(s->job, "copying: %.1f of %.1f MiB; %d of %d "
		    "chunks", r->done_bytes / 1048576.0, total / 1048576.0,
		    r->chunks_done, r->chunks);
}

/*
 * Rate over the last SEED_RATE_WINDOW seconds of done_bytes (over the
 * seconds there are, at first). A new run counts from 0 again: its
 * first window starts afresh.
 */
static void
seed_rate(struct seed *s)
{
	int		i = s->ticks % SEED_RATE_WINDOW, n;
	uint64_t	old;

	if (s->ticks >= SEED_RATE_WINDOW) {
		old = s->window[i];
		n = SEED_RATE_WINDOW;
	} else {
		old = s->window[0];
		n = s->ticks;
	}
	s->window[i] = s->run.done_bytes;
	s->ticks++;
	if (n > 0 && s->run.done_bytes >= old)
		s->rate = (double)(s->run.done_bytes - old) / n;
}

static void
seed_line(struct seed *s, const char *line)
{
	struct seed_run	*r = &s->run;
	json_t		*o, *th;
	const char	*ev, *file;
	json_int_t	 rows = 0, bytes = 0, done = 0, pos = 0, total = 0;
	uint64_t	 mark;

	if ((o = json_loads(line, 0, NULL)) == NULL ||
	    (ev = json_string_value(json_object_get(o, "ev"))) == NULL) {
		log_debug("%s: seeding: %s", s->m->name, line);
		json_decref(o);
		return;
	}
	if (strcmp(ev, "start") == 0)
		r->resume = json_is_true(json_object_get(o, "resume"));
	else if (strcmp(ev, "plan") == 0 && json_unpack(o, "{s:i, s:i, s:I}",
	    "chunks", &r->chunks, "kept", &r->kept, "bytes", &total) == 0)
		r->total_bytes = total;
	else if (strcmp(ev, "progress") == 0 && json_unpack(o, "{s:I, s:I, "
	    "s:i, s:I, s:i, s:i}", "rows", &rows, "bytes", &bytes,
	    "chunks_done", &r->chunks_done, "done_bytes", &done, "verified",
	    &r->verified, "redo_chunks", &r->redo) == 0) {
		r->rows = rows;
		r->bytes = bytes;
		r->done_bytes = done;
		th = json_object_get(o, "throttle");
		snprintf(r->throttle, sizeof(r->throttle), "%s",
		    json_is_string(th) ? json_string_value(th) : "");
		mark = r->rows + r->verified + r->chunks_done;
		if (mark != s->moved_mark || r->throttle[0] != '\0') {
			s->moved_mark = mark;
			s->moved_ms = now_ms();
		}
		if (r->chunks_done > 0)
			s->fruitless = 0;
	} else if (strcmp(ev, "done") == 0 && json_unpack(o, "{s:s, s:I}",
	    "file", &file, "pos", &pos) == 0) {
		snprintf(r->file, sizeof(r->file), "%s", file);
		r->pos = pos;
		r->done = 1;
	}
	json_decref(o);
}

/* The run said "done": the coordinates are the seed's. */
static int
seed_record(struct seed *s, char *res, size_t len)
{
	struct migration	*m = s->m;
	char			 pos[32], *q, *sql;

	snprintf(pos, sizeof(pos), "%" PRIu64, s->run.pos);
	if (store_fact_set(s->d->store, m->id, SEED_FACT_FILE,
	    s->run.file) == -1 || store_fact_set(s->d->store, m->id,
	    SEED_FACT_POS, pos) == -1) {
		snprintf(res, len, "the coordinates could not be recorded in "
		    "the state file");
		return -1;
	}
	/* The plan of chunks has served; the table stays for the next. */
	q = mydb_quote(m->name);
	if (asprintf(&sql, "DELETE FROM migrated.seed_chunks WHERE owner = %s",
	    q) == -1)
		fatal("asprintf");
	mydb_query(s->db->tgt, sql, NULL, NULL);
	free(sql);
	free(q);
	snprintf(res, len, "copied about %.1f MiB in %d chunk%s over %d run%s "
	    "(%d compared and kept, %d copied again); source coordinates "
	    "%s:%" PRIu64, s->run.total_bytes / 1048576.0, s->run.chunks,
	    s->run.chunks == 1 ? "" : "s", s->runs, s->runs == 1 ? "" : "s",
	    s->run.verified, s->run.redo, s->run.file, s->run.pos);
	return 0;
}

/* Why the run that just ended failed, in the operator's words. */
static void
seed_why(struct seed *s, char *why, size_t len)
{
	if (s->stalled)
		snprintf(why, len, "the copy made no progress for %" PRId64
		    " s (target.seed_stall_timeout) and was stopped",
		    s->m->plan->target.seed_stall_timeout / 1000);
	else if (s->status == 0)
		snprintf(why, len, "the copy ended without its coordinates");
	else
		snprintf(why, len, "the copy exited %d: %s", s->status,
		    s->err[0] ? s->err : "(no message)");
}

static void
seed_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	seed_spawn(arg);
}

/* The worker exited and its output is read: judge, retry, or finish. */
static void
seed_end(struct seed *s)
{
	char		 res[1400];
	struct timeval	 tv = { SEED_RETRY_MS / 1000, 0 };
	int		 ok;

	if (!s->exited || (s->from_copy != NULL && !s->out_eof))
		return;
	seed_close_io(s);
	evtimer_del(s->tick);
	if (s->cancelled) {
		if (s->e != NULL)
			effect_finish(s->e, 0, "stopped: the phase changed");
		seed_free(s);
		return;
	}
	ok = s->status == 0 && s->run.done && !s->stalled;
	if (!ok) {
		seed_why(s, res, sizeof(res));
		if (s->run.chunks_done == 0)
			s->fruitless++;
		if (s->fruitless < SEED_TRIES) {
			log_warnx("%s: seeding: %s; starting it again",
			    s->m->name, res);
			store_journal(s->d->store, s->m->id, "note", res);
			evtimer_add(s->retry, &tv);
			return;
		}
	} else if (seed_record(s, res, sizeof(res)) == -1)
		ok = 0;
	s->done = 1;
	effect_finish(s->e, ok, res);
	if (ok) {
		s->m->obs.coordinates = 1;
		seed_fire(s, MEV_SEEDED, res);
	} else
		seed_fire(s, MEV_FAIL, res);
	seed_free(s);
}

static void
seed_read_cb(struct bufferevent *bev, void *arg)
{
	struct seed	*s = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line;
	size_t		 n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		seed_line(s, line);
		free(line);
	}
}

static void
seed_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct seed	*s = arg;

	seed_read_cb(bev, s);
	s->out_eof = 1;
	seed_end(s);
}

static void
seed_copy_done(void *arg, int status, int timed_out, const char *out)
{
	struct seed	*s = arg;
	char		*nl;

	s->copy = NULL;
	s->exited = 1;
	s->status = status;
	snprintf(s->err, sizeof(s->err), "%.400s", out);
	while ((nl = strrchr(s->err, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
	while ((nl = strchr(s->err, '\n')) != NULL)
		*nl = ' ';
	seed_end(s);
}

/*
 * Each second: the figures, the throttle's limit when `set` changed it,
 * and the stall clock.
 */
static void
seed_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct seed		*s = arg;
	const struct plan	*p = s->m->plan;
	char			 line[64];
	int			 n;

	seed_rate(s);
	seed_show(s);
	if (s->copy == NULL)
		return;
	if (p->target.seed_max_load != s->max_load && s->to_copy != -1) {
		n = snprintf(line, sizeof(line), "max_load %d\n",
		    p->target.seed_max_load);
		if (write(s->to_copy, line, n) == n)
			s->max_load = p->target.seed_max_load;
	}
	if (!s->stalled && now_ms() - s->moved_ms >=
	    p->target.seed_stall_timeout) {
		s->stalled = 1;
		log_warnx("%s: seeding: no progress for %" PRId64 " s; "
		    "stopping the copy", s->m->name,
		    p->target.seed_stall_timeout / 1000);
		proc_stop(s->copy);
	}
}

/* The daemon's own binary, for `migrated --seed-copy`. */
static int
seed_self(char *buf, size_t len)
{
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", buf, len - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	return strchr(buf, '\'') == NULL ? 0 : -1;
}

/* The job the worker reads first: who, where, how many streams. */
static char *
seed_job_line(struct seed *s)
{
	const struct plan	*p = s->m->plan;
	json_t			*o, *schemas;
	char			*line;
	int			 i;

	schemas = json_pack("[s]", "migrated");
	for (i = 0; i < p->source.nschemas; i++)
		json_array_append_new(schemas, json_string(
		    p->source.schemas[i]));
	o = json_pack("{s:s, s:s, s:s, s:o, s:i, s:i, s:i}", "owner",
	    s->m->name, "src_cnf", s->src_cnf, "tgt_cnf", s->tgt_cnf,
	    "schemas", schemas, "threads", p->target.seed_threads, "max_load",
	    p->target.seed_max_load, "chunk_rows", p->target.seed_chunk_rows);
	if (o == NULL || (line = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("seed: the job could not be written");
	json_decref(o);
	return line;
}

/* Start a run of the worker; its end comes through seed_end(). */
static void
seed_spawn(struct seed *s)
{
	char		 self[PATH_MAX], cmd[PATH_MAX + 64], *job, *env[] = {
	    "PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	struct timeval	 tv = { 1, 0 };
	int		 in[2], out[2];

	if (seed_self(self, sizeof(self)) == -1)
		fatalx("seed: cannot name the daemon's own binary");
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		fatal("seed: pipe");
	snprintf(cmd, sizeof(cmd), "exec '%s' --seed-copy", self);
	memset(&s->run, 0, sizeof(s->run));
	s->exited = s->out_eof = s->stalled = s->status = 0;
	s->err[0] = '\0';
	s->runs++;
	s->moved_ms = now_ms();
	s->moved_mark = 0;
	s->ticks = 0;
	s->max_load = s->m->plan->target.seed_max_load;
	s->copy = proc_spawn_io(s->d->base, cmd, env, in[0], out[1],
	    SEED_NO_LIMIT, seed_copy_done, s);
	close(in[0]);
	close(out[1]);
	s->to_copy = in[1];
	job = seed_job_line(s);
	if (write(s->to_copy, job, strlen(job)) == -1 ||
	    write(s->to_copy, "\n", 1) == -1)
		log_warn("%s: seeding: the copy's job", s->m->name);
	free(job);
	evutil_make_socket_nonblocking(out[0]);
	evutil_make_socket_nonblocking(s->to_copy);
	s->from_copy = bufferevent_socket_new(s->d->base, out[0],
	    BEV_OPT_CLOSE_ON_FREE);
	if (s->from_copy == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(s->from_copy, seed_read_cb, NULL, seed_event_cb, s);
	bufferevent_enable(s->from_copy, EV_READ);
	evtimer_add(s->tick, &tv);
	if (s->copy == NULL) {
		s->exited = 1;
		s->status = 127;
		snprintf(s->err, sizeof(s->err), "could not be started");
	}
}

static int
seed_effect_run(struct effect *e)
{
	struct seed		*s = e->arg;
	const struct plan	*p = s->m->plan;

	s->e = e;
	if ((s->src_cnf = dbpair_cnf(s->d, s->m, "source", &p->source.db,
	    p->source.db.user, s->db->src_pw)) == NULL ||
	    (s->tgt_cnf = dbpair_cnf(s->d, s->m, "target", &p->target.db,
	    p->target.db.user, s->db->tgt_pw)) == NULL)
		return -1;
	s->tick = event_new(s->d->base, -1, EV_PERSIST, seed_tick_cb, s);
	s->retry = evtimer_new(s->d->base, seed_retry_cb, s);
	if (s->tick == NULL || s->retry == NULL)
		fatalx("event_new");
	log_info("%s: seeding: copying %d schema%s from %s:%d into %s:%d on "
	    "%d streams", s->m->name, p->source.nschemas,
	    p->source.nschemas == 1 ? "" : "s", p->source.db.host,
	    p->source.db.port, p->target.db.host, p->target.db.port,
	    p->target.seed_threads);
	seed_spawn(s);
	seed_show(s);
	return 0;
}

static void
seed_effect_reconcile(struct effect *e)
{
	effect_reconciled(e, EFFECT_NOT_APPLIED, "an interrupted copy is "
	    "resumed: the chunks the target marked done are compared with a "
	    "new snapshot and only those that differ are copied again");
}

static void
seed_import_done(struct effect *e, int ok, const char *result, void *arg)
{
	struct seed	*s = arg;

	s->e = NULL;
	if (s->done || s->cancelled)
		return;		/* seed_end() judged, or frees */
	/* The copy could not start: say so; free once no child is left. */
	seed_fire(s, MEV_FAIL, result);
	s->cancelled = 1;
	if (s->copy == NULL)
		seed_free(s);
}

static void
seed_cancel(void *arg)
{
	struct seed	*s = arg;

	s->cancelled = 1;
	if (s->e == NULL) {
		/* Not copying yet: only queries are pending. */
		mydb_forget(s->db->src, s);
		seed_free(s);
		return;
	}
	if (s->copy != NULL)
		proc_stop(s->copy);
	else if (s->exited || evtimer_pending(s->retry, NULL)) {
		/* Between runs: nothing is left to wait for. */
		evtimer_del(s->retry);
		s->exited = s->out_eof = 1;
		seed_end(s);
	}
}

static void
seed_estimate_cb(void *arg, struct mydb_result *res)
{
	struct seed	*s = arg;
	const char	*v;

	if (res->err == 0 && (v = mydb_get(res, 0, "bytes")) != NULL)
		s->estimate = strtoull(v, NULL, 10);
	if (effect_start(s->job, &seed_effect, json_pack("{s:s, s:i}",
	    "tool", "migrated --seed-copy", "threads",
	    s->m->plan->target.seed_threads), seed_import_done, s) == -1) {
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
	s->to_copy = -1;
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
