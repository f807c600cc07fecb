/*
 * catchup: whether the target keeps up with the source, from readings
 * the lag watcher takes (daemon/lag.c): the source's binary log head and
 * commit counter, the target's executed position, and the heartbeat lag.
 * It gives the rates (binary log bytes a second written on the source and
 * applied on the target, the source's commits a second), the backlog in
 * bytes, an estimate of when the target catches up, and since when the lag
 * has made no progress. Pure arithmetic on the readings and their times:
 * the caller does the I/O.
 *
 * Positions are binary log offsets counted across files: a position
 * file:pos of a listing (SHOW BINARY LOGS) is the sizes of the files
 * before it plus pos. Offsets from listings with different first files
 * are not comparable; the caller resets the rates then.
 */
#ifndef CATCHUP_H
#define CATCHUP_H

#include <stddef.h>
#include <stdint.h>

#define CATCHUP_SAMPLES		32	/* readings the rates span */

struct catchup_sample {
	int64_t		 t_ms;
	uint64_t	 src;		/* source head offset */
	uint64_t	 exec;		/* target executed offset */
	int64_t		 commits;	/* source's counter; -1: unknown */
};

struct catchup {
	struct catchup_sample	 s[CATCHUP_SAMPLES];
	unsigned int		 head, n;
	int64_t			 low_ms;	/* lowest lag since low_at */
	int64_t			 low_at;	/* unix ms; 0: no reading yet */
	int64_t			 lag_ms;	/* the last lag fed; -1: none */
	int			 in_sync;	/* it was at most in_sync */
	int			 progressing;	/* it was in sync or a new low */
	int			 alerted;	/* the caller's: alert sent */
};

struct catchup_view {
	double		 src_bps;	/* -1: unknown */
	double		 apply_bps;	/* -1: unknown */
	double		 commits_s;	/* -1: unknown */
	int64_t		 backlog;	/* bytes; -1: unknown */
	int64_t		 eta_ms;	/* 0: caught up; -1: not catching up
					   or unknown (see catching_up) */
	int		 catching_up;	/* 1 yes, 0 no, -1 unknown */
	int64_t		 stalled_ms;	/* the lag made no progress for */
};

/* Forget every reading (the lag watcher starts afresh). */
void	catchup_init(struct catchup *);
/* A reading of the positions at t_ms; commits -1 when not known. */
void	catchup_sample(struct catchup *, int64_t t_ms, uint64_t src,
	    uint64_t exec, int64_t commits);
/* The offsets changed their origin: forget the readings of positions. */
void	catchup_reset_rates(struct catchup *);
/*
 * A fresh heartbeat lag reading at now. While the lag is at most in_sync
 * (the target's max_lag) or reaches a new low (lower than the last low by
 * more than the noise: a second or a twentieth of it), the target makes
 * progress; returns for how long it has not (0: it does).
 */
int64_t	catchup_lag(struct catchup *, int64_t now, int64_t lag_ms,
	    int64_t in_sync);
/* The rates over the readings kept, the backlog and the ETA at now. */
void	catchup_view(const struct catchup *, int64_t now,
	    struct catchup_view *);

/*
 * What would help a target that does not keep up, into buf: parallel
 * apply, named as the engine names it (mariadb: slave_parallel_threads
 * and slave_parallel_mode; else MySQL's workers and type variables, as
 * given), with the values the target has (NULL: not read), set in the
 * RDS parameter group when rds, with SET GLOBAL otherwise.
 */
void	catchup_advice(char *buf, size_t len, int mariadb, int rds,
	    const char *workers_var, const char *workers,
	    const char *type_var, const char *type);
/* A rate in bytes a second as "1.2 MB/s". */
const char *catchup_bytes(double bps, char *buf, size_t len);

/*
 * The offset of file:pos in a listing of n binary logs (names in order,
 * sizes): the sizes of the files before file, plus pos. -1 when file is
 * not listed.
 */
int	catchup_offset(const char *const *names, const uint64_t *sizes,
	    size_t n, const char *file, uint64_t pos, uint64_t *off);

#endif /* CATCHUP_H */
