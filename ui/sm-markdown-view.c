/* sm-markdown-view.c: a streaming reply as Markdown blocks (see sm-markdown.h for what is read). */
#define G_LOG_DOMAIN "SmMarkdownView"

#include <glib/gi18n.h>
#include <string.h>

#include "sm-markdown.h"
#include "sm-markdown-view.h"
#include "sm-wrap-layout.h"

/* A label holds about this much: laying it out again costs its whole text (the raw view in
 * sm-message-row.c chunks for the same reason).  A line past it is shown as plain text. */
#define CHUNK_BYTES 4096

struct _SmMarkdownView {
  GtkWidget  parent_instance;

  GString   *line;          /* the line being written, without its newline */
  GtkWidget *tail;          /* its block, NULL while it is empty */
  GtkLabel  *tail_label;    /* the label in it that shows the text */
  SmMdKind   tail_kind;
  int        tail_level;
  gsize      raw_shown;     /* a plain line: how much of it the labels hold; 0: not plain */
  gboolean   raw;
  /* the open code block */
  gboolean   in_code;
  GtkWidget *code_lines;    /* its box of labels */
  GtkLabel  *code_label;    /* the last of them */
  GString   *code_chunk;    /* that label's finished lines, each with its newline */
};

G_DEFINE_FINAL_TYPE (SmMarkdownView, sm_markdown_view, GTK_TYPE_WIDGET)

static GtkLabel *
new_label (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_natural_wrap_mode (GTK_LABEL (label), GTK_NATURAL_WRAP_WORD);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  sm_wrap_layout_attach (GTK_LABEL (label));
  return GTK_LABEL (label);
}

/* The code of a block's labels, as written: the labels hold whole lines, without the
 * newline that ends the last. */
static char *
block_code (GtkWidget *lines)
{
  GString *code = g_string_new (NULL);

  for (GtkWidget *c = gtk_widget_get_first_child (lines); c; c = gtk_widget_get_next_sibling (c))
    {
      if (c != gtk_widget_get_first_child (lines))
        g_string_append_c (code, '\n');
      g_string_append (code, gtk_label_get_text (GTK_LABEL (c)));
    }
  return g_string_free (code, FALSE);
}

static void
on_copy_clicked (GtkButton *button, gpointer lines)
{
  g_autofree char *code = block_code (lines);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), code);
  gtk_widget_activate_action (GTK_WIDGET (button), "win.toast", "s", _("Copied"));
}

static GtkLabel *
add_code_label (GtkWidget *lines)
{
  GtkLabel *label = new_label ();

  gtk_label_set_wrap_mode (label, PANGO_WRAP_CHAR);
  gtk_widget_add_css_class (GTK_WIDGET (label), "monospace");
  gtk_box_append (GTK_BOX (lines), GTK_WIDGET (label));
  return label;
}

/* A code block: the language and a copy button over the code's labels. */
static GtkWidget *
new_code_block (GtkLabel **language, GtkWidget **lines)
{
  GtkWidget *block = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

  gtk_widget_add_css_class (block, "code-block");
  *language = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (*language, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (*language), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (*language), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (*language), "dim-label");
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (copy, _("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Copy Code"), -1);
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (*language));
  gtk_box_append (GTK_BOX (header), copy);
  *lines = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  add_code_label (*lines);
  gtk_box_append (GTK_BOX (block), header);
  gtk_box_append (GTK_BOX (block), *lines);
  g_signal_connect (copy, "clicked", G_CALLBACK (on_copy_clicked), *lines);
  g_object_set_data (G_OBJECT (block), "sm-code-lines", *lines);
  return block;
}

static void
append_block (SmMarkdownView *self, GtkWidget *block, int gap)
{
  if (gtk_widget_get_last_child (GTK_WIDGET (self)) != NULL)
    gtk_widget_set_margin_top (block, gap);
  gtk_widget_set_parent (block, GTK_WIDGET (self));
}

/* The widget for a line of @kind; sets tail_label to where its text goes. */
static GtkWidget *
new_block (SmMarkdownView *self, const SmMdLine *l)
{
  static const char *const heading_class[] = { NULL, "title-2", "title-3", "title-4" };
  GtkWidget *block;
  GtkLabel *label = NULL;

  switch (l->kind)
    {
    case SM_MD_HEADING:
      label = new_label ();
      block = GTK_WIDGET (label);
      gtk_widget_add_css_class (block, l->level < 4 ? heading_class[l->level] : "heading");
      append_block (self, block, 12);
      break;
    case SM_MD_BULLET:
    case SM_MD_NUMBERED:
      {
        /* Translators: the mark before an item of a list without numbers */
        GtkWidget *marker = gtk_label_new (l->kind == SM_MD_BULLET ? C_("list", "•") : l->marker);

        block = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
        gtk_widget_set_margin_start (block, 6 + 18 * l->level);
        gtk_widget_set_valign (marker, GTK_ALIGN_START);
        label = new_label ();
        gtk_widget_set_hexpand (GTK_WIDGET (label), TRUE);
        gtk_box_append (GTK_BOX (block), marker);
        gtk_box_append (GTK_BOX (block), GTK_WIDGET (label));
        append_block (self, block, 4);
      }
      break;
    case SM_MD_QUOTE:
      label = new_label ();
      block = GTK_WIDGET (label);
      gtk_widget_add_css_class (block, "quote");
      append_block (self, block, 8);
      break;
    case SM_MD_RULE:
      block = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
      append_block (self, block, 8);
      gtk_widget_set_margin_bottom (block, 4);
      break;
    case SM_MD_FENCE:
      block = new_code_block (&label, &self->code_lines);
      self->code_label = GTK_LABEL (gtk_widget_get_first_child (self->code_lines));
      append_block (self, block, 8);
      break;
    default:
      label = new_label ();
      block = GTK_WIDGET (label);
      append_block (self, block, 8);
      break;
    }
  self->tail_label = label;
  self->tail_kind = l->kind;
  self->tail_level = l->level;
  return block;
}

static void
drop_tail (SmMarkdownView *self)
{
  if (self->tail != NULL)
    gtk_widget_unparent (self->tail);
  self->tail = NULL;
  self->tail_label = NULL;
}

/* A line too long for markup per piece: what came since the last piece is appended to plain
 * labels of about CHUNK_BYTES. */
static void
show_raw (SmMarkdownView *self)
{
  if (!self->raw)
    {
      drop_tail (self);
      self->tail_label = new_label ();
      self->tail = GTK_WIDGET (self->tail_label);
      append_block (self, self->tail, 8);
      self->raw = TRUE;
      self->raw_shown = 0;
    }
  while (self->raw_shown < self->line->len)
    {
      const char *shown = gtk_label_get_text (self->tail_label);
      gsize have = strlen (shown), take = self->line->len - self->raw_shown;
      g_autoptr (GString) text = g_string_new (shown);

      if (have >= CHUNK_BYTES)
        {
          /* a continuation, no gap: the reply's text goes on */
          self->tail_label = new_label ();
          gtk_widget_set_parent (GTK_WIDGET (self->tail_label), GTK_WIDGET (self));
          g_string_truncate (text, 0);
          have = 0;
        }
      if (have + take > CHUNK_BYTES)
        {
          take = CHUNK_BYTES - have;
          /* never inside a character */
          while (self->raw_shown + take < self->line->len
                 && (self->line->str[self->raw_shown + take] & 0xc0) == 0x80)
            take++;
        }
      g_string_append_len (text, self->line->str + self->raw_shown, (gssize) take);
      gtk_label_set_text (self->tail_label, text->str);
      self->raw_shown += take;
    }
}

static void
show_code_line (SmMarkdownView *self, gboolean finished)
{
  g_autoptr (GString) text = NULL;

  if (self->code_chunk->len > CHUNK_BYTES)
    {
      /* the label holds its lines; the next ones go into a new one */
      g_string_truncate (self->code_chunk, self->code_chunk->len - 1);
      gtk_label_set_text (self->code_label, self->code_chunk->str);
      g_string_truncate (self->code_chunk, 0);
      self->code_label = add_code_label (self->code_lines);
    }
  text = g_string_new (self->code_chunk->str);
  g_string_append_len (text, self->line->str, (gssize) self->line->len);
  gtk_label_set_text (self->code_label, text->str);
  if (finished)
    {
      g_string_append_len (self->code_chunk, self->line->str, (gssize) self->line->len);
      g_string_append_c (self->code_chunk, '\n');
    }
}

static void
close_code (SmMarkdownView *self)
{
  if (self->code_chunk->len > 0 && self->code_chunk->str[self->code_chunk->len - 1] == '\n')
    g_string_truncate (self->code_chunk, self->code_chunk->len - 1);
  gtk_label_set_text (self->code_label, self->code_chunk->str);
  g_string_truncate (self->code_chunk, 0);
  self->in_code = FALSE;
  self->code_lines = NULL;
  self->code_label = NULL;
}

/* Shows the line as it stands; @finished: its newline came. */
static void
show_line (SmMarkdownView *self, gboolean finished)
{
  SmMdLine l;

  if (self->in_code)
    {
      sm_markdown_parse_line (self->line->str, self->line->len, TRUE, &l);
      if (l.kind == SM_MD_FENCE && finished)
        close_code (self);
      else
        show_code_line (self, finished);
      return;
    }
  if (self->raw || self->line->len > CHUNK_BYTES)
    {
      show_raw (self);
      return;
    }

  sm_markdown_parse_line (self->line->str, self->line->len, FALSE, &l);
  if (self->tail != NULL && (l.kind != self->tail_kind || l.level != self->tail_level))
    {
      if (self->tail_kind == SM_MD_FENCE)
        self->code_lines = NULL, self->code_label = NULL;
      drop_tail (self);
    }
  /* an empty line is the gap between blocks, not a block */
  if (self->tail == NULL && l.kind == SM_MD_PARAGRAPH && l.body_len == 0)
    return;
  if (self->tail == NULL)
    self->tail = new_block (self, &l);

  if (l.kind == SM_MD_FENCE)
    {
      g_autofree char *language = g_strndup (l.body, l.body_len);

      gtk_label_set_text (self->tail_label, language);
      if (finished)
        self->in_code = TRUE;
    }
  else if (self->tail_label != NULL)
    {
      g_autofree char *markup = sm_markdown_inline (l.body, l.body_len);
      gtk_label_set_markup (self->tail_label, markup);
    }
}

void
sm_markdown_view_append (SmMarkdownView *self, const char *text, gssize len)
{
  const char *end, *nl;

  g_return_if_fail (SM_IS_MARKDOWN_VIEW (self));

  end = text + (len < 0 ? strlen (text) : (gsize) len);
  while ((nl = memchr (text, '\n', (gsize) (end - text))) != NULL)
    {
      g_string_append_len (self->line, text, nl - text);
      show_line (self, TRUE);
      /* the line is done: its widgets stay as they are */
      g_string_truncate (self->line, 0);
      self->tail = NULL;
      self->tail_label = NULL;
      self->raw = FALSE;
      text = nl + 1;
    }
  if (text < end)
    {
      g_string_append_len (self->line, text, end - text);
      show_line (self, FALSE);
    }
}

void
sm_markdown_view_clear (SmMarkdownView *self)
{
  GtkWidget *child;

  g_return_if_fail (SM_IS_MARKDOWN_VIEW (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_string_truncate (self->line, 0);
  g_string_truncate (self->code_chunk, 0);
  self->tail = NULL;
  self->tail_label = NULL;
  self->raw = FALSE;
  self->in_code = FALSE;
  self->code_lines = NULL;
  self->code_label = NULL;
}

char *
sm_markdown_view_get_code (SmMarkdownView *self, guint index)
{
  g_return_val_if_fail (SM_IS_MARKDOWN_VIEW (self), NULL);

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self)); c;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *lines = g_object_get_data (G_OBJECT (c), "sm-code-lines");

      if (lines != NULL && index-- == 0)
        return block_code (lines);
    }
  return NULL;
}

static void
sm_markdown_view_dispose (GObject *object)
{
  sm_markdown_view_clear (SM_MARKDOWN_VIEW (object));
  G_OBJECT_CLASS (sm_markdown_view_parent_class)->dispose (object);
}

static void
sm_markdown_view_finalize (GObject *object)
{
  SmMarkdownView *self = SM_MARKDOWN_VIEW (object);

  g_string_free (self->line, TRUE);
  g_string_free (self->code_chunk, TRUE);
  G_OBJECT_CLASS (sm_markdown_view_parent_class)->finalize (object);
}

static void
sm_markdown_view_class_init (SmMarkdownViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sm_markdown_view_dispose;
  object_class->finalize = sm_markdown_view_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "markdown");
}

static void
sm_markdown_view_init (SmMarkdownView *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  self->line = g_string_new (NULL);
  self->code_chunk = g_string_new (NULL);
}

GtkWidget *
sm_markdown_view_new (void)
{
  return g_object_new (SM_TYPE_MARKDOWN_VIEW, NULL);
}
