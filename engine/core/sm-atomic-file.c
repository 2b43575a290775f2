/* sm-atomic-file.c: temporary file + fsync + rename.
 *
 * The temporary file is unnamed where the file system allows (Linux's O_TMPFILE: tmpfs, ext4,
 * xfs, btrfs): it exists only through its descriptor, so a process killed at any moment, by
 * SIGKILL too, leaves nothing behind; it gets a name only once it is written and synced.
 * Elsewhere it is a hidden named file beside the target, which a fatal signal's handler
 * removes (sm_atomic_file_clean_up_on_signals) but SIGKILL or a power cut may leave. */
#include "sm-atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <unistd.h>

/* Temporary files being written, for a fatal signal's handler to remove: fixed storage, so
 * the handler reads no memory that may be freed under it.  A slot is claimed, filled, then
 * marked ready; the handler only reads ready slots. */
#define N_TEMP_SLOTS 16
static _Atomic int temp_state[N_TEMP_SLOTS];    /* 0 free, 1 claimed, 2 ready */
static char        temp_paths[N_TEMP_SLOTS][4096];

/* Creates the temporary file from @tmpl (mkstemp's "...XXXXXX", filled in place) in a slot
 * marked ready before the file exists: mkstemp writes each candidate name into the buffer
 * before it creates that file, so a signal at any moment finds the name of whatever file
 * there is (or of none).  *@slot is -1 when every slot is taken (that file is then not
 * cleaned up on a signal). */
static int
temp_create (char *tmpl, int *slot)
{
  int fd;

  *slot = -1;
  if (strlen (tmpl) < sizeof temp_paths[0])
    for (int i = 0; i < N_TEMP_SLOTS && *slot < 0; i++)
      {
        int expected = 0;
        if (atomic_compare_exchange_strong (&temp_state[i], &expected, 1))
          {
            strcpy (temp_paths[i], tmpl);
            atomic_store (&temp_state[i], 2);
            *slot = i;
          }
      }
  if (*slot < 0)
    return g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0644);
  fd = g_mkstemp_full (temp_paths[*slot], O_WRONLY | O_CLOEXEC, 0644);
  strcpy (tmpl, temp_paths[*slot]);
  return fd;
}

static void
temp_unregister (int slot)
{
  if (slot >= 0)
    atomic_store (&temp_state[slot], 0);
}

static void
on_fatal_signal (int sig)
{
  /* unlink is async-signal-safe; then die of the signal as if no handler were here */
  for (int i = 0; i < N_TEMP_SLOTS; i++)
    if (atomic_load (&temp_state[i]) == 2)
      unlink (temp_paths[i]);
  signal (sig, SIG_DFL);
  raise (sig);
}

void
sm_atomic_file_clean_up_on_signals (void)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

  for (gsize i = 0; i < G_N_ELEMENTS (sigs); i++)
    {
      struct sigaction old, sa = { 0 };
      /* a program that handles the signal itself keeps its handler */
      if (sigaction (sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
        continue;
      sa.sa_handler = on_fatal_signal;
      sigemptyset (&sa.sa_mask);
      sigaction (sigs[i], &sa, NULL);
    }
}

struct _SmAtomicFile {
  char    *path;       /* as the caller named it: the one errors name */
  char    *target;     /* the file it leads to, past any symbolic links */
  char    *tmp_path;   /* NULL when writing straight into the target */
  int      slot;       /* its temp_paths entry, -1 without one */
  int      fd;
  gboolean unnamed;    /* fd is an O_TMPFILE file in the target's folder: tmp_path is NULL
                        * until commit links it */
  GQuark   domain;
  int      code;
};

/* Where @path's symbolic links lead (a dangling one too): the file to replace, so a link
 * keeps pointing where it did and its file gets the new data. */
static char *
resolve_links (const char *path)
{
  char *p = g_strdup (path);

  for (int hops = 0; hops < 32; hops++)
    {
      struct stat st;
      g_autofree char *link = NULL;
      char *next;

      if (lstat (p, &st) != 0 || !S_ISLNK (st.st_mode) || (link = g_file_read_link (p, NULL)) == NULL)
        break;
      if (g_path_is_absolute (link))
        next = g_steal_pointer (&link);
      else
        {
          g_autofree char *dir = g_path_get_dirname (p);
          next = g_build_filename (dir, link, NULL);
        }
      g_free (p);
      p = next;
    }
  return p;
}

static gboolean
fail (SmAtomicFile *f, int err, const char *what, GError **error)
{
  int code = f->domain == G_FILE_ERROR ? (int) g_file_error_from_errno (err) : f->code;

  g_set_error (error, f->domain, code, "Cannot write %s: %s%s%s", f->path,
               what ? what : "", what ? ": " : "", g_strerror (err));
  return FALSE;
}

SmAtomicFile *
sm_atomic_file_new (const char *path, GQuark domain, int code, GError **error)
{
  SmAtomicFile *f;
  g_autofree char *dir = NULL, *base = NULL, *tmp_name = NULL, *target = NULL;
  struct stat st;
  gboolean exists;

  g_return_val_if_fail (path != NULL, NULL);

  f = g_new0 (SmAtomicFile, 1);
  f->path = g_strdup (path);
  f->domain = domain;
  f->code = code;
  f->fd = -1;
  f->slot = -1;
  target = resolve_links (path);
  exists = stat (target, &st) == 0;
  if (exists && S_ISDIR (st.st_mode))
    {
      fail (f, EISDIR, "a folder of that name is in the way", error);
      sm_atomic_file_abort (f);
      return NULL;
    }
  if (exists && !S_ISREG (st.st_mode))
    {
      /* A device, a FIFO (-o /dev/null, /dev/stdout): nothing to replace, written straight
       * into.  Renaming over it would swap the device for a file. */
      f->fd = open (target, O_WRONLY | O_CLOEXEC);
      if (f->fd < 0)
        {
          fail (f, errno, NULL, error);
          sm_atomic_file_abort (f);
          return NULL;
        }
      f->target = g_steal_pointer (&target);
      return f;
    }
  /* Hidden, beside the target: the rename then never crosses file systems. */
  dir = g_path_get_dirname (target);
  base = g_path_get_basename (target);
  /* Unnamed first.  Committing links it through /proc/self/fd (linkat with AT_EMPTY_PATH
   * needs a privilege), so without /proc it is not tried.  Any failure (a file system without
   * O_TMPFILE says EOPNOTSUPP, an old kernel EISDIR) falls back to a named file, which then
   * reports whatever is wrong with the folder. */
#ifdef O_TMPFILE
  if (access ("/proc/self/fd", X_OK) == 0)
    {
      f->fd = open (dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
      if (f->fd >= 0)
        {
          f->unnamed = TRUE;
          f->target = g_steal_pointer (&target);
          return f;
        }
    }
#endif
  tmp_name = g_strdup_printf (".%s.XXXXXX", base);
  f->tmp_path = g_build_filename (dir, tmp_name, NULL);
  f->fd = temp_create (f->tmp_path, &f->slot);
  if (f->fd < 0)
    {
      int err = errno;
      g_autofree char *what = g_strdup_printf ("cannot create a file in %s", dir);
      fail (f, err, what, error);
      g_clear_pointer (&f->tmp_path, g_free);
      sm_atomic_file_abort (f);
      return NULL;
    }
  f->target = g_steal_pointer (&target);
  return f;
}

gboolean
sm_atomic_file_write (SmAtomicFile *f, gconstpointer buf, gsize len, GError **error)
{
  const guint8 *p = buf;

  while (len > 0)
    {
      gssize n = write (f->fd, p, MIN (len, (gsize) 1 << 30));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fail (f, n < 0 ? errno : ENOSPC, NULL, error);
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gboolean
sm_atomic_file_write_zeros (SmAtomicFile *f, gsize len, GError **error)
{
  static const guint8 zeros[256];

  while (len > 0)
    {
      gsize n = MIN (len, sizeof zeros);
      if (!sm_atomic_file_write (f, zeros, n, error))
        return FALSE;
      len -= n;
    }
  return TRUE;
}

gboolean
sm_atomic_file_pwrite (SmAtomicFile *f, gconstpointer buf, gsize len, goffset at, GError **error)
{
  const guint8 *p = buf;

  while (len > 0)
    {
      gssize n = pwrite (f->fd, p, MIN (len, (gsize) 1 << 30), (off_t) at);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return fail (f, n < 0 ? errno : ENOSPC, NULL, error);
      p += n;
      at += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Gives the unnamed file @fd a name: the target's own when there is no file of that name (a
 * link never replaces one, so that is atomic), else a hidden temporary name beside it, which
 * commit then renames over the target.  Only that last step, between two system calls, can
 * leave a named temporary file behind on SIGKILL. */
static gboolean
link_unnamed (SmAtomicFile *f, int fd, GError **error)
{
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", fd);
  g_autofree char *dir = NULL, *base = NULL;

  if (linkat (AT_FDCWD, proc, AT_FDCWD, f->target, AT_SYMLINK_FOLLOW) == 0)
    return TRUE;
  if (errno != EEXIST)
    return fail (f, errno, NULL, error);
  dir = g_path_get_dirname (f->target);
  base = g_path_get_basename (f->target);
  for (int attempt = 0; attempt < 100; attempt++)
    {
      g_autofree char *name = g_strdup_printf (".%s.XXXXXX", base);
      char *x = name + strlen (name) - 6;

      for (int i = 0; i < 6; i++)
        x[i] = chars[g_random_int_range (0, sizeof chars - 1)];
      g_free (f->tmp_path);
      f->tmp_path = g_build_filename (dir, name, NULL);
      /* in a slot before it has a name, as temp_create does: a signal finds it either way */
      if (f->slot < 0 && strlen (f->tmp_path) < sizeof temp_paths[0])
        for (int i = 0; i < N_TEMP_SLOTS && f->slot < 0; i++)
          {
            int expected = 0;
            if (atomic_compare_exchange_strong (&temp_state[i], &expected, 1))
              f->slot = i;
          }
      if (f->slot >= 0)
        {
          atomic_store (&temp_state[f->slot], 1);
          strcpy (temp_paths[f->slot], f->tmp_path);
          atomic_store (&temp_state[f->slot], 2);
        }
      if (linkat (AT_FDCWD, proc, AT_FDCWD, f->tmp_path, AT_SYMLINK_FOLLOW) == 0)
        return TRUE;
      if (errno != EEXIST)
        {
          int err = errno;
          g_clear_pointer (&f->tmp_path, g_free);   /* nothing of ours has that name */
          return fail (f, err, NULL, error);
        }
    }
  g_clear_pointer (&f->tmp_path, g_free);
  return fail (f, EEXIST, "no free temporary name", error);
}

gboolean
sm_atomic_file_commit (SmAtomicFile *f, GError **error)
{
  int fd = f->fd;

  f->fd = -1;
  if (f->tmp_path == NULL && !f->unnamed)
    {
      /* written straight into a device or FIFO: nothing to sync or rename */
      if (close (fd) != 0)
        {
          fail (f, errno, "closing failed", error);
          sm_atomic_file_abort (f);
          return FALSE;
        }
      sm_atomic_file_abort (f);
      return TRUE;
    }
  /* Sync before the rename, or a crash could leave the new name on empty data.  EINVAL: a
   * file system that cannot sync (some special ones) is no reason to fail. */
  if (fsync (fd) != 0 && errno != EINVAL)
    {
      int err = errno;
      close (fd);
      fail (f, err, "syncing failed", error);
      sm_atomic_file_abort (f);
      return FALSE;
    }
  if (f->unnamed && !link_unnamed (f, fd, error))
    {
      close (fd);
      sm_atomic_file_abort (f);
      return FALSE;
    }
  if (close (fd) != 0)
    {
      fail (f, errno, "closing failed", error);
      sm_atomic_file_abort (f);
      return FALSE;
    }
  if (f->tmp_path == NULL)
    {
      /* linked straight to the target's name: done */
      sm_atomic_file_abort (f);
      return TRUE;
    }
  if (g_rename (f->tmp_path, f->target) != 0)
    {
      fail (f, errno, NULL, error);
      sm_atomic_file_abort (f);
      return FALSE;
    }
  temp_unregister (f->slot);
  f->slot = -1;
  g_clear_pointer (&f->tmp_path, g_free);
  sm_atomic_file_abort (f);
  return TRUE;
}

void
sm_atomic_file_abort (SmAtomicFile *f)
{
  if (f == NULL)
    return;
  if (f->fd >= 0)
    close (f->fd);
  /* removed before it leaves its slot: a signal in between finds it either way */
  if (f->tmp_path != NULL)
    g_unlink (f->tmp_path);
  temp_unregister (f->slot);
  g_free (f->tmp_path);
  g_free (f->target);
  g_free (f->path);
  g_free (f);
}

/* ---- whole files ---------------------------------------------------------------------------- */

gboolean
sm_atomic_file_set_contents (const char *path, const char *data, gssize length, GError **error)
{
  SmAtomicFile *f;

  g_return_val_if_fail (path != NULL && data != NULL, FALSE);

  f = sm_atomic_file_new (path, G_FILE_ERROR, 0, error);
  if (f == NULL)
    return FALSE;
  if (!sm_atomic_file_write (f, data, length < 0 ? strlen (data) : (gsize) length, error))
    {
      sm_atomic_file_abort (f);
      return FALSE;
    }
  return sm_atomic_file_commit (f, error);
}

gboolean
sm_atomic_file_check_writable (guint n, const char *const *paths, GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *target = resolve_links (paths[i]);
      struct stat st;
      SmAtomicFile *probe;

      if (stat (target, &st) == 0 && !S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode))
        {
          /* a device or FIFO: opening a FIFO would wait for its reader, so ask instead */
          if (access (target, W_OK) != 0)
            {
              int err = errno;
              g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err), "Cannot write %s: %s",
                           paths[i], g_strerror (err));
              return FALSE;
            }
          continue;
        }
      /* a folder in the way fails here too, not at the rename */
      probe = sm_atomic_file_new (paths[i], G_FILE_ERROR, 0, error);
      if (probe == NULL)
        return FALSE;
      sm_atomic_file_abort (probe);
    }
  return TRUE;
}

gboolean
sm_atomic_files_set_contents (guint n, const char *const *paths, const char *const *texts,
                            GError **error)
{
  g_autofree SmAtomicFile **files = g_new0 (SmAtomicFile *, MAX (n, 1));
  gboolean ok = TRUE;

  for (guint i = 0; i < n && ok; i++)
    {
      files[i] = sm_atomic_file_new (paths[i], G_FILE_ERROR, 0, error);
      ok = files[i] != NULL && sm_atomic_file_write (files[i], texts[i], strlen (texts[i]), error);
    }
  /* every file written in full (a folder in the way found at its creation) before the first
   * one replaces its target */
  for (guint i = 0; i < n; i++)
    {
      if (!ok)
        sm_atomic_file_abort (files[i]);
      else if (!sm_atomic_file_commit (files[i], error))
        {
          /* a rename failed (rare once the writes went through): the rest stay unwritten */
          ok = FALSE;
        }
      files[i] = NULL;
    }
  return ok;
}
