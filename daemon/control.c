/*
 * control: the Unix control socket, after bgpd's and relayd's control.c.
 *
 * One struct ctl_client per connection holds its bufferevent, its peer
 * credentials (SO_PEERCRED, read once at accept) and, for `status --watch`,
 * what it watches. Every way a client can end (EOF, error, idle timeout, an
 * oversized line, a reader too slow for its output) goes through
 * client_close(), the one teardown path. The daemon never dies of a client:
 * bad input gets an error reply, and a client that misbehaves is dropped
 * alone.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "proto.h"
#include "view.h"

#define CTL_IDLE_TIMEOUT	60		/* seconds without a request */
#define CTL_OUTPUT_MAX		(4 * 1024 * 1024)	/* unread bytes */
#define CTL_WATCH_PERIOD	1		/* seconds between redraws */

struct ctl_client {
	struct control		*ctl;
	struct bufferevent	*bev;
	uid_t			 uid;
	pid_t			 pid;
	int			 closing;	/* flush, then close */
	int			 watching;
	int			 watch_seen;	/* the watched one existed */
	int64_t			 watch_id;
	char			*watch_name;	/* NULL: all */
	struct ctl_defer	*defer;		/* a reply still to come */
	TAILQ_ENTRY(ctl_client)	 entry;
};

/*
 * A reply that comes later (check's answers, wait's phase): the command
 * keeps this handle and sends through it; the client's teardown calls
 * gone(arg) so the command stops and never sends to a freed client.
 */
struct ctl_defer {
	struct ctl_client	*client;
	int64_t			 id;
	void			(*changed)(void *);
	void			(*gone)(void *);
	void			*arg;
};

struct control {
	struct daemon		*d;
	char			*path;
	struct evconnlistener	*listener;
	struct event		*ev_broadcast;
	struct event		*ev_tick;
	TAILQ_HEAD(, ctl_client) clients;
	int			 nclients;
	int			 max_clients;
	int			 nwatchers;
	int			 shutdown;
};

static void	client_close(struct ctl_client *);

static void
client_close(struct ctl_client *c)
{
	struct control	*ctl = c->ctl;

	TAILQ_REMOVE(&ctl->clients, c, entry);
	ctl->nclients--;
	if (c->defer != NULL) {
		struct ctl_defer	*df = c->defer;

		c->defer = NULL;
		if (df->changed != NULL)
			ctl->nwatchers--;
		df->gone(df->arg);
		free(df);
	}
	if (c->watching)
		ctl->nwatchers--;
	bufferevent_free(c->bev);
	free(c->watch_name);
	free(c);
}

void
control_send(struct ctl_client *c, json_t *msg)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	char		*line;
	size_t		 len;

	line = proto_encode(msg, &len);
	json_decref(msg);
	if (line == NULL) {
		/* Only a reply larger than a line can be: say so instead. */
		msg = proto_reply_error(-1, PROTO_E_INTERNAL,
		    "the reply exceeds %d bytes; narrow the request",
		    PROTO_LINE_MAX);
		line = proto_encode(msg, &len);
		json_decref(msg);
		if (line == NULL)
			return;
	}
	evbuffer_add(out, line, len);
	free(line);
}

/* The output is past its bound: the client does not read. Drop it. */
static int
client_stuck(struct ctl_client *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    CTL_OUTPUT_MAX;
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client	*c = arg;

	if (c->closing)
		client_close(c);
}

static void
client_finish(struct ctl_client *c)
{
	/* Flush what is queued, then close from the write callback. */
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_close(c);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client	*c = arg;
	struct control		*ctl = c->ctl;
	struct proto_request	 req;
	enum proto_err		 err;
	enum proto_frame	 fr;
	char			 msg[512];
	char			*line;
	size_t			 len;
	json_t			*reply;

	while (!c->closing) {
		fr = proto_frame_next(bufferevent_get_input(bev), &line, &len);
		if (fr == PROTO_FRAME_MORE)
			break;
		if (fr == PROTO_FRAME_TOO_LONG) {
			log_warnx("control: uid %u pid %d: request over %d "
			    "bytes, dropped", (unsigned)c->uid, (int)c->pid,
			    PROTO_LINE_MAX);
			control_send(c, proto_reply_error(-1,
			    PROTO_E_TOO_LARGE, "a request line must be at most "
			    "%d bytes", PROTO_LINE_MAX));
			client_finish(c);
			return;
		}
		if (ctl->shutdown) {
			free(line);
			control_send(c, proto_reply_error(-1, PROTO_E_BUSY,
			    "migrated is shutting down; try again when it is "
			    "back"));
			client_finish(c);
			return;
		}
		if (proto_request_parse(line, len, &req, &err, msg,
		    sizeof(msg)) == -1) {
			log_debug("control: uid %u: %s", (unsigned)c->uid, msg);
			reply = proto_reply_error(req.id, err, "%s", msg);
		} else
			reply = cmd_dispatch(ctl->d, c, c->uid, c->pid, &req);
		proto_request_clear(&req);
		free(line);
		if (reply == NULL)
			continue;	/* deferred: control_defer_send() */
		control_send(c, reply);
		if (client_stuck(c)) {
			client_close(c);
			return;
		}
	}
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client	*c = arg;

	if (what & BEV_EVENT_ERROR)
		log_debug("control: uid %u pid %d: %s", (unsigned)c->uid,
		    (int)c->pid, strerror(EVUTIL_SOCKET_ERROR()));
	else if (what & BEV_EVENT_TIMEOUT)
		log_debug("control: uid %u pid %d: idle, dropped",
		    (unsigned)c->uid, (int)c->pid);
	client_close(c);
}

static void
control_refuse(evutil_socket_t fd, const char *why)
{
	json_t	*msg;
	char	*line;
	size_t	 len;

	msg = proto_reply_error(-1, PROTO_E_BUSY, "%s", why);
	if ((line = proto_encode(msg, &len)) != NULL) {
		/* Best effort: a fresh socket's buffer takes one line. */
		(void)send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(line);
	}
	json_decref(msg);
	close(fd);
}

static void
control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control		*ctl = arg;
	struct ctl_client	*c;
	struct ucred		 cred;
	socklen_t		 credlen = sizeof(cred);
	struct timeval		 idle = { CTL_IDLE_TIMEOUT, 0 };

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	if (ctl->shutdown) {
		control_refuse(fd, "migrated is shutting down");
		return;
	}
	if (ctl->nclients >= ctl->max_clients) {
		log_warnx("control: %d clients, refusing uid %u pid %d",
		    ctl->nclients, (unsigned)cred.uid, (int)cred.pid);
		control_refuse(fd, "too many control clients; try again");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->ctl = ctl;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->bev = bufferevent_socket_new(ctl->d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb,
	    client_event_cb, c);
	bufferevent_set_timeouts(c->bev, &idle, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&ctl->clients, c, entry);
	ctl->nclients++;
}

static void
control_accept_error_cb(struct evconnlistener *l, void *arg)
{
	/* EMFILE and friends: keep serving the clients we have. */
	log_warn("control: accept");
}

void
control_watch(struct ctl_client *c, int64_t id, const char *name, int exists)
{
	c->watch_id = id;
	c->watch_seen = exists;
	free(c->watch_name);
	c->watch_name = NULL;
	if (name != NULL && (c->watch_name = strdup(name)) == NULL)
		fatal("strdup");
	if (!c->watching)
		c->ctl->nwatchers++;
	c->watching = 1;
	/* A watcher may sit silent for hours: no idle timeout. */
	bufferevent_set_timeouts(c->bev, NULL, NULL);
}

struct ctl_defer *
control_defer(struct ctl_client *c, int64_t id, void (*changed)(void *),
    void (*gone)(void *), void *arg)
{
	struct ctl_defer	*df;

	if (c->defer != NULL)
		return NULL;
	if ((df = calloc(1, sizeof(*df))) == NULL)
		fatal("calloc");
	df->client = c;
	df->id = id;
	df->changed = changed;
	df->gone = gone;
	df->arg = arg;
	c->defer = df;
	if (changed != NULL)
		c->ctl->nwatchers++;
	/* The answer may take longer than the idle timeout. */
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	return df;
}

struct ctl_defer *
control_defer_cmd(struct cmd_ctx *ctx, void (*changed)(void *),
    void (*gone)(void *), void *arg)
{
	struct ctl_defer	*df;

	if (ctx->client == NULL) {
		cmd_error(ctx, PROTO_E_INTERNAL, "%s needs a client to reply "
		    "to later", ctx->cmd);
		return NULL;
	}
	if ((df = control_defer(ctx->client, ctx->id, changed, gone,
	    arg)) == NULL) {
		cmd_error(ctx, PROTO_E_BUSY, "this connection already waits "
		    "for a reply (create, check or wait); open another");
		return NULL;
	}
	ctx->deferred = 1;
	return df;
}

int64_t
control_defer_id(const struct ctl_defer *df)
{
	return df->id;
}

void
control_defer_send(struct ctl_defer *df, json_t *reply)
{
	struct ctl_client	*c = df->client;
	struct timeval		 idle = { CTL_IDLE_TIMEOUT, 0 };

	c->defer = NULL;
	if (df->changed != NULL)
		c->ctl->nwatchers--;
	free(df);
	if (!c->watching && !c->closing)
		bufferevent_set_timeouts(c->bev, &idle, NULL);
	if (c->closing) {
		json_decref(reply);
		return;
	}
	control_send(c, reply);
	/* Sent from a callback: a client that does not read goes later. */
	if (client_stuck(c))
		client_finish(c);
}

static void
control_broadcast_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control		*ctl = arg;
	struct ctl_client	*c, *next;
	json_t			*data;

	if (ctl->nwatchers == 0)
		return;
	for (c = TAILQ_FIRST(&ctl->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		/* changed() may send the reply, never close the client. */
		if (c->defer != NULL && c->defer->changed != NULL &&
		    !c->closing)
			c->defer->changed(c->defer->arg);
		if (!c->watching || c->closing)
			continue;
		if ((data = view_status(ctl->d, c->watch_name)) == NULL &&
		    !c->watch_seen)
			continue;	/* not created yet: still waiting */
		if (data == NULL) {
			/* The watched migration was deleted. */
			control_send(c, proto_reply_error(c->watch_id,
			    PROTO_E_NOT_FOUND, "migration %s was deleted",
			    c->watch_name));
			client_finish(c);
			continue;
		}
		c->watch_seen = 1;
		control_send(c, proto_event_new(c->watch_id, "status", data));
		if (client_stuck(c))
			client_close(c);
	}
}

void
control_changed(struct control *ctl)
{
	if (ctl != NULL && ctl->nwatchers > 0)
		event_active(ctl->ev_broadcast, 0, 0);
}

static void
control_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	control_changed(arg);
}

static int
control_listen(const char *path, int mode, const char *group)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	struct group		*gr = NULL;
	mode_t			 old;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control: socket path %s is longer than %zu bytes",
		    path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (group != NULL && (gr = getgrnam(group)) == NULL) {
		log_warnx("control: socket_group %s: no such group", group);
		return -1;
	}

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("control: %s exists and is not a socket; "
			    "refusing to replace it", path);
			return -1;
		}
		/* A live daemon answers; a stale socket refuses. */
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1) {
			log_warn("control: socket");
			return -1;
		}
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			log_warnx("control: another migrated listens on %s",
			    path);
			return -1;
		}
		close(probe);
		if (unlink(path) == -1) {
			log_warn("control: unlink %s", path);
			return -1;
		}
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("control: socket");
		return -1;
	}
	old = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("control: bind %s", path);
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	/*
	 * Change the group only when it differs: under the unit's system
	 * call filter chown is refused, and the socket already has the
	 * service's group.
	 */
	if (chmod(path, mode) == -1 || stat(path, &st) == -1 ||
	    (gr != NULL && st.st_gid != gr->gr_gid &&
	    chown(path, (uid_t)-1, gr->gr_gid) == -1)) {
		log_warn("control: chmod/chown %s (socket_group must be a "
		    "group the daemon's user is in)", path);
		unlink(path);
		close(fd);
		return -1;
	}
	if (listen(fd, 1024) == -1) {
		log_warn("control: listen %s", path);
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}

struct control *
control_new(struct daemon *d, const char *path, int mode, const char *group,
    int max_clients)
{
	struct control	*ctl;
	struct timeval	 tick = { CTL_WATCH_PERIOD, 0 };
	int		 fd;

	if ((fd = control_listen(path, mode, group)) == -1)
		return NULL;
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		fatal("calloc");
	ctl->d = d;
	ctl->max_clients = max_clients;
	TAILQ_INIT(&ctl->clients);
	if ((ctl->path = strdup(path)) == NULL)
		fatal("strdup");
	ctl->listener = evconnlistener_new(d->base, control_accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (ctl->listener == NULL)
		fatalx("evconnlistener_new");
	evconnlistener_set_error_cb(ctl->listener, control_accept_error_cb);
	ctl->ev_broadcast = event_new(d->base, -1, 0, control_broadcast_cb,
	    ctl);
	ctl->ev_tick = event_new(d->base, -1, EV_PERSIST, control_tick_cb,
	    ctl);
	if (ctl->ev_broadcast == NULL || ctl->ev_tick == NULL)
		fatalx("event_new");
	event_add(ctl->ev_tick, &tick);
	log_info("control: listening on %s (mode %04o%s%s)", path, mode,
	    group ? ", group " : "", group ? group : "");
	return ctl;
}

void
control_shutdown(struct control *ctl)
{
	struct ctl_client	*c, *next;

	ctl->shutdown = 1;
	evconnlistener_disable(ctl->listener);
	for (c = TAILQ_FIRST(&ctl->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if ((c->watching || c->defer != NULL) && !c->closing)
			client_finish(c);
	}
}

void
control_free(struct control *ctl)
{
	struct ctl_client	*c;

	if (ctl == NULL)
		return;
	while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
		client_close(c);
	evconnlistener_free(ctl->listener);
	event_free(ctl->ev_broadcast);
	event_free(ctl->ev_tick);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
