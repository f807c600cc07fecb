/*
 * mydialect: what differs between MySQL 5.7, 8.0, 8.4 and MariaDB: the
 * statements and column names of replication, the RDS procedures of each
 * version, and the position waits. Chosen from the server's version string;
 * looked-up columns accept both naming families (Master/Source,
 * Slave/Replica), whatever the server returned.
 */
#ifndef MYDIALECT_H
#define MYDIALECT_H

#include <stddef.h>

struct mydb_result;

enum mydb_flavor { MYDB_MYSQL, MYDB_MARIADB };

/*
 * The RDS procedures take every argument, in this order (RDS user guide,
 * "Configuring, starting, and stopping binary log replication"):
 *
 * rds_set_external: mysql.rds_set_external_master | _source(host_name,
 *     host_port, replication_user_name, replication_user_password,
 *     mysql_binary_log_file_name, mysql_binary_log_file_location,
 *     ssl_encryption): 7 arguments, on MariaDB and MySQL alike.
 * rds_set_external_gtid, MariaDB: mysql.rds_set_external_master_gtid(
 *     host_name, host_port, replication_user_name,
 *     replication_user_password, gtid, ssl_encryption): 6 arguments.
 * rds_set_external_gtid, MySQL: mysql.rds_set_external_master | _source
 *     _with_auto_position(host_name, host_port, replication_user_name,
 *     replication_user_password, ssl_encryption, delay): 6 arguments, NO
 *     gtid; the replica's gtid_purged says where to start.
 * rds_reset_external, rds_start, rds_stop: no arguments.
 * rds_replica_status: no arguments; answers like SHOW REPLICA STATUS, with
 *     the modern column names even on MariaDB.
 *
 * mydialect_rds_set_external_sql() writes the right call for a dialect.
 */
struct mydialect {
	enum mydb_flavor	 flavor;
	int			 major, minor, patch;
	int			 aurora;	/* Aurora MySQL major version
						   ("8.0.mysql_aurora.3.05.2":
						   3, patch unknown: 0), or 0 */
	const char	*show_replica_status;	/* SHOW SLAVE|REPLICA STATUS */
	int		 status_modern;		/* it answers Replica_/Source_
						   column names */
	const char	*show_binlog_status;	/* SHOW MASTER|BINARY LOG STATUS */
	const char	*change_source;		/* CHANGE MASTER TO | CHANGE
						   REPLICATION SOURCE TO */
	const char	*source_kw;		/* MASTER | SOURCE (option names) */
	const char	*start_replica;		/* START SLAVE | START REPLICA */
	const char	*stop_replica;
	const char	*reset_replica_all;	/* RESET SLAVE ALL | RESET REPLICA ALL */
	const char	*pos_wait;		/* MASTER_POS_WAIT | SOURCE_POS_WAIT */
	const char	*gtid_wait;		/* MASTER_GTID_WAIT |
						   WAIT_FOR_EXECUTED_GTID_SET */
	const char	*gtid_executed_var;	/* a source's position to wait
						   for: @@gtid_binlog_pos |
						   @@gtid_executed */
	const char	*gtid_replica_var;	/* what gtid_wait compares with
						   on the replica:
						   @@gtid_slave_pos |
						   @@gtid_executed */
	const char	*rds_set_external;	/* mysql.rds_set_external_master|_source */
	const char	*rds_set_external_gtid;	/* the GTID / auto-position variant */
	const char	*rds_reset_external;
	const char	*rds_start;		/* mysql.rds_start_replication */
	const char	*rds_stop;
	const char	*rds_replica_status;	/* mysql.rds_replica_status
						   (RDS for MariaDB >= 10.5,
						   whose master user may not
						   SHOW REPLICA STATUS), or
						   NULL */
	const char	*read_only_priv;	/* privilege that writes through
						   read_only: SUPER |
						   CONNECTION_ADMIN |
						   READ_ONLY ADMIN */
	const char	*read_only_priv_alt;	/* another that also does, or
						   NULL */
	int		 super_read_only;	/* has super_read_only */
};

/* Fill d from a version string; -1 if it cannot be parsed or is older than
 * MySQL 5.7 / MariaDB 10.3. */
int	mydialect_from_version(const char *version, struct mydialect *d);

/*
 * A replication status column by its modern name ("Seconds_Behind_Source",
 * "Exec_Source_Log_Pos", "Replica_IO_Running", "Source_Log_File", ...),
 * also accepting the old one ("Seconds_Behind_Master", ...). NULL if NULL
 * or absent.
 */
const char	*mydialect_status(const struct mydb_result *,
		    unsigned long long row, const char *modern);
/* The column exists in the result, under either name. */
int		 mydialect_status_has(const struct mydb_result *,
		    const char *modern);
/* The other family's name of a status column, or NULL if it has none. */
const char	*mydialect_status_alias(const char *name);

/*
 * Into buf, "CALL <procedure>(...)" pointing an RDS target at its source,
 * with every argument the procedure takes. host, user, pw and file or gtid
 * are SQL literals (mydb_quote()); gtid != NULL picks the GTID variant
 * (file and pos are then unused; on MySQL gtid is too: auto-position, no
 * delay). The text holds the password: the caller wipes buf. 0, or -1 if
 * it does not fit or an argument is missing.
 */
int	mydialect_rds_set_external_sql(const struct mydialect *, char *buf,
	    size_t len, const char *host, int port, const char *user,
	    const char *pw, const char *file, unsigned long long pos,
	    const char *gtid, int ssl);

/*
 * Into buf, "CHANGE MASTER TO ..." or "CHANGE REPLICATION SOURCE TO ...",
 * the option names of the dialect (MASTER_* or SOURCE_*): host, port,
 * user and password, then the binlog position file and pos, or, when gtid
 * is not NULL, GTID auto-position (MariaDB: MASTER_USE_GTID = slave_pos;
 * MySQL: *_AUTO_POSITION = 1; gtid's value is not used: the replica's
 * gtid_slave_pos or gtid_purged says where to start), and *_SSL = 1 when
 * ssl. host, user, pw and file are SQL literals (mydb_quote()) or
 * placeholders. The text holds the password: the caller wipes buf. 0, or
 * -1 if it does not fit or an argument is missing.
 */
int	mydialect_change_source_sql(const struct mydialect *, char *buf,
	    size_t len, const char *host, int port, const char *user,
	    const char *pw, const char *file, unsigned long long pos,
	    const char *gtid, int ssl);

#endif
