/*
 * daemon: the daemon's shared services. One struct daemon per process holds
 * the event base, the configuration, the store, the control socket, the
 * HTTP client and the migrations; every daemon/ module is handed a pointer
 * to it.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stddef.h>
#include <sys/types.h>

#include "fsm.h"
#include "phase.h"

struct event_base;
struct event;
struct config;
struct store;
struct control;
struct migration;
struct awsctx;
struct http;
struct webhook;
struct doctx;
struct metrics;

struct daemon {
	struct event_base	*base;
	struct config		*conf;
	const char		*conf_path;
	int			 conf_must_exist;
	const char		*socket_override;	/* --socket */
	const char		*state_override;	/* --state-db */

	struct store		*store;
	struct control		*control;
	struct fsm_ops		 ops;
	struct http		*http;		/* the HTTP client; daemon_http() */
	struct awsctx		*aws;		/* AWS clients; see awsctx.h */
	struct doctx		*dox;		/* DigitalOcean; see doctx.h */
	struct webhook		*webhook;	/* notifications; see webhook.h */
	struct metrics		*metrics;	/* /metrics, or NULL; metrics.h */

	struct migration	**migs;		/* in creation order */
	size_t			 nmigs;

	uid_t			 uid;		/* our own: may change things */
	int			 stopping;	/* SIGTERM seen: finish and exit */
	int			 notify;	/* systemd is listening */

	struct event		*ev_term, *ev_int, *ev_hup, *ev_chld;
	struct event		*ev_watchdog, *ev_stop, *ev_status;
};

/*
 * The process's one HTTP client (curl multi on the loop), made on first
 * use, shared by AWS, DigitalOcean and the webhook. NULL only when curl
 * cannot start.
 */
struct http	*daemon_http(struct daemon *);

/* The effective socket and state paths (option over config). */
const char	*daemon_socket_path(const struct daemon *);
const char	*daemon_state_path(const struct daemon *);

/* Migrations by name; NULL if none. */
struct migration	*daemon_find(struct daemon *, const char *name);
/* Take ownership of m (already in the store) and attach its runner. */
void			 daemon_add(struct daemon *, struct migration *);
/* Detach and free m (the caller deleted it from the store). */
void			 daemon_remove(struct daemon *, struct migration *);

/*
 * Something about m changed (phase, step, observation): refresh systemd's
 * STATUS= and wake `status --watch` clients. Cheap; coalesced per loop turn.
 */
void	daemon_changed(struct daemon *, struct migration *);

/* SIGTERM path: exit once the running effects have finished. */
void	daemon_stop_when_idle(struct daemon *);

/*
 * Open the store, load and resume its migrations, listen on the control
 * socket and /metrics. base, conf and the paths must be set. -1 (logged)
 * when the daemon cannot start; daemon_free() either way.
 */
int	daemon_open(struct daemon *);
/* Free everything daemon_open() and the loop made, and the config. */
void	daemon_free(struct daemon *);

/* Tell systemd (STATUS=) where every migration stands. */
void	daemon_status(struct daemon *);

struct plan;
/* Parse m's stored plan text and apply its `set` overrides on top. */
struct plan	*daemon_plan(struct migration *, const char *text);

#endif
