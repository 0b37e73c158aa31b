// Host fakes of the ESP-IDF v5.0.5 calls native/ makes, recording into `fake`.
#include <stdlib.h>
#include <string.h>

#include "devicescript.h"
#include "driver/gpio.h"
#include "driver/spi_master.h"
#include "esp_eth.h"
#include "esp_event.h"
#include "esp_heap_caps.h"
#include "esp_mac.h"
#include "esp_netif.h"
#include "esp_rom_sys.h"
#include "esp_system.h"
#include "esp_wifi.h"
#include "fake.h"
#include "jd_dcfg.h"

fake_t fake;

esp_event_base_t ETH_EVENT = "ETH_EVENT";
esp_event_base_t IP_EVENT = "IP_EVENT";
esp_event_base_t WIFI_EVENT = "WIFI_EVENT";
const esp_netif_netstack_config_t *_g_esp_netif_netstack_default_eth;

// ---- time, GPIO
void esp_rom_delay_us(uint32_t us) {
    fake.t_us += us;
}

esp_err_t gpio_config(const gpio_config_t *cfg) {
    return cfg->pin_bit_mask ? ESP_OK : ESP_ERR_INVALID_ARG;
}

esp_err_t gpio_set_level(gpio_num_t pin, uint32_t level) {
    if (fake.n_gpio < 16)
        fake.gpio[fake.n_gpio++] = (fake_gpio_event_t){pin, (int)level, fake.t_us};
    return ESP_OK;
}

esp_err_t gpio_install_isr_service(int flags) {
    (void)flags;
    return fake.isr_service_result;
}

// ---- SPI with the W5500 model on it
struct spi_device_t {
    int index;
};
static struct spi_device_t devices[4];

esp_err_t spi_bus_initialize(spi_host_device_t host, const spi_bus_config_t *bus,
                             spi_dma_chan_t dma) {
    (void)dma;
    fake.bus_inits++;
    fake.bus_host = host;
    fake.bus = *bus;
    return fake.bus_init_result;
}

esp_err_t spi_bus_free(spi_host_device_t host) {
    (void)host;
    fake.bus_frees++;
    return ESP_OK;
}

esp_err_t spi_bus_add_device(spi_host_device_t host, const spi_device_interface_config_t *cfg,
                             spi_device_handle_t *handle) {
    if ((int)host != fake.bus_host || fake.devices_live > 0 || fake.devices_added >= 4)
        return ESP_ERR_INVALID_STATE; // one device per CS: the probe must let go first
    fake.devcfg[fake.devices_added] = *cfg;
    devices[fake.devices_added].index = fake.devices_added;
    *handle = &devices[fake.devices_added++];
    fake.devices_live++;
    return ESP_OK;
}

esp_err_t spi_bus_remove_device(spi_device_handle_t handle) {
    (void)handle;
    fake.devices_removed++;
    fake.devices_live--;
    return ESP_OK;
}

static int rst_level(void) {
    int level = 1; // pulled up on the board
    for (int i = 0; i < fake.n_gpio; ++i)
        if (fake.gpio[i].pin == 9)
            level = fake.gpio[i].level;
    return level;
}

static uint8_t model_read(uint16_t offset, uint8_t bsb) {
    if (bsb != 0)
        return 0;
    switch (offset) {
    case 0x0039:
        return fake.w5500.versionr;
    case 0x002E:
        return fake.w5500.phycfgr;
    }
    return 0;
}

esp_err_t spi_device_polling_transmit(spi_device_handle_t handle, spi_transaction_t *t) {
    (void)handle;
    if (fake.w5500.fail_transfer)
        return ESP_FAIL;
    size_t len = t->length / 8;
    const uint8_t *tx = t->tx_buffer;
    uint8_t *rx = t->rx_buffer;
    if (fake.xfers++ == 0)
        fake.first_xfer_t_us = fake.t_us;
    fake.last_len = len;
    memcpy(fake.last_tx, tx, len < 16 ? len : 16);
    bool answers = fake.w5500.present && rst_level() == 1;
    uint16_t offset = (uint16_t)(tx[0] << 8 | tx[1]);
    uint8_t bsb = tx[2] >> 3;
    bool write = (tx[2] >> 2) & 1;
    for (size_t i = 0; i < len; ++i) {
        if (!answers)
            rx[i] = fake.w5500.miso_idle;
        else if (i < 3)
            rx[i] = (uint8_t)i; // the W5500 shifts out 0x00 0x01 0x02 during the header
        else
            rx[i] = write ? 0 : model_read((uint16_t)(offset + i - 3), bsb);
    }
    return ESP_OK;
}

// ---- esp_eth
static esp_err_t mac_del(esp_eth_mac_t *mac) {
    (void)mac;
    fake.mac_dels++;
    return ESP_OK;
}
static esp_err_t phy_del(esp_eth_phy_t *phy) {
    (void)phy;
    fake.phy_dels++;
    return ESP_OK;
}
static esp_eth_mac_t the_mac = {.del = mac_del};
static esp_eth_phy_t the_phy = {.del = phy_del};
static int the_driver, the_glue;

esp_eth_mac_t *esp_eth_mac_new_w5500(const eth_w5500_config_t *cfg, const eth_mac_config_t *mc) {
    (void)mc;
    if (fake.fail_mac_new)
        return NULL;
    fake.w5500_cfg = *cfg;
    fake.w5500_devcfg = *cfg->spi_devcfg; // the real driver copies it too
    return &the_mac;
}

esp_eth_phy_t *esp_eth_phy_new_w5500(const eth_phy_config_t *cfg) {
    fake.phy_cfg = *cfg;
    return &the_phy;
}

esp_err_t esp_eth_driver_install(const esp_eth_config_t *cfg, esp_eth_handle_t *out) {
    if (fake.fail_driver_install || !cfg->mac || !cfg->phy)
        return ESP_FAIL;
    fake.driver_installed = true;
    *out = &the_driver;
    return ESP_OK;
}

esp_err_t esp_eth_start(esp_eth_handle_t h) {
    fake.eth_started = h == &the_driver;
    return fake.eth_started ? ESP_OK : ESP_FAIL;
}

esp_err_t esp_eth_ioctl(esp_eth_handle_t h, esp_eth_io_cmd_t cmd, void *data) {
    if (h != &the_driver || cmd != ETH_CMD_S_MAC_ADDR)
        return ESP_ERR_INVALID_ARG;
    memcpy(fake.eth_mac_set, data, 6);
    return ESP_OK;
}

esp_eth_netif_glue_handle_t esp_eth_new_netif_glue(esp_eth_handle_t h) {
    return h == &the_driver ? (esp_eth_netif_glue_handle_t)&the_glue : NULL;
}

// ---- esp_netif
esp_err_t esp_netif_init(void) {
    return ESP_OK;
}

esp_netif_t *esp_netif_new(const esp_netif_config_t *cfg) {
    fake.netifs_created++;
    fake.eth_netif.if_key = cfg->base->if_key;
    fake.eth_netif.route_prio = cfg->base->route_prio;
    fake.eth_netif.flags = cfg->base->flags;
    return &fake.eth_netif;
}

esp_err_t esp_netif_attach(esp_netif_t *n, esp_netif_iodriver_handle h) {
    fake.attached = n == &fake.eth_netif && h == (void *)&the_glue;
    return fake.attached ? ESP_OK : ESP_FAIL;
}

esp_err_t esp_netif_set_default_netif(esp_netif_t *n) {
    fake.default_netif = n;
    fake.default_sets++;
    return ESP_OK;
}

esp_netif_t *esp_netif_get_handle_from_ifkey(const char *key) {
    fake.wifi_netif.if_key = "WIFI_STA_DEF";
    return strcmp(key, "WIFI_STA_DEF") == 0 ? &fake.wifi_netif : NULL;
}

// ---- esp_event
esp_err_t esp_event_handler_register(esp_event_base_t base, int32_t id, esp_event_handler_t fn,
                                     void *arg) {
    if (fake.n_handlers >= 8)
        return ESP_ERR_NO_MEM;
    fake.handlers[fake.n_handlers].base = base;
    fake.handlers[fake.n_handlers].id = id;
    fake.handlers[fake.n_handlers].fn = fn;
    fake.handlers[fake.n_handlers].arg = arg;
    fake.n_handlers++;
    return ESP_OK;
}

void fake_post(esp_event_base_t base, int32_t id, void *data) {
    for (int i = 0; i < fake.n_handlers; ++i)
        if (fake.handlers[i].base == base &&
            (fake.handlers[i].id == id || fake.handlers[i].id == ESP_EVENT_ANY_ID))
            fake.handlers[i].fn(fake.handlers[i].arg, base, id, data);
}

void fake_post_got_ip(esp_event_base_t base, int32_t id, esp_netif_t *netif, uint8_t a, uint8_t b,
                      uint8_t c, uint8_t d) {
    ip_event_got_ip_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.esp_netif = netif;
    // lwIP's u32: first octet in the lowest byte
    ev.ip_info.ip.addr = (uint32_t)a | (uint32_t)b << 8 | (uint32_t)c << 16 | (uint32_t)d << 24;
    ev.ip_changed = true;
    fake_post(base, id, &ev);
}

bool fake_handler_registered(esp_event_base_t base, int32_t id) {
    for (int i = 0; i < fake.n_handlers; ++i)
        if (fake.handlers[i].base == base && fake.handlers[i].id == id)
            return true;
    return false;
}

// ---- MAC, heap, reset reason
esp_err_t esp_read_mac(uint8_t *mac, esp_mac_type_t type) {
    static const uint8_t base[6] = {0x24, 0x0a, 0xc4, 0x12, 0x34, 0x50};
    memcpy(mac, base, 6);
    if (type == ESP_MAC_ETH)
        mac[5] += 3; // the IDF derives ETH as base + 3
    else if (type != ESP_MAC_WIFI_STA)
        return ESP_ERR_INVALID_ARG;
    return ESP_OK;
}

size_t heap_caps_get_free_size(uint32_t caps) {
    return caps == MALLOC_CAP_8BIT ? fake.heap_free : 0;
}

size_t heap_caps_get_minimum_free_size(uint32_t caps) {
    return caps == MALLOC_CAP_8BIT ? fake.heap_min_free : 0;
}

esp_reset_reason_t esp_reset_reason(void) {
    return (esp_reset_reason_t)fake.reset_reason;
}

// ---- DeviceScript runtime and board config
static int the_ctx;
devs_ctx_t *devsmgr_get_ctx(void) {
    return (devs_ctx_t *)&the_ctx;
}

void devs_gc_stats(devs_ctx_t *ctx, uint32_t *free_bytes, uint32_t *min_free_bytes) {
    *free_bytes = ctx ? fake.gc_free : 0;
    *min_free_bytes = fake.gc_min_free;
}

int32_t dcfg_get_i32(const char *key, int32_t defl) {
    for (int i = 0; i < 8 && fake.dcfg[i].key; ++i)
        if (strcmp(fake.dcfg[i].key, key) == 0)
            return fake.dcfg[i].value;
    return defl;
}
