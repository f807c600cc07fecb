/*
 * cmd: the command table and its dispatcher, after tmux's cmd.c. The
 * dispatcher alone checks a command's flags against the peer's credentials,
 * so no command can forget to.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "migration.h"
#include "store.h"

static const struct cmd_entry *const cmd_table[] = {
	&cmd_abort_entry,
	&cmd_approve_entry,
	&cmd_create_entry,
	&cmd_delete_entry,
	&cmd_history_entry,
	&cmd_list_entry,
	&cmd_pause_entry,
	&cmd_plan_entry,
	&cmd_promote_entry,
	&cmd_resume_entry,
	&cmd_retry_entry,
	&cmd_set_entry,
	&cmd_start_entry,
	&cmd_stats_entry,
	&cmd_status_entry,
};

int
cmd_error(struct cmd_ctx *ctx, enum proto_err err, const char *fmt, ...)
{
	va_list	ap;

	ctx->err = err;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return -1;
}

const char *
cmd_arg_string(struct cmd_ctx *ctx, const char *key, int required)
{
	json_t	*v = json_object_get(ctx->args, key);

	if (v == NULL || json_is_null(v)) {
		if (required)
			cmd_error(ctx, PROTO_E_USAGE, "%s needs \"%s\"; usage: "
			    "%s", ctx->cmd, key, ctx->msg);
		return NULL;
	}
	if (!json_is_string(v) || json_string_length(v) == 0) {
		cmd_error(ctx, PROTO_E_USAGE, "\"%s\" must be a non-empty "
		    "string", key);
		return NULL;
	}
	return json_string_value(v);
}

struct migration *
cmd_migration(struct cmd_ctx *ctx)
{
	struct migration	*m;
	const char		*name;

	if ((name = cmd_arg_string(ctx, "name", 1)) == NULL)
		return NULL;
	if ((m = daemon_find(ctx->d, name)) == NULL)
		cmd_error(ctx, PROTO_E_NOT_FOUND, "no migration named %s; "
		    "`migratectl list` shows them", name);
	return m;
}

int
cmd_fire(struct cmd_ctx *ctx, enum mev ev)
{
	struct migration	*m;
	const char		*reason = NULL;
	char			 detail[600], why[512], note[700];

	if ((m = cmd_migration(ctx)) == NULL)
		return -1;
	if (json_object_get(ctx->args, "reason") != NULL &&
	    (reason = cmd_arg_string(ctx, "reason", 0)) == NULL)
		return -1;
	snprintf(detail, sizeof(detail), "%s by uid %u%s%s", ctx->cmd,
	    (unsigned)ctx->uid, reason ? ": " : "", reason ? reason : "");
	switch (fsm_apply(ctx->d->store, &ctx->d->ops, m, ev, detail, why,
	    sizeof(why))) {
	case FSM_OK:
		ctx->data = json_pack("{s:s, s:s}", "name", m->name, "phase",
		    phase_name(m->phase));
		return 0;
	case FSM_NO_RULE:
	case FSM_GUARD:
		snprintf(note, sizeof(note), "%s by uid %u refused: %s",
		    ctx->cmd, (unsigned)ctx->uid, why);
		store_journal(ctx->d->store, m->id, "refused", note);
		return cmd_error(ctx, fsm_listed(m->phase, ev) ?
		    PROTO_E_GUARD : PROTO_E_WRONG_PHASE, "%s: %s", m->name,
		    why);
	case FSM_STORE:
		break;
	}
	return cmd_error(ctx, PROTO_E_INTERNAL, "%s: %s", m->name, why);
}

static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	return NULL;
}

json_t *
cmd_dispatch(struct daemon *d, struct ctl_client *client, uid_t uid,
    pid_t pid, const struct proto_request *req)
{
	const struct cmd_entry	*ce;
	struct cmd_ctx		 ctx;
	size_t			 i, len = 0;
	char			 known[256];

	if ((ce = cmd_find(req->cmd)) == NULL) {
		known[0] = '\0';
		for (i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
			len += snprintf(known + len, sizeof(known) - len,
			    "%s%s", i ? ", " : "", cmd_table[i]->name);
		return proto_reply_error(req->id, PROTO_E_UNKNOWN_COMMAND,
		    "unknown command \"%.64s\"; known: %s", req->cmd, known);
	}
	if ((ce->flags & CMD_MUTATES) && uid != 0 && uid != d->uid) {
		log_info("control: uid %u pid %d: %s forbidden",
		    (unsigned)uid, (int)pid, ce->name);
		return proto_reply_error(req->id, PROTO_E_FORBIDDEN,
		    "uid %u may only read (list, status, history, plan); %s "
		    "needs root or the migrated user", (unsigned)uid, ce->name);
	}

	memset(&ctx, 0, sizeof(ctx));
	ctx.d = d;
	ctx.client = client;
	ctx.uid = uid;
	ctx.pid = pid;
	ctx.id = req->id;
	ctx.cmd = ce->name;
	ctx.args = req->args;
	/* cmd_arg_string's usage hint reads the usage from msg. */
	snprintf(ctx.msg, sizeof(ctx.msg), "%s", ce->usage);
	switch (ce->exec(&ctx)) {
	case -1:
		json_decref(ctx.data);
		return proto_reply_error(req->id, ctx.err, "%s", ctx.msg);
	case CMD_DEFERRED:
		return NULL;
	}
	return proto_reply_ok(req->id, ctx.data != NULL ? ctx.data :
	    json_object());
}
