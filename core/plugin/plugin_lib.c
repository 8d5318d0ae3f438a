/* plugin_lib.c -- loading plugin libraries from content-named copies, once per content. */
#include "plugin/plugin_lib.h"

#include "base/codec.h"
#include "base/err.h"
#include "base/errmsg.h"
#include "base/log.h"
#include "plugin/plugin_desc.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK        65536
#define COPY_MODE         0500
#define OTHER_MAJORS_LAST 9   /* hookd_plugin_v2 .. v9 are looked for to explain a mismatch */
#define COPY_BASE_MAX     160 /* bytes of the original name kept in the copy's name */

static char runtime_dir[PATH_MAX];
static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hk_plugin_lib *registry; /* guarded by registry_mu */

void hk_plugin_lib_set_runtime_dir(const char *dir)
{
    snprintf(runtime_dir, sizeof runtime_dir, "%s", dir);
}

/* Opens path for reading once it is known to be a regular file only its owner can write.
 * The checks use the open descriptor, so what is checked is what is read. */
static int open_checked(const char *path, char *err, size_t cap)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return hk_errmsg(
            err, cap, HK_ENOENT,
            "plugin file %s does not exist: install the plugin there, or correct "
            "\"plugin\" (a bare name is looked up as NAME.so in hookd.json's \"plugin_dir\", "
            "or hookd-plugin-run's --plugin-dir)",
            path);
    if (fd < 0)
        return hk_errmsg(err, cap, -errno,
                         "cannot read plugin file %s: %s: make it readable by hookd", path,
                         strerror(errno));
    int rc = fstat(fd, &st) < 0 ? -errno : 0;
    if (!rc && !S_ISREG(st.st_mode))
        rc = hk_errmsg(err, cap, HK_EINVAL,
                       "plugin file %s is not a regular file: point \"plugin\" "
                       "at the .so file",
                       path);
    else if (!rc && (st.st_mode & (S_IWGRP | S_IWOTH)))
        rc = hk_errmsg(err, cap, HK_EPERM,
                       "plugin file %s is writable by its group or by others, who could change the "
                       "code hookd runs: chmod go-w %s",
                       path, path);
    else if (rc)
        hk_errmsg(err, cap, rc, "cannot read plugin file %s: %s", path, hk_strerror(rc));
    if (rc)
        close(fd);
    return rc ? rc : fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno != EINTR)
            return -errno;
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
    }
    return 0;
}

/* Copies in to out while hashing it: the copy is exactly what was hashed. */
static int copy_hashing(int in, int out, char hash[65])
{
    static uint8_t chunk[COPY_CHUNK]; /* registry_mu held */
    uint8_t digest[32];
    mbedtls_sha256_context h;
    mbedtls_sha256_init(&h);
    int rc = mbedtls_sha256_starts_ret(&h, 0) ? HK_EIO : 0;
    while (!rc) {
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n == 0)
            break;
        if (n < 0)
            rc = errno == EINTR ? 0 : -errno;
        else
            rc = mbedtls_sha256_update_ret(&h, chunk, (size_t)n) ? HK_EIO
                                                                 : write_all(out, chunk, (size_t)n);
    }
    if (!rc && mbedtls_sha256_finish_ret(&h, digest))
        rc = HK_EIO;
    mbedtls_sha256_free(&h);
    if (!rc)
        hk_hex_encode(digest, sizeof digest, hash);
    return rc;
}

/* Writes a private temporary copy of fd into the runtime directory; its name goes to tmp. */
static int make_copy(int fd, const char *path, char *tmp, size_t tmpcap, char hash[65], char *err,
                     size_t cap)
{
    int rc, n = snprintf(tmp, tmpcap, "%s/.copy-XXXXXX", runtime_dir);
    if (n < 0 || (size_t)n >= tmpcap) {
        rc = HK_ENAMETOOLONG;
        goto err_report;
    }
    int out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0) {
        rc = -errno;
        goto err_report;
    }
    rc = copy_hashing(fd, out, hash);
    if (!rc && fchmod(out, COPY_MODE) < 0)
        rc = -errno;
    if (close(out) < 0 && !rc)
        rc = -errno;
    if (!rc)
        return 0;
    unlink(tmp);
err_report:
    return hk_errmsg(err, cap, rc,
                     "cannot copy plugin file %s into %s: %s: check free space there (set "
                     "TMPDIR to move it)",
                     path, runtime_dir, hk_strerror(rc));
}

/* Names the copy RUNTIME_DIR/<hash>-<basename>.so, keeping one already there. */
static int place_copy(const char *tmp, struct hk_plugin_lib *lib, char *err, size_t cap)
{
    const char *base = strrchr(lib->path, '/');
    base = base ? base + 1 : lib->path;
    size_t n = strlen(base);
    if (n > 3 && strcmp(base + n - 3, ".so") == 0)
        n -= 3;
    if (n > COPY_BASE_MAX)
        n = COPY_BASE_MAX;
    if (asprintf(&lib->copy_path, "%s/%s-%.*s.so", runtime_dir, lib->hash, (int)n, base) < 0) {
        lib->copy_path = NULL;
        unlink(tmp);
        return hk_errmsg(err, cap, HK_ENOMEM, "out of memory loading plugin %s", lib->path);
    }
    if (access(lib->copy_path, F_OK) == 0) {
        unlink(tmp);
        return 0;
    }
    if (rename(tmp, lib->copy_path) == 0)
        return 0;
    int rc = -errno;
    unlink(tmp);
    return hk_errmsg(err, cap, rc, "cannot name the copy of plugin %s in %s: %s", lib->path,
                     runtime_dir, hk_strerror(rc));
}

static const char *dlopen_fix(const char *why)
{
    if (strstr(why, "undefined symbol"))
        return "a plugin may use only libraries it links and the host services table, never "
               "hookd's own symbols: link what defines the symbol (build with -Wl,-z,defs, as "
               "hookd_add_plugin does, to catch this at link time)";
    if (strstr(why, "failed to map segment"))
        return "the runtime directory may be on a noexec mount: set TMPDIR to a directory "
               "where files may be executed";
    return "rebuild it for this machine against hookd-sdk 1.x";
}

static int dlopen_failed(struct hk_plugin_lib *lib, char *err, size_t cap)
{
    const char *why = dlerror();
    size_t n = strlen(lib->copy_path);
    why = why ? why : "unknown error";
    if (strncmp(why, lib->copy_path, n) == 0 && strncmp(why + n, ": ", 2) == 0)
        why += n + 2; /* the copy's name would only confuse: the message names the file */
    return hk_errmsg(err, cap, HK_EPLUGIN, "plugin %s cannot be loaded: %s: %s", lib->path, why,
                     dlopen_fix(why));
}

/* Explains a library without hookd_plugin_v1: another ABI major, or not a plugin at all. */
static int no_descriptor(struct hk_plugin_lib *lib, char *err, size_t cap)
{
    char sym[32];
    for (unsigned major = 2; major <= OTHER_MAJORS_LAST; major++) {
        snprintf(sym, sizeof sym, "hookd_plugin_v%u", major);
        const uint32_t *v = dlsym(lib->handle, sym); /* abi_major, abi_minor stay first */
        if (v)
            return hk_errmsg(err, cap, HK_EABI,
                             "plugin %s was built for ABI %u.%u, this hookd is %u.%u: rebuild it "
                             "against hookd-sdk %u.x",
                             lib->path, major, v[1], HOOKD_PLUGIN_ABI_MAJOR, HOOKD_PLUGIN_ABI_MINOR,
                             HOOKD_PLUGIN_ABI_MAJOR);
    }
    return hk_errmsg(
        err, cap, HK_EPLUGIN,
        "%s is not a hookd plugin: it exports no %s: define one with "
        "HOOKD_PLUGIN_DEFINE (from <hookd/plugin.h>) and build it with hookd_add_plugin",
        lib->path, HOOKD_PLUGIN_SYMBOL);
}

static int load(struct hk_plugin_lib *lib, char *err, size_t cap)
{
    dlerror();
    lib->handle = dlopen(lib->copy_path, RTLD_NOW | RTLD_LOCAL);
    if (!lib->handle)
        return dlopen_failed(lib, err, cap);
    lib->desc = dlsym(lib->handle, HOOKD_PLUGIN_SYMBOL);
    int rc = lib->desc ? hk_plugin_desc_check(lib->desc, lib->path, err, cap)
                       : no_descriptor(lib, err, cap);
    if (rc) {
        dlclose(lib->handle);
        lib->handle = NULL;
        lib->desc = NULL;
    }
    return rc;
}

static struct hk_plugin_lib *registry_find(const char *hash)
{
    for (struct hk_plugin_lib *l = registry; l; l = l->next)
        if (strcmp(l->hash, hash) == 0)
            return l;
    return NULL;
}

static void lib_free(struct hk_plugin_lib *lib)
{
    free(lib->copy_path);
    free(lib->path);
    free(lib);
}

/* A new library for the content hash, copied from tmp; registry_mu held. */
static int lib_new(const char *path, const char *hash, const char *tmp, struct hk_plugin_lib **out,
                   char *err, size_t cap)
{
    struct hk_plugin_lib *lib = calloc(1, sizeof *lib);
    if (!lib || !(lib->path = strdup(path))) {
        free(lib);
        unlink(tmp);
        return hk_errmsg(err, cap, HK_ENOMEM, "out of memory loading plugin %s", path);
    }
    memcpy(lib->hash, hash, sizeof lib->hash);
    int rc = place_copy(tmp, lib, err, cap);
    if (rc)
        goto err_free;
    rc = load(lib, err, cap);
    if (rc)
        goto err_remove_copy;
    atomic_init(&lib->refs, 1);
    lib->next = registry;
    registry = lib;
    hk_log(HK_LOG_INFO, "plugin loaded", HK_S("plugin", lib->desc->name),
           HK_S("version", lib->desc->version), HK_S("file", path), HK_SN("sha256", hash, 12));
    *out = lib;
    return 0;

err_remove_copy:
    unlink(lib->copy_path);
err_free:
    lib_free(lib);
    return rc;
}

static int open_locked(const char *path, struct hk_plugin_lib **out, char *err, size_t cap)
{
    char hash[65], tmp[PATH_MAX];
    int fd = open_checked(path, err, cap);
    if (fd < 0)
        return fd;
    int rc = make_copy(fd, path, tmp, sizeof tmp, hash, err, cap);
    close(fd);
    if (rc)
        return rc;
    struct hk_plugin_lib *lib = registry_find(hash);
    if (!lib)
        return lib_new(path, hash, tmp, out, err, cap);
    unlink(tmp);
    atomic_fetch_add(&lib->refs, 1);
    *out = lib;
    return 0;
}

int hk_plugin_lib_open(const char *path, struct hk_plugin_lib **out, char *err, size_t cap)
{
    *out = NULL;
    if (!runtime_dir[0])
        return hk_errmsg(err, cap, HK_EINVAL,
                         "cannot load plugin %s: no runtime directory for plugin copies: call "
                         "hk_runtime_dir_create() first",
                         path);
    pthread_mutex_lock(&registry_mu);
    int rc = open_locked(path, out, err, cap);
    pthread_mutex_unlock(&registry_mu);
    return rc;
}

static void registry_remove(struct hk_plugin_lib *lib)
{
    for (struct hk_plugin_lib **p = &registry; *p; p = &(*p)->next)
        if (*p == lib) {
            *p = lib->next;
            return;
        }
}

void hk_plugin_lib_release(struct hk_plugin_lib *lib)
{
    if (!lib)
        return;
    pthread_mutex_lock(&registry_mu);
    bool last = atomic_fetch_sub(&lib->refs, 1) == 1;
    if (last && !(lib->desc->flags & HOOKD_PLUGIN_NO_UNLOAD)) {
        /* under the lock, so that an open of the same content cannot meet a half-closed copy */
        registry_remove(lib);
        dlclose(lib->handle);
        unlink(lib->copy_path);
        lib_free(lib);
    }
    pthread_mutex_unlock(&registry_mu);
}
