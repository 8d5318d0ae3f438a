/* exec.c -- the exec plugin: runs a command for every event.
 *
 * The body goes to the command's stdin; HOOKD_EVENT_ID, HOOKD_EVENT_TYPE, HOOKD_SOURCE and
 * HOOKD_ATTEMPT describe the event. Exit status 0 is OK, 75 (EX_TEMPFAIL) is RETRY, anything
 * else PERMANENT; a command still running at its timeout (config "timeout_ms", never beyond
 * the event's deadline) has its process group killed and the event is retried. Settings are
 * in conf.c, the process handling in run.c. */
#define _GNU_SOURCE

#include "conf.h"
#include "run.h"

#include <errno.h>
#include <hookd/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define EX_TEMPFAIL_STATUS 75 /* sysexits.h: "try again later" */
#define EVENT_ENV_COUNT    4

struct exec_state {
    const hookd_host_api *api;
    struct hkexec_conf conf;
};

static int exec_init(hookd_ctx *ctx, const hookd_host_api *api, void **state)
{
    struct exec_state *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->api = api;
    int rc = hkexec_conf_read(&st->conf, ctx, api);
    if (rc) {
        free(st);
        return rc;
    }
    *state = st;
    return 0;
}

static void exec_fini(void *state)
{
    struct exec_state *st = state;
    hkexec_conf_free(&st->conf);
    free(st);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *env_entry(const char *name, const char *value)
{
    size_t n = strlen(name), m = strlen(value);
    char *s = malloc(n + m + 2);
    if (s) {
        memcpy(s, name, n);
        s[n] = '=';
        memcpy(s + n + 1, value, m + 1);
    }
    return s;
}

/* The configured environment plus the event's HOOKD_* variables: malloc'd, NULL-terminated;
 * the first nenv strings are borrowed from the conf, the last EVENT_ENV_COUNT owned. NULL
 * when out of memory. */
static char **event_env(const struct hkexec_conf *c, const hookd_event *ev)
{
    char attempt[16];
    char **env = calloc(c->nenv + EVENT_ENV_COUNT + 1, sizeof *env);
    if (!env)
        return NULL;
    memcpy(env, c->env, c->nenv * sizeof *env);
    char **own = env + c->nenv;
    snprintf(attempt, sizeof attempt, "%u", ev->attempt);
    own[0] = env_entry("HOOKD_EVENT_ID", ev->id);
    own[1] = env_entry("HOOKD_EVENT_TYPE", ev->type);
    own[2] = env_entry("HOOKD_SOURCE", ev->source);
    own[3] = env_entry("HOOKD_ATTEMPT", attempt);
    for (size_t i = 0; i < EVENT_ENV_COUNT; i++)
        if (!own[i]) {
            for (size_t j = 0; j < EVENT_ENV_COUNT; j++)
                free(own[j]);
            free(env);
            return NULL;
        }
    return env;
}

static void event_env_free(const struct hkexec_conf *c, char **env)
{
    for (size_t i = 0; i < EVENT_ENV_COUNT; i++)
        free(env[c->nenv + i]);
    free(env);
}

static hookd_result spawn_failed(const struct exec_state *st, hookd_ctx *ctx, const hookd_event *ev,
                                 int rc)
{
    bool transient = rc == -EAGAIN || rc == -ENOMEM || rc == -EMFILE || rc == -ENFILE;
    st->api->log(ctx, HOOKD_LOG_ERROR, "event %s: cannot run %s: %s%s", ev->id, st->conf.argv[0],
                 strerror(-rc), transient ? ": out of resources, will retry" : "");
    return transient ? HOOKD_RETRY : HOOKD_PERMANENT;
}

/* Turns how the command ended into a result, and says so in the log with its output. */
static hookd_result judge(const struct exec_state *st, hookd_ctx *ctx, const hookd_event *ev,
                          const struct hkexec_outcome *o, int64_t timeout_ms)
{
    const char *cmd = st->conf.argv[0];
    int out_len = (int)o->output_len;
    char more[48] = "";
    if (o->output_dropped)
        snprintf(more, sizeof more, " (and %zu more bytes)", o->output_dropped);
    if (o->timed_out) {
        st->api->log(ctx, HOOKD_LOG_ERROR,
                     "event %s: %s still ran after %lld ms: its process group was killed, will "
                     "retry; output: %.*s%s",
                     ev->id, cmd, (long long)timeout_ms, out_len, o->output, more);
        st->api->counter_add(ctx, "exec_timeouts", 1);
        return HOOKD_RETRY;
    }
    if (o->status >= 0 && WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0) {
        st->api->log(ctx, HOOKD_LOG_DEBUG, "event %s: %s succeeded; output: %.*s%s", ev->id, cmd,
                     out_len, o->output, more);
        return HOOKD_OK;
    }
    if (o->status >= 0 && WIFEXITED(o->status)) {
        int code = WEXITSTATUS(o->status);
        st->api->log(ctx, code == EX_TEMPFAIL_STATUS ? HOOKD_LOG_WARN : HOOKD_LOG_ERROR,
                     "event %s: %s exited with status %d (%s); output: %.*s%s", ev->id, cmd, code,
                     code == EX_TEMPFAIL_STATUS ? "EX_TEMPFAIL: will retry" : "failed for good",
                     out_len, o->output, more);
        return code == EX_TEMPFAIL_STATUS ? HOOKD_RETRY : HOOKD_PERMANENT;
    }
    st->api->log(ctx, HOOKD_LOG_ERROR, "event %s: %s %s%s; output: %.*s%s", ev->id, cmd,
                 o->status < 0 ? "ended, but its status was collected elsewhere" : "was killed by ",
                 o->status < 0 ? "" : strsignal(WTERMSIG(o->status)), out_len, o->output, more);
    return HOOKD_PERMANENT;
}

static hookd_result exec_handle(void *state, hookd_ctx *ctx, const hookd_event *ev)
{
    const struct exec_state *st = state;
    int64_t left = ev->deadline_ms - now_ms();
    if (left <= 0)
        return HOOKD_RETRY; /* too late to start: hookd delivers it again */
    struct hkexec_job job = {.argv = st->conf.argv,
                             .cwd = st->conf.cwd,
                             .input = ev->body,
                             .input_len = ev->body_len,
                             .timeout_ms = left < st->conf.timeout_ms ? left : st->conf.timeout_ms};
    char **env = event_env(&st->conf, ev);
    struct hkexec_outcome *o = malloc(sizeof *o);
    if (!env || !o) {
        st->api->log(ctx, HOOKD_LOG_ERROR, "event %s: out of memory, will retry", ev->id);
        free(o);
        if (env)
            event_env_free(&st->conf, env);
        return HOOKD_RETRY;
    }
    job.envp = env;
    int rc = hkexec_run(&job, o);
    hookd_result r = rc ? spawn_failed(st, ctx, ev, rc) : judge(st, ctx, ev, o, job.timeout_ms);
    st->api->counter_add(ctx,
                         r == HOOKD_OK      ? "exec_ok"
                         : r == HOOKD_RETRY ? "exec_retry"
                                            : "exec_permanent",
                         1);
    event_env_free(&st->conf, env);
    free(o);
    return r;
}

static const char *const exec_subscribe[] = {"*", NULL};
static const char *const exec_conf_keys[] = {"command", "shell", "env", "cwd", "timeout_ms", NULL};

HOOKD_PLUGIN_DEFINE(.name = "exec", .version = "1.0", .subscribe = exec_subscribe,
                    .conf_keys = exec_conf_keys, .init = exec_init, .handle = exec_handle,
                    .fini = exec_fini);
