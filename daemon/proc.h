/*
 * proc: child processes run from the event loop (hooks now; dump tools
 * later). A child gets /dev/null as stdin, its stdout and stderr captured
 * into one bounded buffer, its own process group, and a timeout after which
 * the group gets SIGTERM and, 2 seconds later, SIGKILL. The loop never
 * waits: SIGCHLD reaps, and the callback runs once both the exit status and
 * the end of output are in.
 */
#ifndef PROC_H
#define PROC_H

#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct proc;

#define PROC_OUTPUT_MAX	8192	/* bytes of output kept: the tail */
#define PROC_KILL_GRACE	2	/* seconds between SIGTERM and SIGKILL */

/*
 * status: the exit code, or 128 + signal number when killed. timed_out is
 * set when the timeout fired. output is the captured tail (NUL-terminated).
 * The proc is freed after the callback returns.
 */
typedef void (*proc_done_cb)(void *arg, int status, int timed_out,
    const char *output);

/* Run `/bin/sh -c cmd` with env (NULL-terminated "K=V" strings). */
struct proc	*proc_spawn(struct event_base *, const char *cmd, char **env,
		    int64_t timeout_ms, proc_done_cb, void *arg);
/*
 * The same with the child's stdin and stdout on the given descriptors
 * (-1: /dev/null in, captured out). Only stderr is captured when stdout is
 * given. The descriptors are the caller's; the child gets duplicates.
 */
struct proc	*proc_spawn_io(struct event_base *, const char *cmd,
		    char **env, int in_fd, int out_fd, int64_t timeout_ms,
		    proc_done_cb, void *arg);
pid_t		 proc_pid(const struct proc *);
/* Forget the callback (its owner is gone); the child is still reaped. */
void		 proc_orphan(struct proc *);
/* SIGTERM the child's process group now (its callback still comes). */
void		 proc_kill(struct proc *);
/*
 * Stop the child: SIGTERM its process group now and SIGKILL it
 * PROC_KILL_GRACE seconds later if it has not exited (its callback
 * still comes, with timed_out 0).
 */
void		 proc_stop(struct proc *);
/* Reap exited children; call on SIGCHLD. */
void		 proc_reap(void);
/* Children still running. */
int		 proc_running(void);
/* SIGTERM every child's process group (shutdown). */
void		 proc_kill_all(void);

#endif
