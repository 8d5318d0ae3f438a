/* conf.c -- the exec plugin's settings.
 *
 * The command never inherits hookd's environment, which may hold webhook secrets: it gets
 * PATH (hookd's, or a default), HOME, LANG, LC_ALL, TZ and TMPDIR when hookd has them, then
 * the config's "env" entries, then the HOOKD_* variables of each event. */
#define _GNU_SOURCE

#include "conf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH   "/usr/local/bin:/usr/bin:/bin"
#define SHELL          "/bin/sh"
#define TIMEOUT_MAX_MS 86400000
#define ENV_MAX        256

static const char *const inherited[] = {"HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", NULL};

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void hkexec_conf_free(struct hkexec_conf *c)
{
    free_strv(c->argv);
    free_strv(c->env);
    free(c->cwd);
    memset(c, 0, sizeof *c);
}

/* Sets NAME=value in c->env (len is NAME's length), replacing an earlier NAME. */
static int env_set(struct hkexec_conf *c, const char *entry, size_t len)
{
    char *copy = strdup(entry);
    if (!copy)
        return -ENOMEM;
    for (size_t i = 0; i < c->nenv; i++)
        if (strncmp(c->env[i], entry, len + 1) == 0) {
            free(c->env[i]);
            c->env[i] = copy;
            return 0;
        }
    if (c->nenv == ENV_MAX) {
        free(copy);
        return -E2BIG;
    }
    c->env[c->nenv++] = copy;
    return 0;
}

static int env_inherit(struct hkexec_conf *c)
{
    char buf[4096];
    const char *path = getenv("PATH");
    snprintf(buf, sizeof buf, "PATH=%s", path && *path ? path : DEFAULT_PATH);
    int rc = env_set(c, buf, 4);
    for (size_t i = 0; !rc && inherited[i]; i++) {
        const char *v = getenv(inherited[i]);
        if (!v)
            continue;
        snprintf(buf, sizeof buf, "%s=%s", inherited[i], v);
        rc = env_set(c, buf, strlen(inherited[i]));
    }
    return rc;
}

/* Length of NAME in "NAME=value" when NAME is a valid variable name, else 0. */
static size_t env_name_len(const char *entry)
{
    size_t n = strspn(entry, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    return n && entry[n] == '=' && !(entry[0] >= '0' && entry[0] <= '9') ? n : 0;
}

static int env_from_config(struct hkexec_conf *c, hookd_ctx *ctx, const hookd_host_api *api)
{
    const char *const *list = NULL;
    int rc = api->conf_get_strv(ctx, "env", &list);
    if (rc == -ENOENT)
        return 0;
    if (rc) {
        api->log(ctx, HOOKD_LOG_ERROR,
                 "config.env is not an array of strings: write it as [\"NAME=value\", ...]");
        return rc;
    }
    for (size_t i = 0; !rc && list[i]; i++) {
        size_t len = env_name_len(list[i]);
        if (!len || strncmp(list[i], "HOOKD_", 6) == 0) {
            api->log(ctx, HOOKD_LOG_ERROR,
                     "config.env[%zu] \"%s\" is not NAME=value with a name of letters, digits "
                     "and '_' (HOOKD_* names are set by the plugin): fix or remove it",
                     i, list[i]);
            return -EINVAL;
        }
        rc = env_set(c, list[i], len);
    }
    return rc;
}

static bool is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The value of NAME in c->env, or NULL. */
static const char *env_get(const struct hkexec_conf *c, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < c->nenv; i++)
        if (strncmp(c->env[i], name, len) == 0 && c->env[i][len] == '=')
            return c->env[i] + len + 1;
    return NULL;
}

/* The absolute path of program: itself when absolute, else found in the command's PATH. */
static char *resolve(const struct hkexec_conf *c, const char *program)
{
    if (program[0] == '/')
        return is_executable(program) ? strdup(program) : NULL;
    if (strchr(program, '/') || !program[0])
        return NULL;
    const char *path = env_get(c, "PATH");
    char candidate[4096];
    for (const char *dir = path; dir && *dir;) {
        size_t n = strcspn(dir, ":");
        snprintf(candidate, sizeof candidate, "%.*s/%s", (int)n, n ? dir : ".", program);
        if (n && is_executable(candidate))
            return strdup(candidate);
        dir += n + (dir[n] == ':');
    }
    return NULL;
}

static char **strv_dup(const char *const *v, size_t n)
{
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = strdup(v[i]))) {
            free_strv(out);
            return NULL;
        }
    return out;
}

/* argv from "command" (run as is) or "shell" (run with /bin/sh -c), exactly one of them. */
static int read_argv(struct hkexec_conf *c, hookd_ctx *ctx, const hookd_host_api *api)
{
    const char *const *cmd = NULL;
    const char *script = api->conf_get(ctx, "shell");
    int rc = api->conf_get_strv(ctx, "command", &cmd);
    if (rc == 0 && script) {
        api->log(ctx, HOOKD_LOG_ERROR,
                 "config has both \"command\" and \"shell\": keep one (\"command\" runs "
                 "without a shell)");
        return -EINVAL;
    }
    if (rc == 0 && cmd[0]) {
        size_t n = 0;
        while (cmd[n])
            n++;
        c->argv = strv_dup(cmd, n);
    } else if (rc == -ENOENT && script) {
        const char *sh[] = {SHELL, "-c", script, "hookd-exec"};
        c->argv = strv_dup(sh, 4);
    } else {
        api->log(ctx, HOOKD_LOG_ERROR,
                 "config.command must be a non-empty array of strings (the program and its "
                 "arguments, run without a shell), or give config.shell (a script for "
                 "/bin/sh -c)");
        return -EINVAL;
    }
    return c->argv ? 0 : -ENOMEM;
}

static int resolve_program(struct hkexec_conf *c, hookd_ctx *ctx, const hookd_host_api *api)
{
    char *abs = resolve(c, c->argv[0]);
    if (!abs) {
        api->log(ctx, HOOKD_LOG_ERROR,
                 "config.command[0] \"%s\" is not an executable file%s: install it, or give "
                 "its absolute path",
                 c->argv[0], strchr(c->argv[0], '/') ? "" : " in the command's PATH");
        return -ENOENT;
    }
    free(c->argv[0]);
    c->argv[0] = abs;
    return 0;
}

static int read_cwd_timeout(struct hkexec_conf *c, hookd_ctx *ctx, const hookd_host_api *api)
{
    struct stat st;
    const char *cwd = api->conf_get(ctx, "cwd");
    c->timeout_ms = HKEXEC_TIMEOUT_DEFAULT_MS;
    int rc = api->conf_get_i64(ctx, "timeout_ms", &c->timeout_ms);
    if (rc == -EINVAL || c->timeout_ms < 1 || c->timeout_ms > TIMEOUT_MAX_MS) {
        api->log(ctx, HOOKD_LOG_ERROR,
                 "config.timeout_ms must be an integer from 1 to %d (milliseconds)",
                 TIMEOUT_MAX_MS);
        return -EINVAL;
    }
    if (cwd && (cwd[0] != '/' || stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode))) {
        api->log(ctx, HOOKD_LOG_ERROR,
                 "config.cwd \"%s\" is not an existing directory given by its absolute path: "
                 "create it or fix the path",
                 cwd);
        return -EINVAL;
    }
    if (cwd && !(c->cwd = strdup(cwd)))
        return -ENOMEM;
    return 0;
}

int hkexec_conf_read(struct hkexec_conf *c, hookd_ctx *ctx, const hookd_host_api *api)
{
    memset(c, 0, sizeof *c);
    c->env = calloc(ENV_MAX + 1, sizeof *c->env);
    int rc = c->env ? env_inherit(c) : -ENOMEM;
    if (!rc)
        rc = env_from_config(c, ctx, api);
    if (!rc)
        rc = read_argv(c, ctx, api);
    if (!rc)
        rc = resolve_program(c, ctx, api);
    if (!rc)
        rc = read_cwd_timeout(c, ctx, api);
    if (rc == -ENOMEM || rc == -E2BIG)
        api->log(ctx, HOOKD_LOG_ERROR, "cannot prepare the command's environment: %s",
                 strerror(-rc));
    if (rc)
        hkexec_conf_free(c);
    return rc;
}
