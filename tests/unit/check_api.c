/*
 * check_api: lib/api.c, the part every remote API client shares, with a
 * client of its own that only counts: the error's text and defaults; the
 * full-jitter backoff's bounds; and the call queue's promises: a finished
 * call's callback runs from the loop, never at once; a dropped call is
 * stopped and freed without its callback (and a drop while its callback
 * runs is a no-op); a client freed inside a callback is destroyed when the
 * callback returns, its other calls dropped at once.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api.h"
#include "suite.h"

struct tcall {
	struct api_call	 base;		/* first */
	int		 id;
};

struct tclient {
	struct api_queue q;
	int		 delivered, dropped_live, dropped_done, freed;
	int		 destroyed;
	/* What the callback of call free_in does: free the client. */
	int		 free_in;
	/* What the callback of call cancel_in does: cancel itself. */
	int		 cancel_in;
	struct tcall	*self;
};

/* Counted beyond a client's life: every callback, drop and destroy. */
static int	 g_delivered, g_dropped, g_destroyed;

static void
t_deliver(struct api_call *b)
{
	struct tcall	*c = (struct tcall *)b;
	struct tclient	*t = (struct tclient *)b->q->owner;

	t->delivered++;
	g_delivered++;
	if (c->id == t->cancel_in)
		api_call_drop(b);	/* must be a no-op */
	if (c->id == t->free_in)
		ck_assert_int_eq(api_queue_close(&t->q), 0);
}

static void
t_drop(struct api_call *b, int live)
{
	struct tclient	*t = (struct tclient *)b->q->owner;

	g_dropped++;
	if (live)
		t->dropped_live++;
	else
		t->dropped_done++;
}

static void
t_free(struct api_call *b)
{
	struct tclient	*t = (struct tclient *)b->q->owner;

	t->freed++;
	free(b);
}

static void
t_destroy(void *owner)
{
	g_destroyed++;
	free(owner);
}

static const struct api_queue_ops t_ops = {
	.deliver = t_deliver,
	.drop = t_drop,
	.free = t_free,
	.destroy = t_destroy,
};

static struct tcall *
t_call(struct tclient *t, int id)
{
	struct tcall	*c;

	c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	c->id = id;
	api_call_add(&t->q, &c->base);
	return c;
}

static struct tclient *
t_new(struct event_base *base)
{
	struct tclient	*t;

	t = calloc(1, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(api_queue_init(&t->q, base, &t_ops, t), 0);
	return t;
}

START_TEST(test_err)
{
	struct api_err	 e;
	char		*text;

	text = api_err_set(&e, "DescribeServices", "MISSING", "arn:x", 400);
	ck_assert_str_eq(e.text, "DescribeServices: MISSING: arn:x");
	ck_assert_str_eq(e.code, "MISSING");
	ck_assert_int_eq(e.status, 400);
	free(text);
	text = api_err_set(&e, "ListDroplets", "", NULL, 0);
	ck_assert_str_eq(e.text, "ListDroplets: Error: no message");
	free(text);
	text = api_err_set(&e, "GetChange", NULL, "m", 0);
	ck_assert_str_eq(e.code, "Error");
	free(text);
}
END_TEST

START_TEST(test_backoff)
{
	int	i;

	ck_assert_int_eq(api_uniform(0), 0);
	ck_assert_int_eq(api_uniform(-5), 0);
	ck_assert_int_eq(api_backoff_ms(0, 20000, 3), 0);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_le(api_backoff_ms(100, 20000, 1), 100);
		ck_assert_int_le(api_backoff_ms(100, 20000, 3), 400);
		ck_assert_int_le(api_backoff_ms(100, 1000, 30), 1000);
		ck_assert_int_ge(api_backoff_ms(100, 1000, 30), 0);
		ck_assert_int_le(api_backoff_ms(250, 20000, 1000), 20000);
	}
}
END_TEST

START_TEST(test_queue)
{
	struct event_base	*base;
	struct tclient		*t;
	struct tcall		*a, *b, *c;

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	t = t_new(base);
	a = t_call(t, 1);
	b = t_call(t, 2);
	c = t_call(t, 3);
	ck_assert_int_eq(api_queue_len(&t->q), 3);

	/* Finished: delivered from the loop, not at once. */
	api_call_finish(&a->base);
	ck_assert_int_eq(t->delivered, 0);
	/* Dropped while live: stopped, freed, no callback. */
	api_call_drop(&b->base);
	ck_assert_int_eq(t->dropped_live, 1);
	ck_assert_int_eq(t->freed, 1);
	/* Dropped once done: no callback either. */
	api_call_finish(&c->base);
	api_call_drop(&c->base);
	ck_assert_int_eq(t->dropped_done, 1);
	ck_assert_int_eq(t->freed, 2);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(t->delivered, 1);
	ck_assert_int_eq(t->freed, 3);
	ck_assert_int_eq(api_queue_len(&t->q), 0);

	/* A callback that cancels itself: a no-op; the deliverer frees it. */
	t->cancel_in = 4;
	api_call_finish(&t_call(t, 4)->base);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(t->delivered, 2);
	ck_assert_int_eq(t->dropped_live + t->dropped_done, 2);
	ck_assert_int_eq(t->freed, 4);

	/* Not in a callback: the client may destroy itself at once. */
	ck_assert_int_eq(api_queue_close(&t->q), 1);
	api_queue_clear(&t->q);
	free(t);
	event_base_free(base);
}
END_TEST

START_TEST(test_free_inside)
{
	struct event_base	*base;
	struct tclient		*t;

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	t = t_new(base);
	t->free_in = 1;
	api_call_finish(&t_call(t, 1)->base);
	api_call_finish(&t_call(t, 2)->base);	/* done, not delivered */
	(void)t_call(t, 3);			/* live */
	g_delivered = g_dropped = g_destroyed = 0;
	event_base_loop(base, EVLOOP_NONBLOCK);
	/* Call 1 delivered; 2 and 3 dropped without their callbacks, the
	 * client destroyed once call 1's callback returned. */
	ck_assert_int_eq(g_delivered, 1);
	ck_assert_int_eq(g_dropped, 2);
	ck_assert_int_eq(g_destroyed, 1);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	const TTest		*api[] = {
		test_err, test_backoff, test_queue, test_free_inside, NULL
	};
	const struct suite_case	 cases[] = {
		{ "api", NULL, NULL, NULL, NULL, 0, api },
	};

	return suite_run(suite_of("api", cases, 1));
}
