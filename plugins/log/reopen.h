/* reopen.h -- SIGUSR1 asks every log instance to reopen its file (after logrotate).
 *
 * The handler is installed once per loaded copy of the plugin, with sigaction, and chains
 * to the handler that was there before it (unless that was the default action, which would
 * end the process, or "ignore"). It only bumps a counter; each instance compares the counter
 * with the one its file was opened at, in handle(). The plugin is HOOKD_PLUGIN_NO_UNLOAD so
 * that the handler, and any later handler chaining to it, never points into unmapped code. */
#ifndef HKLOG_REOPEN_H
#define HKLOG_REOPEN_H

/* Installs the handler unless this copy of the plugin already has. 0 or a negative errno. */
int hklog_reopen_install(void);
/* How many SIGUSR1 this copy of the plugin has seen. */
unsigned hklog_reopen_generation(void);

#endif
