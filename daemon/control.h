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
 * A reply that comes later (a command waiting on AWS): the command
 * returns CMD_DEFERRED after control_defer(), and answers with
 * control_resolve(pd, reply) (reply stolen; pd is freed). Meanwhile the
 * client's next requests wait. If the client goes first, cancel(arg) is
 * called and pd is gone: the command must not resolve it then.
 */
struct ctl_pending;
struct ctl_pending	*control_defer(struct ctl_client *, int64_t id,
			    void (*cancel)(void *), void *arg);
int64_t			 control_pending_id(const struct ctl_pending *);
void			 control_resolve(struct ctl_pending *, json_t *reply);

/* Wake watchers; the update goes out once per loop turn. */
void	control_changed(struct control *);

/* Stop accepting new requests (SIGTERM); watchers are told and dropped. */
void	control_shutdown(struct control *);

#endif
