#!/usr/bin/env bash
# Regenerate profsql's pprof test fixtures in tests/fixtures/.
#
#   scripts/gen-fixtures.sh              build the Go programs in
#                                        scripts/fixtures-src/, run them to
#                                        write new profiles, then write the
#                                        reference outputs and README.md
#   scripts/gen-fixtures.sh --refs-only  keep the profiles; only rewrite the
#                                        reference outputs (for every
#                                        tests/fixtures/*.pb.gz) and README.md
#
# Profile contents depend on timing, so a full run changes every number:
# the references are only valid for the profiles written alongside them.
# Needs go (Debian's golang-go is installed with apt-get if missing) and
# python3.
set -euo pipefail

refs_only=0
case "${1:-}" in
  "") ;;
  --refs-only) refs_only=1 ;;
  *) echo "usage: $0 [--refs-only]" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$repo/scripts/fixtures-src"
out="$repo/tests/fixtures"
parser="$repo/scripts/pprof_exact.py"

if ! command -v go >/dev/null 2>&1; then
  echo "gen-fixtures: go not found; installing Debian's golang-go" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y golang-go
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "gen-fixtures: python3 not found; installing it" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y python3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin="$work/bin"
empty="$work/empty-binary-path"
mkdir -p "$bin" "$empty" "$out"

# Our programs have no dependencies: never reach for a module proxy.
export GOPROXY=off GOFLAGS= GO111MODULE=on

progs=(cpuwork labels heap contention goroutines)
generated=(cpu.pb.gz labels.cpu.pb.gz heap.pb.gz mutex.pb.gz block.pb.gz
  goroutine.pb.gz synthetic.cpu.pb.gz synthetic.heap.pb.gz)

if [ "$refs_only" = 0 ]; then
  for p in "${progs[@]}"; do
    echo "gen-fixtures: building $p" >&2
    (cd "$src/$p" && go build -trimpath -o "$bin/$p" .)
  done

  # Remove what a previous run generated (profiles and their references).
  for P in "${generated[@]}"; do rm -f "$out/$P" "$out/$P".*; done

  echo "gen-fixtures: running programs" >&2
  # CPU profiles: async preemption would otherwise attribute many samples
  # to runtime.asyncPreempt.
  GODEBUG=asyncpreemptoff=1 "$bin/cpuwork" "$out/cpu.pb.gz"
  GODEBUG=asyncpreemptoff=1 "$bin/labels" "$out/labels.cpu.pb.gz"
  "$bin/heap" "$out/heap.pb.gz"
  "$bin/contention" "$out/mutex.pb.gz" "$out/block.pb.gz"
  "$bin/goroutines" "$out/goroutine.pb.gz"

  # Our synthetic generator: unsymbolized frames, inlined lines, deep recursion and labels
  # that the Go programs do not reliably produce. Deterministic for the seed.
  for kind in cpu heap; do
    (cd "$repo" && cargo run --quiet --example gen_profile -- --samples 3000 --depth 24 \
      --functions 200 --seed 1 --kind "$kind" --out "$out/synthetic.$kind.pb.gz")
  done
fi
# The profiles are already symbolized; make sure pprof cannot find (and
# re-symbolize from) the binaries at their recorded mapping paths.
rm -rf "$bin"

shopt -s nullglob
profiles=()
for f in "$out"/*.pb.gz; do profiles+=("$(basename "$f")"); done
if [ "${#profiles[@]}" = 0 ]; then
  echo "gen-fixtures: no profiles in $out" >&2
  exit 1
fi

# Run `go tool pprof` in tests/fixtures on the profile's basename, with an
# empty binary search path; stdout goes to the named file.
pp() {
  local dest=$1; shift
  (cd "$out" && PPROF_BINARY_PATH="$empty" go tool pprof "$@") >"$dest.tmp"
  mv "$dest.tmp" "$dest"
}

all="-nodecount=0 -nodefraction=0 -edgefraction=0"
summary="$work/summary.md"
: >"$summary"
for P in "${profiles[@]}"; do
  echo "gen-fixtures: references for $P" >&2
  rm -f "$out/$P".*
  pp "$out/$P.raw.txt" -raw "$P"
  # shellcheck disable=SC2086
  pp "$out/$P.topall.txt" -top $all "$P"
  # shellcheck disable=SC2086
  pp "$out/$P.cumall.txt" -top -cum $all "$P"
  python3 "$parser" sample-types "$out/$P.raw.txt" >"$out/$P.sample_types"

  cells=()
  while IFS= read -r line; do
    case "$line" in
      default=*) continue ;;
    esac
    T=${line%%/*}
    U=${line#*/}
    unitflag=$(python3 "$parser" unit-flag "$U")
    args=(-top $all "-sample_index=$T")
    if [ -n "$unitflag" ]; then args+=("-unit=$unitflag"); fi
    pp "$work/top.txt" "${args[@]}" "$P"
    python3 "$parser" exact "$work/top.txt" \
      "$out/$P.exact.$T.tsv" "$out/$P.total.$T"
    total=$(cat "$out/$P.total.$T")
    rows=$(wc -l <"$out/$P.exact.$T.tsv")
    cells+=("$T/$U: total $total${unitflag:+ $unitflag}, $rows functions")
  done <"$out/$P.sample_types"
  default=$(sed -n 's/^default=//p' "$out/$P.sample_types")
  {
    printf '| `%s` | %s | `%s` |\n' "$P" \
      "$(printf '%s; ' "${cells[@]}" | sed 's/; $//')" "$default"
  } >>"$summary"
done

goversion=$(go version)
pprofversion=$(sed -n 's|^# github.com/google/pprof ||p' \
  "$(go env GOROOT)/src/cmd/vendor/modules.txt" 2>/dev/null || true)

cat >"$out/README.md" <<EOF
# profsql test fixtures

Real pprof profiles written by small Go programs, plus reference outputs
from \`go tool pprof\`. Everything here (this README included) is written by
\`scripts/gen-fixtures.sh\`; regenerate with

    scripts/gen-fixtures.sh              # new profiles + references
    scripts/gen-fixtures.sh --refs-only  # references for the profiles here

Profile contents are timing-dependent (CPU samples, contention delays,
runtime allocations), so every regeneration changes the numbers: the
reference files are only valid for the exact profiles they sit beside.

Generated with \`$goversion\` (its vendored pprof is
\`github.com/google/pprof ${pprofversion:-unknown}\`) on a $(nproc)-CPU $(uname -m) machine.

## Profiles

The programs are in \`scripts/fixtures-src/<prog>/main.go\` (one module each,
\`example.com/profsql-fixtures/<prog>\`, no dependencies), built with
\`go build -trimpath\` into a temporary directory (that path is what the
profiles' mappings name; the binaries are deleted before pprof runs, so
nothing is re-symbolized).

| file | program | what |
| --- | --- | --- |
| \`cpu.pb.gz\` | \`cpuwork\` | CPU profile (\`pprof.StartCPUProfile\`, 100 Hz), ~2.5 s of work in 0.5 s slices: sha256 hashing, sorting ints and strings, regexp matching, JSON encoding, recursion (\`main.fib\`, mutually recursive \`main.walk\`/\`main.walkOdd\`) with inlined helpers (\`main.mix\`, \`main.square\`). Run with \`GODEBUG=asyncpreemptoff=1\`. |
| \`labels.cpu.pb.gz\` | \`labels\` | CPU profile, ~2.5 s, work under \`pprof.Do\` labels: \`tenant\` ∈ {t1, t2, t3} (t2 does 2x, t3 3x the work of t1); nested in it \`op\` ∈ {hash, sort}; nested in tenant=t3,op=hash a third label \`stage\`=final; a checksum loop with only \`tenant\`; unlabeled JSON encoding + recursion. Run with \`GODEBUG=asyncpreemptoff=1\`. |
| \`heap.pb.gz\` | \`heap\` | \`pprof.Lookup("allocs")\` profile with \`runtime.MemProfileRate=1\` (every allocation recorded), after a \`runtime.GC()\`: 4 sample types alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes; the default type is **alloc_space** (marked \`[dflt]\` in \`-raw\`, so it is *not* the last type); samples carry the numeric label \`bytes\`. Call sites: \`main.buildTree\` (recursive, kept + garbage), \`main.bigBuffers\` (large slices, half kept), \`main.smallMaps\` (kept), \`main.garbageStrings\` (all garbage), \`main.builder\` (bytes.Buffer growth), plus runtime start-up allocations. |
| \`mutex.pb.gz\` | \`contention\` | mutex profile (\`runtime.SetMutexProfileFraction(1)\`): six goroutines on a hot \`sync.Mutex\` (\`main.hotLoop\`), readers and a writer on a \`sync.RWMutex\`. Sample types contentions/count, delay/nanoseconds. |
| \`block.pb.gz\` | \`contention\` | block profile (\`runtime.SetBlockProfileRate(1)\`) of the same run: mutex waits, chan send/receive (producer/consumer), \`select\`, \`sync.WaitGroup.Wait\`. |
| \`goroutine.pb.gz\` | \`goroutines\` | goroutine profile (\`pprof.Lookup("goroutine").WriteTo(f, 0)\`) with 32 goroutines: parked in chan receive (6), chan send (3), select (4), Mutex (3), RWMutex (2), Cond (2), WaitGroup (2), Sleep (3), 6 workers started under labels \`pool\` ∈ {io, cpu} × \`worker\` ∈ {0, 1, 2}, and main (writing the profile). |

## Reference files

Beside each profile \`P\`, produced by running \`go tool pprof\` in this
folder on the basename, with \`PPROF_BINARY_PATH\` set to an empty directory:

| file | content |
| --- | --- |
| \`P.raw.txt\` | \`go tool pprof -raw P\` |
| \`P.topall.txt\` | \`go tool pprof -top -nodecount=0 -nodefraction=0 -edgefraction=0 P\` |
| \`P.cumall.txt\` | \`go tool pprof -top -cum -nodecount=0 -nodefraction=0 -edgefraction=0 P\` |
| \`P.sample_types\` | the sample types \`type/unit\`, one a line in profile order, then \`default=<type>\`: the type marked \`[dflt]\` in \`-raw\`, else the last one (pprof's rule; runtime/pprof marks a default only in the allocs profile) |
| \`P.exact.T.tsv\` | for each sample type \`T\`: \`name<TAB>flat<TAB>cum\` (no header) for every function row of \`go tool pprof -top -nodecount=0 -nodefraction=0 -edgefraction=0 -sample_index=T -unit=U P\`, in pprof's row order, values as plain integers in the type's own unit. \`U\` is \`ns\` for nanoseconds, \`B\` for bytes, and \`-unit\` is not passed for counts. The unit suffix and a trailing \` (inline)\` / \` (partial-inline)\` on names are removed. |
| \`P.total.T\` | the report total for type \`T\`: \`Z\` from that run's \`Showing nodes accounting for X, Y% of Z total\`, an integer in the type's unit |

The parsing is done by \`scripts/pprof_exact.py\`, which fails if a value is
not an integer.

Notes:

- The set of rows differs between sample types of one profile: pprof leaves
  out functions whose flat and cum are both 0 for the chosen type (e.g. the
  heap profile's inuse_* types have fewer rows than alloc_*, garbage-only
  call sites drop out).
- With every node kept, the flat column of each \`P.exact.T.tsv\` sums to
  \`P.total.T\`, which equals the sum of that type's values in \`P.raw.txt\`.
- A CPU total can be larger than \`main.main\`'s cum: samples taken in
  runtime goroutines (GC workers, scheduler) are outside \`main\`.
- The mutex profile's values are scaled by the *current*
  \`runtime.SetMutexProfileFraction\` when it is written, so the program
  leaves the fraction at 1 until after writing (resetting it to 0 first
  produces an all-zero profile).
- The profiles' mappings name the temporary build directory, e.g.
  \`/tmp/tmp.XXXXXXXXXX/bin/cpuwork\`; pprof shows only the basename in its
  \`File:\` line, but \`P.raw.txt\` prints the full path.

## Summary of this generation

| profile | sample types: total (unit), function rows | default |
| --- | --- | --- |
$(cat "$summary")
EOF

echo "gen-fixtures: done" >&2
du -sh "$out" >&2
