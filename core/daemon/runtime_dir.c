/* runtime_dir.c -- the private per-process directory of content-named plugin copies. */
#include "daemon/runtime_dir.h"

#include "base/err.h"
#include "base/log.h"
#include "plugin/plugin_lib.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNTIME_TEMPLATE "hookd-XXXXXX"

static char runtime_path[PATH_MAX];
static pid_t runtime_owner;

const char *hk_runtime_dir_path(void)
{
    return runtime_path[0] ? runtime_path : NULL;
}

void hk_runtime_dir_remove(void)
{
    if (!runtime_path[0] || getpid() != runtime_owner)
        return;
    DIR *d = opendir(runtime_path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d)
        closedir(d);
    rmdir(runtime_path);
    runtime_path[0] = 0;
}

static void remove_at_exit(void)
{
    hk_runtime_dir_remove();
}

int hk_runtime_dir_create(void)
{
    if (runtime_path[0])
        return 0;
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    int n = snprintf(runtime_path, sizeof runtime_path, "%s/" RUNTIME_TEMPLATE, base);
    if (n < 0 || (size_t)n >= sizeof runtime_path || !mkdtemp(runtime_path)) {
        int rc = n >= 0 && (size_t)n < sizeof runtime_path ? -errno : HK_ENAMETOOLONG;
        runtime_path[0] = 0;
        hk_log(HK_LOG_ERROR, "cannot create the runtime directory", HK_S("in", base),
               HK_S("error", hk_strerror(rc)),
               HK_S("fix", "set TMPDIR to a writable directory (plugin copies are kept there)"));
        return rc;
    }
    runtime_owner = getpid();
    atexit(remove_at_exit);
    hk_plugin_lib_set_runtime_dir(runtime_path);
    return 0;
}
