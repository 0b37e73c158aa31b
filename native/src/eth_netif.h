// ESP-IDF side of the network: W5500 probe and bring-up, and the event handlers that keep
// the facts net_policy decides on.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "net_policy.h"
#include "w5500_probe.h"

// Probes the W5500 and, if it answers, installs the esp_eth driver on an ETH netif with DHCP.
// Watches Wi-Fi in either case. Returns whether Ethernet is usable. Call once, after
// DeviceScript's Wi-Fi init (esp_netif and the default event loop exist by then).
bool eth_netif_start(void);

w5500_probe_t eth_netif_probe_result(void);

// Safe to call from the main task while IDF event handlers update the facts.
void eth_netif_facts(net_facts_t *out);

// Routes lwIP's default traffic through the chosen interface.
void eth_netif_select(net_transport_t t);

void eth_netif_mac(net_transport_t t, uint8_t mac[6]);
