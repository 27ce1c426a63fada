/* WAV files for the Linux board: 16-bit PCM mono in (the microphone), out (the speaker). */
#ifndef HOST_WAV_FILE_H
#define HOST_WAV_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    int16_t *samples; /* malloc'ed; host_wav_free releases it */
    size_t count;
    uint32_t rate_hz;
} host_wav_t;

/* Reads a 16-bit PCM mono WAV file; on failure returns -1 with a reason in `why`. */
int host_wav_read(const char *path, host_wav_t *out, char *why, size_t why_cap);
void host_wav_free(host_wav_t *w);

/* A WAV file being written: its header is kept up to date after every append, so a reader
 * can open it at any moment and see a valid file of everything played so far. */
typedef struct {
    FILE *file;
    uint32_t data_bytes;
} host_wav_writer_t;

int host_wav_create(host_wav_writer_t *w, const char *path, uint32_t rate_hz);
void host_wav_append(host_wav_writer_t *w, const int16_t *samples, size_t n);
void host_wav_close(host_wav_writer_t *w);

#endif
