/*
 * fsm: the transition table, and the one function that applies it.
 *
 * A rule is {from, event, guard, action, to}. fsm_apply() finds the first
 * rule for (phase, event) whose guard holds, runs its action (which only
 * edits the migration in memory), and commits the new phase together with a
 * journal row in one store transaction. Only then does it tell the daemon,
 * which starts the new phase's work. A pair with no rule is refused.
 */
#ifndef FSM_H
#define FSM_H

#include <stddef.h>

#include "phase.h"

struct migration;
struct store;

/* Pseudo target: the phase saved in resume_to (resume, retry). */
#define PH_RESUME	PH__COUNT

/* A guard returns NULL when it holds, or a reason an operator can read. */
typedef const char *(*fsm_guard)(const struct migration *);
/* An action edits the migration in memory only; detail is the event's text. */
typedef void (*fsm_action)(struct migration *, enum phase from,
    const char *detail);

struct rule {
	enum phase	 from;
	enum mev	 ev;
	fsm_guard	 guard;
	const char	*guard_name;
	fsm_action	 action;
	const char	*action_name;
	int		 to;		/* enum phase, or PH_RESUME */
};

struct fsm_ops {
	void	*arg;
	/* The transition committed; start the work of m->phase. */
	void	(*entered)(void *arg, struct migration *, enum phase from,
		    enum mev, const char *detail);
};

enum fsm_result {
	FSM_OK,
	FSM_NO_RULE,	/* no rule for (phase, event) */
	FSM_GUARD,	/* rules exist, no guard holds */
	FSM_STORE,	/* the store refused; nothing changed */
};

/*
 * Apply ev to m. detail (may be NULL) goes into the journal row. On refusal,
 * why gets a sentence for the operator and m is unchanged.
 */
enum fsm_result	fsm_apply(struct store *, const struct fsm_ops *,
		    struct migration *, enum mev, const char *detail,
		    char *why, size_t);

/* The table, for tests and for `migratectl plan`. */
const struct rule	*fsm_rules(size_t *n);
/* Some rule exists for (from, ev). */
int			 fsm_listed(enum phase, enum mev);
/* Events some rule accepts in this phase, as a bit mask of 1 << mev. */
unsigned int		 fsm_accepted(enum phase);

#endif
