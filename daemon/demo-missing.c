#include "cli.h"
#include "log.h"

int lw_demo_main(int argc, char **argv)
{
	lw_error("this build has no demo pages");
	return 1;
}
