/*
 * conf: the pieces every INI file of ours needs and that know nothing about
 * migrations: reading a file with inih while tracking line numbers, typed
 * value parsers (durations, percentages, booleans, integers, lists), the
 * secret-file check, and a list of "file:line: message" errors.
 */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ini.h>

#define CONF_ERR_MAX	64	/* errors kept per file; more are counted */

struct conf_errors {
	char	*msg[CONF_ERR_MAX];	/* "file:line: message" */
	int	 n;			/* kept */
	int	 dropped;		/* not kept */
};

/* Append "file:line: message" (line 0: "file: message"). */
void	conf_error(struct conf_errors *, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	conf_errors_clear(struct conf_errors *);
/* Join every error with newlines (malloc'd; "" when none). */
char	*conf_errors_join(const struct conf_errors *);

/*
 * Called for each "key = value" with its section and line. A non-zero return
 * does not stop the parse: the callback records its own error.
 */
typedef void (*conf_handler)(void *arg, const char *section, const char *key,
    const char *value, int line);

/*
 * Parse INI text (file names it in errors). Syntax errors (a line that is
 * neither a section, a comment nor key = value) are recorded in errs. Returns
 * 0 when the text had no syntax error, -1 otherwise.
 */
int	conf_parse_text(const char *text, const char *file, conf_handler,
	    void *arg, struct conf_errors *errs);

/*
 * Called at each "[section]" header with the header's line, before any key
 * of that section is reported.
 */
typedef void (*conf_section_handler)(void *arg, const char *section,
    int line);

/* conf_parse_text that also reports section headers (sh may be NULL). */
int	conf_parse_sections(const char *text, const char *file,
	    conf_section_handler sh, conf_handler, void *arg,
	    struct conf_errors *errs);

/*
 * inih's options (run-time globals in Debian's build) that our INI formats
 * set differently. The others are the same for every format: no stack
 * buffer, no stop at the first error, no key without a value, a UTF-8 BOM
 * allowed.
 */
struct conf_ini_opts {
	bool	 multiline;		/* indented continuation lines */
	bool	 inline_comments;
	char	*comment;		/* prefixes, at a line's start and inline */
	int	 max_line;
	int	 initial_alloc;
	bool	 grow;			/* realloc for a longer line */
};

/*
 * ini_parse_stream() with inih's options set as the format says, and put
 * back as they were afterwards for any other user of inih in the process.
 */
int	conf_ini_parse(const struct conf_ini_opts *, ini_reader, void *stream,
	    ini_handler, void *arg);

/* Longest line accepted, newline excluded; longer lines are errors. */
#define CONF_LINE_MAX	4096

/* Read a whole file (malloc'd, NUL-terminated); NULL and errno on failure. */
char	*conf_read_file(const char *path, size_t max);

/*
 * Typed values. Each returns 0 and stores the value, or -1 and writes a
 * sentence saying what was expected into why.
 */
/* "250ms", "90s", "5m", "2h", "1d"; a unit is required. Stored as ms. */
int	conf_duration(const char *, int64_t *ms, char *why, size_t);
/* "1.5%" -> 0.015; "0.015" -> 0.015; must be in 0..100%. */
int	conf_percent(const char *, double *ratio, char *why, size_t);
/* yes/no, true/false, on/off, 1/0. */
int	conf_bool(const char *, int *, char *why, size_t);
int	conf_int(const char *, long long min, long long max, long long *,
	    char *why, size_t);
int	conf_double(const char *, double min, double max, double *,
	    char *why, size_t);
/*
 * Comma-separated list, items trimmed, empty items refused ("a,,b"); a
 * blank value is the empty list (*n 0). *items is a malloc'd
 * NULL-terminated vector of malloc'd strings (conf_list_free).
 */
int	conf_list(const char *, char ***items, int *n, char *why, size_t);
void	conf_list_free(char **);
/* Render ms as the shortest exact duration ("1500ms", "90s", "5m"). */
void	conf_duration_str(int64_t ms, char *buf, size_t);

/*
 * A secret (password, token) is only ever named by file path. The file must
 * exist, be a regular file and not be readable by group or others.
 */
int	conf_secret_file_ok(const char *path, char *why, size_t);

/*
 * Make path absolute (malloc'd): a relative path is taken relative to the
 * directory of file (itself relative to the working directory when it is
 * relative); "." and ".." components are folded away. NULL on ENOMEM.
 */
char	*conf_path_resolve(const char *file, const char *path);

/*
 * Edit distance (insertions, deletions, substitutions, transpositions)
 * from typed to known when it is small enough to suggest known as a
 * correction ("did you mean ..."), else -1.
 */
int	conf_similar(const char *typed, const char *known);

#endif
