/*
 * effect: anything the daemon does to the world. Each run is journaled as
 * an intent before it starts and as a result after it ends, so a crash in
 * between leaves an open intent. At restart every open intent is handed to
 * its kind's reconcile(), which looks at the real world and says whether
 * the effect happened, did not, or cannot be told; the effect is never
 * blindly repeated.
 */
#ifndef EFFECT_H
#define EFFECT_H

#include <stdint.h>

#include <jansson.h>

struct daemon;
struct job;
struct migration;
struct effect;

enum effect_verdict {
	EFFECT_APPLIED,		/* it happened: record and move on */
	EFFECT_NOT_APPLIED,	/* it did not: the phase will run it again */
	EFFECT_UNKNOWN,		/* cannot tell: fail, the operator decides */
};

struct effect_kind {
	const char	*name;
	/* Start e; it ends with effect_finish(). -1: could not start. */
	int		 (*run)(struct effect *);
	/* An intent found open at restart; ends with effect_reconciled(). */
	void		 (*reconcile)(struct effect *);
};

struct effect {
	struct job			*job;		/* its migration's */
	struct daemon			*d;		/* job->d */
	struct migration		*m;		/* job->m */
	const struct effect_kind	*kind;
	int64_t				 id;
	json_t				*args;
	void				*priv;		/* the kind's */
	void				(*done)(struct effect *, int ok,
					    const char *result, void *arg);
	void				*arg;
};

/*
 * Journal the intent, then run. done is called once with the result
 * (ok 0 when it failed or could not start). -1 if the intent could not be
 * journaled: nothing ran.
 */
int	effect_start(struct job *, const struct effect_kind *, json_t *args,
	    void (*done)(struct effect *, int, const char *, void *), void *);
/* The effect ended: journal the result, call done, free e. */
void	effect_finish(struct effect *, int ok, const char *result);

/*
 * Reconcile every open intent of m, then call cb with ok 0 and a reason if
 * any verdict was EFFECT_UNKNOWN.
 */
void	effect_reconcile_open(struct job *, void (*cb)(struct job *, int ok,
	    const char *why));
void	effect_reconciled(struct effect *, enum effect_verdict,
	    const char *detail);

/* The kinds, each in its own file; an open intent names its kind. */
extern const struct effect_kind	hook_effect;	/* hook.c */
extern const struct effect_kind	repl_effect;	/* repl.c */
extern const struct effect_kind	seed_effect;	/* seed.c */
extern const struct effect_kind	sql_effect;	/* sqlfx.c */

#endif
