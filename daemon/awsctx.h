/*
 * awsctx: the daemon's way to AWS. One credential chain for the whole
 * process, on the daemon's HTTP client, and one lib/aws client per region
 * in use (a plan's traffic.region, or [aws] region of the config), each
 * made on first use from the config's [aws] section and kept until exit.
 */
#ifndef AWSCTX_H
#define AWSCTX_H

#include <stddef.h>

struct daemon;
struct plan;
struct aws;

/*
 * The region a plan's AWS calls go to: its traffic.region, else the
 * config's [aws] region; NULL when neither is set.
 */
const char	*awsctx_region(const struct daemon *, const struct plan *);

/*
 * The client for region, made on first use. NULL, with a sentence in why,
 * when it cannot be made (a bad endpoint in the config, out of memory).
 */
struct aws	*awsctx_get(struct daemon *, const char *region, char *why,
		    size_t len);

/* The counters of one service, summed over every region's client. */
struct aws_service;
struct aws_stats;
void		 awsctx_stats(const struct daemon *, const struct aws_service *,
		    struct aws_stats *);

/*
 * Free every client, then the credential chain: calls in flight are
 * cancelled without their callbacks. NULL-safe.
 */
void		 awsctx_free(struct daemon *);

#endif /* AWSCTX_H */
