// Jacdac server for services/picokubeletplatform.md.
#include "picokubelet_platform.h"

#include <string.h>

#include "jd_protocol.h"
#include "jd_picokubelet_services.h"

#include "esp_system.h"
#include "eth_netif.h"
#include "heap_stats.h"
#include "net_policy.h"

// the network facts change in IDF event handlers; 100 ms keeps events prompt and cheap
#define POLL_MS 100

struct srv_state {
    SRV_COMMON;
    // register-backed fields: order and types must follow platform_regs below
    uint8_t transport;
    uint8_t link_up;
    uint8_t reset_reason;
    uint8_t ip_address[4];
    uint8_t mac[6];
    uint32_t transport_changes;

    net_policy_t policy;
    uint32_t next_poll;
};

REG_DEFINITION(                                                          //
    platform_regs,                                                       //
    REG_SRV_COMMON,                                                      //
    REG_U8(JD_PICOKUBELET_PLATFORM_REG_TRANSPORT),                       //
    REG_U8(JD_PICOKUBELET_PLATFORM_REG_LINK_UP),                         //
    REG_U8(JD_PICOKUBELET_PLATFORM_REG_RESET_REASON),                    //
    REG_BYTES(JD_PICOKUBELET_PLATFORM_REG_IP_ADDRESS, 4),                //
    REG_BYTES(JD_PICOKUBELET_PLATFORM_REG_MAC, 6),                       //
    REG_U32(JD_PICOKUBELET_PLATFORM_REG_TRANSPORT_CHANGES),              //
)

static srv_t *platform_state;

static uint8_t reset_reason_code(esp_reset_reason_t r) {
    // the spec's ResetReason mirrors esp_reset_reason_t; anything newer reads as Unknown
    return (r >= ESP_RST_UNKNOWN && r <= ESP_RST_SDIO) ? (uint8_t)r : 0;
}

static void update(srv_t *state) {
    net_facts_t facts;
    eth_netif_facts(&facts);
    net_view_t v = net_policy_view(&state->policy, &facts, now_ms);

    bool moved = v.transport != state->transport;
    if (moved) {
        state->transport = (uint8_t)v.transport;
        state->transport_changes++;
        eth_netif_select(v.transport);
        eth_netif_mac(v.transport, state->mac);
    }

    if (v.link_up != state->link_up) {
        state->link_up = v.link_up;
        jd_send_event_ext(state, JD_PICOKUBELET_PLATFORM_EV_LINK_CHANGED, &state->link_up, 1);
    }

    uint8_t ip[4];
    memcpy(ip, &v.ip, 4); // lwIP keeps the first octet in the lowest byte: wire order in memory
    // a new transport means a new route even with the same address: clients reconnect on this
    if (memcmp(ip, state->ip_address, 4) != 0 || (moved && v.ip)) {
        memcpy(state->ip_address, ip, 4);
        if (v.ip)
            jd_send_event_ext(state, JD_PICOKUBELET_PLATFORM_EV_GOT_ADDRESS, ip, 4);
        else
            jd_send_event(state, JD_PICOKUBELET_PLATFORM_EV_LOST_ADDRESS);
    }
}

static void picokubelet_platform_process(srv_t *state) {
    if (jd_should_sample_ms(&state->next_poll, POLL_MS))
        update(state);
}

static void picokubelet_platform_handle_packet(srv_t *state, jd_packet_t *pkt) {
    // the heap registers are live values, read on demand rather than copied into state
    heap_stats_t h;
    const uint32_t *v = NULL;
    switch (pkt->service_command) {
    case JD_GET(JD_PICOKUBELET_PLATFORM_REG_GC_FREE):
        v = &h.gc_free;
        break;
    case JD_GET(JD_PICOKUBELET_PLATFORM_REG_GC_MIN_FREE):
        v = &h.gc_min_free;
        break;
    case JD_GET(JD_PICOKUBELET_PLATFORM_REG_HEAP_FREE):
        v = &h.heap_free;
        break;
    case JD_GET(JD_PICOKUBELET_PLATFORM_REG_HEAP_MIN_FREE):
        v = &h.heap_min_free;
        break;
    }
    if (v) {
        heap_stats_read(&h);
        jd_respond_u32(pkt, *v);
        return;
    }
    service_handle_register_final(state, pkt, platform_regs);
}

SRV_DEF(picokubelet_platform, JD_SERVICE_CLASS_PICOKUBELET_PLATFORM);

void picokubelet_platform_init(void) {
    SRV_ALLOC(picokubelet_platform);
    bool eth = eth_netif_start();
    net_timeouts_t t = {.link_timeout_ms = NET_LINK_TIMEOUT_MS,
                        .dhcp_timeout_ms = NET_DHCP_TIMEOUT_MS};
    net_policy_init(&state->policy, eth, now_ms, t);
    state->reset_reason = reset_reason_code(esp_reset_reason());
    eth_netif_mac(NET_NONE, state->mac);
    platform_state = state;
    update(state);
}

int picokubelet_platform_transport(void) {
    return platform_state ? platform_state->transport : -1;
}
