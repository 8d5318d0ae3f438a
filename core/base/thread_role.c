/* thread_role.c -- background threads: named, and SCHED_BATCH. */
#include "base/thread_role.h"

#include <pthread.h>
#include <sched.h>

void hk_thread_background(const char *name)
{
    struct sched_param sp = {0};
    pthread_setname_np(pthread_self(), name);
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp); /* a hint: failure is harmless */
}
