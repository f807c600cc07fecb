/*
 * cutover: the moment RDS becomes the primary. The source is frozen
 * (read_only), its final binlog position recorded, the target waits until
 * it has executed exactly that position, external replication is stopped
 * and reset, reverse replication is started when the plan asks, and the
 * application's writer is switched; the phase ends when the first
 * application write commits on the target. Anything slower than the freeze
 * timeout, or any failure before the switch, unfreezes the source, puts
 * replication back, and returns to shifting.
 *
 * The phase is cutover_driver (driver.h). After the switch there is one
 * way back: cutover_rollback() moves the writes to the source again
 * through reverse replication.
 */
#ifndef CUTOVER_H
#define CUTOVER_H

struct job;

/*
 * The rolling_back phase's part for the database: undo a cutover that did
 * not switch the writer (unfreeze, restore replication), or move the
 * writes back to the source after one that did. Calls done with ok 0 and
 * a reason when it cannot. Without a cutover on record, done(ok 1) at once.
 */
void	cutover_rollback(struct job *, void (*done)(struct job *, int ok,
	    const char *why));

#endif /* CUTOVER_H */
