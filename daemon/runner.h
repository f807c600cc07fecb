/*
 * runner: what the daemon does for one migration in its current phase. It
 * is fsm_ops.entered: after each committed transition it runs the boundary
 * hooks, then the phase's driver (driver.h), which observes the world and
 * fires the next event through its job. At start-up it reconciles
 * interrupted effects and re-enters each migration's phase.
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <jansson.h>

#include "fsm.h"
#include "phase.h"

struct daemon;
struct job;
struct migration;

void	runner_attach(struct daemon *, struct migration *);
void	runner_detach(struct migration *);

/* fsm_ops.entered. */
void	runner_entered(void *arg, struct migration *, enum phase from,
	    enum mev, const char *detail);

/* At start: reconcile m's open effects, then resume its phase. */
void	runner_resume(struct daemon *, struct migration *);

/* m's job, for status: its resources and progress; NULL if detached. */
const struct job	*runner_job(const struct migration *);

/* The proof's progress ("12 of 40 tables"), or NULL when none runs. */
const char	*runner_proof_text(const struct migration *);
/* The running proof's pace (proofrun_json()), or NULL. */
json_t		*runner_proof_json(const struct migration *);

/* What m is doing right now ("hook before_preflight"), or NULL. */
const char	*runner_activity(const struct migration *);
/* An effect of m is in flight (delete must wait). */
int		 runner_busy(const struct migration *);

#endif /* RUNNER_H */
