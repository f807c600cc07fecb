/*
 * bench_sigv4: the cost of one AWS Signature Version 4 signature, canonical
 * request through Authorization value, for the request the daemon sends
 * most: an ELBv2 DescribeListeners POST with a form body, Host and
 * Content-Type given, X-Amz-Date and X-Amz-Security-Token added and signed
 * by the signer (temporary credentials). Each of N signatures is timed on
 * its own after a warm-up; prints the median as
 * "BENCH sigv4_sign_ns <value> ns".
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws-sigv4.h"

#define WARMUP		10000
#define SAMPLES		200000

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	static const char body[] = "Action=DescribeListeners&LoadBalancerArn="
	    "arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-1%3A123456789012%3Alo"
	    "adbalancer%2Fapp%2Fshop%2F50dc6c495c0c9188&Version=2015-12-01";
	static const struct aws_sigv4_header h[] = {
		{ "Host", "elasticloadbalancing.eu-west-1.amazonaws.com" },
		{ "Content-Type",
		  "application/x-www-form-urlencoded; charset=utf-8" },
	};
	/* AWS's documented example credentials, not real ones. */
	struct aws_sigv4_creds	 creds = { "AKIDEXAMPLE",
		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"FQoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE+token/value==" };
	struct aws_sigv4_request req = {
		.method = "POST", .path = "/", .headers = h, .nheaders = 2,
		.payload = body, .payload_len = sizeof(body) - 1,
		.region = "eu-west-1", .service = "elasticloadbalancing",
		.when = 1709251199,
	};
	struct aws_sigv4_signed	 s;
	uint64_t		*t, t0;
	int			 i;

	if ((t = calloc(SAMPLES, sizeof(*t))) == NULL)
		err(1, "calloc");
	for (i = 0; i < WARMUP; i++) {
		if (aws_sigv4_sign(&req, &creds, &s) == -1)
			err(1, "aws_sigv4_sign");
		aws_sigv4_signed_clear(&s);
	}
	/* The same signature as tests/unit/check_sigv4.c derives. */
	if (aws_sigv4_sign(&req, &creds, &s) == -1)
		err(1, "aws_sigv4_sign");
	if (strcmp(s.signature, "ece9d63b352d6f33f665ad4a034d08b6532770af4f97f"
	    "a81e1e8f267bb55ec85") != 0)
		errx(1, "unexpected signature");
	aws_sigv4_signed_clear(&s);

	for (i = 0; i < SAMPLES; i++) {
		t0 = now_ns();
		if (aws_sigv4_sign(&req, &creds, &s) == -1)
			err(1, "aws_sigv4_sign");
		aws_sigv4_signed_clear(&s);
		t[i] = now_ns() - t0;
	}
	qsort(t, SAMPLES, sizeof(*t), cmp_u64);
	printf("BENCH sigv4_sign_ns %llu ns\n",
	    (unsigned long long)t[SAMPLES / 2]);
	free(t);
	return 0;
}
