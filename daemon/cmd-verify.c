/*
 * cmd-verify: compare the source's and the target's data now, at a
 * consistent point reached through replication (verify.c), from
 * replicating until the cutover begins. The reply says it started;
 * status shows its progress, size and verdict, and a difference pauses
 * the migration with the tables and key ranges named.
 */
#include <stdio.h>

#include "cmd.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "runner.h"
#include "verify.h"

static int
cmd_verify_exec(struct cmd_ctx *ctx)
{
	struct migration	*m;
	const struct job	*j;
	char			 why[512];
	int			 was;

	if ((m = cmd_migration(ctx)) == NULL)
		return -1;
	if ((j = runner_job(m)) == NULL || j->verify == NULL)
		return cmd_error(ctx, PROTO_E_INTERNAL, "%s: no runner",
		    m->name);
	was = verify_running(j->verify);
	if (verify_start(j->verify, 0, why, sizeof(why)) == -1)
		return cmd_error(ctx, PROTO_E_WRONG_PHASE, "%s: %s", m->name,
		    why);
	if (!was)
		log_notice("%s: verify started by uid %u", m->name,
		    (unsigned)ctx->uid);
	ctx->data = json_pack("{s:s, s:s, s:b}", "name", m->name, "phase",
	    phase_name(m->phase), "already_running", was);
	return 0;
}

const struct cmd_entry cmd_verify_entry = {
	.name = "verify",
	.usage = "verify NAME",
	.flags = CMD_MUTATES,
	.exec = cmd_verify_exec,
};
