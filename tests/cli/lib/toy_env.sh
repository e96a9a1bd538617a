# Sourced by CLI tests (cwd = repository root): fail(), a scratch directory $tmp removed on exit,
# the toy data made in $tmp/data/toy ($d), and in toy_data the --set arguments that point a
# config at it.
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TINYNMT_DATA_DIR="$tmp/data" bash scripts/get_data.sh toy >/dev/null 2>&1 || fail "get_data.sh toy"
d="$tmp/data/toy"
toy_data=(--set data.train.src="$d/train.src" --set data.train.tgt="$d/train.tgt"
          --set data.dev.src="$d/dev.src" --set data.dev.tgt="$d/dev.tgt"
          --set data.test.src="$d/test.src" --set data.test.tgt="$d/test.tgt")
