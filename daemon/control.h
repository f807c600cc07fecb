/*
 * control: the Unix control socket. It owns the listening socket, one struct
 * per client with its buffers and peer credentials, and the one place a
 * client is torn down. Requests are handed to cmd_dispatch().
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

struct daemon;
struct control;
struct ctl_client;

/* Listen on path; -1 (logged) if another daemon listens there or on error. */
struct control	*control_new(struct daemon *, const char *path, int mode,
		    const char *group, int max_clients);
void		 control_free(struct control *);

/* Queue msg (stolen) for the client; it is dropped if it cannot keep up. */
void	control_send(struct ctl_client *, json_t *msg);

/*
 * Make the client a watcher of name (NULL: every migration) for request
 * id: it gets a "status" event whenever something changes. A name that
 * does not exist yet (exists 0) is waited for: its first event comes once
 * it is created; one that existed and goes away ends the watch.
 */
void	control_watch(struct ctl_client *, int64_t id, const char *name,
	    int exists);
/*
 * Defer the reply to request id: the command sends it later with
 * control_defer_send(). changed(arg), when not NULL, runs whenever watchers
 * are woken (a migration changed); gone(arg) runs if the client leaves
 * first, and the handle is then freed. One per client: NULL when the
 * client already waits for one.
 */
struct ctl_defer;
struct ctl_defer *control_defer(struct ctl_client *, int64_t id,
		    void (*changed)(void *), void (*gone)(void *), void *arg);
/*
 * For a command: control_defer() for its request, and ctx->deferred set;
 * NULL with an error recorded when it cannot (no client, or one that
 * waits for another reply already).
 */
struct cmd_ctx;
struct ctl_defer *control_defer_cmd(struct cmd_ctx *,
		    void (*changed)(void *), void (*gone)(void *), void *arg);
int64_t	control_defer_id(const struct ctl_defer *);
/* Send reply (stolen; a whole envelope) and free the handle. */
void	control_defer_send(struct ctl_defer *, json_t *reply);

/* Wake watchers; the update goes out once per loop turn. */
void	control_changed(struct control *);

/* Stop accepting new requests (SIGTERM); watchers are told and dropped. */
void	control_shutdown(struct control *);

#endif
