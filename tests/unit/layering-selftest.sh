#!/usr/bin/env bash
# The layering check must catch what it is for: an include from a lower layer to a higher one,
# and the Control library reaching into the core. Runs it on small synthetic trees.
set -euo pipefail
check=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make_tree() {
    rm -rf "$tmp/shared"
    for layer in base config sql cluster session control api; do mkdir -p "$tmp/shared/$layer"; done
    echo '#include <qpsqlhaglobal.h>' >"$tmp/shared/config/qpsqlhaconfig.h"
    : >"$tmp/shared/base/qpsqlhaglobal.h"
    : >"$tmp/shared/session/qpsqlhasession_p.h"
    : >"$tmp/shared/api/qpsqlhaapi.h"
}
make_tree
bash "$check" "$tmp/shared" >/dev/null || { echo "FAIL: a clean tree was refused"; exit 1; }
echo '#include "qpsqlhaapi.h"' >"$tmp/shared/config/qpsqlhaconfig.cpp"
if bash "$check" "$tmp/shared"; then echo "FAIL: config/ including api/ passed"; exit 1; fi
make_tree
echo '#include "qpsqlhasession_p.h"' >"$tmp/shared/control/qpsqlhacontrolclient.cpp"
if bash "$check" "$tmp/shared"; then echo "FAIL: control/ including session/ passed"; exit 1; fi
make_tree
: >"$tmp/shared/qpsqlhastray.cpp"
if bash "$check" "$tmp/shared" 2>/dev/null; then echo "FAIL: a file outside the layers passed"; exit 1; fi
echo "PASS: the layering check refuses an upward include, control/ reaching the core and a stray file"
