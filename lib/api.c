/*
 * api: the error struct every remote API client in lib/ hands its
 * callbacks, filled in one place so that its text reads the same whatever
 * the service: "OP: CODE: MESSAGE".
 */
#include <string.h>

#include "api.h"
#include "xmalloc.h"

char *
api_err_set(struct api_err *e, const char *op, const char *code,
    const char *message, int status)
{
	char	*text;

	memset(e, 0, sizeof(*e));
	e->op = op;
	e->code = code != NULL && code[0] != '\0' ? code : "Error";
	e->message = message != NULL ? message : "no message";
	e->status = status;
	text = xasprintf("%s: %s: %s", e->op, e->code, e->message);
	e->text = text;
	return text;
}
