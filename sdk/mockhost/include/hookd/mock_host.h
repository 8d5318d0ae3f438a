/* hookd/mock_host.h -- a pretend hookd for plugin unit tests (hookd-sdk).
 *
 * A mock stands for one plugin instance: give it config values, start the plugin (its
 * config keys are checked against the plugin's conf_keys as hookd would, then init() runs),
 * hand it events, stop it (fini()), and look at what it logged and counted. No daemon, no
 * network, no JSON library.
 *
 *   hookd_mock *m = hookd_mock_new("test");
 *   hookd_mock_conf_set(m, "path", "/tmp/out.jsonl");
 *   assert(hookd_mock_start(m, &hookd_plugin_v1) == 0);
 *   hookd_mock_event *e = hookd_mock_event_new("evt-1", "CASE_CLOSED", "{\"data\":{}}");
 *   assert(hookd_mock_handle(m, hookd_mock_event_get(e)) == HOOKD_OK);
 *   hookd_mock_event_free(e);
 *   hookd_mock_stop(m);
 *   hookd_mock_free(m);
 *
 * Every function may be called from any thread, except that a mock's config must be set
 * before hookd_mock_start() and the mock must not be freed while the plugin runs. */
#ifndef HOOKD_MOCK_HOST_H
#define HOOKD_MOCK_HOST_H

#include <hookd/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hookd_mock hookd_mock;
typedef struct hookd_mock_event hookd_mock_event;

/* A new mock instance called instance_name (what api->instance_name() returns); NULL when
 * out of memory. Free it with hookd_mock_free(). */
hookd_mock *hookd_mock_new(const char *instance_name);
/* Stops the plugin if it is still started, then frees the mock and what it captured. */
void hookd_mock_free(hookd_mock *m);

/* Sets one key of the instance's "config" object (the value is copied; setting a key again
 * replaces it). 0, or -ENOMEM. _strv takes a NULL-terminated list. */
int hookd_mock_conf_set(hookd_mock *m, const char *key, const char *value);
int hookd_mock_conf_set_i64(hookd_mock *m, const char *key, int64_t value);
int hookd_mock_conf_set_bool(hookd_mock *m, const char *key, int value);
int hookd_mock_conf_set_strv(hookd_mock *m, const char *key, const char *const *list);

/* The services table the mock offers (static) and the handle of the mock's instance. */
const hookd_host_api *hookd_mock_api(void);
hookd_ctx *hookd_mock_ctx(hookd_mock *m);

/* Checks the config keys against p->conf_keys and calls p->init(). Returns what init()
 * returned, or -EINVAL (with a log line saying why) for an undeclared key or a descriptor
 * hookd would refuse outright. p must outlive the mock. */
int hookd_mock_start(hookd_mock *m, const hookd_plugin *p);
/* Calls the started plugin's handle() with ev. */
hookd_result hookd_mock_handle(hookd_mock *m, const hookd_event *ev);
/* Calls fini() of a started plugin; afterwards the mock may be started again. */
void hookd_mock_stop(hookd_mock *m);

/* A new event: attempt 1, source "test", created and received now, deadline 30 s from now,
 * body copied (may be NULL for an empty one). NULL when out of memory. */
hookd_mock_event *hookd_mock_event_new(const char *id, const char *type, const char *body);
/* Adds a request header to the event (copied); 0 or -ENOMEM. */
int hookd_mock_event_header(hookd_mock_event *e, const char *name, const char *value);
/* The event to hand to a plugin; change attempt, source, deadline_ms... freely. Borrowed
 * until hookd_mock_event_free(). */
hookd_event *hookd_mock_event_get(hookd_mock_event *e);
void hookd_mock_event_free(hookd_mock_event *e);

/* Lines the plugin logged, oldest first: the i-th line (NULL past the end), with its level
 * in *lvl when lvl is not NULL. Borrowed until the mock is freed. */
size_t hookd_mock_log_count(hookd_mock *m);
const char *hookd_mock_log_line(hookd_mock *m, size_t i, hookd_log_level *lvl);
/* The first logged line containing needle, or NULL. */
const char *hookd_mock_log_find(hookd_mock *m, const char *needle);
/* The value of counter or gauge name; 0 if the plugin never reported it. */
int64_t hookd_mock_metric(hookd_mock *m, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* HOOKD_MOCK_HOST_H */
