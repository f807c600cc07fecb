/*
 * elbv2: ELBv2 requests built as query parameters and answers read by
 * walking libxml2's tree child by child (a depth-first search would find
 * a rule's nested "member" where a list's was meant). A call's context is
 * a lib/aws struct aws_op, which owns its lifecycle and its paging
 * (Marker), with the typed callback and, for the paged operations
 * (DescribeTargetGroups, DescribeRules), the pages read so far; this file
 * is the operations and the parsing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "elbv2.h"
#include "log.h"
#include "xmalloc.h"

enum elbv2_kind {
	K_LISTENER,
	K_TGS,
	K_HEALTH,
	K_RULES,
	K_RULE,
	K_DONE,
};

struct elbv2_call {
	struct aws_op		 op;		/* first */
	union {
		elbv2_listener_cb	 listener;
		elbv2_target_groups_cb	 tgs;
		elbv2_target_health_cb	 health;
		elbv2_rules_cb		 rules;
		elbv2_rule_cb		 rule;
		elbv2_done_cb		 done;
	} cb;
	/* Paged operations: the pages read so far. */
	struct elbv2_target_groups	*tgs;
	struct elbv2_rules		*rules;
};

/* ---- XML: direct children by local name ---- */

/* 0: *out set; 1: no such child; -1: not an integer in lo..hi. */
static int
x_int(const xmlNode *n, const char *name, int lo, int hi, int *out)
{
	char	*s, *end;
	long	 v;
	int	 rc = -1;

	if ((s = aws_xml_child_text(n, name)) == NULL)
		return 1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] != '\0' && *end == '\0' && errno == 0 && v >= lo &&
	    v <= hi) {
		*out = (int)v;
		rc = 0;
	}
	free(s);
	return rc;
}

/* "true"/"false" -> 1/0; -1 otherwise; 0 when absent. */
static int
x_bool(const xmlNode *n, const char *name, int *out)
{
	char	*s;
	int	 rc = 0;

	*out = 0;
	if ((s = aws_xml_child_text(n, name)) == NULL)
		return 0;
	if (strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "false") != 0)
		rc = -1;
	free(s);
	return rc;
}

/*
 * The list element of an answer: root / *Result / list. AWS names the
 * result after the action; any *Result child of the root is taken.
 */
static xmlNode *
x_result_list(xmlDoc *doc, const char *list, char *why, size_t len)
{
	xmlNode	*root, *c, *l;
	size_t	 nl;

	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		api_why(why, len, "no XML document");
		return NULL;
	}
	for (c = root->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		nl = strlen((const char *)c->name);
		if (nl > 6 && strcmp((const char *)c->name + nl - 6,
		    "Result") == 0)
			break;
	}
	if (c == NULL) {
		api_why(why, len, "%s has no *Result element",
		    (const char *)root->name);
		return NULL;
	}
	if ((l = aws_xml_child(c, list)) == NULL) {
		api_why(why, len, "%s has no %s", (const char *)c->name,
		    list);
		return NULL;
	}
	return l;
}

static char *
x_next_marker(xmlDoc *doc)
{
	xmlNode	*root, *c;
	char	*m;

	if ((root = xmlDocGetRootElement(doc)) == NULL)
		return NULL;
	for (c = root->children; c != NULL; c = c->next) {
		if ((m = aws_xml_child_text(c, "NextMarker")) == NULL)
			continue;
		if (m[0] != '\0')
			return m;
		free(m);
	}
	return NULL;
}

/* ---- forward actions ---- */

static void
forward_clear(struct elbv2_forward *f)
{
	size_t	i;

	for (i = 0; i < f->ntgs; i++)
		free(f->tgs[i].tg_arn);
	free(f->tgs);
	memset(f, 0, sizeof(*f));
}

/*
 * A forward action: ForwardConfig.TargetGroups when it has members, else
 * the plain TargetGroupArn, weight 1.
 */
static int
forward_parse(xmlNode *action, struct elbv2_forward *f, char *why,
    size_t len)
{
	xmlNode	*fc, *tgs, *m, *st;
	char	*arn;
	int	 w, rc;

	memset(f, 0, sizeof(*f));
	fc = aws_xml_child(action, "ForwardConfig");
	tgs = aws_xml_child(fc, "TargetGroups");
	AWS_XML_MEMBERS(m, tgs) {
		if ((arn = aws_xml_child_text(m, "TargetGroupArn")) == NULL ||
		    arn[0] == '\0') {
			free(arn);
			api_why(why, len, "a forward target group has no "
			    "TargetGroupArn");
			goto fail;
		}
		w = 1;
		if ((rc = x_int(m, "Weight", 0, ELBV2_MAX_WEIGHT, &w)) == -1) {
			api_why(why, len, "%s: bad Weight", arn);
			free(arn);
			goto fail;
		}
		f->tgs = xreallocarray(f->tgs, f->ntgs + 1, sizeof(*f->tgs));
		f->tgs[f->ntgs].tg_arn = arn;
		f->tgs[f->ntgs].weight = w;
		f->ntgs++;
	}
	if (f->ntgs == 0) {
		arn = aws_xml_child_text(action, "TargetGroupArn");
		if (arn == NULL || arn[0] == '\0') {
			free(arn);
			api_why(why, len, "a forward action has neither "
			    "ForwardConfig.TargetGroups nor TargetGroupArn");
			goto fail;
		}
		f->tgs = xcalloc(1, sizeof(*f->tgs));
		f->tgs[0].tg_arn = arn;
		f->tgs[0].weight = 1;
		f->ntgs = 1;
	}
	if ((st = aws_xml_child(fc, "TargetGroupStickinessConfig")) != NULL) {
		if (x_bool(st, "Enabled", &f->stickiness.enabled) == -1 ||
		    x_int(st, "DurationSeconds", 0, ELBV2_MAX_STICKY_S,
		    &f->stickiness.duration_seconds) == -1) {
			api_why(why, len, "bad TargetGroupStickinessConfig");
			goto fail;
		}
	}
	return 0;
fail:
	forward_clear(f);
	return -1;
}

/*
 * The actions of a listener or rule: their count, the terminal one's type
 * (the forward action if any, else the last) and its forward config.
 */
static int
actions_parse(xmlNode *list, size_t *nactions, char **type, int *is_forward,
    struct elbv2_forward *f, char *why, size_t len)
{
	xmlNode	*m, *fwd = NULL, *last = NULL;
	char	*t;

	*nactions = 0;
	AWS_XML_MEMBERS(m, list) {
		(*nactions)++;
		last = m;
		if ((t = aws_xml_child_text(m, "Type")) == NULL) {
			api_why(why, len, "an action has no Type");
			return -1;
		}
		if (strcmp(t, "forward") == 0 && fwd == NULL)
			fwd = m;
		free(t);
	}
	if (last == NULL)
		return 0;
	if (fwd != NULL) {
		*is_forward = 1;
		*type = xstrdup("forward");
		return forward_parse(fwd, f, why, len);
	}
	*type = aws_xml_child_text(last, "Type");
	return 0;
}

int
elbv2_forward_check(const struct elbv2_weight *w, size_t n,
    const struct elbv2_stickiness *st, char *why, size_t len)
{
	size_t	i, j;
	int	sum = 0;

	if (n == 0 || w == NULL) {
		api_why(why, len, "a forward action needs a target group");
		return -1;
	}
	if (n > ELBV2_MAX_FORWARD_TGS) {
		api_why(why, len, "%zu target groups: a forward action takes "
		    "at most %d", n, ELBV2_MAX_FORWARD_TGS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (w[i].tg_arn == NULL || w[i].tg_arn[0] == '\0') {
			api_why(why, len, "target group %zu has no ARN", i + 1);
			return -1;
		}
		if (w[i].weight < 0 || w[i].weight > ELBV2_MAX_WEIGHT) {
			api_why(why, len, "%s: weight %d is not within 0..%d",
			    w[i].tg_arn, w[i].weight, ELBV2_MAX_WEIGHT);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(w[i].tg_arn, w[j].tg_arn) == 0) {
				api_why(why, len, "%s is given twice",
				    w[i].tg_arn);
				return -1;
			}
		sum += w[i].weight;
	}
	if (sum == 0) {
		api_why(why, len, "every weight is 0: no target group would "
		    "get requests");
		return -1;
	}
	/* Disabled stickiness may keep its duration (0: none sent). */
	if (st != NULL && (st->duration_seconds < (st->enabled ? 1 : 0) ||
	    st->duration_seconds > ELBV2_MAX_STICKY_S)) {
		api_why(why, len, "stickiness duration %d s is not within "
		    "%d..%d", st->duration_seconds, st->enabled ? 1 : 0,
		    ELBV2_MAX_STICKY_S);
		return -1;
	}
	return 0;
}

/* prefix.ForwardConfig.* for a checked forward action. */
static void
forward_params(struct aws_params *p, const char *prefix,
    const struct elbv2_weight *w, size_t n, const struct elbv2_stickiness *st)
{
	size_t	i;

	aws_params_add(p, "%s.Type=forward", prefix);
	for (i = 0; i < n; i++) {
		aws_params_add(p, "%s.ForwardConfig.TargetGroups.member.%zu."
		    "TargetGroupArn=%s", prefix, i + 1, w[i].tg_arn);
		aws_params_add(p, "%s.ForwardConfig.TargetGroups.member.%zu."
		    "Weight=%d", prefix, i + 1, w[i].weight);
	}
	if (st == NULL)
		return;
	aws_params_add(p, "%s.ForwardConfig.TargetGroupStickinessConfig."
	    "Enabled=%s", prefix, st->enabled ? "true" : "false");
	if (st->duration_seconds > 0)
		aws_params_add(p, "%s.ForwardConfig.TargetGroupStickinessConfig."
		    "DurationSeconds=%d", prefix, st->duration_seconds);
}

int
elbv2_forward_weight(const struct elbv2_forward *f, const char *tg_arn)
{
	size_t	i;

	for (i = 0; f != NULL && i < f->ntgs; i++)
		if (strcmp(f->tgs[i].tg_arn, tg_arn) == 0)
			return f->tgs[i].weight;
	return -1;
}

int
elbv2_forward_equal(const struct elbv2_forward *f,
    const struct elbv2_weight *w, size_t n, const struct elbv2_stickiness *st,
    char *why, size_t len)
{
	size_t	i;
	int	got;

	if (f == NULL) {
		api_why(why, len, "no forward action");
		return 0;
	}
	for (i = 0; i < n; i++) {
		if ((got = elbv2_forward_weight(f, w[i].tg_arn)) == -1) {
			api_why(why, len, "%s is not in the forward action",
			    w[i].tg_arn);
			return 0;
		}
		if (got != w[i].weight) {
			api_why(why, len, "%s has weight %d, not %d",
			    w[i].tg_arn, got, w[i].weight);
			return 0;
		}
	}
	/* Same size and every one of ours found: nothing else is there
	 * (the target groups of one action are distinct). */
	if (f->ntgs != n) {
		for (i = 0; i < f->ntgs; i++) {
			size_t	j;

			for (j = 0; j < n; j++)
				if (strcmp(f->tgs[i].tg_arn, w[j].tg_arn) == 0)
					break;
			if (j == n) {
				api_why(why, len, "%s (weight %d) is in the "
				    "forward action too", f->tgs[i].tg_arn,
				    f->tgs[i].weight);
				return 0;
			}
		}
		api_why(why, len, "%zu target groups, not %zu", f->ntgs, n);
		return 0;
	}
	if (st != NULL && (f->stickiness.enabled != st->enabled ||
	    (st->enabled && f->stickiness.duration_seconds !=
	    st->duration_seconds))) {
		api_why(why, len, "stickiness is %s %d s, not %s %d s",
		    f->stickiness.enabled ? "enabled" : "disabled",
		    f->stickiness.duration_seconds,
		    st->enabled ? "enabled" : "disabled", st->duration_seconds);
		return 0;
	}
	return 1;
}

/* ---- listeners ---- */

void
elbv2_listener_free(struct elbv2_listener *l)
{
	if (l == NULL)
		return;
	free(l->arn);
	free(l->lb_arn);
	free(l->protocol);
	free(l->action_type);
	forward_clear(&l->forward);
	free(l);
}

struct elbv2_listener *
elbv2_parse_listener(xmlDoc *doc, char *why, size_t len)
{
	struct elbv2_listener	*l;
	xmlNode			*list, *m;

	if ((list = x_result_list(doc, "Listeners", why, len)) == NULL)
		return NULL;
	AWS_XML_MEMBERS(m, list)
		break;
	if (m == NULL) {
		api_why(why, len, "no listener in the answer");
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	if ((l->arn = aws_xml_child_text(m, "ListenerArn")) == NULL) {
		api_why(why, len, "the listener has no ListenerArn");
		goto fail;
	}
	l->lb_arn = aws_xml_child_text(m, "LoadBalancerArn");
	l->protocol = aws_xml_child_text(m, "Protocol");
	if (x_int(m, "Port", 1, 65535, &l->port) == -1) {
		api_why(why, len, "%s: bad Port", l->arn);
		goto fail;
	}
	if (actions_parse(aws_xml_child(m, "DefaultActions"), &l->nactions,
	    &l->action_type, &l->is_forward, &l->forward, why, len) == -1)
		goto fail;
	if (l->nactions == 0) {
		api_why(why, len, "%s has no DefaultActions", l->arn);
		goto fail;
	}
	return l;
fail:
	elbv2_listener_free(l);
	return NULL;
}

/* ---- target groups ---- */

static void
tg_clear(struct elbv2_target_group *t)
{
	free(t->arn);
	free(t->name);
	free(t->target_type);
	free(t->protocol);
	free(t->vpc_id);
	xstrv_free(t->lb_arns, t->nlb_arns);
}

void
elbv2_target_groups_free(struct elbv2_target_groups *g)
{
	size_t	i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++)
		tg_clear(&g->v[i]);
	free(g->v);
	free(g);
}

/* Append the target groups of one page to g. */
static int
tgs_parse_into(xmlDoc *doc, struct elbv2_target_groups *g, char *why,
    size_t len)
{
	struct elbv2_target_group	*t;
	xmlNode				*list, *m, *lb;

	if ((list = x_result_list(doc, "TargetGroups", why, len)) == NULL)
		return -1;
	AWS_XML_MEMBERS(m, list) {
		g->v = xreallocarray(g->v, g->n + 1, sizeof(*g->v));
		t = &g->v[g->n++];
		memset(t, 0, sizeof(*t));
		t->arn = aws_xml_child_text(m, "TargetGroupArn");
		t->name = aws_xml_child_text(m, "TargetGroupName");
		if (t->arn == NULL || t->name == NULL) {
			api_why(why, len, "a target group has no "
			    "TargetGroupArn or TargetGroupName");
			return -1;
		}
		t->target_type = aws_xml_child_text(m, "TargetType");
		if (t->target_type == NULL)
			t->target_type = xstrdup("instance");
		t->protocol = aws_xml_child_text(m, "Protocol");
		t->vpc_id = aws_xml_child_text(m, "VpcId");
		if (x_int(m, "Port", 1, 65535, &t->port) == -1) {
			api_why(why, len, "%s: bad Port", t->arn);
			return -1;
		}
		lb = aws_xml_child(m, "LoadBalancerArns");
		AWS_XML_MEMBERS(lb, lb) {
			t->lb_arns = xreallocarray(t->lb_arns, t->nlb_arns + 1,
			    sizeof(*t->lb_arns));
			t->lb_arns[t->nlb_arns++] = aws_xml_content(lb);
		}
	}
	return 0;
}

struct elbv2_target_groups *
elbv2_parse_target_groups(xmlDoc *doc, char **next_marker, char *why,
    size_t len)
{
	struct elbv2_target_groups	*g;

	if (next_marker != NULL)
		*next_marker = NULL;
	g = xcalloc(1, sizeof(*g));
	if (tgs_parse_into(doc, g, why, len) == -1) {
		elbv2_target_groups_free(g);
		return NULL;
	}
	if (next_marker != NULL)
		*next_marker = x_next_marker(doc);
	return g;
}

/* ---- target health ---- */

static const char *const elbv2_state_names[] = {
	[ELBV2_TS_OTHER] = "other",
	[ELBV2_TS_INITIAL] = "initial",
	[ELBV2_TS_HEALTHY] = "healthy",
	[ELBV2_TS_UNHEALTHY] = "unhealthy",
	[ELBV2_TS_UNHEALTHY_DRAINING] = "unhealthy.draining",
	[ELBV2_TS_UNUSED] = "unused",
	[ELBV2_TS_DRAINING] = "draining",
	[ELBV2_TS_UNAVAILABLE] = "unavailable",
};

enum elbv2_target_state
elbv2_target_state_parse(const char *s)
{
	size_t	i;

	for (i = 1; s != NULL && i < sizeof(elbv2_state_names) /
	    sizeof(elbv2_state_names[0]); i++)
		if (strcmp(s, elbv2_state_names[i]) == 0)
			return (enum elbv2_target_state)i;
	return ELBV2_TS_OTHER;
}

const char *
elbv2_target_state_name(enum elbv2_target_state st)
{
	if ((size_t)st >= sizeof(elbv2_state_names) /
	    sizeof(elbv2_state_names[0]))
		return "other";
	return elbv2_state_names[st];
}

void
elbv2_target_healths_free(struct elbv2_target_healths *h)
{
	size_t	i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++) {
		free(h->v[i].id);
		free(h->v[i].az);
		free(h->v[i].health_check_port);
		free(h->v[i].state);
		free(h->v[i].reason);
		free(h->v[i].description);
	}
	free(h->v);
	free(h);
}

struct elbv2_target_healths *
elbv2_parse_target_health(xmlDoc *doc, char *why, size_t len)
{
	struct elbv2_target_healths	*h;
	struct elbv2_target_health	*t;
	xmlNode				*list, *m, *tg, *th;

	if ((list = x_result_list(doc, "TargetHealthDescriptions", why,
	    len)) == NULL)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	AWS_XML_MEMBERS(m, list) {
		h->v = xreallocarray(h->v, h->n + 1, sizeof(*h->v));
		t = &h->v[h->n++];
		memset(t, 0, sizeof(*t));
		tg = aws_xml_child(m, "Target");
		th = aws_xml_child(m, "TargetHealth");
		if ((t->id = aws_xml_child_text(tg, "Id")) == NULL) {
			api_why(why, len, "a target has no Target.Id");
			goto fail;
		}
		if ((t->state = aws_xml_child_text(th, "State")) == NULL) {
			api_why(why, len, "%s has no TargetHealth.State",
			    t->id);
			goto fail;
		}
		if (x_int(tg, "Port", 1, 65535, &t->port) == -1) {
			api_why(why, len, "%s: bad Port", t->id);
			goto fail;
		}
		t->st = elbv2_target_state_parse(t->state);
		t->az = aws_xml_child_text(tg, "AvailabilityZone");
		t->health_check_port = aws_xml_child_text(m, "HealthCheckPort");
		t->reason = aws_xml_child_text(th, "Reason");
		t->description = aws_xml_child_text(th, "Description");
	}
	return h;
fail:
	elbv2_target_healths_free(h);
	return NULL;
}

/* ---- rules ---- */

static void
rule_clear(struct elbv2_rule *r)
{
	size_t	i;

	free(r->arn);
	free(r->priority);
	for (i = 0; i < r->nconds; i++) {
		free(r->conds[i].field);
		free(r->conds[i].header_name);
		xstrv_free(r->conds[i].values, r->conds[i].nvalues);
	}
	free(r->conds);
	free(r->action_type);
	forward_clear(&r->forward);
}

void
elbv2_rules_free(struct elbv2_rules *rs)
{
	size_t	i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_clear(&rs->v[i]);
	free(rs->v);
	free(rs);
}

/* Values.member.N: text, or "key=value" / "value" (query-string). */
static void
values_parse(xmlNode *values, struct elbv2_condition *c)
{
	xmlNode	*m;
	char	*k, *v, *s;

	AWS_XML_MEMBERS(m, values) {
		if ((v = aws_xml_child_text(m, "Value")) != NULL) {
			k = aws_xml_child_text(m, "Key");
			if (k != NULL && k[0] != '\0') {
				s = xasprintf("%s=%s", k, v);
				free(v);
			} else
				s = v;
			free(k);
		} else
			s = aws_xml_content(m);
		c->values = xreallocarray(c->values, c->nvalues + 1,
		    sizeof(*c->values));
		c->values[c->nvalues++] = s;
	}
}

static int
condition_parse(xmlNode *m, struct elbv2_condition *c, char *why, size_t len)
{
	xmlNode		*k, *cfg = NULL;
	size_t		 nl;

	if ((c->field = aws_xml_child_text(m, "Field")) == NULL) {
		api_why(why, len, "a rule condition has no Field");
		return -1;
	}
	for (k = m->children; k != NULL; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		nl = strlen((const char *)k->name);
		if (nl > 6 && strcmp((const char *)k->name + nl - 6,
		    "Config") == 0) {
			cfg = k;
			break;
		}
	}
	if (cfg != NULL) {
		c->header_name = aws_xml_child_text(cfg, "HttpHeaderName");
		values_parse(aws_xml_child(cfg, "Values"), c);
	}
	if (c->nvalues == 0)
		values_parse(aws_xml_child(m, "Values"), c);
	return 0;
}

static int
rule_parse(xmlNode *m, struct elbv2_rule *r, char *why, size_t len)
{
	xmlNode	*cm;
	int	 d;

	if ((r->arn = aws_xml_child_text(m, "RuleArn")) == NULL ||
	    (r->priority = aws_xml_child_text(m, "Priority")) == NULL) {
		api_why(why, len, "a rule has no RuleArn or Priority");
		return -1;
	}
	if (x_bool(m, "IsDefault", &d) == -1) {
		api_why(why, len, "%s: bad IsDefault", r->arn);
		return -1;
	}
	r->is_default = d || strcmp(r->priority, "default") == 0;
	if (!r->is_default && x_int(m, "Priority", ELBV2_MIN_PRIORITY,
	    ELBV2_MAX_PRIORITY, &r->prio) != 0) {
		api_why(why, len, "%s: bad Priority \"%s\"", r->arn,
		    r->priority);
		return -1;
	}
	AWS_XML_MEMBERS(cm, aws_xml_child(m, "Conditions")) {
		r->conds = xreallocarray(r->conds, r->nconds + 1,
		    sizeof(*r->conds));
		memset(&r->conds[r->nconds], 0, sizeof(*r->conds));
		r->nconds++;
		if (condition_parse(cm, &r->conds[r->nconds - 1], why,
		    len) == -1)
			return -1;
	}
	return actions_parse(aws_xml_child(m, "Actions"), &r->nactions,
	    &r->action_type, &r->is_forward, &r->forward, why, len);
}

static int
rules_parse_into(xmlDoc *doc, struct elbv2_rules *rs, char *why, size_t len)
{
	xmlNode	*list, *m;

	if ((list = x_result_list(doc, "Rules", why, len)) == NULL)
		return -1;
	AWS_XML_MEMBERS(m, list) {
		rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
		memset(&rs->v[rs->n], 0, sizeof(*rs->v));
		rs->n++;
		if (rule_parse(m, &rs->v[rs->n - 1], why, len) == -1)
			return -1;
	}
	return 0;
}

struct elbv2_rules *
elbv2_parse_rules(xmlDoc *doc, char **next_marker, char *why, size_t len)
{
	struct elbv2_rules	*rs;

	if (next_marker != NULL)
		*next_marker = NULL;
	rs = xcalloc(1, sizeof(*rs));
	if (rules_parse_into(doc, rs, why, len) == -1) {
		elbv2_rules_free(rs);
		return NULL;
	}
	if (next_marker != NULL)
		*next_marker = x_next_marker(doc);
	return rs;
}

int
elbv2_rules_free_priority(const struct elbv2_rules *rs, int lo, int hi)
{
	size_t	i;
	int	p;

	if (lo < ELBV2_MIN_PRIORITY || hi > ELBV2_MAX_PRIORITY || lo > hi)
		return -1;
	for (p = lo; p <= hi; p++) {
		for (i = 0; rs != NULL && i < rs->n; i++)
			if (!rs->v[i].is_default && rs->v[i].prio == p)
				break;
		if (rs == NULL || i == rs->n)
			return p;
	}
	return -1;
}

static int
value_check(const char *what, const char *v, size_t max, char *why,
    size_t len)
{
	if (v == NULL || v[0] == '\0') {
		api_why(why, len, "an empty %s", what);
		return -1;
	}
	if (strlen(v) > max) {
		api_why(why, len, "%s \"%.32s...\" is longer than %zu "
		    "characters", what, v, max);
		return -1;
	}
	return 0;
}

int
elbv2_rule_spec_check(const struct elbv2_rule_spec *s, int create,
    char *why, size_t len)
{
	size_t	i;

	if (s == NULL) {
		api_why(why, len, "no rule");
		return -1;
	}
	if (create && (s->priority < ELBV2_MIN_PRIORITY ||
	    s->priority > ELBV2_MAX_PRIORITY)) {
		api_why(why, len, "priority %d is not within %d..%d",
		    s->priority, ELBV2_MIN_PRIORITY, ELBV2_MAX_PRIORITY);
		return -1;
	}
	if (s->npath_patterns + (s->header_name != NULL ?
	    s->nheader_values : 0) == 0) {
		api_why(why, len, "a rule needs a path pattern or a header "
		    "condition");
		return -1;
	}
	if (s->npath_patterns + s->nheader_values > ELBV2_MAX_COND_VALUES) {
		api_why(why, len, "%zu condition values: a rule takes at "
		    "most %d", s->npath_patterns + s->nheader_values,
		    ELBV2_MAX_COND_VALUES);
		return -1;
	}
	for (i = 0; i < s->npath_patterns; i++)
		if (value_check("path pattern", s->path_patterns[i], 128, why,
		    len) == -1)
			return -1;
	if (s->header_name == NULL && s->nheader_values > 0) {
		api_why(why, len, "header values without a header name");
		return -1;
	}
	if (s->header_name != NULL) {
		if (value_check("header name", s->header_name, 40, why,
		    len) == -1)
			return -1;
		if (s->nheader_values == 0) {
			api_why(why, len, "header %s needs a value",
			    s->header_name);
			return -1;
		}
		for (i = 0; i < s->nheader_values; i++)
			if (value_check("header value", s->header_values[i],
			    128, why, len) == -1)
				return -1;
	}
	return elbv2_forward_check(s->forward, s->nforward, s->stickiness,
	    why, len);
}

static void
rule_spec_params(struct aws_params *p, const struct elbv2_rule_spec *s)
{
	size_t	i, n = 0;

	if (s->npath_patterns > 0) {
		n++;
		aws_params_add(p, "Conditions.member.%zu.Field=path-pattern", n);
		for (i = 0; i < s->npath_patterns; i++)
			aws_params_add(p, "Conditions.member.%zu.PathPatternConfig."
			    "Values.member.%zu=%s", n, i + 1,
			    s->path_patterns[i]);
	}
	if (s->header_name != NULL) {
		n++;
		aws_params_add(p, "Conditions.member.%zu.Field=http-header", n);
		aws_params_add(p, "Conditions.member.%zu.HttpHeaderConfig."
		    "HttpHeaderName=%s", n, s->header_name);
		for (i = 0; i < s->nheader_values; i++)
			aws_params_add(p, "Conditions.member.%zu.HttpHeaderConfig."
			    "Values.member.%zu=%s", n, i + 1,
			    s->header_values[i]);
	}
	forward_params(p, "Actions.member.1", s->forward, s->nforward,
	    s->stickiness);
}

/* ---- calls ---- */

static void
call_clear(struct aws_op *o)
{
	struct elbv2_call	*c = (struct elbv2_call *)o;

	elbv2_target_groups_free(c->tgs);
	elbv2_rules_free(c->rules);
}

static void
call_fail(struct aws_op *o, const struct api_err *e)
{
	struct elbv2_call	*c = (struct elbv2_call *)o;

	switch (c->op.kind) {
	case K_LISTENER:
		c->cb.listener(o->arg, NULL, e);
		break;
	case K_TGS:
		c->cb.tgs(o->arg, NULL, e);
		break;
	case K_HEALTH:
		c->cb.health(o->arg, NULL, e);
		break;
	case K_RULES:
		c->cb.rules(o->arg, NULL, e);
		break;
	case K_RULE:
		c->cb.rule(o->arg, NULL, e);
		break;
	case K_DONE:
		c->cb.done(o->arg, e);
		break;
	}
}

/* One page more of a paged operation, as aws_op_next_page(). */
static int
call_next_page(struct elbv2_call *c, xmlDoc *doc)
{
	char	*marker;
	int	 rc;

	marker = x_next_marker(doc);
	rc = aws_op_next_page(&c->op, marker);
	free(marker);
	return rc;
}

static int
call_answer(struct aws_op *o, const struct aws_result *res, char *why,
    size_t len)
{
	struct elbv2_call		*c = (struct elbv2_call *)o;
	struct elbv2_listener		*l;
	struct elbv2_target_healths	*h;
	int				 rc;

	switch (c->op.kind) {
	case K_LISTENER:
		if ((l = elbv2_parse_listener(res->xml, why, len)) == NULL)
			return -1;
		c->cb.listener(o->arg, l, NULL);
		elbv2_listener_free(l);
		break;
	case K_TGS:
		if (tgs_parse_into(res->xml, c->tgs, why, len) == -1)
			return -1;
		if ((rc = call_next_page(c, res->xml)) == 1)
			return 1;	/* c goes on */
		if (rc == 0)
			c->cb.tgs(o->arg, c->tgs, NULL);
		break;
	case K_HEALTH:
		if ((h = elbv2_parse_target_health(res->xml, why,
		    len)) == NULL)
			return -1;
		c->cb.health(o->arg, h, NULL);
		elbv2_target_healths_free(h);
		break;
	case K_RULES:
		if (rules_parse_into(res->xml, c->rules, why, len) == -1)
			return -1;
		if ((rc = call_next_page(c, res->xml)) == 1)
			return 1;
		if (rc == 0)
			c->cb.rules(o->arg, c->rules, NULL);
		break;
	case K_RULE:
		if (rules_parse_into(res->xml, c->rules, why, len) == -1)
			return -1;
		if (c->rules->n == 0) {
			snprintf(why, len, "no rule in the answer");
			return -1;
		}
		c->cb.rule(o->arg, &c->rules->v[0], NULL);
		break;
	case K_DONE:
		c->cb.done(o->arg, NULL);
		break;
	}
	return 0;
}

static const struct aws_op_type elbv2_op = {
	.client = "elbv2",
	.svc = &aws_elbv2,
	.size = sizeof(struct elbv2_call),
	.page_param = "Marker",
	.page_answer = "NextMarker",
	.answer = call_answer,
	.fail = call_fail,
	.clear = call_clear,
};

static int
arg_ok(const char *op, const char *what, const char *v)
{
	return aws_op_arg_ok(&elbv2_op, op, what, v);
}

static struct elbv2_call *
call_new(struct aws *a, const char *op, enum elbv2_kind kind, void *arg)
{
	struct elbv2_call	*c;

	c = aws_op_new(a, &elbv2_op, op, kind, arg);
	if (kind == K_TGS)
		c->tgs = xcalloc(1, sizeof(*c->tgs));
	if (kind == K_RULES || kind == K_RULE)
		c->rules = xcalloc(1, sizeof(*c->rules));
	return c;
}

/* Send c (its params in c->op.params); NULL, c freed, if it cannot start. */
static struct elbv2_call *
call_start(struct elbv2_call *c)
{
	if (aws_op_query(&c->op, NULL) == -1)
		return aws_op_started(&c->op, -1);
	/* Only the paged ones need their parameters again. */
	if (c->op.kind != K_TGS && c->op.kind != K_RULES)
		aws_params_clear(&c->op.params);
	return c;
}

void
elbv2_cancel(struct elbv2_call *c)
{
	if (c != NULL)
		aws_op_cancel(&c->op);
}

struct elbv2_call *
elbv2_describe_listener(struct aws *a, const char *listener_arn,
    elbv2_listener_cb cb, void *arg)
{
	struct elbv2_call	*c;

	if (!arg_ok("DescribeListeners", "listener ARN", listener_arn))
		return NULL;
	c = call_new(a, "DescribeListeners", K_LISTENER, arg);
	c->cb.listener = cb;
	aws_params_add(&c->op.params, "ListenerArns.member.1=%s", listener_arn);
	return call_start(c);
}

struct elbv2_call *
elbv2_set_weights(struct aws *a, const char *listener_arn,
    const struct elbv2_weight *w, size_t n, const struct elbv2_stickiness *st,
    elbv2_listener_cb cb, void *arg)
{
	struct elbv2_call	*c;
	char			 why[256];

	if (!arg_ok("ModifyListener", "listener ARN", listener_arn))
		return NULL;
	if (elbv2_forward_check(w, n, st, why, sizeof(why)) == -1) {
		log_warnx("elbv2: ModifyListener %s: refused: %s",
		    listener_arn, why);
		return NULL;
	}
	c = call_new(a, "ModifyListener", K_LISTENER, arg);
	c->cb.listener = cb;
	aws_params_add(&c->op.params, "ListenerArn=%s", listener_arn);
	forward_params(&c->op.params, "DefaultActions.member.1", w, n, st);
	return call_start(c);
}

struct elbv2_call *
elbv2_describe_target_groups(struct aws *a, const char *const *arns,
    size_t n, elbv2_target_groups_cb cb, void *arg)
{
	struct elbv2_call	*c;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (!arg_ok("DescribeTargetGroups", "target group ARN",
		    arns[i]))
			return NULL;
	c = call_new(a, "DescribeTargetGroups", K_TGS, arg);
	c->cb.tgs = cb;
	for (i = 0; i < n; i++)
		aws_params_add(&c->op.params, "TargetGroupArns.member.%zu=%s",
		    i + 1, arns[i]);
	return call_start(c);
}

static void
targets_params(struct aws_params *p, const struct elbv2_target *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		aws_params_add(p, "Targets.member.%zu.Id=%s", i + 1, t[i].id);
		if (t[i].port > 0)
			aws_params_add(p, "Targets.member.%zu.Port=%d", i + 1,
			    t[i].port);
	}
}

static int
targets_ok(const char *op, const struct elbv2_target *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!arg_ok(op, "target id", t[i].id))
			return 0;
		if (t[i].port < 0 || t[i].port > 65535) {
			log_warnx("elbv2: %s: %s: bad port %d", op, t[i].id,
			    t[i].port);
			return 0;
		}
	}
	return 1;
}

struct elbv2_call *
elbv2_describe_target_health(struct aws *a, const char *tg_arn,
    const struct elbv2_target *t, size_t n, elbv2_target_health_cb cb,
    void *arg)
{
	struct elbv2_call	*c;

	if (!arg_ok("DescribeTargetHealth", "target group ARN", tg_arn) ||
	    !targets_ok("DescribeTargetHealth", t, n))
		return NULL;
	c = call_new(a, "DescribeTargetHealth", K_HEALTH, arg);
	c->cb.health = cb;
	aws_params_add(&c->op.params, "TargetGroupArn=%s", tg_arn);
	targets_params(&c->op.params, t, n);
	return call_start(c);
}

static struct elbv2_call *
targets_call(struct aws *a, const char *op, const char *tg_arn,
    const struct elbv2_target *t, size_t n, elbv2_done_cb cb, void *arg)
{
	struct elbv2_call	*c;

	if (!arg_ok(op, "target group ARN", tg_arn) ||
	    !targets_ok(op, t, n))
		return NULL;
	if (n == 0) {
		log_warnx("elbv2: %s: no targets", op);
		return NULL;
	}
	c = call_new(a, op, K_DONE, arg);
	c->cb.done = cb;
	aws_params_add(&c->op.params, "TargetGroupArn=%s", tg_arn);
	targets_params(&c->op.params, t, n);
	return call_start(c);
}

struct elbv2_call *
elbv2_register_targets(struct aws *a, const char *tg_arn,
    const struct elbv2_target *t, size_t n, elbv2_done_cb cb, void *arg)
{
	return targets_call(a, "RegisterTargets", tg_arn, t, n, cb, arg);
}

struct elbv2_call *
elbv2_deregister_targets(struct aws *a, const char *tg_arn,
    const struct elbv2_target *t, size_t n, elbv2_done_cb cb, void *arg)
{
	return targets_call(a, "DeregisterTargets", tg_arn, t, n, cb, arg);
}

struct elbv2_call *
elbv2_describe_rules(struct aws *a, const char *listener_arn,
    elbv2_rules_cb cb, void *arg)
{
	struct elbv2_call	*c;

	if (!arg_ok("DescribeRules", "listener ARN", listener_arn))
		return NULL;
	c = call_new(a, "DescribeRules", K_RULES, arg);
	c->cb.rules = cb;
	aws_params_add(&c->op.params, "ListenerArn=%s", listener_arn);
	return call_start(c);
}

static struct elbv2_call *
rule_call(struct aws *a, const char *op, const char *arn_name,
    const char *arn, const struct elbv2_rule_spec *s, elbv2_rule_cb cb,
    void *arg)
{
	struct elbv2_call	*c;
	int			 create = strcmp(op, "CreateRule") == 0;
	char			 why[256];

	if (!arg_ok(op, arn_name, arn))
		return NULL;
	if (elbv2_rule_spec_check(s, create, why, sizeof(why)) == -1) {
		log_warnx("elbv2: %s %s: refused: %s", op, arn, why);
		return NULL;
	}
	c = call_new(a, op, K_RULE, arg);
	c->cb.rule = cb;
	aws_params_add(&c->op.params, "%s=%s", create ? "ListenerArn" :
	    "RuleArn", arn);
	if (create)
		aws_params_add(&c->op.params, "Priority=%d", s->priority);
	rule_spec_params(&c->op.params, s);
	return call_start(c);
}

struct elbv2_call *
elbv2_create_rule(struct aws *a, const char *listener_arn,
    const struct elbv2_rule_spec *s, elbv2_rule_cb cb, void *arg)
{
	return rule_call(a, "CreateRule", "listener ARN", listener_arn, s, cb,
	    arg);
}

struct elbv2_call *
elbv2_modify_rule(struct aws *a, const char *rule_arn,
    const struct elbv2_rule_spec *s, elbv2_rule_cb cb, void *arg)
{
	return rule_call(a, "ModifyRule", "rule ARN", rule_arn, s, cb, arg);
}

struct elbv2_call *
elbv2_delete_rule(struct aws *a, const char *rule_arn, elbv2_done_cb cb,
    void *arg)
{
	struct elbv2_call	*c;

	if (!arg_ok("DeleteRule", "rule ARN", rule_arn))
		return NULL;
	c = call_new(a, "DeleteRule", K_DONE, arg);
	c->cb.done = cb;
	aws_params_add(&c->op.params, "RuleArn=%s", rule_arn);
	return call_start(c);
}

struct elbv2_call *
elbv2_delete_target_group(struct aws *a, const char *tg_arn,
    elbv2_done_cb cb, void *arg)
{
	struct elbv2_call	*c;

	if (!arg_ok("DeleteTargetGroup", "target group ARN", tg_arn))
		return NULL;
	c = call_new(a, "DeleteTargetGroup", K_DONE, arg);
	c->cb.done = cb;
	aws_params_add(&c->op.params, "TargetGroupArn=%s", tg_arn);
	return call_start(c);
}
