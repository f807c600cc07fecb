/*
 * ready: the cutover's control points. The window is parsed from the plan
 * at each look (the plan may be changed at run time with `set`), and is
 * judged in its own zone (state/window.c); the approval is the
 * migration's approved flag, which the transition table sets on
 * `approve` in this phase, journals, and clears on the way into the
 * cutover, so a restart keeps waiting for it.
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "migration.h"
#include "plan.h"
#include "ready.h"
#include "window.h"

/* What the window says at now; -1 when it does not parse (a reload). */
static int
ready_window(const struct plan *p, time_t now, struct window *w, time_t *t,
    char *why, size_t len)
{
	if (p->cutover.window == NULL)
		return 1;
	if (window_parse(p->cutover.window, w, why, len) == -1)
		return -1;
	return window_at(w, now, t);
}

static int
ready_approved(const struct migration *m)
{
	return m->plan->cutover.approval == APPROVAL_AUTO || m->approved;
}

/* The comparison the plan wants before the cutover has not passed. */
static int
ready_unverified(const struct migration *m)
{
	return m->plan->cutover.verify_before && !m->obs.verified;
}

int
ready_wait(struct migration *m, time_t now, const char *verifying,
    char *text, size_t len)
{
	const struct plan	*p = m->plan;
	struct window		 w;
	time_t			 t = 0;
	char			 local[64], utc[64], why[256];
	int			 open, approved, n = 0;

	if (p == NULL) {
		snprintf(text, len, "ready: no plan");
		return 0;
	}
	open = ready_window(p, now, &w, &t, why, sizeof(why));
	approved = ready_approved(m);
	m->obs.window_open = open == 1;
	if (open == 1 && approved && !ready_unverified(m) &&
	    !m->obs.verifying) {
		snprintf(text, len, "ready: the window is open and the "
		    "cutover is approved");
		return 1;
	}
	if (open == 1 && approved) {
		snprintf(text, len, "ready: waiting for the data "
		    "comparison%s%s", verifying != NULL ? ": " : "",
		    verifying != NULL ? verifying : "");
		return 0;
	}
	n = snprintf(text, len, "ready: waiting for");
	if (open == -1)
		n += snprintf(text + n, len > (size_t)n ? len - n : 0, " a "
		    "cutover.window that parses (%s)", why);
	else if (open == 0 && t == 0)
		n += snprintf(text + n, len > (size_t)n ? len - n : 0, " the "
		    "cutover window, which never opens");
	else if (open == 0) {
		window_local(&w, t, local, sizeof(local));
		window_utc(t, utc, sizeof(utc));
		n += snprintf(text + n, len > (size_t)n ? len - n : 0, " the "
		    "cutover window (opens %s, %s)", local, utc);
	}
	if (!approved)
		n += snprintf(text + n, len > (size_t)n ? len - n : 0, "%s "
		    "approval (migratectl approve %s)", open != 1 ? " and for" :
		    "", m->name);
	if (verifying != NULL)
		snprintf(text + n, len > (size_t)n ? len - n : 0, "; %s",
		    verifying);
	return 0;
}

static json_t *
ready_time(const struct window *w, time_t t)
{
	char	local[64], utc[64];

	window_local(w, t, local, sizeof(local));
	window_utc(t, utc, sizeof(utc));
	return json_pack("{s:s, s:s, s:I}", "local", local, "utc", utc,
	    "unix_ms", (json_int_t)t * 1000);
}

json_t *
ready_status(struct daemon *d, const struct migration *m)
{
	const struct plan	*p = m->plan;
	struct window		 w;
	json_t			*j, *waiting;
	time_t			 t = 0;
	char			 why[256];
	int			 open;

	if (p == NULL || m->phase != PH_READY)
		return NULL;
	open = ready_window(p, time(NULL), &w, &t, why, sizeof(why));
	waiting = json_array();
	if (open != 1)
		json_array_append_new(waiting, json_string("window"));
	if (!ready_approved(m))
		json_array_append_new(waiting, json_string("approval"));
	if (ready_unverified(m) || m->obs.verifying)
		json_array_append_new(waiting, json_string("verify"));
	j = json_pack("{s:s, s:b, s:o, s:b, s:b, s:o}",
	    "approval", p->cutover.approval == APPROVAL_AUTO ? "auto" :
		"required",
	    "approved", m->approved != 0,
	    "window", p->cutover.window != NULL ?
		json_string(p->cutover.window) : json_null(),
	    "window_open", open == 1,
	    "verify_before", p->cutover.verify_before,
	    "waiting_for", waiting);
	if (open == 1 && t != 0)
		json_object_set_new(j, "window_closes", ready_time(&w, t));
	else if (open == 0 && t != 0)
		json_object_set_new(j, "window_opens", ready_time(&w, t));
	else if (open == -1)
		json_object_set_new(j, "window_error", json_string(why));
	return j;
}
