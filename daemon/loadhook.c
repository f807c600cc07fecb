/*
 * loadhook: one child per bake, stopped by its owner.
 *
 * The owner (daemon/shift.c) starts it with the bake and stops it when it
 * frees the step, whatever the reason. A stopped hook lives on here until
 * its exit is reaped (the journal gets "exit N" or the signal and the
 * output's tail), so the step can go at once. At exit, after the loop,
 * loadhook_end_all() waits briefly and SIGKILLs the rest: no load
 * generator outlives the daemon.
 *
 * The fact LOADHOOK_FACT ("pgid:starttime", the start time as the
 * kernel's clock ticks since boot from /proc/PID/stat) is set while one
 * runs, so that a load generator left by a crash (kill -9, OOM) is found
 * and killed at the next start: its process group is its pid (proc.c
 * puts each child in its own group), and the start time tells it from a
 * process that reused the pid.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "loadhook.h"
#include "log.h"
#include "migration.h"
#include "plan.h"
#include "proc.h"
#include "store.h"
#include "xmalloc.h"

#define LOADHOOK_FACT		"traffic.load_hook"
#define LOADHOOK_TIMEOUT_MS	((int64_t)30 * 86400 * 1000)

struct loadhook {
	struct daemon		*d;
	int64_t			 mig;
	char			*name;
	struct proc		*p;
	pid_t			 pid;
	int			 stopped;
	LIST_ENTRY(loadhook)	 entry;
};

static LIST_HEAD(, loadhook) hooks = LIST_HEAD_INITIALIZER(hooks);

/* A process's start time (field 22 of /proc/PID/stat), or 0. */
static unsigned long long
start_time(pid_t pid)
{
	char			 path[64], buf[1024], *s;
	unsigned long long	 t = 0;
	FILE			*f;
	int			 i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (s = strrchr(buf, ')')) != NULL) {
		/* After "(comm)": field 3 on; the start time is field 22. */
		for (i = 3, s++; i < 22 && s != NULL; i++)
			s = strchr(s + 1, ' ');
		if (s != NULL)
			t = strtoull(s + 1, NULL, 10);
	}
	fclose(f);
	return t;
}

static void
loadhook_free(struct loadhook *lh)
{
	LIST_REMOVE(lh, entry);
	free(lh->name);
	free(lh);
}

static void
loadhook_done(void *arg, int status, int timed_out, const char *output)
{
	struct loadhook	*lh = arg;
	char		 how[64], text[PROC_OUTPUT_MAX + 128], *c;

	if (status > 128)
		snprintf(how, sizeof(how), "killed by signal %d", status - 128);
	else
		snprintf(how, sizeof(how), "exit %d", status);
	snprintf(text, sizeof(text), "load_hook %s (%s): %s", lh->stopped ?
	    "stopped" : "exited during the bake", how, output[0] != '\0' ?
	    output : "no output");
	for (c = text; *c != '\0'; c++)
		if (*c == '\n')
			*c = ' ';
	log_info("%s: %s", lh->name, text);
	store_journal(lh->d->store, lh->mig, lh->stopped || status == 0 ?
	    "info" : "warning", text);
	store_fact_set(lh->d->store, lh->mig, LOADHOOK_FACT, NULL);
	loadhook_free(lh);
}

static void
env_add(char **env, size_t *n, const char *key, const char *value)
{
	if (asprintf(&env[(*n)++], "%s=%s", key, value ? value : "") == -1)
		fatal("asprintf");
}

struct loadhook *
loadhook_start(struct daemon *d, struct migration *m)
{
	const struct plan	*p = m->plan;
	struct loadhook		*lh;
	char			*env[12], buf[32];
	size_t			 n = 0, i;
	int			 pct;

	if (p == NULL || p->traffic.load_hook == NULL)
		return NULL;
	loadhook_reap_leftover(d, m);
	pct = m->step >= 0 && m->step < p->traffic.nsteps &&
	    phase_has(m->phase, PHF_STEPPED) ? p->traffic.steps[m->step] :
	    100;
	env_add(env, &n, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
	    "/usr/bin:/sbin:/bin");
	env_add(env, &n, "MIGRATED_NAME", m->name);
	env_add(env, &n, "MIGRATED_HOOK", "load_hook");
	env_add(env, &n, "MIGRATED_PHASE", phase_name(m->phase));
	snprintf(buf, sizeof(buf), "%d", m->step + 1);
	env_add(env, &n, "MIGRATED_STEP", buf);
	snprintf(buf, sizeof(buf), "%d", pct > 0 ? pct : 0);
	env_add(env, &n, "MIGRATED_ECS_WEIGHT", buf);
	env_add(env, &n, "MIGRATED_LISTENER_ARN", p->traffic.listener_arn);
	env_add(env, &n, "MIGRATED_ECS_TARGET_GROUP_ARN",
	    p->traffic.ecs_tg_arn);
	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	env_add(env, &n, "MIGRATED_PID", buf);
	env[n] = NULL;

	lh = xcalloc(1, sizeof(*lh));
	lh->d = d;
	lh->mig = m->id;
	lh->name = xstrdup(m->name);
	lh->p = proc_spawn(d->base, p->traffic.load_hook, env,
	    LOADHOOK_TIMEOUT_MS, loadhook_done, lh);
	for (i = 0; i < n; i++)
		free(env[i]);
	LIST_INSERT_HEAD(&hooks, lh, entry);
	if (lh->p == NULL) {
		store_journal(d->store, m->id, "warning", "load_hook could not "
		    "be started; see the daemon's log");
		loadhook_free(lh);
		return NULL;
	}
	lh->pid = proc_pid(lh->p);
	store_fact_setf(d->store, m->id, LOADHOOK_FACT, "%d:%llu",
	    (int)lh->pid, start_time(lh->pid));
	log_info("%s: load_hook started (pid %d)", m->name, (int)lh->pid);
	return lh;
}

void
loadhook_stop(struct loadhook *lh)
{
	if (lh == NULL || lh->stopped)
		return;
	lh->stopped = 1;
	proc_stop(lh->p);
}

void
loadhook_reap_leftover(struct daemon *d, struct migration *m)
{
	struct loadhook		*lh;
	unsigned long long	 t, now;
	char			*v;
	int			 pid;

	if ((v = store_fact_get(d->store, m->id, LOADHOOK_FACT)) == NULL)
		return;
	if (sscanf(v, "%d:%llu", &pid, &t) != 2 || pid <= 1) {
		free(v);
		store_fact_set(d->store, m->id, LOADHOOK_FACT, NULL);
		return;
	}
	free(v);
	/* Ours and alive: nothing left over. */
	LIST_FOREACH(lh, &hooks, entry)
		if (lh->pid == pid)
			return;
	now = start_time(pid);
	if (now != 0 && now == t) {
		log_warnx("%s: a load_hook left running by an earlier daemon "
		    "(process group %d): killed", m->name, pid);
		store_journal(d->store, m->id, "warning", "a load_hook left "
		    "running by an earlier daemon was killed");
		kill(-pid, SIGKILL);
	}
	store_fact_set(d->store, m->id, LOADHOOK_FACT, NULL);
}

void
loadhook_end_all(void)
{
	struct loadhook		*lh;
	struct timespec		 nap = { 0, 50 * 1000 * 1000 };
	int			 i, left;

	for (i = 0; i < PROC_KILL_GRACE * 20; i++) {
		left = 0;
		LIST_FOREACH(lh, &hooks, entry) {
			if (lh->pid <= 0)
				continue;
			if (!lh->stopped) {
				lh->stopped = 1;
				kill(-lh->pid, SIGTERM);
			}
			if (waitpid(lh->pid, NULL, WNOHANG) == lh->pid) {
				/* The leader went: its group goes too. */
				kill(-lh->pid, SIGKILL);
				lh->pid = 0;
			} else
				left++;
		}
		if (left == 0)
			return;
		nanosleep(&nap, NULL);
	}
	LIST_FOREACH(lh, &hooks, entry)
		if (lh->pid > 0) {
			kill(-lh->pid, SIGKILL);
			waitpid(lh->pid, NULL, 0);
		}
}
