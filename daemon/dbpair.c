/*
 * dbpair: the source and target connections of one migration. Secrets are
 * read when the pair is made and kept only in memory; they are passed to
 * Connector/C and to child processes through 0600 files, never on a command
 * line or in a log.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "dbpair.h"
#include "log.h"
#include "migration.h"
#include "mydb.h"
#include "plan.h"

char *
dbpair_secret(const char *path)
{
	char	*s;
	size_t	 len;

	if ((s = conf_read_file(path, 4096)) == NULL)
		return NULL;
	/* The first line is the secret; a trailing newline is not part of it. */
	len = strcspn(s, "\r\n");
	s[len] = '\0';
	return s;
}

static struct mydb *
dbpair_conn(struct daemon *d, const struct migration *m,
    const struct plan_db *db, const char *role, const char *pw)
{
	struct mydb_opts	o;
	char			name[96];

	snprintf(name, sizeof(name), "%s %s", m->name, role);
	memset(&o, 0, sizeof(o));
	o.name = name;
	o.host = db->host;
	o.port = db->port;
	o.user = db->user;
	o.password = pw;
	o.ca_file = db->ca_file;
	o.connect_timeout_ms = db->connect_timeout;
	return mydb_new(d->base, &o);
}

struct dbpair *
dbpair_new(struct daemon *d, const struct migration *m, char *why,
    size_t whylen)
{
	const struct plan	*p = m->plan;
	struct dbpair		*dp;

	if (p == NULL) {
		snprintf(why, whylen, "the plan does not parse");
		return NULL;
	}
	if ((dp = calloc(1, sizeof(*dp))) == NULL)
		fatal("calloc");
	if ((dp->src_pw = dbpair_secret(p->source.db.password_file)) == NULL) {
		snprintf(why, whylen, "source.password_file %s: %s",
		    p->source.db.password_file, strerror(errno));
		goto fail;
	}
	if ((dp->repl_pw = dbpair_secret(p->source.repl_password_file)) ==
	    NULL) {
		snprintf(why, whylen, "source.repl_password_file %s: %s",
		    p->source.repl_password_file, strerror(errno));
		goto fail;
	}
	if ((dp->tgt_pw = dbpair_secret(p->target.db.password_file)) == NULL) {
		snprintf(why, whylen, "target.password_file %s: %s",
		    p->target.db.password_file, strerror(errno));
		goto fail;
	}
	dp->src = dbpair_conn(d, m, &p->source.db, "source", dp->src_pw);
	dp->tgt = dbpair_conn(d, m, &p->target.db, "target", dp->tgt_pw);
	return dp;
 fail:
	dbpair_free(dp);
	return NULL;
}

struct mydb *
dbpair_open(struct daemon *d, const struct migration *m,
    const struct dbpair *dp, int target, const char *role)
{
	const struct plan	*p = m->plan;

	return target ? dbpair_conn(d, m, &p->target.db, role, dp->tgt_pw) :
	    dbpair_conn(d, m, &p->source.db, role, dp->src_pw);
}

const char *
dbpair_status_sql(const struct dbpair *dp, const struct plan *p)
{
	if (p->target.kind == TARGET_RDS && dp->td.flavor == MYDB_MARIADB)
		return "CALL mysql.rds_replica_status";
	return dp->td.show_replica_status;
}

static void
secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
dbpair_free(struct dbpair *dp)
{
	if (dp == NULL)
		return;
	mydb_free(dp->src);
	mydb_free(dp->tgt);
	secret_free(dp->src_pw);
	secret_free(dp->tgt_pw);
	secret_free(dp->repl_pw);
	free(dp);
}

/* An option-file value in double quotes, backslash-escaped. */
static void
cnf_value(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

char *
dbpair_cnf(struct daemon *d, const struct migration *m, const char *role,
    const struct plan_db *db, const char *user, const char *password)
{
	char	*dir, *copy, *path;
	FILE	*f;
	int	 fd;

	if ((copy = strdup(daemon_state_path(d))) == NULL)
		fatal("strdup");
	dir = dirname(copy);
	if (asprintf(&path, "%s/.%s-%s.cnf", dir, m->name, role) == -1)
		fatal("asprintf");
	free(copy);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("%s: %s", m->name, path);
		if (fd != -1)
			close(fd);
		free(path);
		return NULL;
	}
	fprintf(f, "[client]\nhost=%s\nport=%d\nuser=", db->host, db->port);
	cnf_value(f, user);
	fputs("\npassword=", f);
	cnf_value(f, password);
	fputc('\n', f);
	if (db->ca_file != NULL)
		fprintf(f, "ssl-ca=%s\nssl-verify-server-cert\n", db->ca_file);
	if (fclose(f) != 0) {
		log_warn("%s: %s", m->name, path);
		unlink(path);
		free(path);
		return NULL;
	}
	return path;
}
