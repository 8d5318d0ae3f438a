/* conf.h -- the configuration directory: hookd.json and plugins.d/NAME.json.
 *
 * hk_conf_load reads and checks everything (including secrets, certificates and address
 * sets) and reports every problem at once. The result is immutable and belongs to one
 * generation (see gen.h): every thread reads it, nobody changes it. Strings point into the
 * parsed documents the conf owns. */
#ifndef HK_CONF_H
#define HK_CONF_H

#include "base/diag.h"
#include "base/jconf.h"
#include "base/secret.h"
#include "conf/source.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct hk_tls_server;

#define HK_LISTEN_MAX 16 /* listeners in one configuration at most */

struct hk_limits {
    uint64_t max_body_bytes;
    uint32_t max_header_bytes;
    uint32_t header_timeout_ms;
    uint32_t body_timeout_ms;
    uint32_t idle_timeout_ms;
    uint32_t max_connections;
    uint32_t max_connections_per_ip; /* 0: no cap; addresses in trusted_proxies are exempt */
};

struct hk_listen_conf {
    const char *address; /* as written, e.g. "127.0.0.1:8080" or "[::1]:8443" */
    unsigned ordinal;    /* how many listeners before it have the same address (":0" ones) */
    bool admin;          /* the admin API's listener: plain HTTP, not in "listen" */
    struct sockaddr_storage sa;
    socklen_t salen;
    bool proxy_protocol;
    struct hk_tls_server *tls; /* one reference; NULL for plain HTTP */
};

enum hk_durability { HK_DURABLE_FSYNC, HK_DURABLE_OS, HK_DURABLE_OFF };

struct hk_store_conf {
    char *path; /* owned; absolute */
    enum hk_durability durability;
    int64_t dedup_window_ms;
    uint32_t queue_max; /* requests waiting for the writer before 503 */
    uint32_t batch_max; /* requests per transaction at most */
    int64_t prune_interval_ms;
};

struct hk_retry_conf {
    int64_t initial_ms;
    int64_t max_ms;
    uint32_t max_attempts;
    int64_t max_age_ms;
};

/* One file of plugins.d: one plugin instance. */
struct hk_instance_conf {
    const char *file;     /* "plugins.d/10-log.json" */
    const char *plugin;   /* "log" or a path */
    char *so_path;        /* owned; resolved path of the .so */
    const char *name;     /* instance name, unique */
    const char **events;  /* owned array, NULL-terminated; NULL = what the plugin subscribes */
    const char **sources; /* owned array, NULL-terminated; NULL = every source */
    uint32_t concurrency;
    uint32_t queue_max;
    int64_t timeout_ms;
    struct hk_retry_conf retry;
    uint32_t crash_limit;    /* interrupted attempts (hookd ended inside handle()) before a
                              * delivery is a dead letter */
    bool isolated;           /* "isolation": "process": handle() runs in worker processes */
    uint64_t memory_max;     /* a worker's address space (RLIMIT_AS) in bytes; 0: no limit */
    uint32_t max_open_files; /* a worker's RLIMIT_NOFILE; 0: as inherited */
    bool drop;               /* "user" given: a worker runs as uid:gid */
    uint32_t uid, gid;
    json_t *config;      /* borrowed from the document; the plugin's own object, may be NULL */
    struct hk_jdoc *doc; /* the document it came from, for later error messages */
};

struct hk_conf {
    char *dir;                   /* owned; absolute path of the configuration directory */
    char *hash;                  /* owned; hex SHA-256 over every file read, in order */
    struct hk_jdoc main;         /* hookd.json */
    struct hk_jdoc *plugin_docs; /* plugins.d files, sorted by name */
    size_t nplugin_docs;

    struct hk_listen_conf *listen;
    size_t nlisten;
    struct hk_limits limits;
    uint32_t io_threads;    /* resolved: 0 in the file means one per core */
    uint32_t check_threads; /* the thread pool checking large bodies; likewise */
    struct hk_source *sources;
    size_t nsources;
    struct hk_ipset *trusted; /* owned; top-level trusted_proxies, default of every source */
    char *plugin_dir;         /* owned; absolute */
    struct hk_instance_conf *instances;
    size_t ninstances;
    struct hk_store_conf store;
    const char *admin_address; /* NULL: no admin TCP listener */
    struct sockaddr_storage admin_sa;
    socklen_t admin_salen;
    char *admin_socket;           /* owned; absolute path of the admin Unix socket; NULL: none */
    struct hk_secret admin_token; /* "admin.token": Bearer token for the TCP listener */
    bool has_admin_token;
    int log_level;  /* enum hk_log_level */
    int log_format; /* enum hk_log_format */
    bool access_log;
    int64_t shutdown_timeout_ms;
    int64_t reload_drain_timeout_ms;
    uint32_t inline_secrets;  /* how many secrets were given inline (warned at start) */
    struct hk_diags warnings; /* valid but worth a look (e.g. an expired certificate) */
};

/* Loads dir/hookd.json and every dir/plugins.d/NAME.json. 0 with *out set, or HK_ECONF (or a
 * negated errno) with every problem in diags; nothing to free on failure. */
int hk_conf_load(const char *dir, struct hk_diags *diags, struct hk_conf **out);
/* Logs the configuration's warnings, inline secrets among them (at start and at every
 * reload; control thread). */
void hk_conf_log_warnings(const struct hk_conf *c);
void hk_conf_free(struct hk_conf *c);

/* The listener with that address and ordinal (see hk_listen_conf), or NULL. A socket kept
 * across a reload finds its current settings this way. */
const struct hk_listen_conf *hk_conf_listener(const struct hk_conf *c, const char *address,
                                              unsigned ordinal);

/* The source whose path is path[0..n) (exact match, query string already removed), or
 * NULL. */
const struct hk_source *hk_conf_source_by_path(const struct hk_conf *c, const char *path, size_t n);

/* Parses "127.0.0.1:8080", "[::1]:8080" or ":8080" (all IPv4 addresses). 0 or HK_EINVAL. */
int hk_sockaddr_parse(const char *s, struct sockaddr_storage *sa, socklen_t *len);

/* dir/rel, or rel when it is absolute; malloc'd (NULL when out of memory). */
char *hk_conf_resolve(const char *dir, const char *rel);
/* Reads obj.key as "HOST:PORT" into *text, *sa and *len; reports a bad one. 0 or HK_ECONF. */
int hk_conf_parse_address(const struct hk_jcur *obj, const char *key, const char **text,
                          struct sockaddr_storage *sa, socklen_t *len);

#endif
