/*
 * verify: one data comparison at a time per migration, from the point
 * (reproof.c, REPROOF_FORWARD) to the verdict (proof.c). The snapshots
 * outlive the pause of the target's replication, which runs again as
 * soon as both are open; the comparison then reads them at leisure.
 *
 * Its size comes first: the source's information_schema says how many
 * rows and bytes the schemas hold (an estimate, as InnoDB's TABLE_ROWS
 * is), and the proof's counts say how far it got, so status shows rows
 * and chunks done against the estimate.
 *
 * A difference pauses the migration (HALT) with the tables and key
 * ranges; so does a comparison the cutover waits for that fails. Where
 * the target's replication cannot be stopped at a position (RDS for
 * MariaDB, which has no mysql.rds_start_replication_until; a MySQL side,
 * which has no snapshot position), the method is replicated checksums
 * (proof_new_repl()): the same chunks, checksummed by statements that the
 * target's replication runs again. The method is journaled and in status.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "daemon.h"
#include "dbpair.h"
#include "facts.h"
#include "fsm.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "plan.h"
#include "proof.h"
#include "reproof.h"
#include "store.h"
#include "verify.h"
#include "xmalloc.h"

#define VERIFY_CHUNK_ROWS	1000	/* replicated checksums' chunks */
#define VERIFY_LISTED		3	/* differences in the reason */
#define VERIFY_M_SNAPSHOTS	"snapshots"
#define VERIFY_M_REPLICATED	"replicated checksums"

struct verify {
	struct job		*job;
	struct reproof		*rp;
	struct event		*ev_rp_end;	/* frees it next turn */
	struct proof		*proof;
	struct mydb		*src[PROOF_STREAMS_MAX];	/* the */
	struct mydb		*tgt[PROOF_STREAMS_MAX];	/* snapshots */
	size_t			 n;
	struct event		*ev_proof_end;
	int			 running;
	int			 before;	/* the cutover's */
	const char		*method;	/* VERIFY_M_* */
	int64_t			 started, ended;	/* unix ms */
	char			 point[192];
	uint64_t		 est_rows, est_bytes;
	int			 est_known;
	json_t			*report;	/* the last one */
	char			 text[256];
};

static void	verify_end(struct verify *, const char *verdict,
		    const char *detail);
static void	verify_proof_end_cb(evutil_socket_t, short, void *);
static void	verify_rp_end_cb(evutil_socket_t, short, void *);

struct verify *
verify_new(struct job *j)
{
	struct verify	*v;

	v = xcalloc(1, sizeof(*v));
	v->job = j;
	if ((v->ev_rp_end = event_new(j->d->base, -1, 0, verify_rp_end_cb,
	    v)) == NULL || (v->ev_proof_end = event_new(j->d->base, -1, 0,
	    verify_proof_end_cb, v)) == NULL)
		fatalx("event_new");
	return v;
}

/* The proof and its snapshots: freed from the loop, never in its call. */
static void
verify_proof_end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct verify	*v = arg;

	size_t		 i;

	proof_free(v->proof);
	v->proof = NULL;
	for (i = 0; i < v->n; i++) {
		mydb_free(v->src[i]);
		mydb_free(v->tgt[i]);
		v->src[i] = v->tgt[i] = NULL;
	}
	v->n = 0;
}

static void
verify_rp_end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct verify	*v = arg;

	reproof_free(v->rp);
	v->rp = NULL;
}

void
verify_free(struct verify *v)
{
	if (v == NULL)
		return;
	/* Left paused, replication is started by the next start's repair. */
	reproof_free(v->rp);
	verify_proof_end_cb(-1, 0, v);
	event_free(v->ev_rp_end);
	event_free(v->ev_proof_end);
	json_decref(v->report);
	free(v);
}

/* Before the cutover began, once seeded: replication to compare through. */
static int
verify_allowed(const struct migration *m, char *why, size_t len)
{
	enum phase	where = phase_where(m->phase, m->resume_to);

	if (phase_has(m->phase, PHF_ROLLBACK) ||
	    !phase_has(where, PHF_LAG_WATCHED) ||
	    phase_has(where, PHF_CUTOVER_BEGUN)) {
		snprintf(why, len, "verify compares through replication from "
		    "the source: possible from replicating until the cutover "
		    "begins, not in phase %s", phase_name(m->phase));
		return 0;
	}
	return 1;
}

/* --- the end --- */

static void
verify_mismatch_text(const struct proof_report *r, const char *point,
    char *buf, size_t len)
{
	const struct proof_mismatch	*x;
	size_t				 i;
	int				 n;

	n = snprintf(buf, len, "%llu difference%s between source and target "
	    "%s:", (unsigned long long)r->nmismatches, r->nmismatches == 1 ?
	    "" : "s", point);
	for (i = 0; i < r->nlisted && i < VERIFY_LISTED && n >= 0 &&
	    (size_t)n < len; i++) {
		x = &r->mismatches[i];
		n += snprintf(buf + n, len - n, "%s %s %s", i ? ";" : "",
		    x->table, proof_what_name(x->what));
		if (x->key != NULL && (size_t)n < len)
			n += snprintf(buf + n, len - n, " in %s (%s, %s]",
			    x->key, x->lo ? x->lo : "-inf",
			    x->hi ? x->hi : "+inf");
		if (x->detail != NULL && (size_t)n < len)
			n += snprintf(buf + n, len - n, " (%s)", x->detail);
	}
	if (r->nmismatches > VERIFY_LISTED && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "; and %llu more (verify.report in "
		    "the journal)", (unsigned long long)(r->nmismatches -
		    VERIFY_LISTED));
}

static void
verify_proof_done(void *arg, const struct proof_report *r)
{
	struct verify		*v = arg;
	char			 detail[1024];

	json_decref(v->report);
	v->report = proof_report_json(r);
	json_object_set_new(v->report, "point", json_string(v->point));
	if (r->verdict == PROOF_OK)
		snprintf(detail, sizeof(detail), "%zu tables, %llu chunks, "
		    "%llu rows identical %s, in %.1f s", r->tables,
		    (unsigned long long)r->chunks, (unsigned long long)r->rows,
		    v->point, (double)r->elapsed_ms / 1000);
	else if (r->verdict == PROOF_MISMATCH)
		verify_mismatch_text(r, v->point, detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "the comparison failed %s: "
		    "%s", v->point, r->error ? r->error : "?");
	event_active(v->ev_proof_end, 0, 0);
	verify_end(v, proof_verdict_name(r->verdict), detail);
}

/* The verdict: facts, journal, the migration told. */
static void
verify_end(struct verify *v, const char *verdict, const char *detail)
{
	struct daemon		*d = v->job->d;
	struct migration	*m = v->job->m;
	char			*text, reason[1200];
	int			 ok = strcmp(verdict, "ok") == 0;

	v->running = 0;
	v->ended = now_ms();
	m->obs.verifying = 0;
	store_fact_set(d->store, m->id, VERIFY_FACT_VERDICT, verdict);
	store_fact_set(d->store, m->id, VERIFY_FACT_DETAIL, detail);
	if (v->report != NULL &&
	    (text = json_dumps(v->report, JSON_COMPACT)) != NULL) {
		store_journal(d->store, m->id, ok ? "info" : "warning", text);
		free(text);
	}
	snprintf(reason, sizeof(reason), "verify: %s: %s", verdict, detail);
	store_journal(d->store, m->id, ok ? "info" : "warning", reason);
	if (ok)
		log_info("%s: %s", m->name, reason);
	else
		log_warnx("%s: %s", m->name, reason);
	if (v->before && ok)
		m->obs.verified = 1;
	/* A difference: the target cannot be trusted. */
	if ((strcmp(verdict, "mismatch") == 0 ||
	    (strcmp(verdict, "error") == 0 && v->before)) &&
	    fsm_listed(m->phase, MEV_HALT)) {
		if (strcmp(verdict, "error") == 0)
			snprintf(reason, sizeof(reason), "verify: the data "
			    "comparison before the cutover failed: %s (resume "
			    "to try again, or set cutover.verify_before = no)",
			    detail);
		job_fire(v->job, MEV_HALT, reason);
	}
	v->before = 0;
	daemon_changed(d, m);
}

/* --- the comparison --- */

static void
verify_est_cb(void *arg, struct mydb_result *res)
{
	struct verify	*v = arg;
	const char	*r, *b;

	if (res->err != 0 || res->nrows == 0)
		return;
	r = mydb_get(res, 0, "r");
	b = mydb_get(res, 0, "b");
	v->est_rows = r != NULL ? strtoull(r, NULL, 10) : 0;
	v->est_bytes = b != NULL ? strtoull(b, NULL, 10) : 0;
	v->est_known = 1;
}

/* The size of the schemas, as the source's information_schema says. */
static void
verify_estimate(struct verify *v)
{
	const struct plan	*p = v->job->m->plan;
	char			 sql[2048], *q;
	int			 i, n;

	n = snprintf(sql, sizeof(sql), "SELECT COALESCE(SUM(TABLE_ROWS), 0) "
	    "AS r, COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS b FROM "
	    "information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND "
	    "TABLE_SCHEMA IN (");
	for (i = 0; i < p->source.nschemas && (size_t)n < sizeof(sql); i++) {
		q = mydb_quote(p->source.schemas[i]);
		n += snprintf(sql + n, sizeof(sql) - n, "%s%s", i ? ", " : "",
		    q);
		free(q);
	}
	if ((size_t)n + 2 >= sizeof(sql))
		return;
	snprintf(sql + n, sizeof(sql) - n, ")");
	mydb_query(v->src[0], sql, verify_est_cb, v);
}

/*
 * Where the target's replication cannot be stopped at the source's
 * snapshot position (RDS for MariaDB, a MySQL side), the comparison runs
 * through replication instead: each chunk's checksum is a statement the
 * source logs as itself and the target runs again (proof_new_repl()).
 * Nothing is stopped, so a restart leaves nothing to repair: the next
 * comparison is a new run.
 */
static void
verify_replicated(struct verify *v, const char *why)
{
	struct daemon		*d = v->job->d;
	struct migration	*m = v->job->m;
	const struct plan	*p = m->plan;
	struct dbpair		*db;
	const char		*status;
	char			 err[256], msg[1024];
	uint64_t		 run = (uint64_t)now_ms();

	v->method = VERIFY_M_REPLICATED;
	snprintf(msg, sizeof(msg), "verify: method: replicated checksums, "
	    "since %s: each chunk's checksum is logged by statement on the "
	    "source and run again by the target's replication "
	    "(pt-table-checksum's method), compared in migrated.checksums on "
	    "the target", why);
	store_journal(d->store, m->id, "info", msg);
	log_info("%s: verify: replicated checksums (run %llu)", m->name,
	    (unsigned long long)run);
	snprintf(v->point, sizeof(v->point), "through replication "
	    "(replicated checksums, run %llu)", (unsigned long long)run);
	v->n = 1;
	if ((db = job_db(v->job, err, sizeof(err))) == NULL ||
	    (v->src[0] = dbpair_open(d, m, db, 0, "verify source checksums"))
	    == NULL || (v->tgt[0] = dbpair_open(d, m, db, 1,
	    "verify target checksums")) == NULL) {
		event_active(v->ev_proof_end, 0, 0);
		verify_end(v, "error", db == NULL ? err : "the comparison's "
		    "connections could not be made");
		return;
	}
	verify_estimate(v);
	/* As lag.c reads it, once the target's version is known. */
	if (db->td_known)
		status = dbpair_status_sql(db, p);
	else
		status = p->target.kind == TARGET_RDS ?
		    "CALL mysql.rds_replica_status" : "SHOW SLAVE STATUS";
	v->proof = proof_new_repl(d->base, run, v->job->m->name, status,
	    v->src[0], v->tgt[0], (const char *const *)p->source.schemas,
	    (size_t)p->source.nschemas, VERIFY_CHUNK_ROWS, verify_proof_done,
	    v);
	if (v->proof == NULL) {
		event_active(v->ev_proof_end, 0, 0);
		verify_end(v, "error", "the comparison could not start");
	}
	daemon_changed(d, m);
}

static void
verify_point_cb(void *arg, int ok, struct mydb **src, struct mydb **tgt,
    size_t n, const char *point, const char *why)
{
	struct verify		*v = arg;
	struct migration	*m = v->job->m;
	const struct plan	*p = m->plan;
	int			 unsupported = reproof_unsupported(v->rp);

	event_active(v->ev_rp_end, 0, 0);
	if (!v->running) {
		/* The repair: replication runs again, or why not. */
		if (!ok)
			log_warnx("%s: verify: %s", m->name, why);
		return;
	}
	if (!ok && unsupported) {
		verify_replicated(v, why);
		return;
	}
	if (!ok) {
		verify_end(v, "error", why);
		return;
	}
	snprintf(v->point, sizeof(v->point), "at source position %s", point);
	store_journal(v->job->d->store, m->id, "info", "verify: method: "
	    "snapshots: both snapshots open at one point; the target "
	    "replicates again");
	for (v->n = 0; v->n < n && v->n < PROOF_STREAMS_MAX; v->n++) {
		v->src[v->n] = src[v->n];
		v->tgt[v->n] = tgt[v->n];
	}
	verify_estimate(v);
	/* Chunks sized by their time (proof.c), on n streams. */
	v->proof = proof_new(v->job->d->base, v->src, v->tgt, v->n,
	    (const char *const *)p->source.schemas,
	    (size_t)p->source.nschemas, 0, verify_proof_done, v);
	if (v->proof == NULL) {
		event_active(v->ev_proof_end, 0, 0);
		verify_end(v, "error", "the comparison could not start");
	}
	daemon_changed(v->job->d, m);
}

int
verify_start(struct verify *v, int before, char *why, size_t len)
{
	struct daemon		*d = v->job->d;
	struct migration	*m = v->job->m;

	if (v->running) {
		v->before |= before;
		return 0;
	}
	if (m->plan == NULL) {
		snprintf(why, len, "the plan does not parse");
		return -1;
	}
	if (!verify_allowed(m, why, len))
		return -1;
	if (v->rp != NULL || v->proof != NULL) {
		/* The last one is still being freed: next loop turn. */
		snprintf(why, len, "the last comparison is still closing; try "
		    "again");
		return -1;
	}
	v->running = 1;
	v->before = before;
	v->method = VERIFY_M_SNAPSHOTS;
	v->started = now_ms();
	v->ended = 0;
	v->point[0] = '\0';
	v->est_known = 0;
	json_decref(v->report);
	v->report = NULL;
	m->obs.verifying = 1;
	store_fact_set(d->store, m->id, VERIFY_FACT_VERDICT, NULL);
	store_fact_set(d->store, m->id, VERIFY_FACT_DETAIL, NULL);
	store_journal(d->store, m->id, "info", before ? "verify: comparing "
	    "source and target before the cutover" : "verify: comparing "
	    "source and target (migratectl verify)");
	log_info("%s: verify: started%s", m->name, before ?
	    " (before the cutover)" : "");
	v->rp = reproof_new(v->job, REPROOF_PROVE, REPROOF_FORWARD,
	    verify_point_cb, v);
	daemon_changed(d, m);
	return 0;
}

int
verify_running(const struct verify *v)
{
	return v != NULL && v->running;
}

const char *
verify_text(const struct verify *v)
{
	struct verify		*w = (struct verify *)v;
	const struct proof_report *c;
	const char		*t;

	if (v == NULL || !v->running)
		return NULL;
	if (v->rp != NULL && v->proof == NULL &&
	    (t = reproof_progress(v->rp)) != NULL)
		return t;
	if (v->proof == NULL)
		return "verify: starting";
	c = proof_counts(v->proof);
	if (v->est_known && v->est_rows > 0)
		snprintf(w->text, sizeof(w->text), "verify (%s): %s (about "
		    "%llu%% of ~%" PRIu64 " rows)", v->method,
		    proof_progress(v->proof),
		    (unsigned long long)(c->rows * 100 / v->est_rows > 100 ?
		    100 : c->rows * 100 / v->est_rows), v->est_rows);
	else
		snprintf(w->text, sizeof(w->text), "verify (%s): %s",
		    v->method, proof_progress(v->proof));
	return w->text;
}

json_t *
verify_json(const struct verify *v)
{
	struct store		*st = v->job->d->store;
	const struct migration	*m = v->job->m;
	const struct proof_report *c = NULL;
	char			*verdict, *detail;
	json_t			*j;
	int64_t			 until;

	verdict = store_fact_get(st, m->id, VERIFY_FACT_VERDICT);
	detail = store_fact_get(st, m->id, VERIFY_FACT_DETAIL);
	if (!v->running && verdict == NULL) {
		free(detail);
		return NULL;
	}
	j = json_pack("{s:s, s:b, s:s?, s:s?, s:s?, s:s?}",
	    "state", v->running ? "running" : verdict,
	    "before_cutover", v->before,
	    "method", v->method,
	    "point", v->point[0] != '\0' ? v->point : NULL,
	    "detail", detail,
	    "progress", verify_text(v));
	free(verdict);
	free(detail);
	if (v->started != 0) {
		until = v->ended != 0 ? v->ended : now_ms();
		json_object_set_new(j, "started", json_integer(v->started));
		json_object_set_new(j, "elapsed_ms",
		    json_integer(until - v->started));
	}
	if (v->proof != NULL && v->running)
		json_object_set_new(j, "pace", proof_pace_json(v->proof));
	if (v->proof != NULL)
		c = proof_counts(v->proof);
	if (c != NULL)
		json_object_update_new(j, json_pack("{s:I, s:I, s:I, s:I, "
		    "s:I}", "tables", (json_int_t)c->tables, "tables_total",
		    (json_int_t)c->tables_total, "chunks",
		    (json_int_t)c->chunks, "rows", (json_int_t)c->rows,
		    "mismatches", (json_int_t)c->nmismatches));
	else if (v->report != NULL)
		json_object_set(j, "report", v->report);
	if (v->est_known)
		json_object_update_new(j, json_pack("{s:I, s:I}",
		    "rows_estimated", (json_int_t)v->est_rows,
		    "bytes_estimated", (json_int_t)v->est_bytes));
	return j;
}

void
verify_entered(struct verify *v)
{
	char	why[256];

	if (v == NULL || !v->running || verify_allowed(v->job->m, why,
	    sizeof(why)))
		return;
	if (v->proof != NULL) {
		proof_free(v->proof);
		v->proof = NULL;
		event_active(v->ev_proof_end, 0, 0);
		verify_end(v, "error", "stopped: the migration left the "
		    "phases it can compare in");
		return;
	}
	/* Replication is started again, then the callback ends it. */
	reproof_cancel(v->rp, "stopped: the migration left the phases it can "
	    "compare in");
}

void
verify_reconciled(struct verify *v)
{
	struct daemon		*d = v->job->d;
	struct migration	*m = v->job->m;
	char			*paused;

	paused = store_fact_get(d->store, m->id, VERIFY_FACT_PAUSED);
	if (paused == NULL || v->rp != NULL || m->plan == NULL) {
		free(paused);
		return;
	}
	free(paused);
	store_journal(d->store, m->id, "info", "verify: the daemon stopped "
	    "during a comparison; starting the target's replication again");
	v->rp = reproof_new(v->job, REPROOF_REPAIR, REPROOF_FORWARD,
	    verify_point_cb, v);
}
