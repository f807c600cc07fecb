/*
 * job: what a phase's driver works with, and the one way it ends. The
 * runner keeps one job per migration. The driver of the current phase
 * keeps its own state in it (job_own()); when the phase changes the
 * driver's cancel runs on that state. A driver ends with job_end(), which
 * frees its state and fires its event in one order for every phase.
 *
 * The job also hands the driver the migration's resources, made on first
 * use and kept across phases: the database pair, the lag watcher (while
 * replication matters), the listener, the [files] sync (while the
 * droplets may take uploads), the gate watcher status shows, the
 * checksum proof's runner, and a progress line.
 */
#ifndef JOB_H
#define JOB_H

#include <stddef.h>

#include <jansson.h>

#include "fsm.h"
#include "phase.h"

struct daemon;
struct migration;
struct phase_driver;
struct dbpair;
struct lag;
struct traffic;
struct watch;
struct proofrun;
struct files;
struct verify;

struct job {
	struct daemon			*d;
	struct migration		*m;
	const struct phase_driver	*driver;	/* running, set by runner */
	void				*state;		/* the driver's */
	void				(*cancel)(void *);	/* of state */
	struct dbpair			*db;
	struct lag			*lag;
	struct traffic			*traffic;
	struct watch			*watch;
	struct proofrun			*proof;		/* set by the runner */
	struct files			*files;		/* [files] sync, or NULL */
	struct verify			*verify;	/* the runner's */
	char				 progress[160];
	json_t				*stats;		/* the phase's figures */
};

struct job	*job_new(struct daemon *, struct migration *);
/* Cancel the driver's state and free every resource. NULL is a no-op. */
void		 job_free(struct job *);

/*
 * state is the running driver's: its .cancel runs on it when the phase
 * changes. A state owned before is cancelled first.
 */
void		 job_own(struct job *, void *state);
/* The same for a step of a phase done in steps, with its own cancel. */
void		 job_own_step(struct job *, void *state,
		    void (*cancel)(void *));
/* The phase changed: cancel the driver's state, forget its watcher. */
void		 job_cancel(struct job *);
/* A step of the phase is over: the job forgets state, which stays. */
void		 job_forget(struct job *, const void *state);
/* state is (still) the driver's current one. */
int		 job_owns(const struct job *, const void *state);

/*
 * The one way a driver ends, in one order for every phase: detail is
 * copied (it may live in state), the job forgets state, release(state)
 * frees it (NULL: the driver frees it later itself, as seeding does once
 * its children exit), then ev is fired on the migration, which journals
 * the transition; an event the FSM refuses is logged. state may be NULL.
 */
void		 job_end(struct job *, void *state, void (*release)(void *),
		    enum mev, const char *detail);
/* Fire ev; FSM_OK or why it was refused (logged). */
enum fsm_result	 job_fire(struct job *, enum mev, const char *detail);

/* m's database connections, made on first use; NULL with why. */
struct dbpair	*job_db(struct job *, char *why, size_t);
/* Drop them: the next job_db() connects afresh. */
void		 job_db_reset(struct job *);

/* The lag watcher: running while replication matters, else NULL. */
struct lag	*job_lag(const struct job *);
/*
 * Start or stop the lag watcher and the [files] sync as the migration's
 * phase wants them.
 */
void		 job_sync(struct job *);

/* The [files] sync: running in a FILES_SYNC phase, else NULL. */
struct files	*job_files(const struct job *);

/* The listener, made on first use; _peek does not make it. */
struct traffic	*job_traffic(struct job *);
const struct traffic *job_traffic_peek(const struct job *);

/* The gate watcher status shows (the driver's; forgotten with it). */
void		 job_set_watch(struct job *, struct watch *);
json_t		*job_watch_json(const struct job *);

/* A line for status ("copied 12.3 MiB"), kept until the phase changes. */
void		 job_progress(struct job *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
const char	*job_progress_text(const struct job *);
/*
 * The phase's figures for status and /metrics ({"bytes_done": ...}), as
 * one object the driver replaces (the job takes the reference); gone
 * when the phase changes. NULL: none.
 */
void		 job_set_stats(struct job *, json_t *);
json_t		*job_stats(const struct job *);

#endif /* JOB_H */
