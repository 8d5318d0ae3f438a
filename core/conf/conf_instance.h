/* conf_instance.h -- reading plugins.d: one file, one plugin instance.
 *
 * Only names ending in ".json" are read (so "x.json.off" disables an instance), in byte
 * order of their names. What can be checked without loading the plugin is checked here;
 * the loader (plugin.h) checks the rest against the plugin's descriptor. */
#ifndef HK_CONF_INSTANCE_H
#define HK_CONF_INSTANCE_H

#include "conf/conf.h"

#define HK_PLUGINS_SUBDIR "plugins.d"

/* Fills c->plugin_docs and c->instances; needs c->sources and c->plugin_dir. 0, or
 * HK_ECONF with problems added to diags. */
int hk_conf_instances_load(struct hk_conf *c, struct hk_diags *diags);
void hk_conf_instances_free(struct hk_conf *c);
/* Reads one instance file already loaded as doc (which must outlive ic) into ic; needs
 * c->dir, c->plugin_dir and c->sources. 0, or HK_ECONF with problems added to doc's diags.
 * hookd-plugin-run uses it to read a single instance file. */
int hk_conf_instance_parse(struct hk_conf *c, struct hk_jdoc *doc, struct hk_instance_conf *ic);
/* Frees what one instance owns and zeroes it. */
void hk_conf_instance_clear(struct hk_instance_conf *ic);
/* True if pattern is "*", "PREFIX*" or an exact type: characters [A-Za-z0-9_.:/-], '*' only
 * at the end. */
bool hk_pattern_valid(const char *pattern);

#endif
