/*
 * preflight: the checks before anything moves. Every check runs, and every
 * failure is reported with what to fix, so an operator fixes all of them in
 * one round.
 *
 * This build has the checks that need no remote client: the plan, its
 * secret files, and conflicts with other migrations in this daemon. The
 * database, AWS and DigitalOcean checks arrive with their clients; until
 * then preflight says so and fails, having changed nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "migrated.h"
#include "migration.h"
#include "plan.h"
#include "preflight.h"
#include "runner.h"

struct checks {
	char	text[4096];
	int	failed;
};

static void
check_fail(struct checks *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
check_fail(struct checks *c, const char *fmt, ...)
{
	va_list	ap;
	size_t	len = strlen(c->text);

	if (len > 0 && len + 2 < sizeof(c->text)) {
		strcat(c->text, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(c->text + len, sizeof(c->text) - len, fmt, ap);
	va_end(ap);
	c->failed++;
}

static void
check_secret(struct checks *c, const char *what, const char *path)
{
	char	why[512];

	if (path != NULL && conf_secret_file_ok(path, why, sizeof(why)) == -1)
		check_fail(c, "%s: %s", what, why);
}

static void
check_readable(struct checks *c, const char *what, const char *path)
{
	if (path != NULL && access(path, R_OK) == -1)
		check_fail(c, "%s %s is not readable by migrated", what, path);
}

static int
same_db(const struct plan_db *a, const struct plan_db *b)
{
	return a->host != NULL && b->host != NULL &&
	    strcmp(a->host, b->host) == 0 && a->port == b->port;
}

static void
check_conflicts(struct checks *c, struct daemon *d, struct migration *m)
{
	const struct plan	*p = m->plan, *q;
	struct migration	*o;
	size_t			 i;

	for (i = 0; i < d->nmigs; i++) {
		o = d->migs[i];
		if (o == m || (q = o->plan) == NULL ||
		    o->phase == PH_PLANNED || phase_is_final(o->phase))
			continue;
		if (strcmp(p->traffic.listener_arn, q->traffic.listener_arn) ==
		    0)
			check_fail(c, "migration %s (%s) already shifts this "
			    "listener", o->name, phase_name(o->phase));
		if (same_db(&p->source.db, &q->source.db))
			check_fail(c, "migration %s (%s) already replicates "
			    "from %s:%d", o->name, phase_name(o->phase),
			    p->source.db.host, p->source.db.port);
		if (same_db(&p->target.db, &q->target.db))
			check_fail(c, "migration %s (%s) already writes to "
			    "target %s:%d", o->name, phase_name(o->phase),
			    p->target.db.host, p->target.db.port);
	}
}

void
preflight_run(struct daemon *d, struct migration *m)
{
	const struct plan	*p = m->plan;
	struct checks		 c;
	char			 why[256];

	memset(&c, 0, sizeof(c));
	if (p == NULL) {
		check_fail(&c, "the plan does not parse; fix it and reload "
		    "(SIGHUP)");
		goto done;
	}
	check_secret(&c, "source.password_file", p->source.db.password_file);
	check_secret(&c, "source.repl_password_file",
	    p->source.repl_password_file);
	check_secret(&c, "target.password_file", p->target.db.password_file);
	check_secret(&c, "decommission.do_token_file",
	    p->decommission.do_token_file);
	check_readable(&c, "source.ca_file", p->source.db.ca_file);
	check_readable(&c, "target.ca_file", p->target.db.ca_file);
	check_conflicts(&c, d, m);

	/* Named plainly: these checks need clients this build lacks. */
	check_fail(&c, "the database, AWS and DigitalOcean checks are not in "
	    "this build of migrated; nothing was changed");
done:
	if (c.failed == 0)
		runner_fire(d, m, MEV_CHECKS_PASSED, "every check passed", why,
		    sizeof(why));
	else {
		log_warnx("%s: preflight: %s", m->name, c.text);
		runner_fire(d, m, MEV_CHECKS_FAILED, c.text, why, sizeof(why));
	}
}
