/*
 * sqlfx: SQL statements as a journaled effect. The statements are queued
 * back to back on the migration's connection; the first error stops the
 * effect (the later ones are forgotten) and is its result. Reconciling
 * runs the effect's check query: 1 means it happened. The statements run
 * on the database pair of the job that starts them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "dbpair.h"
#include "effect.h"
#include "job.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "sqlfx.h"

static int	sql_effect_run(struct effect *);
static void	sql_effect_reconcile(struct effect *);

const struct effect_kind sql_effect = {
	.name = "sql",
	.run = sql_effect_run,
	.reconcile = sql_effect_reconcile,
};

static struct mydb *
sqlfx_conn(struct effect *e, char *why, size_t whylen)
{
	struct dbpair	*db;
	const char	*on = json_string_value(json_object_get(e->args, "on"));

	if ((db = job_db(e->job, why, whylen)) == NULL)
		return NULL;
	return on != NULL && strcmp(on, "target") == 0 ? db->tgt : db->src;
}

/* Replace a {..._password} token with the quoted secret (malloc'd). */
static char *
sqlfx_fill(struct effect *e, const char *stmt)
{
	static const char *const toks[] = { "{repl_password}",
	    "{target_password}" };
	const char		*at = NULL, *tok = NULL;
	struct dbpair		*db;
	char			*pw, *out, why[256];
	size_t			 i;

	for (i = 0; i < sizeof(toks) / sizeof(toks[0]) && at == NULL; i++)
		if ((at = strstr(stmt, toks[i])) != NULL)
			tok = toks[i];
	if (at == NULL ||
	    (db = job_db(e->job, why, sizeof(why))) == NULL) {
		if ((out = strdup(stmt)) == NULL)
			fatal("strdup");
		return out;
	}
	pw = mydb_quote(tok[1] == 'r' ? db->repl_pw : db->tgt_pw);
	if (asprintf(&out, "%.*s%s%s", (int)(at - stmt), stmt, pw,
	    at + strlen(tok)) == -1)
		fatal("asprintf");
	explicit_bzero(pw, strlen(pw));
	free(pw);
	return out;
}

static void
sqlfx_step_cb(void *arg, struct mydb_result *res)
{
	struct effect	*e = arg;
	json_t		*left = json_object_get(e->args, "left");
	json_int_t	 n;
	char		 msg[700];

	if (res->err != 0) {
		snprintf(msg, sizeof(msg), "%s: %s (error %u)",
		    json_string_value(json_object_get(e->args, "what")),
		    res->error, res->err);
		mydb_forget(e->priv, e);
		effect_finish(e, 0, msg);
		return;
	}
	n = json_integer_value(left) - 1;
	json_object_set_new(e->args, "left", json_integer(n));
	if (n == 0)
		effect_finish(e, 1, json_string_value(json_object_get(e->args,
		    "what")));
}

static int
sql_effect_run(struct effect *e)
{
	json_t		*stmts = json_object_get(e->args, "sql"), *v;
	struct mydb	*db;
	size_t		 i;
	char		*sql, why[256];

	if ((db = sqlfx_conn(e, why, sizeof(why))) == NULL ||
	    json_array_size(stmts) == 0)
		return -1;
	e->priv = db;
	json_object_set_new(e->args, "left",
	    json_integer((json_int_t)json_array_size(stmts)));
	json_array_foreach(stmts, i, v) {
		sql = sqlfx_fill(e, json_string_value(v));
		mydb_query(db, sql, sqlfx_step_cb, e);
		explicit_bzero(sql, strlen(sql));
		free(sql);
	}
	return 0;
}

static void
sqlfx_check_cb(void *arg, struct mydb_result *res)
{
	struct effect	*e = arg;
	const char	*v;
	char		 msg[600];
	int		 in_place;

	if (res->err != 0) {
		snprintf(msg, sizeof(msg), "could not check: %s", res->error);
		effect_reconciled(e, EFFECT_UNKNOWN, msg);
		return;
	}
	v = res->nrows > 0 && res->ncols > 0 ? res->rows[0][0] : NULL;
	switch (json_integer_value(json_object_get(e->args, "expect"))) {
	case SQLFX_ROWS:
		in_place = res->nrows > 0;
		break;
	case SQLFX_NONE:
		in_place = res->nrows == 0;
		break;
	default:
		in_place = v != NULL && strcmp(v, "1") == 0;
		break;
	}
	if (in_place)
		effect_reconciled(e, EFFECT_APPLIED, "the check says it is in "
		    "place");
	else
		effect_reconciled(e, EFFECT_NOT_APPLIED, "the check says it "
		    "is not in place");
}

static void
sql_effect_reconcile(struct effect *e)
{
	const char	*check;
	struct mydb	*db;
	char		 why[256];

	check = json_string_value(json_object_get(e->args, "check"));
	if (check == NULL || (db = sqlfx_conn(e, why, sizeof(why))) == NULL) {
		effect_reconciled(e, EFFECT_UNKNOWN, "no way to check it");
		return;
	}
	mydb_query(db, check, sqlfx_check_cb, e);
}

int
sqlfx_start(struct job *j, const char *what,
    const char *on, json_t *stmts, const char *check, enum sqlfx_check expect,
    void (*done)(struct effect *, int, const char *, void *), void *arg)
{
	json_t	*args;

	args = json_pack("{s:s, s:s, s:o, s:s?, s:i}", "what", what, "on", on,
	    "sql", stmts, "check", check, "expect", (int)expect);
	if (args == NULL)
		fatalx("json_pack");
	return effect_start(j, &sql_effect, args, done, arg);
}

json_t *
sqlfx_stmts(const char *first, ...)
{
	json_t		*a = json_array();
	va_list		 ap;
	const char	*s;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		json_array_append_new(a, json_string(s));
	va_end(ap);
	return a;
}
