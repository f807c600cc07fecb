/*
 * cloudwatch: the CloudWatch calls the gates make, over lib/aws's query
 * protocol (Version 2010-08-01): the ALB metrics of the droplet and the
 * ECS target groups in one GetMetricData call (5xx count, request count,
 * p99 target response time, per period, newest first), and the state of
 * named alarms (DescribeAlarms). Every call is asynchronous and ends in
 * one typed callback: a result, or an error naming the operation
 * ("GetMetricData: ValidationError: ..."). An answer of an unexpected
 * shape is such an error (code "UnexpectedAnswer"), never a crash.
 *
 * No data is never a number: a series without datapoints has n == 0, and
 * nothing here turns it into 0. A series whose status is not Complete
 * after every page was read (CloudWatch's InternalError, Forbidden) says
 * so in st; callers must not read it as "no errors".
 *
 * Ownership: results and errors handed to a callback belong to this
 * module and are freed when the callback returns; copy what you keep.
 * Results from cw_parse_* belong to the caller (the matching *_free;
 * NULL is a no-op).
 */
#ifndef CLOUDWATCH_H
#define CLOUDWATCH_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "api.h"

struct aws;
struct cw_call;

#define CW_MAX_ALARMS	100	/* DescribeAlarms: AlarmNames per call */

/*
 * A call that fails hands its callback a struct api_err (lib/api.h), valid
 * only during the callback. Its code is AWS's code
 * ("InvalidParameterValue", "Throttling"), lib/aws's local one
 * ("ConnectionError", "ParseError", "CredentialsError"), or
 * "UnexpectedAnswer" when the XML lacks what the operation returns.
 */

/* ---- ALB metrics ---- */

/* The target groups compared by the gates. */
enum cw_tg {
	CW_TG_DROPLET = 0,
	CW_TG_ECS,
	CW_NTG
};

/* The metrics read for each target group, with their statistic. */
enum cw_metric {
	CW_M_5XX = 0,		/* HTTPCode_Target_5XX_Count, Sum */
	CW_M_REQUESTS,		/* RequestCount, Sum */
	CW_M_P99,		/* TargetResponseTime, p99 (seconds) */
	CW_NMETRICS
};

/* A MetricDataResult's StatusCode. */
enum cw_status {
	CW_ST_OTHER = 0,	/* one this code does not know */
	CW_ST_COMPLETE,
	CW_ST_PARTIAL,		/* only before the last page is read */
	CW_ST_INTERNAL_ERROR,
	CW_ST_FORBIDDEN,
};

struct cw_point {
	int64_t		 ts;		/* period start, unix seconds */
	double		 value;
};

/* One metric of one target group. */
struct cw_series {
	char		*id;		/* the query's Id: "ecs_5xx" */
	char		*status;	/* StatusCode as AWS wrote it */
	enum cw_status	 st;
	struct cw_point	*v;		/* newest first */
	size_t		 n;		/* 0: no data (never "0") */
};

/*
 * The answer of cw_get_alb_metrics: s[tg][metric]. A target group that
 * was not asked for (NULL in the query) has asked[tg] == 0 and empty
 * series.
 */
struct cw_alb_metrics {
	int		 asked[CW_NTG];
	struct cw_series s[CW_NTG][CW_NMETRICS];
};

/* What to ask for (the caller's strings, copied). */
struct cw_alb_query {
	const char	*load_balancer;	/* dimension value: "app/shop/50dc..." */
	/* dimension values "targetgroup/name/id"; the droplet one may be
	 * NULL (after the droplets left the listener), the ECS one not */
	const char	*tg[CW_NTG];
	int		 period;	/* seconds: 60 (1, 5, 10, 30, k*60) */
	int64_t		 start, end;	/* unix seconds, start < end */
};

/* ---- alarms ---- */

enum cw_alarm_state {
	CW_AL_OTHER = 0,	/* a state this code does not know */
	CW_AL_OK,
	CW_AL_ALARM,
	CW_AL_INSUFFICIENT_DATA,
	CW_AL_NOT_FOUND,	/* asked for, and AWS has no such alarm */
};

struct cw_alarm {
	char			*name;
	char			*state;		/* as AWS wrote it; NULL */
	enum cw_alarm_state	 st;
	char			*reason;	/* StateReason; NULL */
};

/* cw_describe_alarms: one entry per name asked, in the order asked. */
struct cw_alarms {
	struct cw_alarm	*v;
	size_t		 n;
};

/* ---- callbacks: exactly one of result and err is not NULL ---- */

typedef void (*cw_alb_metrics_cb)(void *arg, const struct cw_alb_metrics *,
    const struct api_err *);
typedef void (*cw_alarms_cb)(void *arg, const struct cw_alarms *,
    const struct api_err *);

/*
 * Every call below copies its arguments and returns a handle for
 * cw_cancel(), or NULL when it cannot start: arguments refused (logged
 * with the reason; cw_alb_query_check gives it to the caller first) or
 * lib/aws refusing the call. The callback is then not called. Each
 * callback is called once, from the loop.
 */

/*
 * GetMetricData for both target groups in one call (ScanBy
 * TimestampDescending), every page (NextToken) read and merged.
 */
struct cw_call	*cw_get_alb_metrics(struct aws *, const struct cw_alb_query *,
		    cw_alb_metrics_cb, void *arg);

/* DescribeAlarms for these names (1..CW_MAX_ALARMS), every page. */
struct cw_call	*cw_describe_alarms(struct aws *, const char *const *names,
		    size_t n, cw_alarms_cb, void *arg);

/*
 * Stop a call; its callback is not called. NULL, or a call whose callback
 * is running, is a no-op. A call is freed once its callback returns, and
 * by aws_free() without its callback.
 */
void		 cw_cancel(struct cw_call *);

/* ---- checks and helpers, no I/O ---- */

/* Would GetMetricData take this query? 0, or -1 with the reason in why. */
int		 cw_alb_query_check(const struct cw_alb_query *, char *why,
		    size_t len);

/* The query Id of a series: "do_5xx", "ecs_p99"... */
const char	*cw_query_id(enum cw_tg, enum cw_metric);
/* "HTTPCode_Target_5XX_Count"...; and the statistic: "Sum", "p99". */
const char	*cw_metric_name(enum cw_metric);
const char	*cw_metric_stat(enum cw_metric);

/*
 * The newest datapoint of a series: 0 with *p set, or -1 when the series
 * has no data.
 */
int		 cw_series_latest(const struct cw_series *, struct cw_point *p);

enum cw_status		 cw_status_parse(const char *);
enum cw_alarm_state	 cw_alarm_state_parse(const char *);
const char		*cw_alarm_state_name(enum cw_alarm_state);

/* ---- parsers of whole answers (the tests feed recorded XML) ---- */

/*
 * The MetricDataResults of one GetMetricData page, added to m by Id
 * (the Ids of cw_query_id; others are ignored): points appended, status
 * replaced. *next_token (may be NULL) gets NextToken, malloc'd, or NULL on
 * the last page. 0, or -1 with what is wrong in why.
 */
int		 cw_parse_metric_data(xmlDoc *, struct cw_alb_metrics *m,
		    char **next_token, char *why, size_t len);
/*
 * After the last page: every asked series must have been answered
 * (-1 otherwise), and its points are put newest first.
 */
int		 cw_alb_metrics_finish(struct cw_alb_metrics *, char *why,
		    size_t len);
struct cw_alb_metrics	*cw_alb_metrics_new(const struct cw_alb_query *);
void		 cw_alb_metrics_free(struct cw_alb_metrics *);

/*
 * The alarms of a DescribeAlarms answer (MetricAlarms and
 * CompositeAlarms), in the answer's order. NULL, with what is wrong in
 * why, when the answer lacks what it must hold.
 */
struct cw_alarms	*cw_parse_alarms(xmlDoc *, char **next_token,
			    char *why, size_t len);
void			 cw_alarms_free(struct cw_alarms *);

#endif /* CLOUDWATCH_H */
