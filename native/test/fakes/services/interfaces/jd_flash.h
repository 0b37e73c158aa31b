// Host fake of jacdac-c's services/interfaces/jd_flash.h: the settings calls native/ makes, with
// jacdac-c's signatures. jd_settings_large_delete() is left out: jacdac-c declares it but
// defines it nowhere, so a call would not link on the device.
#pragma once
#include <stdint.h>

int jd_settings_get_bin(const char *key, void *dst, unsigned space);
int jd_settings_set_bin(const char *key, const void *val, unsigned size);

const void *jd_settings_get_large(const char *key, unsigned *sizep);
void *jd_settings_prep_large(const char *key, unsigned size);
int jd_settings_write_large(void *dst, const void *src, unsigned size);
int jd_settings_sync_large(void);
