/* plugin_desc.c -- validating an exported hookd_plugin descriptor. */
#include "plugin/plugin_desc.h"

#include "base/err.h"
#include "base/errmsg.h"
#include "conf/conf_instance.h"

#include <stdio.h>
#include <string.h>

#define MEMBER_END(type, m) (offsetof(type, m) + sizeof(((type *)0)->m))
#define KNOWN_FLAGS         (HOOKD_PLUGIN_SERIAL | HOOKD_PLUGIN_NO_UNLOAD)

/* The size of hookd_plugin at each minor of ABI 1: append one entry per new minor. */
static const size_t size_for_minor[] = {
    [0] = MEMBER_END(hookd_plugin, fini),
};
_Static_assert(sizeof size_for_minor / sizeof size_for_minor[0] == HOOKD_PLUGIN_ABI_MINOR + 1,
               "add the descriptor size of the new ABI minor to size_for_minor");

size_t hk_plugin_desc_size(unsigned minor)
{
    return minor <= HOOKD_PLUGIN_ABI_MINOR ? size_for_minor[minor] : 0;
}

int hk_plugin_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > HK_PLUGIN_NAME_MAX || name[0] < 'a' || name[0] > 'z')
        return 0;
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int check_version(const hookd_plugin *d, const char *path, char *err, size_t cap)
{
    if (d->abi_major != HOOKD_PLUGIN_ABI_MAJOR)
        return hk_errmsg(err, cap, HK_EABI,
                         "plugin %s exports hookd_plugin_v1 but its descriptor says ABI %u.%u: "
                         "define it with HOOKD_PLUGIN_DEFINE and rebuild it against hookd-sdk %u.x",
                         path, d->abi_major, d->abi_minor, HOOKD_PLUGIN_ABI_MAJOR);
    if (d->abi_minor > HOOKD_PLUGIN_ABI_MINOR)
        return hk_errmsg(err, cap, HK_EABI,
                         "plugin %s was built for ABI %u.%u, this hookd is %u.%u: rebuild it "
                         "against hookd-sdk %u.%u or upgrade hookd",
                         path, d->abi_major, d->abi_minor, HOOKD_PLUGIN_ABI_MAJOR,
                         HOOKD_PLUGIN_ABI_MINOR, HOOKD_PLUGIN_ABI_MAJOR, HOOKD_PLUGIN_ABI_MINOR);
    size_t need = hk_plugin_desc_size(d->abi_minor);
    if (d->struct_size < need)
        return hk_errmsg(err, cap, HK_EABI,
                         "plugin %s has a short descriptor (struct_size %u, ABI %u.%u needs %zu): "
                         "define it with HOOKD_PLUGIN_DEFINE and rebuild it against hookd-sdk %u.x",
                         path, d->struct_size, d->abi_major, d->abi_minor, need,
                         HOOKD_PLUGIN_ABI_MAJOR);
    if (d->flags & ~(uint32_t)KNOWN_FLAGS)
        return hk_errmsg(err, cap, HK_EABI,
                         "plugin %s sets flags 0x%x unknown to ABI %u.%u: use only "
                         "HOOKD_PLUGIN_SERIAL and HOOKD_PLUGIN_NO_UNLOAD",
                         path, d->flags & ~(uint32_t)KNOWN_FLAGS, d->abi_major, d->abi_minor);
    return 0;
}

static int check_identity(const hookd_plugin *d, const char *path, char *err, size_t cap)
{
    if (!d->name)
        return hk_errmsg(err, cap, HK_EPLUGIN,
                         "plugin %s has no name: set .name in HOOKD_PLUGIN_DEFINE", path);
    if (!hk_plugin_name_valid(d->name))
        return hk_errmsg(err, cap, HK_EPLUGIN,
                         "plugin %s has an invalid name \"%.64s\": use [a-z][a-z0-9_]*, at most %d "
                         "characters, in .name",
                         path, d->name, HK_PLUGIN_NAME_MAX);
    if (!d->version)
        return hk_errmsg(err, cap, HK_EPLUGIN,
                         "plugin \"%s\" (%s) has no version: set .version in HOOKD_PLUGIN_DEFINE",
                         d->name, path);
    if (!d->handle)
        return hk_errmsg(err, cap, HK_EPLUGIN,
                         "plugin \"%s\" (%s) has no handle function: set .handle in "
                         "HOOKD_PLUGIN_DEFINE",
                         d->name, path);
    return 0;
}

static int check_patterns(const hookd_plugin *d, const char *path, char *err, size_t cap)
{
    if (!d->subscribe || !d->subscribe[0])
        return hk_errmsg(err, cap, HK_EPLUGIN,
                         "plugin \"%s\" (%s) subscribes to no event: set .subscribe to a "
                         "NULL-terminated list of patterns, e.g. {\"*\", NULL}",
                         d->name, path);
    for (size_t i = 0; d->subscribe[i]; i++) {
        if (i == HK_PLUGIN_PATTERNS_MAX)
            return hk_errmsg(err, cap, HK_EPLUGIN,
                             "plugin \"%s\" (%s) subscribes to more than %d patterns: end "
                             ".subscribe with NULL, or use a prefix pattern such as \"CASE_*\"",
                             d->name, path, HK_PLUGIN_PATTERNS_MAX);
        if (!hk_pattern_valid(d->subscribe[i]))
            return hk_errmsg(err, cap, HK_EPLUGIN,
                             "plugin \"%s\" (%s) subscribes to an invalid pattern \"%.64s\": use "
                             "an event type, \"PREFIX*\" or \"*\" (characters A-Z a-z 0-9 _ . : / "
                             "-, '*' only at the end)",
                             d->name, path, d->subscribe[i]);
    }
    return 0;
}

static int conf_key_valid(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > HK_PLUGIN_CONF_KEY_MAX || (k[0] >= '0' && k[0] <= '9'))
        return 0;
    return strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static int check_conf_keys(const hookd_plugin *d, const char *path, char *err, size_t cap)
{
    for (size_t i = 0; d->conf_keys && d->conf_keys[i]; i++) {
        const char *k = d->conf_keys[i];
        if (i == HK_PLUGIN_CONF_KEYS_MAX)
            return hk_errmsg(err, cap, HK_EPLUGIN,
                             "plugin \"%s\" (%s) declares more than %d config keys: end .conf_keys "
                             "with NULL",
                             d->name, path, HK_PLUGIN_CONF_KEYS_MAX);
        if (!conf_key_valid(k))
            return hk_errmsg(err, cap, HK_EPLUGIN,
                             "plugin \"%s\" (%s) declares an invalid config key \"%.64s\": use "
                             "letters, digits, '_' and '-', at most %d characters, in .conf_keys",
                             d->name, path, k, HK_PLUGIN_CONF_KEY_MAX);
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->conf_keys[j], k) == 0)
                return hk_errmsg(err, cap, HK_EPLUGIN,
                                 "plugin \"%s\" (%s) declares config key \"%s\" twice: remove one "
                                 "from .conf_keys",
                                 d->name, path, k);
    }
    return 0;
}

int hk_plugin_desc_check(const hookd_plugin *d, const char *path, char *err, size_t cap)
{
    int rc = check_version(d, path, err, cap);
    if (!rc)
        rc = check_identity(d, path, err, cap);
    if (!rc)
        rc = check_patterns(d, path, err, cap);
    if (!rc)
        rc = check_conf_keys(d, path, err, cap);
    return rc;
}
