/* egca point: placeholder until its implementation lands. */
#include <stdio.h>

#include "cli/cli.h"

int
cmd_point(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("egca point: not built yet\n", stderr);
	return EGCA_ERR_USAGE;
}
