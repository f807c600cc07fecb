/*
 * proofrun: the checksum proof's lifecycle for one migration: started by
 * the cutover at the freeze point, resumed at restart, run again at a new
 * consistent point (the re-proof) when the daemon lost it. Its verdict is
 * the fact PROOF_FACT_VERDICT.
 */
#ifndef PROOFRUN_H
#define PROOFRUN_H

#include <stddef.h>

#include <jansson.h>

#include "phase.h"

struct job;
struct mydb;
struct proofrun;

struct proofrun	*proofrun_new(struct job *);
void		 proofrun_free(struct proofrun *);

/*
 * Prove the tables on the n streams src[i], tgt[i], each connection
 * inside a consistent snapshot at the freeze point; the proof takes the
 * connections over (the arrays stay the caller's).
 */
void		 proofrun_start(struct proofrun *, struct mydb **src,
		    struct mydb **tgt, size_t n);

/* The proof's progress ("12 of 40 tables"), or NULL when none runs. */
const char	*proofrun_text(const struct proofrun *);

/* Its pace while it runs (proof_pace_json()), or NULL: a new object. */
json_t		*proofrun_json(const struct proofrun *);

/* At restart, before reconciling: take the verdict back from the store. */
void		 proofrun_resume(struct proofrun *);
/* The restart's effects are reconciled: a re-proof due may start. */
void		 proofrun_reconciled(struct proofrun *);
/* The migration entered a phase, coming from `from`. */
void		 proofrun_entered(struct proofrun *, enum phase from);

#endif /* PROOFRUN_H */
