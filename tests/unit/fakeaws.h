/*
 * fakeaws: tests/fakes/fakeaws.py with the moto_server it spawns, for a
 * unit suite: on a free loopback port, started by the suite's parent
 * process as check's unchecked fixture and stopped at the end, at exit and
 * on SIGINT, SIGTERM, SIGHUP and SIGQUIT, never by a forked test.
 */
#ifndef FAKEAWS_H
#define FAKEAWS_H

#include "suite.h"

extern int	fake_port;	/* 0 until it answers */

/* Unchecked fixture pair; fake_port stays 0 if it did not start. */
void	fake_start(void);
void	fake_stop(void);
/* The server, for suite_client_main(): it inits, starts and stops it. */
extern const struct suite_server	fakeaws_server;

#endif
