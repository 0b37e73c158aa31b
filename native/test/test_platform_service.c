#include "esp_wifi.h"
#include "fake.h"
#include "jd_picokubelet_services.h"
#include "net_policy.h"
#include "picokubelet_platform.h"
#include "test.h"

static void start(bool eth_chip) {
    fake.w5500 = (fake_w5500_t){.present = eth_chip, .versionr = 0x04};
    fake.reset_reason = 4; // ESP_RST_PANIC
    fake.heap_free = 201234;
    fake.heap_min_free = 150001;
    fake.gc_free = 40960;
    fake.gc_min_free = 12345;
    now_ms = 1000;
    picokubelet_platform_init();
}

// jacdac-c calls the service like this for each packet addressed to it
static void get(unsigned reg) {
    struct {
        jd_packet_t hdr;
        uint8_t data[4];
    } pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.hdr.service_index = 1;
    pkt.hdr.service_command = (uint16_t)JD_GET(reg);
    fake.n_sent = 0;
    fake.service_vt->handle_pkt(fake.service, &pkt.hdr);
    CHECK_EQ(fake.n_sent, 1);
    CHECK_EQ(fake.sent[0].service_index, 1);
}

static void tick(uint32_t ms) {
    now_ms += ms;
    fake.service_vt->process(fake.service);
}

static void eth_up(uint8_t last_octet) {
    fake_post(ETH_EVENT, ETHERNET_EVENT_CONNECTED, NULL);
    fake_post_got_ip(IP_EVENT, IP_EVENT_ETH_GOT_IP, &fake.eth_netif, 192, 168, 0, last_octet);
}

static void wifi_up(void) {
    fake_post(WIFI_EVENT, WIFI_EVENT_STA_CONNECTED, NULL);
    fake_post_got_ip(IP_EVENT, IP_EVENT_STA_GOT_IP, &fake.wifi_netif, 192, 168, 0, 112);
}

static void service_class_and_initial_registers(void) {
    start(true);
    CHECK_EQ(fake.service_vt->service_class, 0x13c89025);
    get(JD_PICOKUBELET_PLATFORM_REG_TRANSPORT);
    CHECK_EQ(fake.sent[0].cmd, 0x1180);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0);
    get(JD_PICOKUBELET_PLATFORM_REG_LINK_UP);
    CHECK_EQ(fake.sent[0].cmd, 0x1181);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0);
    get(JD_PICOKUBELET_PLATFORM_REG_IP_ADDRESS);
    CHECK_EQ(fake.sent[0].cmd, 0x1182);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0, 0, 0, 0);
    get(JD_PICOKUBELET_PLATFORM_REG_MAC);
    CHECK_EQ(fake.sent[0].cmd, 0x1183);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x53);
    get(JD_PICOKUBELET_PLATFORM_REG_RESET_REASON);
    CHECK_EQ(fake.sent[0].cmd, 0x1188);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 4);
    get(JD_PICOKUBELET_PLATFORM_REG_TRANSPORT_CHANGES);
    CHECK_EQ(fake.sent[0].cmd, 0x1189);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0, 0, 0, 0);
    fake_free_service();
}

static void heap_registers_are_live_u32(void) {
    start(true);
    get(JD_PICOKUBELET_PLATFORM_REG_GC_FREE);
    CHECK_EQ(fake.sent[0].cmd, 0x1184);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0x00, 0xA0, 0x00, 0x00); // 40960 LE
    get(JD_PICOKUBELET_PLATFORM_REG_GC_MIN_FREE);
    CHECK_EQ(fake.sent[0].cmd, 0x1185);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0x39, 0x30, 0x00, 0x00); // 12345
    get(JD_PICOKUBELET_PLATFORM_REG_HEAP_FREE);
    CHECK_EQ(fake.sent[0].cmd, 0x1186);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0x12, 0x12, 0x03, 0x00); // 201234
    get(JD_PICOKUBELET_PLATFORM_REG_HEAP_MIN_FREE);
    CHECK_EQ(fake.sent[0].cmd, 0x1187);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0xF1, 0x49, 0x02, 0x00); // 150001
    fake.heap_free = 1000;
    get(JD_PICOKUBELET_PLATFORM_REG_HEAP_FREE);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0xE8, 0x03, 0x00, 0x00);
    fake_free_service();
}

static void unknown_and_write_packets_are_refused(void) {
    start(true);
    get(0x18a);
    CHECK_EQ(fake.sent[0].cmd, JD_CMD_COMMAND_NOT_IMPLEMENTED);
    // the registers are read-only: a SET is refused and changes nothing
    struct {
        jd_packet_t hdr;
        uint8_t data[4];
    } pkt;
    memset(&pkt, 0, sizeof(pkt));
    pkt.hdr.service_index = 1;
    pkt.hdr.service_size = 1;
    pkt.hdr.service_command = (uint16_t)JD_SET(JD_PICOKUBELET_PLATFORM_REG_TRANSPORT);
    pkt.data[0] = 2;
    fake.n_sent = 0;
    fake.service_vt->handle_pkt(fake.service, &pkt.hdr);
    CHECK_EQ(fake.sent[0].cmd, JD_CMD_COMMAND_NOT_IMPLEMENTED);
    get(JD_PICOKUBELET_PLATFORM_REG_TRANSPORT);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0);
    fake_free_service();
}

static void unknown_reset_reason_reads_unknown(void) {
    fake.reset_reason = 0x11F2; // devicescript-esp32 sets this as a reset hint
    fake.w5500.present = false;
    picokubelet_platform_init();
    get(JD_PICOKUBELET_PLATFORM_REG_RESET_REASON);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0);
    fake_free_service();
}

static void ethernet_comes_up(void) {
    start(true);
    eth_up(111);
    tick(100);
    CHECK_EQ(picokubelet_platform_transport(), NET_ETHERNET);
    CHECK(fake.default_netif == &fake.eth_netif);
    CHECK_EQ(fake.n_events, 2);
    CHECK_EQ(fake.events[0].eventid, 0x80); // link_changed
    CHECK_BYTES(fake.events[0].data, fake.events[0].size, 1);
    CHECK_EQ(fake.events[1].eventid, JD_EV_ACTIVE); // got_address
    CHECK_BYTES(fake.events[1].data, fake.events[1].size, 192, 168, 0, 111);
    get(JD_PICOKUBELET_PLATFORM_REG_TRANSPORT);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 1);
    get(JD_PICOKUBELET_PLATFORM_REG_IP_ADDRESS);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 192, 168, 0, 111);
    get(JD_PICOKUBELET_PLATFORM_REG_TRANSPORT_CHANGES);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 1, 0, 0, 0);
    // nothing new, nothing sent
    tick(100);
    CHECK_EQ(fake.n_events, 2);
    fake_free_service();
}

static void polls_only_every_100ms(void) {
    start(true);
    tick(100); // consumes the first poll slot
    eth_up(111);
    tick(50);
    CHECK_EQ(fake.n_events, 0);
    tick(50);
    CHECK_EQ(fake.n_events, 2);
    fake_free_service();
}

static void flap_ethernet_wifi_ethernet(void) {
    start(true);
    wifi_up();
    eth_up(111);
    tick(100);
    CHECK_EQ(picokubelet_platform_transport(), NET_ETHERNET);
    fake.n_events = 0;

    fake_post(ETH_EVENT, ETHERNET_EVENT_DISCONNECTED, NULL); // cable pulled
    tick(100);
    CHECK_EQ(picokubelet_platform_transport(), NET_WIFI);
    CHECK(fake.default_netif == &fake.wifi_netif);
    // link stays up (now Wi-Fi's), the address changes to Wi-Fi's
    CHECK_EQ(fake.n_events, 1);
    CHECK_EQ(fake.events[0].eventid, JD_EV_ACTIVE);
    CHECK_BYTES(fake.events[0].data, fake.events[0].size, 192, 168, 0, 112);
    get(JD_PICOKUBELET_PLATFORM_REG_MAC);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x50);

    eth_up(111); // cable back
    tick(100);
    CHECK_EQ(picokubelet_platform_transport(), NET_ETHERNET);
    CHECK(fake.default_netif == &fake.eth_netif);
    CHECK_EQ(fake.n_events, 2);
    CHECK_BYTES(fake.events[1].data, fake.events[1].size, 192, 168, 0, 111);
    get(JD_PICOKUBELET_PLATFORM_REG_TRANSPORT_CHANGES);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 3, 0, 0, 0);
    get(JD_PICOKUBELET_PLATFORM_REG_MAC);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0x24, 0x0a, 0xc4, 0x12, 0x34, 0x53);
    fake_free_service();
}

static void everything_lost_sends_lost_address(void) {
    start(false);
    wifi_up();
    tick(100);
    CHECK_EQ(picokubelet_platform_transport(), NET_WIFI);
    fake.n_events = 0;
    fake_post(WIFI_EVENT, WIFI_EVENT_STA_DISCONNECTED, NULL);
    tick(100);
    CHECK_EQ(picokubelet_platform_transport(), NET_NONE);
    CHECK_EQ(fake.n_events, 2);
    CHECK_EQ(fake.events[0].eventid, 0x80);
    CHECK_BYTES(fake.events[0].data, fake.events[0].size, 0);
    CHECK_EQ(fake.events[1].eventid, JD_EV_INACTIVE);
    CHECK_EQ(fake.events[1].size, 0);
    get(JD_PICOKUBELET_PLATFORM_REG_IP_ADDRESS);
    CHECK_BYTES(fake.sent[0].data, fake.sent[0].size, 0, 0, 0, 0);
    fake_free_service();
}

static void boot_grace_holds_wifi_back(void) {
    start(true);
    wifi_up();
    tick(100);
    CHECK_EQ(picokubelet_platform_transport(), NET_NONE);
    tick(5000);
    CHECK_EQ(picokubelet_platform_transport(), NET_WIFI);
    fake_free_service();
}

TESTS(platform_service_tests) = {
    {"service: class and initial register packets", service_class_and_initial_registers},
    {"service: heap registers answer live u32 values", heap_registers_are_live_u32},
    {"service: unknown registers and writes are refused", unknown_and_write_packets_are_refused},
    {"service: unknown reset reason reads Unknown", unknown_reset_reason_reads_unknown},
    {"service: Ethernet up sends link_changed and got_address", ethernet_comes_up},
    {"service: facts are polled every 100 ms", polls_only_every_100ms},
    {"service: flap Ethernet -> Wi-Fi -> Ethernet", flap_ethernet_wifi_ethernet},
    {"service: losing every transport sends lost_address", everything_lost_sends_lost_address},
    {"service: Wi-Fi waits for the boot grace period", boot_grace_holds_wifi_back},
    TEST_END,
};
