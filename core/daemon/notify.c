/* notify.c -- sd_notify(3) messages for systemd (notify.h). */
#include "daemon/notify.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

void hk_notify_ready(uint64_t generation, const char *hash)
{
    sd_notifyf(0, "READY=1\nSTATUS=serving, configuration generation %llu (%.12s)",
               (unsigned long long)generation, hash);
}

void hk_notify_reloading(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* MONOTONIC_USEC lets systemd tell this reload from an earlier one (Type=notify-reload). */
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
               (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
}

void hk_notify_reloaded(uint64_t generation, bool ok, const char *hash)
{
    sd_notifyf(0, "READY=1\nSTATUS=serving, configuration generation %llu (%.12s)%s",
               (unsigned long long)generation, hash,
               ok ? "" : "; the last reload failed: see hookd status");
}

void hk_notify_stopping(const char *why)
{
    sd_notifyf(0, "STOPPING=1\nSTATUS=stopping (%s): finishing requests and handler calls", why);
}

uint64_t hk_notify_watchdog_ms(void)
{
    uint64_t usec = 0;
    return sd_watchdog_enabled(0, &usec) > 0 ? usec / 1000 : 0;
}

void hk_notify_alive(void)
{
    sd_notify(0, "WATCHDOG=1");
}
