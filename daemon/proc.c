/*
 * proc: child processes on the event loop. Each child is the leader of its
 * own process group, so a timeout kills a shell and everything it started.
 * Completion needs two things that arrive in either order, the exit status
 * (from SIGCHLD and waitpid) and EOF on the output pipe; the callback runs
 * when both are in.
 */
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "proc.h"


struct proc {
	pid_t			 pid;
	int			 fd;		/* output pipe, -1 at EOF */
	struct event		*ev_read;
	struct event		*ev_timeout;
	char			 out[PROC_OUTPUT_MAX];
	size_t			 outlen;
	int			 exited;
	int			 status;
	int			 timed_out;
	int			 killed;	/* SIGKILL sent */
	int			 stopping;	/* proc_stop(): SIGTERM sent */
	proc_done_cb		 cb;
	void			*arg;
	LIST_ENTRY(proc)	 entry;
};

static LIST_HEAD(, proc) procs = LIST_HEAD_INITIALIZER(procs);
static int nprocs;

static void
proc_free(struct proc *p)
{
	LIST_REMOVE(p, entry);
	nprocs--;
	if (p->ev_read != NULL)
		event_free(p->ev_read);
	event_free(p->ev_timeout);
	if (p->fd != -1)
		close(p->fd);
	free(p);
}

static void
proc_maybe_done(struct proc *p)
{
	if (!p->exited || p->fd != -1)
		return;
	p->out[p->outlen] = '\0';
	if (p->cb != NULL)
		p->cb(p->arg, p->status, p->timed_out, p->out);
	proc_free(p);
}

static void
proc_keep(struct proc *p, const char *buf, size_t n)
{
	size_t	room = sizeof(p->out) - 1, drop;

	/* Keep the tail: the end of a failing command's output says why. */
	if (n > room) {
		buf += n - room;
		n = room;
	}
	if (p->outlen + n > room) {
		drop = p->outlen + n - room;
		memmove(p->out, p->out + drop, p->outlen - drop);
		p->outlen -= drop;
	}
	memcpy(p->out + p->outlen, buf, n);
	p->outlen += n;
}

static void
proc_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc	*p = arg;
	char		 buf[4096];
	ssize_t		 n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			proc_keep(p, buf, (size_t)n);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		break;		/* EOF or error: the output is over */
	}
	event_free(p->ev_read);
	p->ev_read = NULL;
	close(p->fd);
	p->fd = -1;
	proc_maybe_done(p);
}

static void
proc_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proc	*p = arg;
	struct timeval	 grace = { PROC_KILL_GRACE, 0 };

	if (p->exited) {
		/* Exited, but a grandchild holds the pipe open: stop reading. */
		if (p->fd != -1) {
			event_free(p->ev_read);
			p->ev_read = NULL;
			close(p->fd);
			p->fd = -1;
		}
		kill(-p->pid, SIGKILL);
		proc_maybe_done(p);
		return;
	}
	if (!p->timed_out && !p->stopping) {
		p->timed_out = 1;
		log_warnx("proc: pid %d timed out, terminating its group",
		    (int)p->pid);
		kill(-p->pid, SIGTERM);
		event_add(p->ev_timeout, &grace);
		return;
	}
	if (!p->killed) {
		p->killed = 1;
		kill(-p->pid, SIGKILL);
		event_add(p->ev_timeout, &grace);
	}
}

struct proc *
proc_spawn(struct event_base *base, const char *cmd, char **env,
    int64_t timeout_ms, proc_done_cb cb, void *arg)
{
	return proc_spawn_io(base, cmd, env, -1, -1, timeout_ms, cb, arg);
}

struct proc *
proc_spawn_io(struct event_base *base, const char *cmd, char **env,
    int in_fd, int out_fd, int64_t timeout_ms, proc_done_cb cb, void *arg)
{
	struct proc	*p;
	struct timeval	 tv;
	sigset_t	 all;
	int		 pfd[2], devnull;
	pid_t		 pid;

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		log_warn("proc: pipe");
		return NULL;
	}
	switch (pid = fork()) {
	case -1:
		log_warn("proc: fork");
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	case 0:
		/* Child: only async-signal-safe calls until exec. */
		setpgid(0, 0);
		if (in_fd != -1)
			dup2(in_fd, STDIN_FILENO);
		else if ((devnull = open("/dev/null", O_RDONLY)) != -1)
			dup2(devnull, STDIN_FILENO);
		dup2(out_fd != -1 ? out_fd : pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		/* dup2 clears close-on-exec on the copies; make them blocking. */
		fcntl(STDIN_FILENO, F_SETFL, 0);
		fcntl(STDOUT_FILENO, F_SETFL, 0);
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, env);
		_exit(127);
	}
	/* Parent: set the group too, so a kill before exec still works. */
	setpgid(pid, pid);
	close(pfd[1]);
	if (fcntl(pfd[0], F_SETFL, O_NONBLOCK) == -1)
		log_warn("proc: fcntl");

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	p->pid = pid;
	p->fd = pfd[0];
	p->cb = cb;
	p->arg = arg;
	p->ev_read = event_new(base, p->fd, EV_READ | EV_PERSIST,
	    proc_read_cb, p);
	p->ev_timeout = evtimer_new(base, proc_timeout_cb, p);
	if (p->ev_read == NULL || p->ev_timeout == NULL)
		fatalx("event_new");
	event_add(p->ev_read, NULL);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	event_add(p->ev_timeout, &tv);
	LIST_INSERT_HEAD(&procs, p, entry);
	nprocs++;
	return p;
}

pid_t
proc_pid(const struct proc *p)
{
	return p->pid;
}

void
proc_orphan(struct proc *p)
{
	p->cb = NULL;
	p->arg = NULL;
}

void
proc_kill(struct proc *p)
{
	if (!p->exited)
		kill(-p->pid, SIGTERM);
}

void
proc_stop(struct proc *p)
{
	struct timeval	 grace = { PROC_KILL_GRACE, 0 };

	if (p->exited || p->stopping)
		return;
	p->stopping = 1;
	kill(-p->pid, SIGTERM);
	event_add(p->ev_timeout, &grace);
}

void
proc_reap(void)
{
	struct proc	*p;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		LIST_FOREACH(p, &procs, entry)
			if (p->pid == pid)
				break;
		if (p == NULL)
			continue;
		p->exited = 1;
		if (WIFEXITED(status))
			p->status = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			p->status = 128 + WTERMSIG(status);
		else
			p->status = 255;
		if (p->fd != -1) {
			/*
			 * A background grandchild may keep the pipe open:
			 * give the output a moment, then stop waiting.
			 */
			struct timeval	soon = { 1, 0 };

			event_add(p->ev_timeout, &soon);
		}
		proc_maybe_done(p);
	}
}

int
proc_running(void)
{
	return nprocs;
}

void
proc_kill_all(void)
{
	struct proc	*p;

	LIST_FOREACH(p, &procs, entry)
		if (!p->exited)
			kill(-p->pid, SIGTERM);
}
