/* sm-gemm-i8.c: the threaded driver of prefill's int8 GEMM (the VNNI levels' i8_* kernels).
 *
 * Two passes over the compute threads: the activations are packed, a share of token groups
 * each, then every thread multiplies its share of W's rows (whole slabs) by all of them.  The
 * packed activations and each thread's weight slab live in a buffer that belongs to the
 * calling thread and only grows: the engine thread sizes it in its first prefill and then
 * allocates nothing, as the pool-off path counts system allocations a token.
 */
#include "sm-gemm-i8-private.h"
#include "sm-threads.h"

typedef struct {
  const SmKernels *k;
  SmI8Weight w;
  size_t n, M, K, ldw, ldx, ldy, ngroups, slab_bytes;
  const void *W, *Xq;
  float *Y;
  char *xp, *slabs;
} I8Job;

typedef struct {
  void  *p;
  size_t size;
} Scratch;

static void
scratch_free (gpointer data)
{
  Scratch *s = data;

  g_free (s->p);
  g_free (s);
}

static GPrivate scratch_key = G_PRIVATE_INIT (scratch_free);

/* The caller's buffer of at least @size bytes, 64-byte aligned. */
static char *
scratch_get (size_t size)
{
  Scratch *s = g_private_get (&scratch_key);

  if (s == NULL)
    {
      s = g_new0 (Scratch, 1);
      g_private_set (&scratch_key, s);
    }
  if (s->size < size + 64)
    {
      g_free (s->p);
      s->size = size + 64 + size / 4;   /* room to grow into without another allocation */
      s->p = g_malloc (s->size);
    }
  return (char *) (((uintptr_t) s->p + 63) & ~(uintptr_t) 63);
}

static void
pack_task (void *user, int ith, int nth)
{
  const I8Job *j = user;
  size_t first, last;

  sm_threads_range (j->ngroups, ith, nth, 1, &first, &last);
  if (first < last)
    j->k->i8_pack_x (j->w, j->n, j->K, j->Xq, j->ldx, first, last, j->xp);
}

static void
gemm_task (void *user, int ith, int nth)
{
  const I8Job *j = user;
  size_t first, last;

  sm_threads_range (j->M, ith, nth, SM_I8_SLAB, &first, &last);
  if (first < last)
    j->k->i8_gemm_rows (j->w, j->n, j->K, j->W, j->ldw, j->xp, j->Y, j->ldy, first, last,
                        j->slabs + (size_t) ith * j->slab_bytes);
}

gboolean
sm_gemm_i8 (SmI8Weight w, size_t n, size_t M, size_t K, const void *W, size_t ldw,
            const void *Xq, size_t ldx, float *Y, size_t ldy)
{
  const SmKernels *k = sm_kernels ();
  I8Job j;
  size_t x_bytes;
  int nth;

  g_return_val_if_fail ((int) w >= 0 && w < SM_I8_N_WEIGHTS, FALSE);
  if (k->i8_gemm_rows == NULL)
    return FALSE;
  g_return_val_if_fail (K % sm_i8_info (w)->block == 0, FALSE);
  if (n == 0 || M == 0)
    return TRUE;

  nth = sm_threads_for_work (2.0 * (double) n * (double) M * (double) K);
  j = (I8Job) { .k = k, .w = w, .n = n, .M = M, .K = K, .ldw = ldw, .ldx = ldx, .ldy = ldy,
                .W = W, .Xq = Xq, .Y = Y };
  j.ngroups = (n + k->i8_lanes - 1) / k->i8_lanes;
  j.slab_bytes = sm_i8_slab_bytes (w, K);
  x_bytes = j.ngroups * sm_i8_group_bytes (k->i8_lanes, w, K);
  j.xp = scratch_get (x_bytes + (size_t) nth * j.slab_bytes);
  j.slabs = j.xp + x_bytes;

  if (nth > 1)
    {
      sm_threads_run (nth, pack_task, &j);
      sm_threads_run (nth, gemm_task, &j);
    }
  else
    {
      pack_task (&j, 0, 1);
      gemm_task (&j, 0, 1);
    }
  return TRUE;
}
