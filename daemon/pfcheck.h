/*
 * pfcheck: the inside of a preflight run, shared by preflight.c (the list
 * of checks, the run, the server, AWS and DigitalOcean checks) and
 * pfdba.c (the checks a DBA adds: engines, keys, DEFINERs, accounts,
 * reverse replication's binary log, the seed's duration). Not for other
 * files: they use preflight.h.
 *
 * A check is a row of the list in preflight.c: its name, when it starts
 * (with the run, or once AWS's STS answered), what starts it, what judges
 * it once every answer is in, and the fix to show when a finding names
 * none. Answers report into the check's row with pf_fail(), pf_warn() or
 * pf_info(); a row with no finding passes, and one never answered (what it
 * needed failed first) is skipped.
 */
#ifndef PFCHECK_H
#define PFCHECK_H

#include <stddef.h>

#include "mydb.h"
#include "writer.h"

struct daemon;
struct dbpair;
struct migration;
struct pf;

/* The checks, in the order they are listed (preflight.c's table). */
enum pf_id {
	PFC_FILES,		/* the plan and its secret files */
	PFC_CONFLICTS,		/* other migrations on the same things */
	PFC_WRITER,		/* the writer method, locally */
	PFC_SRC_SERVER,		/* source: reachable, version, server_id */
	PFC_SRC_BINLOG,		/* source: binary log for replication */
	PFC_SRC_GRANTS,		/* source: the daemon's account */
	PFC_SRC_WRITERS,	/* source: accounts writing through read_only */
	PFC_REPL_USER,		/* source: the replication account */
	PFC_ENGINES,		/* source: tables not InnoDB */
	PFC_KEYS,		/* source: tables without a primary key */
	PFC_SEED_TIME,		/* source: the seed's estimated duration */
	PFC_TGT_SERVER,		/* target: reachable, version, writable */
	PFC_TGT_GRANTS,		/* target: the daemon's account */
	PFC_TGT_REPLICA,	/* target: not replicating from elsewhere */
	PFC_TGT_RDS,		/* target: RDS's procedures */
	PFC_PAIR,		/* source and target together */
	PFC_DEFINERS,		/* target: DEFINER accounts of the objects */
	PFC_APP_USERS,		/* target: the application's accounts */
	PFC_REVERSE,		/* target: binary log for reverse replication */
	PFC_TGT_APPLY,		/* target: parallel apply against the source */
	PFC_AWS,		/* AWS: credentials, clock, region */
	PFC_LISTENER,		/* AWS: the listener */
	PFC_TGS,		/* AWS: the target groups and their targets */
	PFC_ECS,		/* AWS: the ECS service */
	PFC_ALARMS,		/* AWS: the gates' alarms */
	PFC_TRAFFIC,		/* AWS: the steps against the app's traffic */
	PFC_WRITER_AWS,		/* AWS: the writer method's resources */
	PFC_DROPLETS,		/* DigitalOcean: the droplets by tag */
	PFC__COUNT
};

enum pf_status {
	PF_PASS,
	PF_SKIP,
	PF_WARN,
	PF_FAIL
};

struct pf_row {
	enum pf_status	 status;
	int		 ran;		/* an answer was judged */
	/* Bounded so that every row fits check's one reply line. */
	char		 detail[1200];	/* the findings, "; " between */
	char		 fix[600];	/* their fixes, "; " between */
	char		 info[300];	/* what a pass says */
};

struct pf {
	struct daemon		*d;
	struct migration	*m;
	struct dbpair		*db;
	struct mydb		*repl;		/* as the replication user */
	void			(*done)(void *, struct pf *);
	void			*done_arg;
	int			 pending;
	int			 finished;
	char			 text[8192];	/* failures, for the journal */
	char			 dbwhy[512];	/* no database pair: why */
	struct pf_row		 rows[PFC__COUNT];

	/* Answers the cross-checks need. */
	char			 src_version[128], tgt_version[128];
	long long		 src_server_id, tgt_server_id;
	int			 src_ok, tgt_ok;
	char			*rds_have;	/* routine names, comma-separated */
	long long		 src_keep_s;	/* binary logs kept; -1: unknown */

	/* The DBA checks' answers (pfdba.c). */
	char			**definers;	/* "kind schema.name user@host" */
	size_t			 ndefiners;
	int			 have_definers;
	char			**accounts;	/* target's "user@host" */
	size_t			 naccounts;
	int			 have_accounts;
	long long		 data_bytes;	/* -1 until answered */
	long long		 ntables;
	/* Parallel apply: the target's workers and mode (the names its
	 * engine uses), the source's client connections (-1: unknown). */
	int			 have_apply, apply_maria;
	char			 apply_n[24], apply_mode[32];
	long long		 src_conns;

	/* AWS calls in flight, cancelled with the run. */
	struct aws		*aws;
	struct aws_call		*sts;
	struct elbv2_call	*lst, *tgs, *th;
	struct ecs_call		*svc;
	struct cw_call		*alarms;
	struct estimate_call	*est;
	struct writer_check	 writer;	/* the writer method's */
	enum pf_id		 writer_row;	/* where its findings go */

	/* The fleet: the droplet target group's targets, the tagged
	 * droplets, compared once both are in. */
	struct do_call		*dol;
	char			**tg_ips;
	size_t			 ntg_ips;
	int			 have_tg;
	char			**do_names, **do_ips, **do_public;
	size_t			 ndo;
	int			 have_do;
};

/*
 * A failure in check id; the message says what and, after "; ", what to
 * do. It joins the run's failure text too.
 */
void	pf_fail(struct pf *, enum pf_id, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A finding of severity st with its own fix (NULL: the check's). */
void	pf_note(struct pf *, enum pf_id, enum pf_status, const char *fix,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* What the check says when it passes ("MariaDB 10.11.6"). */
void	pf_info(struct pf *, enum pf_id, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The check does not apply: why. */
void	pf_skip(struct pf *, enum pf_id, const char *why);
/* The check was judged (a row never judged is skipped). */
void	pf_ran(struct pf *, enum pf_id);

/* Send sql on db for check id; cb gets pf. */
void	pf_query(struct pf *, enum pf_id, struct mydb *, const char *sql,
	    mydb_cb);
/*
 * An answer for check id is in: 0 if it is a result, -1 (the failure
 * reported) if the query failed. Counts the answer.
 */
int	pf_answer(struct pf *, enum pf_id, struct mydb_result *,
	    const char *who);
/* After an answer: the verdict when it was the last. */
void	pf_done(struct pf *);

/* pfdba.c: the DBA's checks, started and judged from the list. */
void	pfdba_engines(struct pf *);
void	pfdba_keys(struct pf *);
void	pfdba_size(struct pf *);
void	pfdba_seed_judge(struct pf *);
void	pfdba_definers(struct pf *);
void	pfdba_app_users(struct pf *);
void	pfdba_reverse(struct pf *);
void	pfdba_apply(struct pf *);
void	pfdba_apply_judge(struct pf *);
void	pfdba_free(struct pf *);

/* " IN ('a', 'b')" for the plan's schemas, quoted, in buf. */
const char *pfdba_schemas_in(const struct pf *, char *buf, size_t);

#endif /* PFCHECK_H */
