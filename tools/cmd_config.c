/* mitsu check-config: validates a configuration file the way the application would load it. */
#include <stdio.h>

#include "commands.h"
#include "web/config.h"

int cmd_check_config(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mitsu check-config FILE\n");
        return TOOL_USAGE;
    }
    int rc = config_check(argv[1], stderr);
    if (rc == 0)
        printf("%s: ok\n", argv[1]);
    return rc;
}
