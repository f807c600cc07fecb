/*
 * cmd-list: every migration, one summary each.
 */
#include "cmd.h"
#include "daemon.h"
#include "view.h"

static int
cmd_list_exec(struct cmd_ctx *ctx)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < ctx->d->nmigs; i++)
		json_array_append_new(a, view_summary(ctx->d->migs[i]));
	ctx->data = json_pack("{s:o}", "migrations", a);
	return 0;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.usage = "list",
	.flags = 0,
	.exec = cmd_list_exec,
};
