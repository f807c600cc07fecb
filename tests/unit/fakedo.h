/*
 * fakedo: tests/fakes/fakedo.py, the DigitalOcean API v2 test endpoint, for
 * a unit suite: on a free loopback port, started by the suite's parent
 * process as check's unchecked fixture and stopped at the end, at exit and
 * on SIGINT, SIGTERM, SIGHUP and SIGQUIT, never by a forked test. Its
 * control API is reached with a small blocking client (tests only).
 */
#ifndef FAKEDO_H
#define FAKEDO_H

#include "suite.h"

#define FAKEDO_TOKEN	"do-test-token"

extern int	fakedo_port;		/* 0 until it answers */
extern char	fakedo_url[64];		/* "http://127.0.0.1:PORT" */

/* Unchecked fixture pair; fakedo_port stays 0 if it did not start. */
void	fakedo_start(void);
void	fakedo_stop(void);

/*
 * One request to the fake (blocking): METHOD PATH with a JSON body (NULL:
 * none) and, when token is not NULL, "Authorization: Bearer token". The
 * status, or -1 without an answer; *reply (may be NULL) gets the body,
 * malloc'd.
 */
int	fakedo_request(const char *method, const char *path, const char *json,
	    const char *token, char **reply);
/* The control API: POST path json, or GET when json is NULL. */
int	fakedo_ctl(const char *path, const char *json, char **reply);
/* The server, for suite_client_main(): it inits, starts and stops it. */
extern const struct suite_server	fakedo_server;

#endif
