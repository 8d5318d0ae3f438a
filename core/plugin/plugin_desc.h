/* plugin_desc.h -- checking a plugin's exported descriptor before any of its code runs.
 *
 * Everything the host later relies on is checked here once, when the library is loaded: the
 * ABI version, the struct size the version needs, the name, the subscription patterns, the
 * accepted config keys and the functions. */
#ifndef HK_PLUGIN_DESC_H
#define HK_PLUGIN_DESC_H

#include <hookd/plugin.h>
#include <stddef.h>

#define HK_PLUGIN_NAME_MAX      32  /* bytes of a plugin name */
#define HK_PLUGIN_PATTERNS_MAX  256 /* entries of .subscribe */
#define HK_PLUGIN_CONF_KEYS_MAX 256 /* entries of .conf_keys */
#define HK_PLUGIN_CONF_KEY_MAX  64  /* bytes of one config key */

/* The descriptor size a plugin built against ABI 1.minor has at least, or 0 for a minor
 * newer than this host's. */
size_t hk_plugin_desc_size(unsigned minor);

/* Checks d, the hookd_plugin_v1 object of the library at path (named in messages). 0, or
 * HK_EABI / HK_EPLUGIN with a message in err (cap bytes) naming the file, the cause and the
 * fix. Reads only the descriptor and the static data it points to. Any thread. */
int hk_plugin_desc_check(const hookd_plugin *d, const char *path, char *err, size_t cap);

/* True if name is a valid plugin name: [a-z][a-z0-9_]*, at most HK_PLUGIN_NAME_MAX bytes. */
int hk_plugin_name_valid(const char *name);

#endif
