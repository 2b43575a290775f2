/* sm-wrap-layout.c: the width of a wrapping label without its character-a-line layout. */
#include "sm-wrap-layout.h"

struct _SmWrapLayout
{
  GtkLayoutManager parent_instance;
  int              one_char;   /* px, measured once: font metrics cost a fontset's loading */
};

G_DEFINE_FINAL_TYPE (SmWrapLayout, sm_wrap_layout, GTK_TYPE_LAYOUT_MANAGER)

/* Bytes past which a label's natural width is WIDE pixels instead of measured. */
#define LONG_TEXT 1024
#define WIDE 10000

/* A widget with a layout manager is measured and allocated by it instead of by its class, so
 * the label's own measure and size_allocate are reached through its class. */
static GtkWidgetClass *
label_class (void)
{
  return GTK_WIDGET_CLASS (g_type_class_peek (GTK_TYPE_LABEL));
}

static GtkSizeRequestMode
sm_wrap_layout_get_request_mode (GtkLayoutManager *manager, GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
sm_wrap_layout_measure (GtkLayoutManager *manager,
                        GtkWidget        *widget,
                        GtkOrientation    orientation,
                        int               for_size,
                        int              *minimum,
                        int              *natural,
                        int              *minimum_baseline,
                        int              *natural_baseline)
{
  SmWrapLayout *self = SM_WRAP_LAYOUT (manager);
  PangoLayout *layout;
  PangoFontMetrics *metrics;
  int width, one_char;

  if (orientation == GTK_ORIENTATION_VERTICAL)
    {
      label_class ()->measure (widget, orientation, for_size, minimum, natural,
                               minimum_baseline, natural_baseline);
      return;
    }

  layout = gtk_label_get_layout (GTK_LABEL (widget));
  /* minimum: a character, which word-or-character wrapping can break down to */
  if (self->one_char <= 0)
    {
      metrics = pango_context_get_metrics (pango_layout_get_context (layout), NULL, NULL);
      self->one_char = MAX (1, PANGO_PIXELS_CEIL (pango_font_metrics_get_approximate_char_width (metrics)));
      pango_font_metrics_unref (metrics);
    }
  one_char = self->one_char;

  /* natural: the text on as few lines as its newlines allow, as GtkLabel's natural width;
   * for a long text, wider than a screen without laying it out (4 ms for 4 KB of short lines,
   * and GTK measures every label of a conversation again when a message is added): the text
   * fills its bubble either way */
  if (strlen (gtk_label_get_text (GTK_LABEL (widget))) > LONG_TEXT)
    width = WIDE;
  else
    {
      PangoLayout *copy = pango_layout_copy (layout);

      pango_layout_set_width (copy, -1);
      pango_layout_get_pixel_size (copy, &width, NULL);
      g_object_unref (copy);
    }

  *minimum = MIN (width, one_char);
  *natural = width;
}

static void
sm_wrap_layout_allocate (GtkLayoutManager *manager,
                         GtkWidget        *widget,
                         int               width,
                         int               height,
                         int               baseline)
{
  label_class ()->size_allocate (widget, width, height, baseline);
}

static void
sm_wrap_layout_class_init (SmWrapLayoutClass *klass)
{
  GtkLayoutManagerClass *manager_class = GTK_LAYOUT_MANAGER_CLASS (klass);

  manager_class->get_request_mode = sm_wrap_layout_get_request_mode;
  manager_class->measure = sm_wrap_layout_measure;
  manager_class->allocate = sm_wrap_layout_allocate;
}

static void
sm_wrap_layout_init (SmWrapLayout *self)
{
}

void
sm_wrap_layout_attach (GtkLabel *label)
{
  g_return_if_fail (GTK_IS_LABEL (label));
  g_return_if_fail (gtk_label_get_wrap (label));

  gtk_widget_set_layout_manager (GTK_WIDGET (label), g_object_new (SM_TYPE_WRAP_LAYOUT, NULL));
}
