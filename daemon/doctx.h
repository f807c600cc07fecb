/*
 * doctx: the daemon's way to DigitalOcean: one lib/digitalocean client
 * per token file (the rate limit is the token's), on the daemon's HTTP
 * client, made on first use from the config's [digitalocean] endpoint
 * and kept until exit.
 */
#ifndef DOCTX_H
#define DOCTX_H

#include <stddef.h>

struct daemon;
struct do_client;

/*
 * The client for the token in token_file, made on first use. NULL, with
 * a sentence in why, when the file cannot be read or is readable by
 * others, or the client cannot be made.
 */
struct do_client	*doctx_get(struct daemon *, const char *token_file,
			    char *why, size_t len);

/* The counters of every client, summed. */
struct do_stats;
void			 doctx_stats(const struct daemon *, struct do_stats *);

/* Free every client; their calls are cancelled. */
void			 doctx_free(struct daemon *);

#endif
