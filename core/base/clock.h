/* clock.h -- the clocks every stage reads, in one place. Any thread. */
#ifndef HK_CLOCK_H
#define HK_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ms: for durations and deadlines inside this process. */
int64_t hk_mono_ms(void);
/* CLOCK_MONOTONIC in us: for latencies. */
int64_t hk_mono_us(void);
/* CLOCK_REALTIME in ms: for what is stored or shown (received_ms, next_ms, reload times). */
int64_t hk_wall_ms(void);
/* Initialises a condition variable whose timed waits count on CLOCK_MONOTONIC, so a step
 * of the wall clock neither shortens nor stretches them. 0 or a positive errno. */
int hk_cond_init_mono(pthread_cond_t *cond);
/* The absolute CLOCK_MONOTONIC time ms from now, for pthread_cond_timedwait on a condition
 * made by hk_cond_init_mono. */
struct timespec hk_mono_deadline(int64_t ms);

#endif
