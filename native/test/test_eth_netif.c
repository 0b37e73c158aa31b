#include "esp_wifi.h"
#include "eth_netif.h"
#include "fake.h"
#include "test.h"

static void chip(bool present, uint8_t version, uint8_t idle) {
    fake.w5500 = (fake_w5500_t){.present = present, .versionr = version, .miso_idle = idle};
}

static void brings_up_w5500_on_spi3(void) {
    chip(true, 0x04, 0);
    CHECK(eth_netif_start());
    CHECK_EQ(fake.bus_host, SPI3_HOST);
    CHECK_EQ(fake.bus.sclk_io_num, 13);
    CHECK_EQ(fake.bus.mosi_io_num, 11);
    CHECK_EQ(fake.bus.miso_io_num, 12);
    // reset pulse on GPIO9: low for >= 500 us, released before the first SPI frame
    CHECK(fake.n_gpio >= 2);
    CHECK_EQ(fake.gpio[0].pin, 9);
    CHECK_EQ(fake.gpio[0].level, 0);
    CHECK_EQ(fake.gpio[1].level, 1);
    CHECK(fake.gpio[1].t_us - fake.gpio[0].t_us >= 500);
    CHECK(fake.first_xfer_t_us > fake.gpio[1].t_us);
    CHECK_EQ(eth_netif_probe_result().status, W5500_PROBE_OK);
    // the probe's SPI device is gone before the driver adds its own on CS 14
    CHECK_EQ(fake.devices_removed, 1);
    CHECK_EQ(fake.devcfg[0].spics_io_num, 14);
    CHECK_EQ(fake.w5500_devcfg.spics_io_num, 14);
    CHECK_EQ(fake.w5500_devcfg.clock_speed_hz, 25000000);
    CHECK_EQ(fake.w5500_cfg.spi_host_id, SPI3_HOST);
    CHECK_EQ(fake.w5500_cfg.int_gpio_num, 10);
    CHECK_EQ(fake.phy_cfg.reset_gpio_num, 9);
    CHECK(fake.driver_installed && fake.attached && fake.eth_started);
    CHECK_BYTES(fake.eth_mac_set, 6, 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x53); // ESP_MAC_ETH
    CHECK_EQ(fake.eth_netif.route_prio, 150);
    CHECK(strcmp(fake.eth_netif.if_key, "ETH_DEF") == 0);
    CHECK(fake.eth_netif.flags & ESP_NETIF_DHCP_CLIENT);
    CHECK(fake_handler_registered(ETH_EVENT, ESP_EVENT_ANY_ID));
    CHECK(fake_handler_registered(IP_EVENT, ESP_EVENT_ANY_ID));
    CHECK(fake_handler_registered(WIFI_EVENT, ESP_EVENT_ANY_ID));
}

static void check_wifi_only(void) {
    CHECK(!eth_netif_start());
    CHECK(!fake.driver_installed);
    CHECK_EQ(fake.bus_frees, 1);
    CHECK(fake_handler_registered(WIFI_EVENT, ESP_EVENT_ANY_ID));
    CHECK(fake_handler_registered(IP_EVENT, ESP_EVENT_ANY_ID));
}

static void no_chip_low_is_wifi_only(void) {
    chip(false, 0, 0x00);
    check_wifi_only();
    CHECK_EQ(eth_netif_probe_result().status, W5500_PROBE_NO_CHIP);
}

static void no_chip_high_is_wifi_only(void) {
    chip(false, 0, 0xFF);
    check_wifi_only();
}

static void wrong_version_is_wifi_only(void) {
    chip(true, 0x22, 0);
    check_wifi_only();
    CHECK_EQ(eth_netif_probe_result().status, W5500_PROBE_WRONG_VERSION);
}

static void busy_bus_is_wifi_only(void) {
    chip(true, 0x04, 0);
    fake.bus_init_result = ESP_ERR_INVALID_STATE;
    CHECK(!eth_netif_start());
    CHECK_EQ(fake.xfers, 0);
    CHECK(fake_handler_registered(WIFI_EVENT, ESP_EVENT_ANY_ID));
}

static void driver_failure_is_wifi_only(void) {
    chip(true, 0x04, 0);
    fake.fail_driver_install = true;
    CHECK(!eth_netif_start());
    CHECK_EQ(fake.mac_dels, 1);
    CHECK_EQ(fake.phy_dels, 1);
}

static void isr_service_already_installed_is_fine(void) {
    chip(true, 0x04, 0);
    fake.isr_service_result = ESP_ERR_INVALID_STATE;
    CHECK(eth_netif_start());
}

static void board_keys_override_defaults(void) {
    chip(true, 0x04, 0);
    fake.dcfg[0] = (fake_dcfg_t){"eth.pinCS", 5};
    fake.dcfg[1] = (fake_dcfg_t){"eth.spiMHz", 20};
    fake.dcfg[2] = (fake_dcfg_t){"eth.pinINT", 4};
    CHECK(eth_netif_start());
    CHECK_EQ(fake.w5500_devcfg.spics_io_num, 5);
    CHECK_EQ(fake.w5500_devcfg.clock_speed_hz, 20000000);
    CHECK_EQ(fake.w5500_cfg.int_gpio_num, 4);
    CHECK_EQ(fake.bus.sclk_io_num, 13);
}

static void events_become_facts(void) {
    chip(true, 0x04, 0);
    CHECK(eth_netif_start());
    net_facts_t f;
    fake_post(ETH_EVENT, ETHERNET_EVENT_CONNECTED, NULL);
    fake_post_got_ip(IP_EVENT, IP_EVENT_ETH_GOT_IP, &fake.eth_netif, 192, 168, 0, 111);
    fake_post(WIFI_EVENT, WIFI_EVENT_STA_CONNECTED, NULL);
    fake_post_got_ip(IP_EVENT, IP_EVENT_STA_GOT_IP, &fake.wifi_netif, 192, 168, 0, 112);
    eth_netif_facts(&f);
    CHECK(f.eth_link && f.wifi_link);
    CHECK_EQ(f.eth_ip, 0x6f00a8c0u);
    CHECK_EQ(f.wifi_ip, 0x7000a8c0u);

    // unplugging drops the address with the link; Wi-Fi likewise on disconnect
    fake_post(ETH_EVENT, ETHERNET_EVENT_DISCONNECTED, NULL);
    fake_post(WIFI_EVENT, WIFI_EVENT_STA_DISCONNECTED, NULL);
    eth_netif_facts(&f);
    CHECK(!f.eth_link && !f.wifi_link);
    CHECK_EQ(f.eth_ip, 0);
    CHECK_EQ(f.wifi_ip, 0);

    fake_post(ETH_EVENT, ETHERNET_EVENT_CONNECTED, NULL);
    fake_post_got_ip(IP_EVENT, IP_EVENT_ETH_GOT_IP, &fake.eth_netif, 10, 0, 0, 7);
    fake_post(IP_EVENT, IP_EVENT_ETH_LOST_IP, NULL);
    eth_netif_facts(&f);
    CHECK(f.eth_link);
    CHECK_EQ(f.eth_ip, 0);
}

static void select_sets_default_netif_and_mac(void) {
    chip(true, 0x04, 0);
    CHECK(eth_netif_start());
    eth_netif_select(NET_ETHERNET);
    CHECK(fake.default_netif == &fake.eth_netif);
    eth_netif_select(NET_WIFI);
    CHECK(fake.default_netif == &fake.wifi_netif);
    eth_netif_select(NET_NONE);
    CHECK(fake.default_netif == &fake.wifi_netif); // none keeps the last route
    uint8_t mac[6];
    eth_netif_mac(NET_ETHERNET, mac);
    CHECK_BYTES(mac, 6, 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x53);
    eth_netif_mac(NET_WIFI, mac);
    CHECK_BYTES(mac, 6, 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x50);
}

TESTS(eth_netif_tests) = {
    {"eth: W5500 bring-up on SPI3 with the board's pins", brings_up_w5500_on_spi3},
    {"eth: no chip (0x00) leaves Wi-Fi only", no_chip_low_is_wifi_only},
    {"eth: no chip (0xFF) leaves Wi-Fi only", no_chip_high_is_wifi_only},
    {"eth: wrong version leaves Wi-Fi only", wrong_version_is_wifi_only},
    {"eth: SPI3 already taken leaves Wi-Fi only", busy_bus_is_wifi_only},
    {"eth: driver install failure frees MAC and PHY", driver_failure_is_wifi_only},
    {"eth: GPIO ISR service already installed is accepted", isr_service_already_installed_is_fine},
    {"eth: board keys override the default pins", board_keys_override_defaults},
    {"eth: IDF events become policy facts", events_become_facts},
    {"eth: select sets the default netif; MAC per transport", select_sets_default_netif_and_mac},
    TEST_END,
};
