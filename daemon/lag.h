/*
 * lag: how far the target is behind the source, measured two ways. The
 * replica's own status (threads, Seconds_Behind_*, errors, executed
 * position) and a heartbeat: the daemon writes the time into a row on the
 * source every heartbeat_interval and reads the row back on the target.
 * The heartbeat lag is the age of the oldest acknowledged heartbeat the
 * target does not show yet, 0 when it shows the newest: exact to one
 * interval, independent of both servers' clocks, and never fooled by
 * Seconds_Behind being 0 while the IO thread is behind. Past the 256
 * heartbeats remembered (a lag of 25 s at 100 ms), the age of the value
 * the target shows, less an interval: an upper bound within an interval.
 */
#ifndef LAG_H
#define LAG_H

#include <stdint.h>

struct daemon;
struct migration;
struct lag;

struct lagstat {
	int		 known;		/* a heartbeat was read back */
	int64_t		 heartbeat_ms;	/* -1: unknown */
	int64_t		 replica_ms;	/* Seconds_Behind * 1000; -1: NULL */
	int		 status_known;	/* a replica status was read */
	int		 io_running;	/* "Yes" (not "Connecting") */
	int		 sql_running;
	unsigned int	 io_errno, sql_errno;
	char		 io_error[384], sql_error[384];
	char		 exec_file[128];	/* Relay_Source_Log_File */
	uint64_t	 exec_pos;		/* Exec_Source_Log_Pos */
	int		 configured;	/* the target has a replication source */
	int64_t		 updated;	/* unix ms of the last heartbeat read */
	int64_t		 status_updated;	/* unix ms of the last status */
};

struct dbpair;
/* Watch m's pair db (the caller's; it outlives the watcher). */
struct lag	*lag_new(struct daemon *, struct migration *, struct dbpair *);
void		 lag_free(struct lag *);
const struct lagstat *lag_stat(const struct lag *);
struct catchup;
/* The pace of the source and the target (catchup.h), and its alert. */
struct catchup	*lag_catchup(struct lag *);
/* Stop (1) or resume (0) the heartbeat writes: the freeze stops them. */
void		 lag_hold_writes(struct lag *, int);

#endif
