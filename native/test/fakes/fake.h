// Test-side view of the fakes: what the code under test did, and knobs for what the
// "hardware" does. Every test runs in its own process, so this starts zeroed.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/gpio.h"
#include "driver/spi_master.h"
#include "esp_eth.h"
#include "esp_netif.h"
#include "jd_protocol.h"

// ---- W5500 register model behind spi_device_polling_transmit()
typedef struct {
    bool present;       // false: nothing drives MISO
    uint8_t miso_idle;  // what an absent chip reads as: 0x00 (pulled down) or 0xFF (pulled up)
    uint8_t versionr;   // 0x04 on a real W5500
    uint8_t phycfgr;    // bit 0: link
    bool fail_transfer; // spi_device_polling_transmit returns ESP_FAIL
} fake_w5500_t;

typedef struct {
    int pin;
    int level;
    uint64_t t_us;
} fake_gpio_event_t;

typedef struct {
    const char *key;
    int32_t value;
} fake_dcfg_t;

typedef struct {
    unsigned service_index;
    unsigned cmd;
    uint8_t data[64];
    unsigned size;
} fake_packet_t;

typedef struct {
    uint32_t eventid;
    uint8_t data[8];
    unsigned size;
} fake_event_t;

struct esp_netif_obj {
    const char *if_key;
    int route_prio;
    int flags;
};

typedef struct {
    fake_w5500_t w5500;

    // time and GPIO
    uint64_t t_us;
    fake_gpio_event_t gpio[16];
    int n_gpio;
    int isr_service_result;

    // SPI
    esp_err_t bus_init_result;
    int bus_host;
    spi_bus_config_t bus;
    int bus_inits, bus_frees;
    int devices_added, devices_removed, devices_live;
    spi_device_interface_config_t devcfg[4];
    int xfers;
    uint64_t first_xfer_t_us;
    uint8_t last_tx[16];
    size_t last_len;

    // esp_eth
    bool fail_mac_new;
    bool fail_driver_install;
    eth_w5500_config_t w5500_cfg;
    spi_device_interface_config_t w5500_devcfg;
    eth_phy_config_t phy_cfg;
    int mac_dels, phy_dels;
    bool driver_installed, eth_started;
    uint8_t eth_mac_set[6];

    // esp_netif
    struct esp_netif_obj eth_netif, wifi_netif;
    int netifs_created;
    bool attached;
    esp_netif_t *default_netif;
    int default_sets;

    // esp_event
    struct {
        esp_event_base_t base;
        int32_t id;
        esp_event_handler_t fn;
        void *arg;
    } handlers[8];
    int n_handlers;

    // heap, reset, GC
    size_t heap_free, heap_min_free;
    int reset_reason;
    uint32_t gc_free, gc_min_free;

    // board keys
    fake_dcfg_t dcfg[8];

    // jacdac
    fake_packet_t sent[32];
    int n_sent;
    fake_event_t events[32];
    int n_events;
    srv_t *service;
    const srv_vt_t *service_vt;
    bool wifi_service_connected; // what DeviceScript's own jd_tcpsock_is_available says

    // DeviceScript's manager (fake_devs.c)
    bool program_running;
    int deploys_started, deploys_done;
    int deploy_writes;
    int power_cut_after_writes; // > 0: the process exits at that deploy write (a reset)
} fake_t;

extern fake_t fake;

void fake_post(esp_event_base_t base, int32_t id, void *data);
void fake_post_got_ip(esp_event_base_t base, int32_t id, esp_netif_t *netif, uint8_t a, uint8_t b,
                      uint8_t c, uint8_t d);
bool fake_handler_registered(esp_event_base_t base, int32_t id);
void fake_free_service(void);

// ---- fstor (fake_flash.c): the flash lives in shared memory, so a forked child that "loses
// power" (exits) mid-operation leaves it for the parent to boot from, as on the device
void fake_flash_format(void);
int fake_flash_writes_to(const char *key); // flash_program calls into a large setting
// devsmgr_init(): the manager reads "*prog" again at boot (fake_devs.c)
void fake_devsmgr_boot(void);
void fake_sha256(const void *data, unsigned size, uint8_t out[32]);
