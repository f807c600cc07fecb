/*
 * migrated: the daemon's entry point. It parses options, loads the config,
 * opens the store, resumes interrupted migrations, listens on the control
 * socket and runs the event loop; it owns the signals (SIGTERM/SIGINT finish
 * and exit, SIGHUP reloads, SIGCHLD reaps) and the systemd notify protocol
 * (READY=1, WATCHDOG=1, STATUS=, STOPPING=1).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "awsctx.h"
#include "config.h"
#include "control.h"
#include "doctx.h"
#include "effect.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "migrated.h"
#include "migration.h"
#include "plan.h"
#include "proc.h"
#include "runner.h"
#include "store.h"
#include "webhook.h"

#define DEFAULT_CONFIG	"/etc/migrated/migrated.conf"
#define STOP_DEADLINE	25	/* seconds to finish work after SIGTERM */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: migrated [--config FILE] [--socket PATH] [--state-db PATH]\n"
	    "                [--foreground] [-d] [-t [PLAN ...]] [--version]\n"
	    "  -c, --config FILE    daemon config (default " DEFAULT_CONFIG ")\n"
	    "  -s, --socket PATH    control socket (overrides the config)\n"
	    "  -S, --state-db PATH  state file (overrides the config)\n"
	    "  -f, --foreground     log to stderr, no systemd notification\n"
	    "  -d, --debug          log at debug level\n"
	    "  -t, --check-config   validate the config, every plan in plan_dir\n"
	    "                       and the PLAN files named; exit 0 or 1\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this text\n");
}

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

/* STATUS= for systemd: one line summarising every migration. */
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
static struct plan *
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

/* SIGHUP: a new config and fresh plans, or the old ones and a reason. */
static void
daemon_reload_plans(struct daemon *d)
{
	struct migration	*m;
	struct plan		*p;
	const char		*diff = NULL;
	char			*text;
	size_t			 i;

	for (i = 0; i < d->nmigs; i++) {
		m = d->migs[i];
		if (m->plan_path == NULL || phase_is_final(m->phase))
			continue;
		if ((text = conf_read_file(m->plan_path, 60 * 1024)) == NULL) {
			log_warn("%s: reload: %s; keeping the stored plan",
			    m->name, m->plan_path);
			continue;
		}
		if (strcmp(text, m->plan_text) == 0) {
			free(text);
			continue;
		}
		if ((p = daemon_plan(m, text)) == NULL) {
			log_warnx("%s: reload: %s does not parse; keeping the "
			    "stored plan", m->name, m->plan_path);
			free(text);
			continue;
		}
		if (strcmp(p->name, m->name) != 0 || (m->phase != PH_PLANNED &&
		    (diff = plan_identity_diff(m->plan, p)) != NULL)) {
			log_warnx("%s: reload: %s changes %s, which cannot "
			    "change once started; keeping the stored plan",
			    m->name, m->plan_path, strcmp(p->name, m->name) ?
			    "name" : diff);
			plan_free(p);
			free(text);
			continue;
		}
		plan_free(m->plan);
		m->plan = p;
		free(m->plan_text);
		m->plan_text = text;
		m->updated = now_ms();
		if (store_mig_update(d->store, m) == -1)
			log_warnx("%s: reloaded plan not stored; it applies "
			    "until restart", m->name);
		store_journal(d->store, m->id, "operator", "plan reloaded");
		log_notice("%s: plan reloaded from %s", m->name, m->plan_path);
		daemon_changed(d, m);
	}
}

static void
daemon_reload(struct daemon *d)
{
	struct conf_errors	 errs;
	struct config		*c;
	int			 i;

	log_notice("reloading %s and plans", d->conf_path);
	memset(&errs, 0, sizeof(errs));
	if ((c = config_load(d->conf_path, d->conf_must_exist, &errs)) ==
	    NULL) {
		for (i = 0; i < errs.n; i++)
			log_warnx("reload: %s", errs.msg[i]);
		log_warnx("reload: %s has errors; keeping the running config",
		    d->conf_path);
	} else {
		if (strcmp(c->socket, d->conf->socket) != 0 ||
		    strcmp(c->state_db, d->conf->state_db) != 0 ||
		    c->socket_mode != d->conf->socket_mode ||
		    c->max_clients != d->conf->max_clients ||
		    (c->metrics_listen == NULL) !=
		    (d->conf->metrics_listen == NULL) ||
		    (c->metrics_listen != NULL &&
		    strcmp(c->metrics_listen, d->conf->metrics_listen) != 0))
			log_warnx("reload: socket, state_db, max_clients and "
			    "[metrics] changes take effect at the next "
			    "restart");
		log_setlevel(c->log_level);
		if (d->aws != NULL && !config_aws_equal(c, d->conf)) {
			/* The clients are made from the old [aws]: keep it. */
			log_warnx("reload: [aws] changes take effect at the "
			    "next restart");
			config_aws_keep(c, d->conf);
		}
		config_free(d->conf);
		d->conf = c;
	}
	conf_errors_clear(&errs);
	daemon_reload_plans(d);
}

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;

	switch (sig) {
	case SIGHUP:
		if (d->notify)
			sd_notify(0, "RELOADING=1");
		daemon_reload(d);
		if (d->notify)
			sd_notify(0, "READY=1");
		daemon_changed(d, NULL);
		break;
	case SIGCHLD:
		proc_reap();
		break;
	case SIGTERM:
	case SIGINT:
		if (d->stopping)
			break;
		log_notice("%s: finishing running work, then exiting",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		d->stopping = 1;
		if (d->notify)
			sd_notify(0, "STOPPING=1");
		control_shutdown(d->control);
		daemon_stop_when_idle(d);
		break;
	}
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

static void
daemon_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	/* Sent from the loop: a stuck loop stops it, and systemd restarts. */
	sd_notify(0, "WATCHDOG=1");
}

/* -t: validate the config and every plan; print file:line per error. */
static int
check_config(const char *path, int must_exist, char **plans, int nplans)
{
	struct conf_errors	 errs;
	struct config		*c;
	struct plan		*p;
	struct dirent		*de;
	DIR			*dir;
	char			 file[4096];
	int			 i, bad = 0;
	size_t			 len;

	memset(&errs, 0, sizeof(errs));
	if ((c = config_load(path, must_exist, &errs)) == NULL)
		bad = 1;
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	conf_errors_clear(&errs);
	if (!bad)
		printf("%s: ok\n", path);

	if (c != NULL && (dir = opendir(c->plan_dir)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			len = strlen(de->d_name);
			if (len < 5 || strcmp(de->d_name + len - 4, ".ini"))
				continue;
			snprintf(file, sizeof(file), "%s/%s", c->plan_dir,
			    de->d_name);
			if ((p = plan_load(file, &errs)) == NULL)
				bad = 1;
			else
				printf("%s: ok\n", file);
			for (i = 0; i < errs.n; i++)
				fprintf(stderr, "%s\n", errs.msg[i]);
			conf_errors_clear(&errs);
			plan_free(p);
		}
		closedir(dir);
	}
	for (i = 0; i < nplans; i++) {
		if ((p = plan_load(plans[i], &errs)) == NULL)
			bad = 1;
		else
			printf("%s: ok\n", plans[i]);
		for (int j = 0; j < errs.n; j++)
			fprintf(stderr, "%s\n", errs.msg[j]);
		conf_errors_clear(&errs);
		plan_free(p);
	}
	config_free(c);
	return bad ? 1 : 0;
}

static void
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
		event_free(d->ev_stop);
		event_free(d->ev_status);
	}
	if (d->ev_watchdog)
		event_free(d->ev_watchdog);
	config_free(d->conf);
	if (d->base)
		event_base_free(d->base);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "state-db", required_argument, NULL, 'S' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "check-config", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon		 d;
	struct conf_errors	 errs;
	struct timeval		 tv;
	char			 err[1024];
	uint64_t		 wd_usec;
	int			 ch, i, check = 0, foreground = 0, debug = 0;

	memset(&d, 0, sizeof(d));
	d.conf_path = DEFAULT_CONFIG;
	while ((ch = getopt_long(argc, argv, "c:s:S:fdtVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.conf_path = optarg;
			break;
		case 's':
			d.socket_override = optarg;
			break;
		case 'S':
			d.state_override = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 't':
			check = 1;
			break;
		case 'V':
			printf("migrated %s\n", MIGRATED_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	/* A missing config at the default path means built-in defaults. */
	d.conf_must_exist = strcmp(d.conf_path, DEFAULT_CONFIG) != 0;
	if (check)
		return check_config(d.conf_path, d.conf_must_exist, argv, argc);
	if (argc > 0) {
		usage(stderr);
		return 2;
	}

	log_init(debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	memset(&errs, 0, sizeof(errs));
	if ((d.conf = config_load(d.conf_path, d.conf_must_exist, &errs)) ==
	    NULL) {
		for (i = 0; i < errs.n; i++)
			log_warnx("%s", errs.msg[i]);
		conf_errors_clear(&errs);
		fatalx("%s has errors; not starting", d.conf_path);
	}
	conf_errors_clear(&errs);
	if (!debug)
		log_setlevel(d.conf->log_level);
	d.notify = !foreground && getenv("NOTIFY_SOCKET") != NULL;
	d.uid = geteuid();
	signal(SIGPIPE, SIG_IGN);

	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	d.ops.arg = &d;
	d.ops.entered = runner_entered;
	d.webhook = webhook_new(&d);

	if ((d.store = store_open(daemon_state_path(&d), err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		daemon_free(&d);
		return 1;
	}
	d.ev_status = event_new(d.base, -1, 0, daemon_status_cb, &d);
	d.ev_term = evsignal_new(d.base, SIGTERM, daemon_signal_cb, &d);
	d.ev_int = evsignal_new(d.base, SIGINT, daemon_signal_cb, &d);
	d.ev_hup = evsignal_new(d.base, SIGHUP, daemon_signal_cb, &d);
	d.ev_chld = evsignal_new(d.base, SIGCHLD, daemon_signal_cb, &d);
	d.ev_stop = evtimer_new(d.base, daemon_deadline_cb, &d);
	if (!d.ev_status || !d.ev_term || !d.ev_int || !d.ev_hup ||
	    !d.ev_chld || !d.ev_stop)
		fatalx("event_new");
	event_add(d.ev_term, NULL);
	event_add(d.ev_int, NULL);
	event_add(d.ev_hup, NULL);
	event_add(d.ev_chld, NULL);

	if (store_mig_load(d.store, daemon_load_one, &d) == -1) {
		log_warnx("%s: migrations could not be loaded; not starting",
		    daemon_state_path(&d));
		daemon_free(&d);
		return 1;
	}
	if ((d.control = control_new(&d, daemon_socket_path(&d),
	    d.conf->socket_mode, d.conf->socket_group,
	    d.conf->max_clients)) == NULL) {
		daemon_free(&d);
		return 1;
	}
	if (d.conf->metrics_listen != NULL &&
	    (d.metrics = metrics_new(&d, d.conf->metrics_listen)) == NULL) {
		daemon_free(&d);
		return 1;
	}
	/* Interrupted work first, so READY=1 means "resumed". */
	for (i = 0; i < (int)d.nmigs; i++)
		runner_resume(&d, d.migs[i]);

	if (d.notify && sd_watchdog_enabled(0, &wd_usec) > 0) {
		tv.tv_sec = (wd_usec / 3) / 1000000;
		tv.tv_usec = (wd_usec / 3) % 1000000;
		d.ev_watchdog = event_new(d.base, -1, EV_PERSIST,
		    daemon_watchdog_cb, &d);
		event_add(d.ev_watchdog, &tv);
	}
	log_notice("migrated %s: %zu migration%s, state %s", MIGRATED_VERSION,
	    d.nmigs, d.nmigs == 1 ? "" : "s", daemon_state_path(&d));
	if (d.notify)
		sd_notify(0, "READY=1");
	daemon_status_cb(-1, 0, &d);

	event_base_dispatch(d.base);

	for (i = 0; i < (int)d.nmigs; i++)
		if (phase_is_running(d.migs[i]->phase))
			store_journal(d.store, d.migs[i]->id, "daemon",
			    "migrated stopped; the phase resumes at the next "
			    "start");
	log_notice("exiting");
	daemon_free(&d);
	return 0;
}
