/*
 * dbpair: a migration's two database connections, source and target, made
 * from its plan: passwords read from their files at connect time, server
 * dialects learnt from the first answer. The database drivers (preflight,
 * seeding, replicating, cutover) share one pair per migration.
 */
#ifndef DBPAIR_H
#define DBPAIR_H

#include "mydialect.h"

struct daemon;
struct migration;
struct mydb;
struct plan;

struct dbpair {
	struct mydb		*src;		/* as the plan's source.user */
	struct mydb		*tgt;		/* as the plan's target.user */
	struct mydialect	 sd, td;
	int			 sd_known, td_known;
	char			*src_pw, *tgt_pw, *repl_pw;
};

/*
 * Connections for m (not yet connected). NULL, with a sentence in why,
 * when a secret file cannot be read.
 */
struct dbpair	*dbpair_new(struct daemon *, const struct migration *,
		    char *why, size_t);
void		 dbpair_free(struct dbpair *);

struct plan_db;

/*
 * Write a client option file ([client] host, port, user, password, ssl-ca)
 * of mode 0600 beside the state file, for a child process such as
 * mariadb-dump; returns its path (malloc'd; the caller unlinks it) or NULL.
 */
char	*dbpair_cnf(struct daemon *, const struct migration *, const char *role,
	    const struct plan_db *, const char *user, const char *password);

/*
 * One more connection to the source (target 0) or the target (1) with the
 * pair's credentials, for work that must not queue behind the shared one:
 * a position wait, a snapshot held for the proof.
 */
struct mydb	*dbpair_open(struct daemon *, const struct migration *,
		    const struct dbpair *, int target, const char *role);

/*
 * The statement that reads the target's replica status: SHOW SLAVE or
 * REPLICA STATUS, or on RDS for MariaDB, whose master user lacks SLAVE
 * MONITOR, CALL mysql.rds_replica_status.
 */
const char	*dbpair_status_sql(const struct dbpair *, const struct plan *);

/* Read a secret: the file's first line (malloc'd), or NULL and errno. */
char		*dbpair_secret(const char *path);

#endif
