/* test-mapped-file.c: a file truncated under its mapping is read as zeros and reported, on
 * any thread, and the process lives; a file rewritten in place is found by looking; a SIGBUS
 * that is not ours still kills.  Run under ASan too, whose own SIGBUS handler ours chains to. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sm-mapped-file.h"

#define N_PAGES 4

static gsize page;

/* @n_pages of bytes 1..251 over and over (never 0, so a zero read is the handler's). */
static char *
write_pattern (const char *dir, const char *name, gsize n_pages)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree guint8 *buf = g_malloc (n_pages * page);

  for (gsize i = 0; i < n_pages * page; i++)
    buf[i] = (guint8) (1 + i % 251);
  g_assert_true (g_file_set_contents (path, (char *) buf, (gssize) (n_pages * page), NULL));
  return path;
}

static void
truncate_to (const char *path, gsize size)
{
  int fd = g_open (path, O_WRONLY, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) size), ==, 0);
  close (fd);
}

/* A read the compiler must make, past the file's new end. */
static guint8
read_byte (const guint8 *p)
{
  return *(const volatile guint8 *) p;
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

static void
test_truncated (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-mapped-XXXXXX", NULL);
  g_autofree char *path = write_pattern (dir, "m.bin", N_PAGES);
  g_autofree char *named = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = sm_mapped_file_map (path, &error);
  guint before = sm_mapped_file_n_damaged ();
  const guint8 *data;
  gsize len;

  g_assert_no_error (error);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpuint (len, ==, N_PAGES * page);
  g_assert_cmpuint (read_byte (data + 3 * page + 7), ==, 1 + (3 * page + 7) % 251);
  g_assert_cmpint (sm_mapped_file_state (data, TRUE, &named), ==, SM_MAPPED_FILE_INTACT);
  g_assert_cmpstr (named, ==, path);
  g_clear_pointer (&named, g_free);

  /* cut to one page: a read in the third page would be SIGBUS */
  truncate_to (path, page);
  g_assert_cmpuint (read_byte (data + 3 * page + 7), ==, 0);
  g_assert_cmpint (sm_mapped_file_state (data + len - 1, FALSE, &named), ==, SM_MAPPED_FILE_TRUNCATED);
  g_assert_cmpstr (named, ==, path);
  g_assert_cmpuint (sm_mapped_file_n_damaged (), ==, before + 1);
  /* the whole mapping reads zeros now, the part the file still has too: one consistent state */
  g_assert_cmpuint (read_byte (data), ==, 0);
  g_assert_cmpuint (read_byte (data + page - 1), ==, 0);
  /* and it stays so, looked at again or not */
  g_assert_cmpint (sm_mapped_file_state (data, TRUE, NULL), ==, SM_MAPPED_FILE_TRUNCATED);
  g_assert_cmpuint (sm_mapped_file_n_damaged (), ==, before + 1);

  g_clear_pointer (&bytes, g_bytes_unref);
  /* unmapped: the address is nobody's */
  g_assert_cmpint (sm_mapped_file_state (data, FALSE, NULL), ==, SM_MAPPED_FILE_NONE);
  remove_dir (dir);
}

typedef struct {
  const guint8 *p;
  guint8        got;
} ReadJob;

static gpointer
read_on_thread (gpointer data)
{
  ReadJob *job = data;
  job->got = read_byte (job->p);
  return NULL;
}

/* The forward pass's compute threads fault as often as the engine thread: the handler runs on
 * the thread that faulted, and what it did is seen by every other. */
static void
test_truncated_other_thread (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-mapped-XXXXXX", NULL);
  g_autofree char *a_path = write_pattern (dir, "a.bin", N_PAGES);
  g_autofree char *b_path = write_pattern (dir, "b.bin", N_PAGES);
  g_autoptr (GBytes) a = sm_mapped_file_map (a_path, NULL);
  g_autoptr (GBytes) b = sm_mapped_file_map (b_path, NULL);
  const guint8 *ad = g_bytes_get_data (a, NULL), *bd = g_bytes_get_data (b, NULL);
  ReadJob job = { ad + 2 * page, 0xff };
  GThread *thread;

  truncate_to (a_path, 0);
  thread = g_thread_new ("reader", read_on_thread, &job);
  g_thread_join (thread);
  g_assert_cmpuint (job.got, ==, 0);
  g_assert_cmpuint (read_byte (ad + 2 * page + 1), ==, 0);
  g_assert_cmpint (sm_mapped_file_state (ad, FALSE, NULL), ==, SM_MAPPED_FILE_TRUNCATED);
  /* the other mapping is another file's, untouched */
  g_assert_cmpint (sm_mapped_file_state (bd, TRUE, NULL), ==, SM_MAPPED_FILE_INTACT);
  g_assert_cmpuint (read_byte (bd + 2 * page), ==, 1 + (2 * page) % 251);
  g_clear_pointer (&a, g_bytes_unref);
  g_clear_pointer (&b, g_bytes_unref);
  remove_dir (dir);
}

/* New bytes at the same size raise no fault; fstat () finds them.  A rename over the path
 * (how sm-atomic-file.c writes) leaves the mapped file alone: not a change. */
static void
test_rewritten (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-mapped-XXXXXX", NULL);
  g_autofree char *path = write_pattern (dir, "m.bin", N_PAGES);
  g_autofree char *other = write_pattern (dir, "other.bin", N_PAGES);
  g_autoptr (GBytes) bytes = sm_mapped_file_map (path, NULL);
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  struct timespec later[2];
  struct stat st;
  int fd;

  /* replaced by rename: our inode is the same, and so are its bytes */
  g_assert_cmpint (g_rename (other, path), ==, 0);
  g_assert_cmpint (sm_mapped_file_state (data, TRUE, NULL), ==, SM_MAPPED_FILE_INTACT);
  g_clear_pointer (&bytes, g_bytes_unref);

  bytes = sm_mapped_file_map (path, NULL);
  data = g_bytes_get_data (bytes, NULL);
  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, "new bytes", 9, 100), ==, 9);
  /* the modification time a second on, so the test needs no clock tick between the writes */
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  later[0] = st.st_atim;
  later[1] = st.st_mtim;
  later[1].tv_sec += 1;
  g_assert_cmpint (futimens (fd, later), ==, 0);
  close (fd);

  g_assert_cmpint (memcmp (data + 100, "new bytes", 9), ==, 0);   /* no fault: just new bytes */
  g_assert_cmpint (sm_mapped_file_state (data, FALSE, NULL), ==, SM_MAPPED_FILE_INTACT);
  g_assert_cmpint (sm_mapped_file_state (data, TRUE, NULL), ==, SM_MAPPED_FILE_REWRITTEN);
  g_assert_cmpint (sm_mapped_file_state (data, FALSE, NULL), ==, SM_MAPPED_FILE_REWRITTEN);
  g_clear_pointer (&bytes, g_bytes_unref);
  remove_dir (dir);
}

/* In a child: @what happens; it must not survive.  Its SIGBUS goes to the handler that was
 * there before ours: the default kills it with SIGBUS, AddressSanitizer's reports and aborts
 * (abort_on_error=1 in tests/meson.build). */
static void
assert_child_dies (void (*what) (const char *dir), const char *dir)
{
  int status = 0;
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      what (dir);
      _exit (0);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_test_message ("child killed by signal %d", WTERMSIG (status));
  g_assert_true (WTERMSIG (status) == SIGBUS || WTERMSIG (status) == SIGABRT);
}

static void
foreign_mapping_fault (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "foreign.bin", NULL);
  int fd = g_open (path, O_RDONLY, 0);
  const guint8 *p = mmap (NULL, N_PAGES * page, PROT_READ, MAP_PRIVATE, fd, 0);

  truncate_to (path, 0);
  read_byte (p + page);
}

static void
sent_sigbus (const char *dir)
{
  raise (SIGBUS);
}

static void
test_not_ours (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-mapped-XXXXXX", NULL);
  g_autofree char *ours = write_pattern (dir, "ours.bin", 1);
  g_autofree char *foreign = write_pattern (dir, "foreign.bin", N_PAGES);
  /* our handler in place (with the first mapping) */
  g_autoptr (GBytes) bytes = sm_mapped_file_map (ours, NULL);

  g_assert_nonnull (bytes);
  assert_child_dies (foreign_mapping_fault, dir);
  assert_child_dies (sent_sigbus, dir);
  g_clear_pointer (&bytes, g_bytes_unref);
  remove_dir (dir);
}

/* More files than the table holds: the rest are read into memory, which no truncation
 * reaches (their state is NONE: nothing to watch). */
static void
test_table_full (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-mapped-XXXXXX", NULL);
  g_autoptr (GPtrArray) maps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint n_none = 0;

  for (int i = 0; i < 80; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%d.bin", i);
      g_autofree char *path = write_pattern (dir, name, 1);
      GBytes *b = sm_mapped_file_map (path, NULL);

      g_assert_nonnull (b);
      g_assert_cmpuint (g_bytes_get_size (b), ==, page);
      g_assert_cmpuint (read_byte (g_bytes_get_data (b, NULL)), ==, 1);
      n_none += sm_mapped_file_state (g_bytes_get_data (b, NULL), FALSE, NULL) == SM_MAPPED_FILE_NONE;
      g_ptr_array_add (maps, b);
    }
  g_assert_cmpuint (n_none, >=, 80 - 64);
  g_clear_pointer (&maps, g_ptr_array_unref);
  remove_dir (dir);
}

static gpointer
map_many (gpointer data)
{
  const char *path = data;

  for (int i = 0; i < 300; i++)
    {
      g_autoptr (GBytes) b = sm_mapped_file_map (path, NULL);
      const guint8 *p = g_bytes_get_data (b, NULL);

      /* a slot given back while another thread takes it must not unmap the other's file */
      g_assert_cmpuint (read_byte (p), ==, 1);
      g_assert_cmpuint (read_byte (p + N_PAGES * page - 1), ==, 1 + (N_PAGES * page - 1) % 251);
      g_assert_cmpint (sm_mapped_file_state (p, FALSE, NULL), ==, SM_MAPPED_FILE_INTACT);
    }
  return NULL;
}

/* Models loaded and dropped on several threads at once (the engine thread, the window's
 * compare page, tests): the table stays right. */
static void
test_concurrent (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-mapped-XXXXXX", NULL);
  char *paths[4];
  GThread *threads[4];

  for (int t = 0; t < 4; t++)
    {
      g_autofree char *name = g_strdup_printf ("t%d.bin", t);
      paths[t] = write_pattern (dir, name, N_PAGES);
      threads[t] = g_thread_new ("mapper", map_many, paths[t]);
    }
  for (int t = 0; t < 4; t++)
    {
      g_thread_join (threads[t]);
      g_free (paths[t]);
    }
  remove_dir (dir);
}

static void
test_open_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sm-mapped-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.bin", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.bin", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  g_assert_null (sm_mapped_file_map (missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "missing.bin"));
  g_clear_error (&error);

  g_assert_null (sm_mapped_file_map (dir, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
  g_clear_error (&error);

  /* empty: empty bytes, as GMappedFile gave */
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  bytes = sm_mapped_file_map (empty, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);
  g_clear_pointer (&bytes, g_bytes_unref);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  page = (gsize) sysconf (_SC_PAGESIZE);
  g_test_add_func ("/MappedFile/truncated", test_truncated);
  g_test_add_func ("/MappedFile/truncated-other-thread", test_truncated_other_thread);
  g_test_add_func ("/MappedFile/rewritten", test_rewritten);
  g_test_add_func ("/MappedFile/not-ours", test_not_ours);
  g_test_add_func ("/MappedFile/table-full", test_table_full);
  g_test_add_func ("/MappedFile/concurrent", test_concurrent);
  g_test_add_func ("/MappedFile/open-errors", test_open_errors);
  return g_test_run ();
}
