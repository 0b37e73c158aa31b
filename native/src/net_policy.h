// Which interface carries the sockets: Ethernet whenever it has link and an address, else
// Wi-Fi. At boot Wi-Fi is held back for a short grace period so that a board with a cable
// does not open its first TLS connection over Wi-Fi only to lose it seconds later.
// Pure: no IDF calls, so the whole decision table runs in host tests. See README.md.
#pragma once

#include <stdbool.h>
#include <stdint.h>

// values are the service's Transport enum
typedef enum {
    NET_NONE = 0,
    NET_ETHERNET = 1,
    NET_WIFI = 2,
} net_transport_t;

// What the IDF event handlers have seen; an address of 0 means none.
// Addresses are lwIP's u32 (first octet in the lowest byte).
typedef struct {
    bool eth_link;
    uint32_t eth_ip;
    bool wifi_link;
    uint32_t wifi_ip;
} net_facts_t;

typedef struct {
    uint32_t link_timeout_ms; // from boot to Ethernet link
    uint32_t dhcp_timeout_ms; // from Ethernet link to Ethernet address
} net_timeouts_t;

#define NET_LINK_TIMEOUT_MS 5000
#define NET_DHCP_TIMEOUT_MS 15000

typedef struct {
    bool eth_usable;
    bool grace_over;
    bool link_seen;
    uint32_t boot_ms;
    uint32_t link_seen_ms;
    net_timeouts_t timeouts;
} net_policy_t;

typedef struct {
    net_transport_t transport;
    bool link_up;
    uint32_t ip;
} net_view_t;

// eth_usable: the probe found a W5500 and its driver is running.
void net_policy_init(net_policy_t *p, bool eth_usable, uint32_t now_ms, net_timeouts_t timeouts);

net_transport_t net_policy_decide(net_policy_t *p, const net_facts_t *f, uint32_t now_ms);

// The transport plus the link and address the service reports for it.
net_view_t net_policy_view(net_policy_t *p, const net_facts_t *f, uint32_t now_ms);
