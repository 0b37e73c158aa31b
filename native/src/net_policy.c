#include "net_policy.h"

void net_policy_init(net_policy_t *p, bool eth_usable, uint32_t now_ms, net_timeouts_t timeouts) {
    p->eth_usable = eth_usable;
    p->grace_over = !eth_usable;
    p->link_seen = false;
    p->boot_ms = now_ms;
    p->link_seen_ms = 0;
    p->timeouts = timeouts;
}

static bool reached(uint32_t now_ms, uint32_t deadline_ms) {
    // signed difference: correct across the 49-day wrap of a u32 millisecond clock
    return (int32_t)(now_ms - deadline_ms) >= 0;
}

static bool eth_ready(const net_policy_t *p, const net_facts_t *f) {
    return p->eth_usable && f->eth_link && f->eth_ip != 0;
}

static void update_grace(net_policy_t *p, const net_facts_t *f, uint32_t now_ms) {
    if (p->grace_over)
        return;
    if (eth_ready(p, f)) {
        p->grace_over = true;
        return;
    }
    if (f->eth_link && !p->link_seen) {
        p->link_seen = true;
        p->link_seen_ms = now_ms;
    }
    uint32_t deadline = p->link_seen ? p->link_seen_ms + p->timeouts.dhcp_timeout_ms
                                     : p->boot_ms + p->timeouts.link_timeout_ms;
    if (reached(now_ms, deadline))
        p->grace_over = true;
}

net_transport_t net_policy_decide(net_policy_t *p, const net_facts_t *f, uint32_t now_ms) {
    update_grace(p, f, now_ms);
    if (eth_ready(p, f))
        return NET_ETHERNET;
    if (!p->grace_over)
        return NET_NONE;
    if (f->wifi_link && f->wifi_ip != 0)
        return NET_WIFI;
    return NET_NONE;
}

net_view_t net_policy_view(net_policy_t *p, const net_facts_t *f, uint32_t now_ms) {
    net_view_t v = {.transport = net_policy_decide(p, f, now_ms), .link_up = false, .ip = 0};
    switch (v.transport) {
    case NET_ETHERNET:
        v.link_up = f->eth_link;
        v.ip = f->eth_ip;
        break;
    case NET_WIFI:
        v.link_up = f->wifi_link;
        v.ip = f->wifi_ip;
        break;
    case NET_NONE:
        v.link_up = p->eth_usable ? f->eth_link : f->wifi_link;
        break;
    }
    return v;
}
