/*
 * proofrun: the checksum proof's lifecycle for one migration. The cutover
 * hands it two connections, each inside a consistent snapshot at the
 * freeze point; the proof (proof.c) runs in the background through the
 * phases after the cutover, and its verdict is a fact that decommission
 * waits for. A proof lost with the daemon cannot be finished, since its
 * snapshots are gone: after the cutover, with reverse replication, the
 * re-proof (reproof.c) finds a new consistent point and the proof runs
 * again there. Without one the tables are reported unproven.
 *
 * The proof runs on N streams (target.seed_threads), every session in a
 * snapshot of the same point. What it has proven so far (the tables done,
 * and each table's ranges from its start that matched) is kept in the
 * fact proof.resume, written at most once a second, so a re-proof after a
 * restart compares only the rest, at its new point. What is kept stays
 * exact: each kept range was compared at a point where both sides held
 * the same history (the freeze point, or an earlier re-proof's), and the
 * chunks' key ranges partition the key space whatever the rows, so the
 * ranges kept and the ranges compared again cover every row once. A
 * range proven at the freeze point is proven as of the freeze, a stronger
 * statement than a re-proof can make of it later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "daemon.h"
#include "facts.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "plan.h"
#include "proof.h"
#include "proofrun.h"
#include "reproof.h"
#include "store.h"
#include "xmalloc.h"

struct proofrun {
	struct job		*job;
	struct proof		*proof;		/* the checksum proof, running */
	struct mydb		*proof_src[PROOF_STREAMS_MAX];
	struct mydb		*proof_tgt[PROOF_STREAMS_MAX];
	size_t			 nstreams;
	struct event		*ev_proof_end;	/* free it from the loop */
	char			 proof_point[192];	/* "at the freeze point" */
	struct reproof		*reproof;	/* a new point, being found */
	struct event		*ev_reproof_end;	/* free it from the loop */
	int			 reproof_due;	/* at restart, once reconciled */
};

static void	proofrun_end_cb(evutil_socket_t, short, void *);
static void	proofrun_reproof_end_cb(evutil_socket_t, short, void *);
static void	proofrun_reproof_start(struct proofrun *);

struct proofrun *
proofrun_new(struct job *j)
{
	struct proofrun	*pr;

	pr = xcalloc(1, sizeof(*pr));
	pr->job = j;
	pr->ev_proof_end = event_new(j->d->base, -1, 0, proofrun_end_cb, pr);
	pr->ev_reproof_end = event_new(j->d->base, -1, 0,
	    proofrun_reproof_end_cb, pr);
	if (pr->ev_proof_end == NULL || pr->ev_reproof_end == NULL)
		fatalx("event_new");
	return pr;
}

/* The proof's snapshots end with their connections. */
static void
proofrun_stop(struct proofrun *pr)
{
	size_t	i;

	proof_free(pr->proof);
	pr->proof = NULL;
	for (i = 0; i < pr->nstreams; i++) {
		mydb_free(pr->proof_src[i]);
		mydb_free(pr->proof_tgt[i]);
		pr->proof_src[i] = pr->proof_tgt[i] = NULL;
	}
	pr->nstreams = 0;
}

static void
proofrun_end_cb(evutil_socket_t fd, short what, void *arg)
{
	proofrun_stop(arg);
}

static void
proofrun_done(void *arg, const struct proof_report *r)
{
	struct proofrun		*pr = arg;
	struct migration	*m = pr->job->m;
	struct store		*st = pr->job->d->store;
	const struct proof_mismatch *x;
	json_t			*j;
	char			*text, detail[768];
	int			 n;

	j = proof_report_json(r);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (r->verdict == PROOF_OK)
		n = snprintf(detail, sizeof(detail), "%zu tables, %llu chunks, "
		    "%llu rows identical %s", r->tables,
		    (unsigned long long)r->chunks, (unsigned long long)r->rows,
		    pr->proof_point);
	else if (r->verdict == PROOF_MISMATCH && r->nlisted > 0) {
		x = &r->mismatches[0];
		n = snprintf(detail, sizeof(detail), "%llu mismatch%s %s; "
		    "first: %s %s in %s (%s, %s] (%llu rows on the source, "
		    "%llu on the target)", (unsigned long long)r->nmismatches,
		    r->nmismatches == 1 ? "" : "es", pr->proof_point, x->table,
		    proof_what_name(x->what), x->key ? x->key : "the table",
		    x->lo ? x->lo : "-inf", x->hi ? x->hi : "+inf",
		    (unsigned long long)x->src_rows,
		    (unsigned long long)x->tgt_rows);
	} else
		n = snprintf(detail, sizeof(detail), "%s (%s)", r->error ?
		    r->error : "the proof failed", pr->proof_point);
	if (n < 0 || (size_t)n >= sizeof(detail))
		memcpy(detail + sizeof(detail) - 4, "...", 4);
	store_fact_set(st, m->id, PROOF_FACT_VERDICT,
	    proof_verdict_name(r->verdict));
	/* A verdict is never proven again: what was kept is done with. */
	store_fact_set(st, m->id, PROOF_FACT_RESUME, NULL);
	store_fact_set(st, m->id, PROOF_FACT_DETAIL, detail);
	store_journal(st, m->id, r->verdict == PROOF_OK ? "info" : "warning",
	    text != NULL ? text : detail);
	free(text);
	m->obs.proof_ok = r->verdict == PROOF_OK;
	log_info("%s: checksum proof: %s: %s", m->name,
	    proof_verdict_name(r->verdict), detail);
	/* Not from inside its own callback's caller: next loop turn. */
	event_active(pr->ev_proof_end, 0, 0);
	daemon_changed(pr->job->d, m);
}

/*
 * What the proof has proven so far, for a restart; marked with the
 * cutover it proves (the writer switch's time), since only that cutover's
 * re-proof may go on from it.
 */
static void
proofrun_save(void *arg, const json_t *state)
{
	struct proofrun	*pr = arg;
	struct store	*st = pr->job->d->store;
	json_t		*j;
	char		*text, *cut;

	cut = store_fact_get(st, pr->job->m->id, CUT_FACT_SWITCHED);
	j = json_deep_copy(state);
	json_object_set_new(j, "cutover", cut != NULL ? json_string(cut) :
	    json_null());
	if ((text = json_dumps(j, JSON_COMPACT)) != NULL)
		store_fact_set(st, pr->job->m->id, PROOF_FACT_RESUME, text);
	free(text);
	free(cut);
	json_decref(j);
}

/* What an earlier proof of this cutover proved, or NULL. */
static json_t *
proofrun_kept(struct proofrun *pr)
{
	struct store	*st = pr->job->d->store;
	char		*text, *cut;
	json_t		*j = NULL;

	text = store_fact_get(st, pr->job->m->id, PROOF_FACT_RESUME);
	cut = store_fact_get(st, pr->job->m->id, CUT_FACT_SWITCHED);
	if (text != NULL)
		j = json_loads(text, 0, NULL);
	if (j != NULL && (cut == NULL || json_string_value(json_object_get(j,
	    "cutover")) == NULL || strcmp(cut, json_string_value(
	    json_object_get(j, "cutover"))) != 0)) {
		json_decref(j);
		j = NULL;
	}
	free(text);
	free(cut);
	return j;
}

/*
 * The proof on the n streams src[i], tgt[i], all at the point that point
 * names; resume: go on from what an earlier proof proved.
 */
static void
proofrun_begin(struct proofrun *pr, struct mydb **src, struct mydb **tgt,
    size_t n, const char *point, int resume)
{
	struct daemon		*d = pr->job->d;
	struct migration	*m = pr->job->m;
	const struct plan	*p = m->plan;
	json_t			*kept;
	size_t			 i;
	int			 going_on;

	proofrun_stop(pr);
	snprintf(pr->proof_point, sizeof(pr->proof_point), "%s", point);
	for (i = 0; i < n && i < PROOF_STREAMS_MAX; i++) {
		pr->proof_src[i] = src[i];
		pr->proof_tgt[i] = tgt[i];
	}
	pr->nstreams = i;
	store_fact_set(d->store, m->id, PROOF_FACT_VERDICT, NULL);
	store_fact_set(d->store, m->id, PROOF_FACT_DETAIL, NULL);
	m->obs.proof_ok = 0;
	kept = resume ? proofrun_kept(pr) : NULL;
	going_on = kept != NULL;
	if (!resume)
		store_fact_set(d->store, m->id, PROOF_FACT_RESUME, NULL);
	pr->proof = proof_new(d->base, pr->proof_src, pr->proof_tgt,
	    pr->nstreams, (const char *const *)p->source.schemas,
	    (size_t)p->source.nschemas, 0, proofrun_done, pr);
	if (pr->proof != NULL) {
		proof_resume(pr->proof, kept);
		proof_on_save(pr->proof, proofrun_save, pr);
	}
	json_decref(kept);
	if (pr->proof == NULL) {
		store_fact_set(d->store, m->id, PROOF_FACT_VERDICT, "error");
		store_fact_set(d->store, m->id, PROOF_FACT_DETAIL, "the proof "
		    "could not start");
		proofrun_stop(pr);
		return;
	}
	log_info("%s: checksum proof started on %zu stream%s%s", m->name,
	    pr->nstreams, pr->nstreams == 1 ? "" : "s", going_on ?
	    ", going on from what the last one proved" : "");
}

void
proofrun_start(struct proofrun *pr, struct mydb **src, struct mydb **tgt,
    size_t n)
{
	proofrun_begin(pr, src, tgt, n, "at the freeze point", 0);
}

const char *
proofrun_text(const struct proofrun *pr)
{
	if (pr == NULL)
		return NULL;
	if (pr->reproof != NULL && reproof_progress(pr->reproof) != NULL)
		return reproof_progress(pr->reproof);
	return pr->proof != NULL && proof_report(pr->proof) == NULL ?
	    proof_progress(pr->proof) : NULL;
}

json_t *
proofrun_json(const struct proofrun *pr)
{
	if (pr == NULL || pr->proof == NULL || proof_report(pr->proof) != NULL)
		return NULL;
	return proof_pace_json(pr->proof);
}

/* --- the re-proof: a new consistent point after a restart --- */

static void
proofrun_reproof_end_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proofrun	*pr = arg;

	reproof_free(pr->reproof);
	pr->reproof = NULL;
}

static void
proofrun_reproof_done(void *arg, int ok, struct mydb **src,
    struct mydb **tgt, size_t n, const char *point, const char *why)
{
	struct proofrun		*pr = arg;
	struct migration	*m = pr->job->m;
	struct store		*st = pr->job->d->store;
	char			 buf[1024];

	/* Free it next turn: its callback is running. */
	event_active(pr->ev_reproof_end, 0, 0);
	if (point == NULL) {
		/* Repair only: replication is running again, or why not. */
		if (!ok)
			log_warnx("%s: %s", m->name, why);
		return;
	}
	if (ok) {
		snprintf(buf, sizeof(buf), "checksum proof restarted at target "
		    "position %s after the daemon's restart (the freeze "
		    "point's snapshots were lost)", point);
		store_journal(st, m->id, "info", buf);
		log_info("%s: %s", m->name, buf);
		snprintf(buf, sizeof(buf), "at target position %s (re-proof "
		    "after the daemon's restart)", point);
		proofrun_begin(pr, src, tgt, n, buf, 1);
		daemon_changed(pr->job->d, m);
		return;
	}
	snprintf(buf, sizeof(buf), "the daemon stopped before the checksum "
	    "proof finished and no new consistent point could be had: %s; "
	    "the tables are unproven: compare them by hand before approving "
	    "decommission", why);
	store_fact_set(st, m->id, PROOF_FACT_VERDICT, "error");
	store_fact_set(st, m->id, PROOF_FACT_DETAIL, buf);
	store_journal(st, m->id, "warning", buf);
	log_warnx("%s: checksum proof: error: %s", m->name, buf);
	m->obs.proof_ok = 0;
	daemon_changed(pr->job->d, m);
}

/* The phases after the cutover in which reverse replication runs. */
static int
proofrun_after_cutover(const struct migration *m)
{
	return phase_has(phase_where(m->phase, m->resume_to),
	    PHF_REVERSE_REPL);
}

/* Start the re-proof (or the repair) that the restart found due. */
static void
proofrun_reproof_start(struct proofrun *pr)
{
	struct migration	*m = pr->job->m;
	enum reproof_mode	 mode;

	if (!pr->reproof_due || pr->reproof != NULL)
		return;
	mode = pr->reproof_due == 1 ? REPROOF_PROVE : REPROOF_REPAIR;
	pr->reproof_due = 0;
	if (!proofrun_after_cutover(m))
		return;
	if (mode == REPROOF_PROVE) {
		/* Unproven while it runs: approve and decommission wait. */
		store_fact_set(pr->job->d->store, m->id, PROOF_FACT_VERDICT, NULL);
		store_fact_set(pr->job->d->store, m->id, PROOF_FACT_DETAIL, NULL);
		m->obs.proof_ok = 0;
		log_info("%s: the checksum proof was lost with the daemon's "
		    "restart; looking for a new consistent point", m->name);
	}
	pr->reproof = reproof_new(pr->job, mode, REPROOF_REVERSE,
	    proofrun_reproof_done, pr);
}

/*
 * At restart: the proof's verdict comes back from the store. A proof the
 * stop interrupted cannot be finished, since its snapshots are gone; after
 * the cutover, with reverse replication, a new proof runs at a new
 * consistent point (daemon/reproof.c) once the open effects are
 * reconciled. Without reverse replication there is no such point.
 */
void
proofrun_resume(struct proofrun *pr)
{
	struct migration	*m = pr->job->m;
	struct store		*st = pr->job->d->store;
	const struct plan	*p = m->plan;
	char			*verdict, *switched, *paused;
	int			 lost;

	verdict = store_fact_get(st, m->id, PROOF_FACT_VERDICT);
	switched = store_fact_get(st, m->id, CUT_FACT_SWITCHED);
	paused = store_fact_get(st, m->id, REPROOF_FACT_PAUSED);
	m->obs.proof_ok = verdict != NULL && strcmp(verdict, "ok") == 0;
	m->obs.soak_ok = store_fact_i64(st, m->id, SOAK_FACT_PASSED) == 1;
	lost = verdict == NULL && switched != NULL && p != NULL &&
	    p->cutover.checksum;
	if (lost && p->cutover.reverse_replication && proofrun_after_cutover(m))
		pr->reproof_due = 1;
	else if (lost) {
		store_fact_set(st, m->id, PROOF_FACT_VERDICT, "error");
		store_fact_set(st, m->id, PROOF_FACT_DETAIL, p->cutover.
		    reverse_replication ? "the daemon stopped before the "
		    "checksum proof finished; its snapshot at the freeze point "
		    "is gone, so the tables are unproven: compare them by hand "
		    "before approving decommission" : "the daemon stopped "
		    "before the checksum proof finished; its snapshot at the "
		    "freeze point is gone, and without reverse replication "
		    "(cutover.reverse_replication) there is no new consistent "
		    "point to prove at, so the tables are unproven: compare "
		    "them by hand before approving decommission");
		store_journal(st, m->id, "warning", "checksum proof lost with "
		    "the daemon's restart");
	} else if (paused != NULL && switched != NULL && p != NULL &&
	    p->cutover.reverse_replication && proofrun_after_cutover(m))
		/* A re-proof stopped while it held replication paused. */
		pr->reproof_due = 2;
	free(verdict);
	free(switched);
	free(paused);
}


void
proofrun_free(struct proofrun *pr)
{
	if (pr == NULL)
		return;
	proofrun_stop(pr);
	/* A source left paused is resumed by the next start's repair. */
	reproof_free(pr->reproof);
	event_free(pr->ev_reproof_end);
	event_free(pr->ev_proof_end);
	free(pr);
}

void
proofrun_entered(struct proofrun *pr, enum phase from)
{
	struct migration	*m = pr->job->m;
	struct daemon		*d = pr->job->d;

	/* Rolling back stops reverse replication: the re-proof gives way. */
	if (pr->reproof != NULL && !proofrun_after_cutover(m))
		reproof_cancel(pr->reproof, "the migration left the phases "
		    "after the cutover");
	/*
	 * A cutover resumed after a restart has no freeze-point snapshots:
	 * it leaves the verdict unset, and the proof runs at a new point.
	 */
	if (from == PH_CUTOVER && m->phase == PH_FULL_TRAFFIC &&
	    pr->proof == NULL && m->plan != NULL &&
	    m->plan->cutover.checksum && m->plan->cutover.reverse_replication &&
	    !store_fact_exists(d->store, m->id, PROOF_FACT_VERDICT)) {
		pr->reproof_due = 1;
		proofrun_reproof_start(pr);
	}
}

void
proofrun_reconciled(struct proofrun *pr)
{
	proofrun_reproof_start(pr);
}
