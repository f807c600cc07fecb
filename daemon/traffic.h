/*
 * traffic: where the ALB listener sends users. It sets the default
 * action's weighted forward and the Method B listener rule, then reads
 * the listener back: a change counts only once
 * AWS shows it. What the daemon last set is a fact (traffic.set), and
 * what it is setting another (traffic.setting), so after a crash the
 * listener can be told apart from a change by someone else.
 *
 * One operation at a time per migration; starting one cancels the one in
 * flight (its callback is not called).
 *
 * Stickiness: with the plan's traffic.stickiness, a want marked sticky
 * turns the forward's target group stickiness on for that long; any other
 * want puts back what the operator had, recorded (traffic.sticky_orig)
 * before the daemon first changed it. Without traffic.stickiness and with
 * nothing recorded, the stickiness is kept as read.
 */
#ifndef TRAFFIC_H
#define TRAFFIC_H

#include <stddef.h>

struct daemon;
struct migration;
struct traffic;

/* What the listener should do. */
struct traffic_want {
	int	 ecs_pct;	/* 0..100: droplets get the rest */
	int	 ecs_only;	/* forward to ECS alone (ecs_pct ignored) */
	int	 rule;		/* the Method B rule in place (or removed) */
	int	 sticky;	/* traffic.stickiness on (else the operator's) */
};

enum traffic_result {
	TRAFFIC_OK,		/* done and read back */
	TRAFFIC_DRIFT,		/* the listener is not what we set */
	TRAFFIC_ERROR,		/* AWS said no: why has its text */
};

/* Flags of traffic_set. */
#define TRAFFIC_FORCE	0x1	/* set it whatever the listener shows */
#define TRAFFIC_FAST	0x2	/* skip the read before the change */

typedef void (*traffic_cb)(void *arg, enum traffic_result,
    const char *why);

struct traffic	*traffic_new(struct daemon *, struct migration *);
void		 traffic_free(struct traffic *);

/*
 * Put want in place and read it back. Unless TRAFFIC_FORCE, a listener
 * that shows neither what the daemon last set nor what it was setting is
 * drift, and nothing is changed. With TRAFFIC_FAST and a listener read
 * before, the change goes out at once (a breach's rollback). -1: could
 * not start (why logged); cb is then not called.
 */
int		 traffic_set(struct traffic *, const struct traffic_want *,
		    int flags, traffic_cb, void *arg);

/* Read the listener and compare it with what the daemon last set. */
int		 traffic_check(struct traffic *, traffic_cb, void *arg);

/* Stop the operation in flight; its callback is not called. */
void		 traffic_cancel(struct traffic *);

/*
 * The weights the listener showed when last read: droplets and ECS
 * (-1: not in the forward), rule 1 when the Method B rule was there.
 * 0, or -1 when never read.
 */
int		 traffic_seen(const struct traffic *, int *droplets, int *ecs,
		    int *rule);

/* The forward of want as the facts write it: "droplets:90,ecs:10". */
void		 traffic_want_text(const struct traffic_want *, char *,
		    size_t);

#endif
