/* UART through a USB bridge chip (CP210x, CH340, CH9102) on a classic ESP32 DevKit. */
#include "driver/uart.h"
#include "esp_live_glue.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

static int port;
static link_rx_fn on_rx;
static void *rx_ctx;

static void rx_task(void *arg) {
    (void)arg;
    static uint8_t buf[512];
    for (;;) {
        int n = uart_read_bytes(port, buf, sizeof buf, pdMS_TO_TICKS(20));
        if (n > 0) on_rx(buf, (size_t)n, rx_ctx);
    }
}

esp_err_t link_uart_start(int uart_num, int tx, int rx, uint32_t baud, link_rx_fn rx_fn, void *ctx) {
    uart_config_t cfg = {
        .baud_rate = (int)baud,
        .data_bits = UART_DATA_8_BITS,
        .parity = UART_PARITY_DISABLE,
        .stop_bits = UART_STOP_BITS_1,
        .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
        .source_clk = UART_SCLK_DEFAULT,
    };
    esp_err_t err = uart_driver_install(uart_num, 4096, 4096, 0, NULL, 0);
    if (err == ESP_OK) err = uart_param_config(uart_num, &cfg);
    if (err == ESP_OK) err = uart_set_pin(uart_num, tx, rx, UART_PIN_NO_CHANGE, UART_PIN_NO_CHANGE);
    if (err != ESP_OK) return err;
    port = uart_num;
    on_rx = rx_fn;
    rx_ctx = ctx;
    return xTaskCreate(rx_task, "link_rx", 4096, NULL, 12, NULL) == pdPASS ? ESP_OK : ESP_ERR_NO_MEM;
}

void link_uart_send(const uint8_t *bytes, size_t len) {
    uart_write_bytes(port, bytes, len);
}
