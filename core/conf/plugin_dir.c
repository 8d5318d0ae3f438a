/* plugin_dir.c -- the default plugin directory, found from the executable's own path. */
#include "conf/plugin_dir.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *hk_default_plugin_dir(void)
{
    /* Relative to the directory above the executable's: the installed layout, then the
     * build tree's. */
    static const char *const beside[] = {HOOKD_INSTALL_PLUGIN_SUBDIR, "plugins"};
    char exe[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0; /* the executable's directory */
        for (size_t i = 0; slash && i < sizeof beside / sizeof beside[0]; i++) {
            snprintf(path, sizeof path, "%s/../%s", exe, beside[i]);
            char *real = realpath(path, NULL);
            if (real && is_dir(real))
                return real;
            free(real);
        }
    }
    return strdup(HOOKD_DEFAULT_PLUGIN_DIR);
}
