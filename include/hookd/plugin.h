/* hookd/plugin.h -- the plugin ABI of the hookd webhook router (C11; C++ compatible).
 *
 * This is the only header a plugin includes. A plugin is a shared object that exports one
 * object, hookd_plugin_v1, describing itself; hookd validates that descriptor before it runs
 * any plugin code, then creates one instance per enabled configuration file
 * (plugins.d/NAME.json) with init(), hands it events with handle(), and ends it with fini().
 *
 * Versioning: MAJOR changes on any removal, reordering or change of meaning; hookd refuses a
 * plugin whose major differs from its own. MINOR changes on append-only additions; hookd
 * refuses a plugin built against a newer minor than its own, and a plugin may use a host
 * service only if api->abi_minor says the host has it. Structs carry their size first and
 * only ever grow at the end. A member appended later is marked "since 1.N" at its
 * declaration: read it only when the struct's size (or api->abi_minor) shows it is there.
 *
 * Changelog, newest first:
 *   1.0  initial ABI
 *
 * Threads and lifetimes, in one place:
 *   - init() and fini() run on hookd's control thread, never concurrently with each other
 *     for one instance. hookd may run init() first in a throwaway child process (hookd -t and
 *     reloads probe every instance so that a crash in init is reported instead of taking the
 *     daemon down): init must not assume it runs once.
 *   - handle() runs on worker threads dedicated to the instance, up to its "concurrency" at
 *     once (one at a time with HOOKD_PLUGIN_SERIAL). It never runs before init() returned 0
 *     nor after fini() began.
 *   - A reload builds new instances beside the old ones; the old instance's fini() runs only
 *     after its last handle() has returned. Its library is closed after that.
 *   - Every pointer hookd gives a plugin is borrowed; the comment at each says until when. */
#ifndef HOOKD_PLUGIN_H
#define HOOKD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HOOKD_PLUGIN_ABI_MAJOR 1u
#define HOOKD_PLUGIN_ABI_MINOR 0u

#if defined(__GNUC__)
#define HOOKD_EXPORT       __attribute__((visibility("default")))
#define HOOKD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HOOKD_EXPORT
#define HOOKD_PRINTF(f, a)
#endif

/* Outcome of one delivery of one event to one plugin instance. */
typedef enum hookd_result {
    HOOKD_OK = 0,       /* handled: never delivered to this instance again */
    HOOKD_RETRY = 1,    /* transient failure: delivered again later, with backoff */
    HOOKD_PERMANENT = 2 /* can never succeed: kept as a dead letter, not retried */
} hookd_result;

typedef enum hookd_log_level {
    HOOKD_LOG_ERROR = 0,
    HOOKD_LOG_WARN = 1,
    HOOKD_LOG_INFO = 2,
    HOOKD_LOG_DEBUG = 3
} hookd_log_level;

/* hookd's handle of one plugin instance. Valid from the call of init() until fini()
 * returns; it names the instance in logs and metrics. Opaque. */
typedef struct hookd_ctx hookd_ctx;

/* One verified event, as handed to handle(). Owned by hookd and read-only: every pointer is
 * valid only until handle() returns, so copy what you keep. Strings are NUL-terminated
 * UTF-8. The same event may be delivered more than once (after a RETRY, a crash or a replay):
 * handle() must be idempotent on id. */
typedef struct hookd_event {
    uint32_t struct_size; /* hookd's sizeof(hookd_event); fields are only appended */
    uint32_t attempt;     /* 1 on the first delivery, then 2, 3, ... */
    const char *id;       /* the sender's event id: the idempotency key */
    const char *type;     /* e.g. "CASE_CLOSED" */
    const char *source;   /* the source's name in hookd.json, e.g. "flagright" */
    int64_t created_ms;   /* sender's creation time, Unix ms; 0 when unknown */
    int64_t received_ms;  /* when hookd accepted it, Unix ms */
    int64_t deadline_ms;  /* CLOCK_MONOTONIC ms: past it, return HOOKD_RETRY rather than
                           * finish late (hookd logs handlers that overrun timeout_ms) */
    const uint8_t *body;  /* the request body exactly as it was verified */
    size_t body_len;
} hookd_event;

/* Services hookd offers a plugin. The table is static for the life of the process and
 * append-only; every function may be called from any thread hookd runs the plugin on.
 * ctx is the instance's own handle, as given to init() and handle(). */
typedef struct hookd_host_api {
    uint32_t abi_minor;   /* hookd's HOOKD_PLUGIN_ABI_MINOR: gate newer members on it */
    uint32_t struct_size; /* hookd's sizeof(hookd_host_api) */

    /* Writes one line to hookd's log, tagged with the instance name. During init(), the
     * last error logged is also the message hookd reports if init() fails. */
    void (*log)(hookd_ctx *ctx, hookd_log_level lvl, const char *fmt, ...) HOOKD_PRINTF(3, 4);
    /* Adds delta to the counter hookd_plugin_<name>_total{instance=...} (name: [a-z0-9_]). */
    void (*counter_add)(hookd_ctx *ctx, const char *name, uint64_t delta);
    /* Sets the gauge hookd_plugin_<name>{instance=...}. */
    void (*gauge_set)(hookd_ctx *ctx, const char *name, int64_t value);

    /* The string value of key in the instance's "config" object: borrowed, valid until
     * fini() returns. NULL if the key is absent or its value is not a string. */
    const char *(*conf_get)(hookd_ctx *ctx, const char *key);
    /* 0 with *out set; -ENOENT if absent; -EINVAL if the value is not an integer. */
    int (*conf_get_i64)(hookd_ctx *ctx, const char *key, int64_t *out);
    /* 0 with *out set to 0 or 1; -ENOENT if absent; -EINVAL if the value is not a boolean. */
    int (*conf_get_bool)(hookd_ctx *ctx, const char *key, int *out);
    /* An array of strings: 0 with *out set to a NULL-terminated list, borrowed until fini()
     * returns; -ENOENT if absent; -EINVAL if the value is not an array of strings. */
    int (*conf_get_strv)(hookd_ctx *ctx, const char *key, const char *const **out);

    /* A request header of ev (name matched case-insensitively): borrowed like ev, *len set
     * when len is not NULL. NULL if absent. Headers that carry credentials (Authorization,
     * Cookie) are never kept. ev must be the exact pointer handle() received, asked from
     * inside that call on its thread: a copy of the event, or a call after handle()
     * returned, gets NULL (and hookd counts the misuse). */
    const char *(*event_header)(const hookd_event *ev, const char *name, size_t *len);
    /* The instance's name from its configuration file; borrowed like ctx. */
    const char *(*instance_name)(hookd_ctx *ctx);
} hookd_host_api;

enum hookd_plugin_flags {
    HOOKD_PLUGIN_SERIAL = 1u << 0,   /* hookd never overlaps handle() calls of an instance */
    HOOKD_PLUGIN_NO_UNLOAD = 1u << 1 /* never dlclose(): for runtimes that cannot unload */
};

/* The one exported object, named hookd_plugin_v<MAJOR>; define it with HOOKD_PLUGIN_DEFINE.
 * hookd reads and checks it before it calls any function in the plugin. All of it is static
 * data: the plugin declares what it subscribes to and which settings it accepts, it does not
 * discover them. */
typedef struct hookd_plugin {
    uint32_t abi_major; /* these four fields stay first, in this order, forever */
    uint32_t abi_minor;
    uint32_t struct_size; /* the plugin's sizeof(hookd_plugin) */
    uint32_t flags;       /* enum hookd_plugin_flags */

    const char *name;    /* [a-z][a-z0-9_]*, at most 32 bytes; one .so, any instances */
    const char *version; /* free-form, logged when the plugin is loaded */
    /* NULL-terminated event type patterns: "CASE_CLOSED" exact, "CASE_*" prefix, "*" all;
     * '*' only as the last character; case-sensitive. An instance's "events" setting may
     * narrow this list, never widen it. */
    const char *const *subscribe;
    /* NULL-terminated list of the keys the plugin accepts in an instance's "config"
     * object; hookd refuses to load an instance whose config has any other key. NULL means
     * no key is accepted. */
    const char *const *conf_keys;

    /* Control thread, once per instance, before any handle(). Returns 0, or a negative errno
     * after logging why with api->log(ctx, HOOKD_LOG_ERROR, ...): the instance is then not
     * created and hookd calls nothing else for it (no fini), so undo your own work. *state
     * is yours, handed back to handle() and fini(). api is valid for the process lifetime. */
    int (*init)(hookd_ctx *ctx, const hookd_host_api *api, void **state);
    /* Worker thread. Concurrent with other handle() calls of the same instance unless
     * HOOKD_PLUGIN_SERIAL is set: treat state as read-only after init() unless you lock. */
    hookd_result (*handle)(void *state, hookd_ctx *ctx, const hookd_event *ev);
    /* Control thread, once, after the last handle() of the instance has returned. Join your
     * threads, cancel timers, unregister callbacks handed to libraries, free state. May be
     * NULL. */
    void (*fini)(void *state);
} hookd_plugin;

#define HOOKD_PLUGIN_SYMBOL "hookd_plugin_v1"

#ifdef __cplusplus
#define HOOKD_EXTERN_C extern "C"
#else
#define HOOKD_EXTERN_C
#endif

/* Defines the exported descriptor; give the remaining fields as designated initialisers, in
 * declaration order (C11, or C++20 for C++ plugins, where g++ -Wextra wants every field
 * given: write .init = nullptr and so on for the ones you leave out):
 *   HOOKD_PLUGIN_DEFINE(.name = "audit", .version = "1.0", .subscribe = subs,
 *                       .init = audit_init, .handle = audit_handle, .fini = audit_fini); */
#define HOOKD_PLUGIN_DEFINE(...)                                                                   \
    HOOKD_EXTERN_C HOOKD_EXPORT const hookd_plugin hookd_plugin_v1;                                \
    const hookd_plugin hookd_plugin_v1 = {.abi_major = HOOKD_PLUGIN_ABI_MAJOR,                     \
                                          .abi_minor = HOOKD_PLUGIN_ABI_MINOR,                     \
                                          .struct_size = (uint32_t)sizeof(hookd_plugin),           \
                                          __VA_ARGS__}

#ifdef __cplusplus
}
#endif
#endif /* HOOKD_PLUGIN_H */
