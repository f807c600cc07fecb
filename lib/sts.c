/*
 * sts: GetCallerIdentity over lib/aws's query protocol. The answer names
 * the account, the ARN and the user id; the clock skew is measured from its
 * Date header against our clock when the answer arrived, which is as close
 * as a one-second header allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "log.h"
#include "sts.h"

struct sts_ctx {
	sts_identity_cb	 cb;
	void		*arg;
};

static void
sts_ctx_release(void *arg)
{
	free(arg);
}

static void
sts_identity_done(void *arg, const struct aws_result *res)
{
	struct sts_ctx		*ctx = arg;
	struct sts_identity	 id;
	xmlNode			*r;
	char			*account = NULL, *arn = NULL, *user = NULL;
	char			 err[512];

	if (!res->ok) {
		snprintf(err, sizeof(err), "sts: GetCallerIdentity: %s: %s",
		    res->code != NULL ? res->code : "error",
		    res->message != NULL ? res->message : "no message");
		ctx->cb(ctx->arg, NULL, err);
		goto done;
	}
	r = aws_xml_find(res->xml, NULL, "GetCallerIdentityResult");
	if (r == NULL ||
	    (account = aws_xml_text(res->xml, r, "Account")) == NULL ||
	    (arn = aws_xml_text(res->xml, r, "Arn")) == NULL ||
	    (user = aws_xml_text(res->xml, r, "UserId")) == NULL) {
		ctx->cb(ctx->arg, NULL, "sts: GetCallerIdentity: the answer "
		    "has no Account, Arn or UserId");
		goto done;
	}
	memset(&id, 0, sizeof(id));
	id.account = account;
	id.arn = arn;
	id.user_id = user;
	id.server_time = res->server_time;
	if (res->server_time != 0)
		id.skew_s = res->server_time - (int64_t)time(NULL);
	ctx->cb(ctx->arg, &id, NULL);
done:
	free(account);
	free(arn);
	free(user);
	free(ctx);
}

struct aws_call *
sts_get_caller_identity(struct aws *a, sts_identity_cb cb, void *arg)
{
	struct sts_ctx	*ctx;
	struct aws_call	*c;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		fatal("sts: calloc");
	ctx->cb = cb;
	ctx->arg = arg;
	if ((c = aws_query(a, &aws_sts, "GetCallerIdentity", NULL,
	    sts_identity_done, ctx)) == NULL) {
		free(ctx);
		return NULL;
	}
	aws_call_set_release(c, sts_ctx_release);
	return c;
}
