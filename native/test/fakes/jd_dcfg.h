// Host fake of jacdac-c's jd_dcfg.h (board config keys).
#pragma once
#include <stdint.h>
int32_t dcfg_get_i32(const char *key, int32_t defl);
