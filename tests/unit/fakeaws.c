/*
 * fakeaws: one fakeaws.py (and its moto) per unit suite; see fakeaws.h.
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

#include "fakeaws.h"

int			 fake_port;
static const char	*fake_suite = "check";
static pid_t		 main_pid;
static pid_t		 fake_pid = -1;
static pid_t		 moto_pid = -1;	/* from the env file */
static char		 tmp_dir[64];

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stop a process group we started; pid may not be our child (moto). */
static void
group_stop(pid_t *pid, int child)
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

void
fake_stop(void)
{
	char	cmd[128];

	if (getpid() != main_pid)
		return;
	/* fakeaws stops its moto on SIGTERM; moto is stopped anyway. */
	group_stop(&fake_pid, 1);
	group_stop(&moto_pid, 0);
	fake_port = 0;
	if (tmp_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "%s: cannot remove %s\n", fake_suite,
			    tmp_dir);
		tmp_dir[0] = '\0';
	}
}

static void
on_signal(int sig)
{
	if (getpid() == main_pid) {
		if (fake_pid > 0)
			kill(-fake_pid, SIGKILL);
		if (moto_pid > 0)
			kill(-moto_pid, SIGKILL);
	}
	signal(sig, SIG_DFL);
	raise(sig);
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

/* Unchecked fixture: fakeaws.py --spawn-moto, once, in the parent. */
void
fake_start(void)
{
	char		 envf[96], log[96], mlog[96], line[128];
	char		*argv[] = { "python3", "tests/fakes/fakeaws.py",
			    "--spawn-moto", "--port", "0", "--env-file", envf,
			    "--moto-log", mlog, NULL };
	FILE		*f;
	int64_t		 deadline;
	int		 fd;

	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/%s.XXXXXX", fake_suite);
	if (mkdtemp(tmp_dir) == NULL) {
		tmp_dir[0] = '\0';
		return;
	}
	snprintf(envf, sizeof(envf), "%s/aws.env", tmp_dir);
	snprintf(log, sizeof(log), "%s/fake.log", tmp_dir);
	snprintf(mlog, sizeof(mlog), "%s/moto.log", tmp_dir);
	if ((fake_pid = fork()) == -1)
		return;
	if (fake_pid == 0) {
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
	setpgid(fake_pid, fake_pid);
	for (deadline = now_ms() + 30000; now_ms() < deadline;
	    usleep(100000)) {
		if (waitpid(fake_pid, NULL, WNOHANG) == fake_pid) {
			fake_pid = -1;
			break;
		}
		if ((f = fopen(envf, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "FAKEAWS_PORT=", 13) == 0)
				fake_port = atoi(line + 13);
			if (strncmp(line, "MOTO_PID=", 9) == 0)
				moto_pid = atoi(line + 9);
		}
		fclose(f);
		if (fake_port > 0 && http_ok(fake_port, "/_fake/health"))
			return;
	}
	fprintf(stderr, "%s: fakeaws.py did not start (see %s)\n",
	    fake_suite, log);
	fake_port = 0;
	group_stop(&fake_pid, 1);
	group_stop(&moto_pid, 0);
}

void
fakeaws_init(const char *suite)
{
	fake_suite = suite;
	main_pid = getpid();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGQUIT, on_signal);
	atexit(fake_stop);
}
