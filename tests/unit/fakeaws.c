/*
 * fakeaws: one fakeaws.py (and its moto) per unit suite; see fakeaws.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fakeaws.h"
#include "spawn.h"
#include "suite.h"

int				 fake_port;
/* Its other process: the moto it started. */
static struct spawn_server	 fake = SPAWN_SERVER_INIT;

void
fake_stop(void)
{
	/* fakeaws stops its moto on SIGTERM; moto is stopped anyway. */
	if (spawn_server_stop(&fake))
		fake_port = 0;
}

static int
fake_ready(void *arg)
{
	const char	*envf = arg;
	int		 v;

	fake_port = spawn_env_int(envf, "FAKEAWS_PORT");
	if ((v = spawn_env_int(envf, "MOTO_PID")) > 0)
		fake.other = v;
	return fake_port > 0 && spawn_http_ok(fake_port, "/_fake/health");
}

/* Unchecked fixture: fakeaws.py --spawn-moto, once, in the parent. */
void
fake_start(void)
{
	char		 envf[96], mlog[96];
	char		*argv[] = { "python3", "tests/fakes/fakeaws.py",
			    "--spawn-moto", "--port", "0", "--env-file", envf,
			    "--moto-log", mlog, NULL };

	if (spawn_server_dir(&fake) == -1)
		return;
	snprintf(envf, sizeof(envf), "%s/aws.env", fake.dir);
	snprintf(mlog, sizeof(mlog), "%s/moto.log", fake.dir);
	if (!spawn_server_run(&fake, "fakeaws.py", argv, "fake.log", SIGTERM,
	    30000, 100, fake_ready, envf))
		fake_port = 0;
}

const struct suite_server	fakeaws_server = { "fakeaws", &fake, fake_start,
    fake_stop };
