/* WebSocket client to the bridge (espressif/esp_websocket_client), authenticated by the board's token. */
#include <stdio.h>
#include <string.h>

#include "esp_live_glue.h"
#include "esp_websocket_client.h"

static esp_websocket_client_handle_t client;
static link_rx_fn on_rx;
static void (*on_up_fn)(int, void *);
static void *rx_ctx;
static char headers[128];

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
    (void)arg;
    (void)base;
    esp_websocket_event_data_t *e = data;
    switch (id) {
    case WEBSOCKET_EVENT_CONNECTED: if (on_up_fn) on_up_fn(1, rx_ctx); break;
    case WEBSOCKET_EVENT_DISCONNECTED: if (on_up_fn) on_up_fn(0, rx_ctx); break;
    case WEBSOCKET_EVENT_DATA:
        /* One protocol message per binary frame (opcode 2); fragments are not used by the host. */
        if (e->op_code == 0x2 && e->payload_offset == 0 && e->data_len == e->payload_len) on_rx((const uint8_t *)e->data_ptr, (size_t)e->data_len, rx_ctx);
        break;
    default: break;
    }
}

esp_err_t link_websocket_start(const char *url, const char *token, link_rx_fn rx, void *ctx, void (*on_up)(int up, void *ctx)) {
    snprintf(headers, sizeof headers, "Authorization: Bearer %s\r\n", token);
    esp_websocket_client_config_t cfg = {
        .uri = url,
        .headers = headers,
        .buffer_size = 2048,
        .reconnect_timeout_ms = 2000,
        .network_timeout_ms = 10000,
        .ping_interval_sec = 10,
    };
    client = esp_websocket_client_init(&cfg);
    if (!client) return ESP_ERR_NO_MEM;
    on_rx = rx;
    on_up_fn = on_up;
    rx_ctx = ctx;
    esp_websocket_register_events(client, WEBSOCKET_EVENT_ANY, on_event, NULL);
    return esp_websocket_client_start(client);
}

void link_websocket_send(const uint8_t *bytes, size_t len) {
    if (client && esp_websocket_client_is_connected(client)) esp_websocket_client_send_bin(client, (const char *)bytes, (int)len, pdMS_TO_TICKS(100));
}

void link_websocket_set_retry_ms(uint32_t ms) {
    if (client) esp_websocket_client_set_reconnect_timeout(client, (int)ms); /* esp_websocket_client >= 1.3 */
}
