/*
 * cmd-create: store a new migration from plan text. The client sends the
 * text (the daemon may not see the operator's files) and its path, which
 * names the plan in errors and is re-read on SIGHUP when readable.
 *
 * Before it is stored, the plan's steps are held against the app's
 * traffic (daemon/estimate.h): the reply waits for CloudWatch (the
 * request is deferred, the loop goes on), a plan whose steps cannot
 * gather gates.min_requests in a bake is refused with the bake or first
 * step that would, and one whose traffic is unknown is created with a
 * warning in the reply and the journal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "control.h"
#include "daemon.h"
#include "estimate.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"
#include "xmalloc.h"

struct create {
	struct daemon		*d;
	struct ctl_defer	*df;
	struct estimate_call	*est;
	struct plan		*p;
	char			*text, *path;
	uid_t			 uid;
};

static void
create_free(struct create *cr)
{
	estimate_cancel(cr->est);
	plan_free(cr->p);
	free(cr->text);
	free(cr->path);
	free(cr);
}

/* The client went away: the migration is not created. */
static void
create_cancel(void *arg)
{
	create_free(arg);
}

/* Store it; NULL with the reply's error in *err. */
static struct migration *
create_store(struct create *cr, json_t **err)
{
	struct daemon		*d = cr->d;
	struct migration	*m;
	int64_t			 id = control_defer_id(cr->df);
	char			 note[512];

	/* Another create of the name may have come first meanwhile. */
	if (daemon_find(d, cr->p->name) != NULL) {
		*err = proto_reply_error(id, PROTO_E_EXISTS, "a migration "
		    "named %s exists; delete it or set another name = in the "
		    "plan", cr->p->name);
		return NULL;
	}
	m = migration_new(cr->p->name);
	m->plan = cr->p;
	cr->p = NULL;
	m->plan_text = cr->text;
	m->plan_path = cr->path;
	cr->text = cr->path = NULL;
	m->created = m->phase_since = m->updated = now_ms();
	if (store_mig_insert(d->store, m) == -1) {
		migration_free(m);
		*err = proto_reply_error(id, PROTO_E_INTERNAL, "the state file "
		    "refused the new migration; see the daemon's log");
		return NULL;
	}
	snprintf(note, sizeof(note), "created by uid %u from %s",
	    (unsigned)cr->uid, m->plan_path ? m->plan_path : "plan text");
	store_journal(d->store, m->id, "operator", note);
	log_notice("%s: %s", m->name, note);
	daemon_add(d, m);
	return m;
}

static void
create_estimated(void *arg, const struct estimate *e)
{
	struct create		*cr = arg;
	struct migration	*m;
	json_t			*reply = NULL;
	int64_t			 id = control_defer_id(cr->df);
	char			 note[640];

	cr->est = NULL;
	if (e->verdict == EST_SHORT) {
		log_info("%s: create refused: %s", cr->p->name, e->text);
		reply = proto_reply_error(id, PROTO_E_BAD_PLAN, "%s: the steps "
		    "cannot gather gates.min_requests at this app's traffic "
		    "(%.1f requests a minute over the last %lld h): %s",
		    cr->path ? cr->path : "plan", e->rate * 60,
		    (long long)(e->span_s + 1800) / 3600, e->text);
	} else if ((m = create_store(cr, &reply)) != NULL) {
		if (e->verdict == EST_UNKNOWN) {
			snprintf(note, sizeof(note), "traffic estimate: %s",
			    e->text);
			store_journal(cr->d->store, m->id, "warning", note);
			log_warnx("%s: %s", m->name, note);
		}
		reply = proto_reply_ok(id, json_pack("{s:s, s:s, s:o}",
		    "name", m->name, "phase", phase_name(m->phase),
		    "estimate", estimate_json(e)));
	}
	control_defer_send(cr->df, reply);
	create_free(cr);
}

static int
cmd_create_exec(struct cmd_ctx *ctx)
{
	struct conf_errors	 errs;
	struct create		*cr;
	struct plan		*p;
	const char		*path, *text;
	char			*joined;

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
	cr = xcalloc(1, sizeof(*cr));
	cr->d = ctx->d;
	cr->p = p;
	cr->text = xstrdup(text);
	cr->path = xstrdup(path);
	cr->uid = ctx->uid;
	if ((cr->df = control_defer_cmd(ctx, NULL, create_cancel, cr)) ==
	    NULL) {
		create_free(cr);
		return -1;
	}
	cr->est = estimate_start(ctx->d, p, create_estimated, cr);
	return 0;
}

const struct cmd_entry cmd_create_entry = {
	.name = "create",
	.usage = "create PLANFILE",
	.flags = CMD_MUTATES,
	.exec = cmd_create_exec,
};
