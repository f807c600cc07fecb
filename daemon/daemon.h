/*
 * daemon: the daemon's shared services. One struct daemon per process holds
 * the event base, the configuration, the store, the HTTP client and the
 * remote clients made on it, and the migrations; every daemon/ module is
 * handed a pointer to it. The parts main wires in (control socket,
 * webhook, /metrics, the runner) hang here too, as pointers and plug
 * points, so that daemon.c needs no module above it.
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
struct aws_clients;
struct http;
struct webhook;
struct do_clients;
struct metrics;

struct daemon {
	struct event_base	*base;
	struct config		*conf;
	const char		*conf_path;
	int			 conf_must_exist;
	const char		*socket_override;	/* --socket */
	const char		*state_override;	/* --state-db */

	struct store		*store;
	struct control		*control;	/* made and freed by main */
	struct fsm_ops		 ops;
	struct http		*http;		/* the HTTP client; daemon_http() */
	struct aws_clients		*aws;		/* AWS clients; daemon_aws() */
	struct do_clients		*dox;		/* DigitalOcean; daemon_do() */
	struct webhook		*webhook;	/* notifications; by main */
	struct metrics		*metrics;	/* /metrics, or NULL; by main */

	/*
	 * Plugged in by main, so that this file needs no module above it:
	 * what a migration gets on arrival and departure (the runner), and
	 * who hears that something changed (the control socket's watchers).
	 */
	void			(*attach)(struct daemon *, struct migration *);
	void			(*detach)(struct migration *);
	void			(*changed)(void *);
	void			*changed_arg;
	int			 held;		/* daemon_hold() minus release */

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

/*
 * The region a plan's AWS calls go to: its traffic.region, else the
 * config's [aws] region; NULL when neither is set.
 */
struct plan;
const char	*daemon_aws_region(const struct daemon *, const struct plan *);

/*
 * The AWS client for region, made on first use on the shared HTTP client
 * and credential chain. NULL, with a sentence in why, when it cannot be
 * made (no region, a bad endpoint in the config).
 */
struct aws	*daemon_aws(struct daemon *, const char *region, char *why,
		    size_t len);

/* The counters of one AWS service, summed over every region's client. */
struct aws_service;
struct aws_stats;
void		 daemon_aws_stats(const struct daemon *,
		    const struct aws_service *, struct aws_stats *);

/*
 * The DigitalOcean client for the token in token_file, made on first use.
 * NULL, with a sentence in why, when the file cannot be read or is
 * readable by others, or the client cannot be made.
 */
struct do_client;
struct do_client	*daemon_do(struct daemon *, const char *token_file,
			    char *why, size_t len);
/* The counters of every DigitalOcean client, summed. */
struct do_stats;
void			 daemon_do_stats(const struct daemon *,
			    struct do_stats *);

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

/* SIGTERM path: exit once the work held (daemon_hold) has ended. */
void	daemon_stop_when_idle(struct daemon *);

/*
 * Work that a clean stop waits for (an effect running, a webhook message
 * not yet sent) holds the daemon until it is released; the last release
 * after SIGTERM ends the loop.
 */
void	daemon_hold(struct daemon *);
void	daemon_release(struct daemon *);

/*
 * Open the store and load its migrations, attaching each. base, conf and
 * the paths must be set. -1 (logged) when the daemon cannot start;
 * daemon_free() either way.
 */
int	daemon_open(struct daemon *);
/*
 * Detach and free the migrations, then the clients, the store, the events
 * and the config. What main made (control, metrics, webhook) goes first.
 */
void	daemon_free(struct daemon *);

/* Tell systemd (STATUS=) where every migration stands. */
void	daemon_status(struct daemon *);

struct plan;
/* Parse m's stored plan text and apply its `set` overrides on top. */
struct plan	*daemon_plan(struct migration *, const char *text);

#endif
