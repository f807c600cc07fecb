/*
 * driver: the table of phase drivers, one row per phase that has work to
 * do. Adding a phase is its file and its row here.
 */
#include <stddef.h>

#include "driver.h"

const struct phase_driver *const driver_table[] = {
	&preflight_driver,
	&seed_driver,
	&repl_driver,
	&shadow_driver,
	&shift_driver,
	&ready_driver,
	&cutover_driver,
	&full_driver,
	&soak_driver,
	&decom_driver,
	&paused_driver,
	&rollback_driver,
	NULL,
};

const struct phase_driver *
driver_of(enum phase ph)
{
	size_t	i;

	for (i = 0; driver_table[i] != NULL; i++)
		if (driver_table[i]->phase == ph)
			return driver_table[i];
	return NULL;
}
