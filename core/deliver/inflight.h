/* inflight.h -- the deliveries inside a plugin's handle() right now, kept in a small file
 * mapped into memory so that the record outlives the process.
 *
 * After a crash, a kill -9 or an out-of-memory kill, the next start reads which deliveries
 * were being handled when hookd ended (interrupted attempts: the plugin may have caused the
 * end) as opposed to those that only waited in a lane's memory. Each worker thread owns one
 * slot: it writes the delivery's row id before handle() and clears it after -- two stores to
 * shared memory, no system call. The kernel keeps the file's pages when the process dies;
 * only a power loss can lose the last writes, and then those deliveries count as not
 * interrupted, the side that never dead-letters an event by mistake. */
#ifndef HK_INFLIGHT_H
#define HK_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#define HK_INFLIGHT_SLOTS 4096 /* worker threads recorded at once; more run unrecorded */
#define HK_INFLIGHT_NONE  UINT32_MAX

struct hk_inflight;

/* Opens (creating if needed) the record at path and maps it. What the previous process left
 * in it -- the row ids of the deliveries it was handling when it ended -- is copied into a
 * malloc'd array (*prev, *nprev; the caller frees *prev) and the record is cleared. 0, or a
 * negative code with a message in err naming the file, the cause and the fix. Control
 * thread, before any worker runs. */
int hk_inflight_open(const char *path, struct hk_inflight **out, int64_t **prev, size_t *nprev,
                     char *err, size_t cap);
/* A slot for the calling worker thread, or HK_INFLIGHT_NONE when all are taken (its calls
 * then go unrecorded). f may be NULL (nothing is recorded). Any thread. */
uint32_t hk_inflight_claim(struct hk_inflight *f);
/* Gives the slot back (cleared). Any thread. */
void hk_inflight_release(struct hk_inflight *f, uint32_t slot);
/* Records that the slot's thread is inside handle() for delivery rowid (0: it is not). */
void hk_inflight_set(struct hk_inflight *f, uint32_t slot, int64_t rowid);
/* Clears the record: hookd stops gracefully, and a handler abandoned at the shutdown
 * timeout was not interrupted by a crash. The record stays mapped (that handler may still
 * clear its slot). NULL is ignored. */
void hk_inflight_clear(struct hk_inflight *f);
/* Clears the record, unmaps and closes it, once no worker runs. NULL is ignored. */
void hk_inflight_close(struct hk_inflight *f);

#endif
