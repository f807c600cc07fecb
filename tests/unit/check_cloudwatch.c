/*
 * check_cloudwatch: lib/cloudwatch.c. The parsers read answers written by
 * hand after the CloudWatch API reference's examples (pages with
 * PartialData and NextToken, Messages, alarms of both kinds). The calls
 * run against tests/fakes/fakeaws.py in front of moto (started once by
 * the parent process with --spawn-moto and stopped at the end, also on
 * signals): it checks every signature, and its /_fake/metrics makes
 * GetMetricData answer the values a test gives, which moto cannot. An
 * in-process evhttp server answers what neither will: several pages, and
 * odd XML; and it keeps what the client sent.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "aws-creds.h"
#include "aws.h"
#include "awstest.h"
#include "cloudwatch.h"
#include "fakeaws.h"
#include "http.h"
#include "log.h"
#include "spawn.h"
#include "suite.h"

#define LB	"app/shop/50dc6c495c0c9188"
#define TG_DO	"targetgroup/do/73e2d6bc24d8a067"
#define TG_ECS	"targetgroup/ecs/0123456789abcdef"
#define MAX_PTS	16

static struct aws		*aws;
static struct answer		*srv;		/* awt.srv */

/* ---- fixtures ---- */

/* POST json to fakeaws's control API; it must answer 200. */
static void
fake_post(const char *path, const char *json)
{
	ck_assert_int_eq(spawn_request(fake_port, "POST", path, json, NULL,
	    NULL), 200);
}

/*
 * A query of the ALB and both target groups in one-minute periods over
 * the last span seconds, up to the last whole minute: which it returns.
 */
static int64_t
query_both(struct cw_alb_query *q, int64_t span)
{
	int64_t	end = (int64_t)time(NULL) / 60 * 60;

	memset(q, 0, sizeof(*q));
	q->load_balancer = LB;
	q->tg[CW_TG_DROPLET] = TG_DO;
	q->tg[CW_TG_ECS] = TG_ECS;
	q->period = 60;
	q->start = end - span;
	q->end = end;
	return end;
}

/* ---- what the callbacks saw, copied ---- */

struct got_series {
	char		id[16];
	char		status[32];
	int		st;
	size_t		n;
	struct cw_point	v[MAX_PTS];
};

struct got {
	struct awstest_calls	cb;
	int			asked[CW_NTG];
	struct got_series	s[CW_NTG][CW_NMETRICS];
	size_t			nalarms;
	char			name[4][64];
	char			state[4][32];
	int			ast[4];
	char			reason[4][128];
};

static void
got_metrics(struct got *g, const struct cw_alb_metrics *m)
{
	const struct cw_series	*s;
	struct got_series	*d;
	int			 t, k;
	size_t			 i;

	for (t = 0; t < CW_NTG; t++) {
		g->asked[t] = m->asked[t];
		for (k = 0; k < CW_NMETRICS; k++) {
			s = &m->s[t][k];
			d = &g->s[t][k];
			snprintf(d->id, sizeof(d->id), "%s",
			    s->id != NULL ? s->id : "");
			snprintf(d->status, sizeof(d->status), "%s",
			    s->status != NULL ? s->status : "");
			d->st = s->st;
			d->n = s->n;
			for (i = 0; i < s->n && i < MAX_PTS; i++)
				d->v[i] = s->v[i];
		}
	}
}

static void
metrics_cb(void *arg, const struct cw_alb_metrics *m, const struct api_err *e)
{
	struct got	*g = arg;

	if (awstest_failed(&g->cb, m, e))
		return;
	got_metrics(g, m);
}

static void
alarms_cb(void *arg, const struct cw_alarms *as, const struct api_err *e)
{
	struct got	*g = arg;
	size_t		 i;

	if (awstest_failed(&g->cb, as, e))
		return;
	g->nalarms = as->n;
	for (i = 0; i < as->n && i < 4; i++) {
		snprintf(g->name[i], 64, "%s", as->v[i].name);
		snprintf(g->state[i], 32, "%s",
		    as->v[i].state != NULL ? as->v[i].state : "");
		g->ast[i] = as->v[i].st;
		snprintf(g->reason[i], 128, "%s",
		    as->v[i].reason != NULL ? as->v[i].reason : "");
	}
}

/* ---- recorded answers ---- */

/* After the API reference: page 1 of 2, PartialData, a Message. */
static const char metric_page1_xml[] =
    "<GetMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/"
    "2010-08-01/\">\n"
    "  <GetMetricDataResult>\n"
    "    <MetricDataResults>\n"
    "      <member>\n"
    "        <Id>ecs_5xx</Id>\n"
    "        <Label>HTTPCode_Target_5XX_Count</Label>\n"
    "        <Timestamps>\n"
    "          <member>2024-05-01T12:04:00Z</member>\n"
    "          <member>2024-05-01T12:03:00Z</member>\n"
    "        </Timestamps>\n"
    "        <Values>\n"
    "          <member>3.0</member>\n"
    "          <member>0.0</member>\n"
    "        </Values>\n"
    "        <StatusCode>PartialData</StatusCode>\n"
    "      </member>\n"
    "      <member>\n"
    "        <Id>ecs_req</Id>\n"
    "        <Label>RequestCount</Label>\n"
    "        <Timestamps>\n"
    "          <member>2024-05-01T12:04:00.000Z</member>\n"
    "        </Timestamps>\n"
    "        <Values>\n"
    "          <member>1250</member>\n"
    "        </Values>\n"
    "        <StatusCode>Complete</StatusCode>\n"
    "      </member>\n"
    "      <member>\n"
    "        <Id>ecs_p99</Id>\n"
    "        <Label>TargetResponseTime</Label>\n"
    "        <Timestamps/>\n"
    "        <Values/>\n"
    "        <StatusCode>Complete</StatusCode>\n"
    "      </member>\n"
    "      <member>\n"
    "        <Id>someone_else</Id>\n"
    "        <Timestamps><member>2024-05-01T12:04:00Z</member></Timestamps>\n"
    "        <Values><member>9</member></Values>\n"
    "        <StatusCode>Complete</StatusCode>\n"
    "      </member>\n"
    "    </MetricDataResults>\n"
    "    <NextToken>tok-2</NextToken>\n"
    "    <Messages>\n"
    "      <member><Code>MaxDatapointsExceeded</Code>"
    "<Value>more to come</Value></member>\n"
    "    </Messages>\n"
    "  </GetMetricDataResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>a7c5b2e1-0d3f-4c8e-9b2a-1f6e3d9c8b7a</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</GetMetricDataResponse>\n";

/* Page 2: the rest of ecs_5xx (older), Complete; the others empty. */
static const char metric_page2_xml[] =
    "<GetMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/"
    "2010-08-01/\">"
    "<GetMetricDataResult><MetricDataResults>"
    "<member><Id>ecs_5xx</Id><Label>HTTPCode_Target_5XX_Count</Label>"
    "<Timestamps><member>2024-05-01T12:01:00Z</member>"
    "<member>2024-05-01T12:02:00Z</member></Timestamps>"
    "<Values><member>1.5</member><member>7</member></Values>"
    "<StatusCode>Complete</StatusCode></member>"
    "<member><Id>ecs_req</Id><Timestamps/><Values/>"
    "<StatusCode>Complete</StatusCode></member>"
    "<member><Id>ecs_p99</Id><Timestamps/><Values/>"
    "<StatusCode>Complete</StatusCode></member>"
    "</MetricDataResults><Messages/></GetMetricDataResult>"
    "<ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata>"
    "</GetMetricDataResponse>";

/* After the API reference's DescribeAlarms answer, trimmed. */
static const char alarms_xml[] =
    "<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/"
    "2010-08-01/\">\n"
    "  <DescribeAlarmsResult>\n"
    "    <MetricAlarms>\n"
    "      <member>\n"
    "        <AlarmName>shop-5xx</AlarmName>\n"
    "        <AlarmArn>arn:aws:cloudwatch:us-east-1:123456789012:alarm:"
    "shop-5xx</AlarmArn>\n"
    "        <StateValue>ALARM</StateValue>\n"
    "        <StateReason>Threshold Crossed: 1 datapoint [12.0 "
    "(01/05/24 12:04:00)] was greater than the threshold (5.0).</StateReason>\n"
    "        <MetricName>HTTPCode_Target_5XX_Count</MetricName>\n"
    "        <Namespace>AWS/ApplicationELB</Namespace>\n"
    "        <Dimensions><member><Name>LoadBalancer</Name>"
    "<Value>" LB "</Value></member></Dimensions>\n"
    "      </member>\n"
    "      <member>\n"
    "        <AlarmName>shop-latency</AlarmName>\n"
    "        <StateValue>INSUFFICIENT_DATA</StateValue>\n"
    "        <StateReason>Unchecked: Initial alarm creation</StateReason>\n"
    "      </member>\n"
    "    </MetricAlarms>\n"
    "    <CompositeAlarms>\n"
    "      <member>\n"
    "        <AlarmName>shop-any</AlarmName>\n"
    "        <AlarmRule>ALARM(shop-5xx) OR ALARM(shop-latency)</AlarmRule>\n"
    "        <StateValue>OK</StateValue>\n"
    "      </member>\n"
    "    </CompositeAlarms>\n"
    "  </DescribeAlarmsResult>\n"
    "  <ResponseMetadata><RequestId>r3</RequestId></ResponseMetadata>\n"
    "</DescribeAlarmsResponse>\n";

static const struct cw_alb_query ecs_only = {
	.load_balancer = LB,
	.tg = { NULL, TG_ECS },
	.period = 60,
	.start = 1714564800,		/* 2024-05-01T12:00:00Z */
	.end = 1714565100,
};

START_TEST(parse_recorded_metric_pages)
{
	struct cw_alb_metrics	*m;
	struct cw_series	*s;
	struct cw_point		 p;
	xmlDoc			*d1, *d2;
	char			*token, why[256];

	d1 = awstest_doc(metric_page1_xml);
	d2 = awstest_doc(metric_page2_xml);
	m = cw_alb_metrics_new(&ecs_only);
	ck_assert_int_eq(m->asked[CW_TG_DROPLET], 0);
	ck_assert_int_eq(m->asked[CW_TG_ECS], 1);
	ck_assert_int_eq(cw_parse_metric_data(d1, m, &token, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(token, "tok-2");
	free(token);
	s = &m->s[CW_TG_ECS][CW_M_5XX];
	ck_assert_int_eq(s->st, CW_ST_PARTIAL);
	ck_assert_uint_eq(s->n, 2);
	ck_assert_int_eq(cw_parse_metric_data(d2, m, &token, why,
	    sizeof(why)), 0);
	ck_assert_ptr_null(token);
	ck_assert_int_eq(cw_alb_metrics_finish(m, why, sizeof(why)), 0);

	/* Merged across the pages, newest first, whatever order came. */
	ck_assert_str_eq(s->id, "ecs_5xx");
	ck_assert_str_eq(s->status, "Complete");
	ck_assert_int_eq(s->st, CW_ST_COMPLETE);
	ck_assert_uint_eq(s->n, 4);
	ck_assert_int_eq(s->v[0].ts, 1714565040);
	ck_assert(s->v[0].value == 3.0);
	ck_assert_int_eq(s->v[1].ts, 1714564980);
	ck_assert(s->v[1].value == 0.0);
	ck_assert_int_eq(s->v[2].ts, 1714564920);
	ck_assert(s->v[2].value == 7.0);
	ck_assert_int_eq(s->v[3].ts, 1714564860);
	ck_assert(s->v[3].value == 1.5);
	ck_assert_int_eq(cw_series_latest(s, &p), 0);
	ck_assert(p.value == 3.0);

	s = &m->s[CW_TG_ECS][CW_M_REQUESTS];
	ck_assert_uint_eq(s->n, 1);
	ck_assert_int_eq(s->v[0].ts, 1714565040);	/* fractional secs */
	ck_assert(s->v[0].value == 1250.0);

	/* No data stays no data: not a zero. */
	s = &m->s[CW_TG_ECS][CW_M_P99];
	ck_assert_uint_eq(s->n, 0);
	ck_assert_int_eq(s->st, CW_ST_COMPLETE);
	ck_assert_int_eq(cw_series_latest(s, &p), -1);
	/* Not asked: nothing there. */
	ck_assert_ptr_null(m->s[CW_TG_DROPLET][CW_M_5XX].id);
	ck_assert_uint_eq(m->s[CW_TG_DROPLET][CW_M_5XX].n, 0);
	cw_alb_metrics_free(m);
	xmlFreeDoc(d1);
	xmlFreeDoc(d2);
}
END_TEST

START_TEST(parse_odd_metric_answers)
{
	struct cw_alb_metrics	*m;
	xmlDoc			*d;
	char			 why[256];
	size_t			 i;
	static const char *const bad[] = {
		/* not a *Result */
		"<GetMetricDataResponse><Nothing/></GetMetricDataResponse>",
		/* no MetricDataResults */
		"<R><GetMetricDataResult/></R>",
		/* counts differ */
		"<R><GetMetricDataResult><MetricDataResults><member>"
		"<Id>ecs_5xx</Id><Timestamps><member>2024-05-01T12:00:00Z"
		"</member></Timestamps><Values/><StatusCode>Complete"
		"</StatusCode></member></MetricDataResults>"
		"</GetMetricDataResult></R>",
		/* bad timestamp */
		"<R><GetMetricDataResult><MetricDataResults><member>"
		"<Id>ecs_5xx</Id><Timestamps><member>yesterday</member>"
		"</Timestamps><Values><member>1</member></Values><StatusCode>"
		"Complete</StatusCode></member></MetricDataResults>"
		"</GetMetricDataResult></R>",
		/* bad value */
		"<R><GetMetricDataResult><MetricDataResults><member>"
		"<Id>ecs_5xx</Id><Timestamps><member>2024-05-01T12:00:00Z"
		"</member></Timestamps><Values><member>NaN</member></Values>"
		"<StatusCode>Complete</StatusCode></member>"
		"</MetricDataResults></GetMetricDataResult></R>",
		/* no StatusCode */
		"<R><GetMetricDataResult><MetricDataResults><member>"
		"<Id>ecs_5xx</Id><Timestamps/><Values/></member>"
		"</MetricDataResults></GetMetricDataResult></R>",
		/* no Id */
		"<R><GetMetricDataResult><MetricDataResults><member>"
		"<Timestamps/><Values/><StatusCode>Complete</StatusCode>"
		"</member></MetricDataResults></GetMetricDataResult></R>",
	};

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = awstest_doc(bad[i]);
		m = cw_alb_metrics_new(&ecs_only);
		why[0] = '\0';
		ck_assert_msg(cw_parse_metric_data(d, m, NULL, why,
		    sizeof(why)) == -1, "answer %zu taken", i);
		ck_assert_msg(why[0] != '\0', "answer %zu: no reason", i);
		cw_alb_metrics_free(m);
		xmlFreeDoc(d);
	}

	/* A query left unanswered is not "no data": finish refuses. */
	d = awstest_doc("<R><GetMetricDataResult><MetricDataResults><member>"
	    "<Id>ecs_5xx</Id><Timestamps/><Values/><StatusCode>Complete"
	    "</StatusCode></member></MetricDataResults>"
	    "</GetMetricDataResult></R>");
	m = cw_alb_metrics_new(&ecs_only);
	ck_assert_int_eq(cw_parse_metric_data(d, m, NULL, why, sizeof(why)),
	    0);
	ck_assert_int_eq(cw_alb_metrics_finish(m, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "ecs_req"));
	cw_alb_metrics_free(m);
	xmlFreeDoc(d);

	/* Unknown status codes are told apart. */
	ck_assert_int_eq(cw_status_parse("Forbidden"), CW_ST_FORBIDDEN);
	ck_assert_int_eq(cw_status_parse("InternalError"),
	    CW_ST_INTERNAL_ERROR);
	ck_assert_int_eq(cw_status_parse("Sideways"), CW_ST_OTHER);
	ck_assert_int_eq(cw_status_parse(NULL), CW_ST_OTHER);
}
END_TEST

START_TEST(parse_recorded_alarms)
{
	struct cw_alarms	*as;
	xmlDoc			*d;
	char			*token, why[256];

	d = awstest_doc(alarms_xml);
	ck_assert_ptr_nonnull(as = cw_parse_alarms(d, &token, why,
	    sizeof(why)));
	ck_assert_ptr_null(token);
	ck_assert_uint_eq(as->n, 3);
	ck_assert_str_eq(as->v[0].name, "shop-5xx");
	ck_assert_int_eq(as->v[0].st, CW_AL_ALARM);
	ck_assert_ptr_nonnull(strstr(as->v[0].reason, "Threshold Crossed"));
	ck_assert_str_eq(as->v[1].name, "shop-latency");
	ck_assert_int_eq(as->v[1].st, CW_AL_INSUFFICIENT_DATA);
	ck_assert_str_eq(as->v[2].name, "shop-any");
	ck_assert_int_eq(as->v[2].st, CW_AL_OK);
	ck_assert_ptr_null(as->v[2].reason);
	cw_alarms_free(as);
	xmlFreeDoc(d);

	d = awstest_doc("<R><DescribeAlarmsResult/></R>");
	ck_assert_ptr_null(cw_parse_alarms(d, NULL, why, sizeof(why)));
	xmlFreeDoc(d);
	d = awstest_doc("<R><DescribeAlarmsResult><MetricAlarms><member>"
	    "<AlarmName>x</AlarmName></member></MetricAlarms>"
	    "</DescribeAlarmsResult></R>");
	ck_assert_ptr_null(cw_parse_alarms(d, NULL, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "StateValue"));
	xmlFreeDoc(d);
	ck_assert_str_eq(cw_alarm_state_name(CW_AL_INSUFFICIENT_DATA),
	    "INSUFFICIENT_DATA");
	ck_assert_int_eq(cw_alarm_state_parse("OK"), CW_AL_OK);
	ck_assert_int_eq(cw_alarm_state_parse("ok"), CW_AL_OTHER);
}
END_TEST

START_TEST(query_checks)
{
	struct cw_alb_query	q = ecs_only;
	char			why[256];
	const char		*names[] = { "a" };

	ck_assert_int_eq(cw_alb_query_check(&q, why, sizeof(why)), 0);
	q.tg[CW_TG_DROPLET] = TG_DO;
	ck_assert_int_eq(cw_alb_query_check(&q, why, sizeof(why)), 0);
	q.tg[CW_TG_DROPLET] = "arn:aws:elasticloadbalancing:x:targetgroup/do";
	ck_assert_int_eq(cw_alb_query_check(&q, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "targetgroup/NAME/ID"));
	q = ecs_only;
	q.tg[CW_TG_ECS] = NULL;
	ck_assert_int_eq(cw_alb_query_check(&q, why, sizeof(why)), -1);
	q = ecs_only;
	q.load_balancer = "shop";
	ck_assert_int_eq(cw_alb_query_check(&q, why, sizeof(why)), -1);
	q = ecs_only;
	q.period = 45;
	ck_assert_int_eq(cw_alb_query_check(&q, why, sizeof(why)), -1);
	q.period = 300;
	ck_assert_int_eq(cw_alb_query_check(&q, why, sizeof(why)), 0);
	q.end = q.start;
	ck_assert_int_eq(cw_alb_query_check(&q, why, sizeof(why)), -1);
	ck_assert_int_eq(cw_alb_query_check(NULL, why, sizeof(why)), -1);

	/* Refused calls send nothing and return NULL. */
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_null(cw_get_alb_metrics(aws, &q, metrics_cb, NULL));
	ck_assert_ptr_null(cw_describe_alarms(aws, names, 0, alarms_cb,
	    NULL));
	ck_assert_ptr_null(cw_describe_alarms(aws, names, CW_MAX_ALARMS + 1,
	    alarms_cb, NULL));
	ck_assert_str_eq(cw_query_id(CW_TG_DROPLET, CW_M_P99), "do_p99");
	ck_assert_str_eq(cw_metric_name(CW_M_5XX),
	    "HTTPCode_Target_5XX_Count");
	ck_assert_str_eq(cw_metric_stat(CW_M_P99), "p99");
}
END_TEST

/* ---- the in-process server ---- */

START_TEST(pages_followed_and_request_sent)
{
	struct cw_alb_query	q = ecs_only;
	struct got		g = { 0 };

	answer_say(srv, metric_page1_xml, metric_page2_xml, NULL);
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_nonnull(cw_get_alb_metrics(aws, &q, metrics_cb, &g));
	awstest_run(&g.cb.n, 1, 5000);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_int_eq(srv->n, 2);
	ck_assert_uint_eq(g.s[CW_TG_ECS][CW_M_5XX].n, 4);
	ck_assert_str_eq(g.s[CW_TG_ECS][CW_M_5XX].status, "Complete");
	ck_assert_uint_eq(g.s[CW_TG_ECS][CW_M_P99].n, 0);
	ck_assert_int_eq(g.asked[CW_TG_DROPLET], 0);

	/* What was sent: one query per metric, ISO times, descending. */
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "Action=GetMetricData"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body, "Version=2010-08-01"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.1.Id=ecs_5xx"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.3.Id=ecs_p99"));
	ck_assert_ptr_null(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.4"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.3.MetricStat.Stat=p99"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.1.MetricStat.Metric.Namespace="
	    "AWS%2FApplicationELB"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.2.MetricStat.Metric.MetricName="
	    "RequestCount"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.2.MetricStat.Metric.Dimensions.member.1."
	    "Value=targetgroup%2Fecs%2F0123456789abcdef"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.2.MetricStat.Metric.Dimensions.member.2."
	    "Value=app%2Fshop%2F50dc6c495c0c9188"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.1.MetricStat.Period=60"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "MetricDataQueries.member.1.ReturnData=true"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "StartTime=2024-05-01T12%3A00%3A00Z"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "EndTime=2024-05-01T12%3A05%3A00Z"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "ScanBy=TimestampDescending"));
	ck_assert_ptr_null(strstr(srv->seen[0].body, "NextToken"));
	ck_assert_ptr_nonnull(strstr(srv->seen[1].body, "&NextToken=tok-2"));
	ck_assert_ptr_nonnull(strstr(srv->seen[1].body,
	    "MetricDataQueries.member.3.Id=ecs_p99"));
}
END_TEST

START_TEST(odd_answer_is_error)
{
	struct cw_alb_query	 q = ecs_only;
	const char		*names[] = { "a" };
	struct got		 g = { 0 }, a = { 0 };

	answer_say(srv, "<GetMetricDataResponse><Nothing/>"
	    "</GetMetricDataResponse>", NULL);
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_nonnull(cw_get_alb_metrics(aws, &q, metrics_cb, &g));
	ck_assert_ptr_nonnull(cw_describe_alarms(aws, names, 1, alarms_cb,
	    &a));
	awstest_wait_err(&g.cb, "GetMetricData", "UnexpectedAnswer");
	awstest_wait_err(&a.cb, "DescribeAlarms", "UnexpectedAnswer");
}
END_TEST

START_TEST(cancel_calls_nothing)
{
	struct cw_alb_query	 q = ecs_only;
	const char		*names[] = { "a", "b" };
	struct cw_call		*c, *c2;
	struct got		 g = { 0 }, a = { 0 };

	answer_say(srv, metric_page1_xml, NULL);
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_nonnull(c = cw_get_alb_metrics(aws, &q, metrics_cb,
	    &g));
	ck_assert_ptr_nonnull(c2 = cw_describe_alarms(aws, names, 2,
	    alarms_cb, &a));
	cw_cancel(c);
	cw_cancel(NULL);
	/* The other call ends with aws_free(), without its callback. */
	awstest_drop();
	ck_assert_int_eq(g.cb.n, 0);
	ck_assert_int_eq(a.cb.n, 0);
	(void)c2;
}
END_TEST

/* ---- fakeaws.py in front of moto ---- */

START_TEST(fake_metrics_read_back)
{
	struct cw_alb_query	 q;
	struct got		 g = { 0 };
	struct got_series	*s;
	int64_t			 end;
	size_t			 i;

	ck_assert_msg(fake_port > 0, "fakeaws.py is not running");
	fake_post("/_fake/reset", "{}");
	fake_post("/_fake/metrics", "{\"values\": {"
	    "\"HTTPCode_Target_5XX_Count\": {\"" TG_ECS "\": [3, 0, null, 1],"
	    " \"" TG_DO "\": [0, 0, 0]},"
	    "\"RequestCount\": {\"" TG_ECS "\": [100, 90, 80, 70, 60],"
	    " \"" TG_DO "\": [5000, 4900]},"
	    "\"TargetResponseTime\": {\"" TG_ECS "\": {\"p95\": [0.2],"
	    " \"p99\": [0.4, 0.25]}}}}");
	ck_assert_ptr_nonnull(aws = awstest_aws(fake_port));
	end = query_both(&q, 600);
	ck_assert_ptr_nonnull(cw_get_alb_metrics(aws, &q, metrics_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.n, 1);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);

	/* ECS 5xx: newest first, one period apart, the null missing. */
	s = &g.s[CW_TG_ECS][CW_M_5XX];
	ck_assert_str_eq(s->id, "ecs_5xx");
	ck_assert_int_eq(s->st, CW_ST_COMPLETE);
	ck_assert_uint_eq(s->n, 3);
	ck_assert_int_eq(s->v[0].ts, end - 60);
	ck_assert(s->v[0].value == 3.0);
	ck_assert_int_eq(s->v[1].ts, end - 120);
	ck_assert(s->v[1].value == 0.0);
	ck_assert_int_eq(s->v[2].ts, end - 240);
	ck_assert(s->v[2].value == 1.0);

	s = &g.s[CW_TG_ECS][CW_M_REQUESTS];
	ck_assert_str_eq(s->id, "ecs_req");
	ck_assert_uint_eq(s->n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(s->v[i].ts, end - 60 * (int64_t)(i + 1));
		ck_assert(s->v[i].value == 100.0 - 10.0 * (double)i);
	}

	/* p99, not p95. */
	s = &g.s[CW_TG_ECS][CW_M_P99];
	ck_assert_str_eq(s->id, "ecs_p99");
	ck_assert_uint_eq(s->n, 2);
	ck_assert(s->v[0].value == 0.4);
	ck_assert(s->v[1].value == 0.25);
	ck_assert_int_eq(s->v[1].ts, end - 120);

	s = &g.s[CW_TG_DROPLET][CW_M_5XX];
	ck_assert_str_eq(s->id, "do_5xx");
	ck_assert_uint_eq(s->n, 3);
	ck_assert(s->v[2].value == 0.0);
	s = &g.s[CW_TG_DROPLET][CW_M_REQUESTS];
	ck_assert_str_eq(s->id, "do_req");
	ck_assert_uint_eq(s->n, 2);
	ck_assert(s->v[0].value == 5000.0);
	ck_assert_int_eq(s->v[0].ts, end - 60);
	/* Nothing injected for the droplets' latency: no data, not 0. */
	s = &g.s[CW_TG_DROPLET][CW_M_P99];
	ck_assert_str_eq(s->id, "do_p99");
	ck_assert_str_eq(s->status, "Complete");
	ck_assert_uint_eq(s->n, 0);
	fake_post("/_fake/reset", "{}");
}
END_TEST

START_TEST(fake_no_data)
{
	struct cw_alb_query	 q;
	struct got		 g = { 0 };
	int			 t, k;

	ck_assert_msg(fake_port > 0, "fakeaws.py is not running");
	/* No values: GetMetricData goes to moto, which has none for ALBs. */
	fake_post("/_fake/reset", "{}");
	ck_assert_ptr_nonnull(aws = awstest_aws(fake_port));
	query_both(&q, 300);
	ck_assert_ptr_nonnull(cw_get_alb_metrics(aws, &q, metrics_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.n, 1);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	for (t = 0; t < CW_NTG; t++) {
		ck_assert_int_eq(g.asked[t], 1);
		for (k = 0; k < CW_NMETRICS; k++) {
			ck_assert_str_eq(g.s[t][k].id,
			    cw_query_id((enum cw_tg)t, (enum cw_metric)k));
			ck_assert_msg(g.s[t][k].n == 0, "%s: %zu points",
			    g.s[t][k].id, g.s[t][k].n);
		}
	}
}
END_TEST

START_TEST(fake_alarms)
{
	const char *const	 put[] = { "AlarmName=shop-5xx",
				    "MetricName=HTTPCode_Target_5XX_Count",
				    "Namespace=AWS/ApplicationELB",
				    "Statistic=Sum", "Period=60",
				    "EvaluationPeriods=1", "Threshold=5",
				    "ComparisonOperator=GreaterThanThreshold",
				    "Dimensions.member.1.Name=LoadBalancer",
				    "Dimensions.member.1.Value=" LB, NULL };
	const char *const	 put2[] = { "AlarmName=shop-latency",
				    "MetricName=TargetResponseTime",
				    "Namespace=AWS/ApplicationELB",
				    "ExtendedStatistic=p99", "Period=60",
				    "EvaluationPeriods=1", "Threshold=1",
				    "ComparisonOperator=GreaterThanThreshold",
				    NULL };
	const char *const	 set[] = { "AlarmName=shop-5xx",
				    "StateValue=ALARM",
				    "StateReason=5xx over 5 & rising", NULL };
	const char		*names[] = { "shop-5xx", "no-such-alarm",
				    "shop-latency" };
	struct awstest_raw	 r = { 0 }, r2 = { 0 }, r3 = { 0 };
	struct got		 g = { 0 };

	ck_assert_msg(fake_port > 0, "fakeaws.py is not running");
	fake_post("/_fake/reset", "{}");
	ck_assert_ptr_nonnull(aws = awstest_aws(fake_port));
	ck_assert_ptr_nonnull(aws_query(aws, &aws_cloudwatch,
	    "PutMetricAlarm", put, awstest_raw_cb, &r));
	ck_assert_ptr_nonnull(aws_query(aws, &aws_cloudwatch,
	    "PutMetricAlarm", put2, awstest_raw_cb, &r2));
	awstest_raw_wait(&r, "PutMetricAlarm");
	awstest_raw_wait(&r2, "PutMetricAlarm");
	ck_assert_ptr_nonnull(aws_query(aws, &aws_cloudwatch,
	    "SetAlarmState", set, awstest_raw_cb, &r3));
	awstest_raw_wait(&r3, "SetAlarmState");
	awstest_raw_clear(&r);
	awstest_raw_clear(&r2);
	awstest_raw_clear(&r3);

	ck_assert_ptr_nonnull(cw_describe_alarms(aws, names, 3, alarms_cb,
	    &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_int_eq(g.cb.n, 1);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	/* In the order asked, the unknown one said to be unknown. */
	ck_assert_uint_eq(g.nalarms, 3);
	ck_assert_str_eq(g.name[0], "shop-5xx");
	ck_assert_int_eq(g.ast[0], CW_AL_ALARM);
	ck_assert_str_eq(g.state[0], "ALARM");
	ck_assert_str_eq(g.reason[0], "5xx over 5 & rising");
	ck_assert_str_eq(g.name[1], "no-such-alarm");
	ck_assert_int_eq(g.ast[1], CW_AL_NOT_FOUND);
	ck_assert_str_eq(g.state[1], "");
	ck_assert_str_eq(g.name[2], "shop-latency");
	ck_assert_msg(g.ast[2] == CW_AL_OK ||
	    g.ast[2] == CW_AL_INSUFFICIENT_DATA, "shop-latency: %s",
	    g.state[2]);
}
END_TEST

/* A signature fakeaws refuses: the error names the operation. */
START_TEST(fake_error_names_operation)
{
	struct aws_creds_src	*saved = awt.creds;
	struct aws_creds_opts	 co;
	const char *const	 env_wrong[] = { "AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
				    "AWS_SECRET_ACCESS_KEY=not-the-secret",
				    "AWS_EC2_METADATA_DISABLED=true", NULL };
	struct cw_alb_query	 q = ecs_only;
	struct got		 g = { 0 };

	ck_assert_msg(fake_port > 0, "fakeaws.py is not running");
	memset(&co, 0, sizeof(co));
	co.env = (char *const *)env_wrong;
	co.home = awt.home;
	ck_assert_ptr_nonnull(awt.creds = aws_creds_new(awt.base, awt.h, &co));
	ck_assert_ptr_nonnull(aws = awstest_aws(fake_port));
	ck_assert_ptr_nonnull(cw_get_alb_metrics(aws, &q, metrics_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	awstest_err_is(&g.cb, "GetMetricData", "SignatureDoesNotMatch");
	ck_assert_int_eq(g.cb.status, 403);
	aws_free(aws);
	aws = NULL;
	aws_creds_free(awt.creds);
	awt.creds = saved;
}
END_TEST

int
main(void)
{
	const TTest	*local[] = {
		parse_recorded_metric_pages, parse_odd_metric_answers,
		parse_recorded_alarms, query_checks,
		pages_followed_and_request_sent, odd_answer_is_error,
		cancel_calls_nothing, NULL
	};
	const TTest	*fake[] = {
		fake_metrics_read_back, fake_no_data, fake_alarms,
		fake_error_names_operation, NULL
	};

	awstest_init("check_cloudwatch", awstest_env_example, "text/xml", &aws,
	    &srv, "monitoring", NULL);
	return suite_client_main("cloudwatch", "CLOUDWATCH_DEBUG",
	    &fakeaws_server, awstest_setup, awstest_teardown, local,
	    awstest_setup, fake);
}
