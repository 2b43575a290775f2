/* test-wrap-layout.c: a wrapping label measured through SmWrapLayout is as tall as GtkLabel
 * makes it at every width, whatever the text (short, long paragraphs, lines, no spaces,
 * emoji and right-to-left), its width range holds GtkLabel's (a character at least, the
 * unwrapped text, or wider than a screen for a long text), and it is allocated as measured. */
#include <string.h>

#include "sm-ui-test-util.h"
#include "sm-wrap-layout.h"

static GtkWidget *
new_label (const char *text, gboolean wrap_layout)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_natural_wrap_mode (GTK_LABEL (label), GTK_NATURAL_WRAP_WORD);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (wrap_layout)
    sm_wrap_layout_attach (GTK_LABEL (label));
  return label;
}

static char *
texts (int i)
{
  GString *s = g_string_new (NULL);

  switch (i)
    {
    case 0:
      g_string_append (s, "Hello");
      break;
    case 1:   /* one paragraph under 1 KB */
      while (s->len < 700)
        g_string_append_printf (s, "word%zu and some more ", s->len);
      break;
    case 2:   /* 4 KB of short lines, as a pasted log */
      while (s->len < 4096)
        g_string_append_printf (s, "line %zu of the log\n", s->len);
      break;
    case 3:   /* 3 KB without a space */
      while (s->len < 3000)
        g_string_append (s, "abcdefghij");
      break;
    default:  /* emoji, right-to-left, combining marks */
      for (int k = 0; k < 40; k++)
        g_string_append (s, "\xf0\x9f\x99\x82 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d e\xcc\x81t\xc3\xa9 ");
      break;
    }
  return g_string_free (s, FALSE);
}

static void
test_same_heights (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  const int widths[] = { 40, 120, 333, 600, 1200 };

  gtk_window_set_child (GTK_WINDOW (window), box);
  for (int i = 0; i < 5; i++)
    {
      g_autofree char *text = texts (i);
      GtkWidget *plain = new_label (text, FALSE);
      GtkWidget *ours = new_label (text, TRUE);
      int pmin, pnat, omin, onat;

      gtk_box_append (GTK_BOX (box), plain);
      gtk_box_append (GTK_BOX (box), ours);
      g_assert_true (SM_IS_WRAP_LAYOUT (gtk_widget_get_layout_manager (ours)));
      g_assert_cmpint (gtk_widget_get_request_mode (ours), ==, GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH);

      for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
        {
          int ph, phn, oh, ohn;

          gtk_widget_measure (plain, GTK_ORIENTATION_VERTICAL, widths[w], &ph, &phn, NULL, NULL);
          gtk_widget_measure (ours, GTK_ORIENTATION_VERTICAL, widths[w], &oh, &ohn, NULL, NULL);
          g_assert_cmpint (oh, ==, ph);
          g_assert_cmpint (ohn, ==, phn);
          g_assert_cmpint (oh, >, 0);
        }

      gtk_widget_measure (plain, GTK_ORIENTATION_HORIZONTAL, -1, &pmin, &pnat, NULL, NULL);
      gtk_widget_measure (ours, GTK_ORIENTATION_HORIZONTAL, -1, &omin, &onat, NULL, NULL);
      g_test_message ("text %d (%zu bytes): GtkLabel %d..%d px, SmWrapLayout %d..%d px", i,
                      strlen (text), pmin, pnat, omin, onat);
      g_assert_cmpint (omin, >, 0);
      /* a character, which GtkLabel's minimum (a character, or a word's piece) is not below */
      g_assert_cmpint (omin, <=, MAX (pmin, 1) * 2);
      if (strlen (text) <= 1024)
        g_assert_cmpint (onat, ==, pnat);
      else   /* wider than a screen: it fills what it is given */
        g_assert_cmpint (onat, >=, 4000);
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Shown in a window: allocated the height it measured, its text laid out at its width. */
static void
test_allocated (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  g_autofree char *text = texts (1);
  GtkWidget *label = new_label (text, TRUE);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  int min, nat, layout_width;

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_box_append (GTK_BOX (box), label);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), box);
  gtk_window_set_child (GTK_WINDOW (window), scroller);
  gtk_window_set_default_size (GTK_WINDOW (window), 300, 400);
  gtk_window_present (GTK_WINDOW (window));
  sm_ui_test_wait ((SmTestCondition) gtk_widget_get_mapped, label, 30, "the label on screen");
  sm_ui_test_spin (200);

  g_assert_cmpint (gtk_widget_get_width (label), >, 0);
  g_assert_cmpint (gtk_widget_get_width (label), <=, 300);
  gtk_widget_measure (label, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width (label), &min, &nat,
                      NULL, NULL);
  g_assert_cmpint (gtk_widget_get_height (label), ==, min);
  /* the label's own size_allocate ran: its layout wraps at the width it was given */
  layout_width = pango_layout_get_width (gtk_label_get_layout (GTK_LABEL (label)));
  g_assert_cmpint (layout_width, ==, gtk_widget_get_width (label) * PANGO_SCALE);
  g_assert_true (pango_layout_is_wrapped (gtk_label_get_layout (GTK_LABEL (label))));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  int status;

  sm_ui_test_init (&argc, &argv);
  g_test_add_func ("/WrapLayout/same-heights", test_same_heights);
  g_test_add_func ("/WrapLayout/allocated", test_allocated);
  status = g_test_run ();
  sm_ui_test_cleanup ();
  return status;
}
