/*
 * spawn: one way to start, wait for and stop the helper servers of the
 * unit suites; see spawn.h.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "now.h"
#include "spawn.h"

#define SPAWN_NGUARDS	4

static pid_t		 spawn_main_pid;
static pid_t		*spawn_guards[SPAWN_NGUARDS];

static void
spawn_signal(int sig)
{
	size_t	i;

	if (getpid() == spawn_main_pid)
		for (i = 0; i < SPAWN_NGUARDS; i++)
			if (spawn_guards[i] != NULL && *spawn_guards[i] > 0)
				kill(-*spawn_guards[i], SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
spawn_init(void)
{
	spawn_main_pid = getpid();
	signal(SIGINT, spawn_signal);
	signal(SIGTERM, spawn_signal);
	signal(SIGHUP, spawn_signal);
	signal(SIGQUIT, spawn_signal);
}

int
spawn_parent(void)
{
	return getpid() == spawn_main_pid;
}

void
spawn_guard(pid_t *pid)
{
	size_t	i;

	for (i = 0; i < SPAWN_NGUARDS; i++)
		if (spawn_guards[i] == NULL || spawn_guards[i] == pid) {
			spawn_guards[i] = pid;
			return;
		}
	fprintf(stderr, "spawn: more than %d guarded groups\n",
	    SPAWN_NGUARDS);
	abort();
}

int
spawn_tmpdir(char *dir, size_t len, const char *suite)
{
	snprintf(dir, len, "/tmp/%s.XXXXXX", suite);
	if (mkdtemp(dir) == NULL) {
		dir[0] = '\0';
		return -1;
	}
	return 0;
}

void
spawn_rmdir(char *dir, const char *suite)
{
	char	cmd[128];

	if (dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: cannot remove %s\n", suite, dir);
	dir[0] = '\0';
}

int
spawn_free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd, p;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	p = ntohs(sin.sin_port);
	close(fd);
	return p;
}

int
spawn_request(int port, const char *method, const char *path,
    const char *json, const char *token, char **reply)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv = { 10, 0 };
	char			*req = NULL, *buf = NULL, *body, *nb;
	size_t			 len = 0, cap = 0;
	ssize_t			 n;
	int			 fd, status = -1, r;

	if (reply != NULL)
		*reply = NULL;
	if (port <= 0 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
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
spawn_http_ok(int port, const char *path)
{
	return spawn_request(port, "GET", path, NULL, NULL, NULL) == 200;
}

pid_t
spawn_start(char *const argv[], const char *log, int deathsig)
{
	pid_t	pid;
	int	fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, deathsig);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

int
spawn_wait(pid_t *pid, int ms, int step_ms, int (*ready)(void *), void *arg)
{
	int64_t	deadline;

	for (deadline = (now_mono_us() / 1000) + ms; (now_mono_us() / 1000) < deadline;
	    usleep(step_ms * 1000)) {
		if (waitpid(*pid, NULL, WNOHANG) == *pid) {
			*pid = -1;
			return 0;
		}
		if (ready(arg))
			return 1;
	}
	return 0;
}

void
spawn_stop(pid_t *pid, int child)
{
	int	i;

	if (*pid <= 0)
		return;
	kill(-*pid, SIGTERM);
	for (i = 0; i < 50; i++) {
		if (child ? waitpid(*pid, NULL, WNOHANG) == *pid :
		    kill(-*pid, 0) == -1 && errno == ESRCH) {
			*pid = -1;
			return;
		}
		usleep(100000);
	}
	kill(-*pid, SIGKILL);
	if (child)
		waitpid(*pid, NULL, 0);
	*pid = -1;
}

int
spawn_env_int(const char *file, const char *key)
{
	FILE	*f;
	char	 line[128];
	size_t	 n = strlen(key);
	int	 v = 0;

	if ((f = fopen(file, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == '=')
			v = atoi(line + n + 1);
	fclose(f);
	return v;
}

void
spawn_server_init(struct spawn_server *s, const char *suite,
    void (*stop)(void))
{
	s->suite = suite;
	spawn_init();
	spawn_guard(&s->pid);
	spawn_guard(&s->other);
	atexit(stop);
}

int
spawn_server_dir(struct spawn_server *s)
{
	return spawn_tmpdir(s->dir, sizeof(s->dir), s->suite);
}

int
spawn_server_run(struct spawn_server *s, const char *what,
    char *const argv[], const char *log, int deathsig, int ms, int step_ms,
    int (*ready)(void *), void *arg)
{
	char	path[128];

	snprintf(path, sizeof(path), "%s/%s", s->dir, log);
	if ((s->pid = spawn_start(argv, path, deathsig)) == -1)
		return 0;
	if (spawn_wait(&s->pid, ms, step_ms, ready, arg))
		return 1;
	fprintf(stderr, "%s: %s did not start (see %s)\n", s->suite, what,
	    path);
	spawn_stop(&s->pid, 1);
	spawn_stop(&s->other, 0);
	return 0;
}

int
spawn_server_stop(struct spawn_server *s)
{
	if (!spawn_parent())
		return 0;
	spawn_stop(&s->pid, 1);
	spawn_stop(&s->other, 0);
	spawn_rmdir(s->dir, s->suite);
	return 1;
}
