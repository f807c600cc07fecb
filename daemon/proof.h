/*
 * proof: the checksum proof that the target holds exactly the frozen
 * source. Given N pairs of connections (streams), every one already inside
 * a consistent snapshot of the same point (REPEATABLE READ, START
 * TRANSACTION WITH CONSISTENT SNAPSHOT, opened while that point is held
 * still: during the freeze, or with the paused side's replication stopped
 * there), it lists the base tables of the schemas on both sides and
 * compares every table chunk by chunk along its primary key (or a unique
 * NOT NULL key), like pt-table-checksum: the source's key is walked in
 * chunks of chunk_rows, and the same query (row count and sums of a hash
 * of every row: CRC32 and CRC32C, 64 bits, where both servers have
 * CRC32C, else the two halves of its MD5) runs on the source and the
 * target for each key range, so a row that differs, is missing, or is
 * extra on the target is named by table and range. The streams take
 * chunks from one queue, so the tables and the chunks of one table are
 * checksummed N at a time. All reads stay inside the snapshots, so the
 * writes that follow the point are invisible. The proof does not own the
 * connections (they must outlive it): it sets their session's time_zone
 * and sql_mode and leaves the transactions open for the caller to close.
 */
#ifndef PROOF_H
#define PROOF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct event_base;
struct mydb;
struct proof;

#define PROOF_MISMATCH_MAX	100	/* listed; all are counted */
#define PROOF_STREAMS_MAX	64	/* as target.seed_threads */
#define PROOF_NOTE_MAX		100

/*
 * PROOF_OK only when every table is on both sides with the same columns and
 * every chunk matches. PROOF_MISMATCH: every table was checked and what
 * differs is listed (up to PROOF_MISMATCH_MAX entries, all counted).
 * PROOF_ERROR: a query failed, or a session was lost or re-made (its
 * snapshot with it), or a connection held no transaction; the proof stops
 * there, says why, and nothing found before counts as proof.
 */
enum proof_verdict {
	PROOF_OK,
	PROOF_MISMATCH,
	PROOF_ERROR,
};

enum proof_what {
	PROOF_ROWS_DIFFER,	/* same count, different content */
	PROOF_MISSING_ON_TARGET,	/* fewer rows on the target */
	PROOF_EXTRA_ON_TARGET,	/* more rows on the target */
	PROOF_TABLE_MISSING,	/* table on the source only */
	PROOF_TABLE_EXTRA,	/* table on the target only */
	PROOF_COLUMNS_DIFFER,	/* column names differ; data not compared */
};

struct proof_mismatch {
	enum proof_what	 what;
	char		*table;		/* "schema.table" */
	char		*key;		/* "id", "(a, b)"; NULL: no key */
	char		*lo;		/* the chunk (lo, hi]: "42", "'x'", */
	char		*hi;		/* "0x00ff", "(1, 'x')"; NULL: open */
	uint64_t	 src_rows, tgt_rows;
	char		*detail;	/* "on the target only: c", or NULL */
};

struct proof_report {
	enum proof_verdict	 verdict;
	char			*error;		/* verdict error: why */
	size_t			 tables_total;	/* on either side */
	size_t			 tables;	/* compared, or found apart */
	uint64_t		 chunks;
	uint64_t		 rows;		/* source rows compared */
	int64_t			 elapsed_ms;
	uint64_t		 nmismatches;	/* all of them */
	struct proof_mismatch	*mismatches;	/* the first ones */
	size_t			 nlisted;
	char			**notes;	/* "shop.log: no key: ..." */
	size_t			 nnotes;
	size_t			 streams;
	size_t			 streams_busy_max;	/* at once */
	uint64_t		 bytes_total;	/* the source's, estimated */
	uint64_t		 bytes_done;	/* estimated from the rows */
	uint64_t		 bytes_resumed;	/* of those, proven before */
	uint64_t		 resumed_chunks;	/* proven before, kept */
	uint64_t		 resumed_tables;	/* gone on from a mark */
};

/* The pace of a proof so far (proof_pace()). */
struct proof_pace {
	double		 bytes_per_s;	/* this run's; 0: not known yet */
	int64_t		 eta_s;		/* -1: not known yet */
	int		 pct;		/* of the estimated bytes */
};

typedef void (*proof_cb)(void *arg, const struct proof_report *);
/* The proven state (see proof_state()), when it changed: at most once a
 * second, and at the end. */
typedef void (*proof_save_cb)(void *arg, const json_t *state);

/*
 * Start comparing the base tables of schemas on the n streams src[i],
 * tgt[i] (all inside snapshots of one point), chunk_rows source rows per
 * chunk; <= 0: 1000 at first, then as many as take about 100 ms (as
 * pt-table-checksum's --chunk-time sizes its chunks). done is called once, from the loop, with a
 * report valid until proof_free(); it may call proof_free(). NULL if a
 * connection's query queue is full.
 */
struct proof	*proof_new(struct event_base *, struct mydb *const *src,
		    struct mydb *const *tgt, size_t n,
		    const char *const *schemas, size_t nschemas, int chunk_rows,
		    proof_cb done, void *arg);
/*
 * Right after proof_new(): what an earlier proof of the same tables
 * proved (its proof_state()) is not compared again, and stays in this
 * proof's state. The caller answers for the earlier point: the ranges kept
 * were proven there, the rest is proven here.
 */
void		 proof_resume(struct proof *, const json_t *state);
void		 proof_on_save(struct proof *, proof_save_cb, void *arg);
/* {"tables": {"shop.items": {"k": "id", "done": true, "rows": n,
 * "chunks": n}, "shop.big": {"k": "id", "at": ["1000"], ...}}}: the
 * tables proven whole, and those proven from their start to a mark. */
const json_t	*proof_state(const struct proof *);
/*
 * The same comparison without snapshots, through replication, as
 * pt-table-checksum does it: for where the target's replication cannot be
 * stopped at a position (RDS for MariaDB). src is the daemon's own
 * connection to the source: its session logs by STATEMENT (SET SESSION
 * binlog_format: SUPER or BINLOG ADMIN), so each chunk's checksum, written
 * into migrated.checksums (created if missing, emptied at the start) by
 * INSERT ... SELECT, is run again by the target's SQL thread at the same
 * point of the stream, over the target's rows; the source's own result is
 * stored beside it by literal values. Once the end mark of run has been
 * applied on tgt, the target's rows say which chunks differ; while none
 * arrive, status_sql (its replica status) tells whether it replicates at
 * all, and a stopped thread ends the run with its error. The chunks,
 * keys and checksum are the ones of proof_new(); the target must
 * replicate from the source, unfiltered for migrated.* and the schemas.
 * owner (the migration's name) marks the run's rows: a run clears its
 * owner's earlier ones, and no other owner's younger than a day.
 */
struct proof	*proof_new_repl(struct event_base *, uint64_t run,
		    const char *owner, const char *status_sql,
		    struct mydb *src, struct mydb *tgt,
		    const char *const *schemas, size_t nschemas, int chunk_rows,
		    proof_cb done, void *arg);
/* Cancel (forget pending callbacks) and free; proof_free(NULL) is a no-op. */
void		 proof_free(struct proof *);
/* For status: "12/40 tables, 3400 chunks, 3400000 rows, 312 of ~929 MB
 * (33%), 95.1 MB/s, 7s left, 4 streams, 0 mismatches", the verdict
 * and the counts once done. Valid until the next call. */
const char	*proof_progress(struct proof *);
/* The counts so far, while it runs too (the verdict means nothing
 * before done). */
const struct proof_report *proof_counts(const struct proof *);
/* The report, or NULL until done has been called. */
const struct proof_report *proof_report(const struct proof *);
/* A new JSON object for the journal and status. */
json_t		*proof_report_json(const struct proof_report *);
/* Bytes done of the estimate, rate and time left after elapsed_ms. */
void		 proof_pace(const struct proof_report *, int64_t elapsed_ms,
		    struct proof_pace *);
int64_t		 proof_elapsed_ms(const struct proof *);
/* {streams, tables, chunks, rows, bytes_done, bytes_total, bytes_per_s,
 * eta_s (-1: not known yet), elapsed_ms}: a new object, for status. */
json_t		*proof_pace_json(struct proof *);
/* The streams for a wanted count (target.seed_threads): 1 to
 * PROOF_STREAMS_MAX. */
size_t		 proof_streams(int wanted);
/* The next adaptive chunk's rows, after one of rows took ms. */
int		 proof_chunk_size(int cur, int first, uint64_t rows,
		    int64_t ms);
/* Both servers' versions have CRC32C (MariaDB 10.8 and later). */
int		 proof_has_crc32c(const char *version);
/* "ok", "mismatch", "error"; "rows differ", "missing on target", ... */
const char	*proof_verdict_name(enum proof_verdict);
const char	*proof_what_name(enum proof_what);

#endif
