/*
 * cmd-set: tune a gate or a bake time of a migration at run time. The
 * value is checked by the plan's own parser and kept as an override, so it
 * survives restarts and plan reloads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"

static int
cmd_set_exec(struct cmd_ctx *ctx)
{
	struct migration	*m;
	const char		*key, *value;
	json_t			*ov;
	char			 why[512], note[600], *text;

	if ((m = cmd_migration(ctx)) == NULL ||
	    (key = cmd_arg_string(ctx, "key", 1)) == NULL ||
	    (value = cmd_arg_string(ctx, "value", 1)) == NULL)
		return -1;
	if (phase_is_final(m->phase))
		return cmd_error(ctx, PROTO_E_WRONG_PHASE, "%s is %s; nothing "
		    "is left to tune", m->name, phase_name(m->phase));
	if (m->plan == NULL)
		return cmd_error(ctx, PROTO_E_BAD_PLAN, "%s: the plan does not "
		    "parse; fix it and reload", m->name);
	if (plan_set(m->plan, key, value, why, sizeof(why)) == -1)
		return cmd_error(ctx, PROTO_E_USAGE, "%s: %s", m->name, why);

	if (m->overrides == NULL ||
	    (ov = json_loads(m->overrides, 0, NULL)) == NULL)
		ov = json_object();
	json_object_set_new(ov, key, json_string(value));
	if ((text = json_dumps(ov, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		fatalx("json_dumps");
	json_decref(ov);
	free(m->overrides);
	m->overrides = text;
	m->updated = now_ms();
	if (store_mig_update(ctx->d->store, m) == -1)
		return cmd_error(ctx, PROTO_E_INTERNAL, "%s: the value applies "
		    "now but was not stored; see the daemon's log", m->name);
	snprintf(note, sizeof(note), "set %s = %s by uid %u", key, value,
	    (unsigned)ctx->uid);
	store_journal(ctx->d->store, m->id, "operator", note);
	log_notice("%s: %s", m->name, note);
	daemon_changed(ctx->d, m);
	ctx->data = json_pack("{s:s, s:s, s:s}", "name", m->name, "key", key,
	    "value", value);
	return 0;
}

const struct cmd_entry cmd_set_entry = {
	.name = "set",
	.usage = "set NAME KEY=VALUE",
	.flags = CMD_MUTATES,
	.exec = cmd_set_exec,
};
