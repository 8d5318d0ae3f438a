/* ip_presets.h -- named lists of sender addresses usable in an allowlist ("flagright-eu").
 *
 * Senders publish the addresses they call from and change them now and then; naming them in
 * one data file keeps the configuration short and the update to one place. */
#ifndef HK_IP_PRESETS_H
#define HK_IP_PRESETS_H

#include <stddef.h>

/* The addresses of the preset called name (NULL-terminated, static), or NULL if there is no
 * such preset. */
const char *const *hk_ip_preset(const char *name);
/* Writes the preset names, separated by ", ", into out (truncated to cap), for messages. */
void hk_ip_preset_names(char *out, size_t cap);

#endif
