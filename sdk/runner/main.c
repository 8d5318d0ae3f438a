/* main.c -- hookd-plugin-run: options, loading the instance, exit status. */
#include "plugin_run.h"

#include "base/err.h"
#include "base/errmsg.h"
#include "base/log.h"
#include "conf/conf_instance.h"
#include "conf/plugin_dir.h"
#include "daemon/runtime_dir.h"
#include "daemon/worker.h"
#include "plugin/isolated.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ATTEMPTS_MAX 100

static const char usage_text[] =
    "usage: hookd-plugin-run --plugin FILE.so [--config INSTANCE.json] --events EVENTS.jsonl\n"
    "                        [--source NAME] [--header 'Name: value']... [--headers FILE]\n"
    "                        [--attempts N] [--id-field KEY] [--type-field KEY]\n"
    "                        [--created-field KEY] [--plugin-dir DIR] [--log-level LEVEL]\n"
    "                        [--isolation thread|process]\n"
    "\n"
    "Loads the plugin as hookd does (same checks, same host services) and creates one\n"
    "instance from INSTANCE.json, a plugins.d file (its \"plugin\" may be left out when\n"
    "--plugin is given, and --plugin wins; \"name\" defaults to the library's name). Runs\n"
    "init(), hands it every event of EVENTS.jsonl (one JSON object per line, \"-\" for\n"
    "standard input; the line is the body) one at a time, then runs fini(). Each event's\n"
    "id, type and creation time (Unix ms) are its \"id\", \"type\" and \"createdTimestamp\"\n"
    "members (the Flagright envelope) unless other members are named; its source is NAME\n"
    "(default \"flagright\"), its attempt 1. With --attempts N an event that returns RETRY\n"
    "is delivered again at once, up to N attempts in all. --header adds a request header\n"
    "to every event; --headers reads one 'Name: value' per line from FILE. A bare\n"
    "\"plugin\" name in INSTANCE.json, and a --plugin file name that is not in the current\n"
    "directory, are looked up as NAME.so in DIR (default: the plugin directory beside this\n"
    "program: PREFIX/lib/hookd/plugins when installed, build/plugins in a build tree).\n"
    "\n"
    "Prints one line per event to standard output: ID TYPE RESULT, where RESULT is OK,\n"
    "RETRY or PERMANENT (the last delivery's), or SKIPPED for an event the instance does\n"
    "not subscribe to (by its type and \"events\", or its \"sources\"): hookd would never\n"
    "hand it over. The plugin's log goes to standard error.\n"
    "\n"
    "--isolation process runs the plugin in a worker process, as hookd does for an instance\n"
    "with \"isolation\": \"process\" (thread: in this process; default: as INSTANCE.json\n"
    "says). An event inside which the worker dies prints CRASHED; the next event gets a new\n"
    "worker.\n"
    "\n"
    "Exit status: 0 when no event ended PERMANENT or CRASHED, 1 when one did, 2 when the\n"
    "plugin could not be loaded or started, or an input line was not an event.\n";

static int add_header(struct pr_opts *o, const char *text)
{
    const char *colon = strchr(text, ':');
    if (!colon || colon == text || o->nheaders == PR_HEADERS_MAX) {
        fprintf(stderr,
                "hookd-plugin-run: header \"%s\": write it as 'Name: value' (at most "
                "%d headers)\n",
                text, PR_HEADERS_MAX);
        return HK_EINVAL;
    }
    const char *v = colon + 1;
    v += strspn(v, " \t");
    size_t vlen = strcspn(v, "\r\n");
    while (vlen && strchr(" \t", v[vlen - 1]))
        vlen--;
    struct hk_header *h = &o->headers[o->nheaders];
    h->name = strndup(text, (size_t)(colon - text));
    h->value = strndup(v, vlen); /* NUL-terminated, as event_header() requires */
    if (!h->name || !h->value)
        return HK_ENOMEM;
    h->name_len = (size_t)(colon - text);
    h->value_len = vlen;
    o->nheaders++;
    return hk_buf_printf(&o->headers_text, "%s: %s\n", h->name, h->value);
}

static int read_headers(struct pr_opts *o, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int rc = f ? 0 : -errno;
    if (!f)
        fprintf(stderr, "hookd-plugin-run: %s: %s\n", path, strerror(errno));
    while (!rc && f && fgets(line, sizeof line, f))
        if (line[strspn(line, " \t\r\n")])
            rc = add_header(o, line);
    if (f)
        fclose(f);
    return rc;
}

static void free_headers(struct pr_opts *o)
{
    for (size_t i = 0; i < o->nheaders; i++) {
        free((char *)o->headers[i].name);
        free((char *)o->headers[i].value);
    }
    hk_buf_free(&o->headers_text);
}

static int set_attempts(struct pr_opts *o, const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (*end || n < 1 || n > ATTEMPTS_MAX) {
        fprintf(stderr, "hookd-plugin-run: --attempts %s: give a number from 1 to %d\n", s,
                ATTEMPTS_MAX);
        return HK_EINVAL;
    }
    o->attempts = (unsigned)n;
    return 0;
}

static int set_log_level(const char *s)
{
    int lvl = hk_log_level_parse(s);
    if (lvl < 0) {
        fprintf(stderr, "hookd-plugin-run: --log-level %s: use error, warn, info or debug\n", s);
        return HK_EINVAL;
    }
    hk_log_configure((enum hk_log_level)lvl, HK_LOG_LOGFMT);
    return 0;
}

static int set_isolation(struct pr_opts *o, const char *s)
{
    o->isolation = strcmp(s, "thread") == 0 ? 0 : strcmp(s, "process") == 0 ? 1 : -2;
    if (o->isolation == -2)
        fprintf(stderr, "hookd-plugin-run: --isolation %s: use thread or process\n", s);
    return o->isolation == -2 ? HK_EINVAL : 0;
}

static int option(struct pr_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case 'p':
        o->plugin = arg;
        return 0;
    case 'c':
        o->config = arg;
        return 0;
    case 'e':
        o->events = arg;
        return 0;
    case 's':
        o->source = arg;
        return 0;
    case 'H':
        return add_header(o, arg);
    case 'F':
        return read_headers(o, arg);
    case 'a':
        return set_attempts(o, arg);
    case 'i':
        o->id_field = arg;
        return 0;
    case 't':
        o->type_field = arg;
        return 0;
    case 'C':
        o->created_field = arg;
        return 0;
    case 'l':
        return set_log_level(arg);
    case 'P':
        o->plugin_dir = arg;
        return 0;
    case 'I':
        return set_isolation(o, arg);
    }
    return HK_EINVAL;
}

static int parse_args(int argc, char **argv, struct pr_opts *o)
{
    static const struct option longopts[] = {{"plugin", required_argument, NULL, 'p'},
                                             {"config", required_argument, NULL, 'c'},
                                             {"events", required_argument, NULL, 'e'},
                                             {"source", required_argument, NULL, 's'},
                                             {"header", required_argument, NULL, 'H'},
                                             {"headers", required_argument, NULL, 'F'},
                                             {"attempts", required_argument, NULL, 'a'},
                                             {"id-field", required_argument, NULL, 'i'},
                                             {"type-field", required_argument, NULL, 't'},
                                             {"created-field", required_argument, NULL, 'C'},
                                             {"log-level", required_argument, NULL, 'l'},
                                             {"plugin-dir", required_argument, NULL, 'P'},
                                             {"isolation", required_argument, NULL, 'I'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    *o = (struct pr_opts){.source = "flagright",
                          .id_field = "id",
                          .type_field = "type",
                          .created_field = "createdTimestamp",
                          .attempts = 1,
                          .isolation = -1};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            exit(PR_EXIT_OK);
        }
        if (opt == '?' || option(o, opt, optarg) != 0)
            return HK_EINVAL;
    }
    if (optind != argc || !o->events || (!o->plugin && !o->config)) {
        fputs(usage_text, stderr);
        return HK_EINVAL;
    }
    return 0;
}

/* Everything one run owns besides the options. */
struct pr_run {
    struct hk_conf conf; /* only what an instance file needs: dir, plugin_dir, sources */
    struct hk_source source;
    struct hk_jdoc doc;
    struct hk_diags diags;
    struct hk_instance_conf ic;
    struct hk_instance *inst;
};

/* An instance name for a document without one: the library's name ("recorder" for
 * /x/recorder.so) when it is a valid instance name, else "plugin". */
static void default_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    bool ok = n > 0 && n < cap && base[0] >= 'a' && base[0] <= 'z' &&
              strspn(base, "abcdefghijklmnopqrstuvwxyz0123456789_-") >= n;
    snprintf(out, cap, "%.*s", ok ? (int)n : 6, ok ? base : "plugin");
}

/* The instance document: the --config file, or an empty object; with "plugin" from
 * --plugin and a "name" when it has none. */
static int load_doc(const struct pr_opts *o, struct pr_run *r)
{
    char abs[PATH_MAX];
    if (o->config && !realpath(o->config, abs)) {
        fprintf(stderr, "hookd-plugin-run: %s: %s: pass an existing instance file\n", o->config,
                strerror(errno));
        return -errno;
    }
    char *slash = o->config ? strrchr(abs, '/') : NULL;
    if (slash)
        *slash = 0;
    r->conf.dir = strdup(o->config ? abs : ".");
    if (!r->conf.dir)
        return HK_ENOMEM;
    if (o->config && hk_jdoc_load(&r->doc, abs, slash + 1, &r->diags) != 0)
        return HK_ECONF;
    if (!o->config) {
        r->doc = (struct hk_jdoc){.name = strdup("(--plugin)"),
                                  .text = strdup("{}"),
                                  .len = 2,
                                  .root = json_object(),
                                  .diags = &r->diags};
        if (!r->doc.name || !r->doc.text || !r->doc.root)
            return HK_ENOMEM;
    }
    json_t *root = r->doc.root, *plugin;
    if (o->plugin && json_is_object(root) && !json_object_get(root, "plugin"))
        json_object_set_new(root, "plugin", json_string(o->plugin));
    plugin = json_object_get(root, "plugin");
    if (json_is_string(plugin) && !json_object_get(root, "name")) {
        char name[64];
        default_name(json_string_value(plugin), name, sizeof name);
        json_object_set_new(root, "name", json_string(name));
    }
    return 0;
}

/* --plugin: a path, or a file name without a directory that is not in the current one
 * ("exec.so", "exec"): then the plugin of that name in the plugin directory, as hookd finds
 * "plugin": "exec". */
static int override_plugin(const struct pr_opts *o, struct pr_run *r)
{
    char abs[PATH_MAX], in_dir[PATH_MAX + 256];
    if (!o->plugin)
        return 0;
    const char *path = o->plugin;
    if (!strchr(path, '/') && access(path, F_OK) != 0) {
        size_t n = strlen(path);
        bool has_so = n > 3 && strcmp(path + n - 3, ".so") == 0;
        snprintf(in_dir, sizeof in_dir, "%s/%s%s", r->conf.plugin_dir, path, has_so ? "" : ".so");
        path = in_dir;
    }
    free(r->ic.so_path);
    r->ic.so_path = strdup(realpath(path, abs) ? abs : path);
    return r->ic.so_path ? 0 : HK_ENOMEM;
}

static int load_instance(const struct pr_opts *o, struct pr_run *r)
{
    char err[HK_ERRMSG_MAX];
    r->source.name = o->source;
    r->conf.sources = &r->source;
    r->conf.nsources = 1;
    r->conf.plugin_dir = !o->plugin_dir ? hk_default_plugin_dir() : realpath(o->plugin_dir, NULL);
    if (!r->conf.plugin_dir && o->plugin_dir)
        r->conf.plugin_dir = strdup(o->plugin_dir); /* a missing directory: named later */
    int rc = r->conf.plugin_dir ? load_doc(o, r) : HK_ENOMEM;
    if (rc == 0)
        rc = hk_conf_instance_parse(&r->conf, &r->doc, &r->ic);
    if (rc == 0)
        rc = override_plugin(o, r);
    if (rc == 0 && o->isolation >= 0)
        r->ic.isolated = o->isolation == 1;
    for (size_t i = 0; i < r->diags.n && i < r->diags.cap; i++)
        fprintf(stderr, "%s\n", r->diags.lines[i] ? r->diags.lines[i] : "(out of memory)");
    if (rc == 0 && (rc = hk_instance_create(&r->ic, &r->inst, err, sizeof err)) != 0)
        fprintf(stderr, "%s\n", err);
    if (rc == HK_ENOMEM)
        fprintf(stderr, "hookd-plugin-run: out of memory\n");
    return rc;
}

static void run_free(struct pr_run *r)
{
    pr_feed_end();
    hk_instance_destroy(r->inst);
    hk_conf_instance_clear(&r->ic);
    hk_jdoc_free(&r->doc);
    hk_diags_free(&r->diags);
    free(r->conf.plugin_dir);
    free(r->conf.dir);
}

static int feed(const struct pr_opts *o, struct pr_run *r)
{
    struct pr_counts c = {0};
    FILE *in = strcmp(o->events, "-") == 0 ? stdin : fopen(o->events, "r");
    if (!in) {
        fprintf(stderr, "hookd-plugin-run: %s: %s: pass an existing JSON-lines file\n", o->events,
                strerror(errno));
        return PR_EXIT_ERROR;
    }
    int rc = pr_feed(o, r->inst, in, stdout, &c);
    if (in != stdin)
        fclose(in);
    if (rc)
        fprintf(stderr, "hookd-plugin-run: %s: %s\n", o->events, hk_strerror(rc));
    if (rc || c.bad_lines)
        return PR_EXIT_ERROR;
    return c.permanent || c.crashed ? PR_EXIT_PERMANENT : PR_EXIT_OK;
}

int main(int argc, char **argv)
{
    struct pr_opts o;
    struct pr_run r = {0};
    int status = PR_EXIT_ERROR;
    if (argc == 2 && strcmp(argv[1], "worker") == 0) /* started by this tool itself */
        return hk_worker_main(HK_WORKER_FD);
    hk_isolated_use_self();
    if (parse_args(argc, argv, &o) != 0)
        goto out_headers;
    if (hk_runtime_dir_create() != 0 || load_instance(&o, &r) != 0)
        goto out_run;
    status = feed(&o, &r);
out_run:
    run_free(&r);
out_headers:
    free_headers(&o);
    return status;
}
