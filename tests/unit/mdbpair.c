/*
 * mdbpair: one MariaDB pair per unit suite; see mdbpair.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mdbpair.h"

#define MDB_SH	"tests/mariadb/mariadb.sh"

struct mdbpair	 mdb;
static char	 mdb_sh[512];
static pid_t	 mdb_parent;

/* fork/exec/waitpid only: also called from a signal handler. */
static void
mdbpair_stop(void)
{
	pid_t	pid;
	int	status;

	if (mdb.dir[0] == '\0')
		return;
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", "bash \"$0\" stop \"$1/db\" "
		    ">/dev/null 2>&1; rm -rf \"$1\"", mdb_sh, mdb.dir,
		    (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
}

static void
mdbpair_signal(int sig)
{
	if (getpid() == mdb_parent)
		mdbpair_stop();
	_exit(128 + sig);
}

static void
env_value(const char *line, const char *name, char *out, size_t len)
{
	size_t	n = strlen(name);

	if (strncmp(line, name, n) != 0 || line[n] != '=')
		return;
	snprintf(out, len, "%s", line + n + 1);
	out[strcspn(out, "\n")] = '\0';
}

static int
mdbpair_start(const char *name, int tls)
{
	char	 tmpl[] = "/tmp/mdbXXXXXX", cmd[1400], line[512];
	char	 sport[16] = "", rport[16] = "";
	FILE	*f;

	snprintf(mdb_sh, sizeof(mdb_sh), "%s", getenv("MARIADB_SH") != NULL ?
	    getenv("MARIADB_SH") : MDB_SH);
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(mdb.dir, sizeof(mdb.dir), "%s", tmpl);
	snprintf(cmd, sizeof(cmd), "MDB_TLS=%d bash %s start %s/db "
	    ">%s/start.log 2>&1", tls, mdb_sh, mdb.dir, mdb.dir);
	/* Two tries: mariadb-install-db's bootstrap now and then trips
	 * over what else runs on the machine. */
	if (system(cmd) != 0 && system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/start.log >&2", mdb.dir);
		if (system(cmd) == -1)
			perror("system");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "%s/db/env.sh", mdb.dir);
	if ((f = fopen(cmd, "r")) == NULL) {
		perror(cmd);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		env_value(line, "SOURCE_PORT", sport, sizeof(sport));
		env_value(line, "REPLICA_PORT", rport, sizeof(rport));
		env_value(line, "SOURCE_SOCK", mdb.source_sock,
		    sizeof(mdb.source_sock));
		env_value(line, "REPLICA_SOCK", mdb.replica_sock,
		    sizeof(mdb.replica_sock));
		env_value(line, "MIGRATE_PASSWORD", mdb.migrate_pw,
		    sizeof(mdb.migrate_pw));
		env_value(line, "ADMIN_PASSWORD", mdb.admin_pw,
		    sizeof(mdb.admin_pw));
		env_value(line, "REPLICA_CA", mdb.replica_ca,
		    sizeof(mdb.replica_ca));
	}
	fclose(f);
	mdb.source_port = atoi(sport);
	mdb.replica_port = atoi(rport);
	if (mdb.source_port == 0 || mdb.replica_port == 0 ||
	    mdb.source_sock[0] == '\0' || mdb.replica_sock[0] == '\0' ||
	    mdb.migrate_pw[0] == '\0' || mdb.admin_pw[0] == '\0' ||
	    (tls && mdb.replica_ca[0] == '\0')) {
		fprintf(stderr, "%s: %s/db/env.sh: incomplete\n", name,
		    mdb.dir);
		return -1;
	}
	return 0;
}

int
mdbpair_main(const char *name, Suite *(*suite)(void), int tls)
{
	SRunner	*sr;
	int	 failed;

	/* Writes to a closed TLS session raise it; migrated ignores it too. */
	signal(SIGPIPE, SIG_IGN);
	mdb_parent = getpid();
	signal(SIGINT, mdbpair_signal);
	signal(SIGTERM, mdbpair_signal);
	signal(SIGHUP, mdbpair_signal);
	if (mdbpair_start(name, tls) == -1) {
		fprintf(stderr, "%s: could not start MariaDB\n", name);
		mdbpair_stop();
		return EXIT_FAILURE;
	}
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mdbpair_stop();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
