/*
 * shadow: the ECS service scaled to traffic.ecs_desired tasks, its
 * deployment done and enough of its targets healthy before any user is
 * sent to it.
 */
#ifndef SHADOW_H
#define SHADOW_H

struct daemon;
struct migration;

void	shadow_run(struct daemon *, struct migration *);

#endif
