/*
 * copy: the seed's copy worker process (see copy.h). The main thread opens
 * the connections, takes the snapshot, plans or resumes, then reports
 * progress each second and samples the source's load for the throttle
 * while `threads` threads take chunks from one list.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mysql.h>

#include "copy.h"
#include "copytab.h"
#include "mydb.h"
#include "xmalloc.h"

#define COPY_THREADS_MAX	64
#define COPY_WHY		1024

struct copy_job {
	char		*owner, *src_cnf, *tgt_cnf;
	char		**schemas;	/* NULL-terminated */
	int		 threads;
	int		 chunk_rows;	/* 0: by size */
	volatile int	 max_load;
};

struct copy {
	struct copy_job		 job;
	MYSQL			*ctl_src, *ctl_tgt;
	MYSQL			*src[COPY_THREADS_MAX], *tgt[COPY_THREADS_MAX];
	struct copy_tab		*tabs;
	int			 ntabs;
	struct copy_chunk	*chunks;
	int			 nchunks;
	int			 resume;
	char			 file[256];
	unsigned long long	 pos;

	pthread_mutex_t		 mu;
	int			 next;		/* chunk to hand out */
	volatile int		 throttled;
	volatile int		 failed;
	char			 why[COPY_WHY];	/* the first failure */
	char			 throttle[256];

	volatile uint64_t	 rows, bytes, done_bytes;
	volatile int		 chunks_done, verified, redo;
};

static void
copy_emit(json_t *o)
{
	char	*s;

	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		abort();
	printf("%s\n", s);
	fflush(stdout);
	free(s);
}

static int
copy_job_read(struct copy_job *j, char *why, size_t len)
{
	char		*line = NULL;
	size_t		 cap = 0;
	json_t		*o, *v;
	json_error_t	 err;
	size_t		 i;

	if (getline(&line, &cap, stdin) == -1) {
		snprintf(why, len, "no job on stdin");
		free(line);
		return -1;
	}
	o = json_loads(line, 0, &err);
	free(line);
	if (o == NULL || json_unpack_ex(o, &err, 0, "{s:s, s:s, s:s, s:i, "
	    "s:i, s?i}", "owner", &j->owner, "src_cnf", &j->src_cnf, "tgt_cnf",
	    &j->tgt_cnf, "threads", &j->threads, "max_load", &j->max_load,
	    "chunk_rows", &j->chunk_rows)
	    == -1 || !json_is_array(v = json_object_get(o, "schemas"))) {
		snprintf(why, len, "bad job: %s", err.text);
		j->owner = j->src_cnf = j->tgt_cnf = NULL;	/* were o's */
		json_decref(o);
		return -1;
	}
	j->owner = xstrdup(j->owner);
	j->src_cnf = xstrdup(j->src_cnf);
	j->tgt_cnf = xstrdup(j->tgt_cnf);
	j->schemas = xcalloc(json_array_size(v) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(v); i++)
		j->schemas[i] = xstrdup(json_string_value(
		    json_array_get(v, i)));
	json_decref(o);
	if (j->threads < 1 || j->threads > COPY_THREADS_MAX) {
		snprintf(why, len, "threads must be 1 to %d", COPY_THREADS_MAX);
		return -1;
	}
	return 0;
}

/* A blocking connection from an option file, with the copy's session. */
static MYSQL *
copy_connect(const char *cnf, int target, char *why, size_t len)
{
	MYSQL		*my;
	unsigned int	 timeout = 10;

	if ((my = mysql_init(NULL)) == NULL)
		abort();
	mysql_options(my, MYSQL_READ_DEFAULT_FILE, cnf);
	mysql_options(my, MYSQL_READ_DEFAULT_GROUP, "client");
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (mysql_real_connect(my, NULL, NULL, NULL, NULL, 0, NULL, 0) ==
	    NULL) {
		snprintf(why, len, "%s: %s", target ? "target" : "source",
		    mysql_error(my));
		mysql_close(my);
		return NULL;
	}
	if (copy_sql(my, "SET SESSION time_zone = '+00:00', sql_mode = "
	    "'NO_AUTO_VALUE_ON_ZERO', net_write_timeout = 3600, "
	    "net_read_timeout = 3600", why, len) == -1 || (target &&
	    copy_sql(my, "SET SESSION foreign_key_checks = 0, unique_checks = "
	    "0, tx_isolation = 'READ-COMMITTED'", why, len) == -1)) {
		mysql_close(my);
		return NULL;
	}
	return my;
}

static int
copy_connect_all(struct copy *c, char *why, size_t len)
{
	int	i;

	if ((c->ctl_src = copy_connect(c->job.src_cnf, 0, why, len)) == NULL ||
	    (c->ctl_tgt = copy_connect(c->job.tgt_cnf, 1, why, len)) == NULL)
		return -1;
	for (i = 0; i < c->job.threads; i++)
		if ((c->src[i] = copy_connect(c->job.src_cnf, 0, why, len)) ==
		    NULL || (c->tgt[i] = copy_connect(c->job.tgt_cnf, 1, why,
		    len)) == NULL)
			return -1;
	return 0;
}

/*
 * Run the dump tool into the target's client: the schema before the copy
 * (what), or the triggers, routines and events after it.
 */
static int
copy_tool(struct copy *c, const char *what, char *why, size_t len)
{
	char	*cmd, **argv;
	int	 i, n, st;
	pid_t	 pid;

	/*
	 * The option files and the schemas go in as the script's arguments
	 * ($1, $2, then the schemas), never into its text: no quoting.
	 * Definers go: the target's account (RDS's master user) may not
	 * name another, so triggers, routines and events become its own.
	 */
	cmd = xasprintf("src=$1 tgt=$2 && shift 2 && d=$(command -v "
	    "mariadb-dump || command -v mysqldump) && m=$(command -v mariadb "
	    "|| command -v mysql) && \"$d\" --defaults-extra-file=\"$src\" %s "
	    "--databases \"$@\" | sed -E 's/DEFINER=`[^`]*`@`[^`]*`//' | "
	    "\"$m\" --defaults-extra-file=\"$tgt\" --batch", what);
	for (n = 0; c->job.schemas[n] != NULL; n++)
		;
	argv = xcalloc(n + 9, sizeof(*argv));
	argv[0] = "bash";
	argv[1] = "-o";
	argv[2] = "pipefail";
	argv[3] = "-c";
	argv[4] = cmd;
	argv[5] = "bash";
	argv[6] = c->job.src_cnf;
	argv[7] = c->job.tgt_cnf;
	for (i = 0; i < n; i++)
		argv[8 + i] = c->job.schemas[i];
	fflush(stdout);
	if ((pid = fork()) == -1) {
		snprintf(why, len, "fork: %s", strerror(errno));
		free(cmd);
		free(argv);
		return -1;
	}
	if (pid == 0) {
		dup2(2, 1);	/* stdout is the protocol's */
		execv("/bin/bash", argv);
		_exit(127);
	}
	free(cmd);
	free(argv);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	snprintf(why, len, "the %s dump into the target failed (status %d)",
	    strstr(what, "--no-create-info") ? "triggers' and routines'" :
	    "schema's", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return -1;
}

/* One number from a query on the target's control connection. */
static long long
copy_count(struct copy *c, const char *sql, char *why, size_t len)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	long long	 n = -1;

	if (copy_sql(c->ctl_tgt, sql, why, len) == -1 ||
	    (res = mysql_store_result(c->ctl_tgt)) == NULL)
		return -1;
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		n = atoll(row[0]);
	mysql_free_result(res);
	return n;
}

/* 1: a plan of this owner is on the target; 0: none; -1: error. */
static int
copy_has_plan(struct copy *c, char *why, size_t len)
{
	char		*sql, *q;
	long long	 n;

	if (copy_sql(c->ctl_tgt, "CREATE DATABASE IF NOT EXISTS migrated",
	    why, len) == -1 || copy_sql(c->ctl_tgt, "CREATE TABLE IF NOT "
	    "EXISTS " COPY_CHUNKS_TABLE " (owner VARCHAR(64) NOT NULL, tbl "
	    "VARCHAR(200) NOT NULL, n INT NOT NULL, lo BIGINT NULL, hi BIGINT "
	    "NULL, bytes BIGINT UNSIGNED NOT NULL, done TINYINT NOT NULL "
	    "DEFAULT 0, PRIMARY KEY (owner, tbl, n)) ENGINE=InnoDB", why,
	    len) == -1)
		return -1;
	q = mydb_quote(c->job.owner);
	sql = xasprintf("SELECT COUNT(*) FROM " COPY_CHUNKS_TABLE " WHERE "
	    "owner = %s", q);
	free(q);
	n = copy_count(c, sql, why, len);
	free(sql);
	return n == -1 ? -1 : n > 0;
}

/*
 * One point for every source connection: with writes held by FLUSH TABLES
 * WITH READ LOCK, each starts its snapshot, and the binary log position
 * is read; then the lock goes. The lock is held for milliseconds.
 */
static int
copy_snapshot(struct copy *c, char *why, size_t len)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	int		 i, rc = 0;

	if (copy_sql(c->ctl_src, "SET SESSION lock_wait_timeout = 60", why,
	    len) == -1 || copy_sql(c->ctl_src, "FLUSH TABLES WITH READ LOCK",
	    why, len) == -1)
		return -1;
	for (i = 0; i < c->job.threads && rc == 0; i++)
		rc = copy_sql(c->src[i], "SET SESSION TRANSACTION ISOLATION "
		    "LEVEL REPEATABLE READ", why, len) == -1 ||
		    copy_sql(c->src[i], "START TRANSACTION WITH CONSISTENT "
		    "SNAPSHOT", why, len) == -1 ? -1 : 0;
	if (rc == 0 && copy_sql(c->ctl_src, "SHOW MASTER STATUS", why, len) ==
	    0 && (res = mysql_store_result(c->ctl_src)) != NULL) {
		if ((row = mysql_fetch_row(res)) != NULL) {
			snprintf(c->file, sizeof(c->file), "%s", row[0]);
			c->pos = strtoull(row[1], NULL, 10);
		} else {
			snprintf(why, len, "the source has no binary log "
			    "(is log_bin on?)");
			rc = -1;
		}
		mysql_free_result(res);
	} else
		rc = -1;
	if (copy_sql(c->ctl_src, "UNLOCK TABLES", why, len) == -1)
		rc = -1;
	return rc == 0 ? 0 : -1;
}

/*
 * Chunks in the order the streams take them: the first of every table,
 * then the second of every table, ... so that streams work on different
 * tables (their inserts then do not meet on the same index pages) while
 * there are several, and all on the one that is left at the end.
 */
static int
chunk_cmp(const void *a, const void *b)
{
	const struct copy_chunk	*x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->tab < y->tab ? -1 : x->tab > y->tab;
}


/*
 * A plan kept on the target serves only while the target still has every
 * table the source has: one dropped or emptied by hand since, and the
 * plan is forgotten and the seed starts afresh. 1: keep it; 0: forgot.
 */
static int
copy_plan_holds(struct copy *c, char *why, size_t len)
{
	char		*buf = NULL, *qs, *qt, *qo;
	size_t		 blen;
	FILE		*f;
	long long	 n;
	int		 i;

	if ((f = open_memstream(&buf, &blen)) == NULL)
		abort();
	fputs("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
	    "TABLE_TYPE = 'BASE TABLE' AND (TABLE_SCHEMA, TABLE_NAME) IN (", f);
	for (i = 0; i < c->ntabs; i++) {
		qs = mydb_quote(c->tabs[i].schema);
		qt = mydb_quote(c->tabs[i].name);
		fprintf(f, "%s(%s, %s)", i ? ", " : "", qs, qt);
		free(qs);
		free(qt);
	}
	fputs(i ? ")" : "('', ''))", f);
	fclose(f);
	n = copy_count(c, buf, why, len);
	free(buf);
	if (n == -1)
		return -1;
	if (n == c->ntabs)
		return 1;
	qo = mydb_quote(c->job.owner);
	buf = xasprintf("DELETE FROM " COPY_CHUNKS_TABLE " WHERE owner = %s",
	    qo);
	free(qo);
	i = copy_sql(c->ctl_tgt, buf, why, len);
	free(buf);
	return i == -1 ? -1 : 0;
}

/*
 * The snapshot, then the plan: the one an earlier run kept on the
 * target, or a new one (the schema first, then the chunks recorded).
 */
static int
copy_plan(struct copy *c, char *why, size_t len)
{
	uint64_t	total = 0, kept = 0;
	int		i, has;

	if ((has = copy_has_plan(c, why, len)) == -1 ||
	    copy_snapshot(c, why, len) == -1)
		return -1;
	copy_emit(json_pack("{s:s, s:s, s:I}", "ev", "snapshot", "file",
	    c->file, "pos", (json_int_t)c->pos));
	if (copy_tabs_list(c->src[0], c->job.schemas, &c->tabs, &c->ntabs,
	    why, len) == -1 || (has && (has = copy_plan_holds(c, why,
	    len)) == -1))
		return -1;
	c->resume = has;
	copy_emit(json_pack("{s:s, s:b}", "ev", "start", "resume", has));
	if (has) {
		if (copy_chunks_load(c->ctl_tgt, c->job.owner, c->tabs,
		    c->ntabs, &c->chunks, &c->nchunks, why, len) == -1)
			return -1;
	} else if (copy_tool(c, "--no-data --skip-triggers", why, len) == -1 ||
	    copy_chunks_plan(c->src[0], c->tabs, c->ntabs, c->job.chunk_rows,
	    &c->chunks, &c->nchunks, why, len) == -1 ||
	    copy_chunks_record(c->ctl_tgt, c->job.owner, c->tabs, c->chunks,
	    c->nchunks, why, len) == -1)
		return -1;
	qsort(c->chunks, c->nchunks, sizeof(*c->chunks), chunk_cmp);
	for (i = 0; i < c->nchunks; i++) {
		total += c->chunks[i].bytes;
		if (c->chunks[i].state == CHUNK_KEPT)
			kept++;
	}
	copy_emit(json_pack("{s:s, s:i, s:I, s:I}", "ev", "plan", "chunks",
	    c->nchunks, "kept", (json_int_t)kept, "bytes", (json_int_t)total));
	return 0;
}

static void
copy_fail(struct copy *c, const char *why)
{
	pthread_mutex_lock(&c->mu);
	if (!c->failed)
		snprintf(c->why, sizeof(c->why), "%s", why);
	c->failed = 1;
	pthread_mutex_unlock(&c->mu);
}

static struct copy_chunk *
copy_take(struct copy *c)
{
	struct copy_chunk	*k = NULL;

	while (c->throttled && !c->failed)
		usleep(100 * 1000);
	pthread_mutex_lock(&c->mu);
	if (!c->failed && c->next < c->nchunks)
		k = &c->chunks[c->next++];
	pthread_mutex_unlock(&c->mu);
	return k;
}

/* A chunk: kept ones compared first, copied when they differ. */
static int
copy_one(struct copy *c, int i, struct copy_chunk *k, char *why, size_t len)
{
	const struct copy_tab	*t = &c->tabs[k->tab];
	unsigned int		 err;
	int			 same, tries;

	if (k->state == CHUNK_KEPT) {
		if ((same = copy_chunk_same(c->src[i], c->tgt[i], t, k, why,
		    len)) == -1)
			return -1;
		if (same) {
			__atomic_add_fetch(&c->verified, 1, __ATOMIC_RELAXED);
			return 0;
		}
		__atomic_add_fetch(&c->redo, 1, __ATOMIC_RELAXED);
	}
	/*
	 * Ranges of one table are emptied and filled side by side; should
	 * the target still pick one of them as a deadlock's victim, that
	 * chunk is copied again (its transaction was rolled back whole).
	 */
	for (tries = 0;; tries++) {
		if (copy_chunk_copy(c->src[i], c->tgt[i], c->job.owner, t, k,
		    c->resume, &c->rows, &c->bytes, why, len) == 0)
			return 0;
		err = mysql_errno(c->tgt[i]);
		if ((err != 1213 && err != 1205) || tries == 5)
			return -1;
		mysql_query(c->tgt[i], "ROLLBACK");
	}
}

struct copy_thread {
	struct copy	*c;
	int		 i;
	pthread_t	 tid;
};

static void *
copy_thread(void *arg)
{
	struct copy_thread	*th = arg;
	struct copy		*c = th->c;
	struct copy_chunk	*k;
	char			 why[COPY_WHY];

	while ((k = copy_take(c)) != NULL) {
		if (copy_one(c, th->i, k, why, sizeof(why)) == -1) {
			copy_fail(c, why);
			break;
		}
		k->state = CHUNK_DONE;
		__atomic_add_fetch(&c->done_bytes, k->bytes, __ATOMIC_RELAXED);
		__atomic_add_fetch(&c->chunks_done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The source's Threads_running against max_load: the throttle. */
static void
copy_sample_load(struct copy *c)
{
	MYSQL_RES	*res;
	MYSQL_ROW	 row;
	char		 why[COPY_WHY];
	long		 running;

	if (copy_sql(c->ctl_src, "SHOW GLOBAL STATUS LIKE 'Threads_running'",
	    why, sizeof(why)) == -1 ||
	    (res = mysql_store_result(c->ctl_src)) == NULL)
		return;		/* not judged: the copy goes on */
	if ((row = mysql_fetch_row(res)) != NULL) {
		running = strtol(row[1], NULL, 10);
		if (running > c->job.max_load)
			snprintf(c->throttle, sizeof(c->throttle), "source "
			    "Threads_running %ld over seed_max_load %d",
			    running, c->job.max_load);
		else
			c->throttle[0] = '\0';
		c->throttled = c->throttle[0] != '\0';
	}
	mysql_free_result(res);
}

/* "max_load N" lines from the daemon, when there are any. */
static void
copy_read_control(struct copy *c)
{
	struct pollfd	 p = { .fd = 0, .events = POLLIN };
	char		 buf[128];
	int		 v;

	while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		if (fgets(buf, sizeof(buf), stdin) == NULL)
			return;
		if (sscanf(buf, "max_load %d", &v) == 1 && v > 0)
			c->job.max_load = v;
	}
}

static void
copy_report(struct copy *c)
{
	copy_emit(json_pack("{s:s, s:I, s:I, s:i, s:i, s:I, s:i, s:i, s:s?}",
	    "ev", "progress", "rows", (json_int_t)c->rows, "bytes",
	    (json_int_t)c->bytes, "chunks_done", c->chunks_done, "chunks",
	    c->nchunks, "done_bytes", (json_int_t)c->done_bytes, "verified",
	    c->verified, "redo_chunks", c->redo, "throttle",
	    c->throttled ? c->throttle : NULL));
}

static int
copy_run(struct copy *c)
{
	struct copy_thread	 th[COPY_THREADS_MAX];
	struct timespec		 tick = { 1, 0 };
	int			 i, left;

	copy_sample_load(c);		/* a busy source: not even one chunk */
	for (i = 0; i < c->job.threads; i++) {
		th[i].c = c;
		th[i].i = i;
		if (pthread_create(&th[i].tid, NULL, copy_thread, &th[i]) != 0)
			abort();
	}
	do {
		copy_read_control(c);
		copy_sample_load(c);
		copy_report(c);
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&c->mu);
		left = c->chunks_done < c->nchunks && !c->failed;
		pthread_mutex_unlock(&c->mu);
	} while (left);
	for (i = 0; i < c->job.threads; i++)
		pthread_join(th[i].tid, NULL);
	copy_report(c);
	return c->failed ? -1 : 0;
}

static void
copy_free(struct copy *c)
{
	int	i;

	for (i = 0; i < COPY_THREADS_MAX; i++) {
		if (c->src[i] != NULL)
			mysql_close(c->src[i]);
		if (c->tgt[i] != NULL)
			mysql_close(c->tgt[i]);
	}
	if (c->ctl_src != NULL)
		mysql_close(c->ctl_src);
	if (c->ctl_tgt != NULL)
		mysql_close(c->ctl_tgt);
	copy_tabs_free(c->tabs, c->ntabs);
	free(c->chunks);
	for (i = 0; c->job.schemas != NULL && c->job.schemas[i] != NULL; i++)
		free(c->job.schemas[i]);
	free(c->job.schemas);
	free(c->job.owner);
	free(c->job.src_cnf);
	free(c->job.tgt_cnf);
	pthread_mutex_destroy(&c->mu);
	mysql_library_end();
}

/* The copy, then the triggers, routines and events: done. */
static int
copy_all(struct copy *c, char *why, size_t len)
{
	if (copy_job_read(&c->job, why, len) == -1 ||
	    copy_connect_all(c, why, len) == -1 ||
	    copy_plan(c, why, len) == -1)
		return -1;
	if (copy_run(c) == -1) {
		snprintf(why, len, "%s", c->why);
		return -1;
	}
	if (copy_tool(c, "--no-data --no-create-info --no-create-db "
	    "--skip-add-drop-table --triggers --add-drop-trigger --routines "
	    "--events", why, len) == -1)
		return -1;
	copy_emit(json_pack("{s:s, s:s, s:I, s:I, s:I, s:i}", "ev", "done",
	    "file", c->file, "pos", (json_int_t)c->pos, "rows",
	    (json_int_t)c->rows, "bytes", (json_int_t)c->bytes, "redo_chunks",
	    c->redo));
	return 0;
}

int
copy_main(void)
{
	struct copy	 c;
	char		 why[COPY_WHY];
	int		 rc;

	/* Die with the daemon: a restarted daemon starts its own copy. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	memset(&c, 0, sizeof(c));
	pthread_mutex_init(&c.mu, NULL);
	if ((rc = copy_all(&c, why, sizeof(why))) == -1)
		fprintf(stderr, "%s\n", why);
	copy_free(&c);
	return rc == 0 ? 0 : 1;
}
