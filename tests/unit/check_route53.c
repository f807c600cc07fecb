/*
 * check_route53: lib/route53.c. The parsers read answers written by hand
 * after the Route 53 API reference's examples (a PENDING change, record
 * sets with two values, an alias, a weighted set, an escaped wildcard
 * name, a listing that starts past the name asked for); the change batch
 * is read back with libxml2 to show it is escaped. The calls run against
 * moto behind tests/fakes/fakeaws.py (started once by the parent process
 * with --spawn-moto and stopped at the end, also on signals), which
 * checks every signature, the query strings of GETs included; each test
 * makes its own hosted zone through lib/aws. An in-process evhttp server
 * answers odd XML and keeps what the client sent.
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
#include "fakeaws.h"
#include "http.h"
#include "log.h"
#include "route53.h"
#include "suite.h"

static struct aws		*aws;
static struct answer		*srv;		/* awt.srv */

/* ---- fixtures ---- */

/* ---- what the callbacks saw, copied ---- */

struct got {
	struct awstest_calls	cb;
	/* change */
	char	id[64], chstatus[32];
	int	st;
	/* record */
	int	found;
	char	name[128], type[16];
	long	ttl;
	size_t	nvalues;
	char	values[4][128];
	int	alias;
	char	set_id[64];
};

static void
change_cb(void *arg, const struct r53_change *c, const struct api_err *e)
{
	struct got	*g = arg;

	if (awstest_failed(&g->cb, c, e))
		return;
	snprintf(g->id, sizeof(g->id), "%s", c->id);
	snprintf(g->chstatus, sizeof(g->chstatus), "%s", c->status);
	g->st = c->st;
}

static void
record_cb(void *arg, const struct r53_record *r, const struct api_err *e)
{
	struct got	*g = arg;
	size_t		 i;

	if (awstest_failed(&g->cb, r, e))
		return;
	g->found = r->found;
	snprintf(g->name, sizeof(g->name), "%s", r->name);
	snprintf(g->type, sizeof(g->type), "%s", r->type);
	g->ttl = (long)r->ttl;
	g->nvalues = r->nvalues;
	for (i = 0; i < r->nvalues && i < 4; i++)
		snprintf(g->values[i], sizeof(g->values[i]), "%s",
		    r->values[i]);
	g->alias = r->alias;
	snprintf(g->set_id, sizeof(g->set_id), "%s",
	    r->set_identifier != NULL ? r->set_identifier : "");
}

/* ---- recorded answers ---- */

static const char change_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ChangeResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/"
    "doc/2013-04-01/\">\n"
    "   <ChangeInfo>\n"
    "      <Comment>writer to RDS</Comment>\n"
    "      <Id>/change/C2682N5HXP0BZ4</Id>\n"
    "      <Status>PENDING</Status>\n"
    "      <SubmittedAt>2024-05-01T12:00:00.000Z</SubmittedAt>\n"
    "   </ChangeInfo>\n"
    "</ChangeResourceRecordSetsResponse>\n";

static const char get_change_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<GetChangeResponse xmlns=\"https://route53.amazonaws.com/doc/"
    "2013-04-01/\">\n"
    "   <ChangeInfo>\n"
    "      <Id>C2682N5HXP0BZ4</Id>\n"
    "      <Status>INSYNC</Status>\n"
    "      <SubmittedAt>2024-05-01T12:00:00.000Z</SubmittedAt>\n"
    "   </ChangeInfo>\n"
    "</GetChangeResponse>\n";

static const char list_a_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/"
    "doc/2013-04-01/\">\n"
    "   <ResourceRecordSets>\n"
    "      <ResourceRecordSet>\n"
    "         <Name>db.Example.com.</Name>\n"
    "         <Type>A</Type>\n"
    "         <TTL>5</TTL>\n"
    "         <ResourceRecords>\n"
    "            <ResourceRecord><Value>10.0.0.5</Value></ResourceRecord>\n"
    "            <ResourceRecord><Value>10.0.0.6</Value></ResourceRecord>\n"
    "         </ResourceRecords>\n"
    "      </ResourceRecordSet>\n"
    "   </ResourceRecordSets>\n"
    "   <IsTruncated>true</IsTruncated>\n"
    "   <MaxItems>1</MaxItems>\n"
    "   <NextRecordName>www.example.com.</NextRecordName>\n"
    "   <NextRecordType>A</NextRecordType>\n"
    "</ListResourceRecordSetsResponse>\n";

/* The listing starts past the name: what comes is the next record. */
static const char list_next_xml[] =
    "<ListResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/"
    "doc/2013-04-01/\"><ResourceRecordSets><ResourceRecordSet>"
    "<Name>www.example.com.</Name><Type>A</Type><TTL>300</TTL>"
    "<ResourceRecords><ResourceRecord><Value>192.0.2.1</Value>"
    "</ResourceRecord></ResourceRecords></ResourceRecordSet>"
    "</ResourceRecordSets><IsTruncated>false</IsTruncated>"
    "<MaxItems>1</MaxItems></ListResourceRecordSetsResponse>";

static const char list_empty_xml[] =
    "<ListResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/"
    "doc/2013-04-01/\"><ResourceRecordSets/><IsTruncated>false"
    "</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>";

static const char list_alias_xml[] =
    "<ListResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/"
    "doc/2013-04-01/\"><ResourceRecordSets><ResourceRecordSet>"
    "<Name>\\052.example.com.</Name><Type>A</Type>"
    "<AliasTarget><HostedZoneId>Z35SXDOTRQ7X7K</HostedZoneId>"
    "<DNSName>shop-123.us-east-1.elb.amazonaws.com.</DNSName>"
    "<EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>"
    "</ResourceRecordSet></ResourceRecordSets><IsTruncated>false"
    "</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>";

static const char list_weighted_xml[] =
    "<ListResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/"
    "doc/2013-04-01/\"><ResourceRecordSets><ResourceRecordSet>"
    "<Name>db.example.com.</Name><Type>CNAME</Type>"
    "<SetIdentifier>blue</SetIdentifier><Weight>100</Weight><TTL>60</TTL>"
    "<ResourceRecords><ResourceRecord><Value>src.example.com</Value>"
    "</ResourceRecord></ResourceRecords></ResourceRecordSet>"
    "</ResourceRecordSets><IsTruncated>true</IsTruncated>"
    "<MaxItems>1</MaxItems></ListResourceRecordSetsResponse>";

START_TEST(parse_recorded_changes)
{
	struct r53_change	*c;
	xmlDoc			*d;
	char			 why[256];
	size_t			 i;
	static const char *const bad[] = {
		"<ChangeResourceRecordSetsResponse/>",
		"<GetChangeResponse><ChangeInfo><Status>INSYNC</Status>"
		"</ChangeInfo></GetChangeResponse>",
		"<GetChangeResponse><ChangeInfo><Id>/change/C1</Id>"
		"</ChangeInfo></GetChangeResponse>",
		"<GetChangeResponse><ChangeInfo><Id>../../hostedzone</Id>"
		"<Status>INSYNC</Status></ChangeInfo></GetChangeResponse>",
	};

	d = awstest_doc(change_xml);
	ck_assert_ptr_nonnull(c = r53_parse_change(d, why, sizeof(why)));
	ck_assert_str_eq(c->id, "C2682N5HXP0BZ4");
	ck_assert_str_eq(c->status, "PENDING");
	ck_assert_int_eq(c->st, R53_CH_PENDING);
	ck_assert_str_eq(c->submitted_at, "2024-05-01T12:00:00.000Z");
	r53_change_free(c);
	xmlFreeDoc(d);

	d = awstest_doc(get_change_xml);
	ck_assert_ptr_nonnull(c = r53_parse_change(d, why, sizeof(why)));
	ck_assert_str_eq(c->id, "C2682N5HXP0BZ4");
	ck_assert_int_eq(c->st, R53_CH_INSYNC);
	r53_change_free(c);
	xmlFreeDoc(d);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = awstest_doc(bad[i]);
		why[0] = '\0';
		ck_assert_msg(r53_parse_change(d, why, sizeof(why)) == NULL,
		    "answer %zu taken", i);
		ck_assert_msg(why[0] != '\0', "answer %zu: no reason", i);
		xmlFreeDoc(d);
	}
	ck_assert_ptr_null(r53_parse_change(NULL, why, sizeof(why)));
	ck_assert_int_eq(r53_change_status_parse("DONE"), R53_CH_OTHER);
	r53_change_free(NULL);
	r53_record_free(NULL);
}
END_TEST

START_TEST(parse_recorded_records)
{
	struct r53_record	*r;
	xmlDoc			*d;
	char			 why[256];

	/* Name asked without the final dot, in another case. */
	d = awstest_doc(list_a_xml);
	ck_assert_ptr_nonnull(r = r53_parse_record(d, "DB.example.com", "A",
	    why, sizeof(why)));
	ck_assert_int_eq(r->found, 1);
	ck_assert_str_eq(r->name, "db.Example.com.");
	ck_assert_str_eq(r->type, "A");
	ck_assert_int_eq(r->ttl, 5);
	ck_assert_uint_eq(r->nvalues, 2);
	ck_assert_str_eq(r->values[0], "10.0.0.5");
	ck_assert_str_eq(r->values[1], "10.0.0.6");
	ck_assert_int_eq(r->alias, 0);
	ck_assert_ptr_null(r->set_identifier);
	r53_record_free(r);
	/* Same name, other type: not it. */
	ck_assert_ptr_nonnull(r = r53_parse_record(d, "db.example.com.",
	    "AAAA", why, sizeof(why)));
	ck_assert_int_eq(r->found, 0);
	ck_assert_str_eq(r->name, "db.example.com.");
	ck_assert_str_eq(r->type, "AAAA");
	ck_assert_uint_eq(r->nvalues, 0);
	r53_record_free(r);
	xmlFreeDoc(d);

	d = awstest_doc(list_next_xml);
	ck_assert_ptr_nonnull(r = r53_parse_record(d, "db.example.com", "A",
	    why, sizeof(why)));
	ck_assert_int_eq(r->found, 0);
	ck_assert_int_eq(r->ttl, -1);
	r53_record_free(r);
	xmlFreeDoc(d);

	d = awstest_doc(list_empty_xml);
	ck_assert_ptr_nonnull(r = r53_parse_record(d, "db.example.com", "A",
	    why, sizeof(why)));
	ck_assert_int_eq(r->found, 0);
	r53_record_free(r);
	xmlFreeDoc(d);

	/* An alias: no TTL, no values; "\052" is '*'. */
	d = awstest_doc(list_alias_xml);
	ck_assert_ptr_nonnull(r = r53_parse_record(d, "*.example.com", "A",
	    why, sizeof(why)));
	ck_assert_int_eq(r->found, 1);
	ck_assert_int_eq(r->alias, 1);
	ck_assert_int_eq(r->ttl, -1);
	ck_assert_uint_eq(r->nvalues, 0);
	r53_record_free(r);
	xmlFreeDoc(d);

	d = awstest_doc(list_weighted_xml);
	ck_assert_ptr_nonnull(r = r53_parse_record(d, "db.example.com",
	    "CNAME", why, sizeof(why)));
	ck_assert_int_eq(r->found, 1);
	ck_assert_str_eq(r->set_identifier, "blue");
	ck_assert_int_eq(r->ttl, 60);
	r53_record_free(r);
	xmlFreeDoc(d);

	/* Wrong shapes. */
	d = awstest_doc("<GetChangeResponse/>");
	ck_assert_ptr_null(r53_parse_record(d, "a.", "A", why, sizeof(why)));
	xmlFreeDoc(d);
	d = awstest_doc("<ListResourceRecordSetsResponse><IsTruncated>false"
	    "</IsTruncated></ListResourceRecordSetsResponse>");
	ck_assert_ptr_null(r53_parse_record(d, "a.", "A", why, sizeof(why)));
	xmlFreeDoc(d);
	d = awstest_doc("<ListResourceRecordSetsResponse><ResourceRecordSets>"
	    "<ResourceRecordSet><Name>a.</Name><Type>A</Type><TTL>five</TTL>"
	    "<ResourceRecords><ResourceRecord><Value>10.0.0.1</Value>"
	    "</ResourceRecord></ResourceRecords></ResourceRecordSet>"
	    "</ResourceRecordSets></ListResourceRecordSetsResponse>");
	ck_assert_ptr_null(r53_parse_record(d, "a.", "A", why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "TTL"));
	xmlFreeDoc(d);
	d = awstest_doc("<ListResourceRecordSetsResponse><ResourceRecordSets>"
	    "<ResourceRecordSet><Name>a.</Name><Type>A</Type><TTL>5</TTL>"
	    "</ResourceRecordSet></ResourceRecordSets>"
	    "</ListResourceRecordSetsResponse>");
	ck_assert_ptr_null(r53_parse_record(d, "a.", "A", why, sizeof(why)));
	xmlFreeDoc(d);
}
END_TEST

START_TEST(change_batch_escaped)
{
	const char *const	 v[] = { "\"a<b & c>d\"", "\"x'y\"" };
	xmlDoc			*d;
	xmlNode			*root, *rrs, *recs, *rec;
	char			*xml, *t;

	ck_assert_ptr_nonnull(xml = r53_change_batch_xml("t&t.example.com.",
	    "TXT", 5, v, 2));
	ck_assert_ptr_nonnull(strstr(xml, "&lt;"));
	ck_assert_ptr_nonnull(strstr(xml, "&amp;"));
	ck_assert_ptr_null(strstr(xml, "a<b"));
	d = awstest_doc(xml);
	root = xmlDocGetRootElement(d);
	ck_assert_str_eq((const char *)root->name,
	    "ChangeResourceRecordSetsRequest");
	ck_assert_ptr_nonnull(root->ns);
	ck_assert_str_eq((const char *)root->ns->href, R53_XMLNS);
	ck_assert_ptr_nonnull(aws_xml_find(d, NULL, "ChangeBatch"));
	ck_assert_ptr_nonnull(aws_xml_find(d, NULL, "Changes"));
	t = aws_xml_text(d, NULL, "Action");
	ck_assert_str_eq(t, "UPSERT");
	free(t);
	ck_assert_ptr_nonnull(rrs = aws_xml_find(d, NULL,
	    "ResourceRecordSet"));
	t = aws_xml_text(d, rrs, "Name");
	ck_assert_str_eq(t, "t&t.example.com.");
	free(t);
	t = aws_xml_text(d, rrs, "Type");
	ck_assert_str_eq(t, "TXT");
	free(t);
	t = aws_xml_text(d, rrs, "TTL");
	ck_assert_str_eq(t, "5");
	free(t);
	ck_assert_ptr_nonnull(recs = aws_xml_find(d, rrs, "ResourceRecords"));
	rec = recs->children;
	ck_assert_ptr_nonnull(rec);
	t = aws_xml_text(d, rec, "Value");
	ck_assert_str_eq(t, v[0]);
	free(t);
	ck_assert_ptr_nonnull(rec = rec->next);
	t = aws_xml_text(d, rec, "Value");
	ck_assert_str_eq(t, v[1]);
	free(t);
	ck_assert_ptr_null(rec->next);
	xmlFreeDoc(d);
	free(xml);
}
END_TEST

START_TEST(checks)
{
	const char *const	 v[] = { "10.0.0.5", "" };
	char			 why[256], longname[1100];

	ck_assert_int_eq(r53_upsert_check("Z1D633PJN98FT9", "db.example.com",
	    "A", 5, v, 1, why, sizeof(why)), 0);
	ck_assert_int_eq(r53_upsert_check("/hostedzone/Z1D633PJN98FT9",
	    "db.example.com", "A", 0, v, 1, why, sizeof(why)), 0);
	ck_assert_int_eq(r53_upsert_check("Z1/../x", "db.example.com", "A",
	    5, v, 1, why, sizeof(why)), -1);
	ck_assert_int_eq(r53_upsert_check("", "db.example.com", "A", 5, v, 1,
	    why, sizeof(why)), -1);
	ck_assert_int_eq(r53_upsert_check("Z1", "", "A", 5, v, 1, why,
	    sizeof(why)), -1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(r53_upsert_check("Z1", longname, "A", 5, v, 1, why,
	    sizeof(why)), -1);
	ck_assert_int_eq(r53_upsert_check("Z1", "db.example.com", "a", 5, v,
	    1, why, sizeof(why)), -1);
	ck_assert_int_eq(r53_upsert_check("Z1", "db.example.com", "A", -1, v,
	    1, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "TTL"));
	ck_assert_int_eq(r53_upsert_check("Z1", "db.example.com", "A", 5, v,
	    0, why, sizeof(why)), -1);
	ck_assert_int_eq(r53_upsert_check("Z1", "db.example.com", "A", 5, v,
	    2, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "value 2"));

	ck_assert_int_eq(r53_name_equal("db.example.com", "DB.Example.COM."),
	    1);
	ck_assert_int_eq(r53_name_equal("\\052.example.com.", "*.example.com"),
	    1);
	ck_assert_int_eq(r53_name_equal("db.example.com", "db.example.co"), 0);
	ck_assert_int_eq(r53_name_equal("db.example.com..", "db.example.com"),
	    0);
	ck_assert_int_eq(r53_name_equal(NULL, "a"), 0);

	/* Refused calls send nothing and return NULL. */
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_null(r53_upsert(aws, "Z1", "db.example.com", "A", -5,
	    v, 1, change_cb, NULL));
	ck_assert_ptr_null(r53_get_change(aws, "/change/C1/../x", change_cb,
	    NULL));
	ck_assert_ptr_null(r53_get_record(aws, "Z1", "db.example.com", "a b",
	    record_cb, NULL));
	awstest_run(NULL, 0, 100);
	ck_assert_int_eq(srv->n, 0);
}
END_TEST

/* ---- the in-process server ---- */

START_TEST(requests_sent)
{
	const char *const	 v[] = { "10.0.0.5" };
	struct got		 g = { 0 }, c = { 0 }, r = { 0 };

	answer_say(srv, change_xml, get_change_xml, list_a_xml, NULL);
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_nonnull(r53_upsert(aws, "/hostedzone/Z1D633PJN98FT9",
	    "db.example.com", "A", 5, v, 1, change_cb, &g));
	awstest_run(&g.cb.n, 1, 5000);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_str_eq(g.id, "C2682N5HXP0BZ4");
	ck_assert_int_eq(g.st, R53_CH_PENDING);
	ck_assert_ptr_nonnull(r53_get_change(aws, "/change/C2682N5HXP0BZ4",
	    change_cb, &c));
	awstest_run(&c.cb.n, 1, 5000);
	ck_assert_msg(!c.cb.err, "%s", c.cb.text);
	ck_assert_int_eq(c.st, R53_CH_INSYNC);
	ck_assert_ptr_nonnull(r53_get_record(aws, "Z1D633PJN98FT9",
	    "db.example.com", "A", record_cb, &r));
	awstest_run(&r.cb.n, 1, 5000);
	ck_assert_msg(!r.cb.err, "%s", r.cb.text);
	ck_assert_int_eq(r.found, 1);
	ck_assert_int_eq(r.ttl, 5);

	ck_assert_int_eq(srv->n, 3);
	ck_assert_int_eq(srv->seen[0].method, EVHTTP_REQ_POST);
	ck_assert_str_eq(srv->seen[0].uri,
	    "/2013-04-01/hostedzone/Z1D633PJN98FT9/"
	    "rrset/");
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "<ChangeResourceRecordSetsRequest xmlns=\""
	    "https://route53.amazonaws.com/doc/2013-04-01/\">"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "<Action>UPSERT</Action>"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "<Name>db.example.com</Name>"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body, "<TTL>5</TTL>"));
	ck_assert_ptr_nonnull(strstr(srv->seen[0].body,
	    "<ResourceRecord><Value>10.0.0.5</Value></ResourceRecord>"));
	ck_assert_int_eq(srv->seen[1].method, EVHTTP_REQ_GET);
	ck_assert_str_eq(srv->seen[1].uri, "/2013-04-01/change/C2682N5HXP0BZ4");
	ck_assert_int_eq(srv->seen[2].method, EVHTTP_REQ_GET);
	ck_assert_str_eq(srv->seen[2].uri,
	    "/2013-04-01/hostedzone/Z1D633PJN98FT9/"
	    "rrset?maxitems=1&name=db.example.com&type=A");
}
END_TEST

START_TEST(odd_answer_is_error)
{
	const char *const	 v[] = { "10.0.0.5" };
	struct got		 g = { 0 }, r = { 0 };

	answer_say(srv, "<ChangeResourceRecordSetsResponse><Nothing/>"
	    "</ChangeResourceRecordSetsResponse>", NULL);
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_nonnull(r53_upsert(aws, "Z1", "db.example.com", "A", 5,
	    v, 1, change_cb, &g));
	ck_assert_ptr_nonnull(r53_get_record(aws, "Z1", "db.example.com", "A",
	    record_cb, &r));
	awstest_wait_err(&g.cb, "ChangeResourceRecordSets", "UnexpectedAnswer");
	awstest_wait_err(&r.cb, "ListResourceRecordSets", "UnexpectedAnswer");
}
END_TEST

START_TEST(cancel_calls_nothing)
{
	const char *const	 v[] = { "10.0.0.5" };
	struct r53_call		*c;
	struct got		 g = { 0 }, r = { 0 };

	answer_say(srv, change_xml, NULL);
	ck_assert_ptr_nonnull(aws = awstest_aws(srv->port));
	ck_assert_ptr_nonnull(c = r53_upsert(aws, "Z1", "db.example.com", "A",
	    5, v, 1, change_cb, &g));
	ck_assert_ptr_nonnull(r53_get_record(aws, "Z1", "db.example.com", "A",
	    record_cb, &r));
	r53_cancel(c);
	r53_cancel(NULL);
	/* The other call ends with aws_free(), without its callback. */
	awstest_drop();
	ck_assert_int_eq(g.cb.n, 0);
	ck_assert_int_eq(r.cb.n, 0);
}
END_TEST

/* ---- moto, behind fakeaws.py ---- */

/* A new hosted zone in moto; its id ("/hostedzone/...") into zone. */
static void
zone_create(const char *name, char *zone, size_t len)
{
	struct awstest_raw	 r = { 0 };
	char			 body[512];
	xmlNode			*hz;
	char			*id;

	snprintf(body, sizeof(body), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<CreateHostedZoneRequest xmlns=\"" R53_XMLNS "\">"
	    "<Name>%s</Name><CallerReference>check-%d-%s</CallerReference>"
	    "</CreateHostedZoneRequest>", name, (int)getpid(), name);
	ck_assert_ptr_nonnull(aws_rest(aws, &aws_route53, "POST",
	    "hostedzone", NULL, body, "CreateHostedZone", awstest_raw_cb, &r));
	awstest_raw_wait(&r, "CreateHostedZone");
	ck_assert_ptr_nonnull(hz = aws_xml_find(r.xml, NULL, "HostedZone"));
	ck_assert_ptr_nonnull(id = aws_xml_text(r.xml, hz, "Id"));
	ck_assert_msg(strncmp(id, "/hostedzone/", 12) == 0, "zone %s", id);
	snprintf(zone, len, "%s", id);
	free(id);
	awstest_raw_clear(&r);
}

START_TEST(moto_upsert_and_read_back)
{
	const char *const	 v1[] = { "10.0.0.5" };
	const char *const	 v2[] = { "10.0.1.7" };
	char			 zone[64];
	struct got		 g = { 0 }, c = { 0 }, r = { 0 }, g2 = { 0 },
				 r2 = { 0 }, n = { 0 };

	ck_assert_msg(fake_port > 0, "fakeaws.py is not running");
	ck_assert_ptr_nonnull(aws = awstest_aws(fake_port));
	zone_create("shop-a.example.com.", zone, sizeof(zone));

	ck_assert_ptr_nonnull(r53_upsert(aws, zone, "db.shop-a.example.com",
	    "A", 5, v1, 1, change_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_str_ne(g.id, "");
	ck_assert_ptr_null(strchr(g.id, '/'));

	ck_assert_ptr_nonnull(r53_get_change(aws, g.id, change_cb, &c));
	awstest_run(&c.cb.n, 1, 10000);
	ck_assert_msg(!c.cb.err, "%s", c.cb.text);
	ck_assert_str_eq(c.chstatus, "INSYNC");
	ck_assert_int_eq(c.st, R53_CH_INSYNC);

	ck_assert_ptr_nonnull(r53_get_record(aws, zone,
	    "db.shop-a.example.com", "A", record_cb, &r));
	awstest_run(&r.cb.n, 1, 10000);
	ck_assert_msg(!r.cb.err, "%s", r.cb.text);
	ck_assert_int_eq(r.found, 1);
	ck_assert_int_eq(r.ttl, 5);
	ck_assert_uint_eq(r.nvalues, 1);
	ck_assert_str_eq(r.values[0], "10.0.0.5");
	ck_assert_int_eq(r.alias, 0);

	/* Again with a new value: replaced, not added. */
	ck_assert_ptr_nonnull(r53_upsert(aws, zone, "db.shop-a.example.com.",
	    "A", 5, v2, 1, change_cb, &g2));
	awstest_run(&g2.cb.n, 1, 10000);
	ck_assert_msg(!g2.cb.err, "%s", g2.cb.text);
	ck_assert_ptr_nonnull(r53_get_record(aws, zone,
	    "db.shop-a.example.com", "A", record_cb, &r2));
	awstest_run(&r2.cb.n, 1, 10000);
	ck_assert_msg(!r2.cb.err, "%s", r2.cb.text);
	ck_assert_int_eq(r2.found, 1);
	ck_assert_int_eq(r2.ttl, 5);
	ck_assert_uint_eq(r2.nvalues, 1);
	ck_assert_str_eq(r2.values[0], "10.0.1.7");

	/* A name the zone does not have. */
	ck_assert_ptr_nonnull(r53_get_record(aws, zone,
	    "cache.shop-a.example.com", "A", record_cb, &n));
	awstest_run(&n.cb.n, 1, 10000);
	ck_assert_msg(!n.cb.err, "%s", n.cb.text);
	ck_assert_int_eq(n.found, 0);
}
END_TEST

/* Values that need escaping go there and back as they were. */
START_TEST(moto_txt_escaped)
{
	const char *const	 v[] = { "\"writer=rds & <primary>\"" };
	char			 zone[64];
	struct got		 g = { 0 }, r = { 0 };

	ck_assert_msg(fake_port > 0, "fakeaws.py is not running");
	ck_assert_ptr_nonnull(aws = awstest_aws(fake_port));
	zone_create("shop-b.example.com.", zone, sizeof(zone));
	ck_assert_ptr_nonnull(r53_upsert(aws, zone, "_writer.shop-b.example.com",
	    "TXT", 60, v, 1, change_cb, &g));
	awstest_run(&g.cb.n, 1, 10000);
	ck_assert_msg(!g.cb.err, "%s", g.cb.text);
	ck_assert_ptr_nonnull(r53_get_record(aws, zone,
	    "_writer.shop-b.example.com", "TXT", record_cb, &r));
	awstest_run(&r.cb.n, 1, 10000);
	ck_assert_msg(!r.cb.err, "%s", r.cb.text);
	ck_assert_int_eq(r.found, 1);
	ck_assert_int_eq(r.ttl, 60);
	ck_assert_uint_eq(r.nvalues, 1);
	ck_assert_str_eq(r.values[0], v[0]);
}
END_TEST

START_TEST(moto_no_such_zone)
{
	const char *const	 v[] = { "10.0.0.5" };
	struct got		 g = { 0 }, r = { 0 };

	ck_assert_msg(fake_port > 0, "fakeaws.py is not running");
	ck_assert_ptr_nonnull(aws = awstest_aws(fake_port));
	ck_assert_ptr_nonnull(r53_upsert(aws, "ZNOSUCHZONE0000", "db.example.com",
	    "A", 5, v, 1, change_cb, &g));
	ck_assert_ptr_nonnull(r53_get_record(aws, "/hostedzone/ZNOSUCHZONE0000",
	    "db.example.com", "A", record_cb, &r));
	awstest_run(&g.cb.n, 1, 10000);
	awstest_run(&r.cb.n, 1, 10000);
	awstest_err_is(&g.cb, "ChangeResourceRecordSets", "NoSuchHostedZone");
	ck_assert_int_eq(g.cb.status, 404);
	awstest_err_is(&r.cb, "ListResourceRecordSets", "NoSuchHostedZone");
}
END_TEST

int
main(void)
{
	const TTest	*local[] = {
		parse_recorded_changes, parse_recorded_records,
		change_batch_escaped, checks, requests_sent,
		odd_answer_is_error, cancel_calls_nothing, NULL
	};
	const TTest	*moto[] = {
		moto_upsert_and_read_back, moto_txt_escaped, moto_no_such_zone,
		NULL
	};

	awstest_init("check_route53", awstest_env_example, "text/xml", &aws,
	    &srv, "route53", NULL);
	return suite_client_main("route53", "ROUTE53_DEBUG", &fakeaws_server,
	    awstest_setup, awstest_teardown, local, awstest_setup, moto);
}
