/*
 * route53: Route 53 requests as REST paths under lib/aws's "/2013-04-01/"
 * prefix, the change batch built with libxml2's tree API (so names and
 * values are escaped by the library, never by hand), and answers read by
 * walking the tree child by child. A call's context is a lib/aws struct
 * aws_op, which owns its lifecycle, with the typed callback and, for
 * r53_get_record, the name and type asked for; this file is the
 * operations and the parsing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "aws-sigv4.h"
#include "aws.h"
#include "log.h"
#include "route53.h"
#include "xmalloc.h"

#define R53_MAX_NAME	1024

enum r53_kind {
	K_CHANGE,
	K_RECORD,
};

struct r53_call {
	struct aws_op		 op;		/* first */
	union {
		r53_change_cb	 change;
		r53_record_cb	 record;
	} cb;
	char			*name;		/* K_RECORD */
	char			*type;
};

/* s URI-encoded (every reserved byte, '/' too), malloc'd. */
static char *
uri_encode(const char *s)
{
	size_t	 len = strlen(s), sz = len * 3 + 1;
	char	*d;

	d = xmalloc(sz);
	aws_sigv4_uri_encode(d, sz, s, len, 1);
	return d;
}

/*
 * The bare id after an optional "/hostedzone/" or "/change/" prefix, if
 * it is a plausible Route 53 id (letters and digits: it goes into a
 * path); NULL otherwise.
 */
static const char *
bare_id(const char *id, const char *prefix)
{
	const char	*p;
	size_t		 pl = strlen(prefix);

	if (id == NULL)
		return NULL;
	if (strncmp(id, prefix, pl) == 0)
		id += pl;
	if (id[0] == '\0' || strlen(id) > 64)
		return NULL;
	for (p = id; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p))
			return NULL;
	return id;
}

/* ---- XML: direct children by local name ---- */

static int
x_is(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

/* The root element if it is called name. */
static xmlNode *
x_root(xmlDoc *doc, const char *name, char *why, size_t len)
{
	xmlNode	*root;

	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		api_why(why, len, "no XML document");
		return NULL;
	}
	if (!x_is(root, name)) {
		api_why(why, len, "the answer is a %s, not a %s",
		    (const char *)root->name, name);
		return NULL;
	}
	return root;
}

/* ---- names ---- */

enum r53_change_status
r53_change_status_parse(const char *s)
{
	if (s == NULL)
		return R53_CH_OTHER;
	if (strcmp(s, "PENDING") == 0)
		return R53_CH_PENDING;
	if (strcmp(s, "INSYNC") == 0)
		return R53_CH_INSYNC;
	return R53_CH_OTHER;
}

/*
 * The next byte of a DNS name in presentation form: "\052" and "\." read,
 * upper case folded; -1 at the end. A final dot is the end too.
 */
static int
name_next(const char **pp)
{
	const char	*p = *pp;
	int		 c;

	if (*p == '\0' || (*p == '.' && p[1] == '\0'))
		return -1;
	if (*p == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' &&
	    p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
		c = (p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0');
		*pp = p + 4;
	} else if (*p == '\\' && p[1] != '\0') {
		c = (unsigned char)p[1];
		*pp = p + 2;
	} else {
		c = (unsigned char)*p;
		*pp = p + 1;
	}
	return tolower(c);
}

int
r53_name_equal(const char *a, const char *b)
{
	int	ca, cb;

	if (a == NULL || b == NULL)
		return 0;
	do {
		ca = name_next(&a);
		cb = name_next(&b);
		if (ca != cb)
			return 0;
	} while (ca != -1);
	return 1;
}

/* ---- the change batch ---- */

static int
type_ok(const char *type)
{
	const char	*p;

	if (type == NULL || type[0] == '\0' || strlen(type) > 10)
		return 0;
	for (p = type; *p != '\0'; p++)
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p))
			return 0;
	return 1;
}

int
r53_upsert_check(const char *zone_id, const char *name, const char *type,
    long ttl, const char *const *values, size_t n, char *why, size_t len)
{
	size_t	i;

	if (bare_id(zone_id, "/hostedzone/") == NULL) {
		api_why(why, len, "bad hosted zone id \"%s\"",
		    zone_id != NULL ? zone_id : "");
		return -1;
	}
	if (name == NULL || name[0] == '\0' || strlen(name) > R53_MAX_NAME) {
		api_why(why, len, "a record name has 1..%d bytes",
		    R53_MAX_NAME);
		return -1;
	}
	if (!type_ok(type)) {
		api_why(why, len, "bad record type \"%s\"",
		    type != NULL ? type : "");
		return -1;
	}
	if (ttl < 0 || ttl > R53_MAX_TTL) {
		api_why(why, len, "TTL %ld s is not within 0..%ld", ttl,
		    R53_MAX_TTL);
		return -1;
	}
	if (n == 0 || values == NULL || n > R53_MAX_VALUES) {
		api_why(why, len, "%zu values: a record set takes 1..%d", n,
		    R53_MAX_VALUES);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (values[i] == NULL || values[i][0] == '\0') {
			api_why(why, len, "value %zu is empty", i + 1);
			return -1;
		}
	return 0;
}

char *
r53_change_batch_xml(const char *name, const char *type, long ttl,
    const char *const *values, size_t n)
{
	xmlDoc		*doc;
	xmlNode		*root, *batch, *changes, *ch, *rrs, *recs, *rec;
	xmlNs		*ns;
	xmlChar		*mem = NULL;
	char		 ttls[32], *out = NULL;
	size_t		 i;
	int		 size = 0;

	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL)
		return NULL;
	if ((root = xmlNewNode(NULL,
	    BAD_CAST "ChangeResourceRecordSetsRequest")) == NULL)
		goto done;
	xmlDocSetRootElement(doc, root);
	if ((ns = xmlNewNs(root, BAD_CAST R53_XMLNS, NULL)) == NULL)
		goto done;
	xmlSetNs(root, ns);
	snprintf(ttls, sizeof(ttls), "%ld", ttl);
	/* xmlNewTextChild escapes its content. */
	if ((batch = xmlNewChild(root, ns, BAD_CAST "ChangeBatch",
	    NULL)) == NULL ||
	    (changes = xmlNewChild(batch, ns, BAD_CAST "Changes",
	    NULL)) == NULL ||
	    (ch = xmlNewChild(changes, ns, BAD_CAST "Change", NULL)) == NULL ||
	    xmlNewTextChild(ch, ns, BAD_CAST "Action",
	    BAD_CAST "UPSERT") == NULL ||
	    (rrs = xmlNewChild(ch, ns, BAD_CAST "ResourceRecordSet",
	    NULL)) == NULL ||
	    xmlNewTextChild(rrs, ns, BAD_CAST "Name", BAD_CAST name) == NULL ||
	    xmlNewTextChild(rrs, ns, BAD_CAST "Type", BAD_CAST type) == NULL ||
	    xmlNewTextChild(rrs, ns, BAD_CAST "TTL", BAD_CAST ttls) == NULL ||
	    (recs = xmlNewChild(rrs, ns, BAD_CAST "ResourceRecords",
	    NULL)) == NULL)
		goto done;
	for (i = 0; i < n; i++)
		if ((rec = xmlNewChild(recs, ns, BAD_CAST "ResourceRecord",
		    NULL)) == NULL ||
		    xmlNewTextChild(rec, ns, BAD_CAST "Value",
		    BAD_CAST values[i]) == NULL)
			goto done;
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem != NULL && size > 0)
		out = xstrndup((const char *)mem, (size_t)size);
done:
	xmlFree(mem);
	xmlFreeDoc(doc);
	return out;
}

/* ---- answers ---- */

void
r53_change_free(struct r53_change *c)
{
	if (c == NULL)
		return;
	free(c->id);
	free(c->status);
	free(c->submitted_at);
	free(c);
}

struct r53_change *
r53_parse_change(xmlDoc *doc, char *why, size_t len)
{
	struct r53_change	*c;
	xmlNode			*root, *ci;
	char			*id;
	const char		*bare;

	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		api_why(why, len, "no XML document");
		return NULL;
	}
	if ((ci = aws_xml_child(root, "ChangeInfo")) == NULL) {
		api_why(why, len, "%s has no ChangeInfo",
		    (const char *)root->name);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	if ((id = aws_xml_child_text(ci, "Id")) == NULL ||
	    (bare = bare_id(id, "/change/")) == NULL) {
		api_why(why, len, "the ChangeInfo has no (valid) Id");
		free(id);
		goto fail;
	}
	c->id = xstrdup(bare);
	free(id);
	if ((c->status = aws_xml_child_text(ci, "Status")) == NULL) {
		api_why(why, len, "change %s has no Status", c->id);
		goto fail;
	}
	c->st = r53_change_status_parse(c->status);
	c->submitted_at = aws_xml_child_text(ci, "SubmittedAt");
	return c;
fail:
	r53_change_free(c);
	return NULL;
}

void
r53_record_free(struct r53_record *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->type);
	xstrv_free(r->values, r->nvalues);
	free(r->set_identifier);
	free(r);
}

struct r53_record *
r53_parse_record(xmlDoc *doc, const char *name, const char *type, char *why,
    size_t len)
{
	struct r53_record	*r;
	xmlNode			*root, *sets, *rs, *recs, *rec;
	char			*t, *end, *v;
	long long		 ttl;

	if ((root = x_root(doc, "ListResourceRecordSetsResponse", why,
	    len)) == NULL)
		return NULL;
	if ((sets = aws_xml_child(root, "ResourceRecordSets")) == NULL) {
		api_why(why, len, "no ResourceRecordSets in the answer");
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->ttl = -1;
	rs = aws_xml_child(sets, "ResourceRecordSet");
	if (rs != NULL) {
		r->name = aws_xml_child_text(rs, "Name");
		r->type = aws_xml_child_text(rs, "Type");
		if (r->name == NULL || r->type == NULL) {
			api_why(why, len, "a record set has no Name or Type");
			goto fail;
		}
	}
	/* The listing starts at name/type: what comes first may be the next
	 * record, when there is no such one. */
	if (rs == NULL || !r53_name_equal(r->name, name) ||
	    strcmp(r->type, type) != 0) {
		free(r->name);
		free(r->type);
		r->name = xstrdup(name);
		r->type = xstrdup(type);
		return r;
	}
	r->found = 1;
	if ((t = aws_xml_child_text(rs, "TTL")) != NULL) {
		errno = 0;
		ttl = strtoll(t, &end, 10);
		if (t[0] == '\0' || *end != '\0' || errno != 0 || ttl < 0 ||
		    ttl > R53_MAX_TTL) {
			api_why(why, len, "%s %s: bad TTL \"%s\"", r->name,
			    r->type, t);
			free(t);
			goto fail;
		}
		r->ttl = ttl;
		free(t);
	}
	r->alias = aws_xml_child(rs, "AliasTarget") != NULL;
	r->set_identifier = aws_xml_child_text(rs, "SetIdentifier");
	recs = aws_xml_child(rs, "ResourceRecords");
	for (rec = recs != NULL ? recs->children : NULL; rec != NULL;
	    rec = rec->next) {
		if (!x_is(rec, "ResourceRecord"))
			continue;
		if ((v = aws_xml_child_text(rec, "Value")) == NULL) {
			api_why(why, len, "%s %s: a ResourceRecord has no "
			    "Value", r->name, r->type);
			goto fail;
		}
		r->values = xreallocarray(r->values, r->nvalues + 1,
		    sizeof(*r->values));
		r->values[r->nvalues++] = v;
	}
	if (!r->alias && (r->ttl == -1 || r->nvalues == 0)) {
		api_why(why, len, "%s %s has neither TTL and values nor an "
		    "AliasTarget", r->name, r->type);
		goto fail;
	}
	return r;
fail:
	r53_record_free(r);
	return NULL;
}

/* ---- calls ---- */

static void
call_clear(struct aws_op *o)
{
	struct r53_call	*c = (struct r53_call *)o;

	free(c->name);
	free(c->type);
}

static void
call_fail(struct aws_op *o, const struct api_err *e)
{
	struct r53_call	*c = (struct r53_call *)o;

	switch (c->op.kind) {
	case K_CHANGE:
		c->cb.change(o->arg, NULL, e);
		break;
	case K_RECORD:
		c->cb.record(o->arg, NULL, e);
		break;
	}
}

static int
call_answer(struct aws_op *o, const struct aws_result *res, char *why,
    size_t len)
{
	struct r53_call		*c = (struct r53_call *)o;
	struct r53_change	*ch;
	struct r53_record	*r;

	switch (c->op.kind) {
	case K_CHANGE:
		if ((ch = r53_parse_change(res->xml, why, len)) == NULL)
			return -1;
		c->cb.change(o->arg, ch, NULL);
		r53_change_free(ch);
		break;
	case K_RECORD:
		if ((r = r53_parse_record(res->xml, c->name, c->type, why,
		    len)) == NULL)
			return -1;
		c->cb.record(o->arg, r, NULL);
		r53_record_free(r);
		break;
	}
	return 0;
}

static const struct aws_op_type r53_op = {
	.client = "route53",
	.svc = &aws_route53,
	.size = sizeof(struct r53_call),
	.answer = call_answer,
	.fail = call_fail,
	.clear = call_clear,
};

/* Send c; NULL, c freed, if lib/aws refuses. */
static struct r53_call *
call_start(struct r53_call *c, const char *method, const char *path,
    const char *query, const char *body)
{
	return aws_op_started(&c->op, aws_op_rest(&c->op, method, path, query,
	    body));
}

void
r53_cancel(struct r53_call *c)
{
	if (c != NULL)
		aws_op_cancel(&c->op);
}

struct r53_call *
r53_upsert(struct aws *a, const char *zone_id, const char *name,
    const char *type, long ttl, const char *const *values, size_t n,
    r53_change_cb cb, void *arg)
{
	struct r53_call	*c;
	char		 why[256], *body, *path;

	if (r53_upsert_check(zone_id, name, type, ttl, values, n, why,
	    sizeof(why)) == -1) {
		log_warnx("route53: ChangeResourceRecordSets: refused: %s",
		    why);
		return NULL;
	}
	if ((body = r53_change_batch_xml(name, type, ttl, values,
	    n)) == NULL) {
		log_warnx("route53: ChangeResourceRecordSets: cannot build "
		    "the change batch");
		return NULL;
	}
	c = aws_op_new(a, &r53_op, "ChangeResourceRecordSets", K_CHANGE, arg);
	c->cb.change = cb;
	path = xasprintf("hostedzone/%s/rrset/",
	    bare_id(zone_id, "/hostedzone/"));
	c = call_start(c, "POST", path, NULL, body);
	free(path);
	free(body);
	return c;
}

struct r53_call *
r53_get_change(struct aws *a, const char *change_id, r53_change_cb cb,
    void *arg)
{
	struct r53_call	*c;
	const char	*id;
	char		*path;

	if ((id = bare_id(change_id, "/change/")) == NULL) {
		log_warnx("route53: GetChange: refused: bad change id \"%s\"",
		    change_id != NULL ? change_id : "");
		return NULL;
	}
	c = aws_op_new(a, &r53_op, "GetChange", K_CHANGE, arg);
	c->cb.change = cb;
	path = xasprintf("change/%s", id);
	c = call_start(c, "GET", path, NULL, NULL);
	free(path);
	return c;
}

struct r53_call *
r53_get_record(struct aws *a, const char *zone_id, const char *name,
    const char *type, r53_record_cb cb, void *arg)
{
	struct r53_call	*c;
	const char	*zone;
	char		*path, *query, *ename;

	if ((zone = bare_id(zone_id, "/hostedzone/")) == NULL ||
	    name == NULL || name[0] == '\0' || strlen(name) > R53_MAX_NAME ||
	    !type_ok(type)) {
		log_warnx("route53: ListResourceRecordSets: refused: bad "
		    "zone id, name or type");
		return NULL;
	}
	c = aws_op_new(a, &r53_op, "ListResourceRecordSets", K_RECORD, arg);
	c->cb.record = cb;
	c->name = xstrdup(name);
	c->type = xstrdup(type);
	path = xasprintf("hostedzone/%s/rrset", zone);
	ename = uri_encode(name);
	query = xasprintf("maxitems=1&name=%s&type=%s", ename, type);
	c = call_start(c, "GET", path, query, NULL);
	free(ename);
	free(query);
	free(path);
	return c;
}
