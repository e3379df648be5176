#!/usr/bin/env bash
# The release build: routesim compiled with profile-guided optimisation (PGO).
#
#   scripts/build-pgo.sh            # writes target/pgo/release/routesim
#
# What it does, in order (about 6 minutes on 2 cores):
#  1. finds an llvm-profdata that reads the profiles of this rustc's LLVM: $LLVM_PROFDATA, rustup's
#     llvm-tools component (exact version), or Debian's llvm-N (N from rustc's LLVM version
#     down to 19); on Debian, as root, with none of them, it installs the newest llvm-N there is;
#  2. builds routesim instrumented (target/pgo-gen) and runs the training set: every bundled
#     example in scenarios/ (not scenarios/bench/: the benchmarks measure what the training did
#     not see), once as it is, once with --out, and one with 3 replications on 2 threads;
#  3. builds routesim with the merged profile (target/pgo);
#  4. checks that the PGO build's output is byte-identical to the plain `cargo build --release`
#     on every bundled scenario and benchmark (JSON, and every file of --out for the examples).
#     Optimisation must not change a single figure; if one differs, the script fails (exit 1)
#     and the binary must not be shipped.
#
# Exit 0: the binary is ready. 1: a step failed (it says which). Needs bash, cargo, cmp.
# Not run by .ci/run: it takes minutes and its point is the shipped binary, which CI does not make.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

say() { printf 'build-pgo: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

llvm_major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
[ -n "$llvm_major" ] || die "cannot read rustc's LLVM version from 'rustc -vV'"

find_profdata() {
  if [ -n "${LLVM_PROFDATA:-}" ]; then
    echo "$LLVM_PROFDATA"; return
  fi
  local host sysroot n
  host=$(rustc -vV | sed -n 's/^host: //p')
  sysroot=$(rustc --print sysroot)
  if [ -x "$sysroot/lib/rustlib/$host/bin/llvm-profdata" ]; then
    echo "$sysroot/lib/rustlib/$host/bin/llvm-profdata"; return
  fi
  for n in $(seq "$llvm_major" -1 19); do
    for p in "llvm-profdata-$n" "/usr/lib/llvm-$n/bin/llvm-profdata"; do
      if command -v "$p" >/dev/null 2>&1; then command -v "$p"; return; fi
    done
  done
}

profdata=$(find_profdata)
if [ -z "$profdata" ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  # The newest Debian llvm-N not above rustc's own: older readers refuse newer profile formats.
  pkg=$(apt-cache search --names-only '^llvm-[0-9]+$' 2>/dev/null | cut -d' ' -f1 |
    sed 's/^llvm-//' | awk -v m="$llvm_major" '$1 >= 19 && $1 <= m' | sort -n | tail -1)
  if [ -n "$pkg" ]; then
    say "installing Debian's llvm-$pkg for llvm-profdata"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "llvm-$pkg" >&2
    profdata=$(find_profdata)
  fi
fi
[ -n "$profdata" ] || die "no llvm-profdata found for rustc's LLVM $llvm_major: run 'rustup component add llvm-tools', or install Debian's llvm-19 or newer, or set LLVM_PROFDATA"
say "llvm-profdata: $profdata ($("$profdata" --version 2>&1 | grep -o 'version [0-9.]*' | head -1)); rustc's LLVM $llvm_major"

gen="$repo/target/pgo-gen"
use="$repo/target/pgo"
raw="$gen/profiles"
rm -rf "$raw"
mkdir -p "$raw"

say "1/4 building the instrumented binary (target/pgo-gen)"
RUSTFLAGS="-Cprofile-generate=$raw" CARGO_TARGET_DIR="$gen" cargo build --release --quiet \
  || die "the instrumented build failed"

say "2/4 training on the bundled examples (scenarios/*.toml)"
train=$(mktemp -d)
trap 'rm -rf "$train"' EXIT
examples=(scenarios/*.toml)
[ ${#examples[@]} -gt 0 ] && [ -e "${examples[0]}" ] || die "no scenarios/*.toml to train on"
for s in "${examples[@]}"; do
  name=$(basename "$s" .toml)
  LLVM_PROFILE_FILE="$raw/%p-%m.profraw" "$gen/release/routesim" run "$s" --quiet --format json \
    > /dev/null || die "training run failed: routesim run $s"
  LLVM_PROFILE_FILE="$raw/%p-%m.profraw" "$gen/release/routesim" run "$s" --quiet \
    --out "$train/$name" > /dev/null || die "training run failed: routesim run $s --out"
done
LLVM_PROFILE_FILE="$raw/%p-%m.profraw" "$gen/release/routesim" run "${examples[0]}" --quiet \
  --format json --replications 3 --threads 2 > /dev/null \
  || die "training run failed: routesim run ${examples[0]} --replications 3 --threads 2"
"$profdata" merge -o "$gen/merged.profdata" "$raw"/*.profraw 2> "$gen/merge.log" ||
  die "llvm-profdata could not merge the profiles ($(head -1 "$gen/merge.log")): it must read rustc's LLVM $llvm_major format; try 'rustup component add llvm-tools' or set LLVM_PROFDATA"
if grep -q 'unsupported' "$gen/merge.log"; then
  die "llvm-profdata skipped profiles it cannot read ($(head -1 "$gen/merge.log")); try 'rustup component add llvm-tools' or set LLVM_PROFDATA"
fi

say "3/4 building with the profile (target/pgo)"
RUSTFLAGS="-Cprofile-use=$gen/merged.profdata" CARGO_TARGET_DIR="$use" cargo build --release \
  --quiet || die "the build with the profile failed"

say "4/4 checking the output against the plain build (cargo build --release)"
cargo build --release --quiet || die "the plain build failed"
plain="$repo/target/release/routesim"
pgo="$use/release/routesim"
for s in scenarios/*.toml scenarios/bench/*.toml; do
  "$plain" run "$s" --quiet --format json --threads 1 > "$train/plain.json"
  "$pgo" run "$s" --quiet --format json --threads 1 > "$train/pgo.json"
  cmp -s "$train/plain.json" "$train/pgo.json" ||
    die "the PGO build's output differs from the plain build's on $s: do not ship it"
done
for s in "${examples[@]}"; do
  rm -rf "$train/a" "$train/b"
  "$plain" run "$s" --quiet --out "$train/a" > /dev/null
  "$pgo" run "$s" --quiet --out "$train/b" > /dev/null
  diff -r -q "$train/a" "$train/b" > /dev/null ||
    die "the PGO build's --out files differ from the plain build's on $s: do not ship it"
done
say "done: $pgo (output byte-identical to target/release/routesim on every bundled scenario)"
echo "$pgo"
