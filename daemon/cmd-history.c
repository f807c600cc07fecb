/*
 * cmd-history: a migration's journal, oldest first: transitions, effects
 * with their intents and results, operator commands, hook output.
 */
#include "cmd.h"
#include "daemon.h"
#include "migration.h"
#include "store.h"

#define HISTORY_DEFAULT	50
#define HISTORY_MAX	1000

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static void
cmd_history_row(void *arg, const struct store_journal_row *r)
{
	json_array_append_new(arg, json_pack("{s:I, s:I, s:s, s:o, s:o, "
	    "s:o, s:o}", "id", (json_int_t)r->id, "ts", (json_int_t)r->ts,
	    "kind", r->kind, "from", str_or_null(r->from),
	    "to", str_or_null(r->to), "event", str_or_null(r->event),
	    "text", str_or_null(r->text)));
}

static int
cmd_history_exec(struct cmd_ctx *ctx)
{
	struct migration	*m;
	json_t			*lim, *rows;
	json_int_t		 limit = HISTORY_DEFAULT;

	if ((m = cmd_migration(ctx)) == NULL)
		return -1;
	if ((lim = json_object_get(ctx->args, "limit")) != NULL) {
		if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > HISTORY_MAX)
			return cmd_error(ctx, PROTO_E_USAGE, "\"limit\" must be "
			    "an integer from 1 to %d", HISTORY_MAX);
		limit = json_integer_value(lim);
	}
	rows = json_array();
	if (store_history(ctx->d->store, m->id, (int)limit, cmd_history_row,
	    rows) == -1) {
		json_decref(rows);
		return cmd_error(ctx, PROTO_E_INTERNAL, "%s: the journal could "
		    "not be read; see the daemon's log", m->name);
	}
	ctx->data = json_pack("{s:s, s:o}", "name", m->name, "entries", rows);
	return 0;
}

const struct cmd_entry cmd_history_entry = {
	.name = "history",
	.usage = "history NAME [-n COUNT]",
	.flags = 0,
	.exec = cmd_history_exec,
};
