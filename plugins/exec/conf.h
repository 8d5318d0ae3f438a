/* conf.h -- the exec plugin's settings, read and checked once in init(). */
#ifndef HKEXEC_CONF_H
#define HKEXEC_CONF_H

#include <hookd/plugin.h>
#include <stddef.h>

#define HKEXEC_TIMEOUT_DEFAULT_MS 30000

/* Read-only after init(), so handle() calls share it without a lock. */
struct hkexec_conf {
    char **argv; /* owned, NULL-terminated; argv[0] absolute */
    char **env;  /* owned, NULL-terminated: the environment every run starts from */
    size_t nenv;
    char *cwd; /* owned; NULL for hookd's working directory */
    int64_t timeout_ms;
};

/* Reads "command" or "shell", "env", "cwd" and "timeout_ms" through api. 0, or a negative
 * errno after logging (error level) which setting is wrong and how to fix it; *c then holds
 * nothing to free. Control thread. */
int hkexec_conf_read(struct hkexec_conf *c, hookd_ctx *ctx, const hookd_host_api *api);
void hkexec_conf_free(struct hkexec_conf *c);

#endif
