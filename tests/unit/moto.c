/*
 * moto: one moto_server per unit suite; see moto.h.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "moto.h"

int			 moto_port;
static const char	*moto_suite = "check";
static pid_t		 main_pid;
static pid_t		 moto_pid = -1;
static char		 tmp_dir[64];

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


void
moto_stop(void)
{
	char	cmd[128];
	int	i;

	if (getpid() != main_pid)
		return;
	if (moto_pid > 0) {
		kill(-moto_pid, SIGTERM);
		for (i = 0; i < 50 && moto_pid > 0; i++) {
			if (waitpid(moto_pid, NULL, WNOHANG) == moto_pid)
				moto_pid = -1;
			else
				usleep(100000);
		}
		if (moto_pid > 0) {
			kill(-moto_pid, SIGKILL);
			waitpid(moto_pid, NULL, 0);
			moto_pid = -1;
		}
	}
	if (tmp_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "%s: cannot remove %s\n", moto_suite,
			    tmp_dir);
		tmp_dir[0] = '\0';
	}
}

static void
on_signal(int sig)
{
	if (getpid() == main_pid && moto_pid > 0)
		kill(-moto_pid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
free_port(void)
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

/* Does GET path on 127.0.0.1:p answer 200? Blocking: parent only. */
static int
http_ok(int p, const char *path)
{
	struct sockaddr_in	sin;
	struct timeval		tv = { 1, 0 };
	char			buf[64], req[256];
	ssize_t			n;
	int			fd, ok = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
	    path);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    write(fd, req, strlen(req)) == (ssize_t)strlen(req) &&
	    (n = read(fd, buf, sizeof(buf) - 1)) > 12) {
		buf[n] = '\0';
		ok = strncmp(buf + 9, "200", 3) == 0;
	}
	close(fd);
	return ok;
}

void
moto_start(void)
{
	char		 portstr[16], log[128];
	char		*argv[] = { "moto_server", "-H", "127.0.0.1", "-p",
			    portstr, NULL };
	int64_t		 deadline;
	int		 fd;

	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/%s.XXXXXX", moto_suite);
	if (mkdtemp(tmp_dir) == NULL) {
		tmp_dir[0] = '\0';
		return;
	}
	if ((moto_port = free_port()) == -1) {
		moto_port = 0;
		return;
	}
	snprintf(portstr, sizeof(portstr), "%d", moto_port);
	snprintf(log, sizeof(log), "%s/moto.log", tmp_dir);
	if ((moto_pid = fork()) == -1)
		return;
	if (moto_pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(moto_pid, moto_pid);
	for (deadline = now_ms() + 20000; now_ms() < deadline;
	    usleep(50000)) {
		if (waitpid(moto_pid, NULL, WNOHANG) == moto_pid) {
			moto_pid = -1;
			break;
		}
		if (http_ok(moto_port, "/moto-api/"))
			return;
	}
	fprintf(stderr, "%s: moto_server did not start (see %s)\n",
	    moto_suite, log);
	moto_stop();
	moto_port = 0;
}

void
moto_init(const char *suite)
{
	moto_suite = suite;
	main_pid = getpid();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGQUIT, on_signal);
	atexit(moto_stop);
}
