/*
 * fakedo: one fakedo.py per unit suite; see fakedo.h.
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
#include <time.h>
#include <unistd.h>

#include "fakedo.h"

int			 fakedo_port;
char			 fakedo_url[64];
static const char	*fakedo_suite = "check";
static pid_t		 main_pid;
static pid_t		 fakedo_pid = -1;
static char		 tmp_dir[64];

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
fakedo_stop(void)
{
	char	cmd[128];
	int	i;

	if (getpid() != main_pid)
		return;
	if (fakedo_pid > 0) {
		kill(-fakedo_pid, SIGTERM);
		for (i = 0; i < 50; i++) {
			if (waitpid(fakedo_pid, NULL, WNOHANG) == fakedo_pid)
				break;
			usleep(100000);
		}
		if (i == 50) {
			kill(-fakedo_pid, SIGKILL);
			waitpid(fakedo_pid, NULL, 0);
		}
		fakedo_pid = -1;
	}
	fakedo_port = 0;
	fakedo_url[0] = '\0';
	if (tmp_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "%s: cannot remove %s\n", fakedo_suite,
			    tmp_dir);
		tmp_dir[0] = '\0';
	}
}

static void
on_signal(int sig)
{
	if (getpid() == main_pid && fakedo_pid > 0)
		kill(-fakedo_pid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
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

/* Unchecked fixture: fakedo.py, once, in the parent. */
void
fakedo_start(void)
{
	char		 envf[96], log[96], line[128];
	char		*argv[] = { "python3", "tests/fakes/fakedo.py",
			    "--port", "0", "--env-file", envf, NULL };
	FILE		*f;
	int64_t		 deadline;
	int		 fd;

	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/%s.XXXXXX", fakedo_suite);
	if (mkdtemp(tmp_dir) == NULL) {
		tmp_dir[0] = '\0';
		return;
	}
	snprintf(envf, sizeof(envf), "%s/do.env", tmp_dir);
	snprintf(log, sizeof(log), "%s/fakedo.log", tmp_dir);
	if ((fakedo_pid = fork()) == -1)
		return;
	if (fakedo_pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(fakedo_pid, fakedo_pid);
	for (deadline = now_ms() + 15000; now_ms() < deadline;
	    usleep(50000)) {
		if (waitpid(fakedo_pid, NULL, WNOHANG) == fakedo_pid) {
			fakedo_pid = -1;
			break;
		}
		if ((f = fopen(envf, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "FAKEDO_PORT=", 12) == 0)
				fakedo_port = atoi(line + 12);
		fclose(f);
		if (fakedo_port > 0 &&
		    fakedo_ctl("/_fake/health", NULL, NULL) == 200) {
			snprintf(fakedo_url, sizeof(fakedo_url),
			    "http://127.0.0.1:%d", fakedo_port);
			return;
		}
	}
	fprintf(stderr, "%s: fakedo.py did not start (see %s)\n",
	    fakedo_suite, log);
	fakedo_port = 0;
	if (fakedo_pid > 0) {
		kill(-fakedo_pid, SIGKILL);
		waitpid(fakedo_pid, NULL, 0);
		fakedo_pid = -1;
	}
}

void
fakedo_init(const char *suite)
{
	fakedo_suite = suite;
	main_pid = getpid();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGQUIT, on_signal);
	atexit(fakedo_stop);
}
