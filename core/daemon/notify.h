/* notify.h -- telling systemd how hookd is doing (Type=notify): READY once the listeners and
 * the store are up, RELOADING then READY around a reload, STOPPING, a STATUS line, and the
 * watchdog's keep-alive. Every call is a no-op when hookd was not started by systemd (no
 * NOTIFY_SOCKET). Control thread. */
#ifndef HK_NOTIFY_H
#define HK_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

void hk_notify_ready(uint64_t generation, const char *hash);
void hk_notify_reloading(void);
/* After a reload: READY again, with the result in STATUS. */
void hk_notify_reloaded(uint64_t generation, bool ok, const char *hash);
void hk_notify_stopping(const char *why);
/* The watchdog interval systemd asked for (WatchdogSec=), in ms; 0 when it asked for none.
 * The caller sends hk_notify_alive at half that interval from the control loop, so a loop
 * that hangs stops the keep-alives and systemd restarts hookd. */
uint64_t hk_notify_watchdog_ms(void);
void hk_notify_alive(void);

#endif
