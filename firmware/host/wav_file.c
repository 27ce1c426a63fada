/* WAV reading and writing, little-endian whatever the host is. See wav_file.h. */
#include "wav_file.h"

#include <stdlib.h>
#include <string.h>

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}

int host_wav_read(const char *path, host_wav_t *out, char *why, size_t why_cap) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_cap, "cannot open %s", path);
        return -1;
    }
    uint8_t head[12], chunk[8], fmt[16];
    int ok = fread(head, 1, 12, f) == 12 && memcmp(head, "RIFF", 4) == 0 && memcmp(head + 8, "WAVE", 4) == 0;
    int have_fmt = 0;
    while (ok && fread(chunk, 1, 8, f) == 8) {
        uint32_t size = le32(chunk + 4);
        if (memcmp(chunk, "fmt ", 4) == 0 && size >= 16) {
            ok = fread(fmt, 1, 16, f) == 16 && fseek(f, (long)(size - 16 + (size & 1)), SEEK_CUR) == 0;
            have_fmt = 1;
            if (ok && (le16(fmt) != 1 || le16(fmt + 2) != 1 || le16(fmt + 14) != 16)) {
                snprintf(why, why_cap, "%s is not 16-bit PCM mono", path);
                fclose(f);
                return -1;
            }
            out->rate_hz = le32(fmt + 4);
        } else if (memcmp(chunk, "data", 4) == 0 && have_fmt) {
            if (size > 64u << 20) size = 64u << 20; /* bounded: a minute of audio is 2 MB */
            uint8_t *bytes = malloc(size ? size : 1);
            out->samples = malloc((size / 2 ? size / 2 : 1) * sizeof(int16_t));
            size_t got = bytes && out->samples ? fread(bytes, 1, size, f) : 0;
            out->count = got / 2;
            for (size_t i = 0; i < out->count; i++) out->samples[i] = (int16_t)le16(bytes + 2 * i);
            free(bytes);
            fclose(f);
            if (!out->samples) snprintf(why, why_cap, "out of memory reading %s", path);
            return out->samples ? 0 : -1;
        } else {
            ok = fseek(f, (long)(size + (size & 1)), SEEK_CUR) == 0;
        }
    }
    fclose(f);
    snprintf(why, why_cap, "%s is not a WAV file with a fmt and a data chunk", path);
    return -1;
}

void host_wav_free(host_wav_t *w) {
    free(w->samples);
    memset(w, 0, sizeof *w);
}

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void write_header(host_wav_writer_t *w, uint32_t rate_hz) {
    uint8_t h[44] = "RIFF....WAVEfmt \x10\0\0\0\x01\0\x01\0........\x02\0\x10\0data....";
    put32(h + 4, 36 + w->data_bytes);
    put32(h + 24, rate_hz);
    put32(h + 28, rate_hz * 2);
    put32(h + 40, w->data_bytes);
    fseek(w->file, 0, SEEK_SET);
    fwrite(h, 1, sizeof h, w->file);
}

int host_wav_create(host_wav_writer_t *w, const char *path, uint32_t rate_hz) {
    w->data_bytes = 0;
    w->file = fopen(path, "w+b");
    if (!w->file) return -1;
    write_header(w, rate_hz);
    fflush(w->file);
    return 0;
}

void host_wav_append(host_wav_writer_t *w, const int16_t *samples, size_t n) {
    if (!w->file || n == 0) return;
    uint8_t bytes[2 * 512];
    fseek(w->file, 0, SEEK_END);
    for (size_t at = 0; at < n;) {
        size_t k = n - at < 512 ? n - at : 512;
        for (size_t i = 0; i < k; i++) {
            bytes[2 * i] = (uint8_t)samples[at + i];
            bytes[2 * i + 1] = (uint8_t)((uint16_t)samples[at + i] >> 8);
        }
        fwrite(bytes, 1, 2 * k, w->file);
        at += k;
    }
    w->data_bytes += (uint32_t)(2 * n);
    /* The rate is in the header already; rewrite only the two sizes. */
    uint8_t size[4];
    put32(size, 36 + w->data_bytes);
    fseek(w->file, 4, SEEK_SET);
    fwrite(size, 1, 4, w->file);
    put32(size, w->data_bytes);
    fseek(w->file, 40, SEEK_SET);
    fwrite(size, 1, 4, w->file);
    fflush(w->file);
}

void host_wav_close(host_wav_writer_t *w) {
    if (w->file) fclose(w->file);
    w->file = NULL;
}
