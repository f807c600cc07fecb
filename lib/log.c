/*
 * log: stderr lines with syslog priority prefixes, after OpenBSD's log.c.
 * journald strips the "<N>" prefix and records N as the priority, so the same
 * binary logs well under systemd and readably in a terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static enum log_level	 log_max = LOG_LVL_INFO;

void
log_init(enum log_level max)
{
	log_max = max;
}

void
log_setlevel(enum log_level max)
{
	log_max = max;
}

int
log_level_parse(const char *name)
{
	static const struct {
		const char	*name;
		enum log_level	 level;
	} names[] = {
		{ "err", LOG_LVL_ERR },
		{ "error", LOG_LVL_ERR },
		{ "warning", LOG_LVL_WARNING },
		{ "notice", LOG_LVL_NOTICE },
		{ "info", LOG_LVL_INFO },
		{ "debug", LOG_LVL_DEBUG },
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].level;
	return -1;
}

void
vlog(enum log_level level, const char *fmt, va_list ap)
{
	char	line[2048];

	if (level > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One fprintf per line: concurrent writers never interleave mid-line. */
	fprintf(stderr, "<%d>%s\n", (int)level, line);
}

static void
log_errno(enum log_level level, const char *fmt, va_list ap)
{
	char	msg[1900];
	int	saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (level > log_max)
		return;
	fprintf(stderr, "<%d>%s: %s\n", (int)level, msg, strerror(saved));
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_errno(LOG_LVL_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARNING, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_NOTICE, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_errno(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
