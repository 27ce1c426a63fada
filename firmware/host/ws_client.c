/* See ws_client.h. */
#define _DEFAULT_SOURCE
#include "ws_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "el_wire.h"

void host_ws_init(host_ws_t *w) {
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->mask_state = 0x9E3779B9u;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd pfd = { fd, POLLOUT, 0 };
            if (poll(&pfd, 1, 1000) <= 0) return -1;
            continue;
        }
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int host_ws_connect(host_ws_t *w, const char *url, const char *token, int timeout_ms, char *why, size_t why_cap) {
    char host[128], port[8] = "80", path[256] = "/";
    if (sscanf(url, "ws://%127[^:/]:%7[0-9]%255s", host, port, path) < 2 && sscanf(url, "ws://%127[^:/]%255s", host, path) < 1) {
        snprintf(why, why_cap, "not a ws:// URL: %s", url);
        return -1;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
        snprintf(why, why_cap, "cannot resolve %s", host);
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int ok = fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    freeaddrinfo(ai);
    if (!ok) {
        if (fd >= 0) close(fd);
        snprintf(why, why_cap, "cannot connect to %s:%s", host, port);
        return -1;
    }
    /* The key only has to be 16 bytes in base64; the server's Accept is not checked (a test board). */
    char request[768];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: ZXNwLWxpdmUtYy1ib2FyZA==\r\nSec-WebSocket-Version: 13\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     path, host, port, token);
    if (n <= 0 || (size_t)n >= sizeof request || write_all(fd, (const uint8_t *)request, (size_t)n) != 0) {
        close(fd);
        snprintf(why, why_cap, "cannot send the upgrade request");
        return -1;
    }
    /* Read the response head; anything after it is the first frames. */
    size_t got = 0;
    char *end = NULL;
    while (!end) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (got == sizeof w->rx - 1 || poll(&pfd, 1, timeout_ms) <= 0) break;
        ssize_t k = read(fd, w->rx + got, sizeof w->rx - 1 - got);
        if (k <= 0) break;
        got += (size_t)k;
        w->rx[got] = 0;
        end = strstr((char *)w->rx, "\r\n\r\n");
    }
    if (!end || strncmp((char *)w->rx, "HTTP/1.1 101", 12) != 0) {
        char *eol = strstr((char *)w->rx, "\r\n");
        if (eol) *eol = 0;
        snprintf(why, why_cap, "upgrade refused: %.80s", got ? (char *)w->rx : "no answer");
        close(fd);
        return -1;
    }
    size_t head = (size_t)(end + 4 - (char *)w->rx);
    memmove(w->rx, w->rx + head, got - head);
    w->rx_len = got - head;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    w->fd = fd;
    return 0;
}

static int send_frame(host_ws_t *w, uint8_t opcode, const uint8_t *bytes, size_t len) {
    if (w->fd < 0 || len > 0xFFFF) return -1;
    uint8_t frame[8 + 0xFFFF];
    size_t h = 0;
    frame[h++] = (uint8_t)(0x80 | opcode); /* FIN, one frame per message */
    if (len < 126) frame[h++] = (uint8_t)(0x80 | len);
    else {
        frame[h++] = 0x80 | 126;
        frame[h++] = (uint8_t)(len >> 8);
        frame[h++] = (uint8_t)len;
    }
    uint8_t mask[4];
    w->mask_state = w->mask_state * 1664525u + 1013904223u; /* a client must mask; any key will do here */
    for (int i = 0; i < 4; i++) mask[i] = (uint8_t)(w->mask_state >> (8 * i));
    memcpy(frame + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++) frame[h + i] = bytes[i] ^ mask[i % 4];
    return write_all(w->fd, frame, h + len);
}

int host_ws_send(host_ws_t *w, const uint8_t *bytes, size_t len) {
    return send_frame(w, 0x2, bytes, len);
}

int host_ws_poll(host_ws_t *w, void (*on_message)(void *ctx, const uint8_t *bytes, size_t len), void *ctx) {
    if (w->fd < 0) return -1;
    ssize_t k = read(w->fd, w->rx + w->rx_len, sizeof w->rx - w->rx_len);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) return -1;
    if (k > 0) w->rx_len += (size_t)k;
    for (;;) {
        if (w->rx_len < 2) return 0;
        uint8_t opcode = w->rx[0] & 0x0F;
        int fin = w->rx[0] & 0x80, masked = w->rx[1] & 0x80;
        size_t len = w->rx[1] & 0x7F, h = 2;
        if (len == 126) {
            if (w->rx_len < 4) return 0;
            len = (size_t)w->rx[2] << 8 | w->rx[3];
            h = 4;
        } else if (len == 127) {
            return -1; /* more than 64 KiB: never a protocol message */
        }
        if (masked || !fin) return -1; /* a server never masks; the host sends one frame per message */
        if (h + len > sizeof w->rx) return -1;
        if (w->rx_len < h + len) return 0;
        const uint8_t *payload = w->rx + h;
        if (opcode == 0x2) {
            if (len > EL_MAX_MESSAGE_BYTES) w->oversize++;
            else on_message(ctx, payload, len);
        } else if (opcode == 0x1) {
            w->text_messages++; /* not part of the protocol: ignored and counted */
        } else if (opcode == 0x9) {
            if (send_frame(w, 0xA, payload, len) != 0) return -1;
        } else if (opcode == 0x8) {
            return -1;
        }
        memmove(w->rx, w->rx + h + len, w->rx_len - h - len);
        w->rx_len -= h + len;
    }
}

void host_ws_close(host_ws_t *w) {
    if (w->fd >= 0) {
        uint8_t code[2] = { 0x03, 0xE8 }; /* 1000: normal closure */
        send_frame(w, 0x8, code, 2);
        close(w->fd);
    }
    w->fd = -1;
    w->rx_len = 0;
}
