/*
 * view: migrations rendered as the JSON the control protocol returns for
 * list and status. One renderer, so `status`, `status --watch` and `list`
 * never disagree.
 */
#ifndef VIEW_H
#define VIEW_H

#include <jansson.h>

struct daemon;
struct migration;

/*
 * {"migrations":[...]}: one migration in full (name), or all of them in
 * brief (NULL: a whole status would not fit a protocol line); NULL if
 * name is given and unknown.
 */
json_t	*view_status(struct daemon *, const char *name);
/* The summary plus what the migration is doing now. */
json_t	*view_brief(const struct migration *);
/* The full status object of one migration. */
json_t	*view_migration(struct daemon *, const struct migration *);
/* The one-line summary `list` shows. */
json_t	*view_summary(const struct migration *);
/* The operator commands valid now, as a JSON array of names. */
json_t	*view_accepts(const struct migration *);

#endif
