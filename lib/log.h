/*
 * log: one line per event on stderr, each prefixed with its syslog priority
 * ("<3>", "<4>", ...) so journald files it at the right level. Messages name
 * their subject ("shop: ..."); callers never pass secrets.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Set the most verbose level printed. */
void	log_init(enum log_level max);
void	log_setlevel(enum log_level max);
/* Parse "err", "warning", "notice", "info", "debug"; -1 if unknown. */
int	log_level_parse(const char *name);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	vlog(enum log_level, const char *, va_list) __attribute__((format(printf, 2, 0)));

/* Broken invariant or out of memory: log and exit(1). fatal appends errno. */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
