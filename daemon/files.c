/*
 * files: the periodic sync of the uploaded files, the final sync and its
 * verify (see files.h).
 *
 * One command at a time. The next periodic run is due files.interval
 * after the last one ended, at once when none ran yet or the last failed
 * (the operator resumed after fixing it). A run killed because the phase
 * changed (a pause, the cutover) leaves no record, so it runs again when
 * syncing resumes. The commands get the daemon's environment (an aws CLI
 * finds its credentials there) and MIGRATED_NAME, MIGRATED_PHASE and
 * MIGRATED_FILES_RUN (sync, final or verify).
 *
 * A failing run pauses the migration through the owner's halt callback
 * (the job's, which fires MEV_HALT); a failing final run
 * is handed to decommission, which pauses with it. Either way the event
 * is fired last: it frees this object (the phase changes), so nothing
 * here is touched after it.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"
#include "facts.h"
#include "files.h"
#include "log.h"
#include "migration.h"
#include "now.h"
#include "plan.h"
#include "proc.h"
#include "store.h"
#include "xmalloc.h"

extern char **environ;

/* How much of a command's output the journal and a reason quote. */
#define FILES_TAIL	600

enum files_run { FR_SYNC, FR_FINAL, FR_VERIFY };

static const char *const run_names[] = {
	[FR_SYNC] = "sync", [FR_FINAL] = "final", [FR_VERIFY] = "verify",
};

struct files {
	struct daemon		*d;
	struct migration	*m;
	struct event		*ev;		/* the next periodic run */
	struct proc		*proc;		/* the run in flight */
	enum files_run		 run;
	int64_t			 started;	/* unix ms */
	int64_t			 next;		/* unix ms; 0: none due */
	int			 final;		/* the final run was asked for */
	files_halt_cb		 halt;
	void			*halt_arg;
	files_cb		 cb;
	void			*arg;
};

static int	files_start(struct files *, enum files_run);

static void
files_tick(evutil_socket_t fd, short what, void *arg)
{
	struct files	*f = arg;
	char		 detail[256];

	f->next = 0;
	/* The plan reloaded without [files]: nothing more to run. */
	if (f->m->plan == NULL || f->m->plan->files.sync == NULL)
		return;
	if (files_start(f, FR_SYNC) == 0)
		return;
	snprintf(detail, sizeof(detail), "files: the sync command could not "
	    "be started (see the log)");
	store_journal(f->d->store, f->m->id, "error", detail);
	f->halt(f->halt_arg, detail);
}

/* Arm the next periodic run, unless the final one is asked for or done. */
static void
files_schedule(struct files *f)
{
	struct store	*st = f->d->store;
	struct timeval	 tv;
	int64_t		 last, now = now_ms(), wait;

	if (f->final || store_fact_exists(st, f->m->id, FILES_FACT_FINAL))
		return;
	last = store_fact_i64(st, f->m->id, FILES_FACT_LAST);
	if (last == 0 || store_fact_i64(st, f->m->id, FILES_FACT_OK) != 1)
		f->next = now;
	else
		f->next = last + f->m->plan->files.interval;
	wait = f->next > now ? f->next - now : 0;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(f->ev, &tv);
}

struct files *
files_new(struct daemon *d, struct migration *m, files_halt_cb halt,
    void *arg)
{
	struct files	*f;

	f = xcalloc(1, sizeof(*f));
	f->d = d;
	f->m = m;
	f->halt = halt;
	f->halt_arg = arg;
	if ((f->ev = evtimer_new(d->base, files_tick, f)) == NULL)
		fatalx("evtimer_new");
	files_schedule(f);
	return f;
}

void
files_free(struct files *f)
{
	if (f == NULL)
		return;
	if (f->proc != NULL) {
		proc_orphan(f->proc);
		proc_kill(f->proc);
	}
	event_free(f->ev);
	free(f);
}

/* The daemon's environment without MIGRATED_*, then ours. */
static char **
files_env(struct files *f, enum files_run run)
{
	char	**env;
	size_t	  n = 0, i;

	for (i = 0; environ[i] != NULL; i++)
		;
	env = xcalloc(i + 4, sizeof(*env));
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "MIGRATED_", 9) != 0)
			env[n++] = xstrdup(environ[i]);
	env[n++] = xasprintf("MIGRATED_NAME=%s", f->m->name);
	env[n++] = xasprintf("MIGRATED_PHASE=%s", phase_name(f->m->phase));
	env[n++] = xasprintf("MIGRATED_FILES_RUN=%s", run_names[run]);
	env[n] = NULL;
	return env;
}

static void	files_done(void *, int, int, const char *);

static int
files_start(struct files *f, enum files_run run)
{
	const struct plan	*p = f->m->plan;
	char			**env;
	size_t			  i;

	f->run = run;
	f->started = now_ms();
	env = files_env(f, run);
	log_info("%s: files: %s running", f->m->name, run_names[run]);
	f->proc = proc_spawn(f->d->base, run == FR_VERIFY ? p->files.verify :
	    p->files.sync, env, p->files.timeout, files_done, f);
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
	daemon_changed(f->d, f->m);
	return f->proc == NULL ? -1 : 0;
}

/*
 * The output's last FILES_TAIL bytes on one line, trimmed, in plain ASCII
 * (the journal and status are JSON: UTF-8 only).
 */
static void
files_tail(const char *out, char *buf, size_t len)
{
	size_t		 n = strlen(out), i;
	unsigned char	*p;

	if (n > FILES_TAIL)
		out += n - FILES_TAIL;
	snprintf(buf, len, "%s", out);
	for (p = (unsigned char *)buf; *p != '\0'; p++)
		if (*p < ' ' || *p >= 0x7f)
			*p = *p == '\n' || *p == '\t' || *p == '\r' ? ' ' : '?';
	for (i = strlen(buf); i > 0 && buf[i - 1] == ' '; i--)
		buf[i - 1] = '\0';
}

/*
 * verify's last non-empty line: two equal counts. 0, or -1 with why.
 */
static int
files_counts(const char *out, char *why, size_t len)
{
	const char	*end = out + strlen(out), *s;
	long long	 a, b;
	int		 used = 0;

	while (end > out && isspace((unsigned char)end[-1]))
		end--;
	for (s = end; s > out && s[-1] != '\n'; s--)
		;
	if (sscanf(s, "%lld %lld%n", &a, &b, &used) != 2 || a < 0 || b < 0 ||
	    s + used != end) {
		snprintf(why, len, "verify's last line is not two counts "
		    "(\"SOURCE TARGET\"): '%.*s'", (int)(end - s > 120 ? 120 :
		    end - s), s);
		return -1;
	}
	if (a != b) {
		snprintf(why, len, "verify counts %lld files at the source and "
		    "%lld at the copy", a, b);
		return -1;
	}
	return 0;
}

/* The final sync (and its verify) is over: record, then tell. */
static void
files_final_end(struct files *f, int ok, const char *why)
{
	files_cb	 cb = f->cb;
	void		*arg = f->arg;
	char		 note[256];

	if (ok) {
		store_fact_setf(f->d->store, f->m->id, FILES_FACT_FINAL,
		    "%" PRId64, now_ms());
		snprintf(note, sizeof(note), "files: the final sync%s passed",
		    f->m->plan->files.verify != NULL ? " and its verify" : "");
		store_journal(f->d->store, f->m->id, "info", note);
		log_info("%s: %s", f->m->name, note);
	}
	f->cb = NULL;
	if (cb != NULL)
		cb(arg, ok, why);
}

static void
files_done(void *arg, int status, int timed_out, const char *output)
{
	struct files	*f = arg;
	struct store	*st = f->d->store;
	enum files_run	 run = f->run;
	char		 tail[FILES_TAIL + 8], why[256], line[1024];
	int		 ok = !timed_out && status == 0;
	int64_t		 took = now_ms() - f->started;

	f->proc = NULL;
	files_tail(output, tail, sizeof(tail));
	why[0] = '\0';
	if (timed_out)
		snprintf(why, sizeof(why), "timed out after files.timeout, "
		    "killed");
	else if (status != 0)
		snprintf(why, sizeof(why), "exit %d", status);
	else if (run == FR_VERIFY && files_counts(output, why,
	    sizeof(why)) == -1)
		ok = 0;
	snprintf(line, sizeof(line), "files: %s %s in %.1f s%s%s%s",
	    run == FR_FINAL ? "final sync" : run_names[run], ok ? "ok" :
	    "failed", (double)took / 1000, why[0] ? " (" : "", why,
	    why[0] ? ")" : "");
	if (tail[0] != '\0')
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    ": %s", tail);
	store_fact_setf(st, f->m->id, FILES_FACT_LAST, "%" PRId64, now_ms());
	store_fact_set(st, f->m->id, FILES_FACT_OK, ok ? "1" : "0");
	store_fact_set(st, f->m->id, FILES_FACT_TEXT, line);
	store_journal(st, f->m->id, ok ? "info" : "error", line);
	if (ok)
		log_info("%s: %s", f->m->name, line);
	else
		log_warnx("%s: %s", f->m->name, line);
	daemon_changed(f->d, f->m);

	if (run == FR_SYNC && !ok) {
		f->halt(f->halt_arg, line);
		return;
	}
	if (run == FR_SYNC && !f->final) {
		files_schedule(f);
		return;
	}
	if (run == FR_SYNC || (run == FR_FINAL && ok &&
	    f->m->plan->files.verify != NULL)) {
		if (files_start(f, run == FR_SYNC ? FR_FINAL : FR_VERIFY) == -1)
			files_final_end(f, 0, "files: a command could not be "
			    "started (see the log)");
		return;
	}
	files_final_end(f, ok, ok ? NULL : line);
}

int
files_final(struct files *f, files_cb cb, void *arg)
{
	f->final = 1;
	f->cb = cb;
	f->arg = arg;
	evtimer_del(f->ev);
	f->next = 0;
	/* A periodic run in flight goes on; the final one follows it. */
	if (f->proc != NULL)
		return 0;
	return files_start(f, FR_FINAL);
}

void
files_final_cancel(struct files *f)
{
	if (f == NULL)
		return;
	f->cb = NULL;
	f->arg = NULL;
}

json_t *
files_json(struct daemon *d, const struct migration *m,
    const struct files *f)
{
	struct store	*st = d->store;
	int64_t		 last, final;
	char		*text, *okv;
	json_t		*o;

	if (m->plan == NULL || m->plan->files.sync == NULL)
		return NULL;
	last = store_fact_i64(st, m->id, FILES_FACT_LAST);
	final = store_fact_i64(st, m->id, FILES_FACT_FINAL);
	text = store_fact_get(st, m->id, FILES_FACT_TEXT);
	okv = store_fact_get(st, m->id, FILES_FACT_OK);
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:I}",
	    "last_at", last ? json_integer(last) : json_null(),
	    "last_ok", okv ? json_boolean(strcmp(okv, "1") == 0) : json_null(),
	    "last", text ? json_string(text) : json_null(),
	    "next_at", f != NULL && f->next ? json_integer(f->next) :
		json_null(),
	    "running", f != NULL && f->proc != NULL ?
		json_string(run_names[f->run]) : json_null(),
	    "final_passed_at", final ? json_integer(final) : json_null(),
	    "interval_ms", (json_int_t)m->plan->files.interval);
	free(text);
	free(okv);
	return o;
}
