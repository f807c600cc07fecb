/*
 * cmd-check: run every preflight check now, from planned or any phase
 * before the cutover, and reply with each one's verdict, detail and fix.
 * It changes nothing: no phase, no effect, its own database connections
 * (closed after), only reads; the journal records that it ran. The reply
 * is deferred until the last answer is in; a client that leaves first
 * stops the run.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "dbpair.h"
#include "log.h"
#include "migration.h"
#include "preflight.h"
#include "store.h"
#include "xmalloc.h"

struct cmd_check {
	struct daemon		*d;
	struct ctl_defer	*df;
	struct pf		*pf;
	struct dbpair		*db;
	int64_t			 mid;
	uid_t			 uid;
};

static void
cmd_check_free(void *arg)
{
	struct cmd_check	*c = arg;

	/* The run first: it forgets its queries on the pair's connections. */
	preflight_free(c->pf);
	dbpair_free(c->db);
	free(c);
}

static void
cmd_check_done(void *arg, struct pf *pf)
{
	struct cmd_check	*c = arg;
	struct migration	*m = NULL;
	char			 note[160];
	size_t			 i;
	int			 failed = preflight_failed(pf);
	int			 warned = preflight_warned(pf);

	for (i = 0; i < c->d->nmigs; i++)
		if (c->d->migs[i]->id == c->mid)
			m = c->d->migs[i];
	snprintf(note, sizeof(note), "check by uid %u: %d failed, %d "
	    "warning%s", (unsigned)c->uid, failed, warned, warned == 1 ? "" :
	    "s");
	store_journal(c->d->store, c->mid, "info", note);
	if (m != NULL)
		log_info("%s: %s", m->name, note);
	control_defer_send(c->df, proto_reply_ok(control_defer_id(c->df),
	    json_pack("{s:s, s:s, s:i, s:i, s:o}",
	    "name", m != NULL ? m->name : "?",
	    "phase", m != NULL ? phase_name(m->phase) : "none",
	    "failed", failed, "warned", warned,
	    "checks", preflight_rows(pf))));
	c->pf = NULL;
	preflight_free(pf);
	/* From the pair's own callback: dbpair_free closes from the loop. */
	dbpair_free(c->db);
	free(c);
}

static int
cmd_check_exec(struct cmd_ctx *ctx)
{
	struct migration	*m;
	struct cmd_check	*c;
	enum phase		 where;
	char			 why[512] = "";

	if ((m = cmd_migration(ctx)) == NULL)
		return -1;
	where = phase_where(m->phase, m->resume_to);
	if (phase_has(where, PHF_CUTOVER_BEGUN | PHF_ROLLBACK | PHF_FINAL) ||
	    phase_has(m->phase, PHF_ROLLBACK))
		return cmd_error(ctx, PROTO_E_WRONG_PHASE, "%s: check runs "
		    "before the cutover; %s is %s", m->name, m->name,
		    phase_name(m->phase));
	if (m->plan == NULL)
		return cmd_error(ctx, PROTO_E_BAD_PLAN, "%s: the plan does not "
		    "parse; fix it and reload (SIGHUP)", m->name);
	c = xcalloc(1, sizeof(*c));
	c->d = ctx->d;
	c->mid = m->id;
	c->uid = ctx->uid;
	if ((c->df = control_defer_cmd(ctx, NULL, cmd_check_free, c)) == NULL) {
		free(c);
		return -1;
	}
	c->pf = preflight_new(ctx->d, m, cmd_check_done, c);
	c->db = dbpair_new(ctx->d, m, why, sizeof(why));
	preflight_start(c->pf, c->db, why);
	return 0;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.usage = "check NAME",
	.flags = 0,
	.exec = cmd_check_exec,
};
