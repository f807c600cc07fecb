/*
 * api: what the remote API clients in lib/ (aws.c, under every AWS
 * service, and digitalocean.c) share, knowing nothing of any service, its
 * signing or its wire protocol: the error struct their callbacks get,
 * the lifecycle of a call (live, done, being delivered) with one
 * deliverer per client so that callbacks run only from the loop, and the
 * backoff with full jitter between attempts.
 */
#ifndef API_H
#define API_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

struct event;
struct event_base;

/* Why a call failed; valid only during the callback. */
struct api_err {
	const char	*op;		/* "DescribeServices", "ListDroplets" */
	/*
	 * The service's code ("ClusterNotFoundException", "Throttling",
	 * "not_found"), the status as text when the answer had none, a
	 * local one ("ConnectionError", "ParseError", "CredentialsError",
	 * "LocalError"), "UnexpectedAnswer" when the answer lacks what the
	 * operation returns, or one of the client's own (see its header).
	 */
	const char	*code;
	const char	*message;
	int		 status;	/* HTTP status; 0: no answer or local */
	const char	*text;		/* "OP: CODE: MESSAGE", for logs */
};

/*
 * Fill e (an empty or NULL code is "Error", a NULL message "no message")
 * and return its text, malloc'd: free it once the callback has returned.
 */
char	*api_err_set(struct api_err *e, const char *op, const char *code,
	    const char *message, int status);

/* Into why (NULL or len 0: nothing), printf-style: what went wrong. */
void	api_why(char *why, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* ---- a client's calls ---- */

enum api_phase {
	API_LIVE,		/* the client's: waiting for something */
	API_DONE,		/* on the done list */
	API_DELIVERING,		/* its callback is running */
};

/* The first member of a client's call. */
struct api_call {
	TAILQ_ENTRY(api_call)	 entry;		/* on q->calls */
	TAILQ_ENTRY(api_call)	 dentry;	/* on q->done */
	struct api_queue	*q;
	enum api_phase		 phase;
};
TAILQ_HEAD(api_calls, api_call);

/* What the queue asks of the client, for one of its calls. */
struct api_queue_ops {
	/* Run the call's callback. */
	void	(*deliver)(struct api_call *);
	/* Dropped without its callback: if live, stop what it waits for
	 * (a timer, a request); release what its caller gave it. */
	void	(*drop)(struct api_call *, int live);
	void	(*free)(struct api_call *);
	/* The client itself, when it was freed inside a callback. */
	void	(*destroy)(void *owner);
};

/*
 * Every live call of one client, and the done ones waiting for the
 * deliverer: one event_active'd event that runs their callbacks. So a
 * call may be cancelled, and the client freed, from anywhere: the call
 * whose callback is running, and the client if freed inside it, are freed
 * by the deliverer when the callback returns.
 */
struct api_queue {
	const struct api_queue_ops *ops;
	void			*owner;
	struct api_calls	 calls;		/* every live call */
	struct api_calls	 done;		/* to deliver */
	struct event		*ev_done;
	int			 busy;		/* a callback is running */
	int			 dying;		/* freed inside it */
};

/* 0, or -1 when the event cannot be made (api_queue_clear() then). */
int	api_queue_init(struct api_queue *, struct event_base *,
	    const struct api_queue_ops *, void *owner);
/* Drop every call (not the one being delivered) and free the event. */
void	api_queue_clear(struct api_queue *);
/*
 * The client is being freed: 1 when it may destroy itself now; 0 when a
 * callback is running (the calls are dropped, and ops->destroy is called
 * once it returns) or it was already being freed.
 */
int	api_queue_close(struct api_queue *);
/* A new call, live. */
void	api_call_add(struct api_queue *, struct api_call *);
/* The call is over: its callback runs from the deliverer. */
void	api_call_finish(struct api_call *);
/* Drop a call without its callback; a no-op while it is delivered. */
void	api_call_drop(struct api_call *);
size_t	api_queue_len(const struct api_queue *);

/* Full jitter: uniform in [0, top]; 0 when top <= 0. */
int64_t	api_uniform(int64_t top);
/* Full jitter: uniform in [0, min(cap, base * 2^(attempts - 1))]. */
int64_t	api_backoff_ms(int64_t base, int64_t cap, int attempts);

#endif /* API_H */
