/*
 * suite: a check suite declared as a table of test cases, and the main()
 * the service clients' suites share: each runs its tests against the
 * answer server on the test's own loop, then against a real server
 * (moto, fakeaws.py, fakedo.py) started once by the parent process.
 */
#ifndef SUITE_H
#define SUITE_H

#include <stddef.h>

#include <check.h>

#include "spawn.h"

/* One test case: its tests and what they stand on (NULL: nothing). */
struct suite_case {
	const char	 *name;
	void		(*start)(void);		/* once, in the parent */
	void		(*stop)(void);
	void		(*setup)(void);		/* around each test */
	void		(*teardown)(void);
	int		  timeout;		/* seconds a test may take */
	const TTest	**tests;		/* NULL-ended */
};

/*
 * A real server a client's suite talks to: its spawn_server, and start and
 * stop, once each in the parent process.
 */
struct suite_server {
	const char		 *name;		/* its test case's */
	struct spawn_server	 *spawn;
	void			(*start)(void);
	void			(*stop)(void);
};

/* A suite called name of the n cases, in order. */
Suite	*suite_of(const char *name, const struct suite_case *cases,
	    size_t n);
/* TESTDATA/sub into buf: TESTDATA from the environment, or tests/data. */
void	 suite_testdata(char *buf, size_t len, const char *sub);
/* Run s in check's runner, then free it: EXIT_SUCCESS if no test failed. */
int	 suite_run(Suite *s);
/*
 * A service client suite's main(): the local tests against the answer
 * server (30 s each), then the remote ones against srv (60 s each), each
 * test between its setup and teardown. SIGPIPE is ignored (a server may
 * hang up first), errors logged (everything when the environment has
 * debug); at the end srv is stopped and curl and libxml2 cleaned up: the
 * exit status.
 */
int	 suite_client_main(const char *name, const char *debug,
	    const struct suite_server *srv, void (*setup)(void),
	    void (*teardown)(void), const TTest **local,
	    void (*remote_setup)(void), const TTest **remote);

#endif
