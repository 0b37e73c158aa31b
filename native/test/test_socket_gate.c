#include "esp_wifi.h"
#include "fake.h"
#include "picokubelet_platform.h"
#include "test.h"

bool __wrap_jd_tcpsock_is_available(void);

static void before_init_defers_to_devicescript(void) {
    fake.wifi_service_connected = true;
    CHECK(__wrap_jd_tcpsock_is_available());
    fake.wifi_service_connected = false;
    CHECK(!__wrap_jd_tcpsock_is_available());
}

static void follows_the_active_transport(void) {
    fake.w5500 = (fake_w5500_t){.present = true, .versionr = 0x04};
    fake.wifi_service_connected = true; // Wi-Fi's flag must not open the gate during grace
    picokubelet_platform_init();
    CHECK(!__wrap_jd_tcpsock_is_available());
    fake_post(ETH_EVENT, ETHERNET_EVENT_CONNECTED, NULL);
    fake_post_got_ip(IP_EVENT, IP_EVENT_ETH_GOT_IP, &fake.eth_netif, 10, 0, 0, 9);
    now_ms += 100;
    fake.service_vt->process(fake.service);
    fake.wifi_service_connected = false; // sockets over Ethernet with Wi-Fi down
    CHECK(__wrap_jd_tcpsock_is_available());
    fake_free_service();
}

TESTS(socket_gate_tests) = {
    {"gate: before init, DeviceScript's Wi-Fi flag decides", before_init_defers_to_devicescript},
    {"gate: open exactly while a transport is active", follows_the_active_transport},
    TEST_END,
};
