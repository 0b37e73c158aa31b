#include "net_policy.h"
#include "test.h"

static const net_timeouts_t T = {.link_timeout_ms = 5000, .dhcp_timeout_ms = 15000};
#define IP_ETH 0x6f00a8c0u  // 192.168.0.111
#define IP_WIFI 0x7000a8c0u // 192.168.0.112

static net_facts_t facts(bool eth_link, uint32_t eth_ip, bool wifi_link, uint32_t wifi_ip) {
    net_facts_t f = {.eth_link = eth_link, .eth_ip = eth_ip, .wifi_link = wifi_link,
                     .wifi_ip = wifi_ip};
    return f;
}

static void no_ethernet_uses_wifi_at_once(void) {
    net_policy_t p;
    net_policy_init(&p, false, 1000, T);
    net_facts_t none = facts(false, 0, false, 0), wifi = facts(false, 0, true, IP_WIFI);
    CHECK_EQ(net_policy_decide(&p, &none, 1000), NET_NONE);
    CHECK_EQ(net_policy_decide(&p, &wifi, 1001), NET_WIFI);
    // a stray Ethernet fact cannot matter without a usable chip
    net_facts_t both = facts(true, IP_ETH, true, IP_WIFI);
    CHECK_EQ(net_policy_decide(&p, &both, 1002), NET_WIFI);
}

static void no_link_within_timeout_falls_back(void) {
    net_policy_t p;
    net_policy_init(&p, true, 1000, T);
    net_facts_t wifi = facts(false, 0, true, IP_WIFI);
    CHECK_EQ(net_policy_decide(&p, &wifi, 1000), NET_NONE); // Wi-Fi held back: grace
    CHECK_EQ(net_policy_decide(&p, &wifi, 5999), NET_NONE);
    CHECK_EQ(net_policy_decide(&p, &wifi, 6000), NET_WIFI);
}

static void link_but_no_dhcp_falls_back_later(void) {
    net_policy_t p;
    net_policy_init(&p, true, 0, T);
    net_facts_t linked = facts(true, 0, true, IP_WIFI);
    CHECK_EQ(net_policy_decide(&p, &linked, 3000), NET_NONE); // link at 3 s: wait for DHCP
    CHECK_EQ(net_policy_decide(&p, &linked, 17999), NET_NONE);
    CHECK_EQ(net_policy_decide(&p, &linked, 18000), NET_WIFI);
}

static void ethernet_in_time_wins(void) {
    net_policy_t p;
    net_policy_init(&p, true, 0, T);
    net_facts_t both = facts(true, IP_ETH, true, IP_WIFI);
    CHECK_EQ(net_policy_decide(&p, &both, 2500), NET_ETHERNET);
}

static void flap_ethernet_wifi_ethernet(void) {
    net_policy_t p;
    net_policy_init(&p, true, 0, T);
    net_facts_t up = facts(true, IP_ETH, true, IP_WIFI);
    net_facts_t unplugged = facts(false, 0, true, IP_WIFI);
    net_facts_t replugged_no_ip = facts(true, 0, true, IP_WIFI);
    CHECK_EQ(net_policy_decide(&p, &up, 1000), NET_ETHERNET);
    CHECK_EQ(net_policy_decide(&p, &unplugged, 60000), NET_WIFI); // no grace after boot
    CHECK_EQ(net_policy_decide(&p, &replugged_no_ip, 61000), NET_WIFI);
    CHECK_EQ(net_policy_decide(&p, &up, 62000), NET_ETHERNET);
    CHECK_EQ(net_policy_decide(&p, &unplugged, 63000), NET_WIFI);
    CHECK_EQ(net_policy_decide(&p, &up, 64000), NET_ETHERNET);
}

static void cable_arrives_after_fallback(void) {
    net_policy_t p;
    net_policy_init(&p, true, 0, T);
    net_facts_t wifi = facts(false, 0, true, IP_WIFI), both = facts(true, IP_ETH, true, IP_WIFI);
    CHECK_EQ(net_policy_decide(&p, &wifi, 10000), NET_WIFI);
    CHECK_EQ(net_policy_decide(&p, &both, 600000), NET_ETHERNET);
}

static void everything_down_is_none(void) {
    net_policy_t p;
    net_policy_init(&p, true, 0, T);
    net_facts_t none = facts(false, 0, false, 0), wifi_no_ip = facts(false, 0, true, 0);
    net_facts_t stale_eth_ip = facts(false, IP_ETH, false, 0);
    CHECK_EQ(net_policy_decide(&p, &none, 20000), NET_NONE);
    CHECK_EQ(net_policy_decide(&p, &wifi_no_ip, 20001), NET_NONE);
    CHECK_EQ(net_policy_decide(&p, &stale_eth_ip, 20002), NET_NONE); // address without link
}

static void clock_wrap(void) {
    net_policy_t p;
    uint32_t boot = 0xFFFFF000u; // 4096 ms before the u32 clock wraps
    net_policy_init(&p, true, boot, T);
    net_facts_t wifi = facts(false, 0, true, IP_WIFI);
    CHECK_EQ(net_policy_decide(&p, &wifi, boot + 4999), NET_NONE);
    CHECK_EQ(net_policy_decide(&p, &wifi, boot + 5000), NET_WIFI);
}

static void view_reports_active_link_and_address(void) {
    net_policy_t p;
    net_policy_init(&p, true, 0, T);
    net_facts_t f = facts(true, 0, true, IP_WIFI);
    net_view_t v = net_policy_view(&p, &f, 100);
    CHECK_EQ(v.transport, NET_NONE);
    CHECK(v.link_up); // the Ethernet link while waiting for it
    CHECK_EQ(v.ip, 0);
    f = facts(false, 0, true, IP_WIFI);
    v = net_policy_view(&p, &f, 30000);
    CHECK_EQ(v.transport, NET_WIFI);
    CHECK(v.link_up);
    CHECK_EQ(v.ip, IP_WIFI);
    f = facts(true, IP_ETH, false, 0);
    v = net_policy_view(&p, &f, 30001);
    CHECK_EQ(v.transport, NET_ETHERNET);
    CHECK_EQ(v.ip, IP_ETH);

    net_policy_t q;
    net_policy_init(&q, false, 0, T);
    f = facts(false, 0, true, 0);
    v = net_policy_view(&q, &f, 1);
    CHECK(v.link_up); // no chip: the link shown while waiting is Wi-Fi's
}

TESTS(net_policy_tests) = {
    {"policy: no Ethernet chip uses Wi-Fi at once", no_ethernet_uses_wifi_at_once},
    {"policy: no link within the timeout falls back to Wi-Fi", no_link_within_timeout_falls_back},
    {"policy: link without DHCP falls back after the DHCP timeout",
     link_but_no_dhcp_falls_back_later},
    {"policy: Ethernet in time wins over Wi-Fi", ethernet_in_time_wins},
    {"policy: link flaps go Ethernet -> Wi-Fi -> Ethernet", flap_ethernet_wifi_ethernet},
    {"policy: a cable plugged in after fallback is preferred", cable_arrives_after_fallback},
    {"policy: nothing usable is none", everything_down_is_none},
    {"policy: timeouts survive the u32 clock wrap", clock_wrap},
    {"policy: view reports the active link and address", view_reports_active_link_and_address},
    TEST_END,
};
