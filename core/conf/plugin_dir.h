/* plugin_dir.h -- where "plugin": "NAME" looks when hookd.json sets no "plugin_dir". */
#ifndef HK_PLUGIN_DIR_H
#define HK_PLUGIN_DIR_H

/* The plugin directory that belongs to this executable (malloc'd; NULL when out of memory):
 * beside an installed binary under any prefix, PREFIX/bin/X -> PREFIX/lib/hookd/plugins; in
 * a build tree, build/core/hookd -> build/plugins; else the directory the build was
 * configured to install into. So a copy of a configuration directory works wherever it is,
 * and a binary finds the plugins installed with it. */
char *hk_default_plugin_dir(void);

#endif
