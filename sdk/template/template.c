/* template.c -- a copy-me hookd plugin: logs every CASE_* event it is given.
 *
 * Settings ("config" of its plugins.d file):
 *   "prefix"  a word put before every log line (default "event"), at most 32 characters.
 *
 * Everything hookd needs to know is in the descriptor at the bottom: the name, what it
 * subscribes to, the config keys it accepts. hookd checks it before calling init(). */
#define _POSIX_C_SOURCE 200809L

#include <hookd/plugin.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX_MAX 32

/* What init() prepares for handle(); read-only afterwards, so handle() may run on several
 * threads at once without a lock. */
struct template_state {
    const hookd_host_api *api;
    char prefix[PREFIX_MAX + 1];
};

static int template_init(hookd_ctx *ctx, const hookd_host_api *api, void **state)
{
    const char *prefix = api->conf_get(ctx, "prefix");
    if (prefix && strlen(prefix) > PREFIX_MAX) {
        /* the last error logged before a failing init() is what the operator sees */
        api->log(ctx, HOOKD_LOG_ERROR, "config.prefix is longer than %d characters: shorten it",
                 PREFIX_MAX);
        return -EINVAL;
    }
    struct template_state *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->api = api;
    strcpy(st->prefix, prefix ? prefix : "event");
    *state = st;
    return 0;
}

static hookd_result template_handle(void *state, hookd_ctx *ctx, const hookd_event *ev)
{
    const struct template_state *st = state;
    if (ev->body_len == 0) {
        st->api->log(ctx, HOOKD_LOG_WARN, "event %s has no body: nothing to do, ever", ev->id);
        return HOOKD_PERMANENT; /* kept as a dead letter, not retried */
    }
    /* ev and everything it points to is valid only until we return: copy what you keep */
    st->api->log(ctx, HOOKD_LOG_INFO, "%s %s %s (attempt %u)", st->prefix, ev->type, ev->id,
                 ev->attempt);
    st->api->counter_add(ctx, "template_events", 1);
    return HOOKD_OK;
}

static void template_fini(void *state)
{
    free(state);
}

static const char *const template_subscribe[] = {"CASE_*", NULL};
static const char *const template_conf_keys[] = {"prefix", NULL};

HOOKD_PLUGIN_DEFINE(.name = "template", .version = "0.1", .subscribe = template_subscribe,
                    .conf_keys = template_conf_keys, .init = template_init,
                    .handle = template_handle, .fini = template_fini);
