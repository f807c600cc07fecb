/*
 * fakedo: one fakedo.py per unit suite; see fakedo.h.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakedo.h"
#include "spawn.h"

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
	struct sockaddr_in	 sin;
	struct timeval		 tv = { 10, 0 };
	char			*req = NULL, *buf = NULL, *body, *nb;
	size_t			 len = 0, cap = 0;
	ssize_t			 n;
	int			 fd, status = -1, r;

	if (reply != NULL)
		*reply = NULL;
	if (fakedo_port <= 0 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(fakedo_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = asprintf(&req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
	    "%s%s%s"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    method, path, token != NULL ? "Authorization: Bearer " : "",
	    token != NULL ? token : "", token != NULL ? "\r\n" : "",
	    json != NULL ? strlen(json) : 0, json != NULL ? json : "");
	if (r == -1)
		goto done;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto done;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			if ((nb = realloc(buf, cap)) == NULL)
				goto done;
			buf = nb;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	if (buf == NULL || len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
		goto done;
	buf[len] = '\0';
	status = atoi(buf + 9);
	if (reply != NULL && (body = strstr(buf, "\r\n\r\n")) != NULL)
		*reply = strdup(body + 4);
done:
	free(req);
	free(buf);
	close(fd);
	return status;
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
