/*
 * moto: the AWS emulator (moto_server, in this machine image's Python) for
 * a unit suite, on a free loopback port, started by the suite's parent
 * process as check's unchecked fixture and killed at the end, at exit and
 * on SIGINT, SIGTERM, SIGHUP and SIGQUIT, never by a forked test.
 */
#ifndef MOTO_H
#define MOTO_H

#include "suite.h"

extern int	moto_port;	/* 0 until it answers */

/* Unchecked fixture pair; moto_port stays 0 if moto did not start. */
void	moto_start(void);
void	moto_stop(void);
/* The server, for suite_client_main(): it inits, starts and stops it. */
extern const struct suite_server	moto_server;

#endif
