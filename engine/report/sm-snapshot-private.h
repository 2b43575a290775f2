/* sm-snapshot-private.h: what the snapshot's two files share (sm-snapshot.c, the snapshot;
 * sm-snapshot-json.c, its JSON form). */
#pragma once

#include "sm-snapshot.h"

G_BEGIN_DECLS

/* An empty snapshot with every array made, of the current schema. */
SmSnapshot *sm_snapshot_alloc (void);

G_END_DECLS
