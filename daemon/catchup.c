/*
 * catchup: the target's pace against the source's, from the lag
 * watcher's readings (see catchup.h). The rates are taken between the
 * oldest and the newest reading kept, about half a minute at one reading
 * a second, so a burst of the application's writes moves them little.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catchup.h"

/* Rates need readings this far apart. */
#define CATCHUP_MIN_SPAN_MS	2000
/* Lag noise under which a lower lag is not progress. */
#define CATCHUP_NOISE_MS	1000

void
catchup_init(struct catchup *c)
{
	memset(c, 0, sizeof(*c));
	c->lag_ms = -1;
}

void
catchup_sample(struct catchup *c, int64_t t_ms, uint64_t src, uint64_t exec,
    int64_t commits)
{
	struct catchup_sample	*s;

	if (c->n == CATCHUP_SAMPLES) {
		c->head = (c->head + 1) % CATCHUP_SAMPLES;
		c->n--;
	}
	s = &c->s[(c->head + c->n) % CATCHUP_SAMPLES];
	s->t_ms = t_ms;
	s->src = src;
	s->exec = exec;
	s->commits = commits;
	c->n++;
}

void
catchup_reset_rates(struct catchup *c)
{
	c->head = c->n = 0;
}

/*
 * The low is the lag when the target last made progress: -1 while in
 * sync, the first reading once out of sync (the clock still runs from
 * the last reading in sync), then each reading lower than it by more than
 * the noise. A lag that falls within the noise leaves the low alone, so
 * a slow steady fall still counts once it adds up.
 */
int64_t
catchup_lag(struct catchup *c, int64_t now, int64_t lag_ms, int64_t in_sync)
{
	int64_t	noise;

	c->lag_ms = lag_ms;
	c->in_sync = lag_ms <= in_sync;
	c->progressing = 1;
	if (c->in_sync || c->low_at == 0) {
		c->low_ms = c->in_sync ? -1 : lag_ms;
		c->low_at = now;
		return 0;
	}
	if (c->low_ms < 0)
		c->low_ms = lag_ms;
	else {
		noise = c->low_ms / 20 > CATCHUP_NOISE_MS ? c->low_ms / 20 :
		    CATCHUP_NOISE_MS;
		if (lag_ms < c->low_ms - noise) {
			c->low_ms = lag_ms;
			c->low_at = now;
			return 0;
		}
	}
	c->progressing = 0;
	return now - c->low_at;
}

static double
rate(uint64_t a, uint64_t b, int64_t ms)
{
	if (b < a)
		return -1;
	return (double)(b - a) * 1000.0 / (double)ms;
}

void
catchup_view(const struct catchup *c, int64_t now, struct catchup_view *v)
{
	const struct catchup_sample	*a, *b;
	int64_t				 span;

	v->src_bps = v->apply_bps = v->commits_s = -1;
	v->backlog = v->eta_ms = -1;
	v->catching_up = -1;
	v->stalled_ms = c->low_at != 0 && !c->progressing ? now - c->low_at :
	    0;
	if (c->n == 0)
		return;
	a = &c->s[c->head];
	b = &c->s[(c->head + c->n - 1) % CATCHUP_SAMPLES];
	v->backlog = b->src > b->exec ? (int64_t)(b->src - b->exec) : 0;
	span = b->t_ms - a->t_ms;
	if (span >= CATCHUP_MIN_SPAN_MS) {
		v->src_bps = rate(a->src, b->src, span);
		v->apply_bps = rate(a->exec, b->exec, span);
		if (a->commits >= 0 && b->commits >= a->commits)
			v->commits_s = (double)(b->commits - a->commits) *
			    1000.0 / (double)span;
	}
	if (v->backlog == 0 || (c->lag_ms >= 0 && c->in_sync)) {
		v->eta_ms = 0;
		v->catching_up = 1;
	} else if (v->src_bps >= 0 && v->apply_bps >= 0) {
		v->catching_up = v->apply_bps > v->src_bps;
		if (v->catching_up)
			v->eta_ms = (int64_t)((double)v->backlog * 1000.0 /
			    (v->apply_bps - v->src_bps));
	}
}

int
catchup_offset(const char *const *names, const uint64_t *sizes, size_t n,
    const char *file, uint64_t pos, uint64_t *off)
{
	uint64_t	sum = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], file) == 0) {
			*off = sum + pos;
			return 0;
		}
		sum += sizes[i];
	}
	return -1;
}

const char *
catchup_bytes(double bps, char *buf, size_t len)
{
	if (bps < 0)
		snprintf(buf, len, "?");
	else if (bps >= 1e9)
		snprintf(buf, len, "%.1f GB", bps / 1e9);
	else if (bps >= 1e6)
		snprintf(buf, len, "%.1f MB", bps / 1e6);
	else
		snprintf(buf, len, "%.0f kB", bps / 1e3);
	return buf;
}

void
catchup_advice(char *buf, size_t len, int mariadb, int rds,
    const char *workers_var, const char *workers, const char *type_var,
    const char *type)
{
	const char	*how;
	long		 n = workers != NULL ? strtol(workers, NULL, 10) : -1;

	how = rds ? "in the RDS instance's DB parameter group, then stop "
	    "and start replication for it to apply (CALL "
	    "mysql.rds_stop_replication, mysql.rds_start_replication)" :
	    "with SET GLOBAL while replication is stopped (STOP SLAVE, "
	    "START SLAVE), and in my.cnf";
	if (n > 1) {
		snprintf(buf, len, "the target applies on %ld threads already "
		    "(%s = %s, %s = %s): %sa larger instance class for the "
		    "target, or a cutover when the application writes less",
		    n, workers_var, workers, type_var, type ? type : "?",
		    mariadb && type != NULL && strcmp(type, "optimistic") != 0 &&
		    strcmp(type, "aggressive") != 0 ? "slave_parallel_mode = "
		    "optimistic (its transactions conflict rarely), " : "");
		return;
	}
	if (mariadb)
		snprintf(buf, len, "parallel apply on the target: it applies "
		    "every transaction on one thread (%s = %s, %s = %s); set "
		    "slave_parallel_threads = 4 (up to about the source's "
		    "busy connections) and slave_parallel_mode = optimistic "
		    "%s",
		    workers_var, workers ? workers : "?", type_var,
		    type ? type : "?", how);
	else
		snprintf(buf, len, "parallel apply on the target: it applies "
		    "every transaction on one thread (%s = %s, %s = %s); set "
		    "%s = 4 (up to about the source's busy connections), %s = "
		    "LOGICAL_CLOCK and replica_preserve_commit_order = ON %s",
		    workers_var, workers ? workers : "?", type_var,
		    type ? type : "?", workers_var, type_var, how);
}
