/* crash.h -- when hookd dies of SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGABRT, one log line
 * first names the culprit: the instance, its plugin file, the event and the delivery that
 * the faulting thread was handling, or "hookd core" when no plugin call was on it. Then the
 * signal's default action runs, so a core dump still happens where they are enabled. The
 * delivery is counted as interrupted at the next start either way (deliver/inflight.h). */
#ifndef HK_CRASH_H
#define HK_CRASH_H

/* Installs the handlers (control thread, at start). */
void hk_crash_handlers_install(void);

#endif
