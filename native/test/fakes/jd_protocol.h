// Host fake of jacdac-c's jd_protocol.h: the service-framework, TX and timing declarations
// native/ uses, with the same names, values and signatures as jacdac-c.
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define JD_PTRSIZE ((int)sizeof(void *))

// devicescript-esp32's jd_user_config.h: fstor is the mmapped "fstor" partition (flash.c); the
// fake's flash_base is wide enough for a host pointer, the board's is a uint32_t
#define JD_FLASH_PAGE_SIZE 4096
extern uint32_t flash_size;
extern uintptr_t flash_base;
#define JD_FSTOR_TOTAL_SIZE flash_size
#define JD_FSTOR_BASE_ADDR flash_base
// jacdac-c's jd_config.h default (with large settings, the minimum)
#define JD_FSTOR_HEADER_PAGES 1

#define JD_CMD_GET_REGISTER 0x1000
#define JD_CMD_SET_REGISTER 0x2000
#define JD_CMD_COMMAND_NOT_IMPLEMENTED 0x03
#define JD_GET(reg) (JD_CMD_GET_REGISTER | (reg))
#define JD_SET(reg) (JD_CMD_SET_REGISTER | (reg))
#define JD_IS_GET(cmd) (((cmd) >> 12) == (JD_CMD_GET_REGISTER >> 12))
#define JD_IS_SET(cmd) (((cmd) >> 12) == (JD_CMD_SET_REGISTER >> 12))
#define JD_REG_CODE(cmd) ((cmd)&0xfff)

#define JD_EV_ACTIVE 0x01
#define JD_EV_INACTIVE 0x02
#define JD_EV_CHANGE 0x03

struct _jd_packet_t {
    uint16_t crc;
    uint8_t _size;
    uint8_t flags;
    uint64_t device_identifier;
    uint8_t service_size;
    uint8_t service_index;
    uint16_t service_command;
    uint8_t data[0];
} __attribute__((__packed__, aligned(4)));
typedef struct _jd_packet_t jd_packet_t;

#define JD_REG_PADDING 0xff0
#define JD_REG_END 0xff1
#define _JD_REG_(tp, v) (((tp) << 12) | (v))
#define _JD_REG_U8 1
#define _JD_REG_U16 3
#define _JD_REG_U32 5
#define _JD_REG_BYTES 9
#define REG_U8(v) _JD_REG_(_JD_REG_U8, (v))
#define REG_U16(v) _JD_REG_(_JD_REG_U16, (v))
#define REG_U32(v) _JD_REG_(_JD_REG_U32, (v))
#define REG_BYTES(v, n) _JD_REG_(_JD_REG_BYTES, (v)), n
#define REG_DEFINITION(name, ...) static const uint16_t name[] = {__VA_ARGS__ JD_REG_END};

typedef struct srv_state srv_t;
typedef void (*srv_pkt_cb_t)(srv_t *state, jd_packet_t *pkt);
typedef void (*srv_cb_t)(srv_t *state);
typedef struct _srv_vt {
    uint32_t service_class;
    uint16_t state_size;
    srv_cb_t process;
    srv_pkt_cb_t handle_pkt;
} srv_vt_t;
#define SRV_COMMON                                                                                 \
    const srv_vt_t *vt;                                                                            \
    uint8_t service_index;                                                                         \
    uint8_t srv_flags;
#define REG_SRV_COMMON REG_BYTES(JD_REG_PADDING, JD_PTRSIZE + 2)

srv_t *jd_allocate_service(const srv_vt_t *vt);
int service_handle_register_final(srv_t *state, jd_packet_t *pkt, const uint16_t sdesc[]);

#define SRV_DEF(id, service_cls)                                                                   \
    static const srv_vt_t id##_vt = {                                                              \
        .service_class = service_cls,                                                              \
        .state_size = sizeof(srv_t),                                                               \
        .process = id##_process,                                                                   \
        .handle_pkt = id##_handle_packet,                                                          \
    }
#define SRV_ALLOC(id)                                                                              \
    srv_t *state = jd_allocate_service(&id##_vt);                                                  \
    (void)state;

int jd_send(unsigned service_num, unsigned service_cmd, const void *data, unsigned service_size);
int jd_respond_u32(jd_packet_t *pkt, uint32_t v);
int jd_respond_empty(jd_packet_t *pkt);
int jd_respond_string(jd_packet_t *pkt, const char *str);
int jd_send_not_implemented(jd_packet_t *pkt);
void jd_send_event_ext(srv_t *srv, uint32_t eventid, const void *data, uint32_t data_bytes);
static inline void jd_send_event(srv_t *srv, uint32_t eventid) {
    jd_send_event_ext(srv, eventid, 0, 0);
}

extern uint32_t now_ms;
bool jd_should_sample_ms(uint32_t *sample, uint32_t period);
