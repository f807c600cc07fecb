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

#include <jansson.h>

#include "fsm.h"
#include "phase.h"

struct daemon;
struct migration;

void	runner_attach(struct daemon *, struct migration *);
void	runner_detach(struct migration *);

/* fsm_ops.entered. */
void	runner_entered(void *arg, struct migration *, enum phase from,
	    enum mev, const char *detail);

/* Apply ev to m (see fsm_apply); the reply's sentence goes into why. */
enum fsm_result	runner_fire(struct daemon *, struct migration *, enum mev,
		    const char *detail, char *why, size_t);

/* At start: reconcile m's open effects, then resume its phase. */
void	runner_resume(struct daemon *, struct migration *);

/*
 * The current phase's driver keeps its state in a job: cancel(job) runs
 * when the phase changes or the migration goes away, and must forget every
 * pending callback. A driver that ends calls runner_job_done() first.
 */
void	runner_job(struct migration *, void *job, void (*cancel)(void *));
void	runner_job_done(struct migration *, void *job);

/* m's database connections, made on first use. NULL with why on failure. */
struct dbpair	*runner_db(struct daemon *, struct migration *, char *why,
		    size_t);

/* A line for status ("copied 12.3 MiB"), kept until the phase changes. */
void		 runner_progress(struct migration *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
const char	*runner_progress_text(const struct migration *);

/* m's listener (daemon/traffic.h), made on first use, kept until m goes. */
struct traffic	*runner_traffic(struct daemon *, struct migration *);
/* The same, or NULL when not made yet (status must not make it). */
const struct traffic *runner_traffic_peek(const struct migration *);

/*
 * The current job's gate watcher, for status: set by the job, forgotten
 * with the job. runner_watch_json: its last judgment, or NULL.
 */
struct watch;
void		 runner_set_watch(struct migration *, struct watch *);
json_t		*runner_watch_json(const struct migration *);

/* m's lag monitor, running from replicating to cutover; NULL otherwise. */
struct lag	*runner_lag(const struct migration *);

struct mydb;

/*
 * Start the checksum proof on two connections, each inside a consistent
 * snapshot at the freeze point (the runner takes them over). It runs in
 * the background through the phases after the cutover; its verdict is a
 * fact and decommission waits for it.
 */
void		 runner_proof_start(struct daemon *, struct migration *,
		    struct mydb *src, struct mydb *tgt);

/* The proof's progress ("12 of 40 tables"), or NULL when none runs. */
const char	*runner_proof_text(const struct migration *);

/* What m is doing right now ("hook before_preflight"), or NULL. */
const char	*runner_activity(const struct migration *);
/* An effect of m is in flight (delete must wait). */
int		 runner_busy(const struct migration *);

#endif
