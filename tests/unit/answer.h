/*
 * answer: the canned HTTP peer a unit suite talks to, an evhttp server on
 * a free loopback port and on the test's own event base. It plays a
 * script of answers in turn (the last one repeats; a status of 0 holds
 * the request until the server is freed) and keeps what the client sent:
 * the first ANSWER_NSEEN requests and the latest one. A suite with
 * answers of its own (routes, checks) hands every request to its handler
 * instead. And the one way a suite runs its loop: until a count is
 * reached or a deadline passes.
 */
#ifndef ANSWER_H
#define ANSWER_H

#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#define ANSWER_NSEEN	4		/* requests kept, the first ones */
#define ANSWER_NSTEPS	8		/* answers in a script */

/* One answer of the script. */
struct answer_step {
	int		 status;	/* 0: hold it, never answer */
	const char	*body;
	const char	*ctype;		/* NULL: the server's */
	const char	*hname, *hvalue;	/* one more header, or NULL */
};

/* What the server saw of one request. */
struct answer_seen {
	enum evhttp_cmd_type	 method;
	char			 uri[512];
	char			 host[128];
	char			 auth[512];
	char			 amzdate[32];	/* X-Amz-Date */
	char			 ctype[128];
	char			 target[128];	/* X-Amz-Target */
	char			 body[8192];	/* cut to fit */
};

struct answer {
	int			 port;
	char			 url[32];	/* http://127.0.0.1:PORT */
	int			 n;		/* requests so far */
	struct answer_seen	 seen[ANSWER_NSEEN]; /* the first ones */
	struct answer_seen	 last;		/* the latest one */

	struct evhttp		*http;
	struct answer_step	 steps[ANSWER_NSTEPS];
	int			 nsteps;
	const char		*ctype;
	const char		*hname, *hvalue;
	void			(*handler)(struct evhttp_request *, void *);
	void			*handler_arg;
	void			(*observe)(const struct answer_seen *,
				    void *);
	void			*observe_arg;
};

/*
 * A server on base answering 200 with an empty body of type ctype (NULL:
 * none) until told otherwise; fails the test if it cannot listen.
 */
struct answer	*answer_new(struct event_base *base, const char *ctype);
void		 answer_free(struct answer *);
/* Play n steps in turn, counting from the requests seen so far. */
void		 answer_play(struct answer *, const struct answer_step *,
		    int n);
/* Answer 200 with these bodies in turn (NULL-ended), the last repeating. */
void		 answer_say(struct answer *, const char *first, ...);
/* Forget the requests seen so far: the script starts again. */
void		 answer_forget(struct answer *);
/* One more header on every scripted answer. */
void		 answer_header(struct answer *, const char *name,
		    const char *value);
/* Call fn with every request, once it is recorded, before it is answered. */
void		 answer_observe(struct answer *,
		    void (*fn)(const struct answer_seen *, void *), void *arg);
/* Hand every request to fn instead: it answers, no script, no record. */
void		 answer_handle(struct answer *,
		    void (*fn)(struct evhttp_request *, void *), void *arg);
/* Answer req: status, a Content-Type unless ctype is NULL, len bytes. */
void		 answer_reply(struct evhttp_request *req, int status,
		    const char *ctype, const char *body, size_t len);

/*
 * Run base until *n reaches want (n NULL: never) or ms pass, waking at
 * least every 10 ms so the deadline is seen; 1 if *n reached want.
 */
int		 answer_run_until(struct event_base *base, const int *n,
		    int want, int64_t ms);

#endif
