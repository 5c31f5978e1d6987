#!/usr/bin/env bash
# A man page from a program's --help and --version, for machines without help2man.
# Usage: help2man-lite.sh PROGRAM "one-line description" OUTPUT
set -euo pipefail
program=$1
description=$2
output=$3
name=$(basename "$program")
version=$("$program" --version | head -n 1)
escape() { sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/'; }
{
    echo ".TH ${name^^} 1 \"\" \"$version\" \"User Commands\""
    echo ".SH NAME"
    echo "$name \\- $description"
    echo ".SH DESCRIPTION"
    echo ".nf"
    "$program" --help | escape
    echo ".fi"
} >"$output"
