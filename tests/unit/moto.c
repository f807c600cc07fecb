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

int				 moto_port;
static struct spawn_server	 moto = SPAWN_SERVER_INIT;

void
moto_stop(void)
{
	spawn_server_stop(&moto);
}

static int
moto_ready(void *arg)
{
	return spawn_http_ok(moto_port, "/moto-api/");
}

void
moto_start(void)
{
	char		 portstr[16];
	char		*argv[] = { "moto_server", "-H", "127.0.0.1", "-p",
			    portstr, NULL };

	if (spawn_server_dir(&moto) == -1)
		return;
	if ((moto_port = spawn_free_port()) == -1) {
		moto_port = 0;
		return;
	}
	snprintf(portstr, sizeof(portstr), "%d", moto_port);
	if (!spawn_server_run(&moto, "moto_server", argv, "moto.log", SIGKILL,
	    20000, 50, moto_ready, NULL))
		moto_port = 0;
}

const struct suite_server	moto_server = { "moto", &moto, moto_start,
    moto_stop };
