/* The playback buffer: credit accounting, generations, reply ends and prebuffering. See el_device.h. */
#include <string.h>

#include "el_device.h"

/* Output that found itself waiting starts at the latest this long after the first frame came. */
#define WAIT_LIMIT_US 100000u

void el_playback_init(el_playback_t *p, int16_t *storage, uint32_t capacity, uint32_t rate_hz) {
    memset(p, 0, sizeof *p);
    p->ring = storage;
    p->capacity = capacity;
    uint32_t prebuffer = rate_hz * EL_PREBUFFER_MS / 1000u;
    p->prebuffer_samples = prebuffer < capacity / 2 ? prebuffer : capacity / 2;
}

void el_playback_reset(el_playback_t *p) {
    el_playback_t fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.ring = p->ring;
    fresh.capacity = p->capacity;
    fresh.prebuffer_samples = p->prebuffer_samples;
    fresh.dry_counts_late = p->dry_counts_late;
    *p = fresh;
}

el_status_t el_playback_push(el_playback_t *p, uint16_t generation, const int16_t *samples, uint32_t n, uint32_t now_us) {
    if (generation != p->generation) {
        p->stale_frames++;
        p->released += n;
        return EL_ERR_ARGUMENT;
    }
    if (n > p->capacity - p->count) {
        p->overflows++;
        p->released += n;
        return EL_ERR_TOO_BIG;
    }
    if (p->dry_pending && p->reply_playing) p->underruns++; /* 1.0: a gap inside the reply was heard */
    p->dry_pending = 0;
    p->reply_playing = 1; /* a reply's first AUDIO_OUT starts it; later ones keep it going */
    if (!p->output_on && !p->waiting) {
        p->waiting = 1;
        p->wait_since_us = now_us;
    }
    uint32_t tail = (p->head + p->count) % p->capacity;
    for (uint32_t i = 0; i < n; i++) p->ring[(tail + i) % p->capacity] = samples[i];
    p->count += n;
    return EL_OK;
}

uint32_t el_playback_pull(el_playback_t *p, int16_t *out, uint32_t n, uint32_t now_us) {
    if (!p->output_on && p->count > 0 &&
        (p->count >= p->prebuffer_samples || !p->reply_playing || (p->waiting && now_us - p->wait_since_us >= WAIT_LIMIT_US))) {
        p->output_on = 1;
        p->waiting = 0;
    }
    uint32_t take = !p->output_on ? 0 : n < p->count ? n : p->count;
    for (uint32_t i = 0; i < take; i++) out[i] = p->ring[(p->head + i) % p->capacity];
    for (uint32_t i = take; i < n; i++) out[i] = 0;
    p->head = (p->head + take) % p->capacity;
    p->count -= take;
    p->released += take;
    p->played += take;
    if (p->output_on && take < n) { /* ran dry */
        p->output_on = 0;
        if (p->reply_playing && p->dry_counts_late) p->dry_pending = 1;
        else if (p->reply_playing) p->underruns++;
    }
    return take;
}

void el_playback_end_reply(el_playback_t *p, uint16_t generation) {
    if (generation != p->generation) return;
    p->reply_playing = 0;
    p->dry_pending = 0;
}

void el_playback_flush(el_playback_t *p, uint16_t generation) {
    p->released += p->count;
    p->count = 0;
    p->head = 0;
    p->generation = generation;
    p->reply_playing = 0;
    p->dry_pending = 0;
    p->output_on = 0;
    p->waiting = 0;
}

void el_playback_credit(const el_playback_t *p, el_msg_t *out) {
    memset(out, 0, sizeof *out);
    out->type = EL_MSG_CREDIT;
    out->u.credit.generation = p->generation;
    out->u.credit.released_samples = p->released;
    out->u.credit.played_samples = p->played;
    out->u.credit.buffered_samples = p->count;
    out->u.credit.underruns = p->underruns;
    out->u.credit.overflows = p->overflows;
    out->u.credit.stale_frames = p->stale_frames;
}
