/*
 * cmd-status: one migration's status, or all of them; with "watch" the
 * client stays subscribed and gets a status event on every change.
 */
#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "view.h"

static int
cmd_status_exec(struct cmd_ctx *ctx)
{
	const char	*name = NULL;
	json_t		*watch;

	if (json_object_get(ctx->args, "name") != NULL &&
	    (name = cmd_arg_string(ctx, "name", 1)) == NULL)
		return -1;
	watch = json_object_get(ctx->args, "watch");
	if (watch != NULL && !json_is_boolean(watch))
		return cmd_error(ctx, PROTO_E_USAGE, "\"watch\" must be true "
		    "or false");
	if ((ctx->data = view_status(ctx->d, name)) == NULL)
		return cmd_error(ctx, PROTO_E_NOT_FOUND, "no migration named "
		    "%s; `migratectl list` shows them", name);
	if (json_is_true(watch) && ctx->client != NULL)
		control_watch(ctx->client, ctx->id, name);
	return 0;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "status [NAME] [--watch]",
	.flags = 0,
	.exec = cmd_status_exec,
};
