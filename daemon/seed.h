/*
 * seed: the seeding phase. A consistent snapshot of the plan's schemas is
 * copied into the target by the real dump tools, mariadb-dump (or
 * mysqldump) --single-transaction piped into the target's client, with the
 * daemon in the pipe to count progress and read the source's binlog
 * coordinates from the dump's header. Or, with seed = external, the
 * coordinates the operator gives. Either way they are recorded as facts.
 */
#ifndef SEED_H
#define SEED_H

#include "effect.h"

struct daemon;
struct migration;

extern const struct effect_kind	seed_effect;

/* Run the phase; fires MEV_SEEDED, or MEV_FAIL with the tool's words. */
void	seed_run(struct daemon *, struct migration *);


#endif
