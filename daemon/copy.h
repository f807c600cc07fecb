/*
 * copy: the seed's copy worker, a process of its own (`migrated
 * --seed-copy`, started by seed.c) so that its blocking MySQL connections
 * never stall the daemon's loop. It copies the source's schemas into the
 * target over `threads` pairs of connections, every source connection
 * inside one consistent snapshot whose binary log coordinates it reports.
 *
 * The chunk plan and each chunk's "done" mark live on the target
 * (copytab.h), committed with the chunk's rows. A run that finds a plan
 * of its owner there resumes it: it takes a new snapshot, compares each
 * chunk an earlier run copied with the source as of that snapshot (a
 * checksum on both sides), copies again only the chunks that differ and
 * those never finished, and reports the new snapshot's coordinates. So
 * the target ends as of one point, whatever number of runs it took, and
 * replication starts there.
 *
 * Protocol. stdin, one JSON line first:
 *   {"owner": "shop", "src_cnf": PATH, "tgt_cnf": PATH,
 *    "schemas": ["migrated", "shop"], "threads": 4, "max_load": 50,
 *    "chunk_rows": 0}
 * then lines "max_load N" to change the throttle while it runs.
 * stdout, one JSON object a line ("ev" names it):
 *   start     {"resume": bool}
 *   snapshot  {"file": F, "pos": P}
 *   plan      {"chunks": N, "kept": K, "bytes": B}   B: estimated total
 *   progress  {"rows", "bytes" (read this run), "chunks_done",
 *              "done_bytes" (estimate of the chunks done), "verified",
 *              "redo_chunks", "throttle": "why" or null}, each second
 *   done      {"file", "pos", "rows", "bytes", "redo_chunks"}
 * A failure is a sentence on stderr and exit status 1.
 */
#ifndef COPY_H
#define COPY_H

/* The worker's main(); returns the exit status. */
int	copy_main(void);

#endif /* COPY_H */
