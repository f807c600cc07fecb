/*
 * metrics: GET /metrics on the [metrics] listen address (loopback only),
 * in Prometheus's text exposition format 0.0.4, served by libevent's
 * evhttp from the loop.
 *
 * Each sample is read from what status shows (view.c), so the two never
 * disagree; a value the daemon has not observed is left out, never
 * written as 0. Names follow Prometheus's conventions: base units
 * (seconds, ratios), _total for counters, one metric per meaning with
 * labels for the rest.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "aws.h"
#include "config.h"
#include "daemon.h"
#include "digitalocean.h"
#include "log.h"
#include "metrics.h"
#include "migration.h"
#include "phase.h"
#include "view.h"
#include "watch.h"
#include "xmalloc.h"

struct metrics {
	struct daemon		*d;
	struct evhttp		*http;
};

struct family {
	const char	*name;
	const char	*type;		/* gauge, counter */
	const char	*help;
};

static const struct family families[] = {
	{ "migrated_migration_phase", "gauge",
	    "The phase a migration is in (1 for its phase)." },
	{ "migrated_migration_step", "gauge",
	    "The traffic step, from 1; 0 before shifting." },
	{ "migrated_weight_percent", "gauge",
	    "Listener forward weight per target group, as last read." },
	{ "migrated_lag_seconds", "gauge",
	    "Replication lag: the replica's own figure, and the heartbeat's." },
	{ "migrated_gate_value", "gauge",
	    "The value each gate last judged (ratios as ratios, times in "
	    "seconds)." },
	{ "migrated_gate_limit", "gauge", "Each gate's bound." },
	{ "migrated_gate_ok", "gauge",
	    "1 when the gate held at its last judgment, 0 when it broke." },
	{ "migrated_gates_verdict", "gauge",
	    "The gates' last judgment (1 for pass, hold or breach)." },
	{ "migrated_cutover_freeze_seconds", "gauge",
	    "The last cutover: source read-only until the writer switched." },
	{ "migrated_cutover_write_gap_seconds", "gauge",
	    "The last cutover: the freeze until the first write on the "
	    "target." },
	{ "migrated_api_requests_total", "counter",
	    "Cloud API calls by service (AWS's and DigitalOcean's)." },
	{ "migrated_api_errors_total", "counter",
	    "Cloud API calls that ended in an error, by service." },
	{ "migrated_api_throttles_total", "counter",
	    "Throttled cloud API answers, by service." },
	{ "migrated_api_retries_total", "counter",
	    "Cloud API attempts repeated, by service." },
	{ "migrated_poll_lateness_seconds", "summary",
	    "How late the gates' polls fired against their schedule." },
	{ "migrated_poll_lateness_max_seconds", "gauge",
	    "The latest any of the gates' polls fired." },
	{ "migrated_gates_held_seconds", "gauge",
	    "How long the gates have held on missing data (absent: not "
	    "held)." },
	{ "migrated_gates_hold_alert", "gauge",
	    "1 when the gates held on missing data past gates.max_hold." },
	{ "migrated_proof_bytes", "gauge",
	    "A running checksum proof (proof: cutover, verify): bytes "
	    "compared, and the estimated total (information_schema)." },
	{ "migrated_proof_chunks", "gauge",
	    "A running checksum proof: chunks compared." },
	{ "migrated_proof_rate_bytes_per_second", "gauge",
	    "A running checksum proof: bytes compared a second, this run." },
	{ "migrated_proof_eta_seconds", "gauge",
	    "A running checksum proof: time left at its rate (absent: not "
	    "known yet)." },
	{ "migrated_proof_streams", "gauge",
	    "A running checksum proof: streams (pairs of snapshots)." },
	{ "migrated_seed_bytes", "gauge",
	    "The seed's copy: bytes of the chunks done (estimated from "
	    "information_schema, as the total is)." },
	{ "migrated_seed_rows", "gauge",
	    "The seed's copy: rows copied by the current run." },
	{ "migrated_seed_chunks", "gauge",
	    "The seed's copy: chunks done, and in all." },
	{ "migrated_seed_rate_bytes_per_second", "gauge",
	    "The seed's copy: bytes a second over the last 10 seconds." },
	{ "migrated_seed_eta_seconds", "gauge",
	    "The seed's copy: time left at its rate (absent: not known)." },
	{ "migrated_seed_throttled", "gauge",
	    "1 while the copy waits for the source's load to drop "
	    "(target.seed_max_load)." },
	{ "migrated_source_commits_per_second", "gauge",
	    "The source's commits a second (MariaDB's Binlog_commits)." },
	{ "migrated_binlog_bytes_per_second", "gauge",
	    "Binary log bytes a second: written on the source, applied on "
	    "the target." },
	{ "migrated_replication_backlog_bytes", "gauge",
	    "Source binary log bytes the target has not applied yet." },
	{ "migrated_catchup_eta_seconds", "gauge",
	    "When the target should have caught up (absent: not catching "
	    "up, or unknown)." },
	{ "migrated_catchup_alert", "gauge",
	    "1 when the lag made no progress for replicating.max_catchup." },
};

#define NFAMILIES	(sizeof(families) / sizeof(families[0]))

static void out(struct evbuffer *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out(struct evbuffer *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(b, fmt, ap);
	va_end(ap);
}

/* A number from status, in the metric's unit; 0 when not observed. */
static int
num(json_t *o, const char *key, double scale, double *v)
{
	json_t	*x = o != NULL ? json_object_get(o, key) : NULL;

	if (!json_is_number(x))
		return 0;
	*v = json_number_value(x) * scale;
	return 1;
}

/* The gates held on missing data: for how long, and alerted or not. */
static void
hold_sample(struct evbuffer *b, int fam, const char *name, json_t *hold)
{
	double	x;

	if (fam == 16 && num(hold, "held_ms", 0.001, &x))
		out(b, "migrated_gates_held_seconds{migration=\"%s\"} %g\n",
		    name, x);
	if (fam == 17)
		out(b, "migrated_gates_hold_alert{migration=\"%s\"} %d\n",
		    name, json_is_true(json_object_get(hold, "alert")));
}

/* A running proof's pace (view: cutover.proof_pace, verify.pace). */
static void
pace_sample(struct evbuffer *b, int fam, const char *name, const char *proof,
    json_t *pace)
{
	const char	*f = families[fam].name;
	double		 x;

	if (!json_is_object(pace))
		return;
	if (strcmp(f, "migrated_proof_bytes") == 0) {
		if (num(pace, "bytes_done", 1, &x))
			out(b, "%s{migration=\"%s\",proof=\"%s\",kind=\"done\"} "
			    "%.15g\n", f, name, proof, x);
		if (num(pace, "bytes_total", 1, &x))
			out(b, "%s{migration=\"%s\",proof=\"%s\",kind=\"total\"} "
			    "%.15g\n", f, name, proof, x);
		return;
	}
	if ((strcmp(f, "migrated_proof_chunks") == 0 && num(pace, "chunks", 1,
	    &x)) || (strcmp(f, "migrated_proof_rate_bytes_per_second") == 0 &&
	    num(pace, "bytes_per_s", 1, &x)) || (strcmp(f,
	    "migrated_proof_eta_seconds") == 0 && num(pace, "eta_s", 1, &x) &&
	    x >= 0) || (strcmp(f, "migrated_proof_streams") == 0 &&
	    num(pace, "streams", 1, &x)))
		out(b, "%s{migration=\"%s\",proof=\"%s\"} %.15g\n", f, name,
		    proof, x);
}

/* The proofs' families, for every migration with a proof running. */
static void
pace_samples(struct evbuffer *b, int fam, json_t *all)
{
	json_t		*m;
	const char	*name;
	size_t		 i;

	json_array_foreach(all, i, m) {
		name = json_string_value(json_object_get(m, "name"));
		pace_sample(b, fam, name, "cutover", json_object_get(
		    json_object_get(m, "cutover"), "proof_pace"));
		pace_sample(b, fam, name, "verify", json_object_get(
		    json_object_get(m, "verify"), "pace"));
	}
}

/* The seed's figures (view: stats while seeding). */
static void
seed_sample(struct evbuffer *b, const char *f, const char *name, json_t *st)
{
	double	x, y;

	if (strcmp(f, "migrated_seed_bytes") == 0 && num(st, "bytes_done", 1,
	    &x) && num(st, "bytes_total", 1, &y))
		out(b, "%s{migration=\"%s\",kind=\"done\"} %.15g\n%s{migration="
		    "\"%s\",kind=\"total\"} %.15g\n", f, name, x, f, name, y);
	else if (strcmp(f, "migrated_seed_chunks") == 0 && num(st,
	    "chunks_done", 1, &x) && num(st, "chunks", 1, &y))
		out(b, "%s{migration=\"%s\",kind=\"done\"} %.15g\n%s{migration="
		    "\"%s\",kind=\"total\"} %.15g\n", f, name, x, f, name, y);
	else if ((strcmp(f, "migrated_seed_rows") == 0 && num(st, "rows", 1,
	    &x)) || (strcmp(f, "migrated_seed_rate_bytes_per_second") == 0 &&
	    num(st, "rate_bytes_s", 1, &x)) || (strcmp(f,
	    "migrated_seed_eta_seconds") == 0 && num(st, "eta_s", 1, &x)))
		out(b, "%s{migration=\"%s\"} %.15g\n", f, name, x);
	else if (strcmp(f, "migrated_seed_throttled") == 0)
		out(b, "%s{migration=\"%s\"} %d\n", f, name,
		    json_is_string(json_object_get(st, "throttle")));
}

static void
seed_samples(struct evbuffer *b, int fam, json_t *all)
{
	json_t		*m, *st;
	const char	*name, *phase;
	size_t		 i;

	json_array_foreach(all, i, m) {
		name = json_string_value(json_object_get(m, "name"));
		phase = json_string_value(json_object_get(m, "phase"));
		st = json_object_get(m, "stats");
		if (phase != NULL && strcmp(phase, "seeding") == 0 &&
		    json_is_object(st))
			seed_sample(b, families[fam].name, name, st);
	}
}

/* The pace of replication, from status' lag.catchup; by family name. */
static void
catchup_sample(struct evbuffer *b, const char *fam, const char *name,
    json_t *lag)
{
	json_t	*cu = json_object_get(lag, "catchup");
	double	 x;

	if (!json_is_object(cu))
		return;
	if (strcmp(fam, "migrated_source_commits_per_second") == 0 &&
	    num(cu, "source_commits_s", 1, &x))
		out(b, "%s{migration=\"%s\"} %g\n", fam, name, x);
	if (strcmp(fam, "migrated_binlog_bytes_per_second") == 0) {
		if (num(cu, "source_bytes_s", 1, &x))
			out(b, "%s{migration=\"%s\",side=\"source\"} %g\n",
			    fam, name, x);
		if (num(cu, "target_bytes_s", 1, &x))
			out(b, "%s{migration=\"%s\",side=\"target\"} %g\n",
			    fam, name, x);
	}
	if (strcmp(fam, "migrated_replication_backlog_bytes") == 0 &&
	    num(cu, "backlog_bytes", 1, &x))
		out(b, "%s{migration=\"%s\"} %g\n", fam, name, x);
	if (strcmp(fam, "migrated_catchup_eta_seconds") == 0 &&
	    num(cu, "eta_ms", 0.001, &x))
		out(b, "%s{migration=\"%s\"} %g\n", fam, name, x);
	if (strcmp(fam, "migrated_catchup_alert") == 0)
		out(b, "%s{migration=\"%s\"} %d\n", fam, name,
		    json_is_true(json_object_get(cu, "alert")));
}

/* Each migration's samples of a pace family (others print nothing). */
static void
catchup_samples(struct evbuffer *b, int fam, json_t *all)
{
	json_t	*m;
	size_t	 i;

	json_array_foreach(all, i, m)
		catchup_sample(b, families[fam].name,
		    json_string_value(json_object_get(m, "name")),
		    json_object_get(m, "lag"));
}

/* Samples of one family for every migration (names are [a-z0-9_-]). */
static void
family_samples(struct evbuffer *b, int fam, json_t *all)
{
	static const char *const gates[] = {
		"min_healthy", "max_5xx_rate", "max_p99_ms", "max_lag_ms"
	};
	json_t		*m, *g, *v, *lag, *tr, *cut, *jd;
	const char	*name, *gate;
	size_t		 i, k;
	double		 x, scale;
	int		 ph;

	json_array_foreach(all, i, m) {
		name = json_string_value(json_object_get(m, "name"));
		lag = json_object_get(m, "lag");
		tr = json_object_get(m, "traffic");
		cut = json_object_get(m, "cutover");
		jd = json_object_get(m, "judgment");
		switch (fam) {
		case 0:
			for (ph = 0; ph < PH__COUNT; ph++)
				out(b, "migrated_migration_phase{migration=\"%s\","
				    "phase=\"%s\"} %d\n", name, phase_name(ph),
				    strcmp(phase_name(ph), json_string_value(
				    json_object_get(m, "phase"))) == 0);
			break;
		case 1:
			if (num(m, "step", 1, &x))
				out(b, "migrated_migration_step{migration="
				    "\"%s\"} %g\n", name, x);
			break;
		case 2:
			if (num(tr, "droplets", 1, &x))
				out(b, "migrated_weight_percent{migration=\"%s\","
				    "target_group=\"droplets\"} %g\n", name, x);
			if (num(tr, "ecs", 1, &x))
				out(b, "migrated_weight_percent{migration=\"%s\","
				    "target_group=\"ecs\"} %g\n", name, x);
			break;
		case 3:
			if (num(lag, "replica_ms", 0.001, &x))
				out(b, "migrated_lag_seconds{migration=\"%s\","
				    "measure=\"replica\"} %g\n", name, x);
			if (num(lag, "heartbeat_ms", 0.001, &x))
				out(b, "migrated_lag_seconds{migration=\"%s\","
				    "measure=\"heartbeat\"} %g\n", name, x);
			break;
		case 4:
		case 5:
		case 6:
			for (k = 0; k < sizeof(gates) / sizeof(gates[0]); k++) {
				gate = gates[k];
				g = json_object_get(json_object_get(m, "gates"),
				    gate);
				scale = strstr(gate, "_ms") != NULL ? 0.001 : 1;
				if (fam == 4 && num(g, "value", scale, &x))
					out(b, "migrated_gate_value{migration="
					    "\"%s\",gate=\"%s\"} %g\n", name,
					    gate, x);
				if (fam == 5 && num(g, "limit", scale, &x))
					out(b, "migrated_gate_limit{migration="
					    "\"%s\",gate=\"%s\"} %g\n", name,
					    gate, x);
				v = json_object_get(g, "ok");
				if (fam == 6 && json_is_boolean(v))
					out(b, "migrated_gate_ok{migration="
					    "\"%s\",gate=\"%s\"} %d\n", name,
					    gate, json_is_true(v));
			}
			break;
		case 7:
			if (!json_is_object(jd))
				break;
			for (k = 0; k < 3; k++) {
				static const char *const vs[] = { "pass",
				    "hold", "breach" };
				out(b, "migrated_gates_verdict{migration=\"%s\","
				    "verdict=\"%s\"} %d\n", name, vs[k],
				    strcmp(vs[k], json_string_value(
				    json_object_get(jd, "verdict"))) == 0);
			}
			break;
		case 8:
			if (num(cut, "freeze_ms", 0.001, &x))
				out(b, "migrated_cutover_freeze_seconds{"
				    "migration=\"%s\"} %g\n", name, x);
			break;
		case 9:
			if (num(cut, "write_gap_ms", 0.001, &x))
				out(b, "migrated_cutover_write_gap_seconds{"
				    "migration=\"%s\"} %g\n", name, x);
			break;
		case 16:
		case 17:
			hold_sample(b, fam, name, json_object_get(m, "hold"));
			break;
		}
	}
}

static void
aws_samples(struct metrics *mx, struct evbuffer *b, int fam)
{
	static const struct aws_service *const svcs[] = {
		&aws_elbv2, &aws_ecs, &aws_cloudwatch, &aws_sts, &aws_route53
	};
	struct aws_stats	 st;
	struct do_stats		 ds;
	uint64_t		 v;
	size_t			 i;

	for (i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++) {
		daemon_aws_stats(mx->d, svcs[i], &st);
		v = fam == 10 ? st.calls : fam == 11 ? st.errors :
		    fam == 12 ? st.throttles : st.retries;
		out(b, "%s{service=\"%s\"} %llu\n", families[fam].name,
		    svcs[i]->name, (unsigned long long)v);
	}
	/* DigitalOcean's API, under the same names. */
	daemon_do_stats(mx->d, &ds);
	v = fam == 10 ? ds.calls : fam == 11 ? ds.errors : fam == 12 ?
	    ds.throttles : ds.retries;
	out(b, "%s{service=\"digitalocean\"} %llu\n", families[fam].name,
	    (unsigned long long)v);
}

static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct metrics		*mx = arg;
	struct evbuffer		*b;
	struct watch_lateness	 l;
	json_t			*all;
	size_t			 f;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "only GET");
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	/* Every migration in full: this is not a protocol line. */
	all = json_array();
	for (f = 0; f < mx->d->nmigs; f++)
		json_array_append_new(all, view_migration(mx->d,
		    mx->d->migs[f]));
	for (f = 0; f < NFAMILIES; f++) {
		out(b, "# HELP %s %s\n# TYPE %s %s\n", families[f].name,
		    families[f].help, families[f].name, families[f].type);
		if (f < 10)
			family_samples(b, (int)f, all);
		else if (f < 14)
			aws_samples(mx, b, (int)f);
		else if (f == 14) {
			watch_lateness(&l);
			out(b, "%s{quantile=\"0.5\"} %g\n%s{quantile=\"0.99\"} "
			    "%g\n%s_sum %g\n%s_count %llu\n", families[f].name,
			    l.p50_ms / 1000, families[f].name, l.p99_ms / 1000,
			    families[f].name, l.sum_ms / 1000,
			    families[f].name, (unsigned long long)l.ticks);
		} else if (f == 15) {
			watch_lateness(&l);
			out(b, "%s %g\n", families[f].name, l.max_ms / 1000);
		} else if (strncmp(families[f].name, "migrated_proof_", 15) ==
		    0)
			pace_samples(b, (int)f, all);
		else if (strncmp(families[f].name, "migrated_seed_", 14) == 0)
			seed_samples(b, (int)f, all);
		else {
			family_samples(b, (int)f, all);
			catchup_samples(b, (int)f, all);
		}
	}
	json_decref(all);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
other_cb(struct evhttp_request *req, void *arg)
{
	evhttp_send_error(req, 404, "only /metrics here");
}

struct metrics *
metrics_new(struct daemon *d, const char *listen)
{
	struct metrics	*mx;
	char		 host[64];
	int		 port;

	if (config_split_addr(listen, host, sizeof(host), &port) == -1) {
		log_warnx("metrics: %s is not a loopback address and port",
		    listen);
		return NULL;
	}
	mx = xcalloc(1, sizeof(*mx));
	mx->d = d;
	if ((mx->http = evhttp_new(d->base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_allowed_methods(mx->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(mx->http, 10);
	evhttp_set_cb(mx->http, "/metrics", metrics_cb, mx);
	evhttp_set_gencb(mx->http, other_cb, mx);
	if (evhttp_bind_socket(mx->http, host, (ev_uint16_t)port) == -1) {
		log_warnx("metrics: cannot listen on %s", listen);
		metrics_free(mx);
		return NULL;
	}
	log_info("metrics: serving http://%s/metrics", listen);
	return mx;
}

void
metrics_free(struct metrics *mx)
{
	if (mx == NULL)
		return;
	evhttp_free(mx->http);
	free(mx);
}
