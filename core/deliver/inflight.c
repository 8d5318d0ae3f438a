/* inflight.c -- the record of deliveries inside handle() (see inflight.h). */
#include "deliver/inflight.h"

#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FILE_BYTES (HK_INFLIGHT_SLOTS * sizeof(int64_t))

struct hk_inflight {
    int fd;
    _Atomic int64_t *rows;                /* the mapped file: one row id per slot */
    atomic_bool taken[HK_INFLIGHT_SLOTS]; /* in this process only */
};

static void unmap(struct hk_inflight *f);

static int fail(char *err, size_t cap, const char *path, const char *what, int rc)
{
    snprintf(err, cap,
             "%s: cannot %s the record of deliveries in progress: %s: check that hookd may "
             "write the store's directory",
             path, what, strerror(-rc));
    return rc;
}

/* What the previous process left: every slot that still names a delivery. */
static int collect(const _Atomic int64_t *rows, int64_t **prev, size_t *nprev)
{
    size_t n = 0;
    for (size_t i = 0; i < HK_INFLIGHT_SLOTS; i++)
        n += atomic_load(&rows[i]) > 0;
    *prev = calloc(n ? n : 1, sizeof **prev);
    if (!*prev)
        return HK_ENOMEM;
    *nprev = 0;
    for (size_t i = 0; i < HK_INFLIGHT_SLOTS; i++)
        if (atomic_load(&rows[i]) > 0)
            (*prev)[(*nprev)++] = atomic_load(&rows[i]);
    return 0;
}

int hk_inflight_open(const char *path, struct hk_inflight **out, int64_t **prev, size_t *nprev,
                     char *err, size_t cap)
{
    struct hk_inflight *f = calloc(1, sizeof *f);
    if (!f)
        return HK_ENOMEM;
    f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f->fd < 0) {
        int rc = -errno;
        free(f);
        return fail(err, cap, path, "open", rc);
    }
    if (ftruncate(f->fd, FILE_BYTES) != 0) { /* a new file is all zeros: nothing in flight */
        int rc = -errno;
        close(f->fd);
        free(f);
        return fail(err, cap, path, "size", rc);
    }
    void *p = mmap(NULL, FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
    if (p == MAP_FAILED) {
        int rc = -errno;
        close(f->fd);
        free(f);
        return fail(err, cap, path, "map", rc);
    }
    f->rows = p;
    int rc = collect(f->rows, prev, nprev);
    if (rc) {
        unmap(f);
        return rc;
    }
    memset((void *)f->rows, 0, FILE_BYTES);
    *out = f;
    return 0;
}

uint32_t hk_inflight_claim(struct hk_inflight *f)
{
    if (!f)
        return HK_INFLIGHT_NONE;
    for (uint32_t i = 0; i < HK_INFLIGHT_SLOTS; i++)
        if (!atomic_exchange(&f->taken[i], true))
            return i;
    return HK_INFLIGHT_NONE;
}

void hk_inflight_release(struct hk_inflight *f, uint32_t slot)
{
    if (!f || slot == HK_INFLIGHT_NONE)
        return;
    atomic_store(&f->rows[slot], 0);
    atomic_store(&f->taken[slot], false);
}

void hk_inflight_set(struct hk_inflight *f, uint32_t slot, int64_t rowid)
{
    if (f && slot != HK_INFLIGHT_NONE)
        atomic_store_explicit(&f->rows[slot], rowid, memory_order_relaxed);
}

static void unmap(struct hk_inflight *f)
{
    munmap((void *)f->rows, FILE_BYTES);
    close(f->fd);
    free(f);
}

void hk_inflight_clear(struct hk_inflight *f)
{
    /* Slot by slot, atomically: an abandoned handler's thread may still clear its own. */
    for (size_t i = 0; f && i < HK_INFLIGHT_SLOTS; i++)
        atomic_store(&f->rows[i], 0);
}

void hk_inflight_close(struct hk_inflight *f)
{
    if (!f)
        return;
    hk_inflight_clear(f);
    unmap(f);
}
