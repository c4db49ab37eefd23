/* egca subscriber: placeholder until its implementation lands. */
#include <stdio.h>

#include "cli/cli.h"

int
cmd_subscriber(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("egca subscriber: not built yet\n", stderr);
	return EGCA_ERR_USAGE;
}
