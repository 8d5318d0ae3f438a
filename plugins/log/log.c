/* log.c -- the log plugin: appends every event as one JSON line to a file or stdout.
 *
 * Settings ("config" of the instance file):
 *   "path"   the file to append to, or "-" for hookd's standard output. Give an absolute
 *            path: a relative one is relative to hookd's working directory (the plugin does
 *            not know the configuration directory), and init() warns about it.
 *   "fsync"  true to fsync() after every line (durable, slower); default false.
 * The file is reopened at the next event after SIGUSR1 (see reopen.h), for logrotate. A
 * failed write returns HOOKD_RETRY: the event comes again, so a line may be written twice
 * (or after a partial line): readers deduplicate on "id". */
#define _POSIX_C_SOURCE 200809L

#include "line.h"
#include "reopen.h"

#include <errno.h>
#include <fcntl.h>
#include <hookd/plugin.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_FILE_MODE 0640

struct log_state {
    hookd_ctx *ctx;            /* for logging from fini() */
    const hookd_host_api *api; /* process lifetime */
    char *path;                /* owned; NULL for standard output */
    bool fsync;
    pthread_mutex_t mu; /* serialises writes and reopening: handle() may run concurrently */
    int fd;             /* guarded by mu */
    unsigned opened_at; /* reopen generation of fd; guarded by mu */
};

static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, LOG_FILE_MODE);
}

static int read_config(struct log_state *st, hookd_ctx *ctx, const hookd_host_api *api)
{
    const char *path = api->conf_get(ctx, "path");
    int on = 0, rc = api->conf_get_bool(ctx, "fsync", &on);
    if (!path) {
        api->log(ctx, HOOKD_LOG_ERROR,
                 "config.path is missing or not a string: set it to an absolute file path, or "
                 "\"-\" for standard output");
        return -EINVAL;
    }
    if (rc == -EINVAL) {
        api->log(ctx, HOOKD_LOG_ERROR, "config.fsync is not a boolean: set it to true or false");
        return -EINVAL;
    }
    st->fsync = on;
    if (strcmp(path, "-") == 0)
        return 0;
    if (path[0] != '/')
        api->log(ctx, HOOKD_LOG_WARN,
                 "config.path \"%s\" is relative: it is opened relative to hookd's working "
                 "directory: give an absolute path",
                 path);
    st->path = strdup(path);
    return st->path ? 0 : -ENOMEM;
}

static int log_init(hookd_ctx *ctx, const hookd_host_api *api, void **state)
{
    struct log_state *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->ctx = ctx;
    st->api = api;
    st->fd = STDOUT_FILENO;
    int rc = read_config(st, ctx, api);
    if (rc)
        goto err_free;
    rc = hklog_reopen_install();
    if (rc) {
        api->log(ctx, HOOKD_LOG_ERROR, "cannot handle SIGUSR1: %s", strerror(-rc));
        goto err_free;
    }
    st->opened_at = hklog_reopen_generation();
    if (st->path && (st->fd = open_file(st->path)) < 0) {
        rc = -errno;
        api->log(ctx, HOOKD_LOG_ERROR,
                 "cannot open %s: %s: create its directory and let hookd's user write there",
                 st->path, strerror(errno));
        goto err_free;
    }
    pthread_mutex_init(&st->mu, NULL);
    *state = st;
    return 0;

err_free:
    free(st->path);
    free(st);
    return rc;
}

/* After SIGUSR1, opens the file again (logrotate moved it); mu held. On failure keeps
 * writing to the old file and tries again at the next event. */
static void maybe_reopen(struct log_state *st)
{
    unsigned gen = hklog_reopen_generation();
    if (!st->path || gen == st->opened_at)
        return;
    int fd = open_file(st->path);
    if (fd < 0) {
        st->api->log(st->ctx, HOOKD_LOG_ERROR,
                     "cannot reopen %s after SIGUSR1: %s: still writing to the previous file",
                     st->path, strerror(errno));
        return;
    }
    close(st->fd);
    st->fd = fd;
    st->opened_at = gen;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static hookd_result log_handle(void *state, hookd_ctx *ctx, const hookd_event *ev)
{
    struct log_state *st = state;
    size_t len;
    char *line = hklog_line(ev, &len);
    if (!line) {
        st->api->log(ctx, HOOKD_LOG_ERROR, "out of memory formatting event %s", ev->id);
        return HOOKD_RETRY;
    }
    pthread_mutex_lock(&st->mu);
    maybe_reopen(st);
    int rc = write_all(st->fd, line, len);
    if (!rc && st->fsync && st->path && fsync(st->fd) < 0)
        rc = -errno;
    pthread_mutex_unlock(&st->mu);
    free(line);
    if (rc) {
        st->api->log(ctx, HOOKD_LOG_ERROR, "cannot write event %s to %s: %s: will retry", ev->id,
                     st->path ? st->path : "standard output", strerror(-rc));
        st->api->counter_add(ctx, "log_write_errors", 1);
        return HOOKD_RETRY;
    }
    st->api->counter_add(ctx, "log_lines", 1);
    return HOOKD_OK;
}

static void log_fini(void *state)
{
    struct log_state *st = state;
    if (st->path)
        close(st->fd);
    pthread_mutex_destroy(&st->mu);
    free(st->path);
    free(st);
}

static const char *const log_subscribe[] = {"*", NULL};
static const char *const log_conf_keys[] = {"path", "fsync", NULL};

HOOKD_PLUGIN_DEFINE(.flags = HOOKD_PLUGIN_NO_UNLOAD, .name = "log", .version = "1.0",
                    .subscribe = log_subscribe, .conf_keys = log_conf_keys, .init = log_init,
                    .handle = log_handle, .fini = log_fini);
