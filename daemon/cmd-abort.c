/*
 * cmd-abort: roll back: traffic back to the droplets, the writer back to the
 * source, then rolled_back.
 */
#include "cmd.h"

static int
cmd_abort_exec(struct cmd_ctx *ctx)
{
	return cmd_fire(ctx, MEV_ABORT);
}

const struct cmd_entry cmd_abort_entry = {
	.name = "abort",
	.usage = "abort NAME [REASON]",
	.flags = CMD_MUTATES,
	.exec = cmd_abort_exec,
};
