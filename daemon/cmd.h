/*
 * cmd: the table of control commands and the only dispatcher. Each command
 * lives in its own cmd-<verb>.c and exports one struct cmd_entry. Commands
 * never write to the client: they fill ctx->data or return an error through
 * cmd_error(), and the dispatcher sends the reply.
 */
#ifndef CMD_H
#define CMD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "phase.h"
#include "proto.h"

struct daemon;
struct ctl_client;
struct migration;
struct proto_request;

#define CMD_MUTATES	0x1	/* needs root or the daemon's uid */

/* exec's return when it called control_defer(): the reply comes later. */
#define CMD_DEFERRED	1

struct cmd_ctx {
	struct daemon		*d;
	struct ctl_client	*client;
	uid_t			 uid;		/* peer credentials */
	pid_t			 pid;
	int64_t			 id;
	const char		*cmd;
	json_t			*args;		/* borrowed */
	json_t			*data;		/* reply data, set by exec */
	enum proto_err		 err;
	char			 msg[2048];
};

struct cmd_entry {
	const char	*name;
	const char	*usage;
	int		 flags;
	int		 (*exec)(struct cmd_ctx *);
};

/* Run one request from a client; returns the reply envelope, or NULL
 * when the command deferred it (CMD_DEFERRED). */
json_t	*cmd_dispatch(struct daemon *, struct ctl_client *, uid_t, pid_t,
	    const struct proto_request *);

/* Record an error for the reply; returns -1 for `return cmd_error(...)`. */
int	cmd_error(struct cmd_ctx *, enum proto_err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A string argument; NULL (error recorded) when required and missing. */
const char	*cmd_arg_string(struct cmd_ctx *, const char *key, int required);
/* The migration named by args.name; NULL with not_found recorded. */
struct migration	*cmd_migration(struct cmd_ctx *);
/*
 * Apply an operator event to the named migration, journaled with the peer's
 * uid and the optional args.reason; data is {"name","phase"}.
 */
int	cmd_fire(struct cmd_ctx *, enum mev);

extern const struct cmd_entry	cmd_abort_entry;
extern const struct cmd_entry	cmd_approve_entry;
extern const struct cmd_entry	cmd_create_entry;
extern const struct cmd_entry	cmd_delete_entry;
extern const struct cmd_entry	cmd_history_entry;
extern const struct cmd_entry	cmd_list_entry;
extern const struct cmd_entry	cmd_pause_entry;
extern const struct cmd_entry	cmd_plan_entry;
extern const struct cmd_entry	cmd_promote_entry;
extern const struct cmd_entry	cmd_resume_entry;
extern const struct cmd_entry	cmd_retry_entry;
extern const struct cmd_entry	cmd_set_entry;
extern const struct cmd_entry	cmd_start_entry;
extern const struct cmd_entry	cmd_stats_entry;
extern const struct cmd_entry	cmd_status_entry;

#endif
