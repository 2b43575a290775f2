/* sm-quants-private.h: the scale unpacking of the K-quants, shared by every ISA's kernels.
 *
 * Scales are a handful of bytes per 256 weights, so their unpacking is plain C, the same in
 * every folder; only the 256 quants' unpacking differs per ISA.
 */
#pragma once

#include "sm-quants.h"

G_BEGIN_DECLS

/* Q3_K's sixteen 6-bit scales, minus their bias of 32: the low nibbles are bytes 0..7 (low
 * nibbles first, then the high ones), the top two bits sit in bytes 8..11, scale j's at bit
 * 2 (j / 4) of byte 8 + j % 4 (ggml's kmask1 / kmask2 shuffle, one scale at a time). */
static inline void
sm_q3_k_scales (const uint8_t s[12], int sc[16])
{
  for (int j = 0; j < 16; j++)
    {
      int lo = j < 8 ? s[j] & 0x0f : s[j - 8] >> 4;
      int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
      sc[j] = (lo | hi << 4) - 32;
    }
}

/* Q4_K / Q5_K: eight 6-bit scales and mins in 12 bytes (ggml's get_scale_min_k4).  The first
 * four of each are the low six bits of bytes 0..3 (scales) and 4..7 (mins); the last four
 * take their low nibbles from bytes 8..11 and their top two bits from those bytes' bits 6..7. */
static inline void
sm_k4_scale_min (int j, const uint8_t *s, int *sc, int *m)
{
  if (j < 4)
    {
      *sc = s[j] & 63;
      *m = s[j + 4] & 63;
    }
  else
    {
      *sc = (s[j + 4] & 0x0f) | (s[j - 4] >> 6) << 4;
      *m = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
    }
}

G_END_DECLS
