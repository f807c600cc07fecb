/*
 * decom: decommission as a sequence of steps, each resumable from the
 * facts it leaves.
 *
 *	DC_CHECK	approval, cutover, proof and soak, re-read
 *	DC_FLEET	the tagged droplets, recorded once (decom.fleet)
 *	DC_DEREGISTER	the droplet target group's targets out, drained
 *	DC_FILES	the [files] final sync and its verify, once the
 *			droplets take no more uploads (files.final); a
 *			failure pauses, and nothing is stopped or deleted
 *	DC_STOP		per droplet: shutdown, power_off after the timeout,
 *			snapshot when asked (decom.d.ID: off, ready)
 *	DC_GRACE	until decom.delete_at
 *	DC_DELETE	per droplet, then the plan's other resources, then the
 *			droplet target group
 *
 * Deleting is the irreversible part: "deleting" is written before the
 * DELETE goes out, and a droplet found in that state at restart is looked
 * up first; DigitalOcean's 404 means it is gone. A snapshot is recorded
 * with the number of snapshots the droplet had before it, so a restart
 * can tell a snapshot taken from one never started.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "daemon.h"
#include "digitalocean.h"
#include "driver.h"
#include "elbv2.h"
#include "facts.h"
#include "files.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "proofrun.h"
#include "store.h"
#include "xmalloc.h"

/* How often DigitalOcean's actions and the draining are looked at. */
#define DECOM_POLL_MS		1000

#define DC_PROOF_POLL_MS	1000	/* a running proof: look again */

enum dc_step {
	DC_CHECK,
	DC_FLEET,
	DC_DEREGISTER,
	DC_FILES,
	DC_STOP,
	DC_GRACE,
	DC_DELETE,
	DC_RESOURCES,
	DC_TG,
	DC_DONE,
};

struct droplet {
	int64_t		 id;
	char		*name;
	char		*ip;
};

struct decom {
	struct job		*job;
	struct daemon		*d;
	struct migration	*m;
	enum dc_step		 step;
	struct do_client	*dc;
	struct aws		*aws;
	struct do_call		*call;
	struct elbv2_call	*ecall;
	struct event		*ev;
	struct droplet		*fleet;
	size_t			 nfleet;
	size_t			 i;		/* droplet or resource at hand */
	int			 kind;		/* DC_RESOURCES: enum do_resource */
	int			 recheck;	/* look at the droplet again */
	int64_t			 action;	/* DigitalOcean action polled */
	char			 action_type[16];
	int64_t			 stop_since;	/* first shutdown, unix ms */
};

static void	dc_next(struct decom *);

static void
dc_free(struct decom *c)
{
	size_t	i;

	if (c == NULL)
		return;
	do_cancel(c->call);
	elbv2_cancel(c->ecall);
	event_free(c->ev);
	for (i = 0; i < c->nfleet; i++) {
		free(c->fleet[i].name);
		free(c->fleet[i].ip);
	}
	free(c->fleet);
	free(c);
}

static void
dc_cancel(void *arg)
{
	struct decom	*c = arg;

	if (c != NULL && c->step == DC_FILES)
		files_final_cancel(job_files(c->job));
	dc_free(c);
}

static void
dc_fire(struct decom *c, enum mev ev, const char *detail)
{
	job_end(c->job, c, dc_cancel, ev, detail);
}

static void dc_halt(struct decom *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Something needs the operator: pause, saying what and where. */
static void
dc_halt(struct decom *c, const char *fmt, ...)
{
	char	buf[768];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	store_journal(c->d->store, c->m->id, "error", buf);
	dc_fire(c, MEV_HALT, buf);
}

static void
dc_later(struct decom *c, int64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->ev, &tv);
}

static void
dc_tick(evutil_socket_t fd, short what, void *arg)
{
	dc_next(arg);
}

static void
dc_note(struct decom *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dc_note(struct decom *c, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	store_journal(c->d->store, c->m->id, "info", buf);
	log_info("%s: %s", c->m->name, buf);
}

/* decom.d.ID: the droplet's state; NULL when nothing was done yet. */
static char *
dstate(struct decom *c, int64_t id)
{
	char	key[64];

	snprintf(key, sizeof(key), DECOM_FACT_DROPLET "%" PRId64, id);
	return store_fact_get(c->d->store, c->m->id, key);
}

static void
dstate_set(struct decom *c, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
dstate_set(struct decom *c, int64_t id, const char *fmt, ...)
{
	char	key[64], buf[128];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(key, sizeof(key), DECOM_FACT_DROPLET "%" PRId64, id);
	store_fact_set(c->d->store, c->m->id, key, buf);
}

static int
dstate_is(struct decom *c, int64_t id, const char *prefix)
{
	char	*v = dstate(c, id);
	int	 is = v != NULL && strncmp(v, prefix, strlen(prefix)) == 0;

	free(v);
	return is;
}

/* --- DC_CHECK: the preconditions, every time --- */

static void
dc_check(struct decom *c)
{
	struct migration	*m = c->m;
	const struct plan	*p = m->plan;
	struct store		*st = c->d->store;
	char			*switched, *verdict, why[512];

	if (!m->approved && p->decommission.approval != APPROVAL_AUTO) {
		job_progress(c->job, "waiting for approval: migratectl approve "
		    "%s", m->name);
		job_forget(c->job, c);
		dc_free(c);
		return;
	}
	switched = store_fact_get(st, m->id, CUT_FACT_SWITCHED);
	verdict = store_fact_get(st, m->id, PROOF_FACT_VERDICT);
	why[0] = '\0';
	if (switched != NULL && p->cutover.checksum && verdict == NULL &&
	    proofrun_text(c->job->proof) != NULL) {
		/* A proof still running (a re-proof after a restart): wait. */
		job_progress(c->job, "decommission waits for the checksum "
		    "proof (%s)", proofrun_text(c->job->proof));
		free(switched);
		dc_later(c, DC_PROOF_POLL_MS);
		return;
	}
	if (switched == NULL)
		snprintf(why, sizeof(why), "the cutover has no record of the "
		    "writer switching to the target");
	else if (p->cutover.checksum && (verdict == NULL ||
	    strcmp(verdict, "ok") != 0))
		snprintf(why, sizeof(why), "the checksum proof has not passed "
		    "(%s)", verdict != NULL ? verdict : "none");
	else if (store_fact_i64(st, m->id, SOAK_FACT_PASSED) != 1)
		snprintf(why, sizeof(why), "the soak has not held");
	free(switched);
	free(verdict);
	if (why[0] != '\0') {
		dc_halt(c, "decommission refused: %s; nothing was deleted",
		    why);
		return;
	}
	c->step = DC_FLEET;
	dc_next(c);
}

/* --- DC_FLEET --- */

static int
fleet_load(struct decom *c)
{
	char		*v;
	json_t		*j, *o;
	size_t		 i;

	if ((v = store_fact_get(c->d->store, c->m->id, DECOM_FACT_FLEET)) ==
	    NULL)
		return 0;
	j = json_loads(v, 0, NULL);
	free(v);
	if (!json_is_array(j)) {
		json_decref(j);
		return -1;
	}
	c->fleet = xcalloc(json_array_size(j) + 1, sizeof(*c->fleet));
	json_array_foreach(j, i, o) {
		c->fleet[i].id = json_integer_value(json_object_get(o, "id"));
		c->fleet[i].name = xstrdup(json_string_value(
		    json_object_get(o, "name")));
		c->fleet[i].ip = xstrdup(json_string_value(
		    json_object_get(o, "ip")));
	}
	c->nfleet = json_array_size(j);
	json_decref(j);
	return 1;
}

static void
fleet_cb(void *arg, const struct do_droplets *ds, const struct api_err *err)
{
	struct decom	*c = arg;
	json_t		*a;
	char		*text;
	size_t		 i;

	c->call = NULL;
	if (err != NULL) {
		dc_halt(c, "decommission: %s", err->text);
		return;
	}
	a = json_array();
	for (i = 0; i < ds->n; i++)
		json_array_append_new(a, json_pack("{s:I, s:s, s:s?}",
		    "id", (json_int_t)ds->v[i].id, "name", ds->v[i].name,
		    "ip", ds->v[i].private_ip));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	store_fact_set(c->d->store, c->m->id, DECOM_FACT_FLEET, text);
	dc_note(c, "decommission: the fleet is %zu droplet%s with tag %s: %s",
	    ds->n, ds->n == 1 ? "" : "s", c->m->plan->traffic.droplet_tag,
	    text);
	free(text);
	if (fleet_load(c) == -1) {
		dc_halt(c, "decommission: the recorded fleet does not parse");
		return;
	}
	c->step = DC_DEREGISTER;
	dc_next(c);
}

static void
dc_fleet(struct decom *c)
{
	const struct plan	*p = c->m->plan;
	int			 r;

	if ((r = fleet_load(c)) == -1) {
		dc_halt(c, "decommission: the recorded fleet does not parse");
		return;
	}
	if (r == 1 || p->traffic.droplet_tag == NULL) {
		c->step = DC_DEREGISTER;
		dc_next(c);
		return;
	}
	job_progress(c->job, "decommission: listing the droplets tagged %s",
	    p->traffic.droplet_tag);
	if ((c->call = do_droplets_by_tag(c->dc, p->traffic.droplet_tag,
	    fleet_cb, c)) == NULL)
		dc_halt(c, "decommission: cannot list the droplets");
}

/* --- DC_DEREGISTER: out of the target group, drained --- */

static void
dereg_done_cb(void *arg, const struct api_err *err)
{
	struct decom	*c = arg;

	c->ecall = NULL;
	if (err != NULL) {
		dc_halt(c, "decommission: %s", err->text);
		return;
	}
	dc_note(c, "decommission: the droplets' targets are deregistered; "
	    "waiting for them to drain");
	dc_later(c, DECOM_POLL_MS);
}

static void
dereg_health_cb(void *arg, const struct elbv2_target_healths *th,
    const struct api_err *err)
{
	struct decom		*c = arg;
	const struct plan	*p = c->m->plan;
	struct elbv2_target	*t;
	size_t			 i, n = 0, draining = 0;

	c->ecall = NULL;
	if (err != NULL && strcmp(err->code, "TargetGroupNotFound") == 0) {
		c->step = DC_FILES;
		dc_next(c);
		return;
	}
	if (err != NULL) {
		dc_halt(c, "decommission: %s", err->text);
		return;
	}
	t = xcalloc(th->n + 1, sizeof(*t));
	for (i = 0; i < th->n; i++) {
		if (th->v[i].st == ELBV2_TS_DRAINING)
			draining++;
		else if (th->v[i].st != ELBV2_TS_UNUSED) {
			t[n].id = th->v[i].id;
			t[n].port = th->v[i].port;
			n++;
		}
	}
	if (n > 0) {
		job_progress(c->job, "decommission: deregistering %zu droplet "
		    "target%s", n, n == 1 ? "" : "s");
		c->ecall = elbv2_deregister_targets(c->aws,
		    p->traffic.droplet_tg_arn, t, n, dereg_done_cb, c);
		free(t);
		if (c->ecall == NULL)
			dc_halt(c, "decommission: DeregisterTargets could not "
			    "start");
		return;
	}
	free(t);
	if (draining > 0) {
		job_progress(c->job, "decommission: %zu droplet target%s "
		    "draining", draining, draining == 1 ? "" : "s");
		dc_later(c, DECOM_POLL_MS);
		return;
	}
	store_fact_set(c->d->store, c->m->id, DECOM_FACT_DRAINED, "1");
	c->step = DC_FILES;
	dc_next(c);
}

static void
dc_deregister(struct decom *c)
{
	const struct plan	*p = c->m->plan;

	if (store_fact_i64(c->d->store, c->m->id, DECOM_FACT_DRAINED) == 1) {
		c->step = DC_FILES;
		dc_next(c);
		return;
	}
	if ((c->ecall = elbv2_describe_target_health(c->aws,
	    p->traffic.droplet_tg_arn, NULL, 0, dereg_health_cb, c)) == NULL)
		dc_halt(c, "decommission: DescribeTargetHealth could not start");
}

/* --- DC_FILES: the final sync, after the drain --- */

static void
files_final_cb(void *arg, int ok, const char *why)
{
	struct decom	*c = arg;

	if (!ok) {
		dc_halt(c, "decommission refused: the final file sync did not "
		    "pass, no droplet was stopped or deleted; %s", why);
		return;
	}
	dc_note(c, "decommission: the final file sync passed");
	c->step = DC_STOP;
	dc_next(c);
}

/*
 * The droplets take no more uploads: the final sync and its verify run
 * now, and the droplets stay up until they pass.
 */
static void
dc_files(struct decom *c)
{
	const struct plan	*p = c->m->plan;
	struct files		*f = job_files(c->job);

	if (p->files.sync == NULL ||
	    store_fact_exists(c->d->store, c->m->id, FILES_FACT_FINAL)) {
		c->step = DC_STOP;
		dc_next(c);
		return;
	}
	/* [files] came with a plan reloaded in this phase. */
	if (f == NULL) {
		job_sync(c->job);
		f = job_files(c->job);
	}
	if (f == NULL) {
		dc_halt(c, "decommission: the [files] sync is not running");
		return;
	}
	job_progress(c->job, "decommission waits for the final file sync%s "
	    "(the droplets are drained)", p->files.verify != NULL ?
	    " and its verify" : "");
	daemon_changed(c->d, c->m);
	if (files_final(f, files_final_cb, c) == -1)
		dc_halt(c, "decommission: the final file sync could not be "
		    "started (see the log)");
}

/* --- DC_STOP: shut down (power off), snapshot --- */

static void	stop_droplet(struct decom *);

static void
action_started_cb(void *arg, const struct do_action *a,
    const struct api_err *err)
{
	struct decom	*c = arg;
	struct droplet	*dr = &c->fleet[c->i];

	c->call = NULL;
	if (err != NULL && err->status == 422) {
		/* An action runs already (ours, from before a restart). */
		log_info("%s: decommission: %s", c->m->name, err->text);
		c->recheck = 1;
		dc_later(c, DECOM_POLL_MS);
		return;
	}
	if (err != NULL) {
		dc_halt(c, "decommission: %s of droplet %s: %s", c->action_type,
		    dr->name, err->text);
		return;
	}
	c->action = a->id;
	dc_note(c, "decommission: %s of droplet %s (%" PRId64 ") started, "
	    "action %" PRId64, c->action_type, dr->name, dr->id, a->id);
	dc_later(c, DECOM_POLL_MS);
}

static void
action_start(struct decom *c, const char *type)
{
	struct droplet	*dr = &c->fleet[c->i];
	char		 name[128];
	time_t		 now = time(NULL);
	struct tm	 tm;

	snprintf(c->action_type, sizeof(c->action_type), "%s", type);
	if (c->stop_since == 0)
		c->stop_since = now_ms();
	name[0] = '\0';
	if (strcmp(type, "snapshot") == 0) {
		gmtime_r(&now, &tm);
		snprintf(name, sizeof(name), "%s-migrated-%04d%02d%02d",
		    dr->name, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
	job_progress(c->job, "decommission: %s of droplet %s", type,
	    dr->name);
	if ((c->call = do_droplet_action(c->dc, dr->id, type, name[0] ?
	    name : NULL, action_started_cb, c)) == NULL)
		dc_halt(c, "decommission: the %s of droplet %s could not start",
		    type, dr->name);
}

static void
action_poll_cb(void *arg, const struct do_action *a, const struct api_err *err)
{
	struct decom	*c = arg;
	struct droplet	*dr = &c->fleet[c->i];

	c->call = NULL;
	if (err != NULL) {
		dc_halt(c, "decommission: %s of droplet %s: %s", c->action_type,
		    dr->name, err->text);
		return;
	}
	if (a->st == DO_ACTION_ERRORED) {
		dc_halt(c, "decommission: DigitalOcean's %s of droplet %s "
		    "(%" PRId64 ") errored (action %" PRId64 "); nothing "
		    "further was done to it", c->action_type, dr->name, dr->id,
		    a->id);
		return;
	}
	if (a->st != DO_ACTION_COMPLETED) {
		if (strcmp(c->action_type, "shutdown") == 0 && now_ms() -
		    c->stop_since > c->m->plan->decommission.shutdown_timeout) {
			dc_note(c, "decommission: droplet %s did not shut down "
			    "within the timeout; powering it off", dr->name);
			c->action = 0;
			action_start(c, "power_off");
			return;
		}
		dc_later(c, DECOM_POLL_MS);
		return;
	}
	dc_note(c, "decommission: %s of droplet %s completed", c->action_type,
	    dr->name);
	c->action = 0;
	if (strcmp(c->action_type, "snapshot") == 0) {
		dstate_set(c, dr->id, "ready");
		c->i++;
		dc_next(c);
		return;
	}
	/* Look at the droplet again: a shutdown may not have taken. */
	stop_droplet(c);
}

static void
droplet_cb(void *arg, const struct do_droplet *dd, const struct api_err *err)
{
	struct decom		*c = arg;
	const struct plan	*p = c->m->plan;
	struct droplet		*dr = &c->fleet[c->i];
	char			*v;
	long long		 before;

	c->call = NULL;
	if (err != NULL && strcmp(err->code, "not_found") == 0) {
		dc_note(c, "decommission: droplet %s (%" PRId64 ") is gone "
		    "already", dr->name, dr->id);
		dstate_set(c, dr->id, "deleted");
		c->i++;
		dc_next(c);
		return;
	}
	if (err != NULL) {
		dc_halt(c, "decommission: droplet %s: %s", dr->name, err->text);
		return;
	}
	if (dd->locked) {
		/* An action of ours (or DigitalOcean's) runs: wait. */
		dc_later(c, DECOM_POLL_MS);
		return;
	}
	if (strcmp(dd->status, "off") != 0) {
		if (c->stop_since == 0)
			action_start(c, "shutdown");
		else if (now_ms() - c->stop_since >
		    p->decommission.shutdown_timeout) {
			dc_note(c, "decommission: droplet %s is still %s after "
			    "the shutdown timeout; powering it off", dr->name,
			    dd->status);
			action_start(c, "power_off");
		} else {
			/* Shut down, and not off yet: give it the timeout. */
			job_progress(c->job, "decommission: waiting for "
			    "droplet %s to power down", dr->name);
			c->action = 0;
			c->recheck = 1;
			dc_later(c, DECOM_POLL_MS);
		}
		return;
	}
	if ((v = dstate(c, dr->id)) == NULL)
		dstate_set(c, dr->id, "off");
	free(v);
	if (!p->decommission.snapshot) {
		dstate_set(c, dr->id, "ready");
		c->i++;
		dc_next(c);
		return;
	}
	/* A snapshot taken before a restart shows in snapshot_ids. */
	v = dstate(c, dr->id);
	if (v != NULL && sscanf(v, "snap:%lld", &before) == 1 &&
	    (long long)dd->nsnapshot_ids > before) {
		free(v);
		dstate_set(c, dr->id, "ready");
		dc_note(c, "decommission: droplet %s has its snapshot", dr->name);
		c->i++;
		dc_next(c);
		return;
	}
	free(v);
	dstate_set(c, dr->id, "snap:%zu", dd->nsnapshot_ids);
	action_start(c, "snapshot");
}

static void
stop_droplet(struct decom *c)
{
	if ((c->call = do_droplet_get(c->dc, c->fleet[c->i].id, droplet_cb,
	    c)) == NULL)
		dc_halt(c, "decommission: cannot look up droplet %s",
		    c->fleet[c->i].name);
}

static void
dc_stop(struct decom *c)
{
	while (c->i < c->nfleet && (dstate_is(c, c->fleet[c->i].id, "ready") ||
	    dstate_is(c, c->fleet[c->i].id, "delet")))
		c->i++;
	if (c->i == c->nfleet) {
		c->i = 0;
		c->step = DC_GRACE;
		dc_next(c);
		return;
	}
	c->stop_since = 0;
	stop_droplet(c);
}

/* --- DC_GRACE --- */

static void
dc_grace(struct decom *c)
{
	struct store	*st = c->d->store;
	int64_t		 at, left;

	if ((at = store_fact_i64(st, c->m->id, DECOM_FACT_DELETE_AT)) == 0) {
		at = now_ms() + c->m->plan->decommission.grace;
		store_fact_setf(st, c->m->id, DECOM_FACT_DELETE_AT, "%" PRId64,
		    at);
		dc_note(c, "decommission: every droplet is off%s; deletion in "
		    "%lld s", c->m->plan->decommission.snapshot ?
		    " and snapshotted" : "",
		    (long long)(at - now_ms() + 999) / 1000);
	}
	if ((left = at - now_ms()) > 0) {
		job_progress(c->job, "decommission: deleting in %lld s "
		    "(grace period)", (long long)(left + 999) / 1000);
		daemon_changed(c->d, c->m);
		dc_later(c, left < 1000 ? left : 1000);
		return;
	}
	c->step = DC_DELETE;
	c->i = 0;
	dc_next(c);
}

/* --- DC_DELETE, DC_RESOURCES, DC_TG --- */

static void
delete_cb(void *arg, int gone, const struct api_err *err)
{
	struct decom	*c = arg;
	struct droplet	*dr = &c->fleet[c->i];

	c->call = NULL;
	if (err != NULL) {
		dc_halt(c, "decommission: deleting droplet %s: %s", dr->name,
		    err->text);
		return;
	}
	dstate_set(c, dr->id, "deleted");
	dc_note(c, "decommission: droplet %s (%" PRId64 ") %s", dr->name,
	    dr->id, gone ? "was gone already" : "deleted");
	c->i++;
	dc_next(c);
}

static void
delete_check_cb(void *arg, const struct do_droplet *dd,
    const struct api_err *err)
{
	struct decom	*c = arg;
	struct droplet	*dr = &c->fleet[c->i];

	c->call = NULL;
	if (err != NULL && strcmp(err->code, "not_found") == 0) {
		delete_cb(c, 1, NULL);
		return;
	}
	if (err != NULL) {
		dc_halt(c, "decommission: droplet %s: %s", dr->name, err->text);
		return;
	}
	if (strcmp(dd->status, "off") != 0) {
		dc_halt(c, "decommission: droplet %s is %s again, not off; it "
		    "is not deleted (power it off, or tell the daemon with "
		    "resume)", dr->name, dd->status);
		dstate_set(c, dr->id, "off");
		return;
	}
	if ((c->call = do_droplet_delete(c->dc, dr->id, delete_cb, c)) == NULL)
		dc_halt(c, "decommission: cannot delete droplet %s", dr->name);
}

static void
dc_delete(struct decom *c)
{
	while (c->i < c->nfleet && dstate_is(c, c->fleet[c->i].id, "deleted"))
		c->i++;
	if (c->i == c->nfleet) {
		c->i = 0;
		c->kind = 0;
		c->step = DC_RESOURCES;
		dc_next(c);
		return;
	}
	/* The intent first; then the droplet as it is now, then DELETE. */
	dstate_set(c, c->fleet[c->i].id, "deleting");
	job_progress(c->job, "decommission: deleting droplet %s",
	    c->fleet[c->i].name);
	if ((c->call = do_droplet_get(c->dc, c->fleet[c->i].id,
	    delete_check_cb, c)) == NULL)
		dc_halt(c, "decommission: cannot look up droplet %s",
		    c->fleet[c->i].name);
}

static char **
resource_list(const struct plan *p, int kind)
{
	switch (kind) {
	case DO_RES_LOAD_BALANCER:
		return p->decommission.load_balancers;
	case DO_RES_FIREWALL:
		return p->decommission.firewalls;
	default:
		return p->decommission.reserved_ips;
	}
}

static void
resource_cb(void *arg, int gone, const struct api_err *err)
{
	struct decom	*c = arg;
	const char	*id = resource_list(c->m->plan, c->kind)[c->i];
	char		 key[320];

	c->call = NULL;
	if (err != NULL) {
		dc_halt(c, "decommission: deleting %s %s: %s",
		    do_resource_name(c->kind), id, err->text);
		return;
	}
	snprintf(key, sizeof(key), DECOM_FACT_RESOURCE "%s.%s", do_resource_name(c->kind),
	    id);
	store_fact_set(c->d->store, c->m->id, key, "deleted");
	dc_note(c, "decommission: %s %s %s", do_resource_name(c->kind), id,
	    gone ? "was gone already" : "deleted");
	c->i++;
	dc_next(c);
}

static void
dc_resources(struct decom *c)
{
	char	**list, key[320], *v;

	for (; c->kind <= DO_RES_RESERVED_IP; c->kind++, c->i = 0) {
		list = resource_list(c->m->plan, c->kind);
		for (; list != NULL && list[c->i] != NULL; c->i++) {
			snprintf(key, sizeof(key), DECOM_FACT_RESOURCE "%s.%s",
			    do_resource_name(c->kind), list[c->i]);
			if ((v = store_fact_get(c->d->store, c->m->id,
			    key)) != NULL) {
				free(v);
				continue;
			}
			job_progress(c->job, "decommission: deleting %s %s",
			    do_resource_name(c->kind), list[c->i]);
			if ((c->call = do_resource_delete(c->dc, c->kind,
			    list[c->i], resource_cb, c)) == NULL)
				dc_halt(c, "decommission: cannot delete %s %s",
				    do_resource_name(c->kind), list[c->i]);
			return;
		}
	}
	c->step = DC_TG;
	dc_next(c);
}

static void
tg_deleted_cb(void *arg, const struct api_err *err)
{
	struct decom	*c = arg;

	c->ecall = NULL;
	if (err != NULL && strcmp(err->code, "TargetGroupNotFound") != 0) {
		dc_halt(c, "decommission: the droplets' target group: %s%s",
		    err->text, strcmp(err->code, "ResourceInUse") == 0 ?
		    " (something still forwards to it)" : "");
		return;
	}
	store_fact_set(c->d->store, c->m->id, DECOM_FACT_TG_DELETED, "1");
	dc_note(c, "decommission: the droplets' target group %s",
	    err != NULL ? "was gone already" : "deleted");
	c->step = DC_DONE;
	dc_next(c);
}

static void
dc_tg(struct decom *c)
{
	const struct plan	*p = c->m->plan;

	if (!p->decommission.delete_droplet_tg ||
	    store_fact_i64(c->d->store, c->m->id, DECOM_FACT_TG_DELETED) == 1) {
		c->step = DC_DONE;
		dc_next(c);
		return;
	}
	job_progress(c->job, "decommission: deleting the droplets' target "
	    "group");
	if ((c->ecall = elbv2_delete_target_group(c->aws,
	    p->traffic.droplet_tg_arn, tg_deleted_cb, c)) == NULL)
		dc_halt(c, "decommission: DeleteTargetGroup could not start");
}

static void
dc_next(struct decom *c)
{
	switch (c->step) {
	case DC_CHECK:
		dc_check(c);
		return;
	case DC_FLEET:
		dc_fleet(c);
		return;
	case DC_DEREGISTER:
		dc_deregister(c);
		return;
	case DC_FILES:
		dc_files(c);
		return;
	case DC_STOP:
		/* An action started before: poll it, else the droplet. */
		if (c->recheck) {
			c->recheck = 0;
			stop_droplet(c);
			return;
		}
		if (c->action != 0) {
			if ((c->call = do_action_get(c->dc, c->action,
			    action_poll_cb, c)) == NULL)
				dc_halt(c, "decommission: cannot poll an "
				    "action");
			return;
		}
		dc_stop(c);
		return;
	case DC_GRACE:
		dc_grace(c);
		return;
	case DC_DELETE:
		dc_delete(c);
		return;
	case DC_RESOURCES:
		dc_resources(c);
		return;
	case DC_TG:
		dc_tg(c);
		return;
	case DC_DONE:
		c->m->obs.droplets_final = 1;
		dc_fire(c, MEV_DECOMMISSIONED, "every droplet is deleted");
		return;
	}
}

static void
decom_enter(struct job *j, enum phase from)
{
	struct daemon		*d = j->d;
	struct migration	*m = j->m;
	const struct plan	*p = m->plan;
	struct decom		*c;
	char			 why[512];

	c = xcalloc(1, sizeof(*c));
	c->job = j;
	c->d = d;
	c->m = m;
	if ((c->ev = evtimer_new(d->base, dc_tick, c)) == NULL)
		fatalx("evtimer_new");
	job_own(j, c);
	m->obs.droplets_final = 0;
	if (!m->approved && p->decommission.approval != APPROVAL_AUTO) {
		dc_check(c);
		return;
	}
	if ((p->traffic.droplet_tag != NULL ||
	    p->decommission.load_balancers != NULL ||
	    p->decommission.firewalls != NULL ||
	    p->decommission.reserved_ips != NULL) &&
	    (c->dc = daemon_do(d, p->decommission.do_token_file, why,
	    sizeof(why))) == NULL) {
		dc_halt(c, "decommission: %s", why);
		return;
	}
	if ((c->aws = daemon_aws(d, daemon_aws_region(d, p), why, sizeof(why))) ==
	    NULL) {
		dc_halt(c, "decommission: %s", why);
		return;
	}
	dc_next(c);
}

static json_t *
decom_status(struct daemon *d, const struct migration *m)
{
	json_t	*o, *a, *x;
	char	*v, *s;
	int64_t	 at;
	size_t	 i;

	if (m->phase != PH_DECOMMISSION && m->phase != PH_DONE &&
	    !(m->phase == PH_PAUSED && m->resume_to == PH_DECOMMISSION))
		return NULL;
	o = json_object();
	at = store_fact_i64(d->store, m->id, DECOM_FACT_DELETE_AT);
	json_object_set_new(o, "delete_at", at != 0 ? json_integer(at) :
	    json_null());
	json_object_set_new(o, "delete_in_ms", at != 0 ? json_integer(at >
	    now_ms() ? at - now_ms() : 0) : json_null());
	a = json_array();
	if ((v = store_fact_get(d->store, m->id, DECOM_FACT_FLEET)) != NULL &&
	    (x = json_loads(v, 0, NULL)) != NULL && json_is_array(x)) {
		json_t	*dr;
		char	 key[64];

		json_array_foreach(x, i, dr) {
			snprintf(key, sizeof(key), DECOM_FACT_DROPLET "%" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(dr, "id")));
			s = store_fact_get(d->store, m->id, key);
			json_array_append_new(a, json_pack("{s:O, s:O, s:s}",
			    "id", json_object_get(dr, "id"),
			    "name", json_object_get(dr, "name"),
			    "state", s != NULL ? s : "up"));
			free(s);
		}
		json_decref(x);
	}
	free(v);
	json_object_set_new(o, "droplets", a);
	return o;
}

const struct phase_driver decom_driver = {
	.phase = PH_DECOMMISSION,
	.enter = decom_enter,
	.cancel = dc_cancel,
	.status = decom_status,
};
