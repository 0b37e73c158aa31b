// Host fake of esp_wifi.h / esp_wifi_types.h (v5.0.5): only the events native/ watches.
#pragma once
#include "esp_event.h"
typedef enum {
    WIFI_EVENT_WIFI_READY = 0,
    WIFI_EVENT_SCAN_DONE,
    WIFI_EVENT_STA_START,
    WIFI_EVENT_STA_STOP,
    WIFI_EVENT_STA_CONNECTED,
    WIFI_EVENT_STA_DISCONNECTED,
} wifi_event_t;
ESP_EVENT_DECLARE_BASE(WIFI_EVENT);
