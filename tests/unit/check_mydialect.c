/*
 * check_mydialect: lib/mydialect.c against recorded servers and the
 * manuals. Each result in TESTDATA/mysql (MySQL 5.7, 8.0, 8.4 from the
 * reference manuals, MariaDB 10.11 recorded live) becomes a struct
 * mydb_result, and every status column must read the same under its
 * modern and its old name; version strings parse (or are refused) as
 * servers send them; statement, variable and RDS procedure names switch
 * at the versions the manuals give; the RDS CALL carries every argument.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mydb.h"
#include "mydialect.h"
#include "suite.h"

static char	datadir[4096];		/* TESTDATA/mysql */

#define NSEC	4

/* A recorded file: the version line and up to NSEC one-row results. */
struct rec {
	char			*version;
	int			 nsec;
	char			*title[NSEC];
	struct mydb_result	 res[NSEC];
};

static void
res_add(struct mydb_result *res, const char *col, const char *val)
{
	unsigned int	 n = res->ncols;

	ck_assert_ptr_nonnull(res->cols = realloc(res->cols,
	    (n + 1) * sizeof(*res->cols)));
	ck_assert_ptr_nonnull(res->rows[0] = realloc(res->rows[0],
	    (n + 1) * sizeof(*res->rows[0])));
	ck_assert_ptr_nonnull(res->cols[n] = strdup(col));
	if (strcmp(val, "\\N") == 0)
		res->rows[0][n] = NULL;
	else
		ck_assert_ptr_nonnull(res->rows[0][n] = strdup(val));
	res->ncols = n + 1;
}

static void
rec_load(struct rec *r, const char *name)
{
	char		 path[4200], *line = NULL, *tab;
	size_t		 cap = 0;
	ssize_t		 len;
	FILE		*f;
	struct mydb_result *res = NULL;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	ck_assert_msg((f = fopen(path, "r")) != NULL, "%s: cannot open", path);
	while ((len = getline(&line, &cap, f)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (r->version == NULL) {
			ck_assert_ptr_nonnull(r->version = strdup(line));
			continue;
		}
		if (line[0] == '[') {
			ck_assert_int_lt(r->nsec, NSEC);
			ck_assert_int_eq(line[len - 1], ']');
			line[len - 1] = '\0';
			ck_assert_ptr_nonnull(r->title[r->nsec] =
			    strdup(line + 1));
			res = &r->res[r->nsec++];
			res->nrows = 1;
			ck_assert_ptr_nonnull(res->rows = calloc(1,
			    sizeof(*res->rows)));
			continue;
		}
		ck_assert_msg(res != NULL, "%s: column before a section", path);
		ck_assert_msg((tab = strchr(line, '\t')) != NULL,
		    "%s: no tab in '%s'", path, line);
		*tab = '\0';
		res_add(res, line, tab + 1);
	}
	free(line);
	fclose(f);
	ck_assert_ptr_nonnull(r->version);
	ck_assert_int_ge(r->nsec, 1);
}

static void
rec_free(struct rec *r)
{
	unsigned int	 c;
	int		 i;

	for (i = 0; i < r->nsec; i++) {
		for (c = 0; c < r->res[i].ncols; c++) {
			free(r->res[i].cols[c]);
			free(r->res[i].rows[0][c]);
		}
		free(r->res[i].cols);
		free(r->res[i].rows[0]);
		free(r->res[i].rows);
		free(r->title[i]);
	}
	free(r->version);
}

/* a and b both NULL, or equal strings. */
static void
same(const char *what, const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: '%s', want NULL", what, got);
	else {
		ck_assert_msg(got != NULL, "%s: NULL, want '%s'", what, want);
		ck_assert_msg(strcmp(got, want) == 0, "%s: '%s', want '%s'",
		    what, got, want);
	}
}

/*
 * Every column of a replication status result reads the same under its
 * own name, its other family's name, and in another case.
 */
static void
check_both_families(const char *file, const struct mydb_result *res,
    unsigned int want_aliased)
{
	const char	*alias, *want;
	char		 what[256], lower[128];
	unsigned int	 c, aliased = 0;
	size_t		 i;

	for (c = 0; c < res->ncols; c++) {
		want = res->rows[0][c];
		snprintf(what, sizeof(what), "%s %s", file, res->cols[c]);
		same(what, mydialect_status(res, 0, res->cols[c]), want);
		ck_assert(mydialect_status_has(res, res->cols[c]));
		for (i = 0; res->cols[c][i] != '\0' && i < sizeof(lower) - 1;
		    i++)
			lower[i] = tolower((unsigned char)res->cols[c][i]);
		lower[i] = '\0';
		same(what, mydialect_status(res, 0, lower), want);
		if ((alias = mydialect_status_alias(res->cols[c])) == NULL)
			continue;
		aliased++;
		snprintf(what, sizeof(what), "%s %s as %s", file,
		    res->cols[c], alias);
		same(what, mydialect_status(res, 0, alias), want);
		ck_assert(mydialect_status_has(res, alias));
		/* The pairing is symmetric. */
		same(what, mydialect_status_alias(alias), res->cols[c]);
	}
	/* Every renamed column the server has was found by both names. */
	ck_assert_msg(aliased == want_aliased, "%s: %u aliased columns, "
	    "want %u", file, aliased, want_aliased);
}

/* What a running replica three seconds behind must read, by modern name. */
struct want {
	const char	*col;
	const char	*val;
};

static void
check_values(const char *file, const struct mydb_result *res,
    const struct want *w, size_t n)
{
	char		 what[256];
	const char	*alias;
	size_t		 i;

	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "%s %s", file, w[i].col);
		same(what, mydialect_status(res, 0, w[i].col), w[i].val);
		if ((alias = mydialect_status_alias(w[i].col)) != NULL)
			same(what, mydialect_status(res, 0, alias), w[i].val);
	}
}

#define NRUNNING	21

static const struct want mysql_running[] = {
	{ "Replica_IO_State", NULL },	/* set per file below */
	{ "Replica_IO_Running", "Yes" },
	{ "Replica_SQL_Running", "Yes" },
	{ "Seconds_Behind_Source", "3" },
	{ "Source_Host", "203.0.113.10" },
	{ "Source_Port", "3306" },
	{ "Source_Log_File", "mysql-bin.000042" },
	{ "Read_Source_Log_Pos", "918273" },
	{ "Relay_Source_Log_File", "mysql-bin.000042" },
	{ "Exec_Source_Log_Pos", "917760" },
	{ "Relay_Log_File", "relaylog.000007" },
	{ "Last_IO_Errno", "0" },
	{ "Last_IO_Error", "" },
	{ "Last_SQL_Errno", "0" },
	{ "Last_SQL_Error", "" },
	{ "Source_Server_Id", "1" },
	{ "Source_UUID", "3e11fa47-71ca-11e1-9e33-c80aa9429562" },
	{ "Replica_SQL_Running_State", "Reading event from the relay log" },
	{ "SQL_Remaining_Delay", NULL },
	{ "Retrieved_Gtid_Set", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5120" },
	{ "Executed_Gtid_Set", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5118" },
};
_Static_assert(sizeof(mysql_running) / sizeof(mysql_running[0]) == NRUNNING,
    "NRUNNING");

/* The file parses, its statements are the dialect's, both families read. */
static void
check_recorded(const char *file, struct rec *r, struct mydialect *d,
    unsigned int ncols, unsigned int aliased)
{
	rec_load(r, file);
	ck_assert_msg(mydialect_from_version(r->version, d) == 0,
	    "%s: version '%s' refused", file, r->version);
	ck_assert_int_eq(r->nsec, 2);
	same(file, r->title[0], d->show_replica_status);
	same(file, r->title[1], d->show_binlog_status);
	ck_assert_int_eq(r->res[0].ncols, ncols);
	/* The family the dialect expects is the one the server answered. */
	ck_assert_int_eq(d->status_modern, strcmp(r->res[0].cols[0],
	    "Replica_IO_State") == 0);
	check_both_families(file, &r->res[0], aliased);
}

START_TEST(test_mysql57)
{
	struct rec		 r;
	struct mydialect	 d;
	struct want		 w[NRUNNING];

	check_recorded("mysql-5.7.txt", &r, &d, 57, 28);
	ck_assert_str_eq(r.res[0].cols[0], "Slave_IO_State");
	memcpy(w, mysql_running, sizeof(w));
	w[0].val = "Waiting for master to send event";
	check_values("mysql-5.7.txt", &r.res[0], w, sizeof(w) / sizeof(w[0]));
	/* Columns only 8.0 has are absent, under both names. */
	ck_assert_ptr_null(mydialect_status(&r.res[0], 0,
	    "Get_Source_public_key"));
	ck_assert(!mydialect_status_has(&r.res[0], "Get_master_public_key"));
	ck_assert(!mydialect_status_has(&r.res[0], "Network_Namespace"));
	ck_assert_str_eq(mydialect_status(&r.res[0], 0, "Source_TLS_Version"),
	    "");
	rec_free(&r);
}
END_TEST

START_TEST(test_mysql80)
{
	struct rec		 r;
	struct mydialect	 d;
	struct want		 w[NRUNNING];

	check_recorded("mysql-8.0.txt", &r, &d, 60, 30);
	memcpy(w, mysql_running, sizeof(w));
	w[0].val = "Waiting for source to send event";
	check_values("mysql-8.0.txt", &r.res[0], w, sizeof(w) / sizeof(w[0]));
	ck_assert_str_eq(mydialect_status(&r.res[0], 0,
	    "Get_master_public_key"), "0");
	ck_assert_str_eq(mydialect_status(&r.res[0], 0,
	    "Master_Retry_Count"), "86400");
	/* Binary log status: a plain result, looked up the same way. */
	ck_assert_str_eq(mydialect_status(&r.res[1], 0, "File"),
	    "mysql-bin.000107");
	ck_assert_str_eq(mydialect_status(&r.res[1], 0, "Position"), "1307");
	rec_free(&r);
}
END_TEST

START_TEST(test_mysql84)
{
	struct rec		 r;
	struct mydialect	 d;
	struct want		 w[NRUNNING];

	check_recorded("mysql-8.4.txt", &r, &d, 60, 30);
	memcpy(w, mysql_running, sizeof(w));
	w[0].val = "Waiting for source to send event";
	check_values("mysql-8.4.txt", &r.res[0], w, sizeof(w) / sizeof(w[0]));
	ck_assert_str_eq(mydialect_status(&r.res[0], 0,
	    "Master_Retry_Count"), "10");
	ck_assert_str_eq(mydialect_status(&r.res[1], 0, "Executed_Gtid_Set"),
	    "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5230");
	rec_free(&r);
}
END_TEST

START_TEST(test_mariadb1011)
{
	static const struct want w[] = {
		{ "Replica_IO_State", "Waiting for master to send event" },
		{ "Replica_IO_Running", "Yes" },
		{ "Replica_SQL_Running", "Yes" },
		{ "Seconds_Behind_Source", "3" },
		{ "Source_Host", "127.0.0.1" },
		{ "Source_User", "repl" },
		{ "Source_Log_File", "mysql-bin.000001" },
		{ "Read_Source_Log_Pos", "1542" },
		{ "Relay_Source_Log_File", "mysql-bin.000001" },
		{ "Exec_Source_Log_Pos", "1126" },
		{ "Last_IO_Errno", "0" },
		{ "Last_IO_Error", "" },
		{ "Last_SQL_Errno", "0" },
		{ "Last_SQL_Error", "" },
		{ "Source_Server_Id", "1" },
		{ "Replica_SQL_Running_State",
		    "Waiting for table metadata lock" },
		{ "SQL_Remaining_Delay", NULL },
		{ "Using_Gtid", "Slave_Pos" },
		/* MariaDB's receiver position stands in for the GTID set. */
		{ "Retrieved_Gtid_Set", "0-1-6" },
		{ "Gtid_IO_Pos", "0-1-6" },
		{ "Slave_DDL_Groups", "1" },
	};
	struct rec		 r;
	struct mydialect	 d;

	check_recorded("mariadb-10.11.txt", &r, &d, 54, 23);
	ck_assert_int_eq(d.flavor, MYDB_MARIADB);
	ck_assert_str_eq(r.res[0].cols[0], "Slave_IO_State");
	check_values("mariadb-10.11.txt", &r.res[0], w,
	    sizeof(w) / sizeof(w[0]));
	/* MariaDB has no executed set in the status, nor in its binlog
	 * status; the position is @@gtid_binlog_pos. */
	ck_assert(!mydialect_status_has(&r.res[0], "Executed_Gtid_Set"));
	ck_assert_int_eq(r.res[1].ncols, 4);
	ck_assert_str_eq(mydialect_status(&r.res[1], 0, "Position"), "1542");
	ck_assert_ptr_null(mydialect_status(&r.res[1], 0, "Executed_Gtid_Set"));
	rec_free(&r);
}
END_TEST

START_TEST(test_mariadb_error)
{
	struct rec		 r;
	struct mydialect	 d;
	const struct mydb_result *res;
	const char		*e;

	rec_load(&r, "mariadb-10.11-error.txt");
	ck_assert_int_eq(mydialect_from_version(r.version, &d), 0);
	res = &r.res[0];
	check_both_families("mariadb-10.11-error.txt", res, 23);
	ck_assert_str_eq(mydialect_status(res, 0, "Replica_IO_Running"), "Yes");
	ck_assert_str_eq(mydialect_status(res, 0, "Replica_SQL_Running"), "No");
	ck_assert_str_eq(mydialect_status(res, 0, "Last_SQL_Errno"), "1062");
	e = mydialect_status(res, 0, "Last_SQL_Error");
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e, "Duplicate entry '40' for key "
	    "'PRIMARY'"));
	ck_assert_str_eq(mydialect_status(res, 0, "Last_Error"), e);
	/* SQL NULL, not absent: the applier is stopped. */
	ck_assert_ptr_null(mydialect_status(res, 0, "Seconds_Behind_Source"));
	ck_assert(mydialect_status_has(res, "Seconds_Behind_Source"));
	ck_assert(mydialect_status_has(res, "Seconds_Behind_Master"));
	ck_assert_str_eq(mydialect_status(res, 0, "Exec_Source_Log_Pos"),
	    "1542");
	ck_assert_str_eq(mydialect_status(res, 0, "Read_Master_Log_Pos"),
	    "1750");
	rec_free(&r);
}
END_TEST

/*
 * RDS for MariaDB's mysql.rds_replica_status answers with modern names
 * (RDS user guide example); callers asking by either name still read it.
 */
START_TEST(test_rds_replica_status_shape)
{
	char			*cols[] = { "Replica_IO_State", "Source_Host",
	    "Source_Log_File", "Read_Source_Log_Pos", "Relay_Source_Log_File",
	    "Replica_IO_Running", "Replica_SQL_Running", "Exec_Source_Log_Pos",
	    "Seconds_Behind_Source", "Last_SQL_Error" };
	char			*vals[] = { "Waiting for master to send event",
	    "192.0.2.7", "mysql-bin-changelog.003988", "405",
	    "mysql-bin-changelog.003988", "Yes", "Yes", "405", "0", "" };
	char			**rows[] = { vals };
	struct mydb_result	 res;

	memset(&res, 0, sizeof(res));
	res.ncols = sizeof(cols) / sizeof(cols[0]);
	res.cols = cols;
	res.nrows = 1;
	res.rows = rows;
	ck_assert_str_eq(mydialect_status(&res, 0, "Slave_IO_Running"), "Yes");
	ck_assert_str_eq(mydialect_status(&res, 0, "Seconds_Behind_Master"),
	    "0");
	ck_assert_str_eq(mydialect_status(&res, 0, "Relay_Master_Log_File"),
	    "mysql-bin-changelog.003988");
	ck_assert_str_eq(mydialect_status(&res, 0, "Slave_IO_State"),
	    "Waiting for master to send event");
	ck_assert_str_eq(mydialect_status(&res, 0, "Master_Host"), "192.0.2.7");
	ck_assert_str_eq(mydialect_status(&res, 0, "Last_SQL_Error"), "");
	/* Out of range, absent, or no result at all. */
	ck_assert_ptr_null(mydialect_status(&res, 1, "Source_Host"));
	ck_assert_ptr_null(mydialect_status(&res, 0, "Source_Port"));
	ck_assert_ptr_null(mydialect_status(&res, 0, "No_Such_Column"));
	ck_assert_ptr_null(mydialect_status(&res, 0, NULL));
	ck_assert_ptr_null(mydialect_status(NULL, 0, "Source_Host"));
	ck_assert(!mydialect_status_has(NULL, "Source_Host"));
	ck_assert(!mydialect_status_has(&res, "Master_Port"));
	res.nrows = 0;
	ck_assert_ptr_null(mydialect_status(&res, 0, "Source_Host"));
	ck_assert(mydialect_status_has(&res, "Master_Host"));
}
END_TEST

START_TEST(test_alias)
{
	static const struct {
		const char	*a, *b;
	} pairs[] = {
		{ "Relay_Master_Log_File", "Relay_Source_Log_File" },
		{ "Slave_IO_State", "Replica_IO_State" },
		{ "Seconds_Behind_Master", "Seconds_Behind_Source" },
		{ "Exec_Master_Log_Pos", "Exec_Source_Log_Pos" },
		{ "Master_Log_File", "Source_Log_File" },
		{ "Read_Master_Log_Pos", "Read_Source_Log_Pos" },
		{ "Master_Host", "Source_Host" },
		{ "Master_Port", "Source_Port" },
		{ "Master_Server_Id", "Source_Server_Id" },
		{ "Slave_SQL_Running_State", "Replica_SQL_Running_State" },
		{ "Slave_IO_Running", "Replica_IO_Running" },
		{ "Slave_SQL_Running", "Replica_SQL_Running" },
		{ "Gtid_IO_Pos", "Retrieved_Gtid_Set" },
		{ "Get_master_public_key", "Get_Source_public_key" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		same(pairs[i].a, mydialect_status_alias(pairs[i].a),
		    pairs[i].b);
		same(pairs[i].b, mydialect_status_alias(pairs[i].b),
		    pairs[i].a);
	}
	/* Same in both families, or MariaDB's own: no alias. */
	ck_assert_ptr_null(mydialect_status_alias("Last_SQL_Error"));
	ck_assert_ptr_null(mydialect_status_alias("Last_IO_Errno"));
	ck_assert_ptr_null(mydialect_status_alias("Executed_Gtid_Set"));
	ck_assert_ptr_null(mydialect_status_alias("Using_Gtid"));
	ck_assert_ptr_null(mydialect_status_alias("Relay_Log_File"));
	ck_assert_ptr_null(mydialect_status_alias(NULL));
	/* Not Relay_Log_File's, not a prefix match. */
	ck_assert_ptr_null(mydialect_status_alias("Relay_Master"));
}
END_TEST

START_TEST(test_version_parse)
{
	static const struct {
		const char		*in;
		enum mydb_flavor	 flavor;
		int			 major, minor, patch, aurora;
	} good[] = {
		{ "5.7.44-log", MYDB_MYSQL, 5, 7, 44, 0 },
		{ "5.7.9", MYDB_MYSQL, 5, 7, 9, 0 },
		{ "8.0.36", MYDB_MYSQL, 8, 0, 36, 0 },
		{ "8.4.0", MYDB_MYSQL, 8, 4, 0, 0 },
		{ "8.0.35-0ubuntu0.22.04.1", MYDB_MYSQL, 8, 0, 35, 0 },
		{ "8.0.36-28", MYDB_MYSQL, 8, 0, 36, 0 },
		{ "9.1.0", MYDB_MYSQL, 9, 1, 0, 0 },
		{ "10.11.6-MariaDB-0+deb12u1", MYDB_MARIADB, 10, 11, 6, 0 },
		{ "5.5.5-10.11.6-MariaDB", MYDB_MARIADB, 10, 11, 6, 0 },
		{ "5.5.5-10.3.39-MariaDB-log", MYDB_MARIADB, 10, 3, 39, 0 },
		{ "11.4.2-MariaDB-log", MYDB_MARIADB, 11, 4, 2, 0 },
		{ "10.11.19-MariaDB-0+deb12u1-log", MYDB_MARIADB, 10, 11, 19,
		    0 },
		{ "10.6.16-MariaDB-1:10.6.16+maria~ubu2004", MYDB_MARIADB,
		    10, 6, 16, 0 },
		{ "8.0.mysql_aurora.3.05.2", MYDB_MYSQL, 8, 0, 0, 3 },
		{ "5.7.mysql_aurora.2.11.2", MYDB_MYSQL, 5, 7, 0, 2 },
	};
	static const char *const bad[] = {
		"", "abc", "8", "8.", "8.0", "8.0.", ".8.0.1", "8..0", "8.0.x",
		"8.0.36a", "8.0.36 ", " 8.0.36", "v8.0.36", "8,0,36",
		"999999.0.0", "8.0.1234567", "8.0.mysql_aurora.",
		"8.0.mysql_aurora.x", "8.0.mysql_aurora.0.1", "MariaDB",
		"5.5.5-", "5.5.5-MariaDB", "-MariaDB",
		/* too old */
		"5.6.51-log", "5.5.62", "5.7.mysql_aurora",
		"5.6.mysql_aurora.1.23.4", "10.2.44-MariaDB",
		"5.5.5-10.2.44-MariaDB-log", "10.0.38-MariaDB",
		"5.5.68-MariaDB",
	};
	struct mydialect	 d;
	size_t			 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(mydialect_from_version(good[i].in, &d) == 0,
		    "'%s' refused", good[i].in);
		ck_assert_msg(d.flavor == good[i].flavor &&
		    d.major == good[i].major && d.minor == good[i].minor &&
		    d.patch == good[i].patch && d.aurora == good[i].aurora,
		    "'%s': %d %d.%d.%d aurora %d", good[i].in, d.flavor,
		    d.major, d.minor, d.patch, d.aurora);
		ck_assert_ptr_nonnull(d.show_replica_status);
		ck_assert_ptr_nonnull(d.rds_stop);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0xa5, sizeof(d));
		ck_assert_msg(mydialect_from_version(bad[i], &d) == -1,
		    "'%s' accepted", bad[i]);
		/* Nothing half-filled is left behind. */
		ck_assert_ptr_null(d.show_replica_status);
		ck_assert_ptr_null(d.rds_set_external);
		ck_assert_int_eq(d.major, 0);
		ck_assert_int_eq(d.aurora, 0);
		ck_assert_int_eq(d.flavor, MYDB_MYSQL);
	}
	ck_assert_int_eq(mydialect_from_version(NULL, &d), -1);
}
END_TEST

/* The statement forms of MySQL at each version where one changes. */
START_TEST(test_mysql_boundaries)
{
	static const struct {
		const char	*v;
		const char	*show, *change, *kw, *start, *stop, *reset,
				*wait, *binlog;
		int		 modern;
	} c[] = {
		{ "5.7.44-log", "SHOW SLAVE STATUS", "CHANGE MASTER TO",
		    "MASTER", "START SLAVE", "STOP SLAVE", "RESET SLAVE ALL",
		    "MASTER_POS_WAIT", "SHOW MASTER STATUS", 0 },
		{ "8.0.21", "SHOW SLAVE STATUS", "CHANGE MASTER TO", "MASTER",
		    "START SLAVE", "STOP SLAVE", "RESET SLAVE ALL",
		    "MASTER_POS_WAIT", "SHOW MASTER STATUS", 0 },
		{ "8.0.22", "SHOW REPLICA STATUS", "CHANGE MASTER TO",
		    "MASTER", "START REPLICA", "STOP REPLICA",
		    "RESET REPLICA ALL", "MASTER_POS_WAIT",
		    "SHOW MASTER STATUS", 1 },
		{ "8.0.23", "SHOW REPLICA STATUS",
		    "CHANGE REPLICATION SOURCE TO", "SOURCE", "START REPLICA",
		    "STOP REPLICA", "RESET REPLICA ALL", "MASTER_POS_WAIT",
		    "SHOW MASTER STATUS", 1 },
		{ "8.0.25", "SHOW REPLICA STATUS",
		    "CHANGE REPLICATION SOURCE TO", "SOURCE", "START REPLICA",
		    "STOP REPLICA", "RESET REPLICA ALL", "MASTER_POS_WAIT",
		    "SHOW MASTER STATUS", 1 },
		{ "8.0.26", "SHOW REPLICA STATUS",
		    "CHANGE REPLICATION SOURCE TO", "SOURCE", "START REPLICA",
		    "STOP REPLICA", "RESET REPLICA ALL", "SOURCE_POS_WAIT",
		    "SHOW MASTER STATUS", 1 },
		{ "8.1.0", "SHOW REPLICA STATUS",
		    "CHANGE REPLICATION SOURCE TO", "SOURCE", "START REPLICA",
		    "STOP REPLICA", "RESET REPLICA ALL", "SOURCE_POS_WAIT",
		    "SHOW MASTER STATUS", 1 },
		{ "8.2.0", "SHOW REPLICA STATUS",
		    "CHANGE REPLICATION SOURCE TO", "SOURCE", "START REPLICA",
		    "STOP REPLICA", "RESET REPLICA ALL", "SOURCE_POS_WAIT",
		    "SHOW BINARY LOG STATUS", 1 },
		{ "8.4.0", "SHOW REPLICA STATUS",
		    "CHANGE REPLICATION SOURCE TO", "SOURCE", "START REPLICA",
		    "STOP REPLICA", "RESET REPLICA ALL", "SOURCE_POS_WAIT",
		    "SHOW BINARY LOG STATUS", 1 },
		{ "9.1.0", "SHOW REPLICA STATUS",
		    "CHANGE REPLICATION SOURCE TO", "SOURCE", "START REPLICA",
		    "STOP REPLICA", "RESET REPLICA ALL", "SOURCE_POS_WAIT",
		    "SHOW BINARY LOG STATUS", 1 },
		/* Aurora's engine version hides the patch: the forms every
		 * 8.0 accepts. */
		{ "8.0.mysql_aurora.3.05.2", "SHOW SLAVE STATUS",
		    "CHANGE MASTER TO", "MASTER", "START SLAVE", "STOP SLAVE",
		    "RESET SLAVE ALL", "MASTER_POS_WAIT", "SHOW MASTER STATUS",
		    0 },
	};
	struct mydialect	 d;
	size_t			 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(mydialect_from_version(c[i].v, &d), 0);
		ck_assert_int_eq(d.flavor, MYDB_MYSQL);
		same(c[i].v, d.show_replica_status, c[i].show);
		same(c[i].v, d.change_source, c[i].change);
		same(c[i].v, d.source_kw, c[i].kw);
		same(c[i].v, d.start_replica, c[i].start);
		same(c[i].v, d.stop_replica, c[i].stop);
		same(c[i].v, d.reset_replica_all, c[i].reset);
		same(c[i].v, d.pos_wait, c[i].wait);
		same(c[i].v, d.show_binlog_status, c[i].binlog);
		ck_assert_int_eq(d.status_modern, c[i].modern);
		same(c[i].v, d.gtid_wait, "WAIT_FOR_EXECUTED_GTID_SET");
		same(c[i].v, d.gtid_executed_var, "@@gtid_executed");
		same(c[i].v, d.gtid_replica_var, "@@gtid_executed");
	}
}
END_TEST

START_TEST(test_mariadb_forms)
{
	static const char *const v[] = {
		"10.3.39-MariaDB", "10.4.32-MariaDB", "10.5.23-MariaDB",
		"10.6.16-MariaDB", "5.5.5-10.11.6-MariaDB",
		"11.4.2-MariaDB-log",
	};
	struct mydialect	 d;
	size_t			 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(mydialect_from_version(v[i], &d), 0);
		ck_assert_int_eq(d.flavor, MYDB_MARIADB);
		same(v[i], d.show_replica_status, "SHOW SLAVE STATUS");
		same(v[i], d.show_binlog_status, "SHOW MASTER STATUS");
		same(v[i], d.change_source, "CHANGE MASTER TO");
		same(v[i], d.source_kw, "MASTER");
		same(v[i], d.start_replica, "START SLAVE");
		same(v[i], d.stop_replica, "STOP SLAVE");
		same(v[i], d.reset_replica_all, "RESET SLAVE ALL");
		same(v[i], d.pos_wait, "MASTER_POS_WAIT");
		same(v[i], d.gtid_wait, "MASTER_GTID_WAIT");
		same(v[i], d.gtid_executed_var, "@@gtid_binlog_pos");
		same(v[i], d.gtid_replica_var, "@@gtid_slave_pos");
		ck_assert_int_eq(d.status_modern, 0);
		ck_assert_int_eq(d.super_read_only, 0);
	}
}
END_TEST

/* Who writes through read_only, and whether super_read_only exists. */
START_TEST(test_read_only)
{
	static const struct {
		const char	*v;
		const char	*priv, *alt;
		int		 super_ro;
	} c[] = {
		{ "5.7.7", "SUPER", NULL, 0 },
		{ "5.7.8", "SUPER", NULL, 1 },
		{ "5.7.44-log", "SUPER", NULL, 1 },
		{ "8.0.36", "CONNECTION_ADMIN", "SUPER", 1 },
		{ "8.4.0", "CONNECTION_ADMIN", "SUPER", 1 },
		{ "10.3.39-MariaDB", "SUPER", NULL, 0 },
		{ "10.4.32-MariaDB", "SUPER", NULL, 0 },
		{ "10.5.1-MariaDB", "SUPER", NULL, 0 },
		{ "10.5.2-MariaDB", "SUPER", "READ_ONLY ADMIN", 0 },
		{ "10.10.7-MariaDB", "SUPER", "READ_ONLY ADMIN", 0 },
		{ "10.11.0-MariaDB", "READ_ONLY ADMIN", NULL, 0 },
		{ "10.11.6-MariaDB-0+deb12u1", "READ_ONLY ADMIN", NULL, 0 },
		{ "11.4.2-MariaDB-log", "READ_ONLY ADMIN", NULL, 0 },
	};
	struct mydialect	 d;
	size_t			 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(mydialect_from_version(c[i].v, &d), 0);
		same(c[i].v, d.read_only_priv, c[i].priv);
		same(c[i].v, d.read_only_priv_alt, c[i].alt);
		ck_assert_msg(d.super_read_only == c[i].super_ro,
		    "%s: super_read_only %d", c[i].v, d.super_read_only);
	}
}
END_TEST

START_TEST(test_rds_procedures)
{
	static const struct {
		const char	*v;
		const char	*set, *gtid, *reset, *status;
	} c[] = {
		{ "5.7.44-log", "mysql.rds_set_external_master",
		    "mysql.rds_set_external_master_with_auto_position",
		    "mysql.rds_reset_external_master", NULL },
		{ "8.0.36", "mysql.rds_set_external_master",
		    "mysql.rds_set_external_master_with_auto_position",
		    "mysql.rds_reset_external_master", NULL },
		{ "8.0.35-0ubuntu0.22.04.1", "mysql.rds_set_external_master",
		    "mysql.rds_set_external_master_with_auto_position",
		    "mysql.rds_reset_external_master", NULL },
		{ "8.4.0", "mysql.rds_set_external_source",
		    "mysql.rds_set_external_source_with_auto_position",
		    "mysql.rds_reset_external_source", NULL },
		{ "9.1.0", "mysql.rds_set_external_source",
		    "mysql.rds_set_external_source_with_auto_position",
		    "mysql.rds_reset_external_source", NULL },
		{ "5.7.mysql_aurora.2.11.2", "mysql.rds_set_external_master",
		    "mysql.rds_set_external_master_with_auto_position",
		    "mysql.rds_reset_external_master", NULL },
		{ "8.0.mysql_aurora.3.05.2", "mysql.rds_set_external_source",
		    "mysql.rds_set_external_source_with_auto_position",
		    "mysql.rds_reset_external_source", NULL },
		{ "10.4.32-MariaDB", "mysql.rds_set_external_master",
		    "mysql.rds_set_external_master_gtid",
		    "mysql.rds_reset_external_master", NULL },
		{ "10.5.23-MariaDB", "mysql.rds_set_external_master",
		    "mysql.rds_set_external_master_gtid",
		    "mysql.rds_reset_external_master",
		    "mysql.rds_replica_status" },
		{ "5.5.5-10.11.6-MariaDB", "mysql.rds_set_external_master",
		    "mysql.rds_set_external_master_gtid",
		    "mysql.rds_reset_external_master",
		    "mysql.rds_replica_status" },
		{ "11.4.2-MariaDB-log", "mysql.rds_set_external_master",
		    "mysql.rds_set_external_master_gtid",
		    "mysql.rds_reset_external_master",
		    "mysql.rds_replica_status" },
	};
	struct mydialect	 d;
	size_t			 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(mydialect_from_version(c[i].v, &d), 0);
		same(c[i].v, d.rds_set_external, c[i].set);
		same(c[i].v, d.rds_set_external_gtid, c[i].gtid);
		same(c[i].v, d.rds_reset_external, c[i].reset);
		same(c[i].v, d.rds_replica_status, c[i].status);
		same(c[i].v, d.rds_start, "mysql.rds_start_replication");
		same(c[i].v, d.rds_stop, "mysql.rds_stop_replication");
	}
}
END_TEST

/* Arguments of a CALL: commas outside quotes, plus one. */
static int
call_args(const char *sql)
{
	int	 n = 1, q = 0;

	for (sql = strchr(sql, '('); *sql != '\0'; sql++) {
		if (*sql == '\'')
			q = !q;
		else if (*sql == ',' && !q)
			n++;
	}
	return n;
}

START_TEST(test_rds_set_external_sql)
{
	struct mydialect	 d;
	char			 buf[512];

	ck_assert_int_eq(mydialect_from_version("10.11.6-MariaDB", &d), 0);
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, buf, sizeof(buf),
	    "'db.example'", 3306, "'repl'", "'p,w'", "'mysql-bin.000042'",
	    918273, NULL, 1), 0);
	ck_assert_str_eq(buf, "CALL mysql.rds_set_external_master("
	    "'db.example', 3306, 'repl', 'p,w', 'mysql-bin.000042', 918273, "
	    "1)");
	ck_assert_int_eq(call_args(buf), 7);
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, buf, sizeof(buf),
	    "'db.example'", 3306, "'repl'", "'pw'", NULL, 0, "'0-1-42'", 0), 0);
	ck_assert_str_eq(buf, "CALL mysql.rds_set_external_master_gtid("
	    "'db.example', 3306, 'repl', 'pw', '0-1-42', 0)");
	ck_assert_int_eq(call_args(buf), 6);

	ck_assert_int_eq(mydialect_from_version("8.0.36", &d), 0);
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, buf, sizeof(buf),
	    "'h'", 3307, "'u'", "'pw'", "'mysql-bin.000001'", 4, NULL, 7), 0);
	ck_assert_str_eq(buf, "CALL mysql.rds_set_external_master('h', 3307, "
	    "'u', 'pw', 'mysql-bin.000001', 4, 1)");
	ck_assert_int_eq(call_args(buf), 7);
	/* MySQL's auto-position variant takes no GTID: ssl, then delay. */
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", NULL, 0, "'uuid:1-5'", 1), 0);
	ck_assert_str_eq(buf, "CALL mysql.rds_set_external_master_with_auto_"
	    "position('h', 3306, 'u', 'pw', 1, 0)");
	ck_assert_int_eq(call_args(buf), 6);

	ck_assert_int_eq(mydialect_from_version("8.4.0", &d), 0);
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", "'f'", 1307, NULL, 0), 0);
	ck_assert_str_eq(buf, "CALL mysql.rds_set_external_source('h', 3306, "
	    "'u', 'pw', 'f', 1307, 0)");
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", NULL, 0, "''", 0), 0);
	ck_assert_str_eq(buf, "CALL mysql.rds_set_external_source_with_auto_"
	    "position('h', 3306, 'u', 'pw', 0, 0)");

	/* Too small: refused and wiped (it held the password). */
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, buf, 20, "'h'",
	    3306, "'u'", "'secret'", "'f'", 4, NULL, 0), -1);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_ptr_null(memchr(buf, 's', 20));
	/* Missing arguments. */
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", NULL, 4, NULL, 0), -1);
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, buf, sizeof(buf),
	    NULL, 3306, "'u'", "'pw'", "'f'", 4, NULL, 0), -1);
	ck_assert_int_eq(mydialect_rds_set_external_sql(NULL, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", "'f'", 4, NULL, 0), -1);
	ck_assert_int_eq(mydialect_rds_set_external_sql(&d, NULL, 0, "'h'",
	    3306, "'u'", "'pw'", "'f'", 4, NULL, 0), -1);
}
END_TEST

START_TEST(test_change_source_sql)
{
	struct mydialect	 d;
	char			 buf[512];

	ck_assert_int_eq(mydialect_from_version("10.11.6-MariaDB", &d), 0);
	ck_assert_int_eq(mydialect_change_source_sql(&d, buf, sizeof(buf),
	    "'db.example'", 3306, "'repl'", "{repl_password}",
	    "'mysql-bin.000042'", 918273, NULL, 1), 0);
	ck_assert_str_eq(buf, "CHANGE MASTER TO MASTER_HOST = 'db.example', "
	    "MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = "
	    "{repl_password}, MASTER_LOG_FILE = 'mysql-bin.000042', "
	    "MASTER_LOG_POS = 918273, MASTER_SSL = 1");
	ck_assert_int_eq(mydialect_change_source_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", NULL, 0, "'0-1-42'", 0), 0);
	ck_assert_str_eq(buf, "CHANGE MASTER TO MASTER_HOST = 'h', "
	    "MASTER_PORT = 3306, MASTER_USER = 'u', MASTER_PASSWORD = 'pw', "
	    "MASTER_USE_GTID = slave_pos");

	/* MySQL before 8.0.23: the old statement and option names. */
	ck_assert_int_eq(mydialect_from_version("5.7.44-log", &d), 0);
	ck_assert_int_eq(mydialect_change_source_sql(&d, buf, sizeof(buf),
	    "'h'", 3307, "'u'", "'pw'", "'f'", 4, NULL, 7), 0);
	ck_assert_str_eq(buf, "CHANGE MASTER TO MASTER_HOST = 'h', "
	    "MASTER_PORT = 3307, MASTER_USER = 'u', MASTER_PASSWORD = 'pw', "
	    "MASTER_LOG_FILE = 'f', MASTER_LOG_POS = 4, MASTER_SSL = 1");
	ck_assert_int_eq(mydialect_change_source_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", NULL, 0, "'uuid:1-5'", 0), 0);
	ck_assert_str_eq(buf, "CHANGE MASTER TO MASTER_HOST = 'h', "
	    "MASTER_PORT = 3306, MASTER_USER = 'u', MASTER_PASSWORD = 'pw', "
	    "MASTER_AUTO_POSITION = 1");

	ck_assert_int_eq(mydialect_from_version("8.4.0", &d), 0);
	ck_assert_int_eq(mydialect_change_source_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", "'f'", 1307, NULL, 0), 0);
	ck_assert_str_eq(buf, "CHANGE REPLICATION SOURCE TO SOURCE_HOST = "
	    "'h', SOURCE_PORT = 3306, SOURCE_USER = 'u', SOURCE_PASSWORD = "
	    "'pw', SOURCE_LOG_FILE = 'f', SOURCE_LOG_POS = 1307");
	ck_assert_int_eq(mydialect_change_source_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", NULL, 0, "''", 1), 0);
	ck_assert_str_eq(buf, "CHANGE REPLICATION SOURCE TO SOURCE_HOST = "
	    "'h', SOURCE_PORT = 3306, SOURCE_USER = 'u', SOURCE_PASSWORD = "
	    "'pw', SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 1");

	/* Too small: refused and wiped (it held the password). */
	ck_assert_int_eq(mydialect_change_source_sql(&d, buf, 40, "'h'",
	    3306, "'u'", "'secret'", "'f'", 4, NULL, 0), -1);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_ptr_null(memchr(buf, 's', 40));
	/* Missing arguments. */
	ck_assert_int_eq(mydialect_change_source_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", NULL, 4, NULL, 0), -1);
	ck_assert_int_eq(mydialect_change_source_sql(&d, buf, sizeof(buf),
	    "'h'", 3306, NULL, "'pw'", "'f'", 4, NULL, 0), -1);
	ck_assert_int_eq(mydialect_change_source_sql(NULL, buf, sizeof(buf),
	    "'h'", 3306, "'u'", "'pw'", "'f'", 4, NULL, 0), -1);
	ck_assert_int_eq(mydialect_change_source_sql(&d, NULL, 0, "'h'",
	    3306, "'u'", "'pw'", "'f'", 4, NULL, 0), -1);
}
END_TEST

int
main(void)
{
	const TTest		*recorded[] = {
		test_mysql57, test_mysql80, test_mysql84, test_mariadb1011,
		test_mariadb_error, test_rds_replica_status_shape, test_alias,
		NULL
	};
	const TTest		*versions[] = {
		test_version_parse, test_mysql_boundaries, test_mariadb_forms,
		test_read_only, test_rds_procedures, test_rds_set_external_sql,
		test_change_source_sql, NULL
	};
	const struct suite_case	 cases[] = {
		{ "recorded", NULL, NULL, NULL, NULL, 0, recorded },
		{ "versions", NULL, NULL, NULL, NULL, 0, versions },
	};

	suite_testdata(datadir, sizeof(datadir), "mysql");
	return suite_run(suite_of("mydialect", cases, 2));
}
