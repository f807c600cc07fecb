/*
 * daemon: the shared services of the one process. struct daemon holds the
 * event base, the configuration, the store, the control socket, the HTTP
 * client and the remote clients made from it, and the migrations; it is
 * made and torn down here, and every daemon/ module is handed a pointer
 * to it. main() and the signals live in migrated.c, which nothing else
 * includes.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "awsctx.h"
#include "conf.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "doctx.h"
#include "effect.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "migration.h"
#include "plan.h"
#include "runner.h"
#include "store.h"
#include "webhook.h"

#define STOP_DEADLINE	25	/* seconds to finish work after SIGTERM */

struct http *
daemon_http(struct daemon *d)
{
	if (d->http == NULL && (d->http = http_new(d->base)) == NULL)
		log_warnx("cannot start the HTTP client");
	return d->http;
}

const char *
daemon_socket_path(const struct daemon *d)
{
	return d->socket_override ? d->socket_override : d->conf->socket;
}

const char *
daemon_state_path(const struct daemon *d)
{
	return d->state_override ? d->state_override : d->conf->state_db;
}

struct migration *
daemon_find(struct daemon *d, const char *name)
{
	size_t	i;

	for (i = 0; i < d->nmigs; i++)
		if (strcmp(d->migs[i]->name, name) == 0)
			return d->migs[i];
	return NULL;
}

void
daemon_add(struct daemon *d, struct migration *m)
{
	struct migration	**n;

	if ((n = reallocarray(d->migs, d->nmigs + 1, sizeof(*n))) == NULL)
		fatal("reallocarray");
	d->migs = n;
	d->migs[d->nmigs++] = m;
	runner_attach(d, m);
	daemon_changed(d, m);
}

void
daemon_remove(struct daemon *d, struct migration *m)
{
	size_t	i;

	for (i = 0; i < d->nmigs; i++)
		if (d->migs[i] == m)
			break;
	if (i == d->nmigs)
		return;
	memmove(&d->migs[i], &d->migs[i + 1],
	    (d->nmigs - i - 1) * sizeof(*d->migs));
	d->nmigs--;
	runner_detach(m);
	migration_free(m);
	daemon_changed(d, NULL);
}

void
daemon_changed(struct daemon *d, struct migration *m)
{
	control_changed(d->control);
	if (d->ev_status != NULL)
		event_active(d->ev_status, 0, 0);
}

static void
daemon_status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon		*d = arg;
	struct migration	*m;
	char			 line[512];
	size_t			 i, len;

	if (!d->notify)
		return;
	len = snprintf(line, sizeof(line), "STATUS=%zu migration%s%s",
	    d->nmigs, d->nmigs == 1 ? "" : "s", d->nmigs ? ": " : "");
	for (i = 0; i < d->nmigs && len < sizeof(line); i++) {
		m = d->migs[i];
		if (m->phase == PH_SHIFTING && m->plan != NULL)
			len += snprintf(line + len, sizeof(line) - len,
			    "%s%s %s %d/%d", i ? ", " : "", m->name,
			    phase_name(m->phase), m->step + 1,
			    m->plan->traffic.nsteps);
		else
			len += snprintf(line + len, sizeof(line) - len,
			    "%s%s %s", i ? ", " : "", m->name,
			    phase_name(m->phase));
	}
	sd_notify(0, line);
}

/* Parse stored plan text and apply the `set` overrides on top. */
struct plan *
daemon_plan(struct migration *m, const char *text)
{
	struct conf_errors	 errs;
	struct plan		*p;
	json_t			*ov, *v;
	const char		*key;
	char			 why[512];
	int			 i;

	memset(&errs, 0, sizeof(errs));
	p = plan_parse(text, m->plan_path ? m->plan_path : m->name, &errs);
	for (i = 0; i < errs.n; i++)
		log_warnx("%s: %s", m->name, errs.msg[i]);
	conf_errors_clear(&errs);
	if (p == NULL || m->overrides == NULL)
		return p;
	if ((ov = json_loads(m->overrides, 0, NULL)) == NULL)
		return p;
	json_object_foreach(ov, key, v) {
		if (!json_is_string(v) || plan_set(p, key, json_string_value(v),
		    why, sizeof(why)) == -1)
			log_warnx("%s: override %s no longer applies: %s",
			    m->name, key, why);
	}
	json_decref(ov);
	return p;
}

static void
daemon_load_one(void *arg, struct migration *m)
{
	struct daemon	*d = arg;

	m->plan = daemon_plan(m, m->plan_text);
	if (m->plan == NULL)
		log_warnx("%s: stored plan does not parse; the migration "
		    "holds until it is fixed", m->name);
	daemon_add(d, m);
}

static void
daemon_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	/* Intents left open are reconciled at the next start. */
	log_warnx("work still running after %ds; exiting anyway",
	    STOP_DEADLINE);
	event_base_loopexit(d->base, NULL);
}

void
daemon_stop_when_idle(struct daemon *d)
{
	struct timeval	deadline = { STOP_DEADLINE, 0 };

	/* Effects end; messages already queued still go out. */
	if (effect_running() == 0 && webhook_pending(d->webhook) == 0) {
		event_base_loopexit(d->base, NULL);
		return;
	}
	if (!evtimer_pending(d->ev_stop, NULL))
		evtimer_add(d->ev_stop, &deadline);
}

/*
 * Open what the daemon serves from: the store, the migrations in it, the
 * control socket and /metrics. d->base, d->conf and the paths are set.
 * Interrupted work is resumed before it returns, so READY=1 after it means
 * "resumed". -1 (logged) when the daemon cannot start.
 */
int
daemon_open(struct daemon *d)
{
	char	err[1024];
	size_t	i;

	d->ops.arg = d;
	d->ops.entered = runner_entered;
	d->webhook = webhook_new(d);
	if ((d->store = store_open(daemon_state_path(d), err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	d->ev_status = event_new(d->base, -1, 0, daemon_status_cb, d);
	d->ev_stop = evtimer_new(d->base, daemon_deadline_cb, d);
	if (d->ev_status == NULL || d->ev_stop == NULL)
		fatalx("event_new");
	if (store_mig_load(d->store, daemon_load_one, d) == -1) {
		log_warnx("%s: migrations could not be loaded; not starting",
		    daemon_state_path(d));
		return -1;
	}
	if ((d->control = control_new(d, daemon_socket_path(d),
	    d->conf->socket_mode, d->conf->socket_group,
	    d->conf->max_clients)) == NULL)
		return -1;
	if (d->conf->metrics_listen != NULL &&
	    (d->metrics = metrics_new(d, d->conf->metrics_listen)) == NULL)
		return -1;
	for (i = 0; i < d->nmigs; i++)
		runner_resume(d, d->migs[i]);
	return 0;
}

/* STATUS= for systemd: one line summarising every migration. */
void
daemon_status(struct daemon *d)
{
	daemon_status_cb(-1, 0, d);
}

void
daemon_free(struct daemon *d)
{
	size_t	i;

	control_free(d->control);
	metrics_free(d->metrics);
	for (i = 0; i < d->nmigs; i++) {
		runner_detach(d->migs[i]);
		migration_free(d->migs[i]);
	}
	free(d->migs);
	/* After the migrations: their jobs cancelled their AWS calls. */
	awsctx_free(d);
	doctx_free(d);
	webhook_free(d->webhook);
	/* Last: every user above has cancelled its requests. */
	http_free(d->http);
	store_close(d->store);
	if (d->ev_term) {
		event_free(d->ev_term);
		event_free(d->ev_int);
		event_free(d->ev_hup);
		event_free(d->ev_chld);
	}
	if (d->ev_stop)
		event_free(d->ev_stop);
	if (d->ev_status)
		event_free(d->ev_status);
	if (d->ev_watchdog)
		event_free(d->ev_watchdog);
	config_free(d->conf);
	if (d->base)
		event_base_free(d->base);
}
