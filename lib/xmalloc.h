/*
 * xmalloc: allocation that cannot fail, after OpenSSH's and tmux's
 * xmalloc.c. Each function logs and exits through fatal() (lib/log.h)
 * when memory runs out, so callers never test the result; a caller that
 * can recover from ENOMEM calls malloc(3) and friends itself.
 *
 * A zero count or size allocates one byte's worth instead, so a result
 * is never NULL. xstrdup(NULL) and xstrndup(NULL, n) return NULL: the
 * copies this module replaced were NULL-safe and callers rely on it.
 * Nothing else here accepts NULL except xreallocarray's pointer, as
 * realloc(3) does.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
/* Free n strings and the vector that holds them (v may be NULL if n is 0). */
void	 xstrv_free(char **v, size_t n);

#endif
