/* plugin_lib.h -- loading plugin shared objects safely.
 *
 * A library is loaded from a copy named after its content (SHA-256), because dlopen() of a
 * rebuilt file at the same path can return the image already loaded; the copy makes a
 * rebuilt plugin really reload. Files writable by group or others are refused. The exported
 * descriptor is validated (ABI major, minor not newer, struct size, name, patterns, handle)
 * before any plugin code runs. One library may back many instances; it is reference-counted
 * and closed with the last reference (never, with HOOKD_PLUGIN_NO_UNLOAD). */
#ifndef HK_PLUGIN_LIB_H
#define HK_PLUGIN_LIB_H

#include <hookd/plugin.h>
#include <stdatomic.h>
#include <stddef.h>

struct hk_plugin_lib {
    atomic_uint refs;
    char *path;                 /* owned; the file as configured */
    char *copy_path;            /* owned; the content-named copy that was dlopen()ed */
    char hash[65];              /* hex SHA-256 of the content */
    void *handle;               /* dlopen handle */
    const hookd_plugin *desc;   /* validated; points into the library */
    struct hk_plugin_lib *next; /* the process-wide registry, guarded by its mutex */
};

/* Sets the directory for content-named copies (created 0700 by the caller) for the life of
 * the process; dir is copied. Not thread-safe: call once at start (runtime_dir.h does). */
void hk_plugin_lib_set_runtime_dir(const char *dir);

/* Loads the library at path (or takes another reference to the one already loaded with the
 * same content, whatever its path: lib->path is then the first path it was loaded from). 0 with
 * *out set, or a negative code with a message in err (cap bytes) that names the file, the cause and
 * the fix, e.g. "plugin \"audit\" was built for ABI 2.0, this hookd is 1.0: rebuild it against
 * hookd-sdk 1.x". Control thread. */
int hk_plugin_lib_open(const char *path, struct hk_plugin_lib **out, char *err, size_t cap);
/* Drops a reference; the last one dlclose()s and removes the copy, unless the plugin is
 * HOOKD_PLUGIN_NO_UNLOAD: then the library stays loaded and registered, and a later open of
 * the same content takes it again. NULL is a no-op. Control thread. */
void hk_plugin_lib_release(struct hk_plugin_lib *lib);

#endif
