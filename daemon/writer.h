/*
 * writer: the cutover's switch of the application's database writer, by
 * the plan's cutover.writer: hook (the operator's command), dns (UPSERT
 * the Route 53 record both fleets use as their database host, then wait
 * until the change is INSYNC) or ecs-env (a new task definition revision
 * with cutover.ecs_env_name set to the host, and the ECS service updated
 * to it with a new deployment). Only the host moves; ports are the
 * application's business. Every step is journaled.
 */
#ifndef WRITER_H
#define WRITER_H

#include "hook.h"

struct job;

/*
 * Point m's writer at the target (to_target 1) or back at the source.
 * name names the switch in the journal and, for a hook, is the hook's name
 * ("writer_switch", "writer_switch_back"). done is called once, from the
 * loop, with ok 1 when the writer was switched, or ok 0 and the reason
 * (for an AWS failure, the operation's text): then the writer did not
 * move, or was put back where it was, or the reason says it may have
 * moved. A switch by AWS gives up after the plan's freeze_timeout going
 * forward, after a minute going back. Repeating a switch is harmless.
 * -1 if it could not be started (done is not called then).
 */
int	writer_switch(struct job *, int to_target, const char *name,
	    hook_done_cb done, void *arg);

/*
 * The job that passed arg is gone: stop the switch by AWS started with
 * that arg, without calling its done. 1 if there was one (arg is then
 * the caller's to free), 0 if not (a hook's done still comes).
 */
int	writer_cancel(void *arg);

#endif /* WRITER_H */
