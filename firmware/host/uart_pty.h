/* A serial port (a pty from socat, or a real tty) that moves bytes at a UART's pace: baud/10
 * bytes per second each way (8N1), as an ESP32's UART would, because a pty has no baud rate. */
#ifndef HOST_UART_PTY_H
#define HOST_UART_PTY_H

#include <stddef.h>
#include <stdint.h>

#define HOST_UART_TX_BUFFER 65536u

typedef struct {
    int fd;                   /* -1 while closed */
    uint32_t bytes_per_s;     /* 0: as fast as the port takes them */
    uint64_t tx_budget_ub, rx_budget_ub; /* byte budgets in micro-bytes (bytes × 10^6) */
    uint8_t tx[HOST_UART_TX_BUFFER];
    size_t tx_head, tx_len;
    uint64_t tx_dropped;      /* bytes that found the transmit buffer full */
} host_uart_t;

void host_uart_init(host_uart_t *u, uint32_t baud);
/* Opens the port raw; returns 0, or -1 (it does not exist yet: try again later). */
int host_uart_open(host_uart_t *u, const char *path);
void host_uart_close(host_uart_t *u);
/* Queues bytes for the host; drops (and counts) what does not fit the transmit buffer. */
void host_uart_write(host_uart_t *u, const uint8_t *bytes, size_t len);
/* Lets `elapsed_us` of line time pass: sends what the budget allows and reads at most as much
 * as the line could have carried into `rx`. Returns bytes read, or -1 when the port is gone. */
long host_uart_pump(host_uart_t *u, uint64_t elapsed_us, uint8_t *rx, size_t cap);

#endif
