/*
 * migrated: the daemon's entry point. It parses options, loads the config,
 * has daemon.c open the store, the migrations and the control socket, and
 * runs the event loop; it owns the signals (SIGTERM/SIGINT finish and exit,
 * SIGHUP reloads, SIGCHLD reaps), -t, and the systemd notify protocol's
 * READY=1, WATCHDOG=1, RELOADING=1 and STOPPING=1. Nothing includes it.
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

#include "conf.h"
#include "config.h"
#include "control.h"
#include "copy.h"
#include "daemon.h"
#include "loadhook.h"
#include "log.h"
#include "metrics.h"
#include "migration.h"
#include "plan.h"
#include "proc.h"
#include "runner.h"
#include "store.h"
#include "webhook.h"

#define DEFAULT_CONFIG	"/etc/migrated/migrated.conf"

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

struct options {
	int	 check;
	int	 foreground;
	int	 debug;
};

/* Options into d and o; returns -1 to exit with *rc. */
static int
parse_options(int *argc, char ***argv, struct daemon *d, struct options *o,
    int *rc)
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
	int	ch;

	d->conf_path = DEFAULT_CONFIG;
	while ((ch = getopt_long(*argc, *argv, "c:s:S:fdtVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			d->conf_path = optarg;
			break;
		case 's':
			d->socket_override = optarg;
			break;
		case 'S':
			d->state_override = optarg;
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'd':
			o->debug = 1;
			break;
		case 't':
			o->check = 1;
			break;
		case 'V':
			printf("migrated %s\n", MIGRATED_VERSION);
			*rc = 0;
			return -1;
		case 'h':
			usage(stdout);
			*rc = 0;
			return -1;
		default:
			usage(stderr);
			*rc = 2;
			return -1;
		}
	}
	*argc -= optind;
	*argv += optind;
	/* A missing config at the default path means built-in defaults. */
	d->conf_must_exist = strcmp(d->conf_path, DEFAULT_CONFIG) != 0;
	return 0;
}

/* The signals the daemon answers, and the watchdog systemd asks for. */
static void
signals_init(struct daemon *d)
{
	struct timeval	 tv;
	uint64_t	 wd_usec;

	signal(SIGPIPE, SIG_IGN);
	d->ev_term = evsignal_new(d->base, SIGTERM, daemon_signal_cb, d);
	d->ev_int = evsignal_new(d->base, SIGINT, daemon_signal_cb, d);
	d->ev_hup = evsignal_new(d->base, SIGHUP, daemon_signal_cb, d);
	d->ev_chld = evsignal_new(d->base, SIGCHLD, daemon_signal_cb, d);
	if (!d->ev_term || !d->ev_int || !d->ev_hup || !d->ev_chld)
		fatalx("evsignal_new");
	event_add(d->ev_term, NULL);
	event_add(d->ev_int, NULL);
	event_add(d->ev_hup, NULL);
	event_add(d->ev_chld, NULL);
	if (d->notify && sd_watchdog_enabled(0, &wd_usec) > 0) {
		tv.tv_sec = (wd_usec / 3) / 1000000;
		tv.tv_usec = (wd_usec / 3) % 1000000;
		d->ev_watchdog = event_new(d->base, -1, EV_PERSIST,
		    daemon_watchdog_cb, d);
		event_add(d->ev_watchdog, &tv);
	}
}

static void
control_changed_cb(void *arg)
{
	control_changed(arg);
}

/*
 * Wire the process: the runner drives every migration the store holds,
 * the webhook hears its transitions, the control socket and /metrics
 * serve it. Interrupted work is resumed before READY=1, so READY=1 means
 * "resumed".
 */
static int
start(struct daemon *d)
{
	size_t	i;

	d->ops.arg = d;
	d->ops.entered = runner_entered;
	d->attach = runner_attach;
	d->detach = runner_detach;
	d->webhook = webhook_new(d);
	if (daemon_open(d) == -1)
		return -1;
	if ((d->control = control_new(d, daemon_socket_path(d),
	    d->conf->socket_mode, d->conf->socket_group,
	    d->conf->max_clients)) == NULL)
		return -1;
	d->changed = control_changed_cb;
	d->changed_arg = d->control;
	if (d->conf->metrics_listen != NULL &&
	    (d->metrics = metrics_new(d, d->conf->metrics_listen)) == NULL)
		return -1;
	for (i = 0; i < d->nmigs; i++)
		runner_resume(d, d->migs[i]);
	return 0;
}

/* Undo start(), the socket first: no client sees a half-freed daemon. */
static void
stop(struct daemon *d)
{
	d->changed = NULL;
	control_free(d->control);
	metrics_free(d->metrics);
	webhook_free(d->webhook);
	d->webhook = NULL;
	daemon_free(d);
}

int
main(int argc, char *argv[])
{
	struct daemon		 d;
	struct options		 o;
	struct conf_errors	 errs;
	size_t			 i;
	int			 rc;

	/* The seed's copy worker, started by the daemon itself (copy.h). */
	if (argc == 2 && strcmp(argv[1], "--seed-copy") == 0)
		return copy_main();
	memset(&d, 0, sizeof(d));
	memset(&o, 0, sizeof(o));
	if (parse_options(&argc, &argv, &d, &o, &rc) == -1)
		return rc;
	if (o.check)
		return check_config(d.conf_path, d.conf_must_exist, argv, argc);
	if (argc > 0) {
		usage(stderr);
		return 2;
	}

	log_init(o.debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	memset(&errs, 0, sizeof(errs));
	if ((d.conf = config_load(d.conf_path, d.conf_must_exist, &errs)) ==
	    NULL) {
		for (i = 0; i < (size_t)errs.n; i++)
			log_warnx("%s", errs.msg[i]);
		conf_errors_clear(&errs);
		fatalx("%s has errors; not starting", d.conf_path);
	}
	conf_errors_clear(&errs);
	if (!o.debug)
		log_setlevel(d.conf->log_level);
	d.notify = !o.foreground && getenv("NOTIFY_SOCKET") != NULL;
	d.uid = geteuid();
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signals_init(&d);
	if (start(&d) == -1) {
		stop(&d);
		return 1;
	}
	log_notice("migrated %s: %zu migration%s, state %s", MIGRATED_VERSION,
	    d.nmigs, d.nmigs == 1 ? "" : "s", daemon_state_path(&d));
	if (d.notify)
		sd_notify(0, "READY=1");
	daemon_status(&d);

	event_base_dispatch(d.base);

	for (i = 0; i < d.nmigs; i++)
		if (phase_is_running(d.migs[i]->phase))
			store_journal(d.store, d.migs[i]->id, "daemon",
			    "migrated stopped; the phase resumes at the next "
			    "start");
	log_notice("exiting");
	stop(&d);
	/* The jobs stopped their load hooks: none outlives the daemon. */
	loadhook_end_all();
	return 0;
}
