/*
 * preflight: every check before anything moves, as one list (data) that
 * two callers run: the preflight phase, which fails the migration on any
 * failed check, and `migratectl check`, which replies with every check's
 * verdict and changes nothing. A run only reads: queries on the source
 * and the target, describe calls to AWS, a droplet listing.
 */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

#include <jansson.h>

struct daemon;
struct dbpair;
struct migration;
struct pf;

/*
 * A run of every check on m, not started. done(arg, pf) is called once,
 * when the last answer is in (maybe from within preflight_start()); the
 * caller frees pf then or later with preflight_free().
 */
struct pf	*preflight_new(struct daemon *, struct migration *,
		    void (*done)(void *, struct pf *), void *arg);
/*
 * Start every check, asking the databases over db (NULL: every database
 * check fails with why, a sentence). db must outlive the run.
 */
void		 preflight_start(struct pf *, struct dbpair *, const char *why);
/* Stop what is in flight (no done) and free. NULL is a no-op. */
void		 preflight_free(struct pf *);

/* After done: the number of failed checks, and of warnings. */
int		 preflight_failed(const struct pf *);
int		 preflight_warned(const struct pf *);
/* After done: every failure's sentence with its fix, "; " between. */
const char	*preflight_text(const struct pf *);
/*
 * After done: one object per check, in the list's order: {"name",
 * "status": "pass"|"warn"|"fail"|"skip", "detail", "fix"}. A new array.
 */
json_t		*preflight_rows(const struct pf *);
/* After done: each warning's sentence, for the journal; i from 0. */
const char	*preflight_warning(const struct pf *, int i);

#endif /* PREFLIGHT_H */
