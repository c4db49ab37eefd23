/* egca operator: placeholder until its implementation lands. */
#include <stdio.h>

#include "cli/cli.h"

int
cmd_operator(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("egca operator: not built yet\n", stderr);
	return EGCA_ERR_USAGE;
}
