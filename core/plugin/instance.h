/* instance.h -- a plugin instance: one plugins.d file, its library, its plugin state.
 *
 * An instance belongs to one generation. It is created (library loaded, configuration
 * checked against the plugin's declarations, init() called) when the generation is built,
 * and destroyed (fini(), library released) on the control thread once nothing can call it
 * any more. The host services it offers to the plugin are in host_api.c. */
#ifndef HK_INSTANCE_H
#define HK_INSTANCE_H

#include "base/header.h"
#include "conf/conf.h"
#include "plugin/plugin_lib.h"

#include <hookd/plugin.h>
#include "plugin/metric_set.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define HK_CTX_MAGIC 0x686b6378u /* "hkcx": a live instance handle */

/* The handle plugins get (opaque to them). magic is checked at every host API entry in debug
 * builds and zeroed when the instance is destroyed, to catch a stale handle after reload. */
struct hookd_ctx {
    uint32_t magic;
    struct hk_instance *inst;
};

struct hk_instance {
    hookd_ctx ctx;
    const struct hk_instance_conf *conf; /* borrowed from the generation's conf */
    struct hk_plugin_lib *lib;           /* one reference */
    void *state;                         /* the plugin's */
    const char **patterns; /* owned array (strings borrowed); NULL-terminated, effective */
    uint32_t concurrency;  /* 1 when the plugin is HOOKD_PLUGIN_SERIAL */
    bool initialised;      /* init() returned 0: fini() is owed */
    /* The last error the plugin logged during init(), reported when init() fails. */
    char init_error[256];
    bool in_init;
    /* String arrays of the config object, prepared for conf_get_strv: key -> list. */
    struct hk_strv {
        const char *key;
        const char **list; /* owned array, NULL-terminated; strings borrowed */
    } * strv;
    size_t nstrv;
    pthread_mutex_t init_mu; /* guards in_init and init_error */
    /* One reference; shared with the instance of the same name and plugin in the previous
     * and next generations, so counters survive a reload (see metric_set.h). */
    struct hk_metric_set *metrics;
    atomic_bool metric_warned; /* one warning per instance about a refused metric */
};

/* An event as the host hands it to handle(): the ABI struct plus what host services need.
 * Hand it to hk_instance_handle(), which calls handle() with &pe->ev. */
struct hk_plugin_event {
    hookd_event ev;
    /* Borrowed, like ev. Each value must be followed by a NUL byte (value[value_len] == 0):
     * event_header() hands values to plugins as C strings. Credential headers are never
     * handed out, whether or not they are here. */
    const struct hk_header *headers;
    size_t nheaders;
    int64_t delivery; /* the store's row id of the delivery, for the crash line; 0 if none */
    /* The same headers as "name: value\n" lines (borrowed like headers; NULL: none): what a
     * worker process is sent for an isolated instance. */
    const char *headers_text;
};

/* Calls inst's handle() on this thread with &pe->ev; pe is borrowed for the call. While it
 * runs, the host API's event_header() answers only for that exact ev on this thread (a copy,
 * another event or another thread gets NULL and counts a misuse), and log() copies each
 * ERROR or WARN message into error (cap bytes, NUL-terminated; error[0] is cleared first)
 * so that the outcome can say why. error may be NULL. Returns handle()'s value unchecked. */
hookd_result hk_instance_handle(struct hk_instance *inst, const struct hk_plugin_event *pe,
                                char *error, size_t cap);
/* The instance whose handle() runs on this thread, with *event_id and *delivery set to the
 * event's id and the delivery's row id, or NULL when no plugin call is on it.
 * Async-signal-safe (reads a thread-local): for the crash line. */
const struct hk_instance *hk_instance_current(const char **event_id, int64_t *delivery);
/* The instance whose init() runs on this thread, or NULL; its init_error holds the last
 * error the plugin logged. Async-signal-safe: for the crash line. */
const struct hk_instance *hk_instance_initialising(void);
/* How many times a plugin asked event_header() about an event that was not the one its
 * handle() call on that thread was given (process-wide, for /metrics). Any thread. */
uint64_t hk_instance_misuses(void);
/* Creates the instance of ic: loads the library, checks the config keys against the plugin's
 * conf_keys and the instance's "events" against its subscriptions (narrowing only), then
 * calls init(). 0 with *out set, or a negative code with a message in err naming the file
 * (ic->file), the cause and the fix -- for an init() failure, with the plugin's own last
 * error message. Control thread. */
int hk_instance_create(const struct hk_instance_conf *ic, struct hk_instance **out, char *err,
                       size_t cap);
/* Calls fini() (if init succeeded) and releases the library. Control thread, and only when
 * no handle() call can be running or start. */
void hk_instance_destroy(struct hk_instance *inst);
/* True if the instance subscribes to type (its effective patterns) and to source. Any
 * thread. */
bool hk_instance_wants(const struct hk_instance *inst, const char *type, const char *source);
/* Writes one line describing the instance into out (cap bytes), e.g.
 * "instance audit: plugin log 1.0 (/usr/lib/hookd/plugins/log.so), events *, sources *". */
void hk_instance_describe(const struct hk_instance *inst, char *out, size_t cap);

/* Creates every instance of c, in file order, all or nothing. 0 with *out set to a malloc'd
 * array of c->ninstances instances (NULL when there are none), owned by the caller, who ends
 * it with hk_instances_destroy(*out, c->ninstances). On failure, tries every instance anyway
 * so that diags lists every problem (one line per failed instance), destroys (fini) those
 * that were created, leaves *out NULL and returns HK_EPLUGIN (or HK_ENOMEM). c must outlive
 * the instances. Control thread. */
int hk_instances_create(const struct hk_conf *c, struct hk_instance ***out, struct hk_diags *diags);
/* Destroys the n instances of v, last first, and frees v. NULL is a no-op. Control thread,
 * once no handle() call of any of them can run. */
void hk_instances_destroy(struct hk_instance **v, size_t n);

/* The host services table given to every plugin; static, valid for the process lifetime. */
const hookd_host_api *hk_host_api(void);

/* True if pattern p (of an instance's "events") only selects types that plugin pattern q
 * selects: "CASE_CLOSED" within "CASE_*", "CASE_*" within "*". */
bool hk_pattern_within(const char *p, const char *q);
/* True if type matches pattern ("*", "PREFIX*" or exact). */
bool hk_pattern_match(const char *pattern, const char *type);

#endif
