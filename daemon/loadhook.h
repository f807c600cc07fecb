/*
 * loadhook: the plan's traffic.load_hook, a command run for the length of
 * each bake (a load generator against the ECS target group, as Flagger's
 * load tester), so that a small step at low traffic gathers its
 * gates.min_requests. It starts when the bake starts and is stopped
 * (SIGTERM to its process group, SIGKILL PROC_KILL_GRACE seconds later)
 * when the bake ends or the step is left for any reason, the daemon's
 * stop included. Its exit and the tail of its output go to the journal
 * and the log.
 *
 * A crash leaves no owner to stop it: its process group and start time
 * are a fact while it runs, and the next start of the daemon (or of a
 * bake) kills a group still running with that start time.
 */
#ifndef LOADHOOK_H
#define LOADHOOK_H

struct daemon;
struct migration;
struct loadhook;

/* Start m's load hook for its current step; NULL when none or on error. */
struct loadhook	*loadhook_start(struct daemon *, struct migration *);
/* Stop it (asynchronously); NULL is a no-op. */
void		 loadhook_stop(struct loadhook *);
/* Kill a load hook left running by a crashed daemon, if any. */
void		 loadhook_reap_leftover(struct daemon *, struct migration *);
/*
 * At exit, after the loop: wait up to PROC_KILL_GRACE seconds for the
 * stopped load hooks to go, then SIGKILL what is left.
 */
void		 loadhook_end_all(void);

#endif /* LOADHOOK_H */
