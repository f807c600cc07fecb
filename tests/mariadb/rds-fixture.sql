-- rds-fixture.sql: the replication procedures of Amazon RDS, for the test
-- replica (a plain MariaDB 10.11), so that the daemon's RDS code path runs
-- for real. Loaded by mariadb.sh as root; called by the `admin` account,
-- which, like RDS's master user, has no SUPER, no REPLICATION SLAVE ADMIN
-- and no SLAVE MONITOR: CHANGE MASTER, START/STOP SLAVE and SHOW SLAVE
-- STATUS work only inside these SQL SECURITY DEFINER procedures.
--
-- Names and arguments are RDS's (RDS user guide, "Configuring, starting,
-- and stopping binary log replication" and the MariaDB pages):
--   mysql.rds_set_external_master(host_name, host_port,
--       replication_user_name, replication_user_password,
--       mysql_binary_log_file_name, mysql_binary_log_file_location,
--       ssl_encryption)                             RDS for MariaDB, MySQL <= 8.0
--   mysql.rds_set_external_source(the same 7)       RDS for MySQL 8.4
--   mysql.rds_set_external_master_gtid(host_name, host_port,
--       replication_user_name, replication_user_password, gtid,
--       ssl_encryption)                             RDS for MariaDB
--   mysql.rds_start_replication(), mysql.rds_stop_replication()
--   mysql.rds_reset_external_master(), mysql.rds_reset_external_source()
--   mysql.rds_replica_status()                      RDS for MariaDB >= 10.5:
--       SHOW REPLICA STATUS for the master user, who lacks the privilege
--
-- Like RDS, the procedures answer with a one-row result set ("Message"), so
-- a client must read every result of the CALL (CLIENT_MULTI_RESULTS,
-- mysql_next_result). Misuse raises SQLSTATE 45000 (error 1644):
--   - set_external_* while a replication thread runs,
--   - reset_external_* while a replication thread runs,
--   - start_replication when no source is configured,
--   - NULL or empty host, user or log file; port outside 1..65535; log
--     position below 4; ssl_encryption other than 0 or 1; NULL gtid.
-- ssl_encryption = 1 sets MASTER_SSL = 1 without certificate verification
-- (RDS does not support MASTER_SSL_VERIFY_SERVER_CERT).
--
-- What RDS has and this does not: the mysql.rds_history and
-- mysql.rds_replication_status bookkeeping tables, the other rds_*
-- procedures (skip_repl_error, next_master_log, ...); of the
-- configuration, only the values rds_show_configuration lists, kept in
-- mysql.fixture_rds_configuration.
-- Helpers are named mysql.fixture_*, never rds_*.
--
-- Kept out of the binary log: nothing here may replay on another server.

SET SESSION sql_log_bin = 0;
SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

-- RDS's configuration values (rds_show_configuration's rows), with RDS's
-- defaults: binary logs purged as soon as RDS can (retention hours NULL).
CREATE TABLE IF NOT EXISTS mysql.fixture_rds_configuration (
    name        VARCHAR(64) PRIMARY KEY,
    value       VARCHAR(64) NULL,
    description VARCHAR(255) NOT NULL
) ENGINE=InnoDB;
INSERT IGNORE INTO mysql.fixture_rds_configuration VALUES
    ('binlog retention hours', NULL, 'binlog retention hours specifies '
     'the duration in hours before binary logs are automatically deleted.'),
    ('source delay', '0', 'source delay specifies how long to delay '
     'replication from the source, in seconds.'),
    ('target delay', '0', 'target delay specifies how long to delay '
     'replication to the target, in seconds.');

DELIMITER //

-- Number of replication threads (I/O, SQL) running now.
DROP FUNCTION IF EXISTS mysql.fixture_threads_running //
CREATE DEFINER = `root`@`localhost`
FUNCTION mysql.fixture_threads_running() RETURNS INT
    READS SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture: replication threads running'
RETURN (SELECT COUNT(*) FROM information_schema.PROCESSLIST
    WHERE COMMAND IN ('Slave_IO', 'Slave_SQL')) //

-- Check arguments and state, then CHANGE MASTER TO. log_file NULL means
-- GTID mode (gtid holds the start position); every string goes through
-- QUOTE() into the dynamic statement.
DROP PROCEDURE IF EXISTS mysql.fixture_change_master //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.fixture_change_master(
    IN host_name VARCHAR(255), IN host_port INT,
    IN user_name VARCHAR(128), IN user_password VARCHAR(255),
    IN log_file VARCHAR(255), IN log_pos BIGINT,
    IN gtid VARCHAR(4096), IN ssl_encryption INT, IN use_gtid INT)
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture: CHANGE MASTER TO for the rds_* procedures'
BEGIN
    DECLARE cmd TEXT;

    IF host_name IS NULL OR TRIM(host_name) = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Invalid host_name: give the host name or IP address of the source';
    END IF;
    IF host_port IS NULL OR host_port < 1 OR host_port > 65535 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Invalid host_port: it must be between 1 and 65535';
    END IF;
    IF user_name IS NULL OR TRIM(user_name) = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Invalid replication_user_name: it must not be empty';
    END IF;
    IF user_password IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Invalid replication_user_password: it must not be NULL';
    END IF;
    IF ssl_encryption IS NULL OR ssl_encryption NOT IN (0, 1) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Invalid ssl_encryption value: only 0 or 1 is allowed';
    END IF;
    IF use_gtid THEN
        IF gtid IS NULL THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                'Invalid gtid: give the GTID position to start from';
        END IF;
    ELSE
        IF log_file IS NULL OR TRIM(log_file) = '' THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                'Invalid binary log file name: it must not be empty';
        END IF;
        IF log_pos IS NULL OR log_pos < 4 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
                'Invalid binary log file location: it must be 4 or more';
        END IF;
    END IF;
    IF mysql.fixture_threads_running() > 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Replication is running: call mysql.rds_stop_replication before configuring a new source';
    END IF;

    IF use_gtid THEN
        SET GLOBAL gtid_slave_pos = gtid;
    END IF;
    SET cmd = CONCAT('CHANGE MASTER TO MASTER_HOST = ', QUOTE(TRIM(host_name)),
        ', MASTER_PORT = ', host_port,
        ', MASTER_USER = ', QUOTE(TRIM(user_name)),
        ', MASTER_PASSWORD = ', QUOTE(user_password),
        ', MASTER_SSL = ', ssl_encryption,
        ', MASTER_SSL_VERIFY_SERVER_CERT = 0',
        IF(use_gtid, ', MASTER_USE_GTID = slave_pos',
            CONCAT(', MASTER_LOG_FILE = ', QUOTE(TRIM(log_file)),
                ', MASTER_LOG_POS = ', log_pos,
                ', MASTER_USE_GTID = no')));
    PREPARE fixture_change_master FROM cmd;
    EXECUTE fixture_change_master;
    DEALLOCATE PREPARE fixture_change_master;
END //

DROP PROCEDURE IF EXISTS mysql.rds_set_external_master //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_set_external_master(
    IN host_name VARCHAR(255), IN host_port INT,
    IN replication_user_name VARCHAR(128),
    IN replication_user_password VARCHAR(255),
    IN mysql_binary_log_file_name VARCHAR(255),
    IN mysql_binary_log_file_location BIGINT,
    IN ssl_encryption INT)
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS: replicate from an external source'
BEGIN
    CALL mysql.fixture_change_master(host_name, host_port,
        replication_user_name, replication_user_password,
        mysql_binary_log_file_name, mysql_binary_log_file_location,
        NULL, ssl_encryption, 0);
    SELECT 'Slave has been configured.' AS Message;
END //

DROP PROCEDURE IF EXISTS mysql.rds_set_external_source //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_set_external_source(
    IN host_name VARCHAR(255), IN host_port INT,
    IN replication_user_name VARCHAR(128),
    IN replication_user_password VARCHAR(255),
    IN mysql_binary_log_file_name VARCHAR(255),
    IN mysql_binary_log_file_location BIGINT,
    IN ssl_encryption INT)
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS: replicate from an external source'
BEGIN
    CALL mysql.fixture_change_master(host_name, host_port,
        replication_user_name, replication_user_password,
        mysql_binary_log_file_name, mysql_binary_log_file_location,
        NULL, ssl_encryption, 0);
    SELECT 'Replica has been configured.' AS Message;
END //

DROP PROCEDURE IF EXISTS mysql.rds_set_external_master_gtid //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_set_external_master_gtid(
    IN host_name VARCHAR(255), IN host_port INT,
    IN replication_user_name VARCHAR(128),
    IN replication_user_password VARCHAR(255),
    IN gtid VARCHAR(4096),
    IN ssl_encryption INT)
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS for MariaDB: GTID replication'
BEGIN
    CALL mysql.fixture_change_master(host_name, host_port,
        replication_user_name, replication_user_password,
        NULL, NULL, gtid, ssl_encryption, 1);
    SELECT 'Slave has been configured.' AS Message;
END //

-- START SLAVE, then up to 2 s for the I/O thread to reach the source, as
-- RDS reports after a pause. Starting a running replica is not an error.
DROP PROCEDURE IF EXISTS mysql.rds_start_replication //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_start_replication()
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS: START SLAVE'
BEGIN
    DECLARE waited INT DEFAULT 0;
    DECLARE up INT DEFAULT 0;
    DECLARE EXIT HANDLER FOR 1200
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Replication is not configured: call mysql.rds_set_external_master first';

    START SLAVE;
    WHILE up = 0 AND waited < 40 DO
        SELECT COUNT(*) = 2 INTO up FROM information_schema.PROCESSLIST
            WHERE (COMMAND = 'Slave_IO'
                AND STATE LIKE 'Waiting for master to send event%')
            OR COMMAND = 'Slave_SQL';
        IF up = 0 THEN
            DO SLEEP(0.05);
            SET waited = waited + 1;
        END IF;
    END WHILE;
    IF up THEN
        SELECT 'Slave running normally.' AS Message;
    ELSE
        SELECT 'Slave has encountered an error. Run CALL mysql.rds_replica_status; to see the error.' AS Message;
    END IF;
END //

DROP PROCEDURE IF EXISTS mysql.rds_stop_replication //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_stop_replication()
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS: STOP SLAVE'
BEGIN
    -- Nothing configured: nothing to stop.
    DECLARE CONTINUE HANDLER FOR 1200 BEGIN END;

    STOP SLAVE;
    SELECT 'Slave is down or disabled' AS Message;
END //

-- RESET SLAVE ALL: forget the source. Refused while a thread runs, so the
-- caller stops replication (and checks where it stopped) first.
DROP PROCEDURE IF EXISTS mysql.fixture_reset_external //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.fixture_reset_external()
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture: RESET SLAVE ALL for the rds_* procedures'
BEGIN
    IF mysql.fixture_threads_running() > 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'Replication is running: call mysql.rds_stop_replication before resetting';
    END IF;
    RESET SLAVE ALL;
END //

DROP PROCEDURE IF EXISTS mysql.rds_reset_external_master //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_reset_external_master()
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS: stop being a replica'
BEGIN
    CALL mysql.fixture_reset_external();
    SELECT 'Slave has been reset.' AS Message;
END //

DROP PROCEDURE IF EXISTS mysql.rds_reset_external_source //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_reset_external_source()
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS: stop being a replica'
BEGIN
    CALL mysql.fixture_reset_external();
    SELECT 'Replica has been reset.' AS Message;
END //

-- MariaDB's own column names (Slave_IO_Running, Master_Host, ...); RDS
-- prints Replica_/Source_ ones. Readers accept both.
DROP PROCEDURE IF EXISTS mysql.rds_replica_status //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_replica_status()
    READS SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS for MariaDB: SHOW REPLICA STATUS'
BEGIN
    SHOW SLAVE STATUS;
END //

-- RDS's configuration: name, value, description, one row each.
DROP PROCEDURE IF EXISTS mysql.rds_show_configuration //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_show_configuration()
    READS SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS: the configuration values'
BEGIN
    SELECT name, value, description FROM mysql.fixture_rds_configuration
        ORDER BY name;
END //

DROP PROCEDURE IF EXISTS mysql.rds_set_configuration //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_set_configuration(IN name VARCHAR(64), IN value INT)
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS: set a configuration value'
BEGIN
    IF (SELECT COUNT(*) FROM mysql.fixture_rds_configuration c
        WHERE c.name = name) = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'rds_set_configuration: unknown name';
    END IF;
    UPDATE mysql.fixture_rds_configuration c SET c.value = value
        WHERE c.name = name;
END //

-- RDS's way for the master user to end another user's session.
DROP PROCEDURE IF EXISTS mysql.rds_kill //
CREATE DEFINER = `root`@`localhost`
PROCEDURE mysql.rds_kill(IN thread BIGINT UNSIGNED)
    MODIFIES SQL DATA SQL SECURITY DEFINER
    COMMENT 'test fixture after RDS: KILL CONNECTION thread'
BEGIN
    IF thread IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT =
            'rds_kill: a thread id is required';
    END IF;
    SET @fixture_kill = CONCAT('KILL CONNECTION ', thread);
    PREPARE fixture_kill FROM @fixture_kill;
    EXECUTE fixture_kill;
    DEALLOCATE PREPARE fixture_kill;
END //

DELIMITER ;
