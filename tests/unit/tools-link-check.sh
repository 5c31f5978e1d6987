#!/usr/bin/env bash
# qpsqlha-ctl and qpsqlha-monitor link QPsqlHa::Control, never the core: neither libpq nor Qt SQL
# may be loaded into them (directly or through a library they load).
set -euo pipefail
status=0
for tool in "$@"; do
    libraries=$(ldd "$tool")
    grep -q 'libqpsqlhacontrol' <<<"$libraries" || { echo "FAIL: $tool does not load libqpsqlhacontrol"; status=1; }
    for forbidden in libpq libQt6Sql libqpsqlhacore; do
        if grep -q "$forbidden" <<<"$libraries"; then
            echo "FAIL: $(basename "$tool") loads $forbidden:"
            grep "$forbidden" <<<"$libraries"
            status=1
        fi
    done
    [[ $status == 0 ]] && echo "PASS: $(basename "$tool") loads neither libpq nor Qt SQL nor the core"
done
exit $status
