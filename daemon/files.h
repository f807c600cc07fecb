/*
 * files: the plan's [files] section, the application's uploaded files
 * copied off the droplets. The sync command runs every files.interval
 * while the migration is in a phase of the table's FILES_SYNC column
 * (seeding to decommission, the cutover aside), and once more, the final
 * sync, when decommission has drained the droplets, followed by the
 * verify command. Each run is journaled with its output's tail; a failing
 * run pauses the migration with it. The schedule (last run, its result)
 * and "the final sync and its verify passed" are facts, so a restart goes
 * on where it was.
 *
 * verify prints, as the last line of its output, the number of files at
 * the source and at the copy: two non-negative integers ("1234 1234"). It
 * passes when it exits 0 in time and the two are equal.
 */
#ifndef FILES_H
#define FILES_H

#include <jansson.h>

struct daemon;
struct migration;
struct files;

/* ok 1: the final sync and verify passed; else why, with the output. */
typedef void (*files_cb)(void *arg, int ok, const char *why);

/* A periodic run failed: the migration should pause with why. */
typedef void (*files_halt_cb)(void *arg, const char *why);

/*
 * Start the schedule for m (its plan has files.sync). halt is called
 * last, from the loop, and may free the files (by a phase change).
 */
struct files	*files_new(struct daemon *, struct migration *,
		    files_halt_cb halt, void *arg);
/* Stop: a run in flight is killed (its process group). NULL: no-op. */
void		 files_free(struct files *);

/*
 * The final sync, after a periodic one in flight ends, then verify; cb
 * once with the verdict (the fact is written first), unless cancelled.
 * The periodic schedule stops. -1: could not start (cb is not called).
 */
int		 files_final(struct files *, files_cb, void *arg);
/* Forget the final's callback (its owner is gone). NULL: no-op. */
void		 files_final_cancel(struct files *);

/*
 * Status: the last run (time, result, its line), the next, whether the
 * final sync passed; NULL without [files].
 */
json_t		*files_json(struct daemon *, const struct migration *,
		    const struct files *);

#endif /* FILES_H */
