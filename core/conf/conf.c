/* conf.c -- reading hookd.json: listeners, limits, sources, store, admin, logging. */
#include "conf/conf.h"
#include "conf/admin.h"
#include "conf/plugin_dir.h"

#include "base/err.h"
#include "base/log.h"
#include "conf/conf_instance.h"
#include "conf/tls.h"

#include <arpa/inet.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64 /* io_threads, check_threads */
#define MAX_SOURCES 256
#define PORT_MAX    65535

static const char *const top_keys[] = {"listen",
                                       "limits",
                                       "io_threads",
                                       "check_threads",
                                       "sources",
                                       "trusted_proxies",
                                       "plugin_dir",
                                       "store",
                                       "admin",
                                       "log",
                                       "shutdown_timeout_ms",
                                       "reload",
                                       NULL};
static const char *const listen_keys[] = {"address", "proxy_protocol", "tls", NULL};
static const char *const limit_keys[] = {
    "max_body_bytes",  "max_header_bytes", "header_timeout_ms",      "body_timeout_ms",
    "idle_timeout_ms", "max_connections",  "max_connections_per_ip", NULL};
static const char *const store_keys[] = {
    "path", "durability", "dedup_window", "queue_max", "batch_max", "prune_interval", NULL};
static const char *const log_keys[] = {"level", "format", "access", NULL};
static const char *const reload_keys[] = {"drain_timeout_ms", NULL};

int hk_sockaddr_parse(const char *s, struct sockaddr_storage *sa, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(s, ':');
    if (!colon || colon - s >= (long)sizeof host)
        return HK_EINVAL;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > PORT_MAX)
        return HK_EINVAL;
    memset(sa, 0, sizeof *sa);
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
        host[hl - 1] = 0;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof *a6;
        return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : HK_EINVAL;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    if (hl == 0) {
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
        return 0;
    }
    return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : HK_EINVAL;
}

int hk_conf_parse_address(const struct hk_jcur *obj, const char *key, const char **text,
                          struct sockaddr_storage *sa, socklen_t *len)
{
    if (hk_jconf_string(obj, key, true, text))
        return HK_ECONF;
    if (hk_sockaddr_parse(*text, sa, len) == 0)
        return 0;
    struct hk_jcur m = hk_jcur_member(obj, key);
    return hk_jcur_error(&m,
                         "\"%s\" is not an address: write \"127.0.0.1:8080\", "
                         "\"[::1]:8080\" or \":8080\" (every IPv4 address)",
                         *text);
}

static int parse_listener(struct hk_conf *c, const struct hk_jcur *el, struct hk_listen_conf *l)
{
    struct hk_jcur tls = hk_jcur_member(el, "tls");
    int rc = hk_jconf_object(el, listen_keys);
    rc |= hk_conf_parse_address(el, "address", &l->address, &l->sa, &l->salen);
    rc |= hk_jconf_bool(el, "proxy_protocol", &l->proxy_protocol);
    if (tls.val)
        rc |= hk_tls_server_parse(&tls, c->dir, &c->warnings, &l->tls);
    return rc;
}

static int parse_listeners(struct hk_conf *c, const struct hk_jcur *root)
{
    struct hk_jcur arr = hk_jcur_member(root, "listen");
    size_t n = 0;
    int rc = hk_jconf_array(&arr, &n);
    if (rc)
        return rc;
    if (n == 0 || n > HK_LISTEN_MAX)
        return hk_jcur_error(&arr,
                             "give 1 to %d listeners, e.g. [{\"address\": "
                             "\"127.0.0.1:8080\"}]",
                             HK_LISTEN_MAX);
    c->listen = calloc(n, sizeof *c->listen);
    if (!c->listen)
        return HK_ENOMEM;
    c->nlisten = n;
    for (size_t i = 0; i < n; i++) {
        struct hk_jcur el = hk_jcur_element(&arr, i);
        rc |= parse_listener(c, &el, &c->listen[i]);
        for (size_t j = 0; j < i && c->listen[i].address; j++)
            if (c->listen[j].address && strcmp(c->listen[i].address, c->listen[j].address) == 0)
                c->listen[i].ordinal++;
        bool any_port = ((const struct sockaddr_in *)&c->listen[i].sa)->sin_port == 0;
        for (size_t j = 0; j < i && !rc && !any_port; j++)
            if (strcmp(c->listen[i].address, c->listen[j].address) == 0)
                rc = hk_jcur_error(&el, "address %s is listed twice: remove one",
                                   c->listen[i].address);
    }
    return rc;
}

static int parse_limits(struct hk_conf *c, const struct hk_jcur *root)
{
    struct hk_jcur lim = hk_jcur_member(root, "limits");
    int64_t body = 1048576, header = 16384, ht = 10000, bt = 10000, it = 60000, mc = 10000,
            per_ip = 0;
    int rc = hk_jconf_object(&lim, limit_keys);
    rc |= hk_jconf_int(&lim, "max_body_bytes", 1, 64 * 1024 * 1024, &body);
    rc |= hk_jconf_int(&lim, "max_header_bytes", 1024, 1024 * 1024, &header);
    rc |= hk_jconf_int(&lim, "header_timeout_ms", 100, 600000, &ht);
    rc |= hk_jconf_int(&lim, "body_timeout_ms", 100, 600000, &bt);
    rc |= hk_jconf_int(&lim, "idle_timeout_ms", 100, 3600000, &it);
    rc |= hk_jconf_int(&lim, "max_connections", 1, 1000000, &mc);
    rc |= hk_jconf_int(&lim, "max_connections_per_ip", 0, 1000000, &per_ip);
    c->limits = (struct hk_limits){(uint64_t)body, (uint32_t)header, (uint32_t)ht,    (uint32_t)bt,
                                   (uint32_t)it,   (uint32_t)mc,     (uint32_t)per_ip};
    return rc;
}

static int parse_sources(struct hk_conf *c, const struct hk_jcur *root, struct hk_ipset *trusted)
{
    struct hk_jcur arr = hk_jcur_member(root, "sources");
    size_t n = 0;
    int rc = hk_jconf_array(&arr, &n);
    if (rc)
        return rc;
    if (n == 0 || n > MAX_SOURCES)
        return hk_jcur_error(&arr, "give 1 to %d sources, each {\"name\", \"path\", \"verify\"}",
                             MAX_SOURCES);
    c->sources = calloc(n, sizeof *c->sources);
    if (!c->sources)
        return HK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct hk_jcur el = hk_jcur_element(&arr, i);
        if (hk_source_parse(&el, c->dir, trusted, &c->sources[c->nsources])) {
            rc = HK_ECONF;
            continue;
        }
        const struct hk_source *s = &c->sources[c->nsources++];
        for (size_t j = 0; j + 1 < c->nsources; j++) {
            if (strcmp(c->sources[j].name, s->name) == 0)
                rc = hk_jcur_error(&el, "source name \"%s\" is used twice: names must be unique",
                                   s->name);
            if (strcmp(c->sources[j].path, s->path) == 0)
                rc = hk_jcur_error(&el,
                                   "path %s is used by sources \"%s\" and \"%s\": give each "
                                   "source its own path",
                                   s->path, c->sources[j].name, s->name);
        }
        for (size_t k = 0; k < s->verifier->nsecrets; k++) {
            const struct hk_secret *sec = &s->verifier->secrets[k];
            c->inline_secrets += sec->is_inline;
            if (sec->readable_by_others)
                hk_diags_addf(&c->warnings,
                              "source \"%s\": secret %s is readable by every user (mode %04o): "
                              "chmod 600 it, owned by the user hookd runs as",
                              s->name, sec->label, sec->mode);
        }
    }
    return rc;
}

char *hk_conf_resolve(const char *dir, const char *rel)
{
    char *out = NULL;
    if (rel[0] == '/')
        return strdup(rel);
    return asprintf(&out, "%s/%s", dir, rel) < 0 ? NULL : out;
}

static int parse_store(struct hk_conf *c, const struct hk_jcur *root)
{
    static const char *const durability[] = {"fsync", "os", "off", NULL};
    struct hk_jcur st = hk_jcur_member(root, "store");
    struct hk_store_conf *s = &c->store;
    const char *path = "var/hookd.db";
    int d = HK_DURABLE_FSYNC;
    int64_t queue = 10000, batch = 512;
    s->dedup_window_ms = 7LL * 24 * 3600 * 1000;
    s->prune_interval_ms = 60000;
    int rc = hk_jconf_object(&st, store_keys);
    rc |= hk_jconf_string(&st, "path", false, &path);
    rc |= hk_jconf_enum(&st, "durability", durability, &d);
    rc |= hk_jconf_duration_ms(&st, "dedup_window", 1000, 366LL * 24 * 3600 * 1000,
                               &s->dedup_window_ms);
    rc |= hk_jconf_int(&st, "queue_max", 1, 10000000, &queue);
    rc |= hk_jconf_int(&st, "batch_max", 1, 100000, &batch);
    rc |= hk_jconf_duration_ms(&st, "prune_interval", 1000, 24LL * 3600 * 1000,
                               &s->prune_interval_ms);
    s->durability = (enum hk_durability)d;
    s->queue_max = (uint32_t)queue;
    s->batch_max = (uint32_t)batch;
    s->path = hk_conf_resolve(c->dir, path);
    return s->path ? rc : HK_ENOMEM;
}

static int parse_admin_log(struct hk_conf *c, const struct hk_jcur *root)
{
    static const char *const formats[] = {"logfmt", "json", NULL};
    static const char *const levels[] = {"error", "warn", "info", "debug", NULL};
    struct hk_jcur log = hk_jcur_member(root, "log");
    struct hk_jcur reload = hk_jcur_member(root, "reload");
    c->log_level = HK_LOG_INFO;
    c->log_format = HK_LOG_LOGFMT;
    c->access_log = true;
    c->shutdown_timeout_ms = 10000;
    c->reload_drain_timeout_ms = 60000;
    int rc = hk_conf_admin_parse(c, root) | hk_jconf_object(&log, log_keys) |
             hk_jconf_object(&reload, reload_keys);
    rc |= hk_jconf_enum(&log, "level", levels, &c->log_level);
    rc |= hk_jconf_enum(&log, "format", formats, &c->log_format);
    rc |= hk_jconf_bool(&log, "access", &c->access_log);
    rc |= hk_jconf_duration_ms(root, "shutdown_timeout_ms", 0, 600000, &c->shutdown_timeout_ms);
    rc |= hk_jconf_duration_ms(&reload, "drain_timeout_ms", 100, 3600000,
                               &c->reload_drain_timeout_ms);
    return rc;
}

/* A thread count from the file, 0 meaning one per core. */
static int parse_threads(const struct hk_jcur *root, const char *key, uint32_t *out)
{
    int64_t n = 0;
    int rc = hk_jconf_int(root, key, 0, MAX_THREADS, &n);
    if (n == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : cores;
    }
    *out = (uint32_t)n;
    return rc;
}

static int parse_misc(struct hk_conf *c, const struct hk_jcur *root)
{
    const char *plugin_dir = NULL;
    int rc = parse_threads(root, "io_threads", &c->io_threads);
    rc |= parse_threads(root, "check_threads", &c->check_threads);
    rc |= hk_jconf_string(root, "plugin_dir", false, &plugin_dir);
    c->plugin_dir = plugin_dir ? hk_conf_resolve(c->dir, plugin_dir) : hk_default_plugin_dir();
    return c->plugin_dir ? rc : HK_ENOMEM;
}

static int hash_files(struct hk_conf *c)
{
    mbedtls_sha256_context h;
    uint8_t d[32];
    mbedtls_sha256_init(&h);
    int rc = mbedtls_sha256_starts_ret(&h, 0) ||
             mbedtls_sha256_update_ret(&h, (const uint8_t *)c->main.text, c->main.len);
    for (size_t i = 0; i < c->nplugin_docs && !rc; i++) {
        const struct hk_jdoc *d2 = &c->plugin_docs[i];
        rc = mbedtls_sha256_update_ret(&h, (const uint8_t *)d2->name, strlen(d2->name) + 1) ||
             mbedtls_sha256_update_ret(&h, (const uint8_t *)d2->text, d2->len);
    }
    rc = rc || mbedtls_sha256_finish_ret(&h, d);
    mbedtls_sha256_free(&h);
    c->hash = malloc(2 * sizeof d + 1);
    if (rc || !c->hash)
        return HK_ENOMEM;
    for (size_t i = 0; i < sizeof d; i++)
        sprintf(c->hash + 2 * i, "%02x", d[i]);
    return 0;
}

/* A source that requires client certificates can only be reached through a listener that
 * asks for them. */
static int check_client_certs(const struct hk_conf *c, const struct hk_jcur *root)
{
    struct hk_jcur arr = hk_jcur_member(root, "sources");
    for (size_t i = 0; i < c->nlisten; i++)
        if (c->listen[i].tls && hk_tls_server_asks_client_cert(c->listen[i].tls))
            return 0;
    int rc = 0;
    for (size_t i = 0; i < c->nsources; i++) {
        if (!c->sources[i].require_client_cert)
            continue;
        struct hk_jcur el = hk_jcur_element(&arr, i);
        struct hk_jcur m = hk_jcur_member(&el, "require_client_cert");
        rc = hk_jcur_error(&m, "no listener asks for client certificates, so every request "
                               "would be refused: add \"client_ca\" to a listener's \"tls\"");
    }
    return rc;
}

static int parse_main(struct hk_conf *c)
{
    struct hk_jcur root = hk_jcur_root(&c->main);
    struct hk_jcur trusted_cur = hk_jcur_member(&root, "trusted_proxies");
    struct hk_ipset *trusted = NULL;
    if (!json_is_object(root.val))
        return hk_jcur_error(&root, "expected an object {\"listen\": ..., \"sources\": ...}");
    int rc = hk_jconf_object(&root, top_keys);
    rc |= hk_ipset_parse(&trusted_cur, &trusted);
    c->trusted = trusted;
    rc |= parse_listeners(c, &root);
    rc |= parse_limits(c, &root);
    rc |= parse_sources(c, &root, trusted);
    rc |= parse_store(c, &root);
    rc |= parse_admin_log(c, &root);
    rc |= parse_misc(c, &root);
    if (rc == 0)
        rc = check_client_certs(c, &root);
    return rc ? HK_ECONF : 0;
}

int hk_conf_load(const char *dir, struct hk_diags *diags, struct hk_conf **out)
{
    char abs[PATH_MAX];
    *out = NULL;
    if (!realpath(dir, abs)) {
        hk_diags_addf(diags,
                      "%s: cannot open the configuration directory: %s: pass an "
                      "existing directory with -c",
                      dir, strerror(errno));
        return -errno;
    }
    struct hk_conf *c = calloc(1, sizeof *c);
    if (!c || !(c->dir = strdup(abs))) {
        free(c);
        return HK_ENOMEM;
    }
    size_t before = diags->n;
    int rc = hk_jdoc_load(&c->main, c->dir, "hookd.json", diags);
    if (rc == 0)
        rc = parse_main(c);
    int prc = hk_conf_instances_load(c, diags);
    if (rc == 0 && prc == 0 && diags->n == before)
        rc = hash_files(c);
    if (rc || prc || diags->n != before) {
        hk_conf_free(c);
        return rc ? rc : prc ? prc : HK_ECONF;
    }
    *out = c;
    return 0;
}

void hk_conf_log_warnings(const struct hk_conf *c)
{
    for (size_t i = 0; i < c->warnings.n && i < c->warnings.cap; i++)
        hk_log(HK_LOG_WARN, "configuration warning", HK_S("warning", c->warnings.lines[i]));
    if (c->inline_secrets)
        hk_log(HK_LOG_WARN, "secrets are written inline in hookd.json",
               HK_I("count", c->inline_secrets),
               HK_S("fix", "move them to the environment ({\"env\": NAME}) or a file "
                           "({\"file\": PATH}) readable only by hookd"));
}

void hk_conf_free(struct hk_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nlisten; i++)
        hk_tls_server_release(c->listen[i].tls);
    free(c->listen);
    for (size_t i = 0; i < c->nsources; i++)
        hk_source_free(&c->sources[i]);
    free(c->sources);
    hk_ipset_free(c->trusted);
    hk_conf_instances_free(c);
    free(c->store.path);
    free(c->plugin_dir);
    hk_conf_admin_free(c);
    free(c->hash);
    hk_jdoc_free(&c->main);
    hk_diags_free(&c->warnings);
    free(c->dir);
    free(c);
}

const struct hk_listen_conf *hk_conf_listener(const struct hk_conf *c, const char *address,
                                              unsigned ordinal)
{
    for (size_t i = 0; i < c->nlisten; i++)
        if (c->listen[i].ordinal == ordinal && strcmp(c->listen[i].address, address) == 0)
            return &c->listen[i];
    return NULL;
}

const struct hk_source *hk_conf_source_by_path(const struct hk_conf *c, const char *path, size_t n)
{
    for (size_t i = 0; i < c->nsources; i++)
        if (strlen(c->sources[i].path) == n && memcmp(c->sources[i].path, path, n) == 0)
            return &c->sources[i];
    return NULL;
}
