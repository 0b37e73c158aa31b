// Host fake of esp_netif.h / esp_netif_types.h / esp_netif_defaults.h (v5.0.5).
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "esp_err.h"
#include "esp_event.h"

typedef struct esp_netif_obj esp_netif_t;
typedef void *esp_netif_iodriver_handle;
typedef struct esp_netif_driver_ifconfig esp_netif_driver_ifconfig_t;
typedef struct esp_netif_netstack_config esp_netif_netstack_config_t;
typedef struct bridgeif_config bridgeif_config_t;

typedef enum esp_netif_flags {
    ESP_NETIF_DHCP_CLIENT = 1 << 0,
    ESP_NETIF_DHCP_SERVER = 1 << 1,
    ESP_NETIF_FLAG_AUTOUP = 1 << 2,
    ESP_NETIF_FLAG_GARP = 1 << 3,
    ESP_NETIF_FLAG_EVENT_IP_MODIFIED = 1 << 4,
} esp_netif_flags_t;

typedef struct {
    uint32_t addr;
} esp_ip4_addr_t;

typedef struct {
    esp_ip4_addr_t ip;
    esp_ip4_addr_t netmask;
    esp_ip4_addr_t gw;
} esp_netif_ip_info_t;

typedef enum {
    IP_EVENT_STA_GOT_IP,
    IP_EVENT_STA_LOST_IP,
    IP_EVENT_AP_STAIPASSIGNED,
    IP_EVENT_GOT_IP6,
    IP_EVENT_ETH_GOT_IP,
    IP_EVENT_ETH_LOST_IP,
    IP_EVENT_PPP_GOT_IP,
    IP_EVENT_PPP_LOST_IP,
} ip_event_t;
ESP_EVENT_DECLARE_BASE(IP_EVENT);

typedef struct {
    esp_netif_t *esp_netif;
    esp_netif_ip_info_t ip_info;
    bool ip_changed;
} ip_event_got_ip_t;

typedef struct esp_netif_inherent_config {
    esp_netif_flags_t flags;
    uint8_t mac[6];
    const esp_netif_ip_info_t *ip_info;
    uint32_t get_ip_event;
    uint32_t lost_ip_event;
    const char *if_key;
    const char *if_desc;
    int route_prio;
    bridgeif_config_t *bridge_info;
} esp_netif_inherent_config_t;

typedef struct esp_netif_config {
    const esp_netif_inherent_config_t *base;
    const esp_netif_driver_ifconfig_t *driver;
    const esp_netif_netstack_config_t *stack;
} esp_netif_config_t;

#define ESP_NETIF_INHERENT_DEFAULT_ETH()                                                           \
    {                                                                                              \
        .flags = (esp_netif_flags_t)(ESP_NETIF_DHCP_CLIENT | ESP_NETIF_FLAG_GARP |                 \
                                     ESP_NETIF_FLAG_EVENT_IP_MODIFIED),                            \
        .mac = {0}, .ip_info = NULL, .get_ip_event = IP_EVENT_ETH_GOT_IP,                          \
        .lost_ip_event = IP_EVENT_ETH_LOST_IP, .if_key = "ETH_DEF", .if_desc = "eth",              \
        .route_prio = 50, .bridge_info = NULL                                                      \
    }

extern const esp_netif_netstack_config_t *_g_esp_netif_netstack_default_eth;
#define ESP_NETIF_NETSTACK_DEFAULT_ETH _g_esp_netif_netstack_default_eth

esp_err_t esp_netif_init(void);
esp_netif_t *esp_netif_new(const esp_netif_config_t *esp_netif_config);
esp_err_t esp_netif_attach(esp_netif_t *esp_netif, esp_netif_iodriver_handle driver_handle);
esp_err_t esp_netif_set_default_netif(esp_netif_t *esp_netif);
esp_netif_t *esp_netif_get_handle_from_ifkey(const char *if_key);
