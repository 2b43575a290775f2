/* test-markdown.c: lines read as the blocks chat models write, and inline spans as Pango
 * markup that is always well formed, whatever the text (every result goes through Pango's
 * parser, and random texts of Markdown's characters never give markup it refuses).  In the
 * window: a reply streamed in pieces shows the same blocks as the whole text at once, its code
 * block's button copies the code, and the menu's toggle shows the raw text instead. */
#include <pango/pango.h>
#include <string.h>

#include "sm-chat-view.h"
#include "sm-conversation.h"
#include "sm-markdown-view.h"
#include "sm-markdown.h"
#include "sm-message-row.h"
#include "sm-ui-test-util.h"

static SmMdLine
parse (const char *line, gboolean in_code)
{
  SmMdLine l;

  sm_markdown_parse_line (line, strlen (line), in_code, &l);
  return l;
}

static char *
body (const SmMdLine *l)
{
  return g_strndup (l->body ? l->body : "", l->body_len);
}

#define ASSERT_LINE(text, in_code, want_kind, want_level, want_body) G_STMT_START { \
    SmMdLine l_ = parse (text, in_code);                                      \
    g_autofree char *b_ = body (&l_);                                         \
    g_assert_cmpint (l_.kind, ==, want_kind);                                 \
    g_assert_cmpint (l_.level, ==, want_level);                               \
    g_assert_cmpstr (b_, ==, want_body);                                      \
  } G_STMT_END

static void
test_blocks (void)
{
  ASSERT_LINE ("Hello *world*", FALSE, SM_MD_PARAGRAPH, 0, "Hello *world*");
  ASSERT_LINE ("", FALSE, SM_MD_PARAGRAPH, 0, "");
  ASSERT_LINE ("# Title", FALSE, SM_MD_HEADING, 1, "Title");
  ASSERT_LINE ("### Steps ###", FALSE, SM_MD_HEADING, 3, "Steps");
  ASSERT_LINE ("## C# tips", FALSE, SM_MD_HEADING, 2, "C# tips");
  ASSERT_LINE ("#hashtag", FALSE, SM_MD_PARAGRAPH, 0, "#hashtag");
  ASSERT_LINE ("####### seven", FALSE, SM_MD_PARAGRAPH, 0, "####### seven");
  ASSERT_LINE ("- milk", FALSE, SM_MD_BULLET, 0, "milk");
  ASSERT_LINE ("* eggs", FALSE, SM_MD_BULLET, 0, "eggs");
  ASSERT_LINE ("    + nested", FALSE, SM_MD_BULLET, 2, "nested");
  ASSERT_LINE ("-not a list", FALSE, SM_MD_PARAGRAPH, 0, "-not a list");
  ASSERT_LINE ("> quoted", FALSE, SM_MD_QUOTE, 0, "quoted");
  ASSERT_LINE ("---", FALSE, SM_MD_RULE, 0, "");
  ASSERT_LINE ("* * *", FALSE, SM_MD_RULE, 0, "");
  ASSERT_LINE ("-- -x", FALSE, SM_MD_PARAGRAPH, 0, "-- -x");
  ASSERT_LINE ("```python", FALSE, SM_MD_FENCE, 0, "python");
  ASSERT_LINE ("~~~ c extra", FALSE, SM_MD_FENCE, 0, "c");
  ASSERT_LINE ("``not a fence", FALSE, SM_MD_PARAGRAPH, 0, "``not a fence");
  /* inside a code block everything is code, kept as it is, but a bare fence */
  ASSERT_LINE ("  # not a heading  ", TRUE, SM_MD_CODE, 0, "  # not a heading  ");
  ASSERT_LINE ("```", TRUE, SM_MD_FENCE, 0, "");
  ASSERT_LINE ("```python", TRUE, SM_MD_CODE, 0, "```python");
  {
    SmMdLine l = parse ("12. twelfth", FALSE);
    g_autofree char *b = body (&l);

    g_assert_cmpint (l.kind, ==, SM_MD_NUMBERED);
    g_assert_cmpstr (l.marker, ==, "12.");
    g_assert_cmpstr (b, ==, "twelfth");
  }
  ASSERT_LINE ("1.5 litres", FALSE, SM_MD_PARAGRAPH, 0, "1.5 litres");
  ASSERT_LINE ("1234567890. too long", FALSE, SM_MD_PARAGRAPH, 0, "1234567890. too long");
}

/* Valid for a GtkLabel: Pango's markup, plus the links the label itself reads (Pango does
 * not know <a>, so they are taken out after a check that they pair up). */
static void
assert_valid_markup (const char *markup)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GRegex) open = g_regex_new ("<a href=\"[^\"<>]*\">", 0, 0, NULL);
  g_autofree char *no_open = g_regex_replace_literal (open, markup, -1, 0, "<span>", 0, NULL);
  g_auto (GStrv) parts = g_strsplit (no_open, "</a>", -1);
  g_autofree char *plain = g_strjoinv ("</span>", parts);

  if (!pango_parse_markup (plain, -1, 0, NULL, NULL, NULL, &error))
    g_error ("not valid markup: «%s»: %s", markup, error->message);
}

static void
assert_inline (const char *text, const char *want)
{
  g_autofree char *got = sm_markdown_inline (text, strlen (text));

  g_assert_cmpstr (got, ==, want);
  assert_valid_markup (got);
}

static void
test_inline (void)
{
  assert_inline ("plain & <simple>", "plain &amp; &lt;simple&gt;");
  assert_inline ("**bold** and *em* and ***both***",
                 "<b>bold</b> and <i>em</i> and <b><i>both</i></b>");
  assert_inline ("__bold__ _em_", "<b>bold</b> <i>em</i>");
  assert_inline ("snake_case_name stays", "snake_case_name stays");
  assert_inline ("2 * 3 * 4", "2 * 3 * 4");
  assert_inline ("~~gone~~ ~one~", "<s>gone</s> ~one~");
  assert_inline ("call `f(*a, **b)` now", "call <tt>f(*a, **b)</tt> now");
  assert_inline ("`` a `tick` ``", "<tt>a `tick`</tt>");
  assert_inline ("a ` lone tick", "a ` lone tick");
  assert_inline ("\\*not em\\*", "*not em*");
  assert_inline ("*unclosed **bold**", "*unclosed <b>bold</b>");
  assert_inline ("**a *b** c*", "<b>a *b</b> c*");
  assert_inline ("see [the docs](https://example.org/a?b=1&c=2) now",
                 "see <a href=\"https://example.org/a?b=1&amp;c=2\">the docs</a> now");
  assert_inline ("[**bold** link](http://x.org)", "<a href=\"http://x.org\"><b>bold</b> link</a>");
  /* a model's text does not get to open files or run a scheme's handler */
  assert_inline ("[click](file:///etc/passwd)", "[click](file:///etc/passwd)");
  assert_inline ("[a](b c)", "[a](b c)");
  assert_inline ("*a [b*](https://x.org) c*", "<i>a <a href=\"https://x.org\">b*</a> c</i>");
  assert_inline ("日本語 **強調** ✨", "日本語 <b>強調</b> ✨");
}

static void
test_inline_random (void)
{
  static const char alphabet[] = "*_~`[]()\\ ab<&>\n#!:/.";
  GRand *rand = g_rand_new_with_seed (20261207);

  for (int n = 0; n < 20000; n++)
    {
      char text[48];
      int len = g_rand_int_range (rand, 0, sizeof text);
      g_autofree char *markup = NULL;

      for (int i = 0; i < len; i++)
        text[i] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      /* now and then a link that is allowed, to reach the link paths */
      if (len > 30 && g_rand_boolean (rand))
        memcpy (text + 4, "[x](https://a)", 14);
      markup = sm_markdown_inline (text, (gsize) len);
      assert_valid_markup (markup);
    }
  g_rand_free (rand);
}

/* A long line of openers that never close, a lone backtick before them: all of it text. */
static void
test_inline_long (void)
{
  GString *s = g_string_new ("`");
  g_autofree char *markup = NULL;

  for (int i = 0; i < 5000; i++)
    g_string_append (s, i % 2 ? " *x" : " __y");
  markup = sm_markdown_inline (s->str, s->len);
  assert_valid_markup (markup);
  g_assert_cmpstr (markup, ==, s->str);
  g_string_free (s, TRUE);
}

/* ---- in the window ------------------------------------------------------------------------- */

static const char reply[] =
  "# Shopping\n"
  "\n"
  "You need **three** things:\n"
  "- milk\n"
  "- *fresh* eggs\n"
  "  - brown ones\n"
  "2. flour, see [the recipe](https://example.org/bread)\n"
  "> Bake at 200 °C.\n"
  "---\n"
  "```python\n"
  "def bake(*items):\n"
  "    return \"<bread>\"\n"
  "```\n"
  "Call `bake()` and wait.";

static const char code[] = "def bake(*items):\n    return \"<bread>\"";

/* What a view shows, a line per widget: its kind, its CSS classes that matter, its text. */
static void
dump (GtkWidget *w, int depth, GString *out)
{
  static const char *const classes[] = { "title-2", "title-3", "title-4", "heading", "quote",
                                         "monospace", "code-block" };

  g_string_append_printf (out, "%*s%s", depth * 2, "", G_OBJECT_TYPE_NAME (w));
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    if (gtk_widget_has_css_class (w, classes[i]))
      g_string_append_printf (out, ".%s", classes[i]);
  if (GTK_IS_LABEL (w))
    g_string_append_printf (out, " «%s»", gtk_label_get_label (GTK_LABEL (w)));
  g_string_append_c (out, '\n');
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    if (!GTK_IS_LABEL (w))
      dump (c, depth + 1, out);
}

static GtkListBoxRow *
reply_row (SmChatView *chat)
{
  GtkListBox *list = GTK_LIST_BOX (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "list"));
  return gtk_list_box_get_row_at_index (list, 1);
}

static SmMarkdownView *
reply_view (SmChatView *chat)
{
  GtkWidget *box = sm_ui_test_child (reply_row (chat), SM_TYPE_MESSAGE_ROW, "text_box");
  GtkWidget *child = gtk_widget_get_first_child (box);

  g_assert_true (SM_IS_MARKDOWN_VIEW (child));
  g_assert_null (gtk_widget_get_next_sibling (child));
  return SM_MARKDOWN_VIEW (child);
}

static char *
dump_view (SmChatView *chat)
{
  GString *out = g_string_new (NULL);

  dump (GTK_WIDGET (reply_view (chat)), 0, out);
  return g_string_free (out, FALSE);
}

/* The first descendant of @w of @type whose label (or button's tooltip) is @text. */
static GtkWidget *
find (GtkWidget *w, GType type, const char *text)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (w, type)
      && ((GTK_IS_LABEL (w) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (w)), text) == 0)
          || g_strcmp0 (gtk_widget_get_tooltip_text (w), text) == 0))
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find (c, type, text);
      if (found)
        return found;
    }
  return NULL;
}

static void
on_clipboard_text (GObject *source, GAsyncResult *result, gpointer data)
{
  *(char **) data = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
}

static gboolean
pointer_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}


static void
test_window_reply (void)
{
  g_autoptr (GSettings) settings = g_settings_new (SM_APP_ID);
  SmWindow *window;
  g_autoptr (SmApplication) app = sm_ui_test_start_app (&window);
  SmChatView *chat = sm_window_get_chat_view (window);
  g_autoptr (SmConversation) conversation = sm_conversation_new ();
  g_autoptr (SmMessage) question = sm_message_new (SM_ROLE_USER, "What do I need? **Quick**");
  g_autoptr (SmMessage) answer = sm_message_new (SM_ROLE_ASSISTANT, "");
  g_autofree char *streamed = NULL, *whole = NULL, *copied = NULL, *got = NULL;
  GtkWidget *view, *copy, *label, *box;
  gpointer weak = window;

  g_assert_true (g_settings_get_boolean (settings, "markdown"));
  sm_conversation_append (conversation, question);
  sm_conversation_append (conversation, answer);
  sm_chat_view_set_conversation (chat, conversation);
  sm_ui_test_spin (50);

  /* streamed in pieces of 1 to 7 bytes, as a reply comes (a piece ends mid-marker and
   * mid-character: "°" is two bytes) */
  sm_message_set_generating (answer, TRUE);
  for (gsize at = 0, n = 1; at < sizeof reply - 1; at += n, n = n % 7 + 1)
    {
      g_autofree char *piece = g_strndup (reply + at, MIN (n, sizeof reply - 1 - at));
      /* the engine hands over whole characters */
      while (at + strlen (piece) < sizeof reply - 1 && (reply[at + strlen (piece)] & 0xc0) == 0x80)
        {
          g_free (piece);
          piece = g_strndup (reply + at, ++n);
        }
      sm_message_append_text (answer, piece);
    }
  sm_message_set_generating (answer, FALSE);
  sm_ui_test_spin (50);
  streamed = dump_view (chat);
  g_test_message ("%s", streamed);

  /* the same text at once */
  sm_message_set_text (answer, "");
  sm_message_set_text (answer, reply);
  sm_ui_test_spin (50);
  whole = dump_view (chat);
  g_assert_cmpstr (streamed, ==, whole);
  sm_ui_test_screenshot ("chat-markdown");

  view = GTK_WIDGET (reply_view (chat));
  g_assert_nonnull (find (view, GTK_TYPE_LABEL, "Shopping"));
  g_assert_true (gtk_widget_has_css_class (find (view, GTK_TYPE_LABEL, "Shopping"), "title-2"));
  label = find (view, GTK_TYPE_LABEL, "You need three things:");
  g_assert_nonnull (label);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (label)), ==, "You need <b>three</b> things:");
  /* a list item: its mark, then its text; the nested one further in */
  label = find (view, GTK_TYPE_LABEL, "fresh eggs");
  box = gtk_widget_get_parent (label);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (box))), ==, "•");
  g_assert_cmpint (gtk_widget_get_margin_start (gtk_widget_get_parent (find (view, GTK_TYPE_LABEL, "brown ones"))),
                   >, gtk_widget_get_margin_start (box));
  g_assert_nonnull (find (view, GTK_TYPE_LABEL, "2."));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (find (view, GTK_TYPE_LABEL, "flour, see the recipe"))),
                   ==, "flour, see <a href=\"https://example.org/bread\">the recipe</a>");
  g_assert_true (gtk_widget_has_css_class (find (view, GTK_TYPE_LABEL, "Bake at 200 °C."), "quote"));
  /* the code, as written, in monospace */
  got = sm_markdown_view_get_code (SM_MARKDOWN_VIEW (view), 0);
  g_assert_cmpstr (got, ==, code);
  g_assert_true (gtk_widget_has_css_class (find (view, GTK_TYPE_LABEL, "python"), "dim-label"));
  g_assert_null (sm_markdown_view_get_code (SM_MARKDOWN_VIEW (view), 1));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (find (view, GTK_TYPE_LABEL, "Call bake() and wait."))),
                   ==, "Call <tt>bake()</tt> and wait.");
  /* what a person typed stays as typed */
  g_assert_nonnull (find (GTK_WIDGET (gtk_list_box_get_row_at_index (
                            GTK_LIST_BOX (sm_ui_test_child (chat, SM_TYPE_CHAT_VIEW, "list")), 0)),
                          GTK_TYPE_LABEL, "What do I need? **Quick**"));

  /* the copy button copies the code */
  copy = find (view, GTK_TYPE_BUTTON, "Copy Code");
  g_assert_nonnull (copy);
  sm_ui_test_click (copy);
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (copy), NULL, on_clipboard_text, &copied);
  sm_ui_test_wait (pointer_set, &copied, 10, "the clipboard's text");
  g_assert_cmpstr (copied, ==, code);

  /* the menu's toggle: the raw text, a label per line, and back */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.markdown", NULL));
  g_assert_false (g_settings_get_boolean (settings, "markdown"));
  g_assert_false (sm_message_row_get_markdown (SM_MESSAGE_ROW (reply_row (chat))));
  box = sm_ui_test_child (reply_row (chat), SM_TYPE_MESSAGE_ROW, "text_box");
  g_assert_nonnull (find (box, GTK_TYPE_LABEL, "You need **three** things:"));
  g_assert_nonnull (find (box, GTK_TYPE_LABEL, "```python"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.markdown", NULL));
  g_assert_true (sm_message_row_get_markdown (SM_MESSAGE_ROW (reply_row (chat))));
  g_free (whole);
  whole = dump_view (chat);
  g_assert_cmpstr (streamed, ==, whole);

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_close (GTK_WINDOW (window));
  sm_ui_test_wait (sm_ui_test_pointer_cleared, &weak, 30, "the window to go");
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/Markdown/blocks", test_blocks);
  g_test_add_func ("/Markdown/inline", test_inline);
  g_test_add_func ("/Markdown/inline-random", test_inline_random);
  g_test_add_func ("/Markdown/inline-long", test_inline_long);
  g_test_add_func ("/Markdown/window-reply", test_window_reply);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
