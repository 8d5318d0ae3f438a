/* ip_presets.c -- the preset address lists, as data.
 *
 * Flagright's webhook senders, per region, from its documentation (DESIGN.md). Asia and
 * Australia share 18.139.42.183. "flagright" is every region: a tenant may be moved between
 * regions, and an allowlist that is too narrow loses events (a refused request is retried,
 * but only for a while). */
#include "base/ip_presets.h"

#include <stdio.h>
#include <string.h>

#define FLAGRIGHT_US "35.155.123.185", "44.237.56.178", "52.11.98.137"
#define FLAGRIGHT_EU                                                                               \
    "3.67.28.78", "3.76.95.10", "35.156.181.187", "18.132.155.115", "18.134.212.219",              \
        "35.177.249.136"
#define FLAGRIGHT_ASIA                                                                             \
    "18.139.42.183", "3.1.188.28", "3.1.234.194", "13.234.102.242", "3.109.243.84", "43.205.70.199"
#define FLAGRIGHT_AU "18.139.42.183", "3.104.94.7", "54.79.45.195"
#define FLAGRIGHT_ME "3.28.175.208", "3.28.224.220", "51.112.26.119"

static const char *const flagright_all[] = {FLAGRIGHT_US, FLAGRIGHT_EU, FLAGRIGHT_ASIA,
                                            FLAGRIGHT_AU, FLAGRIGHT_ME, NULL};
static const char *const flagright_us[] = {FLAGRIGHT_US, NULL};
static const char *const flagright_eu[] = {FLAGRIGHT_EU, NULL};
static const char *const flagright_asia[] = {FLAGRIGHT_ASIA, NULL};
static const char *const flagright_au[] = {FLAGRIGHT_AU, NULL};
static const char *const flagright_me[] = {FLAGRIGHT_ME, NULL};

static const struct {
    const char *name;
    const char *const *addrs;
} presets[] = {
    {"flagright", flagright_all},   {"flagright-us", flagright_us},
    {"flagright-eu", flagright_eu}, {"flagright-asia", flagright_asia},
    {"flagright-au", flagright_au}, {"flagright-me", flagright_me},
};

const char *const *hk_ip_preset(const char *name)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0)
            return presets[i].addrs;
    return NULL;
}

void hk_ip_preset_names(char *out, size_t cap)
{
    size_t len = 0;
    if (cap)
        out[0] = 0;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0] && len < cap; i++) {
        int w = snprintf(out + len, cap - len, "%s%s", i ? ", " : "", presets[i].name);
        len += w > 0 ? (size_t)w : 0;
    }
}
