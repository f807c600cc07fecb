/*
 * cmd-promote: end the current bake now; the gates must hold at this instant.
 */
#include "cmd.h"

static int
cmd_promote_exec(struct cmd_ctx *ctx)
{
	return cmd_fire(ctx, MEV_PROMOTE);
}

const struct cmd_entry cmd_promote_entry = {
	.name = "promote",
	.usage = "promote NAME",
	.flags = CMD_MUTATES,
	.exec = cmd_promote_exec,
};
