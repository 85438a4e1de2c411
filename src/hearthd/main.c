/* hearthd: placeholder entry point until its component lands. */
#include <stdio.h>
#include <string.h>

#include "hc_base.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("hearthd %s\n", HEARTH_VERSION);
        return 0;
    }
    fprintf(stderr, "hearthd: not built yet in this version of hearth\n");
    return 2;
}
