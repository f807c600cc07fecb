/*
 * api: what every remote API client in lib/ (the AWS services' and
 * DigitalOcean's) hands its callbacks when a call fails: one error
 * struct, valid only during the callback, and the one way to fill it.
 * It knows nothing of any service, its signing or its wire protocol.
 */
#ifndef API_H
#define API_H

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

#endif /* API_H */
