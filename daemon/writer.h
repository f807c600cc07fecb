/*
 * writer: the cutover's switch of the application's database writer, by
 * the plan's cutover.writer, and its preflight check. Each method is one
 * file exporting one struct writer_method (writer-hook.c, writer-dns.c,
 * writer-ecs-env.c); writer.c holds the table, one row per method, the
 * dispatcher the cutover and preflight call, and what every switch by AWS
 * shares: its deadline, its journal, and putting the old value back when
 * it fails. Only the host moves; ports are the application's business.
 *
 * Adding a method: its file, its row in writer.c's table, its name in
 * state/plan.h and plan.c (enum plan_writer, writer_names, the keys it
 * needs), its words in migrated.conf.5, its row in check_writer.c.
 */
#ifndef WRITER_H
#define WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "hook.h"

struct job;
struct aws;
struct daemon;
struct event;
struct migration;
struct plan;

/*
 * One switch by AWS in flight: what writer.c keeps for it, and what its
 * method's functions read and set. The method keeps its own state in priv.
 */
struct writer {
	struct writer		*next;
	const struct writer_method *method;
	struct daemon		*d;
	struct migration	*m;
	int			 to_target;
	hook_done_cb		 done;
	void			*arg;
	char			*name;
	const char		*what;		/* "writer switch (back)" */
	char			*host;		/* where the writer goes */
	struct aws		*aws;
	struct event		*ev_tick, *ev_deadline;
	void			(*tick)(struct writer *);
	int64_t			 t0;
	int			 mutated;	/* a change may have reached AWS */
	int			 putting_back;
	int			 starting;	/* in writer_switch() still */
	const char		*late;		/* the deadline's note, or NULL */
	char			 why[1024];	/* the failure */
	void			*priv;		/* the method's */
};

/*
 * A preflight check of the writer. preflight sets d, m, fail, done, arg
 * and, before the remote check, aws; the rest is the dispatcher's and the
 * method's.
 */
struct writer_check {
	struct daemon		*d;
	struct migration	*m;
	struct aws		*aws;		/* the plan's region's client */
	void			(*fail)(void *, const char *); /* what to fix */
	void			(*done)(void *); /* the remote check ended */
	void			*arg;
	const struct writer_method *method;
	void			*call;		/* the method's, in flight */
	int			 ntry;
};

/*
 * A writer method. A switch is either run by the method alone (run, with
 * writer_switch()'s contract: a hook has its own journal and timeout) or
 * started on the shared machinery for a switch by AWS (start, put_back,
 * cancel, free: bounded, journaled, the old value put back on a failure).
 */
struct writer_method {
	const char	*name;		/* its cutover.writer in the plan */
	const char	*service;	/* start: who is asked, "Route 53" */

	/* start: what a switch changes, for its journal ("Route 53 record
	 * to HOST"). */
	void	(*describe)(const struct plan *, const char *host, char *,
		    size_t);

	/* Preflight, from the plan alone: warnings, failures. */
	void	(*preflight)(struct writer_check *);
	/* Preflight, once AWS answered: 1 if a check runs (its done will
	 * come, once), 0 if not. preflight_cancel stops it. */
	int	(*preflight_aws)(struct writer_check *);
	void	(*preflight_cancel)(struct writer_check *);

	/* The whole switch, with writer_switch()'s contract; or NULL, and
	 * the switch by AWS below. */
	int	(*run)(struct job *, int to_target, const char *name,
		    hook_done_cb, void *arg);

	/* Begin the switch: ends with writer_finish() or writer_fail(). */
	void	(*start)(struct writer *);
	/* After a failure with w->mutated set: put the old value back, and
	 * end with writer_put_back_done(). */
	void	(*put_back)(struct writer *);
	/* Stop the call in flight, if any (its callback is not called). */
	void	(*cancel)(struct writer *);
	/* Free priv (which may be NULL). */
	void	(*free)(struct writer *);
};

/* --- the dispatcher --- */

/* The method of p's cutover.writer, or NULL if this build has none. */
const struct writer_method *writer_method(const struct plan *);

/*
 * Point m's writer at the target (to_target 1) or back at the source.
 * name names the switch in the journal and, for a hook, is the hook's name
 * ("writer_switch", "writer_switch_back"). done is called once, from the
 * loop, with ok 1 when the writer was switched, or ok 0 and the reason
 * (for an AWS failure, the operation's text): then the writer did not
 * move, or was put back where it was, or the reason says it may have
 * moved. A switch by AWS gives up after the plan's freeze_timeout going
 * forward, after a minute going back. Repeating a switch is harmless.
 * -1 if it could not be started (done is not called then).
 */
int	writer_switch(struct job *, int to_target, const char *name,
	    hook_done_cb done, void *arg);

/*
 * The job that passed arg is gone: stop the switch by AWS started with
 * that arg, without calling its done. 1 if there was one (arg is then
 * the caller's to free), 0 if not (a hook's done still comes).
 */
int	writer_cancel(void *arg);

/* Whether a failed switch by p's method may have put the old value back
 * after the application saw the new one. */
int	writer_puts_back(const struct plan *);

/* Preflight's checks of the writer: from the plan alone, then once AWS
 * answered (1: wc->done will come once), and stopping the latter. */
void	writer_preflight(struct writer_check *);
int	writer_preflight_aws(struct writer_check *);
void	writer_preflight_cancel(struct writer_check *);

/* --- for the methods --- */

/* A journal row of kind "info" or "warning" for w's migration, and the
 * same line in the log. */
void	writer_journal(struct writer *, const char *kind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* The end of a switch: done is called with ok and result, w is freed. */
void	writer_finish(struct writer *, int ok, const char *result);
/* A failure: the old value is put back first when w->mutated. */
void	writer_fail(struct writer *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* A failed call; a 4xx answer means AWS changed nothing. */
void	writer_call_failed(struct writer *, int status, const char *text);
/* The end of put_back: err NULL if the old value is back. */
void	writer_put_back_done(struct writer *, const char *err);
/* Call fn(w) from the loop in ms, replacing a call not yet made. */
void	writer_after(struct writer *, void (*)(struct writer *), int64_t ms);
/* AWS is done: what the switch waits for now has no deadline. */
void	writer_deadline_clear(struct writer *);
/* Milliseconds since the switch began. */
int64_t	writer_elapsed(const struct writer *);

/* A preflight failure, what to fix; a warning, journaled and logged. */
void	writer_check_fail(struct writer_check *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	writer_check_warn(struct writer_check *, const char *);

/* AWS's message as preflight quotes it: its first line, at most 300
 * bytes (a signature mismatch's carries the canonical request). */
#define WRITER_AWS_MSG		"%.*s"
#define WRITER_AWS_ARG(s)	writer_msg_len(s), (s)
int	writer_msg_len(const char *);

#endif /* WRITER_H */
