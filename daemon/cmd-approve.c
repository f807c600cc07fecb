/*
 * cmd-approve: allow the irreversible step (decommission), once the checksum
 * proof and the soak have passed.
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
