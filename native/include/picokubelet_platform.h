// picokubelet's firmware overlay for devicescript-esp32: call from app_init_services()
// in main/main.c, after devs_service_full_init().
#pragma once

#include <stdint.h>

// Probes the W5500, brings Ethernet up (or leaves Wi-Fi to carry the sockets) and starts the
// Picokubelet Platform Jacdac service.
void picokubelet_platform_init(void);

// The service's current Transport value (0 none, 1 Ethernet, 2 Wi-Fi), or -1 before init.
int picokubelet_platform_transport(void);
