/* sm-dispatch.c: CPU detection and the table in force.
 *
 * The table pointer is the only global the hot path reads; switching it is one atomic store,
 * so a level change lands at the caller's next op (the engine applies it between tokens).
 */
#include "sm-kernels-private.h"

#include <stdatomic.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

G_DEFINE_QUARK (sm-kernels-error-quark, sm_kernels_error)

static _Atomic (const SmKernels *) current;

typedef struct {
  gboolean avx2, fma, f16c, avx512f, avx512bw, avx512dq, avx512vl, avx512vnni, avx512bf16, avxvnni;
  char     features[256];
  char     model[64];
} CpuInfo;

static const CpuInfo *
cpu_info (void)
{
  static CpuInfo info;
  static gsize done;

  if (g_once_init_enter (&done))
    {
#if defined(__x86_64__)
      /* __builtin_cpu_supports also checks that the OS saves the wide registers (XGETBV). */
      __builtin_cpu_init ();
      info.avx2 = __builtin_cpu_supports ("avx2");
      info.fma = __builtin_cpu_supports ("fma");
      {
        /* clang 14 has no "f16c" feature string: CPUID leaf 1, ECX bit 29. */
        unsigned int a, b, c, d;
        info.f16c = __get_cpuid (1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
      }
      info.avx512f = __builtin_cpu_supports ("avx512f");
      info.avx512bw = __builtin_cpu_supports ("avx512bw");
      info.avx512dq = __builtin_cpu_supports ("avx512dq");
      info.avx512vl = __builtin_cpu_supports ("avx512vl");
      info.avx512vnni = __builtin_cpu_supports ("avx512vnni");
      info.avx512bf16 = __builtin_cpu_supports ("avx512bf16");
      {
        /* AVX-VNNI (the VEX form): CPUID leaf 7 sub-leaf 1, EAX bit 4; no feature string in
         * clang 14.  Its registers are AVX's, whose saving the avx2 check covers. */
        unsigned int a, b, c, d;
        info.avxvnni = info.avx2 && __get_cpuid_count (7, 1, &a, &b, &c, &d) && (a & (1u << 4)) != 0;
      }

      unsigned int regs[12] = { 0 };
      unsigned int max_ext = __get_cpuid_max (0x80000000, NULL);
      if (max_ext >= 0x80000004)
        {
          __get_cpuid (0x80000002, &regs[0], &regs[1], &regs[2], &regs[3]);
          __get_cpuid (0x80000003, &regs[4], &regs[5], &regs[6], &regs[7]);
          __get_cpuid (0x80000004, &regs[8], &regs[9], &regs[10], &regs[11]);
          memcpy (info.model, regs, 48);
          info.model[48] = '\0';
          g_strstrip (info.model);
        }
#endif
      if (info.model[0] == '\0')
        g_strlcpy (info.model, "unknown CPU", sizeof info.model);

      GString *s = g_string_new ("sse2");
      const struct { gboolean have; const char *name; } flags[] = {
        { info.avx2, "avx2" }, { info.fma, "fma" }, { info.f16c, "f16c" },
        { info.avx512f, "avx512f" }, { info.avx512bw, "avx512bw" }, { info.avx512dq, "avx512dq" },
        { info.avx512vl, "avx512vl" }, { info.avx512vnni, "avx512vnni" },
        { info.avx512bf16, "avx512bf16" }, { info.avxvnni, "avxvnni" },
      };
#if !defined(__x86_64__)
      g_string_assign (s, "");
#endif
      for (gsize i = 0; i < G_N_ELEMENTS (flags); i++)
        if (flags[i].have)
          g_string_append_printf (s, " %s", flags[i].name);
      g_strlcpy (info.features, s->str, sizeof info.features);
      g_string_free (s, TRUE);
      g_once_init_leave (&done, 1);
    }
  return &info;
}

const char *
sm_cpu_features (void)
{
  return cpu_info ()->features;
}

const char *
sm_cpu_model_name (void)
{
  return cpu_info ()->model;
}

gboolean
sm_kernels_level_supported (SmKernelLevel level, const char **why_not)
{
  const CpuInfo *cpu = cpu_info ();
  const char *reason = NULL;

  switch (level)
    {
    case SM_KERNEL_LEVEL_AUTO:
    case SM_KERNEL_LEVEL_SCALAR:
      break;
    case SM_KERNEL_LEVEL_AVX2:
#if defined(SM_HAVE_X86_KERNELS)
      if (!(cpu->avx2 && cpu->fma && cpu->f16c))
        reason = "this CPU lacks AVX2, FMA or F16C";
#else
      reason = "this build has no x86-64 SIMD kernels";
#endif
      break;
    case SM_KERNEL_LEVEL_AVX2_VNNI:
#if defined(SM_HAVE_X86_KERNELS)
      if (!(cpu->avx2 && cpu->fma && cpu->f16c))
        reason = "this CPU lacks AVX2, FMA or F16C";
      else if (!cpu->avxvnni)
        reason = "this CPU lacks AVX-VNNI";
#else
      reason = "this build has no x86-64 SIMD kernels";
#endif
      break;
    case SM_KERNEL_LEVEL_AVX512:
    case SM_KERNEL_LEVEL_AVX512_VNNI:
#if defined(SM_HAVE_X86_KERNELS)
      if (!(cpu->avx512f && cpu->avx512bw && cpu->avx512dq && cpu->avx512vl && cpu->fma && cpu->f16c))
        reason = "this CPU lacks AVX-512 (F, BW, DQ and VL are needed)";
      else if (level == SM_KERNEL_LEVEL_AVX512_VNNI && !cpu->avx512vnni)
        reason = "this CPU lacks AVX512-VNNI";
#else
      reason = "this build has no x86-64 SIMD kernels";
#endif
      break;
    case SM_KERNEL_LEVEL_NEON:
      reason = "NEON kernels are not implemented yet";
      break;
    case SM_KERNEL_N_LEVELS:
    default:
      reason = "unknown kernel level";
      break;
    }

  if (why_not)
    *why_not = reason;
  return reason == NULL;
}

SmKernelLevel
sm_kernels_best_level (void)
{
  if (sm_kernels_level_supported (SM_KERNEL_LEVEL_AVX512_VNNI, NULL))
    return SM_KERNEL_LEVEL_AVX512_VNNI;
  if (sm_kernels_level_supported (SM_KERNEL_LEVEL_AVX512, NULL))
    return SM_KERNEL_LEVEL_AVX512;
  if (sm_kernels_level_supported (SM_KERNEL_LEVEL_AVX2_VNNI, NULL))
    return SM_KERNEL_LEVEL_AVX2_VNNI;
  if (sm_kernels_level_supported (SM_KERNEL_LEVEL_AVX2, NULL))
    return SM_KERNEL_LEVEL_AVX2;
  return SM_KERNEL_LEVEL_SCALAR;
}

/* The tables, built once: each level is a copy of the one below with its own kernels laid
 * over it (sm-kernels-private.h), so a kernel a level lacks runs the lower level's.  Filling a
 * table calls nothing of its ISA, so all are built whatever the CPU. */
static const SmKernels *
kernel_tables (void)
{
  static SmKernels tables[SM_KERNEL_N_LEVELS];
  static gsize done;

  if (g_once_init_enter (&done))
    {
      sm_kernels_fill_scalar (&tables[SM_KERNEL_LEVEL_SCALAR]);
#if defined(SM_HAVE_X86_KERNELS)
      tables[SM_KERNEL_LEVEL_AVX2] = tables[SM_KERNEL_LEVEL_SCALAR];
      sm_kernels_fill_avx2 (&tables[SM_KERNEL_LEVEL_AVX2]);
      tables[SM_KERNEL_LEVEL_AVX512] = tables[SM_KERNEL_LEVEL_AVX2];
      sm_kernels_fill_avx512 (&tables[SM_KERNEL_LEVEL_AVX512]);
      tables[SM_KERNEL_LEVEL_AVX2_VNNI] = tables[SM_KERNEL_LEVEL_AVX2];
      sm_kernels_fill_avx2_vnni (&tables[SM_KERNEL_LEVEL_AVX2_VNNI]);
      tables[SM_KERNEL_LEVEL_AVX512_VNNI] = tables[SM_KERNEL_LEVEL_AVX512];
      sm_kernels_fill_avx512_vnni (&tables[SM_KERNEL_LEVEL_AVX512_VNNI]);
#endif
      g_once_init_leave (&done, 1);
    }
  return tables;
}

const SmKernels *
sm_kernels_for_level (SmKernelLevel level)
{
  if (level == SM_KERNEL_LEVEL_AUTO)
    level = sm_kernels_best_level ();
  if (!sm_kernels_level_supported (level, NULL))
    return NULL;

  switch (level)
    {
#if defined(SM_HAVE_X86_KERNELS)
    case SM_KERNEL_LEVEL_AVX512_VNNI:
    case SM_KERNEL_LEVEL_AVX512:
    case SM_KERNEL_LEVEL_AVX2_VNNI:
    case SM_KERNEL_LEVEL_AVX2:
#endif
    case SM_KERNEL_LEVEL_SCALAR:
      return &kernel_tables ()[level];
    default:
      return NULL;
    }
}

const SmKernels *
sm_kernels (void)
{
  const SmKernels *k = atomic_load_explicit (&current, memory_order_acquire);

  if (G_UNLIKELY (k == NULL))
    {
      /* First use: AUTO.  Two racing first calls store the same table. */
      k = sm_kernels_for_level (SM_KERNEL_LEVEL_AUTO);
      atomic_store (&current, k);
    }
  return k;
}

SmKernelLevel
sm_kernels_get_level (void)
{
  return sm_kernels ()->level;
}

gboolean
sm_kernels_set_level (SmKernelLevel level, GError **error)
{
  const char *why_not = NULL;
  const SmKernels *k;

  if ((int) level < 0 || level >= SM_KERNEL_N_LEVELS)
    {
      g_set_error (error, SM_KERNELS_ERROR, SM_KERNELS_ERROR_INVALID,
                   "Unknown kernel level %d", (int) level);
      return FALSE;
    }
  if (!sm_kernels_level_supported (level, &why_not))
    {
      g_set_error (error, SM_KERNELS_ERROR, SM_KERNELS_ERROR_UNSUPPORTED,
                   "Cannot use the %s kernels: %s (CPU: %s; supports: %s)",
                   sm_kernel_level_to_string (level), why_not,
                   sm_cpu_model_name (), sm_cpu_features ());
      return FALSE;
    }
  k = sm_kernels_for_level (level);
  atomic_store_explicit (&current, k, memory_order_release);
  return TRUE;
}

static const char *const level_names[SM_KERNEL_N_LEVELS] = {
  [SM_KERNEL_LEVEL_AUTO] = "auto",
  [SM_KERNEL_LEVEL_SCALAR] = "scalar",
  [SM_KERNEL_LEVEL_AVX2] = "avx2",
  [SM_KERNEL_LEVEL_AVX2_VNNI] = "avx2-vnni",
  [SM_KERNEL_LEVEL_AVX512] = "avx512",
  [SM_KERNEL_LEVEL_AVX512_VNNI] = "avx512-vnni",
  [SM_KERNEL_LEVEL_NEON] = "neon",
};

const char *
sm_kernel_level_to_string (SmKernelLevel level)
{
  if ((int) level < 0 || level >= SM_KERNEL_N_LEVELS)
    return "invalid";
  return level_names[level];
}

gboolean
sm_kernel_level_from_string (const char *str, SmKernelLevel *level)
{
  g_return_val_if_fail (str != NULL, FALSE);

  for (int i = 0; i < SM_KERNEL_N_LEVELS; i++)
    if (g_ascii_strcasecmp (str, level_names[i]) == 0)
      {
        *level = (SmKernelLevel) i;
        return TRUE;
      }
  if (g_ascii_strcasecmp (str, "avx-512") == 0)
    {
      *level = SM_KERNEL_LEVEL_AVX512;
      return TRUE;
    }
  return FALSE;
}
