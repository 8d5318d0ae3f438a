/* thread_role.h -- naming a thread, and marking the ones that do throughput work. */
#ifndef HK_THREAD_ROLE_H
#define HK_THREAD_ROLE_H

/* Names the calling thread (top -H, perf, gdb; at most 15 characters) and makes it
 * SCHED_BATCH: it still gets its share of the CPU, but waking up it never preempts a running
 * thread, so it never pushes an I/O loop, whose latency is the senders', off its core.
 * For the check threads. Not for the store's writer: a request waits for it, and as a
 * SCHED_BATCH thread it was measured slower to answer (bench/store.sh). Needs no
 * privilege. */
void hk_thread_background(const char *name);

#endif
