/*
 * cmd-approve: let go on what waits for the operator, as the transition
 * table says for the phase: in ready, the cutover (cutover.approval =
 * required); in decommission, the irreversible step, once the checksum
 * proof and the soak have passed. Journaled as the transition it is.
 */
#include "cmd.h"

static int
cmd_approve_exec(struct cmd_ctx *ctx)
{
	return cmd_fire(ctx, MEV_APPROVE);
}

const struct cmd_entry cmd_approve_entry = {
	.name = "approve",
	.usage = "approve NAME",
	.flags = CMD_MUTATES,
	.exec = cmd_approve_exec,
};
