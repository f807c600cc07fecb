/*
 * job: the per-migration context a phase driver works in (see job.h). It
 * owns the migration's resources that outlive one phase: the database
 * pair, the lag watcher, the listener; and it is where every driver ends.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "dbpair.h"
#include "driver.h"
#include "files.h"
#include "job.h"
#include "lag.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"
#include "traffic.h"
#include "watch.h"
#include "xmalloc.h"

struct job *
job_new(struct daemon *d, struct migration *m)
{
	struct job	*j;

	j = xcalloc(1, sizeof(*j));
	j->d = d;
	j->m = m;
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	job_cancel(j);
	files_free(j->files);
	traffic_free(j->traffic);
	lag_free(j->lag);
	dbpair_free(j->db);
	free(j);
}

void
job_own(struct job *j, void *state)
{
	job_own_step(j, state, j->driver != NULL ? j->driver->cancel : NULL);
}

void
job_own_step(struct job *j, void *state, void (*cancel)(void *))
{
	job_cancel(j);
	if (state != NULL && cancel == NULL)
		fatalx("%s: state owned without a way to cancel it", j->m->name);
	j->state = state;
	j->cancel = cancel;
}

void
job_cancel(struct job *j)
{
	void	*state = j->state;

	j->watch = NULL;
	job_set_stats(j, NULL);
	if (state == NULL)
		return;
	j->state = NULL;
	j->cancel(state);
}

void
job_forget(struct job *j, const void *state)
{
	if (job_owns(j, state)) {
		j->state = NULL;
		j->watch = NULL;
		job_set_stats(j, NULL);
	}
}

int
job_owns(const struct job *j, const void *state)
{
	return state != NULL && j->state == state;
}

enum fsm_result
job_fire(struct job *j, enum mev ev, const char *detail)
{
	enum fsm_result	 r;
	char		 why[256];

	r = fsm_apply(j->d->store, &j->d->ops, j->m, ev, detail, why,
	    sizeof(why));
	if (r != FSM_OK)
		log_warnx("%s: %s refused: %s", j->m->name, mev_name(ev), why);
	return r;
}

void
job_end(struct job *j, void *state, void (*release)(void *), enum mev ev,
    const char *detail)
{
	char	text[1024];

	snprintf(text, sizeof(text), "%s", detail != NULL ? detail : "");
	job_forget(j, state);
	if (state != NULL && release != NULL)
		release(state);
	job_fire(j, ev, detail != NULL ? text : NULL);
}

struct dbpair *
job_db(struct job *j, char *why, size_t whylen)
{
	if (j->db == NULL)
		j->db = dbpair_new(j->d, j->m, why, whylen);
	return j->db;
}

void
job_db_reset(struct job *j)
{
	/* The lag watcher queries on the pair: it goes first. */
	lag_free(j->lag);
	j->lag = NULL;
	dbpair_free(j->db);
	j->db = NULL;
}

static void	job_files_halt(void *, const char *);

struct lag *
job_lag(const struct job *j)
{
	return j != NULL ? j->lag : NULL;
}

/*
 * The lag watcher runs while replication matters, also while paused or
 * failed in such a phase. Without a database pair it does not run; the
 * phase's own driver says why it cannot connect.
 */
void
job_sync(struct job *j)
{
	struct migration	*m = j->m;
	char			 why[256];
	int			 want;

	want = m->plan != NULL && phase_has(phase_where(m->phase,
	    m->resume_to), PHF_LAG_WATCHED);
	if (want && j->lag == NULL) {
		if (job_db(j, why, sizeof(why)) == NULL)
			log_warnx("%s: lag: %s", m->name, why);
		else
			j->lag = lag_new(j->d, m, j->db);
	} else if (!want && j->lag != NULL) {
		lag_free(j->lag);
		j->lag = NULL;
	}
	/* Not while paused: a failed sync paused it, and resume retries. */
	want = m->plan != NULL && m->plan->files.sync != NULL &&
	    phase_has(m->phase, PHF_FILES_SYNC);
	if (want && j->files == NULL)
		j->files = files_new(j->d, m, job_files_halt, j);
	else if (!want && j->files != NULL) {
		files_free(j->files);
		j->files = NULL;
	}
}

/* A periodic file sync failed: pause with its text. */
static void
job_files_halt(void *arg, const char *why)
{
	job_fire(arg, MEV_HALT, why);
}

struct files *
job_files(const struct job *j)
{
	return j != NULL ? j->files : NULL;
}

struct traffic *
job_traffic(struct job *j)
{
	if (j->traffic == NULL)
		j->traffic = traffic_new(j->d, j->m);
	return j->traffic;
}

const struct traffic *
job_traffic_peek(const struct job *j)
{
	return j != NULL ? j->traffic : NULL;
}

void
job_set_watch(struct job *j, struct watch *w)
{
	j->watch = w;
}

json_t *
job_watch_json(const struct job *j)
{
	return j != NULL ? watch_json(j->watch) : NULL;
}

void
job_progress(struct job *j, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(j->progress, sizeof(j->progress), fmt, ap);
	va_end(ap);
}

const char *
job_progress_text(const struct job *j)
{
	return j != NULL && j->progress[0] != '\0' ? j->progress : NULL;
}

void
job_set_stats(struct job *j, json_t *stats)
{
	json_decref(j->stats);
	j->stats = stats;
}

json_t *
job_stats(const struct job *j)
{
	return j != NULL ? j->stats : NULL;
}
