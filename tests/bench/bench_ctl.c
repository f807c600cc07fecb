/*
 * bench_ctl: round trips on the control socket, and whole-process timings.
 *
 *   bench_ctl rtt SOCKET N NAME   p50 of N `status NAME` round trips on one
 *                                 connection, then p50 of N round trips of
 *                                 the same line to a bare Unix-socket echo
 *                                 server forked here, in the same run
 *   bench_ctl spawn N CMD ARGS..  p50 wall time of N runs of a command
 *
 * Each figure is printed as "BENCH name value unit".
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
p50(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect %s", path);
	return fd;
}

/* Send line, read until a newline; returns the round trip in us. */
static double
round_trip(int fd, const char *line, size_t len, char *buf, size_t bufsz)
{
	double	t0 = now_us();
	ssize_t	n;
	size_t	got = 0;

	if (write(fd, line, len) != (ssize_t)len)
		err(1, "write");
	for (;;) {
		if ((n = read(fd, buf + got, bufsz - got)) <= 0)
			errx(1, "read: connection closed");
		got += n;
		if (buf[got - 1] == '\n')
			break;
		if (got == bufsz)
			errx(1, "reply too long");
	}
	return now_us() - t0;
}

/* A bare echo server: what one round trip costs with no work at all. */
static pid_t
echo_server(const char *path)
{
	struct sockaddr_un	sun;
	char			buf[65536];
	ssize_t			n;
	pid_t			pid;
	int			lfd, fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 1) == -1)
		err(1, "bind %s", path);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(fd, buf, n) != n)
				_exit(1);
		_exit(0);
	}
	close(lfd);
	return pid;
}

static int
bench_rtt(const char *sock, int n, const char *name)
{
	char	 line[512], echo_path[256], *buf;
	double	*v;
	size_t	 len;
	pid_t	 pid;
	int	 fd, i;

	if ((v = calloc(n, sizeof(*v))) == NULL ||
	    (buf = malloc(1 << 20)) == NULL)
		err(1, "malloc");
	len = snprintf(line, sizeof(line), "{\"v\":1,\"id\":1,\"cmd\":\"status\","
	    "\"args\":{\"name\":\"%s\"}}\n", name);

	fd = unix_connect(sock);
	for (i = 0; i < n / 10; i++)		/* warm up */
		round_trip(fd, line, len, buf, 1 << 20);
	for (i = 0; i < n; i++)
		v[i] = round_trip(fd, line, len, buf, 1 << 20);
	close(fd);
	printf("BENCH ctl_status_rtt_us %.1f us\n", p50(v, n));

	snprintf(echo_path, sizeof(echo_path), "%s.echo", sock);
	pid = echo_server(echo_path);
	fd = unix_connect(echo_path);
	for (i = 0; i < n / 10; i++)
		round_trip(fd, line, len, buf, 1 << 20);
	for (i = 0; i < n; i++)
		v[i] = round_trip(fd, line, len, buf, 1 << 20);
	close(fd);
	waitpid(pid, NULL, 0);
	unlink(echo_path);
	printf("BENCH unix_echo_rtt_us %.1f us\n", p50(v, n));
	free(v);
	free(buf);
	return 0;
}

static int
bench_spawn(int n, char **argv)
{
	double	*v, t0;
	pid_t	 pid;
	int	 i, status, devnull;

	if ((v = calloc(n, sizeof(*v))) == NULL)
		err(1, "calloc");
	for (i = 0; i < n; i++) {
		t0 = now_us();
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid == 0) {
			if ((devnull = open("/dev/null", O_WRONLY)) != -1)
				dup2(devnull, STDOUT_FILENO);
			execv(argv[0], argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			errx(1, "%s failed", argv[0]);
		v[i] = (now_us() - t0) / 1000.0;
	}
	printf("BENCH migratectl_status_ms %.2f ms\n", p50(v, n));
	free(v);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 5 && strcmp(argv[1], "rtt") == 0)
		return bench_rtt(argv[2], atoi(argv[3]), argv[4]);
	if (argc >= 4 && strcmp(argv[1], "spawn") == 0)
		return bench_spawn(atoi(argv[2]), argv + 3);
	fprintf(stderr, "usage: bench_ctl rtt SOCKET N NAME | "
	    "bench_ctl spawn N CMD [ARG ...]\n");
	return 2;
}
