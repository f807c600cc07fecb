/*
 * cmd-stats: the daemon's own figures, across migrations: how late the
 * gates' polls fired against their schedule.
 */
#include "cmd.h"
#include "daemon.h"
#include "watch.h"

static int
cmd_stats_exec(struct cmd_ctx *ctx)
{
	struct watch_lateness	l;

	watch_lateness(&l);
	ctx->data = json_pack("{s:I, s:{s:I, s:f, s:f, s:f}}",
	    "migrations", (json_int_t)ctx->d->nmigs,
	    "poll_lateness", "ticks", (json_int_t)l.ticks,
	    "p50_ms", l.p50_ms, "p99_ms", l.p99_ms, "max_ms", l.max_ms);
	return 0;
}

const struct cmd_entry cmd_stats_entry = {
	.name = "stats",
	.usage = "stats",
	.flags = 0,
	.exec = cmd_stats_exec,
};
