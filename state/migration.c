/*
 * migration: allocation of the in-memory migration.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migration.h"
#include "plan.h"

struct migration *
migration_new(const char *name)
{
	struct migration	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	if ((m->name = strdup(name)) == NULL)
		fatal("strdup");
	m->phase = PH_PLANNED;
	m->resume_to = PH_NONE;
	m->step = -1;
	return m;
}

void
migration_free(struct migration *m)
{
	if (m == NULL)
		return;
	free(m->name);
	free(m->plan_path);
	free(m->plan_text);
	free(m->overrides);
	free(m->reason);
	plan_free(m->plan);
	free(m);
}

void
migration_set_reason(struct migration *m, const char *reason)
{
	char	*r = NULL;

	if (reason != NULL && (r = strdup(reason)) == NULL)
		fatal("strdup");
	free(m->reason);
	m->reason = r;
}
