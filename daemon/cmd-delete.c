/*
 * cmd-delete: forget a migration and its journal. Only when nothing of it
 * is live in the world: planned, finished, or stopped before anything
 * moved. A migration that stopped halfway must be aborted first, so that
 * deleting it can never strand traffic or replication.
 */
#include <stdio.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "runner.h"
#include "store.h"

static int
cmd_delete_safe(const struct migration *m)
{
	/* At rest, or stopped before anything was changed. */
	return phase_has(m->phase, PHF_AT_REST) ||
	    (phase_has(m->phase, PHF_HOLD) &&
	    phase_has(m->resume_to, PHF_UNTOUCHED));
}

static int
cmd_delete_exec(struct cmd_ctx *ctx)
{
	struct migration	*m;
	char			 name[PLAN_NAME_MAX + 1];

	if ((m = cmd_migration(ctx)) == NULL)
		return -1;
	if (runner_busy(m))
		return cmd_error(ctx, PROTO_E_WRONG_PHASE, "%s: %s is running; "
		    "try again when it ends", m->name, runner_activity(m));
	if (!cmd_delete_safe(m))
		return cmd_error(ctx, PROTO_E_WRONG_PHASE, "%s is %s and may "
		    "have changed traffic or replication; abort it first",
		    m->name, phase_name(m->phase));
	if (store_mig_delete(ctx->d->store, m->id) == -1)
		return cmd_error(ctx, PROTO_E_INTERNAL, "%s: the state file "
		    "refused the delete; see the daemon's log", m->name);
	snprintf(name, sizeof(name), "%s", m->name);
	log_notice("%s: deleted by uid %u", name, (unsigned)ctx->uid);
	daemon_remove(ctx->d, m);
	ctx->data = json_pack("{s:s}", "name", name);
	return 0;
}

const struct cmd_entry cmd_delete_entry = {
	.name = "delete",
	.usage = "delete NAME",
	.flags = CMD_MUTATES,
	.exec = cmd_delete_exec,
};
