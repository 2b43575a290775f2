/* test-quantize.c: the quantizers `quantize` writes with, measured by their round trip.
 *
 * Every type is quantized and dequantized through the weight table, and its RMSE relative to
 * the data's standard deviation is bounded, on normal rows and on a real model's weights.
 * Against llama.cpp: the files in ../shared/models/kquant were all quantized by llama-quantize
 * from one F32 model that is not shipped, so its Q6_K file stands in for that F32 (its error
 * is a few per cent of the others'); each type's tensors from llama.cpp's file of that type
 * and ours, made from the stand-in, are compared by their error to the stand-in.
 */
#include "sm-dtype.h"
#include "sm-gguf.h"
#include "sm-test-util.h"

#include <math.h>
#include <string.h>

/* The types and the bound each must meet on normal rows, as RMSE / std.  Measured (2^17
 * values, seed 1): q8_0 0.0054, q6_k 0.0178, q5_k 0.0362, q5_1 0.0379, q5_0 0.0427, iq4_nl
 * 0.0760, q4_k 0.0714, q4_1 0.0781, q4_0 0.0861, q3_k 0.1517, q2_k 0.2973.  Each bound is the
 * measurement plus 10%: a method error (a wrong rounding, a scale off by a step, a lost bit)
 * costs much more than that (one bit less roughly doubles the error), while a different seed
 * moves these by well under 1%. */
typedef struct {
  const char *name;
  double      bound;
} TypeBound;

static const TypeBound bounds[] = {
  { "q8_0", 0.0060 }, { "q6_k", 0.0196 }, { "q5_k", 0.040 }, { "q5_1", 0.042 },
  { "q5_0", 0.047 }, { "iq4_nl", 0.084 }, { "q4_k", 0.079 }, { "q4_1", 0.086 },
  { "q4_0", 0.095 }, { "q3_k", 0.167 }, { "q2_k", 0.327 },
};

static void
fill_normal (GRand *rand, float *x, gsize n, double std)
{
  for (gsize i = 0; i < n; i += 2)
    {
      /* Box-Muller: two normals from two uniforms */
      double u1 = g_rand_double_range (rand, 1e-12, 1.0), u2 = g_rand_double (rand);
      double r = sqrt (-2.0 * log (u1)) * std;
      x[i] = (float) (r * cos (2 * G_PI * u2));
      if (i + 1 < n)
        x[i + 1] = (float) (r * sin (2 * G_PI * u2));
    }
}

static double
rms (const float *x, gsize n)
{
  double s = 0;
  for (gsize i = 0; i < n; i++)
    s += (double) x[i] * x[i];
  return sqrt (s / (double) n);
}

static double
rms_diff (const float *a, const float *b, gsize n)
{
  double s = 0;
  for (gsize i = 0; i < n; i++)
    s += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
  return sqrt (s / (double) n);
}

/* x quantized to @dtype and back into y, @row elements a row. */
static void
round_trip (SmDType dtype, const float *x, float *y, gsize n, gsize row, guint8 *bytes_out)
{
  const SmDTypeTraits *t = sm_dtype_traits (dtype);
  const gsize rb = sm_dtype_row_bytes (dtype, (gint64) row);
  g_autofree guint8 *q = g_malloc (rb);

  for (gsize r = 0; r < n / row; r++)
    {
      t->from_f32 (x + r * row, q, row);
      t->to_f32 (q, y + r * row, row);
      if (bytes_out)
        memcpy (bytes_out + r * rb, q, rb);
    }
}

static SmDType
dtype_of (const char *name)
{
  SmDType d;
  g_assert_true (sm_dtype_from_name (name, &d));
  return d;
}

static void
test_normal_rows (void)
{
  const gsize row = 512, n = 256 * row;
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  g_autofree float *x = g_new (float, n), *y = g_new (float, n);

  fill_normal (rand, x, n, 0.05);
  const double std = rms (x, n);
  for (guint i = 0; i < G_N_ELEMENTS (bounds); i++)
    {
      round_trip (dtype_of (bounds[i].name), x, y, n, row, NULL);
      const double rel = rms_diff (x, y, n) / std;
      g_test_message ("normal rows: %-6s RMSE/std %.4f (bound %.4f)", bounds[i].name, rel,
                      bounds[i].bound);
      g_assert_cmpfloat (rel, <, bounds[i].bound);
      g_assert_cmpfloat (rel, >, 0.0);
    }
}

/* The same bounds on a trained model's weights (stories260K: heavier tails than normal
 * rows), its matrices laid end to end: every format quantizes block by block, so where one
 * row ends does not matter as long as the blocks are whole. */
static void
test_model_weights (void)
{
  g_autofree char *path = sm_test_shared_model ("stories260K.gguf");
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (float));

  if (path == NULL)
    return;
  g_autoptr (SmGguf) g = sm_gguf_open (path, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < sm_gguf_n_tensors (g); i++)
    {
      const SmGgufTensorInfo *ti = sm_gguf_tensor_info (g, i);
      if (ti->n_dims == 2 && ti->dtype == SM_DTYPE_F32 && strcmp (ti->name, "output.weight") != 0)
        g_array_append_vals (all, ti->data, (guint) (ti->n_bytes / sizeof (float)));
    }
  const gsize n = all->len / 256 * 256;
  const float *x = (const float *) all->data;
  g_autofree float *y = g_new (float, n);
  const double std = rms (x, n);

  g_assert_cmpuint (n, >, 100000);
  for (guint i = 0; i < G_N_ELEMENTS (bounds); i++)
    {
      round_trip (dtype_of (bounds[i].name), x, y, n, 256, NULL);
      const double rel = rms_diff (x, y, n) / std;
      g_test_message ("stories260K: %-6s RMSE/std %.4f", bounds[i].name, rel);
      /* trained weights (heavier tails) measured within 6% of normal rows: 10% more room */
      g_assert_cmpfloat (rel, <, 1.1 * bounds[i].bound);
    }
}

/* ---- against llama-quantize -------------------------------------------------------------- */

/* llama.cpp's file holding tensors of each type; each tensor of that type there is compared
 * with the same tensor of its Q6_K file, the stand-in for the F32 source. */
typedef struct {
  const char *file;
  const char *type;
} TheirFile;

static const TheirFile theirs_files[] = {
  { "visible-q2_k.gguf", "q2_k" },   { "visible-q3_k_m.gguf", "q3_k" },
  { "visible-q4_k_s.gguf", "q4_k" }, { "visible-q5_k_m.gguf", "q5_k" },
  { "visible-q4_0.gguf", "q4_0" },
};

static void
dequantize (const SmGgufTensorInfo *ti, float *out)
{
  const gint64 cols = ti->shape[ti->n_dims - 1];
  const gsize rb = sm_dtype_row_bytes (ti->dtype, cols);

  for (gsize r = 0; r < ti->n_bytes / rb; r++)
    sm_dtype_traits (ti->dtype)->to_f32 ((const guint8 *) ti->data + r * rb, out + r * cols,
                                         (gsize) cols);
}

/* Our quantization of the stand-in is measured against its own input, llama.cpp's against a
 * stand-in that is off its input by the stand-in's error, so the raw ratio favours us.  The
 * same two measurements on a simulated source of the same law (uniform, std 0.05: the model's
 * weights, whose stand-in has kurtosis 1.87 and extremes ±0.087 = ±√3·0.05) with one
 * quantizer on both sides give the ratio an identical method shows; ours over that is the
 * comparison. */
static double
simulated_ratio (SmDType dtype, gsize n, gsize cols)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autofree float *src = g_new (float, n), *standin = g_new (float, n);
  g_autofree float *from_standin = g_new (float, n), *from_src = g_new (float, n);
  const float half = (float) (sqrt (3.0) * 0.05);

  sm_test_fill_uniform (rand, src, n, -half, half);
  round_trip (SM_DTYPE_Q6_K, src, standin, n, cols, NULL);
  round_trip (dtype, standin, from_standin, n, cols, NULL);
  round_trip (dtype, src, from_src, n, cols, NULL);
  return rms_diff (from_standin, standin, n) / rms_diff (from_src, standin, n);
}

static void
test_llama_cpp (void)
{
  g_autofree char *ref_path = sm_test_shared_model ("kquant/visible-q6_k.gguf");
  g_autoptr (GError) error = NULL;

  if (ref_path == NULL)
    return;
  g_autoptr (SmGguf) ref = sm_gguf_open (ref_path, &error);
  g_assert_no_error (error);

  for (guint f = 0; f < G_N_ELEMENTS (theirs_files); f++)
    {
      g_autofree char *rel_path = g_build_filename ("kquant", theirs_files[f].file, NULL);
      g_autofree char *path = sm_test_shared_model (rel_path);
      const SmDType want = dtype_of (theirs_files[f].type);
      const gsize bb = sm_dtype_block_bytes (want);
      double se_ours = 0, se_theirs = 0, ss = 0, sim_num = 0, sim_den = 0;
      gsize n_total = 0, same_blocks = 0, n_blocks = 0, n_tensors = 0;

      if (path == NULL)
        return;
      g_autoptr (SmGguf) g = sm_gguf_open (path, &error);
      g_assert_no_error (error);
      for (gsize i = 0; i < sm_gguf_n_tensors (g); i++)
        {
          const SmGgufTensorInfo *ti = sm_gguf_tensor_info (g, i);
          const SmGgufTensorInfo *ri = sm_gguf_find_tensor (ref, ti->name);
          if (ti->dtype != want || ri == NULL || ri->dtype != SM_DTYPE_Q6_K)
            continue;

          const gsize cols = (gsize) ti->shape[ti->n_dims - 1];
          const gsize n = ti->n_bytes / sm_dtype_row_bytes (want, (gint64) cols) * cols;
          g_autofree float *standin = g_new (float, n), *theirs = g_new (float, n);
          g_autofree float *ours = g_new (float, n), *again = g_new (float, n);
          g_autofree guint8 *again_bytes = g_malloc (ti->n_bytes);

          dequantize (ri, standin);
          dequantize (ti, theirs);
          round_trip (want, standin, ours, n, cols, NULL);
          se_ours += pow (rms_diff (ours, standin, n), 2) * (double) n;
          se_theirs += pow (rms_diff (theirs, standin, n), 2) * (double) n;
          ss += pow (rms (standin, n), 2) * (double) n;
          const double sim = simulated_ratio (want, n, cols);
          sim_num += sim * (double) n;
          sim_den += (double) n;
          /* a quantizer of the same method, given llama.cpp's own grid values, mostly lands
           * on llama.cpp's bytes again */
          round_trip (want, theirs, again, n, cols, again_bytes);
          for (gsize b = 0; b < ti->n_bytes / bb; b++, n_blocks++)
            same_blocks += memcmp (again_bytes + b * bb, (const guint8 *) ti->data + b * bb, bb) == 0;
          n_total += n;
          n_tensors++;
        }
      g_assert_cmpuint (n_tensors, >, 0);

      const double std = sqrt (ss / (double) n_total);
      const double ours = sqrt (se_ours / (double) n_total) / std;
      const double theirs = sqrt (se_theirs / (double) n_total) / std;
      const double sim = sim_num / sim_den;
      const double ratio = ours / theirs / sim;
      g_test_message ("%s: %" G_GSIZE_FORMAT " tensors, RMSE/std to the Q6_K stand-in: ours %.4f, "
                      "llama.cpp %.4f, raw ratio %.3f, an identical method's (simulated) %.3f, "
                      "ours/llama.cpp %.3f; requantizing llama.cpp's values gives its bytes "
                      "back in %.1f%% of blocks", theirs_files[f].type, n_tensors, ours, theirs,
                      ours / theirs, sim, ratio, 100.0 * (double) same_blocks / (double) n_blocks);
      g_assert_cmpfloat (ratio, <, 1.1);
      g_assert_cmpfloat (ratio, >, 0.9);   /* far better would be another method too */
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Quantize/normal-rows", test_normal_rows);
  g_test_add_func ("/Quantize/model-weights", test_model_weights);
  g_test_add_func ("/Quantize/llama-cpp", test_llama_cpp);
  return g_test_run ();
}
