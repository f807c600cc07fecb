/*
 * repl: the replicating phase. Replication from the source is configured on
 * the target (the RDS procedures, or CHANGE MASTER for a self-managed
 * target) at the seeded coordinates and started; then the lag monitor's
 * readings decide: in sync for the settle time moves on, a replica thread
 * stopped by an error pauses with the server's words. Nothing is skipped.
 */
#ifndef REPL_H
#define REPL_H

#include "effect.h"

struct daemon;
struct migration;

extern const struct effect_kind	repl_effect;

void	repl_run(struct daemon *, struct migration *);

#endif
