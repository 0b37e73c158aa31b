// Host fake of esp_eth.h and what it pulls in (esp_eth_driver.h, esp_eth_mac.h,
// esp_eth_phy.h, esp_eth_com.h, esp_eth_netif_glue.h), v5.0.5 with
// CONFIG_ETH_SPI_ETHERNET_W5500=y.
#pragma once
#include <stdint.h>
#include "driver/spi_master.h"
#include "esp_err.h"
#include "esp_event.h"

typedef void *esp_eth_handle_t;
typedef struct esp_eth_mac_s esp_eth_mac_t;
typedef struct esp_eth_phy_s esp_eth_phy_t;
struct esp_eth_mac_s {
    esp_err_t (*del)(esp_eth_mac_t *mac);
};
struct esp_eth_phy_s {
    esp_err_t (*del)(esp_eth_phy_t *phy);
};

typedef struct {
    uint32_t sw_reset_timeout_ms;
    uint32_t rx_task_stack_size;
    uint32_t rx_task_prio;
    uint32_t flags;
} eth_mac_config_t;
#define ETH_MAC_DEFAULT_CONFIG()                                                                   \
    {                                                                                              \
        .sw_reset_timeout_ms = 100, .rx_task_stack_size = 2048, .rx_task_prio = 15, .flags = 0,    \
    }

#define ESP_ETH_PHY_ADDR_AUTO (-1)
typedef struct {
    int32_t phy_addr;
    uint32_t reset_timeout_ms;
    uint32_t autonego_timeout_ms;
    int reset_gpio_num;
} eth_phy_config_t;
#define ETH_PHY_DEFAULT_CONFIG()                                                                   \
    {                                                                                              \
        .phy_addr = ESP_ETH_PHY_ADDR_AUTO, .reset_timeout_ms = 100, .autonego_timeout_ms = 4000,   \
        .reset_gpio_num = 5,                                                                       \
    }

typedef struct {
    spi_host_device_t spi_host_id;
    spi_device_interface_config_t *spi_devcfg;
    int int_gpio_num;
} eth_w5500_config_t;
#define ETH_W5500_DEFAULT_CONFIG(spi_host, spi_devcfg_p)                                           \
    {                                                                                              \
        .spi_host_id = spi_host, .spi_devcfg = spi_devcfg_p, .int_gpio_num = 4,                    \
    }
esp_eth_mac_t *esp_eth_mac_new_w5500(const eth_w5500_config_t *w5500_config,
                                     const eth_mac_config_t *mac_config);
esp_eth_phy_t *esp_eth_phy_new_w5500(const eth_phy_config_t *config);

typedef struct {
    esp_eth_mac_t *mac;
    esp_eth_phy_t *phy;
    uint32_t check_link_period_ms;
    esp_err_t (*stack_input)(esp_eth_handle_t eth_handle, uint8_t *buffer, uint32_t length,
                             void *priv);
    esp_err_t (*on_lowlevel_init_done)(esp_eth_handle_t eth_handle);
    esp_err_t (*on_lowlevel_deinit_done)(esp_eth_handle_t eth_handle);
    esp_err_t (*read_phy_reg)(esp_eth_handle_t eth_handle, uint32_t phy_addr, uint32_t phy_reg,
                              uint32_t *reg_value);
    esp_err_t (*write_phy_reg)(esp_eth_handle_t eth_handle, uint32_t phy_addr, uint32_t phy_reg,
                               uint32_t reg_value);
} esp_eth_config_t;
#define ETH_DEFAULT_CONFIG(emac, ephy)                                                             \
    {                                                                                              \
        .mac = emac, .phy = ephy, .check_link_period_ms = 2000, .stack_input = NULL,               \
        .on_lowlevel_init_done = NULL, .on_lowlevel_deinit_done = NULL, .read_phy_reg = NULL,      \
        .write_phy_reg = NULL,                                                                     \
    }

typedef enum {
    ETH_CMD_G_MAC_ADDR,
    ETH_CMD_S_MAC_ADDR,
} esp_eth_io_cmd_t;

typedef enum {
    ETHERNET_EVENT_START,
    ETHERNET_EVENT_STOP,
    ETHERNET_EVENT_CONNECTED,
    ETHERNET_EVENT_DISCONNECTED,
} eth_event_t;
ESP_EVENT_DECLARE_BASE(ETH_EVENT);

typedef struct esp_eth_netif_glue_t *esp_eth_netif_glue_handle_t;

esp_err_t esp_eth_driver_install(const esp_eth_config_t *config, esp_eth_handle_t *out_hdl);
esp_err_t esp_eth_start(esp_eth_handle_t hdl);
esp_err_t esp_eth_ioctl(esp_eth_handle_t hdl, esp_eth_io_cmd_t cmd, void *data);
esp_eth_netif_glue_handle_t esp_eth_new_netif_glue(esp_eth_handle_t eth_hdl);
