/* Native USB-Serial/JTAG (ESP32-S3/C3/C6): the host sees /dev/ttyACM0 (303a:1001). */
#include <stdbool.h>

#include "driver/usb_serial_jtag.h"
#include "esp_live_glue.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "soc/soc_caps.h"

#if SOC_USB_SERIAL_JTAG_SUPPORTED
static link_rx_fn on_rx;
static void *rx_ctx;

static void rx_task(void *arg) {
    (void)arg;
    static uint8_t buf[512];
    for (;;) {
        int n = usb_serial_jtag_read_bytes(buf, sizeof buf, pdMS_TO_TICKS(20));
        if (n > 0) on_rx(buf, (size_t)n, rx_ctx);
    }
}

esp_err_t link_usb_serial_start(link_rx_fn rx, void *ctx) {
    usb_serial_jtag_driver_config_t cfg = { .tx_buffer_size = 4096, .rx_buffer_size = 4096 };
    esp_err_t err = usb_serial_jtag_driver_install(&cfg);
    if (err != ESP_OK) return err;
    on_rx = rx;
    rx_ctx = ctx;
    return xTaskCreate(rx_task, "link_rx", 4096, NULL, 12, NULL) == pdPASS ? ESP_OK : ESP_ERR_NO_MEM;
}

void link_usb_serial_send(const uint8_t *bytes, size_t len) {
    usb_serial_jtag_write_bytes(bytes, len, pdMS_TO_TICKS(100));
}
#else
esp_err_t link_usb_serial_start(link_rx_fn rx, void *ctx) {
    (void)rx;
    (void)ctx;
    return ESP_ERR_NOT_SUPPORTED;
}
void link_usb_serial_send(const uint8_t *bytes, size_t len) {
    (void)bytes;
    (void)len;
}
#endif
