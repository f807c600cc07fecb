/*
 * cmd-resume: return a paused migration to the phase it was paused in.
 */
#include "cmd.h"

static int
cmd_resume_exec(struct cmd_ctx *ctx)
{
	return cmd_fire(ctx, MEV_RESUME);
}

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.usage = "resume NAME",
	.flags = CMD_MUTATES,
	.exec = cmd_resume_exec,
};
