/* isolated.h -- an instance whose plugin runs in worker processes ("isolation": "process").
 * hookd never loads such a .so itself: when the instance is built (at start, at reload, by
 * hookd -t) a first worker loads it, runs init() and reports the plugin's name, version,
 * flags and subscriptions, which become the instance's description; then that worker ends
 * (fini()). The lane's threads start their own workers to handle events (plugin/remote.h). */
#ifndef HK_ISOLATED_H
#define HK_ISOLATED_H

#include "conf/conf.h"
#include "plugin/plugin_lib.h"
#include "plugin/wire.h"

#include <stddef.h>

#define HK_WORKER_START_MS 30000 /* a worker's init() and HELLO, at the most */

/* The executable started as `EXE worker` (hookd's own). Set once at start, before any
 * isolated instance is built; not thread-safe. */
void hk_isolated_set_exe(const char *exe);
/* The same with this very executable (/proc/self/exe): hookd, or a tool that serves as its
 * own worker. */
void hk_isolated_use_self(void);
const char *hk_isolated_exe(void);
/* The INIT message for a worker of ic: json_text is ic's "config" as JSON text (the caller
 * frees it with free()). 0 or HK_ENOMEM. */
int hk_isolated_init_msg(const struct hk_instance_conf *ic, struct hk_wire_init *m,
                         char **json_text);
/* Starts a worker of ic to learn its plugin's description: a library record (not loaded,
 * never registered) whose desc holds copies of the HELLO's name, version, flags and
 * subscriptions. 0 with *out set (free it with hk_isolated_lib_free), or an error with a
 * message in err naming ic's file, the cause and the fix. */
int hk_isolated_describe(const struct hk_instance_conf *ic, struct hk_plugin_lib **out, char *err,
                         size_t cap);
void hk_isolated_lib_free(struct hk_plugin_lib *lib);

#endif
