/*
 * cmd-start: begin a planned migration; it enters preflight.
 */
#include "cmd.h"

static int
cmd_start_exec(struct cmd_ctx *ctx)
{
	return cmd_fire(ctx, MEV_START);
}

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.usage = "start NAME",
	.flags = CMD_MUTATES,
	.exec = cmd_start_exec,
};
