/* sm-atomic-file.c: temporary file + fsync + rename. */
#include "sm-atomic-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

struct _SmAtomicFile {
  char  *path;
  char  *tmp_path;
  int    fd;
  GQuark domain;
  int    code;
};

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
  g_autofree char *dir = NULL, *base = NULL, *tmp_name = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  f = g_new0 (SmAtomicFile, 1);
  f->path = g_strdup (path);
  f->domain = domain;
  f->code = code;
  /* Hidden, beside the target: the rename then never crosses file systems. */
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  tmp_name = g_strdup_printf (".%s.XXXXXX", base);
  f->tmp_path = g_build_filename (dir, tmp_name, NULL);
  f->fd = g_mkstemp_full (f->tmp_path, O_WRONLY | O_CLOEXEC, 0644);
  if (f->fd < 0)
    {
      int err = errno;
      g_autofree char *what = g_strdup_printf ("cannot create a file in %s", dir);
      fail (f, err, what, error);
      g_clear_pointer (&f->tmp_path, g_free);
      sm_atomic_file_abort (f);
      return NULL;
    }
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

gboolean
sm_atomic_file_commit (SmAtomicFile *f, GError **error)
{
  int fd = f->fd;

  f->fd = -1;
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
  if (close (fd) != 0)
    {
      fail (f, errno, "closing failed", error);
      sm_atomic_file_abort (f);
      return FALSE;
    }
  if (g_rename (f->tmp_path, f->path) != 0)
    {
      fail (f, errno, NULL, error);
      sm_atomic_file_abort (f);
      return FALSE;
    }
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
  if (f->tmp_path != NULL)
    g_unlink (f->tmp_path);
  g_free (f->tmp_path);
  g_free (f->path);
  g_free (f);
}
