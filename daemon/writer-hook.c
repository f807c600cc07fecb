/*
 * writer-hook: the writer switched by the operator's command, the plan's
 * cutover.writer_hook, run as the hook "writer_switch" (or
 * "writer_switch_back") with the new host and port in
 * MIGRATED_WRITER_HOST and _PORT. The hook has its own journal, timeout
 * and end; running it twice is harmless, so a crash mid-run reruns it.
 * The plan refuses writer = hook without the command, so preflight has
 * nothing to add.
 */
#include <stddef.h>

#include "hook.h"
#include "job.h"
#include "migration.h"
#include "plan.h"
#include "writer.h"

static int
hook_switch(struct job *j, int to_target, const char *name, hook_done_cb done,
    void *arg)
{
	return hook_run(j, name, j->m->plan->cutover.writer_hook, HOOK_RERUN,
	    done, arg);
}

const struct writer_method writer_hook_method = {
	.name = "hook",
	.run = hook_switch,
};
