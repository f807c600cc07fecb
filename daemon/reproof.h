/*
 * reproof: a new consistent point for the checksum proof when the freeze
 * point's snapshots went with the daemon (a stop or kill -9 before the
 * proof ended). After the cutover the source replicates from the target
 * (reverse replication), so a point both sides can be read at exists:
 * the target's binlog position under a consistent snapshot (MariaDB's
 * Binlog_snapshot_file/_position), and the source with its replication
 * stopped at exactly that position (START SLAVE UNTIL). The application
 * keeps writing to the target throughout; only the source's replication
 * pauses, and it is started again whatever happens.
 */
#ifndef REPROOF_H
#define REPROOF_H

#include <stddef.h>

struct job;
struct migration;
struct mydb;
struct reproof;

enum reproof_mode {
	REPROOF_PROVE,	/* find the point and open both snapshots */
	REPROOF_REPAIR,	/* only restart replication a stopped daemon left
			   paused by an earlier re-proof */
};

/*
 * Which way replication runs, so which side is paused at the other's
 * point: after the cutover the source replicates from the target
 * (REPROOF_REVERSE, the re-proof); before it the target replicates from
 * the source (REPROOF_FORWARD, `verify` and cutover.verify_before), and
 * the target's replication is paused at the source's snapshot position.
 * Each way has its own paused fact.
 */
enum reproof_way {
	REPROOF_REVERSE,
	REPROOF_FORWARD,
};

/*
 * Called once, from the loop, unless the reproof is freed first. ok 1:
 * the n connections of src and of tgt (n from the plan's
 * target.seed_threads, fewer if the primary's snapshots would not share
 * one position) each hold a snapshot at the same point, named in point
 * ("mysql-bin.000004:81234"); the callee owns them (NULL in repair mode).
 * ok 0: why says what failed. Either way reverse replication has been
 * started again, or why says it could not be. The callee may free the
 * reproof only from a later loop turn.
 */
typedef void (*reproof_cb)(void *arg, int ok, struct mydb **src,
    struct mydb **tgt, size_t n, const char *point, const char *why);

/*
 * Start at once on connections of the migration's own (see dbpair_open),
 * opened from the job's pair; its SQL effects run in the job.
 */
struct reproof	*reproof_new(struct job *, enum reproof_mode,
		    enum reproof_way, reproof_cb, void *arg);
/*
 * After a failed callback: the failure is that this pair cannot reach a
 * consistent point at all (a MySQL primary without a snapshot position,
 * RDS for MariaDB that cannot stop replication at a position), not a
 * passing fault.
 */
int		 reproof_unsupported(const struct reproof *);
/*
 * Give up (the migration is rolling back, say): a wait in flight is cut
 * off, replication is started again if it was paused, then cb(ok 0).
 */
void		 reproof_cancel(struct reproof *, const char *why);
/*
 * Forget every callback and close the connections not handed over. If
 * replication was paused it stays so: the next start's repair resumes it.
 */
void		 reproof_free(struct reproof *);
/* For status: "re-proof: waiting for the source to reach f:p", or NULL
 * in repair mode. */
const char	*reproof_progress(const struct reproof *);

#endif
