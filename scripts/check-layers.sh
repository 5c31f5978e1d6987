#!/usr/bin/env bash
# The core library's layering rule (shared/CMakeLists.txt, docs/architecture.md): a file in
# shared/<layer>/ includes headers of its own layer and the layers below it, never one above.
# The Control library (shared/control/) is linked by the tools without the core, so it may reach
# only base/, config/ and itself. Prints every include that breaks the rule; exits 1 if any does.
set -euo pipefail
shared=${1:-$(cd "$(dirname "$0")/../shared" && pwd)}
layers=(base config sql cluster session control api)

layer_index() {
    local i
    for i in "${!layers[@]}"; do
        [[ ${layers[$i]} == "$1" ]] && { echo "$i"; return; }
    done
    echo -1
}

declare -A header_layer
for layer in "${layers[@]}"; do
    [[ -d $shared/$layer ]] || { echo "missing layer folder: $shared/$layer" >&2; exit 1; }
    for header in "$shared/$layer"/*.h; do
        [[ -e $header ]] && header_layer[$(basename "$header")]=$layer
    done
done

# Nothing of ours may sit outside a layer folder.
stray=$(find "$shared" -maxdepth 1 -name '*.h' -o -maxdepth 1 -name '*.cpp' | sort)
if [[ -n $stray ]]; then
    echo "files outside a layer folder:" >&2
    echo "$stray" >&2
    exit 1
fi

violations=0
checked=0
for layer in "${layers[@]}"; do
    own=$(layer_index "$layer")
    for file in "$shared/$layer"/*.h "$shared/$layer"/*.cpp; do
        [[ -e $file ]] || continue
        while IFS= read -r included; do
            [[ -n $included ]] || continue
            target=${header_layer[$included]:-}
            [[ -n $target ]] || continue # Qt, libpq or a generated .moc
            checked=$((checked + 1))
            if (( $(layer_index "$target") > own )); then
                echo "upward include: $layer/$(basename "$file") includes $target/$included"
                violations=$((violations + 1))
            elif [[ $layer == control && $target != base && $target != config && $target != control ]]; then
                echo "Control library reaches the core: control/$(basename "$file") includes $target/$included"
                violations=$((violations + 1))
            fi
        done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"/]+\.h)[>"].*/\1/p' "$file")
    done
done
echo "layering: $checked includes between our headers checked, $violations breaking the rule"
(( violations == 0 ))
