/*
 * verify: the data comparison before the cutover, at any time after
 * seeding (`migratectl verify`, and cutover.verify_before in ready). A
 * consistent point is reached through replication, without freezing the
 * application: the source opens a snapshot and says its binlog position,
 * the target's replication is stopped at exactly that position (the
 * re-proof's machinery, reproof.c, run the other way), the target opens
 * its snapshot, and its replication is started again. The checksum
 * proof (proof.c) then compares both snapshots chunk by chunk. Where the
 * target cannot be stopped at a position (RDS for MariaDB), the same
 * chunks are compared by replicated checksums instead, as
 * pt-table-checksum does (proof_new_repl()). A
 * difference pauses the migration and names the tables and key ranges.
 * Its verdict is a fact, so status shows it after a restart too.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stddef.h>

#include <jansson.h>

#include "phase.h"

struct job;
struct verify;

struct verify	*verify_new(struct job *);
/* Give up what runs (replication is started again) and free. */
void		 verify_free(struct verify *);

/*
 * Start a comparison; before: it is the cutover's (cutover.verify_before),
 * which the ready phase waits for. 0, or -1 with why (one is running, or
 * the phase has no replication to compare through). A comparison already
 * running is not restarted: it becomes the cutover's too.
 */
int		 verify_start(struct verify *, int before, char *why,
		    size_t);
/* One runs now. */
int		 verify_running(const struct verify *);
/* For status: state, point, progress, size, verdict; NULL if never run. */
json_t		*verify_json(const struct verify *);
/* One sentence for the progress line while one runs, else NULL. */
const char	*verify_text(const struct verify *);

/* The migration entered a phase: a comparison that cannot go on stops. */
void		 verify_entered(struct verify *);
/* The restart's effects are reconciled: replication a stopped daemon left
 * paused for a comparison is started again. */
void		 verify_reconciled(struct verify *);

#endif /* VERIFY_H */
