/*
 * cmd-wait: reply once a migration has reached or passed a phase on the
 * forward path (done, with "done"), or has stopped short of it: paused,
 * failed or rolled back, with the reason. The reply is deferred; it is
 * judged again whenever watchers are woken (every change, and each second
 * by the control socket's tick), the same wake-ups status --watch gets.
 * The client keeps its own timeout; the daemon waits as long as it stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "migration.h"
#include "xmalloc.h"

struct cmd_wait {
	struct daemon		*d;
	struct ctl_defer	*df;
	char			*name;
	enum phase		 want;
};

static void
cmd_wait_free(void *arg)
{
	struct cmd_wait	*w = arg;

	free(w->name);
	free(w);
}

/* The reply, or NULL while the migration is on its way. */
static json_t *
cmd_wait_judge(struct cmd_wait *w)
{
	struct migration	*m;
	enum phase_wait		 pw;
	int64_t			 id = control_defer_id(w->df);

	if ((m = daemon_find(w->d, w->name)) == NULL)
		return proto_reply_error(id, PROTO_E_NOT_FOUND, "migration %s "
		    "was deleted", w->name);
	pw = phase_wait_judge(m->phase, m->resume_to, w->want);
	if (pw == PW_PENDING)
		return NULL;
	return proto_reply_ok(id, json_pack("{s:s, s:s, s:s, s:s, s:o}",
	    "name", m->name, "phase", phase_name(m->phase),
	    "waited_for", phase_name(w->want),
	    "outcome", pw == PW_REACHED ? "reached" : "stopped",
	    "reason", m->reason != NULL && pw != PW_REACHED ?
	    json_string(m->reason) : json_null()));
}

static void
cmd_wait_changed(void *arg)
{
	struct cmd_wait	*w = arg;
	json_t		*reply;

	if ((reply = cmd_wait_judge(w)) == NULL)
		return;
	control_defer_send(w->df, reply);
	cmd_wait_free(w);
}

/* The forward path's phases, for a usage error. */
static void
cmd_wait_phases(char *buf, size_t len)
{
	size_t	off = 0;
	int	ph, k;

	buf[0] = '\0';
	for (k = 1; k < PH__COUNT; k++)
		for (ph = 0; ph < PH__COUNT; ph++)
			if (phase_order(ph) == k && off < len)
				off += snprintf(buf + off, len - off, "%s%s",
				    off ? ", " : "", phase_name(ph));
}

static int
cmd_wait_exec(struct cmd_ctx *ctx)
{
	struct migration	*m;
	struct cmd_wait		*w;
	const char		*phase = NULL;
	json_t			*done, *reply;
	enum phase		 want;
	char			 list[256];

	if ((m = cmd_migration(ctx)) == NULL)
		return -1;
	done = json_object_get(ctx->args, "done");
	if (done != NULL && !json_is_boolean(done))
		return cmd_error(ctx, PROTO_E_USAGE, "\"done\" must be true "
		    "or false");
	if (json_object_get(ctx->args, "phase") != NULL &&
	    (phase = cmd_arg_string(ctx, "phase", 1)) == NULL)
		return -1;
	if ((phase == NULL) == !json_is_true(done))
		return cmd_error(ctx, PROTO_E_USAGE, "wait needs a phase or "
		    "done, not %s; usage: %s", phase ? "both" : "neither",
		    cmd_wait_entry.usage);
	want = phase != NULL ? phase_from_name(phase) : PH_DONE;
	if (phase_order(want) == 0) {
		cmd_wait_phases(list, sizeof(list));
		return cmd_error(ctx, PROTO_E_USAGE, "\"%s\" is not a phase "
		    "of the forward path; one of: %s", phase, list);
	}
	w = xcalloc(1, sizeof(*w));
	w->d = ctx->d;
	w->name = xstrdup(m->name);
	w->want = want;
	if ((w->df = control_defer_cmd(ctx, cmd_wait_changed, cmd_wait_free,
	    w)) == NULL) {
		cmd_wait_free(w);
		return -1;
	}
	/* Reached already: the reply goes at once, still through df. */
	if ((reply = cmd_wait_judge(w)) != NULL) {
		control_defer_send(w->df, reply);
		cmd_wait_free(w);
	}
	return 0;
}

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.usage = "wait NAME --phase PHASE | --done",
	.flags = 0,
	.exec = cmd_wait_exec,
};
