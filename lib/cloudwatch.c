/*
 * cloudwatch: CloudWatch requests built as query parameters and answers
 * read by walking libxml2's tree child by child (a depth-first search
 * would find a result's nested "member" where the list's was meant). A
 * call's context is a lib/aws struct aws_op, which owns its lifecycle and
 * its paging (both operations page with NextToken), with the typed
 * callback and what the pages read so far hold; this file is the
 * operations and the parsing.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "cloudwatch.h"
#include "log.h"
#include "xmalloc.h"

enum cw_kind {
	K_METRICS,
	K_ALARMS,
};

/* Query parameters "Name=value", NULL-ended. */
struct cw_call {
	struct aws_op		 op;		/* first */
	union {
		cw_alb_metrics_cb	 metrics;
		cw_alarms_cb		 alarms;
	} cb;
	struct cw_alb_metrics	*m;
	/* DescribeAlarms: the names asked, and the alarms read so far. */
	char			**names;
	size_t			 nnames;
	struct cw_alarms	*found;
};

static const char *const cw_metric_names[CW_NMETRICS] = {
	[CW_M_5XX] = "HTTPCode_Target_5XX_Count",
	[CW_M_REQUESTS] = "RequestCount",
	[CW_M_P99] = "TargetResponseTime",
};

static const char *const cw_metric_stats[CW_NMETRICS] = {
	[CW_M_5XX] = "Sum",
	[CW_M_REQUESTS] = "Sum",
	[CW_M_P99] = "p99",
};

static const char *const cw_ids[CW_NTG][CW_NMETRICS] = {
	[CW_TG_DROPLET] = { "do_5xx", "do_req", "do_p99" },
	[CW_TG_ECS] = { "ecs_5xx", "ecs_req", "ecs_p99" },
};

/* "2024-05-01T12:00:00Z" for t. */
static void
iso8601(char *buf, size_t len, int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/*
 * "2024-05-01T12:00:00Z", with optional fractional seconds, "Z" or
 * "+00:00": 0 with *out set, or -1.
 */
static int
iso8601_parse(const char *s, int64_t *out)
{
	struct tm	 tm;
	const char	*p;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 &&
	    strcmp(p, "") != 0)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* ---- XML: direct children by local name ---- */

/* The root's *Result child (AWS names it after the action). */
static xmlNode *
x_result(xmlDoc *doc, char *why, size_t len)
{
	xmlNode	*root, *c;
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
			return c;
	}
	api_why(why, len, "%s has no *Result element",
	    (const char *)root->name);
	return NULL;
}

/* The result's NextToken, malloc'd, or NULL when none or empty. */
static char *
x_next_token(xmlNode *result)
{
	char	*t;

	t = aws_xml_child_text(result, "NextToken");
	if (t != NULL && t[0] == '\0') {
		free(t);
		t = NULL;
	}
	return t;
}

/* ---- names ---- */

const char *
cw_query_id(enum cw_tg tg, enum cw_metric m)
{
	if ((unsigned)tg >= CW_NTG || (unsigned)m >= CW_NMETRICS)
		return "";
	return cw_ids[tg][m];
}

const char *
cw_metric_name(enum cw_metric m)
{
	return (unsigned)m < CW_NMETRICS ? cw_metric_names[m] : "";
}

const char *
cw_metric_stat(enum cw_metric m)
{
	return (unsigned)m < CW_NMETRICS ? cw_metric_stats[m] : "";
}

enum cw_status
cw_status_parse(const char *s)
{
	if (s == NULL)
		return CW_ST_OTHER;
	if (strcmp(s, "Complete") == 0)
		return CW_ST_COMPLETE;
	if (strcmp(s, "PartialData") == 0)
		return CW_ST_PARTIAL;
	if (strcmp(s, "InternalError") == 0)
		return CW_ST_INTERNAL_ERROR;
	if (strcmp(s, "Forbidden") == 0)
		return CW_ST_FORBIDDEN;
	return CW_ST_OTHER;
}

static const char *const cw_alarm_state_names[] = {
	[CW_AL_OTHER] = "other",
	[CW_AL_OK] = "OK",
	[CW_AL_ALARM] = "ALARM",
	[CW_AL_INSUFFICIENT_DATA] = "INSUFFICIENT_DATA",
	[CW_AL_NOT_FOUND] = "not found",
};

/* AWS's StateValue names are the table's, "other" and "not found" aside. */
enum cw_alarm_state
cw_alarm_state_parse(const char *s)
{
	int	st;

	for (st = CW_AL_OK; s != NULL && st <= CW_AL_INSUFFICIENT_DATA; st++)
		if (strcmp(s, cw_alarm_state_names[st]) == 0)
			return (enum cw_alarm_state)st;
	return CW_AL_OTHER;
}

const char *
cw_alarm_state_name(enum cw_alarm_state st)
{
	if ((unsigned)st >= sizeof(cw_alarm_state_names) /
	    sizeof(cw_alarm_state_names[0]))
		return "other";
	return cw_alarm_state_names[st];
}

/* ---- metrics ---- */

int
cw_alb_query_check(const struct cw_alb_query *q, char *why, size_t len)
{
	int	i;

	if (q == NULL) {
		api_why(why, len, "no query");
		return -1;
	}
	if (q->load_balancer == NULL ||
	    strncmp(q->load_balancer, "app/", 4) != 0 ||
	    q->load_balancer[4] == '\0') {
		api_why(why, len, "the LoadBalancer dimension must be "
		    "\"app/NAME/ID\", not \"%s\"",
		    q->load_balancer != NULL ? q->load_balancer : "");
		return -1;
	}
	if (q->tg[CW_TG_ECS] == NULL) {
		api_why(why, len, "no ECS target group");
		return -1;
	}
	for (i = 0; i < CW_NTG; i++) {
		if (q->tg[i] == NULL)
			continue;
		if (strncmp(q->tg[i], "targetgroup/", 12) != 0 ||
		    q->tg[i][12] == '\0') {
			api_why(why, len, "the TargetGroup dimension must be "
			    "\"targetgroup/NAME/ID\", not \"%s\"", q->tg[i]);
			return -1;
		}
	}
	if (!(q->period == 1 || q->period == 5 || q->period == 10 ||
	    q->period == 30 || (q->period > 0 && q->period % 60 == 0))) {
		api_why(why, len, "period %d s: CloudWatch takes 1, 5, 10, 30 "
		    "or a multiple of 60", q->period);
		return -1;
	}
	if (q->start < 0 || q->start >= q->end) {
		api_why(why, len, "the start time must be before the end "
		    "time");
		return -1;
	}
	return 0;
}

struct cw_alb_metrics *
cw_alb_metrics_new(const struct cw_alb_query *q)
{
	struct cw_alb_metrics	*m;
	int			 t, k;

	m = xcalloc(1, sizeof(*m));
	for (t = 0; t < CW_NTG; t++) {
		m->asked[t] = q == NULL || q->tg[t] != NULL;
		if (!m->asked[t])
			continue;
		for (k = 0; k < CW_NMETRICS; k++)
			m->s[t][k].id = xstrdup(cw_ids[t][k]);
	}
	return m;
}

void
cw_alb_metrics_free(struct cw_alb_metrics *m)
{
	int	t, k;

	if (m == NULL)
		return;
	for (t = 0; t < CW_NTG; t++)
		for (k = 0; k < CW_NMETRICS; k++) {
			free(m->s[t][k].id);
			free(m->s[t][k].status);
			free(m->s[t][k].v);
		}
	free(m);
}

int
cw_series_latest(const struct cw_series *s, struct cw_point *p)
{
	if (s == NULL || s->n == 0)
		return -1;
	*p = s->v[0];
	return 0;
}

static struct cw_series *
series_by_id(struct cw_alb_metrics *m, const char *id)
{
	int	t, k;

	for (t = 0; t < CW_NTG; t++)
		for (k = 0; k < CW_NMETRICS; k++)
			if (m->s[t][k].id != NULL &&
			    strcmp(m->s[t][k].id, id) == 0)
				return &m->s[t][k];
	return NULL;
}

/* One MetricDataResult: its points appended to s, its status taken. */
static int
result_parse(xmlNode *r, struct cw_series *s, char *why, size_t len)
{
	xmlNode		*ts, *vs, *a, *b;
	char		*status, *t, *end;
	size_t		 nts = 0, nvs = 0, i;
	double		 v;
	int64_t		 when;

	if ((status = aws_xml_child_text(r, "StatusCode")) == NULL) {
		api_why(why, len, "%s: no StatusCode", s->id);
		return -1;
	}
	ts = aws_xml_child(r, "Timestamps");
	vs = aws_xml_child(r, "Values");
	AWS_XML_MEMBERS(a, ts)
		nts++;
	AWS_XML_MEMBERS(b, vs)
		nvs++;
	if (nts != nvs) {
		api_why(why, len, "%s: %zu timestamps but %zu values", s->id,
		    nts, nvs);
		free(status);
		return -1;
	}
	s->v = xreallocarray(s->v, s->n + nts, sizeof(*s->v));
	i = s->n;
	for (a = aws_xml_member(ts != NULL ? ts->children : NULL),
	    b = aws_xml_member(vs != NULL ? vs->children : NULL);
	    a != NULL && b != NULL;
	    a = aws_xml_member(a->next), b = aws_xml_member(b->next)) {
		t = aws_xml_content(a);
		if (iso8601_parse(t, &when) == -1) {
			api_why(why, len, "%s: bad timestamp \"%s\"", s->id, t);
			free(t);
			goto fail;
		}
		free(t);
		t = aws_xml_content(b);
		errno = 0;
		v = strtod(t, &end);
		if (t[0] == '\0' || *end != '\0' || errno != 0 ||
		    !isfinite(v)) {
			api_why(why, len, "%s: bad value \"%s\"", s->id, t);
			free(t);
			goto fail;
		}
		free(t);
		s->v[i].ts = when;
		s->v[i].value = v;
		i++;
	}
	s->n = i;
	free(s->status);
	s->status = status;
	s->st = cw_status_parse(status);
	return 0;
fail:
	free(status);
	return -1;
}

int
cw_parse_metric_data(xmlDoc *doc, struct cw_alb_metrics *m,
    char **next_token, char *why, size_t len)
{
	xmlNode			*res, *list, *r;
	struct cw_series	*s;
	char			*id;

	if (next_token != NULL)
		*next_token = NULL;
	if ((res = x_result(doc, why, len)) == NULL)
		return -1;
	if ((list = aws_xml_child(res, "MetricDataResults")) == NULL) {
		api_why(why, len, "%s has no MetricDataResults",
		    (const char *)res->name);
		return -1;
	}
	AWS_XML_MEMBERS(r, list) {
		if ((id = aws_xml_child_text(r, "Id")) == NULL) {
			api_why(why, len, "a MetricDataResult has no Id");
			return -1;
		}
		s = series_by_id(m, id);
		free(id);
		if (s == NULL)
			continue;	/* not one of ours */
		if (result_parse(r, s, why, len) == -1)
			return -1;
	}
	if (next_token != NULL)
		*next_token = x_next_token(res);
	return 0;
}

static int
point_newer_first(const void *a, const void *b)
{
	const struct cw_point	*pa = a, *pb = b;

	return pa->ts > pb->ts ? -1 : pa->ts < pb->ts ? 1 : 0;
}

int
cw_alb_metrics_finish(struct cw_alb_metrics *m, char *why, size_t len)
{
	int	t, k;

	for (t = 0; t < CW_NTG; t++) {
		if (!m->asked[t])
			continue;
		for (k = 0; k < CW_NMETRICS; k++) {
			if (m->s[t][k].status == NULL) {
				api_why(why, len, "no MetricDataResult for %s",
				    m->s[t][k].id);
				return -1;
			}
			if (m->s[t][k].n > 1)
				qsort(m->s[t][k].v, m->s[t][k].n,
				    sizeof(m->s[t][k].v[0]),
				    point_newer_first);
		}
	}
	return 0;
}

/* ---- alarms ---- */

static void
alarm_clear(struct cw_alarm *a)
{
	free(a->name);
	free(a->state);
	free(a->reason);
}

void
cw_alarms_free(struct cw_alarms *as)
{
	size_t	i;

	if (as == NULL)
		return;
	for (i = 0; i < as->n; i++)
		alarm_clear(&as->v[i]);
	free(as->v);
	free(as);
}

static int
alarms_parse_list(xmlNode *list, struct cw_alarms *as, char *why,
    size_t len)
{
	xmlNode		*m;
	struct cw_alarm	*a;

	AWS_XML_MEMBERS(m, list) {
		as->v = xreallocarray(as->v, as->n + 1, sizeof(*as->v));
		a = &as->v[as->n];
		memset(a, 0, sizeof(*a));
		if ((a->name = aws_xml_child_text(m, "AlarmName")) == NULL ||
		    a->name[0] == '\0') {
			free(a->name);
			api_why(why, len, "an alarm has no AlarmName");
			return -1;
		}
		as->n++;
		if ((a->state = aws_xml_child_text(m, "StateValue")) == NULL) {
			api_why(why, len, "%s has no StateValue", a->name);
			return -1;
		}
		a->st = cw_alarm_state_parse(a->state);
		a->reason = aws_xml_child_text(m, "StateReason");
	}
	return 0;
}

struct cw_alarms *
cw_parse_alarms(xmlDoc *doc, char **next_token, char *why, size_t len)
{
	struct cw_alarms	*as;
	xmlNode			*res, *ma, *ca;

	if (next_token != NULL)
		*next_token = NULL;
	if ((res = x_result(doc, why, len)) == NULL)
		return NULL;
	ma = aws_xml_child(res, "MetricAlarms");
	ca = aws_xml_child(res, "CompositeAlarms");
	if (ma == NULL && ca == NULL) {
		api_why(why, len, "%s has neither MetricAlarms nor "
		    "CompositeAlarms", (const char *)res->name);
		return NULL;
	}
	as = xcalloc(1, sizeof(*as));
	if (alarms_parse_list(ma, as, why, len) == -1 ||
	    alarms_parse_list(ca, as, why, len) == -1) {
		cw_alarms_free(as);
		return NULL;
	}
	if (next_token != NULL)
		*next_token = x_next_token(res);
	return as;
}

/* The answer in the order asked; names AWS does not know: NOT_FOUND. */
static struct cw_alarms *
alarms_as_asked(const struct cw_call *c)
{
	struct cw_alarms	*as;
	const struct cw_alarm	*f;
	size_t			 i, j;

	as = xcalloc(1, sizeof(*as));
	as->v = xcalloc(c->nnames, sizeof(*as->v));
	for (i = 0; i < c->nnames; i++) {
		for (f = NULL, j = 0; j < c->found->n; j++)
			if (strcmp(c->found->v[j].name, c->names[i]) == 0) {
				f = &c->found->v[j];
				break;
			}
		as->v[i].name = xstrdup(c->names[i]);
		as->v[i].st = CW_AL_NOT_FOUND;
		if (f != NULL) {
			as->v[i].st = f->st;
			as->v[i].state = xstrdup(f->state);
			if (f->reason != NULL)
				as->v[i].reason = xstrdup(f->reason);
		}
		as->n++;
	}
	return as;
}

/* ---- calls ---- */

static void
call_clear(struct aws_op *o)
{
	struct cw_call	*c = (struct cw_call *)o;

	cw_alb_metrics_free(c->m);
	xstrv_free(c->names, c->nnames);
	cw_alarms_free(c->found);
}

static void
call_fail(struct aws_op *o, const struct api_err *e)
{
	struct cw_call	*c = (struct cw_call *)o;

	switch (c->op.kind) {
	case K_METRICS:
		c->cb.metrics(o->arg, NULL, e);
		break;
	case K_ALARMS:
		c->cb.alarms(o->arg, NULL, e);
		break;
	}
}

/* Ask for the next page (token: freed here), as aws_op_next_page(). */
static int
call_next_page(struct cw_call *c, char *token)
{
	int	rc;

	rc = aws_op_next_page(&c->op, token);
	free(token);
	return rc;
}

static int
call_answer(struct aws_op *o, const struct aws_result *res, char *why,
    size_t len)
{
	struct cw_call		*c = (struct cw_call *)o;
	struct cw_alarms	*as, *asked;
	char			*token = NULL;
	size_t			 i;
	int			 rc;

	switch (c->op.kind) {
	case K_METRICS:
		if (cw_parse_metric_data(res->xml, c->m, &token, why,
		    len) == -1)
			return -1;
		if ((rc = call_next_page(c, token)) != 0)
			return rc == 1 ? 1 : 0;	/* goes on, or failed */
		if (cw_alb_metrics_finish(c->m, why, len) == -1)
			return -1;
		c->cb.metrics(o->arg, c->m, NULL);
		break;
	case K_ALARMS:
		if ((as = cw_parse_alarms(res->xml, &token, why, len)) == NULL)
			return -1;
		/* Move this page's alarms to the ones found so far. */
		c->found->v = xreallocarray(c->found->v, c->found->n + as->n,
		    sizeof(*c->found->v));
		for (i = 0; i < as->n; i++)
			c->found->v[c->found->n++] = as->v[i];
		as->n = 0;
		cw_alarms_free(as);
		if ((rc = call_next_page(c, token)) != 0)
			return rc == 1 ? 1 : 0;
		asked = alarms_as_asked(c);
		c->cb.alarms(o->arg, asked, NULL);
		cw_alarms_free(asked);
		break;
	}
	return 0;
}

static const struct aws_op_type cw_op = {
	.client = "cloudwatch",
	.svc = &aws_cloudwatch,
	.size = sizeof(struct cw_call),
	.page_param = "NextToken",
	.page_answer = "NextToken",
	.answer = call_answer,
	.fail = call_fail,
	.clear = call_clear,
};

/* Send c (its params in c->op.params); NULL, c freed, if it cannot start. */
static struct cw_call *
call_start(struct cw_call *c)
{
	return aws_op_started(&c->op, aws_op_query(&c->op, NULL));
}

void
cw_cancel(struct cw_call *c)
{
	if (c != NULL)
		aws_op_cancel(&c->op);
}

struct cw_call *
cw_get_alb_metrics(struct aws *a, const struct cw_alb_query *q,
    cw_alb_metrics_cb cb, void *arg)
{
	struct cw_call		*c;
	struct aws_params	*p;
	char			 why[256], start[32], end[32];
	int			 t, k, n = 0;

	if (cw_alb_query_check(q, why, sizeof(why)) == -1) {
		log_warnx("cloudwatch: GetMetricData: refused: %s", why);
		return NULL;
	}
	c = aws_op_new(a, &cw_op, "GetMetricData", K_METRICS, arg);
	c->cb.metrics = cb;
	c->m = cw_alb_metrics_new(q);
	p = &c->op.params;
	for (t = 0; t < CW_NTG; t++) {
		if (q->tg[t] == NULL)
			continue;
		for (k = 0; k < CW_NMETRICS; k++) {
			n++;
			aws_params_add(p, "MetricDataQueries.member.%d.Id=%s",
			    n, cw_ids[t][k]);
			aws_params_add(p, "MetricDataQueries.member.%d."
			    "MetricStat.Metric.Namespace=AWS/ApplicationELB", n);
			aws_params_add(p, "MetricDataQueries.member.%d."
			    "MetricStat.Metric.MetricName=%s", n,
			    cw_metric_names[k]);
			aws_params_add(p, "MetricDataQueries.member.%d."
			    "MetricStat.Metric.Dimensions.member.1."
			    "Name=TargetGroup", n);
			aws_params_add(p, "MetricDataQueries.member.%d."
			    "MetricStat.Metric.Dimensions.member.1.Value=%s",
			    n, q->tg[t]);
			aws_params_add(p, "MetricDataQueries.member.%d."
			    "MetricStat.Metric.Dimensions.member.2."
			    "Name=LoadBalancer", n);
			aws_params_add(p, "MetricDataQueries.member.%d."
			    "MetricStat.Metric.Dimensions.member.2.Value=%s",
			    n, q->load_balancer);
			aws_params_add(p, "MetricDataQueries.member.%d."
			    "MetricStat.Period=%d", n, q->period);
			aws_params_add(p, "MetricDataQueries.member.%d."
			    "MetricStat.Stat=%s", n, cw_metric_stats[k]);
			aws_params_add(p, "MetricDataQueries.member.%d."
			    "ReturnData=true", n);
		}
	}
	iso8601(start, sizeof(start), q->start);
	iso8601(end, sizeof(end), q->end);
	aws_params_add(p, "StartTime=%s", start);
	aws_params_add(p, "EndTime=%s", end);
	aws_params_add(p, "ScanBy=TimestampDescending");
	return call_start(c);
}

struct cw_call *
cw_describe_alarms(struct aws *a, const char *const *names, size_t n,
    cw_alarms_cb cb, void *arg)
{
	struct cw_call	*c;
	size_t		 i;

	if (n == 0 || n > CW_MAX_ALARMS || names == NULL) {
		log_warnx("cloudwatch: DescribeAlarms: refused: %zu alarm "
		    "names (1..%d)", n, CW_MAX_ALARMS);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (names[i] == NULL || names[i][0] == '\0') {
			log_warnx("cloudwatch: DescribeAlarms: refused: alarm "
			    "name %zu is empty", i + 1);
			return NULL;
		}
	c = aws_op_new(a, &cw_op, "DescribeAlarms", K_ALARMS, arg);
	c->cb.alarms = cb;
	c->found = xcalloc(1, sizeof(*c->found));
	c->names = xcalloc(n, sizeof(*c->names));
	for (i = 0; i < n; i++) {
		c->names[i] = xstrdup(names[i]);
		c->nnames++;
		aws_params_add(&c->op.params, "AlarmNames.member.%zu=%s", i + 1,
		    names[i]);
	}
	/* Without AlarmTypes only metric alarms are described. */
	aws_params_add(&c->op.params, "AlarmTypes.member.1=MetricAlarm");
	aws_params_add(&c->op.params, "AlarmTypes.member.2=CompositeAlarm");
	aws_params_add(&c->op.params, "MaxRecords=100");
	return call_start(c);
}
