/* hearth-bus: placeholder entry point until its component lands. */
#include <stdio.h>
#include <string.h>

#include "hc_base.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("hearth-bus %s\n", HEARTH_VERSION);
        return 0;
    }
    fprintf(stderr, "hearth-bus: not built yet in this version of hearth\n");
    return 2;
}
