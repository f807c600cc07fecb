/*
 * store: the SQLite state file. WAL, synchronous=FULL, schema versioned by
 * user_version and upgraded in place. Tables: migrations (one row each),
 * journal (every transition, effect, operator command and hook output, in
 * order), effects (intent before, result after), samples (lag, health,
 * weights over time), facts (what a driver learnt of the world and must
 * not forget: binlog coordinates, positions at the freeze). A corrupt file, or one written by a newer schema, is
 * refused and never touched.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "phase.h"

#define STORE_SCHEMA_VERSION	2

struct store;
struct migration;

struct store	*store_open(const char *path, char *err, size_t errlen);
void		 store_close(struct store *);
int		 store_schema_version(struct store *);

/* Insert a new migration; sets m->id. -1 if the name exists or on error. */
int	store_mig_insert(struct store *, struct migration *);
/* Rewrite the persisted fields of m (not phase history: see transition). */
int	store_mig_update(struct store *, const struct migration *);
/* Delete a migration and its journal, effects and samples. */
int	store_mig_delete(struct store *, int64_t id);
/*
 * Call cb for every stored migration, in id order, with a fresh migration
 * (persisted fields only) that cb takes ownership of.
 */
int	store_mig_load(struct store *,
	    void (*cb)(void *arg, struct migration *), void *arg);

/*
 * In one transaction: write m's persisted fields (its new phase among them)
 * and a journal row "transition from -ev-> m->phase: detail".
 */
int	store_transition(struct store *, const struct migration *,
	    enum phase from, enum mev, const char *detail);

/* Append a journal row of kind ("operator", "hook", "warning", ...). */
int	store_journal(struct store *, int64_t mig, const char *kind,
	    const char *text);

/*
 * Effects. The intent is journaled (effects row with state "intent" and a
 * journal row) before the effect runs; the result after. args and result
 * are JSON text. Returns the effect id, or -1.
 */
int64_t	store_effect_intent(struct store *, int64_t mig, const char *kind,
	    const char *args);
/* state: "done", "failed" or "reconciled". */
int	store_effect_result(struct store *, int64_t effect, const char *state,
	    const char *result);

struct store_effect {
	int64_t		 id;
	int64_t		 mig;
	const char	*kind;
	const char	*args;
	const char	*state;
	const char	*result;	/* NULL while open */
	int64_t		 started;	/* unix ms */
	int64_t		 finished;	/* 0 while open */
};
/* Effects of a migration whose intent has no result, oldest first. */
int	store_effects_open(struct store *, int64_t mig,
	    void (*cb)(void *arg, const struct store_effect *), void *arg);

struct store_journal_row {
	int64_t		 id;
	int64_t		 ts;		/* unix ms */
	const char	*kind;		/* transition, effect, operator, ... */
	const char	*from;		/* transitions: phase names */
	const char	*to;
	const char	*event;
	const char	*text;
};
/* The newest `limit` journal rows of a migration, oldest first. */
int	store_history(struct store *, int64_t mig, int limit,
	    void (*cb)(void *arg, const struct store_journal_row *), void *arg);

/* A sample of a named series (lag_ms, ecs_healthy, weight_ecs, ...). */
int	store_sample(struct store *, int64_t mig, const char *series,
	    double value);

/*
 * Facts: one value per (migration, key), e.g. "seed.file". A NULL value
 * removes the fact. store_fact_get returns a malloc'd copy, or NULL.
 */
int	store_fact_set(struct store *, int64_t mig, const char *key,
	    const char *value);
char	*store_fact_get(struct store *, int64_t mig, const char *key);
/* A fact from a format; and a fact read as an integer (0: absent). */
int	store_fact_setf(struct store *, int64_t mig, const char *key,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int64_t	store_fact_i64(struct store *, int64_t mig, const char *key);
int	store_fact_exists(struct store *, int64_t mig, const char *key);

#endif
