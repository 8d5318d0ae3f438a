/* mock_host.c -- a pretend hookd for plugin unit tests; see hookd/mock_host.h.
 * Installed as source and compiled into the plugin author's test, with their flags. */
#define _POSIX_C_SOURCE 200809L

#include <hookd/mock_host.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MOCK_LOG_MAX     8192  /* bytes of one captured line */
#define MOCK_DEADLINE_MS 30000 /* what hookd's default timeout_ms gives */
#define MOCK_SOURCE      "test"

enum conf_kind { CONF_STR, CONF_I64, CONF_BOOL, CONF_STRV };

struct conf_entry {
    char *key;
    enum conf_kind kind;
    char *str;
    int64_t i64;
    char **strv; /* NULL-terminated */
};

struct log_entry {
    hookd_log_level lvl;
    char *text;
};

struct metric {
    char *name;
    int64_t value;
};

struct hookd_ctx {
    hookd_mock *m;
};

struct hookd_mock {
    struct hookd_ctx ctx;
    char *name;
    pthread_mutex_t mu; /* guards logs and metrics */
    struct conf_entry *conf;
    size_t nconf;
    struct log_entry *logs;
    size_t nlogs;
    struct metric *metrics;
    size_t nmetrics;
    const hookd_plugin *plugin; /* non-NULL while started */
    void *state;
};

struct hookd_mock_event {
    hookd_event ev; /* first: event_header() finds the rest from &ev */
    char *id, *type, *body;
    char **names, **values;
    size_t nheaders;
};

static int64_t now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void capture(hookd_mock *m, hookd_log_level lvl, const char *text)
{
    pthread_mutex_lock(&m->mu);
    struct log_entry *v = realloc(m->logs, (m->nlogs + 1) * sizeof *v);
    char *copy = strdup(text);
    if (v)
        m->logs = v;
    if (v && copy)
        m->logs[m->nlogs++] = (struct log_entry){lvl, copy};
    else
        free(copy);
    pthread_mutex_unlock(&m->mu);
}

static void mock_log(hookd_ctx *ctx, hookd_log_level lvl, const char *fmt, ...)
{
    char text[MOCK_LOG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    capture(ctx->m, lvl, text);
}

static struct metric *metric_get(hookd_mock *m, const char *name)
{
    for (size_t i = 0; i < m->nmetrics; i++)
        if (strcmp(m->metrics[i].name, name) == 0)
            return &m->metrics[i];
    struct metric *v = realloc(m->metrics, (m->nmetrics + 1) * sizeof *v);
    if (!v)
        return NULL;
    m->metrics = v;
    v[m->nmetrics] = (struct metric){strdup(name), 0};
    return v[m->nmetrics].name ? &v[m->nmetrics++] : NULL;
}

static void mock_counter_add(hookd_ctx *ctx, const char *name, uint64_t delta)
{
    pthread_mutex_lock(&ctx->m->mu);
    struct metric *mt = metric_get(ctx->m, name);
    if (mt)
        mt->value += (int64_t)delta;
    pthread_mutex_unlock(&ctx->m->mu);
}

static void mock_gauge_set(hookd_ctx *ctx, const char *name, int64_t value)
{
    pthread_mutex_lock(&ctx->m->mu);
    struct metric *mt = metric_get(ctx->m, name);
    if (mt)
        mt->value = value;
    pthread_mutex_unlock(&ctx->m->mu);
}

static struct conf_entry *conf_find(const hookd_mock *m, const char *key)
{
    for (size_t i = 0; i < m->nconf; i++)
        if (strcmp(m->conf[i].key, key) == 0)
            return &m->conf[i];
    return NULL;
}

static const char *mock_conf_get(hookd_ctx *ctx, const char *key)
{
    struct conf_entry *e = conf_find(ctx->m, key);
    return e && e->kind == CONF_STR ? e->str : NULL;
}

static int mock_conf_get_i64(hookd_ctx *ctx, const char *key, int64_t *out)
{
    struct conf_entry *e = conf_find(ctx->m, key);
    if (!e)
        return -ENOENT;
    if (e->kind != CONF_I64)
        return -EINVAL;
    *out = e->i64;
    return 0;
}

static int mock_conf_get_bool(hookd_ctx *ctx, const char *key, int *out)
{
    struct conf_entry *e = conf_find(ctx->m, key);
    if (!e)
        return -ENOENT;
    if (e->kind != CONF_BOOL)
        return -EINVAL;
    *out = e->i64 != 0;
    return 0;
}

static int mock_conf_get_strv(hookd_ctx *ctx, const char *key, const char *const **out)
{
    struct conf_entry *e = conf_find(ctx->m, key);
    if (!e)
        return -ENOENT;
    if (e->kind != CONF_STRV)
        return -EINVAL;
    *out = (const char *const *)e->strv;
    return 0;
}

static const char *mock_event_header(const hookd_event *ev, const char *name, size_t *len)
{
    const hookd_mock_event *e = (const hookd_mock_event *)ev;
    if (strcasecmp(name, "authorization") == 0 || strcasecmp(name, "cookie") == 0 ||
        strcasecmp(name, "proxy-authorization") == 0)
        return NULL; /* hookd never keeps credential headers */
    for (size_t i = 0; i < e->nheaders; i++)
        if (strcasecmp(e->names[i], name) == 0) {
            if (len)
                *len = strlen(e->values[i]);
            return e->values[i];
        }
    return NULL;
}

static const char *mock_instance_name(hookd_ctx *ctx)
{
    return ctx->m->name;
}

static const hookd_host_api mock_api = {
    .abi_minor = HOOKD_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(hookd_host_api),
    .log = mock_log,
    .counter_add = mock_counter_add,
    .gauge_set = mock_gauge_set,
    .conf_get = mock_conf_get,
    .conf_get_i64 = mock_conf_get_i64,
    .conf_get_bool = mock_conf_get_bool,
    .conf_get_strv = mock_conf_get_strv,
    .event_header = mock_event_header,
    .instance_name = mock_instance_name,
};

const hookd_host_api *hookd_mock_api(void)
{
    return &mock_api;
}

hookd_ctx *hookd_mock_ctx(hookd_mock *m)
{
    return &m->ctx;
}

hookd_mock *hookd_mock_new(const char *instance_name)
{
    hookd_mock *m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(instance_name))) {
        free(m);
        return NULL;
    }
    m->ctx.m = m;
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void conf_clear(struct conf_entry *e)
{
    free(e->str);
    free_strv(e->strv);
    e->str = NULL;
    e->strv = NULL;
}

void hookd_mock_free(hookd_mock *m)
{
    if (!m)
        return;
    hookd_mock_stop(m);
    for (size_t i = 0; i < m->nconf; i++) {
        conf_clear(&m->conf[i]);
        free(m->conf[i].key);
    }
    for (size_t i = 0; i < m->nlogs; i++)
        free(m->logs[i].text);
    for (size_t i = 0; i < m->nmetrics; i++)
        free(m->metrics[i].name);
    free(m->conf);
    free(m->logs);
    free(m->metrics);
    pthread_mutex_destroy(&m->mu);
    free(m->name);
    free(m);
}

/* The entry for key, emptied for a new value; NULL when out of memory. */
static struct conf_entry *conf_slot(hookd_mock *m, const char *key, enum conf_kind kind)
{
    struct conf_entry *e = conf_find(m, key);
    if (!e) {
        struct conf_entry *v = realloc(m->conf, (m->nconf + 1) * sizeof *v);
        if (!v)
            return NULL;
        m->conf = v;
        e = &v[m->nconf];
        *e = (struct conf_entry){.key = strdup(key)};
        if (!e->key)
            return NULL;
        m->nconf++;
    }
    conf_clear(e);
    e->kind = kind;
    return e;
}

int hookd_mock_conf_set(hookd_mock *m, const char *key, const char *value)
{
    struct conf_entry *e = conf_slot(m, key, CONF_STR);
    return e && (e->str = strdup(value)) ? 0 : -ENOMEM;
}

int hookd_mock_conf_set_i64(hookd_mock *m, const char *key, int64_t value)
{
    struct conf_entry *e = conf_slot(m, key, CONF_I64);
    if (!e)
        return -ENOMEM;
    e->i64 = value;
    return 0;
}

int hookd_mock_conf_set_bool(hookd_mock *m, const char *key, int value)
{
    struct conf_entry *e = conf_slot(m, key, CONF_BOOL);
    if (!e)
        return -ENOMEM;
    e->i64 = value != 0;
    return 0;
}

int hookd_mock_conf_set_strv(hookd_mock *m, const char *key, const char *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    struct conf_entry *e = conf_slot(m, key, CONF_STRV);
    if (!e || !(e->strv = calloc(n + 1, sizeof *e->strv)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(e->strv[i] = strdup(list[i])))
            return -ENOMEM;
    return 0;
}

static int declared(const hookd_plugin *p, const char *key)
{
    for (size_t i = 0; p->conf_keys && p->conf_keys[i]; i++)
        if (strcmp(p->conf_keys[i], key) == 0)
            return 1;
    return 0;
}

/* -EINVAL, with a log line saying why, for what hookd would refuse before init(); else 0. */
static int refuse(hookd_mock *m, const hookd_plugin *p)
{
    char why[MOCK_LOG_MAX] = "";
    if (p->abi_major != HOOKD_PLUGIN_ABI_MAJOR || p->abi_minor > HOOKD_PLUGIN_ABI_MINOR)
        snprintf(why, sizeof why, "mock: plugin built for ABI %u.%u, host is %u.%u", p->abi_major,
                 p->abi_minor, HOOKD_PLUGIN_ABI_MAJOR, HOOKD_PLUGIN_ABI_MINOR);
    else if (!p->name || !p->version || !p->handle || !p->subscribe || !p->subscribe[0])
        snprintf(why, sizeof why, "mock: descriptor lacks name, version, handle or subscribe");
    for (size_t i = 0; !why[0] && i < m->nconf; i++)
        if (!declared(p, m->conf[i].key))
            snprintf(why, sizeof why, "mock: config key \"%s\" is not in the plugin's conf_keys",
                     m->conf[i].key);
    if (why[0])
        capture(m, HOOKD_LOG_ERROR, why);
    return why[0] ? -EINVAL : 0;
}

int hookd_mock_start(hookd_mock *m, const hookd_plugin *p)
{
    int rc = refuse(m, p);
    if (rc)
        return rc;
    m->state = NULL;
    rc = p->init ? p->init(&m->ctx, &mock_api, &m->state) : 0;
    if (rc == 0)
        m->plugin = p;
    return rc;
}

hookd_result hookd_mock_handle(hookd_mock *m, const hookd_event *ev)
{
    if (!m->plugin) {
        capture(m, HOOKD_LOG_ERROR, "mock: handle() before a successful hookd_mock_start()");
        return HOOKD_PERMANENT;
    }
    return m->plugin->handle(m->state, &m->ctx, ev);
}

void hookd_mock_stop(hookd_mock *m)
{
    if (m->plugin && m->plugin->fini)
        m->plugin->fini(m->state);
    m->plugin = NULL;
    m->state = NULL;
}

hookd_mock_event *hookd_mock_event_new(const char *id, const char *type, const char *body)
{
    hookd_mock_event *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->id = strdup(id);
    e->type = strdup(type);
    e->body = strdup(body ? body : "");
    if (!e->id || !e->type || !e->body) {
        hookd_mock_event_free(e);
        return NULL;
    }
    int64_t now = now_ms(CLOCK_REALTIME);
    e->ev = (hookd_event){.struct_size = sizeof(hookd_event),
                          .attempt = 1,
                          .id = e->id,
                          .type = e->type,
                          .source = MOCK_SOURCE,
                          .created_ms = now,
                          .received_ms = now,
                          .deadline_ms = now_ms(CLOCK_MONOTONIC) + MOCK_DEADLINE_MS,
                          .body = (const uint8_t *)e->body,
                          .body_len = strlen(e->body)};
    return e;
}

int hookd_mock_event_header(hookd_mock_event *e, const char *name, const char *value)
{
    char **n = realloc(e->names, (e->nheaders + 1) * sizeof *n);
    if (n)
        e->names = n;
    char **v = realloc(e->values, (e->nheaders + 1) * sizeof *v);
    if (v)
        e->values = v;
    if (!n || !v)
        return -ENOMEM;
    e->names[e->nheaders] = strdup(name);
    e->values[e->nheaders] = strdup(value);
    if (!e->names[e->nheaders] || !e->values[e->nheaders]) {
        free(e->names[e->nheaders]);
        free(e->values[e->nheaders]);
        return -ENOMEM;
    }
    e->nheaders++;
    return 0;
}

hookd_event *hookd_mock_event_get(hookd_mock_event *e)
{
    return &e->ev;
}

void hookd_mock_event_free(hookd_mock_event *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nheaders; i++) {
        free(e->names[i]);
        free(e->values[i]);
    }
    free(e->names);
    free(e->values);
    free(e->id);
    free(e->type);
    free(e->body);
    free(e);
}

size_t hookd_mock_log_count(hookd_mock *m)
{
    pthread_mutex_lock(&m->mu);
    size_t n = m->nlogs;
    pthread_mutex_unlock(&m->mu);
    return n;
}

const char *hookd_mock_log_line(hookd_mock *m, size_t i, hookd_log_level *lvl)
{
    const char *text = NULL;
    pthread_mutex_lock(&m->mu);
    if (i < m->nlogs) {
        text = m->logs[i].text;
        if (lvl)
            *lvl = m->logs[i].lvl;
    }
    pthread_mutex_unlock(&m->mu);
    return text;
}

const char *hookd_mock_log_find(hookd_mock *m, const char *needle)
{
    const char *found = NULL;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; !found && i < m->nlogs; i++)
        if (strstr(m->logs[i].text, needle))
            found = m->logs[i].text;
    pthread_mutex_unlock(&m->mu);
    return found;
}

int64_t hookd_mock_metric(hookd_mock *m, const char *name)
{
    int64_t v = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nmetrics; i++)
        if (strcmp(m->metrics[i].name, name) == 0)
            v = m->metrics[i].value;
    pthread_mutex_unlock(&m->mu);
    return v;
}
