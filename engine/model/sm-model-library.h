/* sm-model-library.h: the models already on this machine, found by their headers.
 *
 * The folders other tools download into (llama.cpp's cache, LM Studio's, Ollama's store
 * whose manifests name its blobs, Hugging Face's hub, ~/Downloads) and SmallMind's own, plus
 * folders the user adds, are searched for GGUF and llama2.c files.  Each is described from its
 * header alone (no weights are read): architecture, parameters, weight-type mix, size, context
 * and chat template, and what its weights and KV cache need at a given context.  A file we
 * cannot run is listed too, with the reason, as `info` does.
 */
#pragma once

#include <gio/gio.h>

#include "sm-session.h"

G_BEGIN_DECLS

typedef struct {
  char    *path;
  char    *name;          /* general.name, Ollama's "name:tag", or the file's name */
  char    *format;        /* "GGUF", "llama2.c" */
  char    *arch;          /* "llama", "qwen2" ...; NULL when not given */
  char    *types;         /* the weight-type mix: "Q4_K_M: 154 Q4_K, 23 Q6_K, 45 F32" */
  char    *chat;          /* the chat template's family ("ChatML"), NULL for none */
  char    *source;        /* where it was found: "llama.cpp", "Ollama", "Downloads" ... */
  char    *unsupported;   /* why SmallMind cannot run it, NULL when it can */
  guint64  file_bytes;
  guint64  params;        /* elements of all tensors */
  int      context;       /* the context it was trained for */
  /* for the KV cache's size */
  int      n_layers;
  int      n_kv_heads;
  int      head_dim;
} SmModelEntry;

void           sm_model_entry_free     (SmModelEntry *entry);
/* Reads @path's header; NULL with an error when it is neither format. */
SmModelEntry  *sm_model_entry_read     (const char *path, GError **error);
/* Bytes of the KV cache at @context positions of @type. */
guint64        sm_model_entry_kv_bytes (const SmModelEntry *entry, int context, SmKvType type);

/* The folders searched by default, each with its source's name: pairs of strings, path then
 * name, NULL-terminated (under @home, normally g_get_home_dir (); @data_dir the app's own). */
char         **sm_model_library_default_folders (const char *home, const char *data_dir);

/* Progress of a scan: folders done of all, on the scanning thread. */
typedef void (*SmModelScanProgress) (guint done, guint total, gpointer user_data);

/* Every model under @folders (pairs as above), oldest sources first, each path once (a
 * symlinked blob counts once), in a GPtrArray of SmModelEntry.  Folders that do not exist are
 * skipped; a file that is not a model is left out.  Depth is bounded, symlinked folders are not
 * followed (Hugging Face's snapshot files are symlinks to its blobs, and are followed).
 * Cancelled: NULL with G_IO_ERROR_CANCELLED. */
GPtrArray     *sm_model_library_scan   (const char *const *folders, GCancellable *cancel,
                                        SmModelScanProgress progress, gpointer user_data,
                                        GError **error);

/* MemAvailable of /proc/meminfo, in bytes; 0 when unknown. */
guint64        sm_model_library_mem_available (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmModelEntry, sm_model_entry_free)

G_END_DECLS
