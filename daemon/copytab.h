/*
 * copytab: the seed copy's tables and chunks, for the copy worker
 * (copy.c). A table is listed from the source with the columns that can be
 * inserted (not generated ones) and its primary key; a table whose key is
 * one integer column is cut into chunks (lo, hi] of about COPY_CHUNK_BYTES
 * along that key, walked once in the snapshot; any other table is one
 * chunk. The chunk plan lives on the target in migrated.seed_chunks, so a
 * chunk's rows and its "done" mark commit in one transaction there: after a
 * crash, a chunk is either wholly copied and marked, or not at all.
 *
 * Everything here blocks: it runs in the worker process, never in the
 * daemon's loop.
 */
#ifndef COPYTAB_H
#define COPYTAB_H

#include <stdint.h>

#include <mysql.h>

#define COPY_CHUNK_BYTES	(4 * 1024 * 1024)
#define COPY_BATCH_BYTES	(1024 * 1024)	/* one INSERT statement */
#define COPY_CHUNKS_TABLE	"migrated.seed_chunks"

struct copy_tab {
	char		*schema, *name;
	char		*full;		/* "`s`.`t`", quoted */
	char		*label;		/* "s.t", as recorded */
	char		*cols;		/* "`a`, `b`", insertable columns */
	char		*hash;		/* a row's MD5 expression, for compare */
	char		*key;		/* "`id`": one integer key, or NULL */
	uint64_t	 rows, bytes;	/* information_schema's estimates */
};

enum copy_chunk_state {
	CHUNK_PENDING,		/* to copy; the range may hold a partial run */
	CHUNK_KEPT,		/* copied in an earlier run: compare first */
	CHUNK_DONE,
};

struct copy_chunk {
	int			 tab;		/* index in the table list */
	int			 n;		/* its number in the table */
	int			 has_lo, has_hi;	/* else open */
	long long		 lo, hi;	/* key range (lo, hi] */
	uint64_t		 bytes;		/* estimated */
	enum copy_chunk_state	 state;
};

/* A query's failure, with the server's words, into why; -1. */
int	copy_sql(MYSQL *, const char *sql, char *why, size_t);

/* The base tables of the schemas (NULL-terminated), in the snapshot. */
int	copy_tabs_list(MYSQL *, char *const *schemas, struct copy_tab **,
	    int *ntabs, char *why, size_t);
void	copy_tabs_free(struct copy_tab *, int ntabs);

/*
 * Cut every table into chunks along its key, in the snapshot: chunk_rows
 * rows each, or (0) about COPY_CHUNK_BYTES.
 */
int	copy_chunks_plan(MYSQL *, const struct copy_tab *, int ntabs,
	    uint64_t chunk_rows, struct copy_chunk **, int *nchunks,
	    char *why, size_t);

/*
 * The plan on the target: record a new one (one transaction), or load the
 * one an earlier run of this owner recorded (*nchunks 0: none).
 */
int	copy_chunks_record(MYSQL *tgt, const char *owner,
	    const struct copy_tab *, const struct copy_chunk *, int nchunks,
	    char *why, size_t);
int	copy_chunks_load(MYSQL *tgt, const char *owner,
	    const struct copy_tab *, int ntabs, struct copy_chunk **,
	    int *nchunks, char *why, size_t);

/*
 * Copy one chunk from src (in the snapshot) to tgt in one transaction that
 * first empties the range (clear: a run before may have left rows there)
 * and ends by marking it done. *rows and *bytes count what was read. pause
 * is polled between statements; while it returns nonzero the copy waits.
 */
int	copy_chunk_copy(MYSQL *src, MYSQL *tgt, const char *owner,
	    const struct copy_tab *, const struct copy_chunk *, int clear,
	    volatile uint64_t *rows, volatile uint64_t *bytes, char *why,
	    size_t);

/* 1: the chunk's rows are the same on both sides; 0: not; -1: error. */
int	copy_chunk_same(MYSQL *src, MYSQL *tgt, const struct copy_tab *,
	    const struct copy_chunk *, char *why, size_t);

#endif /* COPYTAB_H */
