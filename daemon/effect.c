/*
 * effect: intent, effect, result; and reconciliation of intents that a
 * crash left without a result.
 *
 * Ordering matters: the intent row is committed before the kind's run()
 * starts anything, and the result row is committed before the caller hears
 * of it. A kill -9 therefore leaves at worst an open intent, which the next
 * start hands to reconcile() rather than to run().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "effect.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "store.h"

static const struct effect_kind *const kinds[] = {
	&hook_effect,
	&repl_effect,
	&seed_effect,
	&sql_effect,
};

static const struct effect_kind *
effect_kind_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

static struct effect *
effect_new(struct job *j, const struct effect_kind *kind, json_t *args)
{
	struct effect	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("calloc");
	e->job = j;
	e->d = j->d;
	e->m = j->m;
	e->kind = kind;
	e->args = args;
	return e;
}

static void
effect_free(struct effect *e)
{
	json_decref(e->args);
	free(e);
}

int
effect_start(struct job *j, const struct effect_kind *kind, json_t *args,
    void (*done)(struct effect *, int, const char *, void *), void *arg)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct effect		*e;
	char			*text;

	if ((text = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		fatalx("json_dumps");
	e = effect_new(j, kind, args);
	e->done = done;
	e->arg = arg;
	e->id = store_effect_intent(d->store, m->id, kind->name, text);
	free(text);
	if (e->id == -1) {
		log_warnx("%s: %s: intent not journaled, not running it",
		    m->name, kind->name);
		effect_free(e);
		return -1;
	}
	/* A running effect holds a clean exit until it ends. */
	daemon_hold(d);
	if (kind->run(e) == -1)
		effect_finish(e, 0, "could not start");
	return 0;
}

void
effect_finish(struct effect *e, int ok, const char *result)
{
	struct daemon	*d = e->d;

	if (store_effect_result(e->d->store, e->id, ok ? "done" : "failed",
	    result) == -1)
		log_warnx("%s: %s: result not journaled; it will be "
		    "reconciled at the next start", e->m->name, e->kind->name);
	if (e->done != NULL)
		e->done(e, ok, result, e->arg);
	effect_free(e);
	/* After done: work it starts in turn holds the exit too. */
	daemon_release(d);
}

/* Reconciliation of one migration's open intents. */

struct reconcile {
	struct job		*job;
	int			 pending;
	int			 unknown;
	char			 why[1024];
	struct effect		**open;
	size_t			 nopen, capopen;
	void			(*cb)(struct job *, int, const char *);
};

/*
 * Collect first, reconcile after: a verdict journals a result, and the
 * store is still iterating its open intents while this runs.
 */
static void
reconcile_collect(void *arg, const struct store_effect *se)
{
	struct reconcile		*rc = arg;
	const struct effect_kind	*kind;
	struct effect			*e;
	json_t				*args;

	if ((kind = effect_kind_find(se->kind)) == NULL) {
		/* Written by a newer migrated: an operator must look. */
		rc->unknown = 1;
		snprintf(rc->why, sizeof(rc->why), "effect %s #%lld was "
		    "interrupted and this migrated does not know it",
		    se->kind, (long long)se->id);
		return;
	}
	if ((args = json_loads(se->args ? se->args : "{}", 0, NULL)) == NULL)
		args = json_object();
	e = effect_new(rc->job, kind, args);
	e->id = se->id;
	e->arg = rc;
	if (rc->nopen == rc->capopen) {
		rc->capopen = rc->capopen ? rc->capopen * 2 : 4;
		rc->open = reallocarray(rc->open, rc->capopen,
		    sizeof(*rc->open));
		if (rc->open == NULL)
			fatal("reallocarray");
	}
	rc->open[rc->nopen++] = e;
}

static void
reconcile_end(struct reconcile *rc)
{
	rc->cb(rc->job, !rc->unknown, rc->unknown ? rc->why : NULL);
	free(rc->open);
	free(rc);
}

void
effect_reconciled(struct effect *e, enum effect_verdict v, const char *detail)
{
	struct reconcile	*rc = e->arg;
	char			 res[1024];

	switch (v) {
	case EFFECT_APPLIED:
		snprintf(res, sizeof(res), "applied before the restart: %s",
		    detail);
		break;
	case EFFECT_NOT_APPLIED:
		snprintf(res, sizeof(res), "not applied; the phase runs it "
		    "again: %s", detail);
		break;
	case EFFECT_UNKNOWN:
		snprintf(res, sizeof(res), "outcome unknown: %s", detail);
		rc->unknown = 1;
		snprintf(rc->why, sizeof(rc->why), "%s", detail);
		break;
	}
	if (store_effect_result(e->d->store, e->id, "reconciled", res) == -1)
		log_warnx("%s: %s #%lld: reconciliation not journaled",
		    e->m->name, e->kind->name, (long long)e->id);
	log_notice("%s: %s #%lld %s", e->m->name, e->kind->name,
	    (long long)e->id, res);
	effect_free(e);
	if (--rc->pending == 0)
		reconcile_end(rc);
}

void
effect_reconcile_open(struct job *j, void (*cb)(struct job *, int,
    const char *))
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	struct reconcile	*rc;
	size_t			 i;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		fatal("calloc");
	rc->job = j;
	rc->cb = cb;
	if (store_effects_open(d->store, m->id, reconcile_collect, rc) == -1) {
		rc->unknown = 1;
		snprintf(rc->why, sizeof(rc->why), "the journal of effects "
		    "could not be read");
	}
	/* Hold a count while starting, so a synchronous verdict cannot end it. */
	rc->pending = 1 + (int)rc->nopen;
	for (i = 0; i < rc->nopen; i++) {
		log_notice("%s: reconciling interrupted %s #%lld", m->name,
		    rc->open[i]->kind->name, (long long)rc->open[i]->id);
		rc->open[i]->kind->reconcile(rc->open[i]);
	}
	if (--rc->pending == 0)
		reconcile_end(rc);
}
