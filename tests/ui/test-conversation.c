/* test-conversation.c: conversations as prompts, as JSON and Markdown, and on disk: saved after
 * each change, atomically, and read back; a file that does not parse is reported, not fatal, and
 * kept aside; a crash's temporary files go at the next start. */
#include <glib/gstdio.h>
#include <string.h>

#include "sm-conversation-store.h"
#include "sm-ui-test-util.h"

static SmConversation *
sample (void)
{
  SmConversation *c = sm_conversation_new ();
  g_autoptr (SmMessage) u1 = sm_message_new (SM_ROLE_USER, "Once upon a time");
  g_autoptr (SmMessage) a1 = sm_message_new (SM_ROLE_ASSISTANT, " there was a cat.");
  g_autoptr (SmMessage) u2 = sm_message_new (SM_ROLE_USER, "What was its name?");
  SmGenerateStats st = { .prompt_tokens = 16, .generated_tokens = 17, .prefill_us = 500, .decode_us = 1000,
                         .ttft_us = 510, .context_used = 33, .context_size = 64,
                         .stop_reason = SM_STOP_EOS };
  SmMessageFigures f;

  sm_message_figures_from_stats (&f, &st, FALSE, "avx2", 2, "stories260K");
  sm_message_set_figures (a1, &f);
  sm_message_figures_clear (&f);
  sm_conversation_append (c, u1);
  sm_conversation_append (c, a1);
  sm_conversation_append (c, u2);
  return c;
}

static void
test_prompt (void)
{
  g_autoptr (SmConversation) c = sample ();
  g_autofree char *p1 = sm_conversation_build_prompt (c, 1);
  g_autofree char *p2 = sm_conversation_build_prompt (c, 2);
  g_autofree char *p3 = sm_conversation_build_prompt (c, 3);

  /* a reply continues its prompt; a new turn starts a line; each prompt is a prefix of the next */
  g_assert_cmpstr (p1, ==, "Once upon a time");
  g_assert_cmpstr (p2, ==, "Once upon a time there was a cat.");
  g_assert_cmpstr (p3, ==, "Once upon a time there was a cat.\nWhat was its name?");
  g_assert_cmpstr (sm_conversation_get_title (c), ==, "Once upon a time");
}

static void
test_json_round_trip (void)
{
  g_autoptr (SmConversation) c = sample ();
  g_autoptr (JsonNode) node = sm_conversation_to_json (c);
  g_autoptr (GError) error = NULL;
  g_autoptr (SmConversation) back = sm_conversation_new_from_json (node, &error);
  const SmMessageFigures *f;
  g_autofree char *md = NULL;
  g_autofree char *line = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (sm_conversation_get_id (back), ==, sm_conversation_get_id (c));
  g_assert_cmpuint (sm_conversation_get_n_messages (back), ==, 3);
  g_assert_cmpint (sm_message_get_role (sm_conversation_get_message (back, 1)), ==, SM_ROLE_ASSISTANT);
  f = sm_message_get_figures (sm_conversation_get_message (back, 1));
  g_assert_nonnull (f);
  g_assert_cmpint (f->generated_tokens, ==, 17);
  g_assert_cmpstr (f->stop_reason, ==, "end of text");
  g_assert_cmpstr (f->kernel_level, ==, "avx2");
  g_assert_false (f->pool_enabled);
  g_assert_cmpint (f->threads, ==, 2);
  g_assert_null (sm_message_get_figures (sm_conversation_get_message (back, 0)));

  line = sm_message_format_figures (sm_conversation_get_message (back, 1));
  g_assert_nonnull (strstr (line, "17 tokens"));
  g_assert_nonnull (strstr (line, "avx2"));
  md = sm_conversation_to_markdown (back);
  g_assert_nonnull (strstr (md, "> Once upon a time\n"));
  g_assert_nonnull (strstr (md, ">  there was a cat.\n"));
  /* the reply names the model that wrote it */
  g_assert_cmpstr (f->model, ==, "stories260K");
  g_assert_nonnull (strstr (md, "**SmallMind** (stories260K)\n"));

  /* not a conversation */
  {
    g_autoptr (JsonNode) junk = json_from_string ("{\"format\": \"other\"}", NULL);
    g_autoptr (GError) e = NULL;
    g_assert_null (sm_conversation_new_from_json (junk, &e));
    g_assert_nonnull (e);
  }
}

/* Issue: the Markdown export joined the lines of a quoted message into one paragraph. */
static void
test_markdown_lines (void)
{
  g_autoptr (SmConversation) c = sm_conversation_new ();
  g_autoptr (SmMessage) u = sm_message_new (SM_ROLE_USER, "A poem:\nline one\nline two\n\nnew verse");
  g_autofree char *md = NULL;

  sm_conversation_append (c, u);
  md = sm_conversation_to_markdown (c);
  /* a hard break (CommonMark's backslash) ends every line a paragraph goes on after */
  g_assert_nonnull (strstr (md, "> A poem:\\\n> line one\\\n> line two\n> \n> new verse\n"));
}

/* Branches: an alternative stands beside a message, switching shows its later turns, the prompt
 * is the shown path, and JSON keeps all of it (and reads a file written before branches). */
static void
test_branches (void)
{
  g_autoptr (SmConversation) c = sample ();
  SmMessage *u1 = sm_conversation_get_message (c, 0);
  SmMessage *a1 = sm_conversation_get_message (c, 1);
  g_autoptr (SmMessage) a2 = sm_message_new (SM_ROLE_ASSISTANT, " there was a dog.");
  g_autoptr (SmMessage) u1b = sm_message_new (SM_ROLE_USER, "Long ago");
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (SmConversation) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *p = NULL;

  /* a second reply beside the first: the turn after the first is not on its branch */
  sm_conversation_add_branch (c, a1, a2);
  g_assert_cmpuint (sm_conversation_get_n_messages (c), ==, 2);
  g_assert_true (sm_conversation_get_message (c, 1) == a2);
  g_assert_cmpuint (sm_conversation_get_n_branches (c, a2), ==, 2);
  g_assert_cmpuint (sm_conversation_get_branch (c, a2), ==, 1);
  g_assert_cmpuint (sm_conversation_get_n_branches (c, u1), ==, 1);
  p = sm_conversation_build_prompt (c, 2);
  g_assert_cmpstr (p, ==, "Once upon a time there was a dog.");
  g_clear_pointer (&p, g_free);

  /* back to the first: its later turn comes back with it */
  sm_conversation_select_branch (c, a2, 0);
  g_assert_cmpuint (sm_conversation_get_n_messages (c), ==, 3);
  p = sm_conversation_build_prompt (c, 3);
  g_assert_cmpstr (p, ==, "Once upon a time there was a cat.\nWhat was its name?");
  g_clear_pointer (&p, g_free);

  /* another first question: a branch at the root, which names the conversation */
  sm_conversation_add_branch (c, u1, u1b);
  g_assert_cmpuint (sm_conversation_get_n_messages (c), ==, 1);
  g_assert_cmpstr (sm_conversation_get_title (c), ==, "Long ago");
  sm_conversation_select_branch (c, u1b, 0);
  g_assert_cmpstr (sm_conversation_get_title (c), ==, "Once upon a time");

  /* saved and read back: every branch, the same one shown */
  node = sm_conversation_to_json (c);
  back = sm_conversation_new_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sm_conversation_get_n_messages (back), ==, 3);
  g_assert_cmpstr (sm_message_get_text (sm_conversation_get_message (back, 2)), ==, "What was its name?");
  g_assert_cmpuint (sm_conversation_get_n_branches (back, sm_conversation_get_message (back, 1)), ==, 2);
  g_assert_cmpuint (sm_conversation_get_branch (back, sm_conversation_get_message (back, 0)), ==, 0);
  sm_conversation_select_branch (back, sm_conversation_get_message (back, 1), 1);
  g_assert_cmpuint (sm_conversation_get_n_messages (back), ==, 2);
  g_assert_cmpstr (sm_message_get_text (sm_conversation_get_message (back, 1)), ==, " there was a dog.");
  sm_conversation_select_branch (back, sm_conversation_get_message (back, 0), 1);
  g_assert_cmpuint (sm_conversation_get_n_messages (back), ==, 1);
  g_assert_cmpstr (sm_message_get_text (sm_conversation_get_message (back, 0)), ==, "Long ago");

  /* removing a branch shows the one before it */
  sm_conversation_remove (c, a1);
  g_assert_cmpuint (sm_conversation_get_n_messages (c), ==, 2);
  g_assert_true (sm_conversation_get_message (c, 1) == a2);
  g_assert_cmpuint (sm_conversation_get_n_branches (c, a2), ==, 1);

  /* a file from before branches: one line of turns */
  {
    const char *v1 = "{\"format\": \"smallmind-conversation\", \"version\": 1, \"messages\": ["
                     "{\"role\": \"user\", \"text\": \"Hi\"},"
                     "{\"role\": \"assistant\", \"text\": \" there\"},"
                     "{\"role\": \"user\", \"text\": \"Again\"}]}";
    g_autoptr (JsonNode) old = json_from_string (v1, NULL);
    g_autoptr (SmConversation) o = sm_conversation_new_from_json (old, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (sm_conversation_get_n_messages (o), ==, 3);
    for (guint i = 0; i < 3; i++)
      g_assert_cmpuint (sm_conversation_get_n_branches (o, sm_conversation_get_message (o, i)), ==, 1);
    p = sm_conversation_build_prompt (o, 3);
    g_assert_cmpstr (p, ==, "Hi there\nAgain");
  }

  /* a message cannot follow one written after it */
  {
    const char *bad = "{\"format\": \"smallmind-conversation\", \"messages\": ["
                      "{\"role\": \"user\", \"text\": \"Hi\", \"parent\": 0}]}";
    g_autoptr (JsonNode) junk = json_from_string (bad, NULL);
    g_autoptr (GError) e = NULL;

    g_assert_null (sm_conversation_new_from_json (junk, &e));
    g_assert_nonnull (e);
  }
}

static gboolean
file_has (gpointer data)
{
  const char *const *what = data;
  g_autofree char *text = NULL;
  return g_file_get_contents (what[0], &text, NULL, NULL) && strstr (text, what[1]) != NULL;
}

static void
test_store (void)
{
  g_autofree char *dir = g_build_filename (sm_ui_test_dir (), "store", NULL);
  g_autofree char *path = NULL;
  g_autofree char *junk = g_build_filename (dir, "junk.json", NULL);
  g_autoptr (SmConversationStore) store = sm_conversation_store_new (dir);
  g_autoptr (SmConversationStore) again = NULL;
  g_autoptr (SmConversation) c = sample ();
  g_autoptr (SmConversation) loaded = NULL;
  g_autoptr (SmConversation) empty = sm_conversation_new ();
  g_autoptr (SmMessage) more = sm_message_new (SM_ROLE_ASSISTANT, "Tom.");
  g_autoptr (GError) error = NULL;
  const char *want[2];

  g_assert_true (sm_conversation_store_load (store, &error));
  g_assert_no_error (error);
  sm_conversation_store_add (store, c);
  sm_conversation_store_add (store, empty);
  path = g_strdup_printf ("%s/%s.json", dir, sm_conversation_get_id (c));

  /* saved shortly after a change, without anyone asking */
  sm_conversation_append (c, more);
  want[0] = path;
  want[1] = "Tom.";
  sm_ui_test_wait (file_has, want, 10, "the conversation to be saved");
  sm_conversation_store_flush (store);

  /* read back, newest first; an empty conversation has no file; junk is reported */
  g_assert_true (g_file_set_contents (junk, "{ not json", -1, NULL));
  again = sm_conversation_store_new (dir);
  g_assert_false (sm_conversation_store_load (again, &error));
  g_assert_nonnull (strstr (error->message, "junk.json"));
  g_assert_nonnull (strstr (error->message, "kept as junk.json.broken"));
  g_assert_false (g_file_test (junk, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (g_list_model_get_n_items (sm_conversation_store_get_list (again)), ==, 1);
  loaded = g_list_model_get_item (sm_conversation_store_get_list (again), 0);
  g_assert_cmpstr (sm_conversation_get_id (loaded), ==, sm_conversation_get_id (c));
  g_assert_cmpuint (sm_conversation_get_n_messages (loaded), ==, 4);

  /* a delete that can be undone: out of the list, the file kept; restored; then purged */
  sm_conversation_store_trash (again, loaded);
  g_assert_cmpuint (g_list_model_get_n_items (sm_conversation_store_get_list (again)), ==, 0);
  sm_conversation_store_flush (again);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (sm_conversation_store_restore (again, sm_conversation_get_id (loaded)) == loaded);
  g_assert_null (sm_conversation_store_restore (again, sm_conversation_get_id (loaded)));
  g_assert_cmpuint (g_list_model_get_n_items (sm_conversation_store_get_list (again)), ==, 1);
  sm_conversation_store_purge (again, sm_conversation_get_id (loaded));   /* not trashed: nothing */
  sm_conversation_store_flush (again);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  sm_conversation_store_trash (again, loaded);
  sm_conversation_store_purge (again, sm_conversation_get_id (loaded));
  sm_conversation_store_flush (again);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_null (sm_conversation_store_restore (again, sm_conversation_get_id (loaded)));
  sm_conversation_store_restore (again, "no such id");
  /* a renamed conversation keeps its name */
  sm_conversation_set_title (c, "  Cats  ");
  g_assert_cmpstr (sm_conversation_get_title (c), ==, "Cats");
  {
    g_autoptr (JsonNode) node = sm_conversation_to_json (c);
    g_autoptr (SmConversation) named = sm_conversation_new_from_json (node, NULL);
    g_assert_cmpstr (sm_conversation_get_title (named), ==, "Cats");
    g_assert_true (sm_conversation_matches (named, "cats"));
    g_assert_true (sm_conversation_matches (named, "tom."));   /* a message's text */
    g_assert_false (sm_conversation_matches (named, "dog"));
  }
  sm_conversation_set_title (c, "");
  g_assert_cmpstr (sm_conversation_get_title (c), ==, "Once upon a time");
  sm_conversation_store_add (again, loaded);

  /* removal deletes the file */
  sm_conversation_store_remove (again, loaded);
  sm_conversation_store_flush (again);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  {
    g_autofree char *aside = g_strconcat (junk, ".broken", NULL);
    g_assert_cmpint (g_unlink (aside), ==, 0);
  }
}

static char *
read_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

static void
put_file (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

/* What a kill -9 can leave: the writer's temporary files (NAME.json.XXXXXX, beside the whole
 * old version), which the next start removes, and only those; a file that does not read
 * (cut short by something else, edited by hand) is set aside, never dropped, told once. */
static void
test_store_after_crash (void)
{
  g_autofree char *dir = g_build_filename (sm_ui_test_dir (), "crashed", NULL);
  g_autoptr (SmConversation) c = sample ();
  g_autoptr (JsonNode) node = sm_conversation_to_json (c);
  g_autofree char *json = sm_json_to_string (node, TRUE);
  g_autofree char *name = g_strdup_printf ("%s.json", sm_conversation_get_id (c));
  g_autofree char *temp = g_strdup_printf ("%s.json.Ab3xZ9", sm_conversation_get_id (c));
  g_autofree char *half = g_strndup (json, strlen (json) / 2);
  g_autoptr (SmConversationStore) store = sm_conversation_store_new (dir);
  g_autoptr (SmConversationStore) again = sm_conversation_store_new (dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = NULL;
  g_autofree char *kept = NULL, *aside = NULL;
  guint n = 0;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  put_file (dir, name, json);
  put_file (dir, temp, half);                        /* its write cut short */
  put_file (dir, "gone.json.QWERTY", "{\"id\":");     /* the first write of one never saved */
  put_file (dir, "notes.txt", "mine");               /* not the store's: stays */
  put_file (dir, "x.json.tmp", "mine too");          /* not the writer's shape: stays */
  put_file (dir, "bad.json", half);                  /* does not parse */
  put_file (dir, "bad.json.broken", "an older one"); /* set aside before: kept as it is */
  put_file (dir, "empty.json", "");

  g_assert_false (sm_conversation_store_load (store, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "bad.json ("));
  g_assert_nonnull (strstr (error->message, "kept as bad.json.broken.2"));
  g_assert_nonnull (strstr (error->message, "kept as empty.json.broken"));
  g_assert_cmpuint (g_list_model_get_n_items (sm_conversation_store_get_list (store)), ==, 1);

  d = g_dir_open (dir, 0, NULL);
  while (g_dir_read_name (d) != NULL)
    n++;
  g_assert_cmpuint (n, ==, 6);   /* the conversation, the two of the user's, three set aside */
  g_assert_null (read_file (dir, temp));
  g_assert_null (read_file (dir, "gone.json.QWERTY"));
  g_assert_null (read_file (dir, "bad.json"));
  kept = read_file (dir, "bad.json.broken");
  g_assert_cmpstr (kept, ==, "an older one");
  aside = read_file (dir, "bad.json.broken.2");
  g_assert_cmpstr (aside, ==, half);
  g_clear_pointer (&kept, g_free);
  kept = read_file (dir, "empty.json.broken");
  g_assert_cmpstr (kept, ==, "");
  g_clear_pointer (&kept, g_free);
  kept = read_file (dir, "notes.txt");
  g_assert_cmpstr (kept, ==, "mine");

  /* told once: the next start reads what is left without a word */
  g_assert_true (sm_conversation_store_load (again, NULL));
  g_assert_cmpuint (g_list_model_get_n_items (sm_conversation_store_get_list (again)), ==, 1);
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/Conversation/markdown-lines", test_markdown_lines);
  g_test_add_func ("/Conversation/prompt", test_prompt);
  g_test_add_func ("/Conversation/json-round-trip", test_json_round_trip);
  g_test_add_func ("/Conversation/store", test_store);
  g_test_add_func ("/Conversation/store-after-crash", test_store_after_crash);
  g_test_add_func ("/Conversation/branches", test_branches);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
