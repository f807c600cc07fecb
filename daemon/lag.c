/*
 * lag: the heartbeat writer, the heartbeat reader and the replica status
 * poller of one migration, each a timer with at most one query in flight,
 * so a slow server delays readings but never piles up queries. A failed
 * query leaves the last reading's timestamp old; it never counts as good.
 * With the replica status, at most once a second, the source's binary
 * log listing and commit counter: the pace of the two (catchup.c). Not
 * during the cutover, whose freeze wants the source's connection alone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "catchup.h"
#include "daemon.h"
#include "dbpair.h"
#include "lag.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "mydialect.h"
#include "now.h"
#include "plan.h"
#include "store.h"
#include "xmalloc.h"

#define LAG_RING	256	/* acknowledged heartbeats remembered */
#define LAG_PACE_MS	1000	/* the source's pace read at most this often */

struct lag {
	struct daemon		*d;
	struct migration	*m;
	struct dbpair		*db;
	struct event		*ev_beat;
	struct event		*ev_status;
	int			 write_busy, read_busy, status_busy;
	int			 hold;
	int64_t			 acked[LAG_RING];	/* values, rising */
	int64_t			 writing;		/* value in flight */
	int64_t			 gap_last;	/* newest acked, not remembered */
	unsigned int		 head, n;
	int64_t			 last_sample;
	struct lagstat		 st;
	/* The pace: the readings, and the source's listing's first file. */
	struct catchup		 cu;
	int			 pace_busy;
	int64_t			 pace_at;
	uint64_t		 pace_src, pace_exec;
	int			 pace_ok;
	char			 first_log[128];
};

static void
lag_write_cb(void *arg, struct mydb_result *res)
{
	struct lag	*l = arg;
	int64_t		 v;

	l->write_busy = 0;
	if (res->err != 0)
		return;
	v = l->writing;
	if (l->n == LAG_RING) {
		l->gap_last = v;
		return;
	}
	l->acked[(l->head + l->n) % LAG_RING] = v;
	l->n++;
}

static void
lag_read_cb(void *arg, struct mydb_result *res)
{
	struct lag	*l = arg;
	const char	*v;
	int64_t		 seen, now = now_us(), lag = 0;

	l->read_busy = 0;
	if (res->err != 0 || (v = mydb_get(res, 0, "ts_us")) == NULL)
		return;
	seen = strtoll(v, NULL, 10);
	/* Forget what the target has shown; the oldest left is waiting. */
	while (l->n > 0 && l->acked[l->head] <= seen) {
		l->head = (l->head + 1) % LAG_RING;
		l->n--;
	}
	if (l->n > 0)
		lag = now - l->acked[l->head];
	/*
	 * Heartbeats not remembered (the ring was full) and not seen yet:
	 * the first unseen one was written an interval after the one seen
	 * at the earliest. An upper bound, within an interval of the truth
	 * while the writes keep their pace.
	 */
	if (l->gap_last > seen && l->m->plan != NULL &&
	    now - seen - l->m->plan->source.heartbeat_interval * 1000 > lag)
		lag = now - seen - l->m->plan->source.heartbeat_interval * 1000;
	else if (l->gap_last <= seen)
		l->gap_last = 0;
	l->st.known = 1;
	l->st.heartbeat_ms = lag / 1000;
	l->st.updated = now / 1000;
	if (l->m->plan != NULL)
		catchup_lag(&l->cu, now / 1000, lag / 1000,
		    l->m->plan->target.max_lag);
	if (now / 1000 - l->last_sample >= 1000) {
		l->last_sample = now / 1000;
		store_sample(l->d->store, l->m->id, "heartbeat_lag_ms",
		    (double)lag / 1000);
	}
}

static void
lag_beat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lag	*l = arg;
	char		 sql[160];
	int64_t		 v;

	/*
	 * A full ring does not stop the writes (the lag would then read 0
	 * once the target shows the last one remembered, however far behind
	 * it is): the heartbeats past it are not remembered, and the lag is
	 * bounded from the value seen until the target shows them.
	 */
	if (!l->write_busy && !l->hold) {
		v = now_us();
		snprintf(sql, sizeof(sql), "UPDATE migrated.heartbeat SET "
		    "ts_us = %" PRId64 " WHERE id = 1", v);
		if (mydb_query(l->db->src, sql, lag_write_cb, l) == 0) {
			l->write_busy = 1;
			l->writing = v;
		}
	}
	if (!l->read_busy && mydb_query(l->db->tgt, "SELECT ts_us FROM "
	    "migrated.heartbeat WHERE id = 1", lag_read_cb, l) == 0)
		l->read_busy = 1;
}

static void
copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void
lag_status_cb(void *arg, struct mydb_result *res)
{
	struct lag	*l = arg;
	const char	*v;

	l->status_busy = 0;
	if (res->err != 0)
		return;
	l->st.status_known = 1;
	l->st.status_updated = now_us() / 1000;
	l->st.configured = res->nrows > 0;
	if (res->nrows == 0) {
		l->st.io_running = l->st.sql_running = 0;
		return;
	}
	v = mydialect_status(res, 0, "Replica_IO_Running");
	l->st.io_running = v != NULL && strcmp(v, "Yes") == 0;
	v = mydialect_status(res, 0, "Replica_SQL_Running");
	l->st.sql_running = v != NULL && strcmp(v, "Yes") == 0;
	v = mydialect_status(res, 0, "Seconds_Behind_Source");
	l->st.replica_ms = v != NULL ? strtoll(v, NULL, 10) * 1000 : -1;
	v = mydialect_status(res, 0, "Last_IO_Errno");
	l->st.io_errno = v ? (unsigned)strtoul(v, NULL, 10) : 0;
	v = mydialect_status(res, 0, "Last_SQL_Errno");
	l->st.sql_errno = v ? (unsigned)strtoul(v, NULL, 10) : 0;
	copy_text(l->st.io_error, sizeof(l->st.io_error),
	    mydialect_status(res, 0, "Last_IO_Error"));
	copy_text(l->st.sql_error, sizeof(l->st.sql_error),
	    mydialect_status(res, 0, "Last_SQL_Error"));
	copy_text(l->st.exec_file, sizeof(l->st.exec_file),
	    mydialect_status(res, 0, "Relay_Source_Log_File"));
	v = mydialect_status(res, 0, "Exec_Source_Log_Pos");
	l->st.exec_pos = v ? strtoull(v, NULL, 10) : 0;
	if (l->st.replica_ms >= 0)
		store_sample(l->d->store, l->m->id, "replica_lag_ms",
		    (double)l->st.replica_ms);
	daemon_changed(l->d, l->m);
}

/*
 * SHOW BINARY LOGS: the source's head is the sum of the sizes, and the
 * target's executed position (its last status) an offset in the same
 * listing. A new first file (logs purged) moves the origin.
 */
static void
lag_binlogs_cb(void *arg, struct mydb_result *res)
{
	struct lag		*l = arg;
	const char		**names;
	uint64_t		*sizes, head = 0;
	unsigned long long	 r;
	const char		*v;

	l->pace_ok = 0;
	if (res->err != 0 || res->nrows == 0)
		return;
	names = xcalloc(res->nrows, sizeof(*names));
	sizes = xcalloc(res->nrows, sizeof(*sizes));
	for (r = 0; r < res->nrows; r++) {
		names[r] = (v = mydb_get(res, r, "Log_name")) ? v : "";
		v = mydb_get(res, r, "File_size");
		sizes[r] = v ? strtoull(v, NULL, 10) : 0;
		head += sizes[r];
	}
	if (strcmp(names[0], l->first_log) != 0) {
		catchup_reset_rates(&l->cu);
		copy_text(l->first_log, sizeof(l->first_log), names[0]);
	}
	l->pace_src = head;
	l->pace_ok = l->st.status_known && l->st.configured &&
	    catchup_offset(names, sizes, res->nrows, l->st.exec_file,
	    l->st.exec_pos, &l->pace_exec) == 0;
	free(names);
	free(sizes);
}

/* The commit counter (MariaDB's Binlog_commits), then the reading. */
static void
lag_commits_cb(void *arg, struct mydb_result *res)
{
	struct lag	*l = arg;
	const char	*v = res->err == 0 ? mydb_var(res, "Binlog_commits") :
			    NULL;

	l->pace_busy = 0;
	if (l->pace_ok)
		catchup_sample(&l->cu, l->pace_at, l->pace_src, l->pace_exec,
		    v != NULL ? strtoll(v, NULL, 10) : -1);
}

static void
lag_pace_tick(struct lag *l)
{
	int64_t	now = now_ms();

	if (l->pace_busy || l->hold || l->m->phase == PH_CUTOVER ||
	    now - l->pace_at < LAG_PACE_MS)
		return;
	if (mydb_query(l->db->src, "SHOW BINARY LOGS", lag_binlogs_cb,
	    l) == -1)
		return;
	l->pace_at = now;
	l->pace_busy = 1;
	if (mydb_query(l->db->src, "SHOW GLOBAL STATUS LIKE 'Binlog_commits'",
	    lag_commits_cb, l) == -1)
		l->pace_busy = 0;
}

static void
lag_status_tick(evutil_socket_t fd, short what, void *arg)
{
	struct lag	*l = arg;

	lag_pace_tick(l);
	if (l->status_busy || !l->db->td_known)
		return;
	if (mydb_query(l->db->tgt, dbpair_status_sql(l->db, l->m->plan),
	    lag_status_cb, l) == 0)
		l->status_busy = 1;
}

static void
lag_version_cb(void *arg, struct mydb_result *res)
{
	struct lag	*l = arg;
	const char	*v;

	if (res->err == 0 && (v = mydb_get(res, 0, "v")) != NULL &&
	    mydialect_from_version(v, &l->db->td) == 0)
		l->db->td_known = 1;
}

struct lag *
lag_new(struct daemon *d, struct migration *m, struct dbpair *db)
{
	struct lag	*l;
	struct timeval	 beat, poll;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("calloc");
	l->d = d;
	l->m = m;
	l->st.heartbeat_ms = l->st.replica_ms = -1;
	catchup_init(&l->cu);
	l->db = db;
	if (!l->db->td_known)
		mydb_query(l->db->tgt, "SELECT VERSION() AS v", lag_version_cb,
		    l);
	beat.tv_sec = m->plan->source.heartbeat_interval / 1000;
	beat.tv_usec = (m->plan->source.heartbeat_interval % 1000) * 1000;
	poll.tv_sec = m->plan->traffic.poll_interval / 1000;
	poll.tv_usec = (m->plan->traffic.poll_interval % 1000) * 1000;
	l->ev_beat = event_new(d->base, -1, EV_PERSIST, lag_beat_cb, l);
	l->ev_status = event_new(d->base, -1, EV_PERSIST, lag_status_tick, l);
	if (l->ev_beat == NULL || l->ev_status == NULL)
		fatalx("event_new");
	event_add(l->ev_beat, &beat);
	event_add(l->ev_status, &poll);
	lag_status_tick(-1, 0, l);
	return l;
}

void
lag_free(struct lag *l)
{
	if (l == NULL)
		return;
	mydb_forget(l->db->src, l);
	mydb_forget(l->db->tgt, l);
	event_free(l->ev_beat);
	event_free(l->ev_status);
	free(l);
}

const struct lagstat *
lag_stat(const struct lag *l)
{
	return &l->st;
}

struct catchup *
lag_catchup(struct lag *l)
{
	return &l->cu;
}

void
lag_hold_writes(struct lag *l, int hold)
{
	l->hold = hold;
}
