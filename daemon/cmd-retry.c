/*
 * cmd-retry: return a failed migration to the phase that failed, after the
 * operator has dealt with the reason.
 */
#include "cmd.h"

static int
cmd_retry_exec(struct cmd_ctx *ctx)
{
	return cmd_fire(ctx, MEV_RETRY);
}

const struct cmd_entry cmd_retry_entry = {
	.name = "retry",
	.usage = "retry NAME",
	.flags = CMD_MUTATES,
	.exec = cmd_retry_exec,
};
