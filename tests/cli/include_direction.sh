#!/usr/bin/env bash
# Layering: #include lines in src/ and models/ only run downward in the folder order of
# scripts/layers.txt (scripts/check_includes.sh); run from the source root, the binary is unused.
set -u
bash scripts/check_includes.sh || { echo "FAIL: include direction"; exit 1; }
