/*
 * mdbpair: the real MariaDB source and replica a unit suite talks to,
 * started by tests/mariadb/mariadb.sh in a short temporary directory (a
 * socket path holds 108 bytes) and stopped whatever happens: at the end of
 * mdbpair_main(), when the start fails, and on SIGINT, SIGTERM and SIGHUP
 * in the suite's own process (never in check's forked children).
 */
#ifndef MDBPAIR_H
#define MDBPAIR_H

#include <check.h>

struct mdbpair {
	char	dir[32];		/* the servers are in dir/db */
	int	source_port, replica_port;
	char	source_sock[128], replica_sock[128];
	char	migrate_pw[128], admin_pw[128];
	char	replica_ca[256];	/* with tls: the replica's CA file */
};

extern struct mdbpair	mdb;

/*
 * Start the pair (with tls, the replica serves TLS with a throwaway CA),
 * make the suite (it may look at mdb), run it, stop the pair: main()'s
 * whole body. MARIADB_SH in the environment overrides the script's path.
 */
int	mdbpair_main(const char *name, Suite *(*suite)(void), int tls);

#endif
