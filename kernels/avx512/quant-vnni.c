/* avx512/quant-vnni.c: the avx512-vnni level's Q8_0 and Q4_0 dots and GEMVs.
 *
 * avx2/quant.c's kernels with vpdpbusd (SM_QUANT_VNNI), in 256-bit form, except the Q4_0 GEMV,
 * which is 512-bit here: Q4_0's 18-byte blocks cost more work per byte than Q8_0's, and the
 * 256-bit loop, at about 1.7 G blocks/s on one Zen 5 core (31 GB/s), could not keep up with
 * DRAM.  The file's other kernels are built too, unused.
 */
#define SM_QUANT_VNNI 1
#define SM_QUANT_OWN_GEMV_Q4_0 1
#define sm_avx2_quantize_row_q8_0 sm_avx512_vnni_quantize_row_q8_0
#define sm_avx2_vec_dot_q8_0_q8_0 sm_avx512_vnni_vec_dot_q8_0_q8_0
#define sm_avx2_gemv_q8_0 sm_avx512_vnni_gemv_q8_0
#define sm_avx2_vec_dot_q4_0_q8_0 sm_avx512_vnni_vec_dot_q4_0_q8_0
#define sm_avx2_gemv_f16 sm_avx512_vnni_gemv_f16
#define sm_avx2_gemv_bf16 sm_avx512_vnni_gemv_bf16
#include "../avx2/quant.c"

/* ---- Q4_0 GEMV, 512-bit ------------------------------------------------------------------------ */

/* A GEMV's software prefetch, one stream of lines ahead of where it reads: asks for the lines
 * of [from, from + bytes) it has not asked for yet, *next being the first line not asked for
 * (start it at 0); a stream that jumps ahead (the next chunk of a row) starts again where it
 * lands.  A step whose bytes are not whole lines (eight Q4_0 blocks are 144 bytes) that asks
 * for every 64 bytes of it asks 3 times for 2.25 lines, and the repeats of a line already on
 * its way take the load slots a stream from DRAM is short of.  The 512-bit Q4_0 GEMV over the
 * 1B shape's matrices in a mapped model file, the two ways alternated 15 times in one process
 * (Zen 5 guest; medians): one core 23.6 -> 26.1 and 23.6 -> 25.8 GB/s in two processes, two
 * cores 42.8 -> 45.3 and 45.6 -> 49.8.  The 256-bit GEMVs of avx2/quant.c keep asking every
 * 64 bytes: there the stream's loop cost more than it saved (Q4_0 at the avx2 level 21.2 ->
 * 19.0 and 21.3 -> 20.2 on one core, Q8_0 level), and so did four such streams in the Q6_K
 * GEMV (decode 25 -> 18 tok/s: 210-byte steps, a trip count the branches cannot learn). */
static inline void
prefetch_stream (uintptr_t *next, const void *from, size_t bytes)
{
  const uintptr_t first = (uintptr_t) from & ~(uintptr_t) 63, end = (uintptr_t) from + bytes;

  if (*next < first)
    *next = first;
  for (; *next < end; *next += 64)
    _mm_prefetch ((const char *) *next, _MM_HINT_T0);
}

/* Four blocks to a register: the 16 bytes of nibbles of each block, side by side, give its
 * low nibbles (weights 0-15) and high ones (16-31) in one 128-bit lane each, and x is laid out
 * to match once per call, its weights 0-15 of four blocks in one register, 16-31 in another.
 * Two dpbusd then leave each block's sum in the four dword lanes of its 128-bit lane, started
 * at -8·Σx as in avx2/quant.c; the lane is summed to the block's sum and that is scaled, in
 * the first dword of the lane.  Eight blocks (144 bytes) a step: two word permutes
 * gather their nibbles from four overlapping loads, which never reach past the eighth block,
 * and a third gathers the eight scales. */
#define G4 (XCHUNK / 4)

typedef struct {
  float dx[XCHUNK];
  int8_t lo[G4][64];     /* weights 0-15 of blocks 4g..4g+3 */
  int8_t hi[G4][64];     /* weights 16-31 */
  int32_t off[G4][16];   /* -8 · Σ of the 8 x bytes each dword lane's two dpbusd take */
} XSide4;

static size_t
x_side4 (const SmBlockQ8_0 *xq, size_t nb, size_t c0, XSide4 *xs)
{
  size_t cn = nb - c0 < XCHUNK ? nb - c0 : XCHUNK;

  for (size_t b = 0; b < cn; b++)
    xs->dx[b] = fp16 (xq[c0 + b].d);
  for (size_t g = 0; g < cn / 4; g++)
    {
      for (int j = 0; j < 4; j++)
        {
          memcpy (xs->lo[g] + 16 * j, xq[c0 + 4 * g + j].qs, 16);
          memcpy (xs->hi[g] + 16 * j, xq[c0 + 4 * g + j].qs + 16, 16);
        }
      __m512i lo = _mm512_loadu_si512 (xs->lo[g]), hi = _mm512_loadu_si512 (xs->hi[g]);
      __m512i lanes = _mm512_dpbusd_epi32 (_mm512_dpbusd_epi32 (_mm512_setzero_si512 (), _mm512_set1_epi8 (1), lo),
                                           _mm512_set1_epi8 (1), hi);
      _mm512_storeu_si512 (xs->off[g], _mm512_sub_epi32 (_mm512_setzero_si512 (), _mm512_slli_epi32 (lanes, 3)));
    }
  return cn;
}

/* Word offsets, in a 128-byte window, of the nibbles of four blocks: those of blocks 0-3 of a
 * step from its first byte, of blocks 4-7 from its 16th (so the window ends with the step). */
#define QS_WORDS(a, b, c, d)                                                                      \
  a, a + 1, a + 2, a + 3, a + 4, a + 5, a + 6, a + 7, b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, \
  c, c + 1, c + 2, c + 3, c + 4, c + 5, c + 6, c + 7, d, d + 1, d + 2, d + 3, d + 4, d + 5, d + 6, d + 7

/* Each block's sum in every dword of its 128-bit lane, exact: the block's int32 sum is then
 * scaled once, as at the other levels, which keeps the float results theirs. */
static inline __m512i
block_sums (__m512i s)
{
  s = _mm512_add_epi32 (s, _mm512_shuffle_epi32 (s, _MM_PERM_BADC));
  return _mm512_add_epi32 (s, _mm512_shuffle_epi32 (s, _MM_PERM_CDAB));
}

static inline __m512i
words (const short idx[32])
{
  return _mm512_loadu_si512 (idx);
}

void
sm_avx512_vnni_gemv_q4_0 (size_t M, size_t k, const SmBlockQ4_0 *W, const SmBlockQ8_0 *xq, float *y)
{
  static const short qs_first[32] = { QS_WORDS (1, 10, 19, 28) };
  static const short qs_last[32] = { QS_WORDS (29, 38, 47, 56) };
  static const short scale_words[32] = { 0, 9, 18, 27, 36, 45, 54, 63 };
  static const int lane_first[16] = { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 };
  static const int lane_last[16] = { 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7 };
  const __m512i ia = words (qs_first), ib = words (qs_last), is = words (scale_words);
  const __m512i la = _mm512_loadu_si512 (lane_first), lb = _mm512_loadu_si512 (lane_last);
  const __m512i m4 = _mm512_set1_epi8 (0x0f);
  const __mmask16 first = 0x1111;   /* the first lane of each block */
  const size_t nb = k / SM_QK;
  XSide4 xs;

  if (nb == 0)   /* no chunk below writes the results */
    for (size_t r = 0; r < M; r++)
      y[r] = 0.0f;
  for (size_t c0 = 0; c0 < nb && M > 0; c0 += XCHUNK)
    {
      const size_t cn = x_side4 (xq, nb, c0, &xs);
      const SmBlockQ8_0 *x = xq + c0;
      uintptr_t pf = 0;   /* see prefetch_stream */

      for (size_t r = 0; r < M; r++)
        {
          const SmBlockQ4_0 *w = W + r * nb + c0;
          __m512 acc0 = _mm512_setzero_ps (), acc1 = _mm512_setzero_ps ();
          size_t b = 0;

          for (; b + 8 <= cn; b += 8)
            {
              const uint8_t *p = (const uint8_t *) (w + b);
              prefetch_stream (&pf, p + AHEAD, 8 * sizeof (SmBlockQ4_0));
              __m512i v0 = _mm512_loadu_si512 (p), v1 = _mm512_loadu_si512 (p + 64);
              __m512i qa = _mm512_permutex2var_epi16 (v0, ia, v1);
              __m512i qb = _mm512_permutex2var_epi16 (_mm512_loadu_si512 (p + 16), ib, _mm512_loadu_si512 (p + 80));
              const size_t g = b / 4;
              __m512i sa = _mm512_dpbusd_epi32 (_mm512_loadu_si512 (xs.off[g]), _mm512_and_si512 (qa, m4),
                                                _mm512_loadu_si512 (xs.lo[g]));
              sa = _mm512_dpbusd_epi32 (sa, _mm512_and_si512 (_mm512_srli_epi16 (qa, 4), m4), _mm512_loadu_si512 (xs.hi[g]));
              __m512i sb = _mm512_dpbusd_epi32 (_mm512_loadu_si512 (xs.off[g + 1]), _mm512_and_si512 (qb, m4),
                                                _mm512_loadu_si512 (xs.lo[g + 1]));
              sb = _mm512_dpbusd_epi32 (sb, _mm512_and_si512 (_mm512_srli_epi16 (qb, 4), m4), _mm512_loadu_si512 (xs.hi[g + 1]));
              /* the eight scales, dw · dx, then each repeated over its block's four lanes */
              __m256 d = _mm256_mul_ps (_mm256_cvtph_ps (_mm512_castsi512_si128 (_mm512_permutex2var_epi16 (v0, is, v1))),
                                        _mm256_loadu_ps (xs.dx + b));
              __m512 d16 = _mm512_castps256_ps512 (d);
              acc0 = _mm512_mask3_fmadd_ps (_mm512_cvtepi32_ps (block_sums (sa)), _mm512_permutexvar_ps (la, d16), acc0, first);
              acc1 = _mm512_mask3_fmadd_ps (_mm512_cvtepi32_ps (block_sums (sb)), _mm512_permutexvar_ps (lb, d16), acc1, first);
            }
          float sum = _mm512_reduce_add_ps (_mm512_add_ps (acc0, acc1));
          for (; b < cn; b++)   /* the row's last blocks, one at a time */
            {
              __m256i xb = load_qs (x[b].qs);
              int32_t s = hsum_epi32 (dot_u4 (w[b].qs, xb)) - hsum_epi32 (xsum8_i8 (xb));
              sum += (float) s * (fp16 (w[b].d) * xs.dx[b]);
            }
          y[r] = c0 == 0 ? sum : y[r] + sum;
        }
    }
}
