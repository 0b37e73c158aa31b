// DeviceScript opens sockets only while jd_tcpsock_is_available() says so, and its Wi-Fi
// service answers that from its own "connected" flag. The component links with
// -Wl,--wrap=jd_tcpsock_is_available so the answer follows the active transport instead,
// which makes sockets work over Ethernet with Wi-Fi down.
#include <stdbool.h>

#include "picokubelet_platform.h"

bool __real_jd_tcpsock_is_available(void);
bool __wrap_jd_tcpsock_is_available(void);

bool __wrap_jd_tcpsock_is_available(void) {
    int t = picokubelet_platform_transport();
    if (t < 0) // service not started: keep DeviceScript's own behaviour
        return __real_jd_tcpsock_is_available();
    return t != 0;
}
