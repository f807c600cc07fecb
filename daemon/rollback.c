/*
 * rollback: the rolling_back phase. It undoes what the migration changed,
 * users first: every one goes back to the droplets (weights, the Method B
 * rule; shift.c). Then the database (cutover.c): a cutover that did not
 * switch the writer is undone, or after the writer switch the writes move
 * back to the source through reverse replication. Replication into the
 * target, when the migration stops before the cutover, is left running:
 * the source stays the primary either way, and the operator's own undo is
 * the on_rollback hook run on arrival in rolled_back. The ECS service
 * keeps the tasks shadow gave it.
 */
#include <stddef.h>

#include "cutover.h"
#include "driver.h"
#include "job.h"
#include "migration.h"
#include "shift.h"

static void
rollback_done(struct job *j, int ok, const char *why)
{
	job_end(j, NULL, NULL, ok ? MEV_ROLLED_BACK : MEV_FAIL, why);
}

static void
rollback_users_back(struct job *j, int ok, const char *why)
{
	if (!ok) {
		rollback_done(j, 0, why);
		return;
	}
	cutover_rollback(j, rollback_done);
}

static void
rollback_enter(struct job *j, enum phase from)
{
	if (j->m->plan == NULL) {
		rollback_done(j, 1, "no plan: nothing to undo");
		return;
	}
	shift_rollback(j, rollback_users_back);
}

const struct phase_driver rollback_driver = {
	.phase = PH_ROLLING_BACK,
	.enter = rollback_enter,
	/* Each step (shift_rollback, cutover_rollback) owns its state. */
	.cancel = NULL,
};
