/*
 * cmd-status: one migration's status, or all of them; with "watch" the
 * client stays subscribed and gets a status event on every change. A
 * watched name that does not exist yet is waited for: the reply says
 * "waiting_for" and the events begin once it is created.
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
	ctx->data = view_status(ctx->d, name);
	if (json_is_true(watch) && ctx->client != NULL) {
		/* A name not created yet is waited for (`make demo`). */
		if (ctx->data == NULL)
			ctx->data = json_pack("{s:[], s:s}", "migrations",
			    "waiting_for", name);
		control_watch(ctx->client, ctx->id, name,
		    json_object_get(ctx->data, "waiting_for") == NULL);
		return 0;
	}
	if (ctx->data == NULL)
		return cmd_error(ctx, PROTO_E_NOT_FOUND, "no migration named "
		    "%s; `migratectl list` shows them", name);
	return 0;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "status [NAME] [--watch]",
	.flags = 0,
	.exec = cmd_status_exec,
};
