#include "eth_netif.h"

#include <string.h>

#include "board_keys.h"
#include "driver/gpio.h"
#include "driver/spi_master.h"
#include "esp_eth.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_netif.h"
#include "esp_rom_sys.h"
#include "esp_wifi.h"

static const char *TAG = "pk-eth";

// above the Wi-Fi station's 100, so IDF's own default-route choice agrees with net_policy
#define ETH_ROUTE_PRIO 150

// W5500 datasheet: RSTn low for at least 500 us, then about 1 ms until the PLL locks
#define RST_LOW_US 1000
#define RST_SETTLE_US 2000

static w5500_probe_t probe_result;
static bool eth_usable;
static esp_netif_t *eth_netif;
static esp_eth_handle_t eth_handle;
static uint8_t eth_mac[6];

// written by the IDF event task, read by the main task: each is one word, so atomic loads
// and stores are enough; a momentarily mixed snapshot is corrected on the next poll
static uint32_t f_eth_link, f_eth_ip, f_wifi_link, f_wifi_ip;

static void put(uint32_t *fact, uint32_t v) {
    __atomic_store_n(fact, v, __ATOMIC_RELAXED);
}

static uint32_t get(uint32_t *fact) {
    return __atomic_load_n(fact, __ATOMIC_RELAXED);
}

static int probe_xfer(void *ctx, const uint8_t *tx, uint8_t *rx, size_t len) {
    spi_transaction_t t;
    memset(&t, 0, sizeof(t));
    t.length = len * 8;
    t.tx_buffer = tx;
    t.rx_buffer = rx;
    return spi_device_polling_transmit((spi_device_handle_t)ctx, &t) == ESP_OK ? 0 : -1;
}

static void reset_pulse(int pin_rst) {
    gpio_config_t io = {
        .pin_bit_mask = 1ULL << pin_rst,
        .mode = GPIO_MODE_OUTPUT,
        .pull_up_en = GPIO_PULLUP_DISABLE,
        .pull_down_en = GPIO_PULLDOWN_DISABLE,
        .intr_type = GPIO_INTR_DISABLE,
    };
    gpio_config(&io);
    gpio_set_level((gpio_num_t)pin_rst, 0);
    esp_rom_delay_us(RST_LOW_US);
    gpio_set_level((gpio_num_t)pin_rst, 1);
    esp_rom_delay_us(RST_SETTLE_US);
}

static spi_device_interface_config_t device_config(const eth_board_t *b, int queue_size) {
    spi_device_interface_config_t dev;
    memset(&dev, 0, sizeof(dev));
    dev.mode = 0;
    dev.clock_speed_hz = b->spi_mhz * 1000 * 1000;
    dev.spics_io_num = b->pin_cs;
    dev.queue_size = queue_size;
    return dev;
}

static w5500_probe_t probe(const eth_board_t *b, spi_host_device_t host) {
    w5500_probe_t r = {.status = W5500_PROBE_BUS_ERROR, .version = 0, .link_up = false};
    reset_pulse(b->pin_rst);
    // a plain full-duplex device: the frame header is built by w5500_spi.c, not by the driver
    spi_device_interface_config_t dev = device_config(b, 1);
    spi_device_handle_t h;
    if (spi_bus_add_device(host, &dev, &h) != ESP_OK)
        return r;
    r = w5500_probe(probe_xfer, h);
    // the esp_eth driver adds its own device on the same CS
    spi_bus_remove_device(h);
    return r;
}

static void on_eth_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
    (void)arg, (void)base, (void)data;
    if (id == ETHERNET_EVENT_CONNECTED) {
        put(&f_eth_link, 1);
    } else if (id == ETHERNET_EVENT_DISCONNECTED) {
        // the netif keeps its old address for the IP-lost timer; without link it is useless
        put(&f_eth_link, 0);
        put(&f_eth_ip, 0);
    }
}

static void on_wifi_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
    (void)arg, (void)base, (void)data;
    if (id == WIFI_EVENT_STA_CONNECTED) {
        put(&f_wifi_link, 1);
    } else if (id == WIFI_EVENT_STA_DISCONNECTED) {
        // DeviceScript's Wi-Fi service also treats a disconnect as the address gone
        put(&f_wifi_link, 0);
        put(&f_wifi_ip, 0);
    }
}

static void on_ip_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
    (void)arg, (void)base;
    switch (id) {
    case IP_EVENT_ETH_GOT_IP: {
        const ip_event_got_ip_t *ev = data;
        if (ev->esp_netif == eth_netif)
            put(&f_eth_ip, ev->ip_info.ip.addr);
        break;
    }
    case IP_EVENT_ETH_LOST_IP:
        put(&f_eth_ip, 0);
        break;
    case IP_EVENT_STA_GOT_IP: {
        const ip_event_got_ip_t *ev = data;
        put(&f_wifi_ip, ev->ip_info.ip.addr);
        break;
    }
    case IP_EVENT_STA_LOST_IP:
        put(&f_wifi_ip, 0);
        break;
    }
}

static bool install_driver(const eth_board_t *b, spi_host_device_t host) {
    esp_err_t err = gpio_install_isr_service(0);
    if (err != ESP_OK && err != ESP_ERR_INVALID_STATE) // INVALID_STATE: already installed
        return false;

    spi_device_interface_config_t dev = device_config(b, 20);
    eth_w5500_config_t w5500 = ETH_W5500_DEFAULT_CONFIG(host, &dev);
    w5500.int_gpio_num = b->pin_int;
    eth_mac_config_t mac_config = ETH_MAC_DEFAULT_CONFIG();
    eth_phy_config_t phy_config = ETH_PHY_DEFAULT_CONFIG();
    phy_config.reset_gpio_num = b->pin_rst;

    esp_eth_mac_t *mac = esp_eth_mac_new_w5500(&w5500, &mac_config);
    esp_eth_phy_t *phy = esp_eth_phy_new_w5500(&phy_config);
    esp_eth_config_t config = ETH_DEFAULT_CONFIG(mac, phy);
    if (!mac || !phy || esp_eth_driver_install(&config, &eth_handle) != ESP_OK) {
        if (mac)
            mac->del(mac);
        if (phy)
            phy->del(phy);
        return false;
    }

    // the W5500 has no MAC of its own: use the one eFuse reserves for Ethernet
    if (esp_read_mac(eth_mac, ESP_MAC_ETH) != ESP_OK ||
        esp_eth_ioctl(eth_handle, ETH_CMD_S_MAC_ADDR, eth_mac) != ESP_OK)
        return false;

    esp_netif_inherent_config_t base = ESP_NETIF_INHERENT_DEFAULT_ETH();
    base.route_prio = ETH_ROUTE_PRIO;
    esp_netif_config_t cfg = {.base = &base, .driver = NULL, .stack = ESP_NETIF_NETSTACK_DEFAULT_ETH};
    eth_netif = esp_netif_new(&cfg);
    if (!eth_netif || esp_netif_attach(eth_netif, esp_eth_new_netif_glue(eth_handle)) != ESP_OK)
        return false;

    if (esp_event_handler_register(ETH_EVENT, ESP_EVENT_ANY_ID, on_eth_event, NULL) != ESP_OK)
        return false;
    return esp_eth_start(eth_handle) == ESP_OK;
}

bool eth_netif_start(void) {
    // Wi-Fi is the fallback whatever happens below, so watch it first
    esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi_event, NULL);
    esp_event_handler_register(IP_EVENT, ESP_EVENT_ANY_ID, on_ip_event, NULL);

    eth_board_t b;
    eth_board_read(&b);
    // TypeScript's SPI API owns SPI2; the W5500 is on SPI3 (board key is 1-based)
    spi_host_device_t host = (spi_host_device_t)(b.spi_host - 1);

    esp_netif_init(); // ESP_OK again if Wi-Fi init already did it

    spi_bus_config_t bus;
    memset(&bus, 0, sizeof(bus));
    bus.mosi_io_num = b.pin_mosi;
    bus.miso_io_num = b.pin_miso;
    bus.sclk_io_num = b.pin_sck;
    bus.quadwp_io_num = -1;
    bus.quadhd_io_num = -1;
    if (spi_bus_initialize(host, &bus, SPI_DMA_CH_AUTO) != ESP_OK) {
        ESP_LOGW(TAG, "SPI%d busy; Wi-Fi only", b.spi_host);
        return false;
    }

    probe_result = probe(&b, host);
    ESP_LOGI(TAG, "W5500 probe: %s (VERSIONR 0x%02x, link %d)",
             w5500_probe_status_name(probe_result.status), probe_result.version,
             probe_result.link_up);
    if (probe_result.status != W5500_PROBE_OK) {
        spi_bus_free(host);
        return false;
    }

    eth_usable = install_driver(&b, host);
    if (!eth_usable)
        ESP_LOGE(TAG, "W5500 driver install failed; Wi-Fi only");
    return eth_usable;
}

w5500_probe_t eth_netif_probe_result(void) {
    return probe_result;
}

void eth_netif_facts(net_facts_t *out) {
    out->eth_link = get(&f_eth_link) != 0;
    out->eth_ip = get(&f_eth_ip);
    out->wifi_link = get(&f_wifi_link) != 0;
    out->wifi_ip = get(&f_wifi_ip);
}

void eth_netif_select(net_transport_t t) {
    esp_netif_t *n = NULL;
    if (t == NET_ETHERNET)
        n = eth_netif;
    else if (t == NET_WIFI)
        n = esp_netif_get_handle_from_ifkey("WIFI_STA_DEF");
    if (n)
        esp_netif_set_default_netif(n);
}

void eth_netif_mac(net_transport_t t, uint8_t mac[6]) {
    if (t == NET_ETHERNET || (t == NET_NONE && eth_usable))
        memcpy(mac, eth_mac, 6);
    else
        esp_read_mac(mac, ESP_MAC_WIFI_STA);
}
