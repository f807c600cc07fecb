/*
 * sqlfx: an effect made of SQL statements on the source or the target,
 * with a query that tells afterwards whether it happened. The cutover's
 * freeze, unfreeze, replication reset and reverse replication are each
 * one. Statements may name {repl_password} or {target_password}; the
 * secret is put in when they run, so the journal never holds it.
 */
#ifndef SQLFX_H
#define SQLFX_H

#include <jansson.h>

#include "effect.h"

struct job;

/* How the check query says the effect is in place. */
enum sqlfx_check {
	SQLFX_ONE,	/* its first cell is 1 */
	SQLFX_ROWS,	/* it returns rows (a replica status, say) */
	SQLFX_NONE,	/* it returns none */
};

/*
 * Start effect `what` on "source" or "target": stmts (a JSON array of
 * strings, stolen) in order, then done(ok, result). check is the query
 * that tells at restart whether the effect is in place.
 */
int	sqlfx_start(struct job *, const char *what,
	    const char *on, json_t *stmts, const char *check, enum sqlfx_check,
	    void (*done)(struct effect *, int, const char *, void *), void *);

/* A JSON array of the statements given, up to a NULL. */
json_t	*sqlfx_stmts(const char *first, ...) __attribute__((sentinel));

#endif
