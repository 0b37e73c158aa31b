// Host fake of esp_rom_sys.h (v5.0.5).
#pragma once
#include <stdint.h>
void esp_rom_delay_us(uint32_t us);
