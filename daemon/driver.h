/*
 * driver: the interface every phase implements, after tmux's window_mode
 * and cmd_entry. A phase file exports one const struct phase_driver; the
 * table of them (driver.c) is the only place that knows every phase file,
 * and the runner dispatches through it.
 */
#ifndef DRIVER_H
#define DRIVER_H

#include <jansson.h>

#include "phase.h"

struct daemon;
struct migration;
struct job;

struct phase_driver {
	enum phase	 phase;
	/*
	 * Start, or resume after a restart, the phase's work; from is the
	 * phase the migration came from (the phase itself on a resume). The
	 * driver keeps its state with job_own() and ends with job_end().
	 */
	void		(*enter)(struct job *, enum phase from);
	/*
	 * Stop what is in flight and free the state enter gave job_own(),
	 * when the phase changes; facts stay. NULL when the phase is done in
	 * steps that bring their own (job_own_step(): the rollback).
	 */
	void		(*cancel)(void *state);
	/*
	 * The phase's part of status, under the phase's name, or NULL when
	 * it has nothing to show.
	 */
	json_t		*(*status)(struct daemon *, const struct migration *);
};

extern const struct phase_driver	preflight_driver;
extern const struct phase_driver	seed_driver;
extern const struct phase_driver	repl_driver;
extern const struct phase_driver	shadow_driver;
extern const struct phase_driver	shift_driver;
extern const struct phase_driver	ready_driver;
extern const struct phase_driver	cutover_driver;
extern const struct phase_driver	full_driver;
extern const struct phase_driver	soak_driver;
extern const struct phase_driver	decom_driver;
extern const struct phase_driver	paused_driver;
extern const struct phase_driver	rollback_driver;

/* The driver of phase ph, or NULL for a phase with nothing to do. */
const struct phase_driver	*driver_of(enum phase);
/* Every driver in phase order, for status; NULL-terminated. */
extern const struct phase_driver *const driver_table[];

#endif /* DRIVER_H */
