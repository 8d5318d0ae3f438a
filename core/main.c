/* main.c -- hookd's command line. */
#include "version.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("hookd %s\n", HOOKD_VERSION);
        return 0;
    }
    return 1;
}
