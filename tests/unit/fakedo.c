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

int				 fakedo_port;
char				 fakedo_url[64];
static struct spawn_server	 fakedo = SPAWN_SERVER_INIT;

void
fakedo_stop(void)
{
	if (!spawn_server_stop(&fakedo))
		return;
	fakedo_port = 0;
	fakedo_url[0] = '\0';
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
	char		 envf[96];
	char		*argv[] = { "python3", "tests/fakes/fakedo.py",
			    "--port", "0", "--env-file", envf, NULL };

	if (spawn_server_dir(&fakedo) == -1)
		return;
	snprintf(envf, sizeof(envf), "%s/do.env", fakedo.dir);
	if (spawn_server_run(&fakedo, "fakedo.py", argv, "fakedo.log",
	    SIGTERM, 15000, 50, fakedo_ready, envf))
		snprintf(fakedo_url, sizeof(fakedo_url),
		    "http://127.0.0.1:%d", fakedo_port);
	else
		fakedo_port = 0;
}

const struct suite_server	fakedo_server = { "fakedo", &fakedo,
    fakedo_start, fakedo_stop };
