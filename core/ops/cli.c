/* cli.c -- operator commands over the admin API (loopback HTTP, one request each). */
#include "ops/cli.h"

#include "base/buf.h"
#include "conf/admin.h"
#include "ops/admin_client.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EXIT_FAILED      1
#define EXIT_USAGE       2
#define EXIT_UNREACHABLE HK_ADMIN_UNREACHABLE

static const char *const commands[] = {"dlq", "reload", "status", NULL};

int hk_cli_is_command(const char *arg)
{
    for (const char *const *c = commands; *c; c++)
        if (strcmp(arg, *c) == 0)
            return 1;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hookd dlq list    [FILTERS] [--unrouted|--invalid] [--json]\n"
            "       hookd dlq show    ID [--unrouted|--invalid]\n"
            "       hookd dlq replay  [FILTERS] [--unrouted] [--dry-run]\n"
            "       hookd dlq replay  [FILTERS] --to INSTANCE | --reroute [--dry-run]\n"
            "                         dead letters to another instance, or to where the current\n"
            "                         configuration routes their events\n"
            "       hookd dlq purge   [FILTERS] [--unrouted|--invalid] [--dry-run]\n"
            "       hookd reload      reload the configuration, print the result\n"
            "       hookd status      [--json] readiness and the last reload\n"
            "FILTERS: --source S --type T --instance I --id EVENT_ID --since T --until T "
            "--limit N\n"
            "         (T: Unix ms, or a duration ago: 30m, 2h, 7d)\n"
            "the admin API: --admin HOST:PORT or SOCKET_PATH, or -c DIR to read admin.socket\n"
            "  (preferred), admin.address and admin.token from DIR/hookd.json "
            "(default: " HOOKD_DEFAULT_CONF_DIR ", else " HK_ADMIN_DEFAULT ");\n"
            "  --token-file FILE gives the token (admin.token) for a TCP address\n");
}

static void print_time(int64_t ms)
{
    char out[32] = "-";
    if (ms > 0) {
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    printf("%-21s", out);
}

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "-";
}

/* A stored text as one column: line breaks and tabs become spaces, trailing space goes. */
static void print_one_line(const char *s)
{
    size_t n = strlen(s);
    while (n && strchr(" \t\r\n", s[n - 1]))
        n--;
    for (size_t i = 0; i < n; i++)
        putchar(strchr("\t\r\n", s[i]) ? ' ' : s[i]);
    putchar('\n');
}

static void print_list(json_t *j)
{
    json_t *items = json_object_get(j, "items"), *it;
    size_t i;
    bool dead = strcmp(str(j, "what"), "dead") == 0;
    if (dead)
        printf("%-9s %-14s %-12s %-28s %-36s %-4s %-21s %s\n", "DELIVERY", "INSTANCE", "SOURCE",
               "TYPE", "EVENT ID", "TRY", "FAILED", "ERROR");
    else
        printf("%-9s %-12s %-28s %-36s %-21s %s\n", "EVENT", "SOURCE", "TYPE", "EVENT ID",
               "RECEIVED", "REASON");
    json_array_foreach(items, i, it)
    {
        if (dead) {
            printf("%-9lld %-14s %-12s %-28s %-36s %-4lld ",
                   (long long)json_integer_value(json_object_get(it, "delivery")),
                   str(it, "instance"), str(it, "source"), str(it, "type"), str(it, "id"),
                   (long long)json_integer_value(json_object_get(it, "attempts")));
            print_time(json_integer_value(json_object_get(it, "failed_ms")));
            putchar(' ');
            print_one_line(str(it, "last_error"));
        } else {
            printf("%-9lld %-12s %-28s %-36s ",
                   (long long)json_integer_value(json_object_get(it, "event")), str(it, "source"),
                   str(it, "type"), str(it, "id"));
            print_time(json_integer_value(json_object_get(it, "received_ms")));
            putchar(' ');
            print_one_line(str(it, "invalid_reason"));
        }
    }
    printf("(%zu)\n", json_array_size(items));
}

/* Appends "&key=value" with value percent-encoded. */
static void add_param(struct hk_buf *q, const char *key, const char *value)
{
    hk_buf_printf(q, "%s%s=", q->len ? "&" : "", key);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~", *p))
            hk_buf_append(q, p, 1);
        else
            hk_buf_printf(q, "%%%02X", *p);
    }
}

struct opts {
    struct hk_admin_target admin;
    bool json;
    struct hk_buf query;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"admin", required_argument, NULL, 'a'},  {"source", required_argument, NULL, 's'},
        {"type", required_argument, NULL, 't'},   {"instance", required_argument, NULL, 'i'},
        {"id", required_argument, NULL, 'e'},     {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},  {"limit", required_argument, NULL, 'l'},
        {"unrouted", no_argument, NULL, 'u'},     {"invalid", no_argument, NULL, 'v'},
        {"dry-run", no_argument, NULL, 'n'},      {"json", no_argument, NULL, 'j'},
        {"config", required_argument, NULL, 'c'}, {"token-file", required_argument, NULL, 'k'},
        {"to", required_argument, NULL, 'T'},     {"reroute", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    static const struct {
        int opt;
        const char *key;
    } params[] = {{'s', "source"}, {'t', "type"},  {'i', "instance"}, {'e', "id"},
                  {'S', "since"},  {'U', "until"}, {'l', "limit"},    {'T', "to"}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        bool done = false;
        for (size_t k = 0; k < sizeof params / sizeof params[0] && !done; k++)
            if (params[k].opt == c) {
                add_param(&o->query, params[k].key, optarg);
                done = true;
            }
        if (done)
            continue;
        switch (c) {
        case 'a':
            free(o->admin.address);
            o->admin.address = strdup(optarg);
            break;
        case 'c':
            if (hk_admin_target_from_conf(&o->admin, optarg))
                return EXIT_USAGE;
            break;
        case 'k':
            if (hk_admin_target_token_file(&o->admin, optarg))
                return EXIT_USAGE;
            break;
        case 'u':
        case 'v':
            add_param(&o->query, "what", c == 'u' ? "unrouted" : "invalid");
            break;
        case 'R':
            add_param(&o->query, "reroute", "1");
            break;
        case 'n':
            add_param(&o->query, "dry_run", "1");
            break;
        case 'j':
            o->json = true;
            break;
        default:
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? -1 : EXIT_USAGE;
        }
    }
    /* Neither -c nor --admin: the default configuration's admin section, if it is there. */
    if (!o->admin.address && access(HOOKD_DEFAULT_CONF_DIR "/hookd.json", R_OK) == 0 &&
        hk_admin_target_from_conf(&o->admin, HOOKD_DEFAULT_CONF_DIR))
        return EXIT_USAGE;
    if (!o->admin.address)
        o->admin.address = strdup(HK_ADMIN_DEFAULT);
    return o->admin.address ? 0 : EXIT_FAILED;
}

/* A 401: the API wants admin.token. Says how to give it; true if r was one. */
static bool unauthorized(const struct hk_admin_reply *r)
{
    if (r->status != 401)
        return false;
    fprintf(stderr, "hookd: the admin API refused the request (401): it wants its token: run "
                    "with -c DIR (hookd.json's admin.socket, or admin.token) or with "
                    "--token-file FILE\n");
    return true;
}

static int show_result(const struct hk_admin_reply *r, bool json, bool list)
{
    if (unauthorized(r))
        return EXIT_FAILED;
    json_t *j = json_loads(r->body, 0, NULL);
    int rc = r->status >= 200 && r->status < 300 ? 0 : EXIT_FAILED;
    if (!j) {
        fprintf(stderr, "hookd: the admin API answered %d: %s\n", r->status, r->body);
        return EXIT_FAILED;
    }
    if (rc && json_object_get(j, "error"))
        fprintf(stderr, "hookd: %s\n", str(j, "error"));
    else if (list && !json)
        print_list(j);
    else {
        char *text = json_dumps(j, JSON_INDENT(2));
        printf("%s\n", text);
        free(text);
    }
    json_decref(j);
    return rc;
}

static int dlq(int argc, char **argv, struct opts *o)
{
    const char *what = argc > 2 ? argv[2] : "";
    if (strcmp(what, "--help") == 0 || strcmp(what, "-h") == 0 || strcmp(what, "help") == 0) {
        usage(stdout);
        return 0;
    }
    const struct {
        const char *name, *method, *path;
    } actions[] = {{"list", "GET", "/dlq"},
                   {"show", "GET", "/dlq/show"},
                   {"replay", "POST", "/dlq/replay"},
                   {"purge", "POST", "/dlq/purge"}};
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(what, actions[i].name) != 0)
            continue;
        int rc = parse_opts(argc - 2, argv + 2, o);
        if (rc)
            return rc < 0 ? 0 : rc;
        if (i == 1) {
            if (optind >= argc - 2) {
                fprintf(stderr, "hookd: dlq show needs the ID of the delivery (or event)\n");
                return EXIT_USAGE;
            }
            add_param(&o->query, "delivery", argv[2 + optind]);
        }
        hk_buf_append(&o->query, "", 1);
        char target[8192];
        snprintf(target, sizeof target, "%s?%s", actions[i].path, (char *)o->query.data);
        struct hk_admin_reply r = {0};
        rc = hk_admin_call(&o->admin, actions[i].method, target, &r);
        if (rc == 0)
            rc = show_result(&r, o->json, i == 0);
        free(r.body);
        return rc;
    }
    usage(stderr);
    return EXIT_USAGE;
}

/* One request to the admin API, its answer printed as JSON. */
static int request(struct opts *o, const char *method, const char *path)
{
    struct hk_admin_reply r = {0};
    int rc = hk_admin_call(&o->admin, method, path, &r);
    if (rc == 0)
        rc = show_result(&r, true, false);
    free(r.body);
    return rc;
}

static int simple(int argc, char **argv, struct opts *o, const char *method, const char *path)
{
    int rc = parse_opts(argc - 1, argv + 1, o);
    if (rc) /* --help was answered (-1), or the usage was wrong */
        return rc < 0 ? 0 : rc;
    return request(o, method, path);
}

static void print_status(const char *admin, json_t *ready, json_t *reload)
{
    bool is_ready = strcmp(str(ready, "status"), "ready") == 0;
    if (is_ready)
        printf("hookd at %s: ready, generation %lld\n", admin,
               (long long)json_integer_value(json_object_get(ready, "generation")));
    else
        printf("hookd at %s: not ready: %s\n", admin, str(ready, "reason"));
    printf("configuration  sha256 %s\n", str(reload, "hash"));
    json_t *result = json_object_get(reload, "result");
    if (json_is_true(json_object_get(reload, "in_progress")))
        printf("last reload    in progress\n");
    else if (!json_is_string(result))
        printf("last reload    none since hookd started\n");
    else
        printf("last reload    %s at %s: %s\n", json_string_value(result), str(reload, "time"),
               str(reload, "message"));
}

/* Readiness and the last reload: a few lines for a person, or with --json one document,
 * {"admin": ..., "ready": GET /readyz, "reload": GET /reload}. Exits 1 when not ready. */
static int status(int argc, char **argv, struct opts *o)
{
    int rc = parse_opts(argc - 1, argv + 1, o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct hk_admin_reply ready = {0}, reload = {0};
    rc = hk_admin_call(&o->admin, "GET", "/readyz", &ready);
    if (rc == 0)
        rc = hk_admin_call(&o->admin, "GET", "/reload", &reload);
    if (rc == 0 && (unauthorized(&ready) || unauthorized(&reload)))
        rc = EXIT_FAILED;
    json_t *r = rc ? NULL : json_loads(ready.body, 0, NULL);
    json_t *l = rc ? NULL : json_loads(reload.body, 0, NULL);
    if (!rc && (!json_is_object(r) || !json_is_object(l))) {
        fprintf(stderr, "hookd: the admin API at %s answered no JSON to GET /readyz or /reload\n",
                o->admin.address);
        rc = EXIT_FAILED;
    } else if (!rc) {
        if (o->json) {
            json_t *all =
                json_pack("{s:s,s:O,s:O}", "admin", o->admin.address, "ready", r, "reload", l);
            char *text = json_dumps(all, JSON_INDENT(2));
            printf("%s\n", text);
            free(text);
            json_decref(all);
        } else
            print_status(o->admin.address, r, l);
        rc = ready.status == 200 ? 0 : EXIT_FAILED;
    }
    json_decref(r);
    json_decref(l);
    free(ready.body);
    free(reload.body);
    return rc;
}

int hk_cli_main(int argc, char **argv)
{
    struct opts o = {0};
    int rc;
    if (strcmp(argv[1], "dlq") == 0)
        rc = dlq(argc, argv, &o);
    else if (strcmp(argv[1], "reload") == 0)
        rc = simple(argc, argv, &o, "POST", "/reload");
    else
        rc = status(argc, argv, &o);
    hk_admin_target_free(&o.admin);
    hk_buf_free(&o.query);
    return rc;
}
