/*
 * runner: what the daemon does for one migration in its current phase. It
 * is fsm_ops.entered: after each committed transition it runs the boundary
 * hooks, then the phase's driver, which observes the world and fires the
 * next event. At start-up it reconciles interrupted effects and re-enters
 * each migration's phase.
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <stddef.h>

#include "fsm.h"
#include "phase.h"

struct daemon;
struct migration;

void	runner_attach(struct daemon *, struct migration *);
void	runner_detach(struct migration *);

/* fsm_ops.entered. */
void	runner_entered(void *arg, struct migration *, enum phase from,
	    enum mev);

/* Apply ev to m (see fsm_apply); the reply's sentence goes into why. */
enum fsm_result	runner_fire(struct daemon *, struct migration *, enum mev,
		    const char *detail, char *why, size_t);

/* At start: reconcile m's open effects, then resume its phase. */
void	runner_resume(struct daemon *, struct migration *);

/* What m is doing right now ("hook before_preflight"), or NULL. */
const char	*runner_activity(const struct migration *);
/* An effect of m is in flight (delete must wait). */
int		 runner_busy(const struct migration *);

#endif
