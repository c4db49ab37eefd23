/* egca loss: placeholder until its implementation lands. */
#include <stdio.h>

#include "cli/cli.h"

int
cmd_loss(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("egca loss: not built yet\n", stderr);
	return EGCA_ERR_USAGE;
}
