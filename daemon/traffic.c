/*
 * traffic: the listener's forward and the Method B rule, set and read
 * back.
 *
 * An operation is a short chain of calls: read the listener (it is
 * compared with the facts for drift),
 * change the forward when it differs, put the Method B rule in place or
 * remove it, and read the listener again. The forward goes first: it
 * moves most users, and a breach's rollback can send it without the read
 * before, from what the last read showed. The wanted forward is written as traffic.setting before
 * ModifyListener goes out and moved to traffic.set once the read-back
 * shows it, so a restart in between recognises its own change.
 *
 * The rule takes the priority after the operator's rules (the highest in
 * use plus one), so their rules keep winning for the requests they name,
 * and it is found again by its conditions and target when its ARN was not
 * recorded (a crash right after CreateRule).
 *
 * The forward's stickiness rides on the same ModifyListener as the
 * weights and is read back with them. The operator's own is recorded as a
 * fact before the first ModifyListener that would change it, so whatever
 * ends the shift (full traffic, a breach, a rollback, after a restart
 * too) puts it back exactly: enabled or not, and its duration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "elbv2.h"
#include "facts.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "store.h"
#include "traffic.h"
#include "xmalloc.h"

enum tr_step {
	TR_IDLE,
	TR_READ,		/* DescribeListeners, before */
	TR_MODIFY,		/* ModifyListener */
	TR_RULES,		/* DescribeRules */
	TR_RULE_CHANGE,		/* CreateRule / DeleteRule */
	TR_READBACK,		/* DescribeListeners, after */
};

struct traffic {
	struct daemon		*d;
	struct migration	*m;
	struct elbv2_call	*call;
	enum tr_step		 step;
	int			 checking;	/* traffic_check, not set */
	struct traffic_want	 want;
	int			 flags;
	traffic_cb		 cb;
	void			*arg;

	/* What the listener showed when last read. */
	int			 seen;
	int			 seen_do, seen_ecs, seen_rule;
	struct elbv2_stickiness	 sticky;
	int			 sticky_known;
	char			 rule_del[512];	/* a rule to delete, or "" */
};

static void	tr_next(struct traffic *);

struct traffic *
traffic_new(struct daemon *d, struct migration *m)
{
	struct traffic	*t;

	t = xcalloc(1, sizeof(*t));
	t->d = d;
	t->m = m;
	t->seen_rule = -1;
	return t;
}

void
traffic_cancel(struct traffic *t)
{
	if (t == NULL)
		return;
	elbv2_cancel(t->call);
	t->call = NULL;
	t->step = TR_IDLE;
	t->cb = NULL;
}

void
traffic_free(struct traffic *t)
{
	if (t == NULL)
		return;
	traffic_cancel(t);
	free(t);
}

int
traffic_seen(const struct traffic *t, int *droplets, int *ecs, int *rule)
{
	if (t == NULL || !t->seen)
		return -1;
	*droplets = t->seen_do;
	*ecs = t->seen_ecs;
	*rule = t->seen_rule;
	return 0;
}

void
traffic_want_text(const struct traffic_want *w, char *buf, size_t len)
{
	if (w->ecs_only)
		snprintf(buf, len, "ecs:1");
	else
		snprintf(buf, len, "droplets:%d,ecs:%d", 100 - w->ecs_pct,
		    w->ecs_pct);
}

/* The forward the listener showed, in the facts' words. */
static void
seen_text(const struct traffic *t, char *buf, size_t len)
{
	if (t->seen_do < 0 && t->seen_ecs >= 0)
		snprintf(buf, len, "ecs:%d", t->seen_ecs);
	else
		snprintf(buf, len, "droplets:%d,ecs:%d", t->seen_do,
		    t->seen_ecs);
}

/*
 * The stickiness an operation ends with: the plan's for a sticky want,
 * else the operator's as recorded: 1. Else the last read's, kept: 0; -1
 * when nothing was read either (none is sent).
 */
static int
want_sticky(struct traffic *t, struct elbv2_stickiness *st)
{
	const struct plan	*p = t->m->plan;
	char			*v;
	int			 e, s, n = 0;

	if (t->want.sticky && p->traffic.stickiness > 0) {
		st->enabled = 1;
		st->duration_seconds = (int)(p->traffic.stickiness / 1000);
		return 1;
	}
	if ((v = store_fact_get(t->d->store, t->m->id,
	    TRAFFIC_FACT_STICKY)) != NULL) {
		n = sscanf(v, "%d:%d", &e, &s);
		free(v);
	}
	if (n == 2) {
		st->enabled = e != 0;
		st->duration_seconds = s;
		return 1;
	}
	if (!t->sticky_known)
		return -1;
	*st = t->sticky;
	return 0;
}

/*
 * Before the first change of the stickiness: the operator's, as the last
 * read showed it, becomes a fact.
 */
static void
sticky_record(struct traffic *t)
{
	char	*v;

	if (t->m->plan->traffic.stickiness == 0 || !t->sticky_known)
		return;
	if ((v = store_fact_get(t->d->store, t->m->id,
	    TRAFFIC_FACT_STICKY)) != NULL) {
		free(v);
		return;
	}
	store_fact_setf(t->d->store, t->m->id, TRAFFIC_FACT_STICKY, "%d:%d",
	    t->sticky.enabled, t->sticky.duration_seconds);
	store_journal(t->d->store, t->m->id, "info", t->sticky.enabled ?
	    "traffic: the listener's own target group stickiness is on; it "
	    "is put back when the shift ends" : "traffic: the listener's own "
	    "target group stickiness is off; it is put back when the shift "
	    "ends");
}

/* ", stickiness 3600 s" or ", stickiness off", for the journal. */
static void
sticky_text(const struct elbv2_stickiness *st, char *buf, size_t len)
{
	if (st->enabled)
		snprintf(buf, len, ", stickiness %d s", st->duration_seconds);
	else
		snprintf(buf, len, ", stickiness off");
}

/* The weights of want, for ModifyListener and the comparison. */
static size_t
want_weights(const struct traffic *t, struct elbv2_weight *w)
{
	const struct plan	*p = t->m->plan;

	if (t->want.ecs_only) {
		w[0].tg_arn = p->traffic.ecs_tg_arn;
		w[0].weight = 1;
		return 1;
	}
	w[0].tg_arn = p->traffic.droplet_tg_arn;
	w[0].weight = 100 - t->want.ecs_pct;
	w[1].tg_arn = p->traffic.ecs_tg_arn;
	w[1].weight = t->want.ecs_pct;
	return 2;
}

static void
tr_end(struct traffic *t, enum traffic_result r, const char *why)
{
	traffic_cb	 cb = t->cb;
	void		*arg = t->arg;

	t->step = TR_IDLE;
	t->cb = NULL;
	if (cb != NULL)
		cb(arg, r, why);
}

static void
tr_error(struct traffic *t, const struct api_err *err)
{
	char	why[512];

	snprintf(why, sizeof(why), "%s", err->text);
	tr_end(t, TRAFFIC_ERROR, why);
}

static struct aws *
tr_aws(struct traffic *t, char *why, size_t len)
{
	return daemon_aws(t->d, daemon_aws_region(t->d, t->m->plan), why, len);
}

/* Record the forward the listener shows now. */
static int
tr_seen(struct traffic *t, const struct elbv2_listener *l, char *why,
    size_t len)
{
	const struct plan	*p = t->m->plan;

	t->seen = 0;
	if (l->is_forward) {
		t->sticky = l->forward.stickiness;
		t->sticky_known = 1;
	}
	if (!l->is_forward || l->nactions != 1) {
		snprintf(why, len, "the listener's default action is %s%s, "
		    "not a single forward", l->action_type ? l->action_type :
		    "unknown", l->nactions > 1 ? " among others" : "");
		return -1;
	}
	t->seen_do = elbv2_forward_weight(&l->forward,
	    p->traffic.droplet_tg_arn);
	t->seen_ecs = elbv2_forward_weight(&l->forward, p->traffic.ecs_tg_arn);
	if (l->forward.ntgs != (size_t)(t->seen_do >= 0) +
	    (size_t)(t->seen_ecs >= 0)) {
		snprintf(why, len, "the listener forwards to %zu target "
		    "groups, some not the plan's", l->forward.ntgs);
		return -1;
	}
	t->seen = 1;
	return 0;
}

/* Is what the listener shows what the daemon set, or was setting? */
static int
tr_ours(struct traffic *t, char *why, size_t len)
{
	struct store	*st = t->d->store;
	char		*set, *setting, now[64];
	int		 ok;

	seen_text(t, now, sizeof(now));
	set = store_fact_get(st, t->m->id, TRAFFIC_FACT_SET);
	setting = store_fact_get(st, t->m->id, TRAFFIC_FACT_SETTING);
	/* Nothing set yet: the listener is the operator's, as preflight
	 * found it, the droplets taking everything (whatever their weight). */
	ok = (set == NULL && t->seen_do > 0 && t->seen_ecs <= 0) ||
	    (set != NULL && strcmp(now, set) == 0) ||
	    (setting != NULL && strcmp(now, setting) == 0);
	if (!ok)
		snprintf(why, len, "the listener's weights were changed by "
		    "someone else: it forwards %s, the daemon set %s", now,
		    set != NULL ? set : "droplets:100,ecs:0");
	free(set);
	free(setting);
	return ok;
}

static void
read_cb(void *arg, const struct elbv2_listener *l,
    const struct api_err *err)
{
	struct traffic	*t = arg;
	char		 why[512];

	t->call = NULL;
	if (err != NULL) {
		tr_error(t, err);
		return;
	}
	if (tr_seen(t, l, why, sizeof(why)) == -1 &&
	    (t->checking || !(t->flags & TRAFFIC_FORCE))) {
		tr_end(t, TRAFFIC_DRIFT, why);
		return;
	}
	if (t->checking) {
		if (!tr_ours(t, why, sizeof(why)))
			tr_end(t, TRAFFIC_DRIFT, why);
		else
			tr_end(t, TRAFFIC_OK, NULL);
		return;
	}
	if (!(t->flags & TRAFFIC_FORCE) && !tr_ours(t, why, sizeof(why))) {
		tr_end(t, TRAFFIC_DRIFT, why);
		return;
	}
	t->step = TR_MODIFY;
	tr_next(t);
}

/* Is r the Method B rule of this plan? */
static int
rule_is_ours(const struct plan *p, const struct elbv2_rule *r)
{
	const struct elbv2_condition	*c;
	size_t				 i, j, n = 0;
	int				 paths = 0, header = 0;

	if (r->is_default || !r->is_forward || r->forward.ntgs != 1 ||
	    strcmp(r->forward.tgs[0].tg_arn, p->traffic.ecs_tg_arn) != 0)
		return 0;
	for (i = 0; p->traffic.path_patterns != NULL &&
	    p->traffic.path_patterns[i] != NULL; i++)
		n++;
	for (i = 0; i < r->nconds; i++) {
		c = &r->conds[i];
		if (strcmp(c->field, "path-pattern") == 0) {
			if (c->nvalues != n)
				return 0;
			for (j = 0; j < n; j++)
				if (strcmp(c->values[j],
				    p->traffic.path_patterns[j]) != 0)
					return 0;
			paths = 1;
		} else if (strcmp(c->field, "http-header") == 0) {
			if (p->traffic.header_name == NULL ||
			    c->header_name == NULL || c->nvalues != 1 ||
			    strcasecmp(c->header_name,
			    p->traffic.header_name) != 0 ||
			    strcmp(c->values[0], p->traffic.header_value) != 0)
				return 0;
			header = 1;
		} else
			return 0;
	}
	return paths == (n > 0) && header == (p->traffic.header_name != NULL);
}

static void
rule_done_cb(void *arg, const struct api_err *err)
{
	struct traffic	*t = arg;

	t->call = NULL;
	if (err != NULL && strcmp(err->code, "RuleNotFound") != 0) {
		tr_error(t, err);
		return;
	}
	store_fact_set(t->d->store, t->m->id, TRAFFIC_FACT_RULE, NULL);
	store_journal(t->d->store, t->m->id, "info", "traffic: the Method B "
	    "listener rule is removed");
	t->seen_rule = 0;
	t->step = TR_READBACK;
	tr_next(t);
}

static void
rule_made_cb(void *arg, const struct elbv2_rule *r,
    const struct api_err *err)
{
	struct traffic	*t = arg;
	char		 note[600];

	t->call = NULL;
	if (err != NULL) {
		tr_error(t, err);
		return;
	}
	store_fact_set(t->d->store, t->m->id, TRAFFIC_FACT_RULE, r->arn);
	snprintf(note, sizeof(note), "traffic: Method B listener rule %s at "
	    "priority %s sends the chosen requests to ECS", r->arn,
	    r->priority ? r->priority : "?");
	store_journal(t->d->store, t->m->id, "info", note);
	log_info("%s: %s", t->m->name, note);
	t->seen_rule = 1;
	t->step = TR_READBACK;
	tr_next(t);
}

/* The priority after every rule in use, or the lowest free one. */
static int
rule_priority(const struct elbv2_rules *rs)
{
	int	max = 0;
	size_t	i;

	for (i = 0; i < rs->n; i++)
		if (!rs->v[i].is_default && rs->v[i].prio > max)
			max = rs->v[i].prio;
	if (max < ELBV2_MAX_PRIORITY)
		return max + 1;
	return elbv2_rules_free_priority(rs, ELBV2_MIN_PRIORITY,
	    ELBV2_MAX_PRIORITY);
}

static void
rules_cb(void *arg, const struct elbv2_rules *rs, const struct api_err *err)
{
	struct traffic			*t = arg;
	const struct plan		*p = t->m->plan;
	const struct elbv2_rule		*ours = NULL;
	struct elbv2_rule_spec		 spec;
	struct elbv2_weight		 fw;
	const char			*hv[1];
	char				*known, why[512];
	struct aws			*aws;
	size_t				 i, np = 0;

	t->call = NULL;
	if (err != NULL) {
		tr_error(t, err);
		return;
	}
	known = store_fact_get(t->d->store, t->m->id, TRAFFIC_FACT_RULE);
	for (i = 0; i < rs->n && ours == NULL; i++)
		if ((known != NULL && strcmp(rs->v[i].arn, known) == 0) ||
		    rule_is_ours(p, &rs->v[i]))
			ours = &rs->v[i];
	free(known);
	t->seen_rule = ours != NULL;
	if ((aws = tr_aws(t, why, sizeof(why))) == NULL) {
		tr_end(t, TRAFFIC_ERROR, why);
		return;
	}
	if (!t->want.rule && ours != NULL) {
		t->step = TR_RULE_CHANGE;
		if ((t->call = elbv2_delete_rule(aws, ours->arn, rule_done_cb,
		    t)) == NULL)
			tr_end(t, TRAFFIC_ERROR, "DeleteRule: could not start");
		return;
	}
	if (t->want.rule && ours == NULL) {
		memset(&spec, 0, sizeof(spec));
		if ((spec.priority = rule_priority(rs)) == -1) {
			tr_end(t, TRAFFIC_ERROR, "CreateRule: every priority of "
			    "the listener is taken");
			return;
		}
		while (p->traffic.path_patterns != NULL &&
		    p->traffic.path_patterns[np] != NULL)
			np++;
		spec.path_patterns = (const char *const *)p->traffic.path_patterns;
		spec.npath_patterns = np;
		if (p->traffic.header_name != NULL) {
			hv[0] = p->traffic.header_value;
			spec.header_name = p->traffic.header_name;
			spec.header_values = hv;
			spec.nheader_values = 1;
		}
		fw.tg_arn = p->traffic.ecs_tg_arn;
		fw.weight = 1;
		spec.forward = &fw;
		spec.nforward = 1;
		if (elbv2_rule_spec_check(&spec, 1, why, sizeof(why)) == -1) {
			tr_end(t, TRAFFIC_ERROR, why);
			return;
		}
		t->step = TR_RULE_CHANGE;
		if ((t->call = elbv2_create_rule(aws, p->traffic.listener_arn,
		    &spec, rule_made_cb, t)) == NULL)
			tr_end(t, TRAFFIC_ERROR, "CreateRule: could not start");
		return;
	}
	t->step = TR_READBACK;
	tr_next(t);
}

static void
modify_cb(void *arg, const struct elbv2_listener *l,
    const struct api_err *err)
{
	struct traffic	*t = arg;

	t->call = NULL;
	if (err != NULL) {
		tr_error(t, err);
		return;
	}
	t->step = TR_RULES;
	tr_next(t);
}

static void
readback_cb(void *arg, const struct elbv2_listener *l,
    const struct api_err *err)
{
	struct traffic		*t = arg;
	struct store		*st = t->d->store;
	struct elbv2_weight	 w[2];
	struct elbv2_stickiness	 sk;
	char			 why[512], text[64], note[256], sticky[64];
	size_t			 n;
	int			 ours;

	t->call = NULL;
	if (err != NULL) {
		tr_error(t, err);
		return;
	}
	n = want_weights(t, w);
	ours = want_sticky(t, &sk) == 1;
	if (tr_seen(t, l, why, sizeof(why)) == -1 ||
	    !elbv2_forward_equal(&l->forward, w, n, ours ? &sk : NULL, why,
	    sizeof(why))) {
		char	msg[600];

		snprintf(msg, sizeof(msg), "the listener read back is not what "
		    "was set: %s", why);
		tr_end(t, TRAFFIC_DRIFT, msg);
		return;
	}
	traffic_want_text(&t->want, text, sizeof(text));
	store_fact_set(st, t->m->id, TRAFFIC_FACT_SET, text);
	store_fact_set(st, t->m->id, TRAFFIC_FACT_SETTING, NULL);
	sticky[0] = '\0';
	if (ours)
		sticky_text(&sk, sticky, sizeof(sticky));
	if (t->want.ecs_only)
		snprintf(note, sizeof(note), "traffic: the listener forwards "
		    "to ECS alone%s (read back)", sticky);
	else
		snprintf(note, sizeof(note), "traffic: weights droplets %d / "
		    "ECS %d%s (read back)", 100 - t->want.ecs_pct,
		    t->want.ecs_pct, sticky);
	store_sample(st, t->m->id, "weight_ecs", t->want.ecs_only ? 100 :
	    t->want.ecs_pct);
	tr_end(t, TRAFFIC_OK, note);
}

/* The listener as it should end up, already? */
static int
tr_in_place(struct traffic *t)
{
	struct elbv2_stickiness	 st;
	char			 now[64], want[64];

	if (!t->seen)
		return 0;
	if (want_sticky(t, &st) == 1 && (!t->sticky_known ||
	    st.enabled != t->sticky.enabled || (st.enabled &&
	    st.duration_seconds != t->sticky.duration_seconds)))
		return 0;
	seen_text(t, now, sizeof(now));
	traffic_want_text(&t->want, want, sizeof(want));
	return strcmp(now, want) == 0;
}

static void
tr_next(struct traffic *t)
{
	const struct plan	*p = t->m->plan;
	struct elbv2_weight	 w[2];
	struct elbv2_stickiness	 st;
	struct aws		*aws;
	char			 why[512], text[64];
	size_t			 n;

	if ((aws = tr_aws(t, why, sizeof(why))) == NULL) {
		tr_end(t, TRAFFIC_ERROR, why);
		return;
	}
	switch (t->step) {
	case TR_READ:
		t->call = elbv2_describe_listener(aws, p->traffic.listener_arn,
		    read_cb, t);
		break;
	case TR_RULES:
		/* Without Method B in the plan there is no rule to mind. */
		if (p->traffic.path_patterns == NULL &&
		    p->traffic.header_name == NULL) {
			t->step = TR_READBACK;
			tr_next(t);
			return;
		}
		/* Known to be absent since the last operation. */
		if (t->seen_rule == 0 && !t->want.rule) {
			t->step = TR_READBACK;
			tr_next(t);
			return;
		}
		t->call = elbv2_describe_rules(aws, p->traffic.listener_arn,
		    rules_cb, t);
		break;
	case TR_MODIFY:
		if (tr_in_place(t)) {
			t->step = TR_RULES;
			tr_next(t);
			return;
		}
		traffic_want_text(&t->want, text, sizeof(text));
		store_fact_set(t->d->store, t->m->id, TRAFFIC_FACT_SETTING,
		    text);
		sticky_record(t);
		n = want_weights(t, w);
		t->call = elbv2_set_weights(aws, p->traffic.listener_arn, w, n,
		    want_sticky(t, &st) == -1 ? NULL : &st, modify_cb, t);
		break;
	case TR_READBACK:
		t->call = elbv2_describe_listener(aws, p->traffic.listener_arn,
		    readback_cb, t);
		break;
	case TR_IDLE:
	case TR_RULE_CHANGE:
		return;
	}
	if (t->call == NULL)
		tr_end(t, TRAFFIC_ERROR, "an ELBv2 call could not start (see "
		    "the log)");
}

int
traffic_set(struct traffic *t, const struct traffic_want *want, int flags,
    traffic_cb cb, void *arg)
{
	if (t->m->plan == NULL)
		return -1;
	traffic_cancel(t);
	t->want = *want;
	t->flags = flags;
	t->checking = 0;
	t->cb = cb;
	t->arg = arg;
	/* A rollback goes out before anything is read, when it can. */
	t->step = (flags & TRAFFIC_FAST) && t->seen ? TR_MODIFY : TR_READ;
	tr_next(t);
	return 0;
}

int
traffic_check(struct traffic *t, traffic_cb cb, void *arg)
{
	if (t->m->plan == NULL)
		return -1;
	traffic_cancel(t);
	t->checking = 1;
	t->cb = cb;
	t->arg = arg;
	t->step = TR_READ;
	tr_next(t);
	return 0;
}
