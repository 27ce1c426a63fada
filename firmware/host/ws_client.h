/* A small WebSocket client (RFC 6455) for the Linux board: ws:// only, binary messages of at
 * most EL_MAX_MESSAGE_BYTES, authenticated with `Authorization: Bearer <token>` on the upgrade,
 * as the ESP32 does with esp_websocket_client. Not part of the ESP build. */
#ifndef HOST_WS_CLIENT_H
#define HOST_WS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define HOST_WS_RX_BUFFER 8192u

typedef struct {
    int fd; /* -1 while closed */
    uint8_t rx[HOST_WS_RX_BUFFER];
    size_t rx_len;
    uint32_t mask_state;
    uint64_t text_messages, oversize;
} host_ws_t;

void host_ws_init(host_ws_t *w);
/* Connects and upgrades (blocking, at most `timeout_ms`); 0, or -1 with the reason in `why`. */
int host_ws_connect(host_ws_t *w, const char *url, const char *token, int timeout_ms, char *why, size_t why_cap);
/* One binary message; -1 if the connection is gone. */
int host_ws_send(host_ws_t *w, const uint8_t *bytes, size_t len);
/* Reads what arrived and hands each binary message to `on_message`; answers pings; -1 when the
 * server closed the connection or broke the protocol. */
int host_ws_poll(host_ws_t *w, void (*on_message)(void *ctx, const uint8_t *bytes, size_t len), void *ctx);
void host_ws_close(host_ws_t *w);

#endif
