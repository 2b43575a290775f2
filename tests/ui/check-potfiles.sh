#!/bin/sh
# check-potfiles.sh SOURCE_ROOT: every file with user-visible strings is in po/POTFILES, and
# every file POTFILES names exists.
cd "$1" || exit 1
status=0
for f in $(grep -lE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|ngettext) ?\(|translatable="yes"' \
             ui/*.c ui/*.ui ui/gtk/*.ui app/smallmind.c engine/*.c engine/*/*.c 2>/dev/null) \
         data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml; do
  [ -f "$f" ] || continue
  if ! grep -qx "$f" po/POTFILES; then
    echo "not in po/POTFILES: $f"
    status=1
  fi
done
while read -r f; do
  case "$f" in ''|'#'*) continue ;; esac
  if [ ! -f "$f" ]; then
    echo "po/POTFILES names a missing file: $f"
    status=1
  fi
done < po/POTFILES
[ $status -eq 0 ] && echo "po/POTFILES lists every file with strings"
exit $status
