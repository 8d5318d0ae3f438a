/* runtime_dir.h -- hookd's private directory for files that live as long as the process.
 *
 * Plugin libraries are loaded from content-named copies kept here (see plugin_lib.h). The
 * directory is created with mkdtemp() as $TMPDIR/hookd-XXXXXX (or /tmp/hookd-XXXXXX), mode
 * 0700, and removed with its files when the process that created it exits, also after a
 * failed start. A process killed with SIGKILL leaves it behind: it holds nothing secret. */
#ifndef HK_RUNTIME_DIR_H
#define HK_RUNTIME_DIR_H

/* Creates the directory (once per process; later calls return 0 at once), arranges its
 * removal at exit and hands it to hk_plugin_lib_set_runtime_dir(). 0, or a negative code
 * after logging what failed and how to fix it. Call on the main thread before any plugin is
 * loaded. */
int hk_runtime_dir_create(void);
/* The directory's absolute path (static storage), or NULL before hk_runtime_dir_create(). */
const char *hk_runtime_dir_path(void);
/* Removes the files in the directory and the directory itself; a no-op in any process but
 * the one that created it (a forked child must not remove its parent's files). Runs by
 * itself at exit. */
void hk_runtime_dir_remove(void);

#endif
