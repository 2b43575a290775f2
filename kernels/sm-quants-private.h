/* sm-quants-private.h: the unpacking of the K-quants, shared by every ISA's kernels.
 *
 * Scales are a handful of bytes per 256 weights, so their unpacking is plain C, the same in
 * every folder.  The quants' unpacking here is the reference order; the SIMD dots unpack in
 * registers of their own.
 */
#pragma once

#include "sm-quants.h"

#include <string.h>
#if defined(__F16C__)
#include <immintrin.h>
#endif

G_BEGIN_DECLS

#if defined(__F16C__)
/* d and dmin of four Q4_K blocks as [d0 dmin0 d1 dmin1 ...], for the SIMD GEMVs that take four
 * rows at once: a 32-bit load a block and one conversion (four scalar half conversions cost a
 * dozen instructions a super-block). */
static inline __m256
sm_q4_k_d_dmin_x4 (const SmBlockQ4_K *b0, const SmBlockQ4_K *b1, const SmBlockQ4_K *b2,
                   const SmBlockQ4_K *b3)
{
  uint32_t u[4];
  memcpy (&u[0], b0, 4);
  memcpy (&u[1], b1, 4);
  memcpy (&u[2], b2, 4);
  memcpy (&u[3], b3, 4);
  return _mm256_cvtph_ps (_mm_setr_epi32 ((int) u[0], (int) u[1], (int) u[2], (int) u[3]));
}
#endif

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

/* ---- K-quant unpacking: each super-block's 256 quants as int8, in weight order -------------
 * Plain loops that every ISA folder compiles with its own flags (the compiler vectorizes
 * them): the scalar dequantizers and dots, and the int8 GEMM's weight unpacking. */


/* Q2_K: weight 128h + 32j + l (l < 32) is bits 2j..2j+1 of qs[32h + l]; sub-block e / 16. */
static inline void
sm_unpack_q2_k (const SmBlockQ2_K *x, int8_t q[SM_QK_K])
{
  for (int h = 0; h < 2; h++)
    for (int j = 0; j < 4; j++)
      for (int l = 0; l < 32; l++)
        q[128 * h + 32 * j + l] = (int8_t) ((x->qs[32 * h + l] >> (2 * j)) & 3);
}

/* Q3_K: the low bits as Q2_K's; bit 4h + j of hmask[l] is the third bit, and a clear bit
 * subtracts 4 (so q is -4..3). */
static inline void
sm_unpack_q3_k (const SmBlockQ3_K *x, int8_t q[SM_QK_K])
{
  for (int h = 0; h < 2; h++)
    for (int j = 0; j < 4; j++)
      for (int l = 0; l < 32; l++)
        {
          int lo = (x->qs[32 * h + l] >> (2 * j)) & 3;
          int hi = (x->hmask[l] >> (4 * h + j)) & 1;
          q[128 * h + 32 * j + l] = (int8_t) (lo - (hi ? 0 : 4));
        }
}

/* Q4_K: weight 64j + l (l < 32) is the low nibble of qs[32j + l], weight 64j + 32 + l its
 * high nibble; sub-block e / 32. */
static inline void
sm_unpack_q4_k (const SmBlockQ4_K *x, int8_t q[SM_QK_K])
{
  for (int j = 0; j < 4; j++)
    for (int l = 0; l < 32; l++)
      {
        q[64 * j + l] = (int8_t) (x->qs[32 * j + l] & 0x0f);
        q[64 * j + 32 + l] = (int8_t) (x->qs[32 * j + l] >> 4);
      }
}

/* Q5_K: Q4_K's nibbles plus the fifth bit: bit e / 32 of qh[e % 32]. */
static inline void
sm_unpack_q5_k (const SmBlockQ5_K *x, int8_t q[SM_QK_K])
{
  for (int j = 0; j < 4; j++)
    for (int l = 0; l < 32; l++)
      {
        int lo = x->qs[32 * j + l] & 0x0f, hi = x->qs[32 * j + l] >> 4;
        q[64 * j + l] = (int8_t) (lo + ((x->qh[l] >> (2 * j)) & 1) * 16);
        q[64 * j + 32 + l] = (int8_t) (hi + ((x->qh[l] >> (2 * j + 1)) & 1) * 16);
      }
}

/* Q6_K: per 128 weights (h), ql[64h .. 64h+63] give the low nibbles of weights 0..63 and
 * their high nibbles weights 64..127; qh[32h + l] holds the top two bits of weights l,
 * l + 32, l + 64, l + 96 in that order.  Biased by 32; sub-block e / 16. */
static inline void
sm_unpack_q6_k (const SmBlockQ6_K *x, int8_t q[SM_QK_K])
{
  for (int h = 0; h < 2; h++)
    {
      const uint8_t *ql = x->ql + 64 * h, *qh = x->qh + 32 * h;
      int8_t *o = q + 128 * h;
      for (int l = 0; l < 32; l++)
        {
          o[l + 0] = (int8_t) (((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32);
          o[l + 32] = (int8_t) (((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32);
          o[l + 64] = (int8_t) (((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32);
          o[l + 96] = (int8_t) (((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32);
        }
    }
}

G_END_DECLS
