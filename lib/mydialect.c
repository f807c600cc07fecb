/*
 * mydialect: the replication vocabulary of each server version, kept as
 * data. A version string ("8.0.36", "10.11.6-MariaDB-0+deb12u1",
 * "5.5.5-10.11.6-MariaDB", "8.0.mysql_aurora.3.05.2") picks the flavour and
 * the number; a table of "this form from that version" rows then fills the
 * statement, variable and RDS procedure names; a second table pairs every
 * replication status column's modern name with its old one, so callers ask
 * for "Seconds_Behind_Source" whatever the server said. The facts, with the
 * manual page each comes from, are in the comments on the rows. Column
 * lookup reads struct mydb_result directly, so this file needs nothing but
 * libc and links into a test without the connection code.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mydb.h"
#include "mydialect.h"

#define VER(a, b, c)	((a) * 1000000L + (b) * 1000L + (c))

/* A string field of struct mydialect: its offset. */
#define F(name)		offsetof(struct mydialect, name)

/*
 * From version `since` on, field `off` of a `flavor` server is `value`.
 * Rows apply in order, every row whose version has been reached, so a
 * later row overrides an earlier one: the first row of a field is its
 * oldest form.
 */
struct form {
	enum mydb_flavor	 flavor;
	size_t			 off;
	long			 since;
	const char		*value;
};

static const struct form forms[] = {
	/*
	 * MySQL. 5.7 names: MySQL 5.7 manual (SHOW SLAVE STATUS, CHANGE
	 * MASTER TO, MASTER_POS_WAIT, WAIT_FOR_EXECUTED_GTID_SET).
	 */
	{ MYDB_MYSQL, F(show_replica_status), VER(5, 7, 0),
	    "SHOW SLAVE STATUS" },
	{ MYDB_MYSQL, F(start_replica), VER(5, 7, 0), "START SLAVE" },
	{ MYDB_MYSQL, F(stop_replica), VER(5, 7, 0), "STOP SLAVE" },
	{ MYDB_MYSQL, F(reset_replica_all), VER(5, 7, 0), "RESET SLAVE ALL" },
	{ MYDB_MYSQL, F(change_source), VER(5, 7, 0), "CHANGE MASTER TO" },
	{ MYDB_MYSQL, F(source_kw), VER(5, 7, 0), "MASTER" },
	{ MYDB_MYSQL, F(pos_wait), VER(5, 7, 0), "MASTER_POS_WAIT" },
	{ MYDB_MYSQL, F(gtid_wait), VER(5, 7, 0),
	    "WAIT_FOR_EXECUTED_GTID_SET" },
	{ MYDB_MYSQL, F(gtid_executed_var), VER(5, 7, 0), "@@gtid_executed" },
	{ MYDB_MYSQL, F(gtid_replica_var), VER(5, 7, 0), "@@gtid_executed" },
	{ MYDB_MYSQL, F(show_binlog_status), VER(5, 7, 0),
	    "SHOW MASTER STATUS" },
	/* 8.0 manual: the SLAVE keyword became REPLICA in 8.0.22 (SHOW,
	 * START, STOP, RESET REPLICA); the old forms stay until 8.4. */
	{ MYDB_MYSQL, F(show_replica_status), VER(8, 0, 22),
	    "SHOW REPLICA STATUS" },
	{ MYDB_MYSQL, F(start_replica), VER(8, 0, 22), "START REPLICA" },
	{ MYDB_MYSQL, F(stop_replica), VER(8, 0, 22), "STOP REPLICA" },
	{ MYDB_MYSQL, F(reset_replica_all), VER(8, 0, 22),
	    "RESET REPLICA ALL" },
	/* CHANGE REPLICATION SOURCE TO, SOURCE_* options: 8.0.23. */
	{ MYDB_MYSQL, F(change_source), VER(8, 0, 23),
	    "CHANGE REPLICATION SOURCE TO" },
	{ MYDB_MYSQL, F(source_kw), VER(8, 0, 23), "SOURCE" },
	/* SOURCE_POS_WAIT(): 8.0.26. */
	{ MYDB_MYSQL, F(pos_wait), VER(8, 0, 26), "SOURCE_POS_WAIT" },
	/* SHOW BINARY LOG STATUS: added in 8.2.0; SHOW MASTER STATUS is
	 * gone in 8.4. */
	{ MYDB_MYSQL, F(show_binlog_status), VER(8, 2, 0),
	    "SHOW BINARY LOG STATUS" },

	/* RDS for MySQL: the _master procedures on "major versions 8.0 and
	 * lower", the _source ones on "8.4 and higher". */
	{ MYDB_MYSQL, F(rds_set_external), VER(5, 7, 0),
	    "mysql.rds_set_external_master" },
	{ MYDB_MYSQL, F(rds_set_external_gtid), VER(5, 7, 0),
	    "mysql.rds_set_external_master_with_auto_position" },
	{ MYDB_MYSQL, F(rds_reset_external), VER(5, 7, 0),
	    "mysql.rds_reset_external_master" },
	{ MYDB_MYSQL, F(rds_set_external), VER(8, 4, 0),
	    "mysql.rds_set_external_source" },
	{ MYDB_MYSQL, F(rds_set_external_gtid), VER(8, 4, 0),
	    "mysql.rds_set_external_source_with_auto_position" },
	{ MYDB_MYSQL, F(rds_reset_external), VER(8, 4, 0),
	    "mysql.rds_reset_external_source" },
	{ MYDB_MYSQL, F(rds_start), VER(5, 7, 0),
	    "mysql.rds_start_replication" },
	{ MYDB_MYSQL, F(rds_stop), VER(5, 7, 0), "mysql.rds_stop_replication" },

	/* read_only lets through SUPER (5.7); from 8.0 CONNECTION_ADMIN "or
	 * the deprecated SUPER" (8.0 and 8.4 manuals, read_only). */
	{ MYDB_MYSQL, F(read_only_priv), VER(5, 7, 0), "SUPER" },
	{ MYDB_MYSQL, F(read_only_priv), VER(8, 0, 0), "CONNECTION_ADMIN" },
	{ MYDB_MYSQL, F(read_only_priv_alt), VER(8, 0, 0), "SUPER" },

	/*
	 * MariaDB keeps the MASTER/SLAVE forms (the REPLICA and BINLOG
	 * aliases only from 10.5.1 / 10.5.2, so the old ones serve every
	 * version). A source's position is @@gtid_binlog_pos, what its
	 * replicas can read; MASTER_GTID_WAIT() compares with
	 * @@gtid_slave_pos (MariaDB KB: MASTER_GTID_WAIT, GTID).
	 */
	{ MYDB_MARIADB, F(show_replica_status), VER(10, 3, 0),
	    "SHOW SLAVE STATUS" },
	{ MYDB_MARIADB, F(show_binlog_status), VER(10, 3, 0),
	    "SHOW MASTER STATUS" },
	{ MYDB_MARIADB, F(change_source), VER(10, 3, 0), "CHANGE MASTER TO" },
	{ MYDB_MARIADB, F(source_kw), VER(10, 3, 0), "MASTER" },
	{ MYDB_MARIADB, F(start_replica), VER(10, 3, 0), "START SLAVE" },
	{ MYDB_MARIADB, F(stop_replica), VER(10, 3, 0), "STOP SLAVE" },
	{ MYDB_MARIADB, F(reset_replica_all), VER(10, 3, 0),
	    "RESET SLAVE ALL" },
	{ MYDB_MARIADB, F(pos_wait), VER(10, 3, 0), "MASTER_POS_WAIT" },
	{ MYDB_MARIADB, F(gtid_wait), VER(10, 3, 0), "MASTER_GTID_WAIT" },
	{ MYDB_MARIADB, F(gtid_executed_var), VER(10, 3, 0),
	    "@@gtid_binlog_pos" },
	{ MYDB_MARIADB, F(gtid_replica_var), VER(10, 3, 0),
	    "@@gtid_slave_pos" },
	/* RDS for MariaDB. */
	{ MYDB_MARIADB, F(rds_set_external), VER(10, 3, 0),
	    "mysql.rds_set_external_master" },
	{ MYDB_MARIADB, F(rds_set_external_gtid), VER(10, 3, 0),
	    "mysql.rds_set_external_master_gtid" },
	{ MYDB_MARIADB, F(rds_reset_external), VER(10, 3, 0),
	    "mysql.rds_reset_external_master" },
	{ MYDB_MARIADB, F(rds_start), VER(10, 3, 0),
	    "mysql.rds_start_replication" },
	{ MYDB_MARIADB, F(rds_stop), VER(10, 3, 0),
	    "mysql.rds_stop_replication" },
	{ MYDB_MARIADB, F(rds_replica_status), VER(10, 5, 0),
	    "mysql.rds_replica_status" },
	/*
	 * read_only: SUPER up to 10.5.1; READ_ONLY ADMIN from 10.5.2, which
	 * SUPER still implied; from 10.11.0 (MDEV-29596) SUPER no longer
	 * writes through read_only, only READ_ONLY ADMIN does (seen on
	 * 10.11.19: a SUPER-only user gets error 1290).
	 */
	{ MYDB_MARIADB, F(read_only_priv), VER(10, 3, 0), "SUPER" },
	{ MYDB_MARIADB, F(read_only_priv_alt), VER(10, 5, 2),
	    "READ_ONLY ADMIN" },
	{ MYDB_MARIADB, F(read_only_priv), VER(10, 11, 0), "READ_ONLY ADMIN" },
	{ MYDB_MARIADB, F(read_only_priv_alt), VER(10, 11, 0), NULL },
};

/*
 * Aurora MySQL 3 (8.0-compatible) names its procedures like RDS for MySQL
 * 8.4 (Aurora user guide, "Configuring, starting, and stopping binary log
 * replication": _source for version 3, _master for version 2).
 */
static const struct form aurora3_forms[] = {
	{ MYDB_MYSQL, F(rds_set_external), 0, "mysql.rds_set_external_source" },
	{ MYDB_MYSQL, F(rds_set_external_gtid), 0,
	    "mysql.rds_set_external_source_with_auto_position" },
	{ MYDB_MYSQL, F(rds_reset_external), 0,
	    "mysql.rds_reset_external_source" },
};

/*
 * Replication status columns: the modern name (MySQL 8.0.22 and later,
 * RDS's rds_replica_status) and the old one (MySQL before 8.0.22 and
 * SHOW SLAVE STATUS after it, MariaDB). Orders: MySQL 8.0 source,
 * show_replica_status_metadata(); MySQL 5.7, show_slave_status_metadata().
 */
static const struct status_name {
	const char	*modern;
	const char	*old;
} status_names[] = {
	{ "Replica_IO_State",		"Slave_IO_State" },
	{ "Source_Host",		"Master_Host" },
	{ "Source_User",		"Master_User" },
	{ "Source_Port",		"Master_Port" },
	{ "Source_Log_File",		"Master_Log_File" },
	{ "Read_Source_Log_Pos",	"Read_Master_Log_Pos" },
	{ "Relay_Source_Log_File",	"Relay_Master_Log_File" },
	{ "Replica_IO_Running",		"Slave_IO_Running" },
	{ "Replica_SQL_Running",	"Slave_SQL_Running" },
	{ "Exec_Source_Log_Pos",	"Exec_Master_Log_Pos" },
	{ "Source_SSL_Allowed",		"Master_SSL_Allowed" },
	{ "Source_SSL_CA_File",		"Master_SSL_CA_File" },
	{ "Source_SSL_CA_Path",		"Master_SSL_CA_Path" },
	{ "Source_SSL_Cert",		"Master_SSL_Cert" },
	{ "Source_SSL_Cipher",		"Master_SSL_Cipher" },
	{ "Source_SSL_Key",		"Master_SSL_Key" },
	{ "Seconds_Behind_Source",	"Seconds_Behind_Master" },
	{ "Source_SSL_Verify_Server_Cert",
	    "Master_SSL_Verify_Server_Cert" },
	{ "Source_Server_Id",		"Master_Server_Id" },
	{ "Source_UUID",		"Master_UUID" },
	{ "Source_Info_File",		"Master_Info_File" },
	{ "Replica_SQL_Running_State",	"Slave_SQL_Running_State" },
	{ "Source_Retry_Count",		"Master_Retry_Count" },
	{ "Source_Bind",		"Master_Bind" },
	{ "Source_SSL_Crl",		"Master_SSL_Crl" },
	{ "Source_SSL_Crlpath",		"Master_SSL_Crlpath" },
	{ "Source_TLS_Version",		"Master_TLS_Version" },
	{ "Source_public_key_path",	"Master_public_key_path" },
	{ "Get_Source_public_key",	"Get_master_public_key" },
	/*
	 * What the receiver has fetched: MySQL's GTID set, MariaDB's
	 * per-domain position ("0-1-6"). The same question, each in its
	 * flavour's GTID syntax.
	 */
	{ "Retrieved_Gtid_Set",		"Gtid_IO_Pos" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A number of at most 5 digits at *sp; -1 if none. */
static long
ver_num(const char **sp)
{
	const char	*s = *sp;
	long		 n = 0;
	int		 digits = 0;

	while (isdigit((unsigned char)*s)) {
		if (++digits > 5)
			return -1;
		n = n * 10 + (*s++ - '0');
	}
	if (digits == 0)
		return -1;
	*sp = s;
	return n;
}

static void
forms_apply(struct mydialect *d, const struct form *f, size_t n, long v)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (f[i].flavor == d->flavor && v >= f[i].since)
			*(const char **)(void *)((char *)d + f[i].off) =
			    f[i].value;
}

int
mydialect_from_version(const char *version, struct mydialect *d)
{
	const char	*s = version, *tag = ".mysql_aurora.";
	long		 a, b, c = 0, v;

	memset(d, 0, sizeof(*d));
	if (s == NULL)
		return -1;
	/*
	 * MariaDB has put "5.5.5-" in front of its version in the handshake
	 * so that old MySQL replicas would not take 10.x for 1.0;
	 * Connector/C strips it, other paths may not.
	 */
	if (strcasestr(s, "mariadb") != NULL) {
		d->flavor = MYDB_MARIADB;
		if (strncmp(s, "5.5.5-", 6) == 0)
			s += 6;
	}
	if ((a = ver_num(&s)) == -1 || *s++ != '.' || (b = ver_num(&s)) == -1)
		goto bad;
	if (d->flavor == MYDB_MYSQL && strncmp(s, tag, strlen(tag)) == 0) {
		/* RDS's engine version "8.0.mysql_aurora.3.05.2": the MySQL
		 * patch level is not in it. */
		s += strlen(tag);
		if ((d->aurora = ver_num(&s)) <= 0)
			goto bad;
	} else if (*s++ != '.' || (c = ver_num(&s)) == -1 ||
	    (*s != '\0' && *s != '-'))
		goto bad;

	v = VER(a, b, c);
	if (v < (d->flavor == MYDB_MARIADB ? VER(10, 3, 0) : VER(5, 7, 0)))
		goto bad;
	d->major = a;
	d->minor = b;
	d->patch = c;
	forms_apply(d, forms, NELEM(forms), v);
	if (d->aurora >= 3)
		forms_apply(d, aurora3_forms, NELEM(aurora3_forms), v);
	d->status_modern = d->flavor == MYDB_MYSQL && v >= VER(8, 0, 22);
	/* super_read_only: MySQL 5.7.8 and later; never MariaDB. */
	d->super_read_only = d->flavor == MYDB_MYSQL && v >= VER(5, 7, 8);
	return 0;

bad:
	memset(d, 0, sizeof(*d));
	return -1;
}

/* The column index of name in res, or -1. */
static long
status_col(const struct mydb_result *res, const char *name)
{
	unsigned int	 i;

	for (i = 0; i < res->ncols; i++)
		if (res->cols[i] != NULL && strcasecmp(res->cols[i], name) == 0)
			return i;
	return -1;
}

/* The column of modern (or of its other name) in res, or -1. */
static long
status_find(const struct mydb_result *res, const char *name)
{
	const char	*alias;
	long		 c;

	if (res == NULL || name == NULL || res->cols == NULL)
		return -1;
	if ((c = status_col(res, name)) != -1)
		return c;
	if ((alias = mydialect_status_alias(name)) != NULL)
		return status_col(res, alias);
	return -1;
}

const char *
mydialect_status_alias(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NELEM(status_names); i++) {
		if (strcasecmp(name, status_names[i].modern) == 0)
			return status_names[i].old;
		if (strcasecmp(name, status_names[i].old) == 0)
			return status_names[i].modern;
	}
	return NULL;
}

const char *
mydialect_status(const struct mydb_result *res, unsigned long long row,
    const char *modern)
{
	long	 c;

	if ((c = status_find(res, modern)) == -1 || row >= res->nrows ||
	    res->rows == NULL || res->rows[row] == NULL)
		return NULL;
	return res->rows[row][c];
}

int
mydialect_status_has(const struct mydb_result *res, const char *modern)
{
	return status_find(res, modern) != -1;
}

int
mydialect_rds_set_external_sql(const struct mydialect *d, char *buf,
    size_t len, const char *host, int port, const char *user,
    const char *pw, const char *file, unsigned long long pos,
    const char *gtid, int ssl)
{
	int	 n;

	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	if (d == NULL || host == NULL || user == NULL || pw == NULL ||
	    (gtid == NULL && file == NULL) || d->rds_set_external == NULL)
		return -1;
	ssl = ssl != 0;
	if (gtid != NULL && d->flavor == MYDB_MARIADB)
		n = snprintf(buf, len, "CALL %s(%s, %d, %s, %s, %s, %d)",
		    d->rds_set_external_gtid, host, port, user, pw, gtid, ssl);
	else if (gtid != NULL)
		/* MySQL auto-position: ssl_encryption, then delay 0. */
		n = snprintf(buf, len, "CALL %s(%s, %d, %s, %s, %d, 0)",
		    d->rds_set_external_gtid, host, port, user, pw, ssl);
	else
		n = snprintf(buf, len, "CALL %s(%s, %d, %s, %s, %s, %llu, %d)",
		    d->rds_set_external, host, port, user, pw, file, pos, ssl);
	if (n < 0 || (size_t)n >= len) {
		memset(buf, 0, len);
		return -1;
	}
	return 0;
}

int
mydialect_change_source_sql(const struct mydialect *d, char *buf,
    size_t len, const char *host, int port, const char *user,
    const char *pw, const char *file, unsigned long long pos,
    const char *gtid, int ssl)
{
	const char	*kw;
	char		 ssl_opt[32];
	int		 n;

	if (buf == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	if (d == NULL || host == NULL || user == NULL || pw == NULL ||
	    (gtid == NULL && file == NULL) || d->change_source == NULL ||
	    d->source_kw == NULL)
		return -1;
	kw = d->source_kw;
	ssl_opt[0] = '\0';
	if (ssl)
		snprintf(ssl_opt, sizeof(ssl_opt), ", %s_SSL = 1", kw);
	if (gtid != NULL && d->flavor == MYDB_MARIADB)
		n = snprintf(buf, len, "%s %s_HOST = %s, %s_PORT = %d, "
		    "%s_USER = %s, %s_PASSWORD = %s, MASTER_USE_GTID = "
		    "slave_pos%s", d->change_source, kw, host, kw, port, kw,
		    user, kw, pw, ssl_opt);
	else if (gtid != NULL)
		n = snprintf(buf, len, "%s %s_HOST = %s, %s_PORT = %d, "
		    "%s_USER = %s, %s_PASSWORD = %s, %s_AUTO_POSITION = 1%s",
		    d->change_source, kw, host, kw, port, kw, user, kw, pw, kw,
		    ssl_opt);
	else
		n = snprintf(buf, len, "%s %s_HOST = %s, %s_PORT = %d, "
		    "%s_USER = %s, %s_PASSWORD = %s, %s_LOG_FILE = %s, "
		    "%s_LOG_POS = %llu%s", d->change_source, kw, host, kw, port,
		    kw, user, kw, pw, kw, file, kw, pos, ssl_opt);
	if (n < 0 || (size_t)n >= len) {
		explicit_bzero(buf, len);
		return -1;
	}
	return 0;
}
