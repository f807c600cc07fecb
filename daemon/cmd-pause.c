/*
 * cmd-pause: stop at the current step; traffic and replication stay as they
 * are, and `resume` returns to the same phase.
 */
#include "cmd.h"

static int
cmd_pause_exec(struct cmd_ctx *ctx)
{
	return cmd_fire(ctx, MEV_PAUSE);
}

const struct cmd_entry cmd_pause_entry = {
	.name = "pause",
	.usage = "pause NAME [REASON]",
	.flags = CMD_MUTATES,
	.exec = cmd_pause_exec,
};
