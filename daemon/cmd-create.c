/*
 * cmd-create: store a new migration from plan text. The client sends the
 * text (the daemon may not see the operator's files) and its path, which
 * names the plan in errors and is re-read on SIGHUP when readable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"

static int
cmd_create_exec(struct cmd_ctx *ctx)
{
	struct conf_errors	 errs;
	struct migration	*m;
	struct plan		*p;
	const char		*path, *text;
	char			*joined, note[512];

	if (json_object_get(ctx->args, "path") != NULL &&
	    (path = cmd_arg_string(ctx, "path", 0)) == NULL)
		return -1;
	path = json_string_value(json_object_get(ctx->args, "path"));
	if ((text = cmd_arg_string(ctx, "text", 1)) == NULL)
		return -1;

	memset(&errs, 0, sizeof(errs));
	if ((p = plan_parse(text, path ? path : "plan", &errs)) == NULL) {
		joined = conf_errors_join(&errs);
		cmd_error(ctx, PROTO_E_BAD_PLAN, "%s", joined);
		free(joined);
		conf_errors_clear(&errs);
		return -1;
	}
	conf_errors_clear(&errs);
	if (daemon_find(ctx->d, p->name) != NULL) {
		cmd_error(ctx, PROTO_E_EXISTS, "a migration named %s exists; "
		    "delete it or set another name = in the plan", p->name);
		plan_free(p);
		return -1;
	}

	m = migration_new(p->name);
	m->plan = p;
	if ((m->plan_text = strdup(text)) == NULL ||
	    (path != NULL && (m->plan_path = strdup(path)) == NULL))
		fatal("strdup");
	m->created = m->phase_since = m->updated = now_ms();
	if (store_mig_insert(ctx->d->store, m) == -1) {
		migration_free(m);
		return cmd_error(ctx, PROTO_E_INTERNAL, "the state file "
		    "refused the new migration; see the daemon's log");
	}
	snprintf(note, sizeof(note), "created by uid %u from %s",
	    (unsigned)ctx->uid, path ? path : "plan text");
	store_journal(ctx->d->store, m->id, "operator", note);
	log_notice("%s: %s", m->name, note);
	daemon_add(ctx->d, m);
	ctx->data = json_pack("{s:s, s:s}", "name", m->name, "phase",
	    phase_name(m->phase));
	return 0;
}

const struct cmd_entry cmd_create_entry = {
	.name = "create",
	.usage = "create PLANFILE",
	.flags = CMD_MUTATES,
	.exec = cmd_create_exec,
};
