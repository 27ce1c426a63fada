/* See uart_pty.h. */
#define _DEFAULT_SOURCE
#include "uart_pty.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void host_uart_init(host_uart_t *u, uint32_t baud) {
    memset(u, 0, sizeof *u);
    u->fd = -1;
    u->bytes_per_s = baud / 10;
}

int host_uart_open(host_uart_t *u, const char *path) {
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return -1;
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(fd, TCSANOW, &t);
    }
    u->fd = fd;
    u->tx_head = u->tx_len = 0;
    u->tx_budget_ub = u->rx_budget_ub = 0;
    return 0;
}

void host_uart_close(host_uart_t *u) {
    if (u->fd >= 0) close(u->fd);
    u->fd = -1;
    u->tx_head = u->tx_len = 0;
}

void host_uart_write(host_uart_t *u, const uint8_t *bytes, size_t len) {
    if (u->fd < 0) return;
    for (size_t i = 0; i < len; i++) {
        if (u->tx_len == HOST_UART_TX_BUFFER) {
            u->tx_dropped += len - i;
            return;
        }
        u->tx[(u->tx_head + u->tx_len++) % HOST_UART_TX_BUFFER] = bytes[i];
    }
}

/* Bytes the line carries in `elapsed_us`, with at most 10 ms worth saved up (a UART cannot
 * catch up on time it spent idle). */
static size_t allowance(host_uart_t *u, uint64_t *budget_ub, uint64_t elapsed_us, size_t want) {
    if (u->bytes_per_s == 0) return want;
    uint64_t cap = (uint64_t)u->bytes_per_s * 10000u + 64u * 1000000u;
    *budget_ub += elapsed_us * u->bytes_per_s;
    if (*budget_ub > cap) *budget_ub = cap;
    size_t n = (size_t)(*budget_ub / 1000000u);
    return n < want ? n : want;
}

long host_uart_pump(host_uart_t *u, uint64_t elapsed_us, uint8_t *rx, size_t cap) {
    if (u->fd < 0) return -1;
    size_t n = allowance(u, &u->tx_budget_ub, elapsed_us, u->tx_len);
    while (n > 0) {
        size_t run = HOST_UART_TX_BUFFER - u->tx_head < n ? HOST_UART_TX_BUFFER - u->tx_head : n;
        ssize_t w = write(u->fd, u->tx + u->tx_head, run);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (w < 0) return -1;
        u->tx_head = (u->tx_head + (size_t)w) % HOST_UART_TX_BUFFER;
        u->tx_len -= (size_t)w;
        if (u->bytes_per_s) u->tx_budget_ub -= (uint64_t)w * 1000000u;
        n -= (size_t)w;
        if ((size_t)w < run) break;
    }
    size_t want = allowance(u, &u->rx_budget_ub, elapsed_us, cap);
    if (want == 0) return 0;
    ssize_t r = read(u->fd, rx, want);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (r <= 0) return -1; /* EIO: the other end of the pty is gone (the cable was pulled) */
    if (u->bytes_per_s) u->rx_budget_ub -= (uint64_t)r * 1000000u;
    return r;
}
