/*
 * preflight: the checks a migration must pass before anything moves. Each
 * failed check names what to fix. The result is one event: checks_passed
 * or checks_failed with every failure in its text.
 */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

struct daemon;
struct migration;

/* Run the checks; fires MEV_CHECKS_PASSED or MEV_CHECKS_FAILED on m. */
void	preflight_run(struct daemon *, struct migration *);

#endif
