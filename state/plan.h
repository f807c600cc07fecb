/*
 * plan: one migration's plan, parsed from an INI file (sections source,
 * target, traffic, gates, cutover, decommission, hooks, files, notify) and
 * validated as a whole. Errors say file:line. A plan is immutable once
 * parsed; run-time changes (`migratectl set`) go through plan_set().
 */
#ifndef PLAN_H
#define PLAN_H

#include <stdint.h>

#include "conf.h"
#include "phase.h"

#define PLAN_NAME_MAX	63
#define PLAN_STEPS_MAX	32
/* A step that routes by request (Method B) rather than by weight. */
#define PLAN_STEP_RULE	0

enum plan_target_kind { TARGET_RDS, TARGET_MYSQL };
enum plan_seed { SEED_DUMP, SEED_EXTERNAL };
enum plan_writer { WRITER_HOOK, WRITER_DNS, WRITER_ECS_ENV };
enum plan_on_breach { BREACH_PAUSE, BREACH_RETRY };
enum plan_on_hold { HOLD_PAUSE, HOLD_WAIT };
enum plan_approval { APPROVAL_REQUIRED, APPROVAL_AUTO };

struct plan_db {
	char	*host;
	int	 port;			/* 3306 */
	char	*user;
	char	*password_file;		/* secret: by path only */
	char	*ca_file;		/* TLS CA bundle; NULL: no TLS */
	int64_t	 connect_timeout;	/* ms, 5s */
};

struct plan {
	char	*name;			/* [a-z0-9][a-z0-9_-]*, from name= or file */
	char	*file;			/* path the plan was read from */

	struct {
		struct plan_db	 db;
		char		**schemas;	/* NULL-terminated, >= 1 */
		int		 nschemas;
		char		*repl_user;	/* replication user */
		char		*repl_password_file;
		int64_t		 heartbeat_interval;	/* ms, 100ms */
		int64_t		 binlog_retention_min;	/* ms, 24h */
		char		**app_users;	/* accounts, or NULL */
	} source;

	struct {
		enum plan_target_kind	 kind;	/* rds */
		struct plan_db		 db;
		enum plan_seed		 seed;	/* dump */
		char			*seed_file;	/* external: binlog file */
		int64_t			 seed_pos;	/* external: position */
		char			*seed_gtid;	/* external: or a GTID set */
		int64_t			 max_lag;	/* ms, 1s: replicating guard */
		int64_t			 settle;	/* ms, 30s */
		int			 seed_threads;	/* copy and proof streams, 4 */
		int			 seed_chunk_rows;	/* 0: ~4 MiB */
		int			 seed_max_load;	/* source Threads_running, 50 */
		int64_t			 seed_stall_timeout;	/* ms, 10m */
	} target;

	struct {
		int64_t	 max_catchup;		/* ms the lag may grow, 30m */
	} replicating;

	struct {
		char	*region;		/* NULL: the daemon's */
		char	*listener_arn;
		char	*droplet_tg_arn;
		char	*ecs_tg_arn;
		char	*ecs_cluster;
		char	*ecs_service;
		int	 ecs_desired;		/* tasks in shadow, >= 1 */
		char	*droplet_tag;		/* DigitalOcean tag of the fleet */
		/* ECS percent per step, rising, 1..99; steps[0] may be
		 * PLAN_STEP_RULE, and is when path_patterns or header_name
		 * is set */
		int	 steps[PLAN_STEPS_MAX];
		int	 nsteps;		/* default 1,5,10,25,50,75 */
		int64_t	 bake;			/* ms per step, 5m */
		int64_t	 poll_interval;		/* ms, 1s */
		int64_t	 soak;			/* ms, 30m */
		enum plan_on_breach on_breach;	/* pause */
		int64_t	 cooldown;		/* ms before retrying, 10m */
		char	**path_patterns;	/* method B: rule by path, or NULL */
		char	*header_name;		/* method B: rule by header */
		char	*header_value;
		int64_t	 stickiness;		/* ms, whole seconds; 0: left as is */
		char	*load_hook;		/* run during each bake, or NULL */
	} traffic;

	struct {
		int	 min_healthy;		/* ECS healthy targets, 1 */
		double	 max_5xx_rate;		/* ratio, 0.01 */
		double	 max_5xx_ratio;		/* vs droplets, 2.0 */
		int64_t	 max_p99;		/* ms, 1s */
		double	 max_p99_ratio;		/* vs droplets, 1.5 */
		int64_t	 max_lag;		/* ms, 5s */
		int	 min_requests;		/* to ECS over a bake, else hold, 50 */
		int64_t	 max_hold;		/* ms held on missing data, 30m */
		enum plan_on_hold on_hold;	/* then: pause */
		char	**alarms;		/* CloudWatch alarm names, or NULL */
	} gates;

	struct {
		enum plan_writer writer;	/* hook */
		char	*writer_hook;		/* writer=hook: command */
		char	*dns_zone_id;		/* writer=dns */
		char	*dns_record;
		char	*ecs_env_name;		/* writer=ecs-env: variable name */
		int64_t	 freeze_timeout;	/* ms, 3s */
		int64_t	 max_lag;		/* ms, 200ms: heartbeat lag to start */
		int64_t	 kill_grace;		/* ms, 500ms */
		int	 reverse_replication;	/* yes */
		int	 checksum;		/* yes */
		enum plan_approval approval;	/* auto: approve before the freeze */
		char	*window;		/* when it may start; NULL: any time */
		int	 verify_before;		/* yes: compare the data first */
		int64_t	 max_postpone;		/* ms a freeze may wait, 10m */
	} cutover;

	struct {
		enum plan_approval approval;	/* required */
		char	*do_token_file;		/* secret */
		int	 snapshot;		/* yes */
		int64_t	 shutdown_timeout;	/* ms, 2m */
		int64_t	 grace;			/* ms, 24h */
		int	 delete_droplet_tg;	/* yes */
		char	**load_balancers;	/* DigitalOcean ids, or NULL */
		char	**firewalls;
		char	**reserved_ips;
	} decommission;

	struct {
		char	*before[PH__COUNT];	/* before_<phase> */
		char	*after[PH__COUNT];	/* after_<phase> */
		char	*on_breach;
		char	*on_rollback;
		char	*on_done;
		int64_t	 timeout;		/* ms, 60s */
	} hooks;

	struct {
		char	*sync;			/* command; NULL: no [files] */
		char	*verify;		/* command printing two counts */
		int64_t	 interval;		/* ms between syncs, 5m */
		int64_t	 timeout;		/* ms per run, 1h */
	} files;

	struct {
		char	*webhook_url;
		int64_t	 timeout;		/* ms, 5s */
	} notify;
};

/*
 * Parse and validate plan text. file names the plan in errors and gives the
 * default name. Returns NULL and fills errs when anything is wrong.
 */
struct plan	*plan_parse(const char *text, const char *file,
		    struct conf_errors *errs);
/* Read and parse a file. */
struct plan	*plan_load(const char *path, struct conf_errors *errs);
void		 plan_free(struct plan *);

/*
 * Change one run-time tunable ("gates.max_p99", "traffic.bake", ...) in
 * place. Returns 0, or -1 with a sentence in why (unknown key, not tunable
 * at run time, bad value, or a value the whole plan would refuse).
 */
int	plan_set(struct plan *, const char *key, const char *value,
	    char *why, size_t);
/* NULL-terminated list of the keys plan_set accepts. */
const char *const *plan_tunables(void);

/*
 * Fields that identify what is migrated (hosts, ARNs, service, tag). A plan
 * reloaded after start must keep them; returns the first key that differs,
 * or NULL.
 */
const char	*plan_identity_diff(const struct plan *, const struct plan *);

/*
 * An account as [source] app_users lists it ('user'@'host', user@host or
 * user) into user and host (host "" when the item names none).
 */
void	plan_account(const char *, char *user, size_t, char *host, size_t);

/* The plan's name is valid: [a-z0-9][a-z0-9_-]{0,62}. */
int	plan_name_ok(const char *);

#endif
