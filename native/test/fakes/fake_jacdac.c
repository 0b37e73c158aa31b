// Host fakes of the jacdac-c calls native/ makes. service_handle_register_final() follows
// jacdac-c's documented REG_DEFINITION layout rules (fields in order, each scalar aligned to
// min(size, pointer size), byte arrays unaligned), so a state struct that disagrees with its
// REG_DEFINITION fails the register tests here as it would on the device.
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "jd_protocol.h"

uint32_t now_ms;

struct srv_state {
    SRV_COMMON;
};

srv_t *jd_allocate_service(const srv_vt_t *vt) {
    srv_t *s = calloc(1, vt->state_size);
    s->vt = vt;
    s->service_index = 1;
    fake.service = s;
    fake.service_vt = vt;
    return s;
}

void fake_free_service(void) {
    free(fake.service);
    fake.service = NULL;
}

int jd_send(unsigned service_num, unsigned service_cmd, const void *data, unsigned size) {
    if (fake.n_sent >= 32 || size > sizeof(fake.sent[0].data))
        return -1;
    fake_packet_t *p = &fake.sent[fake.n_sent++];
    p->service_index = service_num;
    p->cmd = service_cmd;
    p->size = size;
    if (size)
        memcpy(p->data, data, size);
    return 0;
}

int jd_respond_u32(jd_packet_t *pkt, uint32_t v) {
    return jd_send(pkt->service_index, pkt->service_command, &v, 4);
}

int jd_respond_empty(jd_packet_t *pkt) {
    return jd_send(pkt->service_index, pkt->service_command, NULL, 0);
}

int jd_respond_string(jd_packet_t *pkt, const char *str) {
    return jd_send(pkt->service_index, pkt->service_command, str, (unsigned)strlen(str));
}

int jd_send_not_implemented(jd_packet_t *pkt) {
    uint16_t payload[2] = {pkt->service_command, pkt->crc};
    return jd_send(pkt->service_index, JD_CMD_COMMAND_NOT_IMPLEMENTED, payload, 4);
}

void jd_send_event_ext(srv_t *srv, uint32_t eventid, const void *data, uint32_t size) {
    if (srv != fake.service || fake.n_events >= 32 || size > 8)
        abort();
    fake_event_t *e = &fake.events[fake.n_events++];
    e->eventid = eventid;
    e->size = size;
    if (size)
        memcpy(e->data, data, size);
}

static unsigned reg_size(unsigned tp) {
    switch (tp) {
    case _JD_REG_U8:
        return 1;
    case _JD_REG_U16:
        return 2;
    case _JD_REG_U32:
        return 4;
    }
    abort(); // a type native/ does not use: extend the fake when it does
}

static int handle_register(srv_t *state, jd_packet_t *pkt, const uint16_t sdesc[]) {
    unsigned cmd = pkt->service_command;
    if (!JD_IS_GET(cmd) && !JD_IS_SET(cmd))
        return 0;
    unsigned reg = JD_REG_CODE(cmd);
    unsigned offset = 0;
    for (int i = 0; sdesc[i] != JD_REG_END; ++i) {
        unsigned code = sdesc[i] & 0xfff;
        unsigned tp = sdesc[i] >> 12;
        unsigned size;
        if (tp == _JD_REG_BYTES) {
            size = sdesc[++i];
        } else {
            size = reg_size(tp);
            unsigned align = (size < (unsigned)JD_PTRSIZE ? size : (unsigned)JD_PTRSIZE) - 1;
            offset = (offset + align) & ~align;
        }
        if (code == reg) {
            uint8_t *p = (uint8_t *)state + offset;
            if (JD_IS_SET(cmd)) {
                if ((reg & 0xf00) == 0x100) // read-only range
                    return 0;
                memcpy(p, pkt->data, pkt->service_size < size ? pkt->service_size : size);
                return (int)reg;
            }
            jd_send(pkt->service_index, cmd, p, size);
            return -(int)reg;
        }
        offset += size;
    }
    return 0;
}

int service_handle_register_final(srv_t *state, jd_packet_t *pkt, const uint16_t sdesc[]) {
    int r = handle_register(state, pkt, sdesc);
    if (r == 0)
        jd_send_not_implemented(pkt);
    return r;
}

bool jd_should_sample_ms(uint32_t *sample, uint32_t period) {
    if ((int32_t)(now_ms - *sample) < 0)
        return false;
    *sample = now_ms + period;
    return true;
}

bool __real_jd_tcpsock_is_available(void);
bool __real_jd_tcpsock_is_available(void) {
    return fake.wifi_service_connected;
}
