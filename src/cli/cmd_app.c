/* egca app: placeholder until its implementation lands. */
#include <stdio.h>

#include "cli/cli.h"

int
cmd_app(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("egca app: not built yet\n", stderr);
	return EGCA_ERR_USAGE;
}
