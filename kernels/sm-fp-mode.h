/* sm-fp-mode.h: the thread's floating-point mode, and flushing subnormals to zero.
 *
 * On Intel cores an SSE/AVX operation that reads or makes a subnormal float takes a microcode
 * assist of ~100 cycles.  Attention makes them as a matter of course: a softmax probability
 * below 2⁻¹²⁶ (a score 87 below the row's maximum) is subnormal, and the weighted sum of
 * values then multiplies by it.  Measured on a Sapphire Rapids core with stories260K:
 * prefill of 512 tokens 24,000 -> 91,000 tok/s, decode 43,000 -> 53,000, with the flush on.
 * The values lost are below 1.2e-38, under half an ulp of anything they are added to.
 *
 * The model's forward pass runs in this mode (sm_fp_flush_begin / _end around it), and the
 * compute pool's workers run each share in the mode of the thread that started the job, so
 * the result never depends on which thread computed a slice.  Code outside those regions
 * (tests of the kernels against their scalar reference, the rest of the program) keeps the
 * IEEE default.  Elsewhere than x86 this is a no-op.
 */
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SM_FP_MODE_X86 1
#endif

typedef unsigned int SmFpMode;

/* Only the control bits: the sticky exception flags (the low six) are the thread's own. */
#define SM_FP_MODE_CONTROL 0xffc0u
/* MXCSR's flush-to-zero (outputs) and denormals-are-zero (inputs) bits. */
#define SM_FP_MODE_FLUSH   0x8040u

static inline SmFpMode
sm_fp_mode_get (void)
{
#ifdef SM_FP_MODE_X86
  return _mm_getcsr () & SM_FP_MODE_CONTROL;
#else
  return 0;
#endif
}

/* Sets this thread's mode to @mode (from sm_fp_mode_get); cheap when it is already so. */
static inline void
sm_fp_mode_set (SmFpMode mode)
{
#ifdef SM_FP_MODE_X86
  unsigned int csr = _mm_getcsr ();
  if ((csr & SM_FP_MODE_CONTROL) != mode)
    _mm_setcsr ((csr & ~SM_FP_MODE_CONTROL) | mode);
#else
  (void) mode;
#endif
}

/* Turns the flush on for this thread and returns the mode to restore with sm_fp_flush_end. */
static inline SmFpMode
sm_fp_flush_begin (void)
{
  SmFpMode saved = sm_fp_mode_get ();
  sm_fp_mode_set (saved | SM_FP_MODE_FLUSH);
  return saved;
}

static inline void
sm_fp_flush_end (SmFpMode saved)
{
  sm_fp_mode_set (saved);
}
