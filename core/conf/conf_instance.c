/* conf_instance.c -- reading plugins.d/NAME.json. */
#include "conf/conf_instance.h"

#include "base/err.h"

#include <grp.h>
#include <pwd.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INSTANCES   256
#define MAX_CONCURRENCY 256
#define NAME_MAX_LEN    64
#define CRASH_LIMIT     2 /* interrupted attempts before a delivery is a dead letter */
#define CRASH_LIMIT_MAX 1000
#define MEMORY_MAX_MIN  (16LL << 20) /* bytes of address space a worker gets at the least */
#define MEMORY_MAX_MAX  (1LL << 46)

static const char *const instance_keys[] = {
    "plugin",    "name",  "events",      "sources",   "concurrency", "timeout_ms",
    "queue_max", "retry", "crash_limit", "isolation", "memory_max",  "max_open_files",
    "user",      "group", "config",      NULL};
static const char *const isolation_names[] = {"thread", "process", NULL};
static const char *const retry_keys[] = {"initial_ms", "max_ms", "max_attempts", "max_age", NULL};

/* "user" (and "group", else the user's own) for an isolated instance's workers. */
static int parse_identity(const struct hk_jcur *root, struct hk_instance_conf *ic)
{
    const char *user = NULL, *group = NULL;
    int rc = hk_jconf_string(root, "user", false, &user);
    rc |= hk_jconf_string(root, "group", false, &group);
    if (rc || (!user && !group))
        return rc;
    struct hk_jcur m = hk_jcur_member(root, user ? "user" : "group");
    if (!user)
        return hk_jcur_error(&m, "\"group\" needs \"user\": name the user the workers run as");
    const struct passwd *pw = getpwnam(user);
    if (!pw)
        return hk_jcur_error(&m, "no user \"%s\" on this machine: create it or name another", user);
    ic->uid = (uint32_t)pw->pw_uid;
    ic->gid = (uint32_t)pw->pw_gid;
    if (group) {
        const struct group *gr = getgrnam(group);
        struct hk_jcur g = hk_jcur_member(root, "group");
        if (!gr)
            return hk_jcur_error(&g, "no group \"%s\" on this machine: create it or name another",
                                 group);
        ic->gid = (uint32_t)gr->gr_gid;
    }
    ic->drop = true;
    return 0;
}

bool hk_pattern_valid(const char *p)
{
    if (!*p)
        return false;
    for (const char *c = p; *c; c++) {
        if (*c == '*')
            return c[1] == 0;
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr("_.:/-", *c)))
            return false;
    }
    return true;
}

static bool name_valid(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > NAME_MAX_LEN)
        return false;
    for (const char *c = n; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            return false;
    return n[0] >= 'a' && n[0] <= 'z';
}

static int string_list(const struct hk_jcur *obj, const char *key, const char ***out,
                       bool (*valid)(const struct hk_conf *, const char *), const struct hk_conf *c,
                       const char *what)
{
    struct hk_jcur arr = hk_jcur_member(obj, key);
    size_t n = 0;
    int rc = hk_jconf_array(&arr, &n);
    if (rc || !arr.val)
        return rc;
    if (n == 0)
        return hk_jcur_error(&arr, "empty list: remove the key to take the default, or list %s",
                             what);
    const char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return HK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct hk_jcur el = hk_jcur_element(&arr, i);
        if (!json_is_string(el.val) || !valid(c, json_string_value(el.val)))
            rc = hk_jcur_error(&el, "not %s", what);
        else
            v[i] = json_string_value(el.val);
    }
    *out = v;
    return rc;
}

static bool pattern_ok(const struct hk_conf *c, const char *p)
{
    (void)c;
    return hk_pattern_valid(p);
}

/* A source hookd.json names, also one with a problem of its own (reported there once): an
 * unset secret must not make every plugin that names its source look wrong as well. */
static bool source_ok(const struct hk_conf *c, const char *name)
{
    for (size_t i = 0; i < c->nsources; i++)
        if (strcmp(c->sources[i].name, name) == 0)
            return true;
    json_t *list = json_object_get(c->main.root, "sources"), *s;
    size_t i;
    json_array_foreach(list, i, s)
    {
        json_t *n = json_object_get(s, "name");
        if (json_is_string(n) && strcmp(json_string_value(n), name) == 0)
            return true;
    }
    return false;
}

static int parse_retry(const struct hk_jcur *obj, struct hk_retry_conf *r)
{
    struct hk_jcur retry = hk_jcur_member(obj, "retry");
    int64_t attempts = 25;
    r->initial_ms = 1000;
    r->max_ms = 600000;
    r->max_age_ms = 3LL * 24 * 3600 * 1000;
    int rc = hk_jconf_object(&retry, retry_keys);
    rc |= hk_jconf_duration_ms(&retry, "initial_ms", 1, 86400000, &r->initial_ms);
    rc |= hk_jconf_duration_ms(&retry, "max_ms", 1, 7LL * 86400000, &r->max_ms);
    rc |= hk_jconf_int(&retry, "max_attempts", 1, 1000000, &attempts);
    rc |= hk_jconf_duration_ms(&retry, "max_age", 1000, 366LL * 86400000, &r->max_age_ms);
    r->max_attempts = (uint32_t)attempts;
    if (!rc && r->max_ms < r->initial_ms)
        rc = hk_jcur_error(&retry, "max_ms (%lld) is below initial_ms (%lld): raise max_ms",
                           (long long)r->max_ms, (long long)r->initial_ms);
    return rc;
}

static int resolve_so(struct hk_conf *c, struct hk_instance_conf *ic)
{
    int n;
    if (strchr(ic->plugin, '/'))
        n = ic->plugin[0] == '/' ? asprintf(&ic->so_path, "%s", ic->plugin)
                                 : asprintf(&ic->so_path, "%s/%s", c->dir, ic->plugin);
    else
        n = asprintf(&ic->so_path, "%s/%s.so", c->plugin_dir, ic->plugin);
    if (n < 0) {
        ic->so_path = NULL;
        return HK_ENOMEM;
    }
    return 0;
}

int hk_conf_instance_parse(struct hk_conf *c, struct hk_jdoc *doc, struct hk_instance_conf *ic)
{
    struct hk_jcur root = hk_jcur_root(doc);
    int64_t conc = 1, queue = 1000, timeout = 30000, crash_limit = CRASH_LIMIT;
    ic->file = doc->name;
    ic->doc = doc;
    if (!json_is_object(root.val))
        return hk_jcur_error(&root, "expected an object {\"plugin\": ..., \"name\": ...}");
    int rc = hk_jconf_object(&root, instance_keys);
    rc |= hk_jconf_string(&root, "plugin", true, &ic->plugin);
    ic->name = ic->plugin;
    rc |= hk_jconf_string(&root, "name", false, &ic->name);
    rc |= string_list(&root, "events", &ic->events, pattern_ok, c,
                      "an event pattern (\"CASE_CLOSED\", \"CASE_*\" or \"*\")");
    rc |= string_list(&root, "sources", &ic->sources, source_ok, c,
                      "the name of a source of hookd.json");
    rc |= hk_jconf_int(&root, "concurrency", 1, MAX_CONCURRENCY, &conc);
    rc |= hk_jconf_int(&root, "queue_max", 1, 10000000, &queue);
    rc |= hk_jconf_duration_ms(&root, "timeout_ms", 1, 86400000, &timeout);
    rc |= parse_retry(&root, &ic->retry);
    rc |= hk_jconf_int(&root, "crash_limit", 1, CRASH_LIMIT_MAX, &crash_limit);
    ic->crash_limit = (uint32_t)crash_limit;
    int isolation = 0;
    int64_t memory_max = 0, open_files = 0;
    rc |= hk_jconf_enum(&root, "isolation", isolation_names, &isolation);
    rc |= hk_jconf_int(&root, "memory_max", MEMORY_MAX_MIN, MEMORY_MAX_MAX, &memory_max);
    rc |= hk_jconf_int(&root, "max_open_files", 16, 1048576, &open_files);
    ic->isolated = isolation == 1;
    rc |= parse_identity(&root, ic);
    ic->memory_max = (uint64_t)memory_max;
    ic->max_open_files = (uint32_t)open_files;
    ic->concurrency = (uint32_t)conc;
    ic->queue_max = (uint32_t)queue;
    ic->timeout_ms = timeout;
    struct hk_jcur config = hk_jcur_member(&root, "config");
    if (config.val && !json_is_object(config.val))
        rc |= hk_jcur_error(&config, "expected an object with the plugin's settings");
    ic->config = config.val;
    if (ic->name && !name_valid(ic->name)) {
        struct hk_jcur m =
            hk_jcur_member(&root, json_object_get(root.val, "name") ? "name" : "plugin");
        rc |= hk_jcur_error(&m,
                            "\"%s\" is not a valid instance name: use [a-z][a-z0-9_-]*, at "
                            "most %d characters (set \"name\")",
                            ic->name, NAME_MAX_LEN);
    }
    if (!rc)
        rc = resolve_so(c, ic);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of dir/plugins.d/NAME.json, sorted; *names is malloc'd, each entry too. */
static int list_files(const char *dir, char ***names, size_t *n, struct hk_diags *diags)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, HK_PLUGINS_SUBDIR);
    *names = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    char **v = calloc(MAX_INSTANCES + 1, sizeof *v);
    struct dirent *e;
    int rc = v ? 0 : HK_ENOMEM;
    while (!rc && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (*n == MAX_INSTANCES) {
            hk_diags_addf(diags, "%s: more than %d plugin instances: disable some", path,
                          MAX_INSTANCES);
            rc = HK_ECONF;
        } else if (asprintf(&v[*n], "%s/%s", HK_PLUGINS_SUBDIR, e->d_name) < 0) {
            rc = HK_ENOMEM;
        } else {
            ++*n;
        }
    }
    closedir(d);
    qsort(v, *n, sizeof *v, by_name);
    *names = v;
    return rc;
}

static void check_unique(struct hk_conf *c)
{
    for (size_t i = 0; i < c->ninstances; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->instances[i].name, c->instances[j].name) == 0) {
                struct hk_jcur root = hk_jcur_root(c->instances[i].doc);
                struct hk_jcur m = hk_jcur_member(&root, "name");
                hk_jcur_error(&m,
                              "instance name \"%s\" is already used by %s: give this one "
                              "its own \"name\"",
                              c->instances[i].name, c->instances[j].file);
            }
}

int hk_conf_instances_load(struct hk_conf *c, struct hk_diags *diags)
{
    char **names;
    size_t n;
    size_t before = diags->n;
    int rc = list_files(c->dir, &names, &n, diags);
    if (!rc && n) {
        c->plugin_docs = calloc(n, sizeof *c->plugin_docs);
        c->instances = calloc(n, sizeof *c->instances);
        if (!c->plugin_docs || !c->instances)
            rc = HK_ENOMEM;
    }
    for (size_t i = 0; !rc && i < n; i++) {
        if (hk_jdoc_load(&c->plugin_docs[c->nplugin_docs], c->dir, names[i], diags) != 0)
            continue;
        struct hk_jdoc *doc = &c->plugin_docs[c->nplugin_docs++];
        if (c->plugin_dir && hk_conf_instance_parse(c, doc, &c->instances[c->ninstances]) == 0)
            c->ninstances++;
        else
            hk_conf_instance_clear(&c->instances[c->ninstances]);
    }
    check_unique(c);
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
    return rc ? rc : diags->n != before ? HK_ECONF : 0;
}

void hk_conf_instance_clear(struct hk_instance_conf *ic)
{
    free(ic->events);
    free(ic->sources);
    free(ic->so_path);
    memset(ic, 0, sizeof *ic);
}

void hk_conf_instances_free(struct hk_conf *c)
{
    for (size_t i = 0; i < c->ninstances; i++)
        hk_conf_instance_clear(&c->instances[i]);
    free(c->instances);
    for (size_t i = 0; i < c->nplugin_docs; i++)
        hk_jdoc_free(&c->plugin_docs[i]);
    free(c->plugin_docs);
    c->instances = NULL;
    c->plugin_docs = NULL;
    c->ninstances = c->nplugin_docs = 0;
}
