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

/* One test case: its tests and what they stand on. */
struct suite_case {
	const char	 *name;
	void		(*start)(void);		/* once, in the parent; or NULL */
	void		(*stop)(void);
	void		(*setup)(void);		/* around each test; or NULL */
	void		(*teardown)(void);
	int		  timeout;		/* seconds a test may take */
	const TTest	**tests;		/* NULL-ended */
};

/* A suite called name of the n cases, in order. */
Suite	*suite_of(const char *name, const struct suite_case *cases,
	    size_t n);
/* Run s in check's runner, then free it: EXIT_SUCCESS if no test failed. */
int	 suite_run(Suite *s);
/*
 * A service client suite's main(): SIGPIPE ignored (a server may hang
 * up first), errors logged (everything when the environment has debug),
 * init(check_NAME) for the real server, the cases run, then stop() and
 * curl's and libxml2's cleanup: the exit status.
 */
int	 suite_client_main(const char *name, const char *debug,
	    void (*init)(const char *), void (*stop)(void),
	    const struct suite_case *cases, size_t n);

#endif
