/*
 * config: the daemon's own configuration file (INI, default
 * /etc/migrated/migrated.conf): where the control socket and the state file
 * live, who may use the socket, where plans are kept, how much to log, and
 * how the AWS APIs are reached ([aws]).
 * Plans themselves are read by state/plan.c.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include "conf.h"

#define CONFIG_SOCKET		"/run/migrated/migrated.sock"
#define CONFIG_SOCKET_MODE	0660
#define CONFIG_STATE_DB		"/var/lib/migrated/state.db"
#define CONFIG_PLAN_DIR		"/etc/migrated/plans"
#define CONFIG_MAX_CLIENTS	1024

/* The endpoint_* keys of [aws]. */
enum config_ep {
	CONFIG_EP_ELBV2,
	CONFIG_EP_ECS,
	CONFIG_EP_MONITORING,
	CONFIG_EP_STS,
	CONFIG_EP_ROUTE53,
	CONFIG_EP__COUNT
};

/* Their services, as lib/aws names them: "elasticloadbalancing"... */
extern const char *const config_ep_service[CONFIG_EP__COUNT];

struct config {
	char	*file;		/* file read; NULL: built-in defaults */
	char	*socket;	/* control socket path */
	int	 socket_mode;	/* permission bits of the socket, 0660 */
	char	*socket_group;	/* group owning the socket, or NULL */
	char	*state_db;	/* SQLite state file */
	char	*plan_dir;	/* plans checked by `migrated -t` */
	int	 log_level;	/* enum log_level, info */
	int	 max_clients;	/* control connections at once, 1024 */

	/* [digitalocean] */
	char	*do_endpoint;		/* NULL: DigitalOcean's own API */

	/* [metrics] */
	char	*metrics_listen;	/* "127.0.0.1:9464"; NULL: none */

	/* [aws] */
	char	*aws_region;	/* NULL: each plan's traffic.region */
	char	*aws_profile;	/* NULL: $AWS_PROFILE, else "default" */
	char	*aws_ca_file;	/* NULL: the system's CA store */
	char	*aws_endpoint[CONFIG_EP__COUNT];	/* NULL: AWS's own */
};

/*
 * Read the config at path. A file that does not exist gives the defaults
 * when !must_exist. Returns NULL and fills errs ("file:line: message") when
 * anything is wrong. Relative paths are taken from the file's directory.
 */
struct config	*config_load(const char *path, int must_exist,
		    struct conf_errors *errs);
/* The built-in defaults; NULL only when out of memory. */
struct config	*config_defaults(void);
void		 config_free(struct config *);
/*
 * Split "127.0.0.1:9464" or "[::1]:9464" into host and port: 0 when it is
 * a loopback address with a port, -1 otherwise.
 */
int		 config_split_addr(const char *, char *host, size_t len,
		    int *port);
/* Do two configs reach AWS the same way (every [aws] key)? */
int		 config_aws_equal(const struct config *, const struct config *);
/* Move from's [aws] settings into to (to's go to from, to be freed). */
void		 config_aws_keep(struct config *to, struct config *from);

#endif
