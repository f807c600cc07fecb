/*
 * fakedo: one fakedo.py per unit suite; see fakedo.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakedo.h"
#include "spawn.h"
#include "suite.h"

int			 fakedo_port;
char			 fakedo_url[64];
static const char	*fakedo_suite = "check";
static pid_t		 fakedo_pid = -1;
static char		 tmp_dir[64];

void
fakedo_stop(void)
{
	if (!spawn_parent())
		return;
	spawn_stop(&fakedo_pid, 1);
	fakedo_port = 0;
	fakedo_url[0] = '\0';
	spawn_rmdir(tmp_dir, fakedo_suite);
}

int
fakedo_request(const char *method, const char *path, const char *json,
    const char *token, char **reply)
{
	return spawn_request(fakedo_port, method, path, json, token, reply);
}

int
fakedo_ctl(const char *path, const char *json, char **reply)
{
	return fakedo_request(json != NULL ? "POST" : "GET", path, json, NULL,
	    reply);
}

static int
fakedo_ready(void *arg)
{
	fakedo_port = spawn_env_int(arg, "FAKEDO_PORT");
	return fakedo_port > 0 &&
	    fakedo_ctl("/_fake/health", NULL, NULL) == 200;
}

/* Unchecked fixture: fakedo.py, once, in the parent. */
void
fakedo_start(void)
{
	char		 envf[96], log[96];
	char		*argv[] = { "python3", "tests/fakes/fakedo.py",
			    "--port", "0", "--env-file", envf, NULL };

	if (spawn_tmpdir(tmp_dir, sizeof(tmp_dir), fakedo_suite) == -1)
		return;
	snprintf(envf, sizeof(envf), "%s/do.env", tmp_dir);
	snprintf(log, sizeof(log), "%s/fakedo.log", tmp_dir);
	if ((fakedo_pid = spawn_start(argv, log, SIGTERM)) == -1)
		return;
	if (spawn_wait(&fakedo_pid, 15000, 50, fakedo_ready, envf)) {
		snprintf(fakedo_url, sizeof(fakedo_url),
		    "http://127.0.0.1:%d", fakedo_port);
		return;
	}
	fprintf(stderr, "%s: fakedo.py did not start (see %s)\n",
	    fakedo_suite, log);
	fakedo_port = 0;
	spawn_stop(&fakedo_pid, 1);
}

void
fakedo_init(const char *suite)
{
	fakedo_suite = suite;
	spawn_init();
	spawn_guard(&fakedo_pid);
	atexit(fakedo_stop);
}

const struct suite_server	fakedo_server = {
	.name = "fakedo",
	.init = fakedo_init,
	.start = fakedo_start,
	.stop = fakedo_stop,
};
