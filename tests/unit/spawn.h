/*
 * spawn: the helper servers a unit suite's parent process starts
 * (moto_server, fakeaws.py, fakedo.py): each in a process group of its
 * own with its output in a log file, waited for until it answers on
 * loopback, stopped with SIGTERM and, 5 s later, SIGKILL; a signal to the
 * parent kills the groups it guards. Blocking calls, for the parent
 * only, never for a forked test.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <sys/types.h>

#include <stddef.h>

/* In main(), before running the suite: note the parent, catch signals. */
void	spawn_init(void);
/* Is this the process spawn_init ran in? */
int	spawn_parent(void);
/* On SIGINT, SIGTERM, SIGHUP or SIGQUIT, SIGKILL the group *pid. */
void	spawn_guard(pid_t *pid);
/* mkdtemp "/tmp/suite.XXXXXX" into dir; 0, or -1 with dir "". */
int	spawn_tmpdir(char *dir, size_t len, const char *suite);
/* rm -rf dir (if not ""), then dir is "". */
void	spawn_rmdir(char *dir, const char *suite);
/* A loopback port nobody listens on now, or -1. */
int	spawn_free_port(void);
/*
 * One request to 127.0.0.1:port (blocking, 10 s at most): METHOD PATH
 * with a JSON body (NULL: none) and, when token is not NULL,
 * "Authorization: Bearer token". The status, or -1 without an answer;
 * *reply (may be NULL) gets the body, malloc'd.
 */
int	spawn_request(int port, const char *method, const char *path,
	    const char *json, const char *token, char **reply);
/* Does GET path on 127.0.0.1:port answer 200? */
int	spawn_http_ok(int port, const char *path);
/*
 * Start argv in a process group of its own, stdout and stderr to log;
 * the child gets deathsig when the parent dies. Its pid, or -1.
 */
pid_t	spawn_start(char *const argv[], const char *log, int deathsig);
/*
 * Every step_ms for up to ms, ask ready(arg); 1 once it says so, 0 when
 * the time is up or *pid exited (then *pid is -1).
 */
int	spawn_wait(pid_t *pid, int ms, int step_ms, int (*ready)(void *),
	    void *arg);
/*
 * Stop the group *pid (SIGTERM, then SIGKILL after 5 s) and set *pid to
 * -1; child: it is ours to reap, else it is gone when the group is.
 */
void	spawn_stop(pid_t *pid, int child);
/* The number after "key=" in an env file (key=value lines), or 0. */
int	spawn_env_int(const char *file, const char *key);

/*
 * One helper server of a suite: the process spawn_server_run() starts,
 * another that one may start itself (its ready check finds it), and the
 * temporary directory with their logs.
 */
struct spawn_server {
	const char	*suite;
	pid_t		 pid;
	pid_t		 other;		/* -1: none */
	char		 dir[64];	/* "": not made */
};

#define SPAWN_SERVER_INIT	{ "check", -1, -1, "" }

/* In main(), before running the suite: spawn_init, guards, stop at exit. */
void	spawn_server_init(struct spawn_server *, const char *suite,
	    void (*stop)(void));
/* Its temporary directory, made: 0, or -1. */
int	spawn_server_dir(struct spawn_server *);
/*
 * Start argv (what names it) with its output in dir/log, and wait up to
 * ms, every step_ms, for ready(arg): 1 once it says so; else 0, said on
 * stderr, and both processes stopped.
 */
int	spawn_server_run(struct spawn_server *, const char *what,
	    char *const argv[], const char *log, int deathsig, int ms,
	    int step_ms, int (*ready)(void *), void *arg);
/* In the parent: stop both processes, remove dir, 1; elsewhere 0. */
int	spawn_server_stop(struct spawn_server *);

#endif
