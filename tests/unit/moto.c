/*
 * moto: one moto_server per unit suite; see moto.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "moto.h"
#include "spawn.h"
#include "suite.h"

int			 moto_port;
static const char	*moto_suite = "check";
static pid_t		 moto_pid = -1;
static char		 tmp_dir[64];

void
moto_stop(void)
{
	if (!spawn_parent())
		return;
	spawn_stop(&moto_pid, 1);
	spawn_rmdir(tmp_dir, moto_suite);
}

static int
moto_ready(void *arg)
{
	return spawn_http_ok(moto_port, "/moto-api/");
}

void
moto_start(void)
{
	char		 portstr[16], log[128];
	char		*argv[] = { "moto_server", "-H", "127.0.0.1", "-p",
			    portstr, NULL };

	if (spawn_tmpdir(tmp_dir, sizeof(tmp_dir), moto_suite) == -1)
		return;
	if ((moto_port = spawn_free_port()) == -1) {
		moto_port = 0;
		return;
	}
	snprintf(portstr, sizeof(portstr), "%d", moto_port);
	snprintf(log, sizeof(log), "%s/moto.log", tmp_dir);
	if ((moto_pid = spawn_start(argv, log, SIGKILL)) == -1)
		return;
	if (spawn_wait(&moto_pid, 20000, 50, moto_ready, NULL))
		return;
	fprintf(stderr, "%s: moto_server did not start (see %s)\n",
	    moto_suite, log);
	moto_stop();
	moto_port = 0;
}

void
moto_init(const char *suite)
{
	moto_suite = suite;
	spawn_init();
	spawn_guard(&moto_pid);
	atexit(moto_stop);
}

const struct suite_server	moto_server = {
	.name = "moto",
	.init = moto_init,
	.start = moto_start,
	.stop = moto_stop,
};
