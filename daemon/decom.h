/*
 * decom: the decommission phase. Only after approval (unless the plan
 * says approval = auto), and only after re-checking that the cutover
 * completed, the checksum proof passed and the soak held: the droplets
 * leave the target group, drain, are shut down (powered off when a
 * shutdown does not take), snapshotted when the plan asks, and deleted
 * after the grace period with the plan's other DigitalOcean resources and
 * the droplets' target group. Every irreversible effect happens once: its
 * intent is a fact before it goes out, and a restart looks at the real
 * droplet before acting again.
 */
#ifndef DECOM_H
#define DECOM_H

#include <jansson.h>

struct daemon;
struct migration;


/* How often DigitalOcean's actions and the draining are looked at. */
#define DECOM_POLL_MS		1000

void	decom_run(struct daemon *, struct migration *);

/* For status: each droplet's state and the deletion countdown, or NULL. */
json_t	*decom_json(struct daemon *, const struct migration *);

#endif
