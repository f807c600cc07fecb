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

int			 fake_port;
static const char	*fake_suite = "check";
static pid_t		 fake_pid = -1;
static pid_t		 moto_pid = -1;	/* from the env file */
static char		 tmp_dir[64];

void
fake_stop(void)
{
	if (!spawn_parent())
		return;
	/* fakeaws stops its moto on SIGTERM; moto is stopped anyway. */
	spawn_stop(&fake_pid, 1);
	spawn_stop(&moto_pid, 0);
	fake_port = 0;
	spawn_rmdir(tmp_dir, fake_suite);
}

static int
fake_ready(void *arg)
{
	const char	*envf = arg;
	int		 v;

	fake_port = spawn_env_int(envf, "FAKEAWS_PORT");
	if ((v = spawn_env_int(envf, "MOTO_PID")) > 0)
		moto_pid = v;
	return fake_port > 0 && spawn_http_ok(fake_port, "/_fake/health");
}

/* Unchecked fixture: fakeaws.py --spawn-moto, once, in the parent. */
void
fake_start(void)
{
	char		 envf[96], log[96], mlog[96];
	char		*argv[] = { "python3", "tests/fakes/fakeaws.py",
			    "--spawn-moto", "--port", "0", "--env-file", envf,
			    "--moto-log", mlog, NULL };

	if (spawn_tmpdir(tmp_dir, sizeof(tmp_dir), fake_suite) == -1)
		return;
	snprintf(envf, sizeof(envf), "%s/aws.env", tmp_dir);
	snprintf(log, sizeof(log), "%s/fake.log", tmp_dir);
	snprintf(mlog, sizeof(mlog), "%s/moto.log", tmp_dir);
	if ((fake_pid = spawn_start(argv, log, SIGTERM)) == -1)
		return;
	if (spawn_wait(&fake_pid, 30000, 100, fake_ready, envf))
		return;
	fprintf(stderr, "%s: fakeaws.py did not start (see %s)\n",
	    fake_suite, log);
	fake_port = 0;
	spawn_stop(&fake_pid, 1);
	spawn_stop(&moto_pid, 0);
}

void
fakeaws_init(const char *suite)
{
	fake_suite = suite;
	spawn_init();
	spawn_guard(&fake_pid);
	spawn_guard(&moto_pid);
	atexit(fake_stop);
}

const struct suite_server	fakeaws_server = {
	.name = "fakeaws",
	.init = fakeaws_init,
	.start = fake_start,
	.stop = fake_stop,
};
