/* G.711, IMA ADPCM and volume, matching src/audio/ on the host (and sox) sample for sample. */
#include "el_device.h"

uint8_t el_mulaw_encode(int16_t sample) {
    int v = ((int)sample + 2) >> 2; /* round to 14 bits */
    uint8_t mask = v < 0 ? 0x7F : 0xFF;
    int mag = v < 0 ? -v : v;
    if (mag > 8159) mag = 8159;
    mag += 33;
    int seg = 0;
    while (mag >> (seg + 6)) seg++;
    return (uint8_t)(((seg << 4) | ((mag >> (seg + 1)) & 0x0F)) ^ mask);
}

int16_t el_mulaw_decode(uint8_t byte) {
    uint8_t u = (uint8_t)~byte;
    int mag = ((((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)) - 0x84;
    return (int16_t)((u & 0x80) ? -mag : mag);
}

uint8_t el_alaw_encode(int16_t sample) {
    int v = ((int)sample + 4) >> 3; /* round to 13 bits */
    uint8_t mask = v >= 0 ? 0xD5 : 0x55;
    int mag = v >= 0 ? v : -v - 1;
    if (mag > 0xFFF) mag = 0xFFF;
    int seg = 0;
    while (mag >> (seg + 5)) seg++;
    int mant = (mag >> (seg < 2 ? 1 : seg)) & 0x0F;
    return (uint8_t)(((seg << 4) | mant) ^ mask);
}

int16_t el_alaw_decode(uint8_t byte) {
    uint8_t a = byte ^ 0x55;
    int exp = (a >> 4) & 0x07, mant = a & 0x0F;
    int mag = exp == 0 ? (mant << 4) + 8 : ((mant << 4) + 0x108) << (exp - 1);
    return (int16_t)((a & 0x80) ? mag : -mag);
}

static const int16_t STEPS[89] = {
    7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118,
    130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963, 1060,
    1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871, 5358, 5894, 6484,
    7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767};
static const int8_t INDEX_CHANGE[8] = {-1, -1, -1, -1, 2, 4, 6, 8};

static int16_t ima_step(int32_t *predictor, int *index, uint8_t code) {
    int32_t step = STEPS[*index];
    int32_t diff = step >> 3;
    if (code & 4) diff += step;
    if (code & 2) diff += step >> 1;
    if (code & 1) diff += step >> 2;
    int32_t p = (code & 8) ? *predictor - diff : *predictor + diff;
    if (p > 32767) p = 32767;
    if (p < -32768) p = -32768;
    *predictor = p;
    *index += INDEX_CHANGE[code & 7];
    if (*index < 0) *index = 0;
    if (*index > 88) *index = 88;
    return (int16_t)p;
}

long el_ima_decode(const uint8_t *block, size_t len, int16_t *out, size_t cap) {
    if (len < 4 || block[2] > 88) return EL_ERR_MALFORMED;
    size_t samples = 1 + 2 * (len - 4);
    if (cap < samples) return EL_ERR_TOO_BIG;
    int32_t predictor = (int16_t)(uint16_t)(block[0] | (block[1] << 8));
    int index = block[2];
    size_t n = 0;
    out[n++] = (int16_t)predictor;
    for (size_t i = 4; i < len; i++) {
        out[n++] = ima_step(&predictor, &index, block[i] & 0x0F);
        out[n++] = ima_step(&predictor, &index, block[i] >> 4);
    }
    return (long)samples;
}

static uint8_t ima_code(int32_t *predictor, int *index, int16_t sample) {
    int32_t step = STEPS[*index];
    int32_t diff = sample - *predictor;
    uint8_t code = 0;
    if (diff < 0) { code = 8; diff = -diff; }
    if (diff >= step) { code |= 4; diff -= step; }
    if (diff >= step >> 1) { code |= 2; diff -= step >> 1; }
    if (diff >= step >> 2) code |= 1;
    ima_step(predictor, index, code); /* the encoder tracks the decoder exactly */
    return code;
}

long el_ima_encode(const int16_t *in, size_t n, uint8_t *index, uint8_t *out, size_t cap) {
    if (n == 0 || n % 2 == 0) return EL_ERR_ARGUMENT;
    size_t bytes = 4 + (n - 1) / 2;
    if (cap < bytes) return EL_ERR_TOO_BIG;
    int32_t predictor = in[0];
    int idx = *index;
    out[0] = (uint8_t)in[0];
    out[1] = (uint8_t)((uint16_t)in[0] >> 8);
    out[2] = (uint8_t)idx;
    out[3] = 0;
    for (size_t i = 1, o = 4; i < n; i += 2, o++) {
        uint8_t lo = ima_code(&predictor, &idx, in[i]);
        uint8_t hi = ima_code(&predictor, &idx, in[i + 1]);
        out[o] = (uint8_t)(lo | (hi << 4));
    }
    *index = (uint8_t)idx;
    return (long)bytes;
}

/* 10^(-50 (100 - p) / 99 / 20) in Q15 (the host's volumeToGain), without libm. */
uint16_t el_volume_gain_q15(uint8_t percent) {
    if (percent == 0) return 0;
    if (percent >= 100) return 32767u; /* unity, as close as Q15 gets */
    /* Each percent step is 50/99 dB = a factor of 10^(-50/1980); walk down from unity in Q30. */
    uint64_t g = 1ull << 30;
    const uint64_t step = 1013088405ull; /* 10^(-50/1980) * 2^30, rounded */
    for (uint8_t p = 100; p > percent; p--) g = (g * step) >> 30;
    return (uint16_t)(g >> 15);
}

void el_apply_gain_q15(int16_t *samples, size_t n, uint16_t gain_q15) {
    for (size_t i = 0; i < n; i++) samples[i] = (int16_t)(((int32_t)samples[i] * gain_q15) >> 15);
}

void el_i2s32_to_s16(const int32_t *in, size_t n, int gain_bits, int16_t *out) {
    const int shift = 16 - gain_bits; /* 1 … 16: gain_bits is 0 … 15 */
    for (size_t i = 0; i < n; i++) {
        /* floor(x / 2^shift + 1/2): Math.round's halves-up rounding, in integers. */
        int64_t v = ((int64_t)in[i] + ((int64_t)1 << (shift - 1))) >> shift;
        out[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
}
