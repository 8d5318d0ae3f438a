/* plugin_run.h -- hookd-plugin-run: feed one plugin instance events from a file.
 *
 * The runner loads the plugin with hookd's own code (hk_instance_create: the same checks,
 * the same host services) and hands it every event of a JSON-lines file, one at a time, on
 * its main thread. */
#ifndef PR_PLUGIN_RUN_H
#define PR_PLUGIN_RUN_H

#include "base/buf.h"
#include "base/header.h"
#include "plugin/instance.h"

#include <stdio.h>

#define PR_HEADERS_MAX 64

/* Exit statuses (documented in the usage text). */
enum pr_exit { PR_EXIT_OK = 0, PR_EXIT_PERMANENT = 1, PR_EXIT_ERROR = 2 };

struct pr_opts {
    const char *plugin;     /* --plugin: the .so (overrides the config's "plugin") */
    const char *config;     /* --config: a plugins.d-style instance file */
    const char *events;     /* --events: JSON lines, "-" for standard input */
    const char *source;     /* --source: the source name events come from */
    const char *plugin_dir; /* --plugin-dir: where a bare "plugin" name is looked up */
    const char *id_field, *type_field, *created_field; /* top-level members of each event */
    unsigned attempts; /* deliveries of an event that keeps returning RETRY */
    int isolation;     /* --isolation: -1 as the instance file says, 0 thread, 1 process */
    struct hk_header headers[PR_HEADERS_MAX]; /* --header / --headers; strings owned */
    struct hk_buf headers_text; /* the same as "name: value\n" lines, NUL-terminated */
    size_t nheaders;
};

/* What happened to the events of one run. */
struct pr_counts {
    size_t ok, retry, permanent, crashed, bad_lines;
};

/* Delivers every event of in that inst subscribes to and prints one line per event to out:
 * "ID TYPE RESULT" (OK, RETRY, PERMANENT, SKIPPED, or CRASHED when an isolated instance's
 * worker died inside handle(): the next event gets a new worker). Bad lines are reported on stderr
 * (named after o->events) and counted. 0, or a negative code if in cannot be read. */
int pr_feed(const struct pr_opts *o, struct hk_instance *inst, FILE *in, FILE *out,
            struct pr_counts *counts);
/* Ends an isolated instance's worker, if one runs (its fini()). */
void pr_feed_end(void);

#endif
