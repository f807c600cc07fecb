/*
 * metrics: the Prometheus endpoint. Per migration: its phase, step,
 * weights, lag, every gate's value, limit and verdict, the last cutover's
 * freeze and write gap; for the daemon: AWS and DigitalOcean calls,
 * errors, throttles and retries by service, and the gates' poll lateness.
 */
#ifndef METRICS_H
#define METRICS_H

struct daemon;
struct metrics;

/* Listen on a loopback "ADDRESS:PORT". NULL (logged) when it cannot. */
struct metrics	*metrics_new(struct daemon *, const char *listen);
void		 metrics_free(struct metrics *);

#endif
