/* egca envelope: placeholder until its implementation lands. */
#include <stdio.h>

#include "cli/cli.h"

int
cmd_envelope(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("egca envelope: not built yet\n", stderr);
	return EGCA_ERR_USAGE;
}
