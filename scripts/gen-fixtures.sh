#!/usr/bin/env bash
# Regenerate profsql's pprof test fixtures in tests/fixtures/.
#
#   scripts/gen-fixtures.sh              build the Go programs in
#                                        scripts/fixtures-src/, run them (and
#                                        examples/gen_profile.rs) to write new
#                                        profiles, then write the reference
#                                        outputs, MANIFEST.tsv and README.md
#   scripts/gen-fixtures.sh --refs-only  keep the profiles; only rewrite the
#                                        reference outputs (for every
#                                        tests/fixtures/*.pb.gz), MANIFEST.tsv
#                                        and README.md
#   scripts/gen-fixtures.sh --missing    keep the profiles that exist; build
#                                        and run only the programs (and
#                                        examples/gen_profile.rs) that write
#                                        a profile of the "order" list below
#                                        that is not in tests/fixtures yet,
#                                        add just the missing profiles, then
#                                        rewrite all references, MANIFEST.tsv
#                                        and README.md as --refs-only does
#                                        (an existing profile's references
#                                        come out unchanged)
#
# Profile contents depend on timing, so a full run changes every number:
# the references are only valid for the profiles written alongside them.
# Needs go (Debian's golang-go is installed with apt-get if missing),
# python3 and cargo (--missing: only if a synthetic profile is missing).
set -euo pipefail
export LC_ALL=C

mode=full
case "${1:-}" in
  "") ;;
  --refs-only) mode=refs ;;
  --missing) mode=missing ;;
  *) echo "usage: $0 [--refs-only | --missing]" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$repo/scripts/fixtures-src"
out="$repo/tests/fixtures"
parser="$repo/scripts/pprof_exact.py"

# ---------------------------------------------------------------------------
# Regexes and label filters per profile.
#
# Every report option that takes a regex (or a tag filter) gets its value
# from this table: `profile option value`, whitespace-separated, values
# without whitespace, read literally (backslashes are regex escapes, for
# pprof). Each value was chosen to match a real, mid-sized part of that
# profile (a subtree of 5-50% of the total), with names that a regenerated
# profile keeps. A profile with no row for an option gets no reference for
# it; `like OTHER` reuses OTHER's rows for the options it does not set
# itself. `relpct` and `focus_traces` use `focus` unless set.
# -prune_from cuts each stack below its matching frame nearest the leaf, so
# its regex names a function whose callees do not match (`^sort\.` would
# change nothing: the leaf sort.partition matches itself). pprof matches it
# against the name cut at its first `(` (simplifyFunc), so it cannot name a
# method: `pkg.(*T).M` is matched as `pkg.` (a regex with `\(` never matches).
# `sample_index` is the -sample_index for every reference of this table's
# options (for a heap profile whose default type, inuse_space, lacks the
# part the regexes are about); without it pprof's default type is used.
#   focus ignore hide show show_from prune_from   -top -OPTION=value
#   peek                                          -peek value
#   list                                          -list value (Go stdlib
#                                                 function; source in GOROOT)
#   list_missing                                  -list value (own function,
#                                                 its file is not found)
#   tagfocus tagignore                            -top -OPTION=key=value
#   tagfocus_num                                  -top -tagfocus=key=range
#   tagshow                                       -tags -tagshow=key
#   tagroot                                       -top -cum -tagroot=key
#   traces skip                                   no -traces reference (too
#                                                 big: 3.6 MB each)
#   sample_index                                  -sample_index=value added
#                                                 to all of the above
regex_table=$(cat <<'EOF'
cpu.pb.gz                   focus         main\.sortWork
cpu.pb.gz                   ignore        main\.recursionWork
cpu.pb.gz                   hide          ^runtime\.
cpu.pb.gz                   show          ^main\.
cpu.pb.gz                   show_from     ^main\.recursionWork$
cpu.pb.gz                   prune_from    ^main\.sortWork$
cpu.pb.gz                   peek          ^main\.sortWork$
cpu.pb.gz                   list          ^sort\.partition$
cpu.pb.gz                   list_missing  ^main\.fib$
before.cpu.pb.gz            like          cpu.pb.gz
after.cpu.pb.gz             like          cpu.pb.gz
labels.cpu.pb.gz            focus         main\.hashRounds
labels.cpu.pb.gz            ignore        main\.unlabeled
labels.cpu.pb.gz            hide          ^runtime\.
labels.cpu.pb.gz            show          ^main\.
labels.cpu.pb.gz            show_from     ^main\.tenantWork$
labels.cpu.pb.gz            prune_from    ^main\.sortRounds$
labels.cpu.pb.gz            peek          ^main\.tenantWork$
labels.cpu.pb.gz            list          ^sort\.partition$
labels.cpu.pb.gz            list_missing  ^main\.sortRounds$
labels.cpu.pb.gz            tagfocus      tenant=t2
labels.cpu.pb.gz            tagignore     op=sort
labels.cpu.pb.gz            tagshow       tenant
labels.cpu.pb.gz            tagroot       tenant
heap.pb.gz                  focus         main\.buildTree
heap.pb.gz                  ignore        main\.bigBuffers
heap.pb.gz                  hide          ^runtime\.
heap.pb.gz                  show          ^main\.
heap.pb.gz                  show_from     ^main\.builder$
heap.pb.gz                  prune_from    ^fmt\.Fprintf$
heap.pb.gz                  peek          ^main\.builder$
heap.pb.gz                  focus_traces  main\.builder
heap.pb.gz                  list_missing  ^main\.buildTree$
heap.pb.gz                  tagfocus_num  bytes=1kb:
heap.pb.gz                  tagignore     bytes=1kb:
heap.pb.gz                  tagshow       bytes
heap.pb.gz                  tagroot       bytes
mutex.pb.gz                 focus         main\.writer
mutex.pb.gz                 ignore        main\.hotLoop
mutex.pb.gz                 hide          ^sync\.
mutex.pb.gz                 show          ^main\.
mutex.pb.gz                 show_from     ^main\.writer$
mutex.pb.gz                 prune_from    ^main\.hotLoop$
mutex.pb.gz                 peek          ^main\.hotLoop$
mutex.pb.gz                 list_missing  ^main\.hotLoop$
block.pb.gz                 focus         main\.feed
block.pb.gz                 ignore        main\.hotLoop
block.pb.gz                 hide          ^runtime\.
block.pb.gz                 show          ^main\.
block.pb.gz                 show_from     ^main\.main$
block.pb.gz                 prune_from    ^main\.feed$
block.pb.gz                 peek          ^main\.feed$
block.pb.gz                 list_missing  ^main\.feed$
goroutine.pb.gz             focus         main\.worker
goroutine.pb.gz             ignore        main\.recvForever
goroutine.pb.gz             hide          ^runtime\.
goroutine.pb.gz             show          ^main\.
goroutine.pb.gz             show_from     ^main\.lockForever$
goroutine.pb.gz             prune_from    ^sync\.
goroutine.pb.gz             peek          ^runtime\.gopark$
goroutine.pb.gz             list_missing  ^main\.worker$
goroutine.pb.gz             tagfocus      pool=io
goroutine.pb.gz             tagignore     pool=cpu
goroutine.pb.gz             tagshow       pool
goroutine.pb.gz             tagroot       pool
synthetic.cpu.pb.gz         focus         storage\.handle11$
synthetic.cpu.pb.gz         ignore        executor\.handle66$
synthetic.cpu.pb.gz         hide          ^example\.com/svc/internal\.
synthetic.cpu.pb.gz         show          ^example\.com/svc/(scheduler|planner)\.
synthetic.cpu.pb.gz         show_from     storage\.handle11$
synthetic.cpu.pb.gz         prune_from    planner\.step49$
synthetic.cpu.pb.gz         peek          ^example\.com/svc/scheduler\.handle16$
synthetic.cpu.pb.gz         list_missing  ^example\.com/svc/scheduler\.handle16$
synthetic.cpu.pb.gz         traces        skip
synthetic.cpu.pb.gz         focus_traces  index\.step189$
synthetic.cpu.pb.gz         tagfocus      endpoint=/api/ingest
synthetic.cpu.pb.gz         tagignore     worker=w0
synthetic.cpu.pb.gz         tagshow       endpoint
synthetic.cpu.pb.gz         tagroot       worker
synthetic.heap.pb.gz        tagfocus_num  bytes=1kb:
synthetic.heap.pb.gz        like          synthetic.cpu.pb.gz
synthetic.before.cpu.pb.gz  focus         rpc\.Decode\[\.\.\.\]38$
synthetic.before.cpu.pb.gz  ignore        cache\.handle31$
synthetic.before.cpu.pb.gz  hide          ^example\.com/svc/internal\.
synthetic.before.cpu.pb.gz  show          ^example\.com/svc/(scheduler|storage)\.
synthetic.before.cpu.pb.gz  show_from     storage\.handle11$
synthetic.before.cpu.pb.gz  prune_from    executor\.Decode\[\.\.\.\]18$
synthetic.before.cpu.pb.gz  peek          ^example\.com/svc/rpc\.Decode\[\.\.\.\]38$
synthetic.before.cpu.pb.gz  list_missing  ^example\.com/svc/planner\.handle1$
synthetic.before.cpu.pb.gz  tagfocus      endpoint=/api/ingest
synthetic.before.cpu.pb.gz  tagignore     worker=w0
synthetic.before.cpu.pb.gz  tagshow       endpoint
synthetic.before.cpu.pb.gz  tagroot       worker
synthetic.after.cpu.pb.gz   like          synthetic.before.cpu.pb.gz
worker.cpu.pb.gz            focus         protojson\.Unmarshal$
worker.cpu.pb.gz            ignore        zap\.\(\*Logger\)\.Info$
worker.cpu.pb.gz            hide          ^runtime\.
worker.cpu.pb.gz            show          ^example\.com/worker/
worker.cpu.pb.gz            show_from     ^example\.com/worker/api\.\(\*Server\)\.ListOrders$
worker.cpu.pb.gz            prune_from    ^encoding/json\.Unmarshal$
worker.cpu.pb.gz            peek          ^example\.com/worker/api\.\(\*Server\)\.GetOrder$
worker.cpu.pb.gz            list          ^encoding/json\.Unmarshal$
worker.cpu.pb.gz            list_missing  ^example\.com/worker/api\.\(\*Server\)\.computeTotals$
worker.cpu.pb.gz            tagfocus      endpoint=ListOrders
worker.cpu.pb.gz            tagignore     endpoint=GetOrder
worker.cpu.pb.gz            tagshow       endpoint
worker.cpu.pb.gz            tagroot       endpoint
worker.goroutine.pb.gz      focus         ^go\.temporal\.io/sdk/internal\.
worker.goroutine.pb.gz      ignore        api\.\(\*Server\)\.streamUpdates\.func1$
worker.goroutine.pb.gz      hide          ^runtime\.
worker.goroutine.pb.gz      show          ^example\.com/worker/
worker.goroutine.pb.gz      show_from     ^google\.golang\.org/grpc\.\(\*Server\)\.handleStream$
worker.goroutine.pb.gz      prune_from    ^google\.golang\.org/grpc
worker.goroutine.pb.gz      peek          ^google\.golang\.org/grpc\.\(\*ClientConn\)\.Invoke$
worker.goroutine.pb.gz      list_missing  ^example\.com/worker/api\.\(\*Server\)\.GetOrder$
churn.heap.pb.gz            sample_index  alloc_space
churn.heap.pb.gz            focus         libc\.\(\*TLS\)\.Alloc$
churn.heap.pb.gz            ignore        zstd\.\(\*Encoder\)\.EncodeAll$
churn.heap.pb.gz            hide          ^runtime\.
churn.heap.pb.gz            show          ^example\.com/worker/
churn.heap.pb.gz            show_from     ^example\.com/worker/cache\.\(\*Store\)\.refresh$
churn.heap.pb.gz            prune_from    ^example\.com/worker/cache\.
churn.heap.pb.gz            peek          ^example\.com/worker/cache\.\(\*Store\)\.refresh$
churn.heap.pb.gz            list_missing  ^example\.com/worker/cache\.\(\*Store\)\.keep$
churn.heap.pb.gz            tagfocus_num  bytes=1kb:
churn.heap.pb.gz            tagignore     bytes=1kb:
churn.heap.pb.gz            tagshow       bytes
churn.heap.pb.gz            tagroot       bytes
EOF
)

# Profiles in MANIFEST/README order; any other *.pb.gz follows, sorted.
order=(cpu.pb.gz labels.cpu.pb.gz heap.pb.gz mutex.pb.gz block.pb.gz
  goroutine.pb.gz synthetic.cpu.pb.gz synthetic.heap.pb.gz
  before.cpu.pb.gz after.cpu.pb.gz
  synthetic.before.cpu.pb.gz synthetic.after.cpu.pb.gz
  worker.goroutine.pb.gz worker.cpu.pb.gz churn.heap.pb.gz)
# Before/after pairs: the diff references are written on the second.
pairs=(before.cpu.pb.gz:after.cpu.pb.gz
  synthetic.before.cpu.pb.gz:synthetic.after.cpu.pb.gz)

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

# Our programs have no dependencies (worker's are local stand-ins, see
# scripts/fixtures-src/worker/third_party): never reach for a module proxy.
export GOPROXY=off GOFLAGS='' GO111MODULE=on

progs=(cpuwork labels heap contention goroutines worker)
# The profiles each program writes (in the run section below).
declare -A prog_profiles=(
  [cpuwork]="cpu.pb.gz before.cpu.pb.gz after.cpu.pb.gz"
  [labels]="labels.cpu.pb.gz"
  [heap]="heap.pb.gz"
  [contention]="mutex.pb.gz block.pb.gz"
  [goroutines]="goroutine.pb.gz"
  [worker]="worker.goroutine.pb.gz worker.cpu.pb.gz churn.heap.pb.gz"
)
generated=("${order[@]}")

# need PROFILE...: whether to run what writes these profiles: always in a
# full run, never with --refs-only; with --missing if one of them is not in
# tests/fixtures.
need() {
  local P
  case "$mode" in
    full) return 0 ;;
    refs) return 1 ;;
  esac
  for P in "$@"; do
    if [ ! -f "$out/$P" ]; then return 0; fi
  done
  return 1
}

# The synthetic before/after pair: one program and one set of stacks
# (seed 2); "after" multiplies the samples through function 38
# (example.com/svc/rpc.Decode[...]38) by 3.
synth_pair_args=(--samples 500 --depth 12 --functions 100 --seed 2 --kind cpu)
synth_boost=(--boost-function 38 --boost-factor 3)

# The programs write into $new; what they wrote is moved to tests/fixtures
# afterwards (with --missing only the profiles that are not there yet: a
# run that writes two, such as contention's mutex + block, never replaces
# the one that exists).
new="$work/new"
mkdir -p "$new"
if [ "$mode" != refs ]; then
  for p in "${progs[@]}"; do
    # shellcheck disable=SC2086
    if ! need ${prog_profiles[$p]}; then continue; fi
    echo "gen-fixtures: building $p" >&2
    # A program is its folder's main package, or cmd/<prog> of its module.
    pkg=.
    if [ -d "$src/$p/cmd/$p" ]; then pkg=./cmd/$p; fi
    (cd "$src/$p" && go build -trimpath -o "$bin/$p" "$pkg")
  done

  if [ "$mode" = full ]; then
    # Remove what a previous run generated (profiles and their references).
    for P in "${generated[@]}"; do rm -f "$out/$P" "$out/$P".*; done
    rm -f "$out/MANIFEST.tsv"
  fi

  echo "gen-fixtures: running programs" >&2
  # CPU profiles: async preemption would otherwise attribute many samples
  # to runtime.asyncPreempt.
  if need cpu.pb.gz; then
    GODEBUG=asyncpreemptoff=1 "$bin/cpuwork" "$new/cpu.pb.gz"
  fi
  if need labels.cpu.pb.gz; then
    GODEBUG=asyncpreemptoff=1 "$bin/labels" "$new/labels.cpu.pb.gz"
  fi
  if need heap.pb.gz; then "$bin/heap" "$new/heap.pb.gz"; fi
  if need mutex.pb.gz block.pb.gz; then
    "$bin/contention" "$new/mutex.pb.gz" "$new/block.pb.gz"
  fi
  if need goroutine.pb.gz; then "$bin/goroutines" "$new/goroutine.pb.gz"; fi
  # The before/after pair: "after" sorts for two 0.5 s slices instead of one.
  if need before.cpu.pb.gz; then
    GODEBUG=asyncpreemptoff=1 "$bin/cpuwork" "$new/before.cpu.pb.gz"
  fi
  if need after.cpu.pb.gz; then
    GODEBUG=asyncpreemptoff=1 "$bin/cpuwork" -sort-slices 2 "$new/after.cpu.pb.gz"
  fi
  # The Temporal + gRPC imitation: one run per profile.
  if need worker.goroutine.pb.gz; then
    "$bin/worker" goroutine "$new/worker.goroutine.pb.gz"
  fi
  if need worker.cpu.pb.gz; then
    GODEBUG=asyncpreemptoff=1 "$bin/worker" cpu "$new/worker.cpu.pb.gz"
  fi
  if need churn.heap.pb.gz; then "$bin/worker" heap "$new/churn.heap.pb.gz"; fi

  # Our synthetic generator: unsymbolized frames, inlined lines, deep recursion and labels
  # that the Go programs do not reliably produce. Deterministic for the seed.
  for kind in cpu heap; do
    if need "synthetic.$kind.pb.gz"; then
      (cd "$repo" && cargo run --quiet --example gen_profile -- --samples 3000 --depth 24 \
        --functions 200 --seed 1 --kind "$kind" --out "$new/synthetic.$kind.pb.gz")
    fi
  done
  if need synthetic.before.cpu.pb.gz; then
    (cd "$repo" && cargo run --quiet --example gen_profile -- "${synth_pair_args[@]}" \
      --out "$new/synthetic.before.cpu.pb.gz")
  fi
  if need synthetic.after.cpu.pb.gz; then
    (cd "$repo" && cargo run --quiet --example gen_profile -- "${synth_pair_args[@]}" \
      "${synth_boost[@]}" --out "$new/synthetic.after.cpu.pb.gz")
  fi

  for f in "$new"/*.pb.gz; do
    if [ ! -e "$f" ]; then continue; fi
    P=$(basename "$f")
    if [ "$mode" = missing ] && [ -e "$out/$P" ]; then continue; fi
    echo "gen-fixtures: new profile $P" >&2
    mv "$f" "$out/$P"
  done
fi
# The profiles are already symbolized; make sure pprof cannot find (and
# re-symbolize from) the binaries at their recorded mapping paths.
rm -rf "$bin"

shopt -s nullglob
profiles=()
for P in "${order[@]}"; do
  if [ -f "$out/$P" ]; then profiles+=("$P"); fi
done
for f in "$out"/*.pb.gz; do
  P=$(basename "$f")
  case " ${order[*]} " in *" $P "*) ;; *) profiles+=("$P") ;; esac
done
if [ "${#profiles[@]}" = 0 ]; then
  echo "gen-fixtures: no profiles in $out" >&2
  exit 1
fi

goroot=$(go env GOROOT)
goversion=$(go version)

# rx PROFILE OPTION: the table's value for OPTION of PROFILE (following
# `like`), or nothing.
rx() {
  local p=$1 opt=$2 v
  while [ -n "$p" ]; do
    v=$(awk -v p="$p" -v o="$opt" '$1 == p && $2 == o { print $3; exit }' <<<"$regex_table")
    if [ -n "$v" ]; then printf '%s' "$v"; return; fi
    p=$(awk -v p="$p" '$1 == p && $2 == "like" { print $3; exit }' <<<"$regex_table")
  done
}

# shq ARG...: the arguments as one shell-quoted line, like Python's
# shlex.quote (as the corpus's MANIFEST has them).
shq() {
  local a q="'\\''" line=""
  for a in "$@"; do
    if [[ -n $a && $a != *[!A-Za-z0-9_@%+=:,./-]* ]]; then
      line+=" $a"
    else
      line+=" '${a//\'/$q}'"
    fi
  done
  printf '%s' "${line# }"
}

# Run `go tool pprof` in tests/fixtures on the profile's basename, with an
# empty binary search path; stdout goes to the named file. Only for the
# intermediate outputs that exact.T.tsv is parsed from.
pp() {
  local dest=$1; shift
  (cd "$out" && PPROF_BINARY_PATH="$empty" go tool pprof "$@") >"$dest.tmp"
  mv "$dest.tmp" "$dest"
}

# ref SUFFIX ARG...: run `go tool pprof ARG... $P` in tests/fixtures with an
# empty binary search path, stdout to $P.SUFFIX.txt, and append the
# MANIFEST.tsv columns reference_file, command, seconds, notes to $rows
# (notes: `rc=N` if pprof failed, `stderr: ...` if it wrote any, then
# $ref_note). Sets last_rc. A failing pprof is recorded, not fatal.
rows="$work/rows"
ref_note=""
last_rc=0
ref() {
  local suffix=$1; shift
  local name="$P.$suffix.txt" rc=0 t0 t1 secs err note=""
  t0=$EPOCHREALTIME
  (cd "$out" && PPROF_BINARY_PATH="$empty" go tool pprof "$@" "$P") \
    >"$out/$name.tmp" 2>"$work/stderr" || rc=$?
  t1=$EPOCHREALTIME
  mv "$out/$name.tmp" "$out/$name"
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  err=$(tr '\t\n' '  ' <"$work/stderr" | sed 's/  *$//')
  if [ "$rc" != 0 ]; then note="rc=$rc"; fi
  if [ -n "$err" ]; then note="${note:+$note }stderr: $err"; fi
  if [ -n "$ref_note" ]; then note="${note:+$note; }$ref_note"; fi
  printf '%s\t%s\t%s\t%s\n' "$name" "go tool pprof $(shq "$@" "$P")" "$secs" "$note" >>"$rows"
  if [ -n "$note" ]; then echo "gen-fixtures:   $name: $note" >&2; fi
  last_rc=$rc
}

# must_ref SUFFIX ARG...: ref, but a failing pprof stops the script.
must_ref() {
  ref "$@"
  if [ "$last_rc" != 0 ]; then
    echo "gen-fixtures: go tool pprof failed for $P.$1.txt" >&2
    exit 1
  fi
}

# rxref SUFFIX OPTION ARG...: ref with ARG... if the table has a value for
# OPTION; every ARG has `{}` replaced by the value. The table's sample_index
# for the profile, if any, is appended as -sample_index=T.
rxref() {
  local suffix=$1 opt=$2 v a si args=()
  shift 2
  v=$(rx "$P" "$opt")
  if [ -z "$v" ]; then return; fi
  for a in "$@"; do args+=("${a//\{\}/$v}"); done
  si=$(rx "$P" sample_index)
  if [ -n "$si" ]; then args+=("-sample_index=$si"); fi
  ref "$suffix" "${args[@]}"
}

manifest="$work/MANIFEST.tsv"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' profile kind period_type sample_types \
  reference_file "command (run in the profile's folder)" seconds notes >"$manifest"

all=(-nodecount=0 -nodefraction=0 -edgefraction=0)
summary="$work/summary.md"
: >"$summary"
for P in "${profiles[@]}"; do
  echo "gen-fixtures: references for $P" >&2
  rm -f "$out/$P".*
  : >"$rows"
  case "$P" in
    *mutex*) kind=mutex ;;
    *block*) kind=block ;;
    *goroutine*) kind=goroutine ;;
    *heap*) kind=heap ;;
    *cpu*) kind=cpu ;;
    *) kind=unknown ;;
  esac

  must_ref raw -raw
  must_ref topall -top "${all[@]}"
  must_ref cumall -top -cum "${all[@]}"
  python3 "$parser" sample-types "$out/$P.raw.txt" >"$out/$P.sample_types"
  period_type=$(sed -n 's/^PeriodType: //p' "$out/$P.raw.txt")
  sample_types=$(sed -n '/^Samples:$/{n;p;q;}' "$out/$P.raw.txt" | sed 's/^ *//; s/ *$//')

  cells=()
  types=()
  while IFS= read -r line; do
    case "$line" in
      default=*) continue ;;
    esac
    T=${line%%/*}
    U=${line#*/}
    types+=("$T")
    unitflag=$(python3 "$parser" unit-flag "$U")
    args=(-top "${all[@]}" "-sample_index=$T")
    if [ -n "$unitflag" ]; then args+=("-unit=$unitflag"); fi
    pp "$work/top.txt" "${args[@]}" "$P"
    python3 "$parser" exact "$work/top.txt" \
      "$out/$P.exact.$T.tsv" "$out/$P.total.$T"
    total=$(cat "$out/$P.total.$T")
    nrows=$(wc -l <"$out/$P.exact.$T.tsv")
    cells+=("$T/$U: total $total${unitflag:+ $unitflag}, $nrows functions")
  done <"$out/$P.sample_types"
  default=$(sed -n 's/^default=//p' "$out/$P.sample_types")
  {
    # shellcheck disable=SC2016
    printf '| `%s` | %s | `%s` |\n' "$P" \
      "$(printf '%s; ' "${cells[@]}" | sed 's/; $//')" "$default"
  } >>"$summary"

  # The report options, in MANIFEST order.
  ref top -top
  ref cum -top -cum
  ref top10 -top -nodecount=10
  for T in "${types[@]}"; do ref "top.$T" -top "-sample_index=$T"; done
  rxref focus focus -top '-focus={}'
  rxref ignore ignore -top '-ignore={}'
  rxref hide hide -top '-hide={}'
  rxref show show -top '-show={}'
  rxref show_from show_from -top '-show_from={}'
  rxref prune_from prune_from -top '-prune_from={}'
  if [ -n "$(rx "$P" relpct)" ]; then
    rxref relpct relpct -top -relative_percentages '-focus={}'
  else
    rxref relpct focus -top -relative_percentages '-focus={}'
  fi
  rxref tagfocus tagfocus -top '-tagfocus={}'
  rxref tagfocus_num tagfocus_num -top '-tagfocus={}'
  rxref tagignore tagignore -top '-tagignore={}'
  rxref tagshow tagshow -tags '-tagshow={}'
  rxref tagroot tagroot -top -cum '-tagroot={}'
  ref lines -top -lines
  ref files -top -files
  # File names as pprof rewrites them: a configured prefix, and the source-path heuristic
  # (strip up to the base name of the search folder).
  ref trimpath.files -top -files -trim_path=example.com
  ref sourcepath.files -top -files -source_path=/nonexistent/profsql-fixtures
  ref filefunctions -top -filefunctions
  ref addresses -top -addresses -nodecount=30
  ref noinlines -top -noinlines
  case "$kind" in
    mutex | block) ref mean -top -mean ;;
  esac
  rxref peek peek -peek '{}'
  if [ "$(rx "$P" traces)" != skip ]; then ref traces -traces; fi
  if [ -n "$(rx "$P" focus_traces)" ]; then
    rxref focus_traces focus_traces -traces '-focus={}'
  else
    rxref focus_traces focus -traces '-focus={}'
  fi
  ref tags -tags
  # Call graphs: pprof's graph default (80 nodes) and a cut one (nodelets count, edges drop).
  ref dot -dot
  ref dot20 -dot -nodecount=20
  ref dot.lines -dot -lines -nodecount=30
  case "$kind" in
    # inuse_* has samples of value 0 (freed memory), which pprof's graph skips.
    heap) ref dot.inuse_space -dot -sample_index=inuse_space ;;
  esac
  list=$(rx "$P" list)
  if [ -n "$list" ]; then
    # Own programs are built with -trimpath, so stdlib files are recorded
    # relative (sort/zsortinterface.go): point pprof at GOROOT's sources.
    file=$(python3 "$parser" source-file "$out/$P.raw.txt" "$list")
    srcargs=()
    case "$file" in
      "" | /*) ;;
      *) srcargs=("-source_path=$goroot/src") ;;
    esac
    if [ -z "$file" ]; then
      echo "gen-fixtures: warning: $P: no function matches $list" >&2
    elif [ ! -f "$goroot/src/$file" ] && [ ! -f "$file" ]; then
      echo "gen-fixtures: warning: $P: $file is not in $goroot/src" >&2
    fi
    ref_note="source: $goroot/src ($goversion)"
    ref list -list "$list" "${srcargs[@]}"
    ref_note=""
  fi
  rxref list_missing list_missing -list '{}'
  # pprof names the folder it searched (this checkout's absolute path); keep the
  # reference machine-independent with a placeholder that tests substitute.
  if [ -f "$out/$P.list_missing.txt" ]; then
    sed -i "s|on path $out\$|on path <FIXTURES>|" "$out/$P.list_missing.txt"
  fi

  for pair in "${pairs[@]}"; do
    B=${pair%%:*}
    if [ "$P" = "${pair#*:}" ] && [ -f "$out/$B" ]; then
      ref diff_base.top -top "-diff_base=$B"
      ref diff_base.cum -top -cum "-diff_base=$B"
      ref diff_base.topall -top -nodecount=0 -nodefraction=0 "-diff_base=$B"
      ref base.top -top "-base=$B"
      ref normalize -top -normalize "-base=$B"
      ref drop_negative -top -drop_negative "-diff_base=$B"
      # Two sources: pprof merges them (profile.Merge) before reporting.
      ref merge.top -top "$B"
      ref merge.traces -traces "$B"
    fi
  done

  PROFILE="$P" KIND="$kind" PT="$period_type" ST="$sample_types" awk '
    BEGIN { OFS = "\t" }
    { print ENVIRON["PROFILE"], ENVIRON["KIND"], ENVIRON["PT"], ENVIRON["ST"], $0 }
  ' "$rows" >>"$manifest"
done
mv "$manifest" "$out/MANIFEST.tsv"

# Every listed reference exists, the MANIFEST has 8 columns everywhere;
# list the references where pprof printed nothing.
empties=$(python3 "$parser" check-manifest "$out/MANIFEST.tsv" "$out")
if [ -n "$empties" ]; then
  echo "gen-fixtures: empty references (pprof printed nothing):" >&2
  awk '{ print "  " $0 }' <<<"$empties" >&2
fi
empty_md=$(awk 'NF { printf "%s`%s`", (n++ ? ", " : ""), $0 }' <<<"$empties")

# Groups of byte-identical references of one profile (e.g. -top and
# -top -sample_index=<default type>), for the README.
dups_md=$(
  for P in "${profiles[@]}"; do
    (cd "$out" && md5sum "$P".*.txt) | awk -v P="$P" '
      {
        name = substr($2, length(P) + 2); sub(/\.txt$/, "", name)
        if (!($1 in group)) order[n++] = $1
        group[$1] = group[$1] (group[$1] == "" ? "" : " = ") "`" name "`"
        count[$1]++
      }
      END {
        for (i = 0; i < n; i++)
          if (count[order[i]] > 1) printf "- `%s`: %s\n", P, group[order[i]]
      }'
  done
)

pprofversion=$(sed -n 's|^# github.com/google/pprof ||p' \
  "$goroot/src/cmd/vendor/modules.txt" 2>/dev/null || true)
nrefs=$(($(wc -l <"$out/MANIFEST.tsv") - 1))
regex_md=$(awk '
  NF == 3 {
    v = $3; gsub(/\|/, "\\|", v)
    printf "| `%s` | %s | `%s` |\n", $1, $2, v
  }' <<<"$regex_table")
notes_md=$(awk -F'\t' 'NR > 1 && $8 != "" && $5 !~ /\.list\.txt$/ {
    n = $8; gsub(/\|/, "\\|", n)
    printf "| `%s` | %s |\n", $5, n
  }' "$out/MANIFEST.tsv")

cat >"$out/README.md" <<EOF
# profsql test fixtures

Real pprof profiles written by small Go programs and by
\`examples/gen_profile.rs\`, plus reference outputs from \`go tool pprof\`.
Everything here (this README and MANIFEST.tsv included) is written by
\`scripts/gen-fixtures.sh\`; regenerate with

    scripts/gen-fixtures.sh              # new profiles + references
    scripts/gen-fixtures.sh --refs-only  # references for the profiles here
    scripts/gen-fixtures.sh --missing    # only the profiles not here yet,
                                         # then references for all

Profile contents are timing-dependent (CPU samples, contention delays,
runtime allocations), so every regeneration changes the numbers: the
reference files are only valid for the exact profiles they sit beside. The
synthetic profiles are deterministic (same bytes for the same arguments).

Generated with \`$goversion\` (its vendored pprof is
\`github.com/google/pprof ${pprofversion:-unknown}\`) on a $(nproc)-CPU $(uname -m) machine.

## Profiles

The programs are in \`scripts/fixtures-src/<prog>/main.go\` (one module each,
\`example.com/profsql-fixtures/<prog>\`, no dependencies), built with
\`go build -trimpath\` into a temporary directory (that path is what the
profiles' mappings name; the binaries are deleted before pprof runs, so
nothing is re-symbolized). The exception is \`worker\`, an imitation of a
Temporal + gRPC order service: module \`example.com/worker\` with its main
package in \`cmd/worker\`, packages \`api\`, \`activities\`, \`workflows\`,
\`cache\`, and six \`require\`d libraries (go.temporal.io/sdk v1.25.0,
google.golang.org/grpc v1.60.0, google.golang.org/protobuf v1.31.0,
go.uber.org/zap v1.26.0, modernc.org/libc v1.22.0,
github.com/klauspost/compress v1.17.0) \`replace\`d by tiny local stand-ins
in \`third_party/\` that have the real import paths but made-up code, so
that it builds offline and its frames are named like the real libraries'
(\`deploy/worker.yaml\` is its Kubernetes manifest, \`DD_SERVICE\` =
order-worker).

| file | program | what |
| --- | --- | --- |
| \`cpu.pb.gz\` | \`cpuwork\` | CPU profile (\`pprof.StartCPUProfile\`, 100 Hz), ~2.5 s of work in 0.5 s slices: sha256 hashing, sorting ints and strings, regexp matching, JSON encoding, recursion (\`main.fib\`, mutually recursive \`main.walk\`/\`main.walkOdd\`) with inlined helpers (\`main.mix\`, \`main.square\`). Run with \`GODEBUG=asyncpreemptoff=1\`. |
| \`labels.cpu.pb.gz\` | \`labels\` | CPU profile, ~2.5 s, work under \`pprof.Do\` labels: \`tenant\` ∈ {t1, t2, t3} (t2 does 2x, t3 3x the work of t1); nested in it \`op\` ∈ {hash, sort}; nested in tenant=t3,op=hash a third label \`stage\`=final; a checksum loop with only \`tenant\`; unlabeled JSON encoding + recursion. Run with \`GODEBUG=asyncpreemptoff=1\`. |
| \`heap.pb.gz\` | \`heap\` | \`pprof.Lookup("allocs")\` profile with \`runtime.MemProfileRate=1\` (every allocation recorded), after a \`runtime.GC()\`: 4 sample types alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes; the default type is **alloc_space** (marked \`[dflt]\` in \`-raw\`, so it is *not* the last type); samples carry the numeric label \`bytes\`. Call sites: \`main.buildTree\` (recursive, kept + garbage), \`main.bigBuffers\` (large slices, half kept), \`main.smallMaps\` (kept), \`main.garbageStrings\` (all garbage), \`main.builder\` (bytes.Buffer growth), plus runtime start-up allocations. |
| \`mutex.pb.gz\` | \`contention\` | mutex profile (\`runtime.SetMutexProfileFraction(1)\`): six goroutines on a hot \`sync.Mutex\` (\`main.hotLoop\`), readers and a writer on a \`sync.RWMutex\`. Sample types contentions/count, delay/nanoseconds. |
| \`block.pb.gz\` | \`contention\` | block profile (\`runtime.SetBlockProfileRate(1)\`) of the same run: mutex waits, chan send/receive (producer/consumer), \`select\`, \`sync.WaitGroup.Wait\`. |
| \`goroutine.pb.gz\` | \`goroutines\` | goroutine profile (\`pprof.Lookup("goroutine").WriteTo(f, 0)\`) with 32 goroutines: parked in chan receive (6), chan send (3), select (4), Mutex (3), RWMutex (2), Cond (2), WaitGroup (2), Sleep (3), 6 workers started under labels \`pool\` ∈ {io, cpu} × \`worker\` ∈ {0, 1, 2}, and main (writing the profile). |
| \`synthetic.cpu.pb.gz\`, \`synthetic.heap.pb.gz\` | \`examples/gen_profile.rs\` | \`--samples 3000 --depth 24 --functions 200 --seed 1 --kind cpu\` / \`heap\`: a made-up service, 200 functions \`example.com/svc/<pkg>.<name><N>\` in 8 packages, deep recursive stacks, inlined helpers \`example.com/svc/internal.*\`, unsymbolized \`libc.so.6\` frames, string labels \`worker\` ∈ {w0..w3} and \`endpoint\` ∈ {/api/query, /api/ingest, /healthz} (on 2/3 of the samples); heap samples also carry the numeric label \`bytes\`. |
| \`before.cpu.pb.gz\`, \`after.cpu.pb.gz\` | \`cpuwork\` | before/after pair: two more runs of \`cpuwork\` (\`GODEBUG=asyncpreemptoff=1\`); "after" is run with \`-sort-slices 2\`, so it sorts for 1 s instead of 0.5 s (~3 s in all): the diff shows ~+0.5 s under \`main.sortWork\` (\`sort.*\`, \`fmt.Sprintf\`, \`math/rand\`) and run-to-run noise elsewhere. |
| \`synthetic.before.cpu.pb.gz\`, \`synthetic.after.cpu.pb.gz\` | \`examples/gen_profile.rs\` | deterministic before/after pair: \`${synth_pair_args[*]}\`; "after" adds \`${synth_boost[*]}\`, which multiplies the values of every sample whose stack passes through function 38, \`example.com/svc/rpc.Decode[...]38\`, by 3 (same program, stacks and labels, no extra random draws; the profile comment says so). In the diff every change is under that function. |
| \`worker.goroutine.pb.gz\` | \`worker goroutine\` | goroutine profile of 630 goroutines (every one parked before writing): Temporal pollers \`go.temporal.io/sdk/internal.(*baseWorker).pollTask\` → \`(*activityTaskPoller).PollTask\` → \`doPoll\` → \`(*workflowServiceClient).PollActivityTaskQueue\` → \`google.golang.org/grpc.(*ClientConn).Invoke\` (2, chan receive) and the same with \`workflowTaskPoller\` / \`PollWorkflowTaskQueue\` (2); \`(*activityTaskPoller).ProcessTask\` → \`example.com/worker/activities.ChargeCardActivity\` (5, Sleep); \`example.com/worker/workflows.OrderWorkflow\` → \`(*coroutineState).yield\` (4, chan receive); \`workflows.RefundWorkflow\` → \`(*selectorImpl).Select\` → \`(*coroutineState).initialYield\` (3, select); \`(*temporalInvoker).Heartbeat\` (1), \`(*baseWorker).runTaskDispatcher\` (2), \`(*baseWorker).runEagerTaskDispatcher\` (1), all in select; gRPC: \`google.golang.org/grpc.(*Server).handleStream\` → \`example.com/worker/api.(*Server).GetOrder\` (3, on a Mutex that main holds), \`(*Server).Serve\` (1, chan receive), \`grpc/internal/transport.(*http2Client).reader\` (2, chan receive), \`(*loopyWriter).run\` (2, select), \`(*http2Client).keepalive\` (1, Sleep); the leak: 600 \`example.com/worker/api.(*Server).streamUpdates.func1\` in chan send; and main. No labels. |
| \`worker.cpu.pb.gz\` | \`worker cpu\` | CPU profile, ~3 s of in-process requests \`google.golang.org/grpc.(*Server).handleStream\` → \`example.com/worker/api.(*Server).GetOrder\` (every 5th request \`api.(*Server).ListOrders\`, which calls GetOrder twice) under \`pprof.Do\` labels \`endpoint\` ∈ {GetOrder, ListOrders}. GetOrder's time is split ~35% \`google.golang.org/protobuf/encoding/protojson.Unmarshal\` (a byte scanner with fnv-hashed field lookup), ~20% \`encoding/json\` Marshal + Unmarshal, ~10% \`go.uber.org/zap.(*Logger).Info\` (fmt.Sprintf), ~25% \`api.(*Server).computeTotals\`, ~10% \`github.com/klauspost/compress/zstd.(*Encoder).EncodeAll\` (LZ77 matching). Run with \`GODEBUG=asyncpreemptoff=1\`. |
| \`churn.heap.pb.gz\` | \`worker heap\` | \`pprof.Lookup("heap")\` profile with the default \`runtime.MemProfileRate\` (one sample per ~512 KiB; no type marked default, so pprof uses the last, inuse_space), after a \`runtime.GC()\`, of a high-churn cache: \`example.com/worker/cache.(*Store).refresh\` allocates and drops ~1.5 GB of 64 KiB buffers (~1.2 GB itself, ~200 MB through \`modernc.org/libc.(*TLS).Alloc\`, ~100 MB in \`github.com/klauspost/compress/zstd.(*Encoder).EncodeAll\`) while \`cache.(*Store).keep\` keeps 20 MiB: alloc_space > 1 GB, inuse_space ~20 MB. Samples carry the numeric label \`bytes\`. |

## Reference files

Beside each profile \`P\`, produced by running \`go tool pprof\` in this
folder on the basename, with \`PPROF_BINARY_PATH\` set to an empty directory.
\`MANIFEST.tsv\` (same columns as the corpus's: profile, kind, period_type,
sample_types, reference_file, command, seconds, notes) lists every
\`P.*.txt\` reference ($nrefs of them) with the exact command, shell-quoted
so that it can be pasted into a shell in this folder, the wall time and
notes (\`rc=N\` when pprof exited non-zero, \`stderr: ...\` with what it
wrote on stderr, newlines and tabs as spaces; for \`list\` the source tree).
Rows are in profile order (the order of the table above), then in the order
of this table.

| file | command (\`R\`, \`K=V\`, \`K\` from the table below) |
| --- | --- |
| \`P.raw.txt\` | \`go tool pprof -raw P\` |
| \`P.topall.txt\` | \`-top -nodecount=0 -nodefraction=0 -edgefraction=0\` |
| \`P.cumall.txt\` | \`-top -cum -nodecount=0 -nodefraction=0 -edgefraction=0\` |
| \`P.top.txt\` | \`-top\` (pprof's defaults for -top: no node limit, \`-nodefraction=0.005\`: nodes with cum ≤ 0.5% of the total are dropped, "Dropped N nodes (cum <= X)") |
| \`P.cum.txt\` | \`-top -cum\` |
| \`P.top10.txt\` | \`-top -nodecount=10\` |
| \`P.top.T.txt\` | \`-top -sample_index=T\`, for every sample type \`T\` |
| \`P.focus.txt\`, \`P.ignore.txt\`, \`P.hide.txt\`, \`P.show.txt\`, \`P.show_from.txt\`, \`P.prune_from.txt\` | \`-top -focus=R\` (and \`-ignore\`, \`-hide\`, \`-show\`, \`-show_from\`, \`-prune_from\`; pprof prunes each stack below its matching frame nearest the leaf, so that R names a function whose callees do not match; it matches R against the name cut at its first \`(\`, so a method \`pkg.(*T).M\` is matched as \`pkg.\`) |
| \`P.relpct.txt\` | \`-top -relative_percentages -focus=R\` (R of \`focus\`) |
| \`P.tagfocus.txt\` | \`-top -tagfocus=K=V\` (profiles with string labels) |
| \`P.tagfocus_num.txt\` | \`-top -tagfocus=bytes=1kb:\` (heap profiles: numeric \`bytes\` label ≥ 1 kB) |
| \`P.tagignore.txt\` | \`-top -tagignore=K=V\` (heap.pb.gz: \`bytes=1kb:\`, the complement of tagfocus_num) |
| \`P.tagshow.txt\` | \`-tags -tagshow=K\` |
| \`P.tagroot.txt\` | \`-top -cum -tagroot=K\` |
| \`P.lines.txt\`, \`P.files.txt\`, \`P.filefunctions.txt\` | \`-top -lines\`, \`-top -files\`, \`-top -filefunctions\` |
| \`P.addresses.txt\` | \`-top -addresses -nodecount=30\` |
| \`P.noinlines.txt\` | \`-top -noinlines\` |
| \`P.mean.txt\` | \`-top -mean\` (mutex and block only) |
| \`P.peek.txt\` | \`-peek R\` |
| \`P.traces.txt\` | \`-traces\` (not for synthetic.cpu/heap: 3.6 MB each) |
| \`P.focus_traces.txt\` | \`-traces -focus=R\` (R of \`focus\`, or of \`focus_traces\`) |
| \`P.tags.txt\` | \`-tags\` |
| \`P.dot.txt\`, \`P.dot20.txt\`, \`P.dot.lines.txt\` | \`-dot\` (graph default: 80 nodes), \`-dot -nodecount=20\`, \`-dot -lines -nodecount=30\` (heap profiles also \`P.dot.inuse_space.txt\`: \`-dot -sample_index=inuse_space\`): pprof's DOT call graph (nodelets for labels and \`bytes\`, entropy node order, residual edges) |
| \`P.list.txt\` | \`-list R -source_path=$goroot/src\` on a Go standard-library function (cpu, labels.cpu, before, after, worker.cpu): the programs are built with \`-trimpath\`, so the profile records \`sort/zsortinterface.go\` and pprof needs the GOROOT source tree: here \`$goroot/src\` of \`$goversion\` (Debian's golang-1.19-go). Other Go 1.19 trees give the same lines; another Go version's do not match the line numbers. |
| \`P.list_missing.txt\` | \`-list R\` on one of our own functions with no \`-source_path\`: pprof searches the current directory and its parents, does not find \`example.com/...\`, and prints \`Error: could not find file ... on path <cwd>\` on **stdout** after the ROUTINE header (exit 0, nothing on stderr). pprof names the absolute folder it ran in; the script replaces it with \`<FIXTURES>\`, which tests substitute with the fixtures folder. |
| \`A.diff_base.top.txt\`, \`A.diff_base.cum.txt\` | on the "after" profile \`A\` of a pair with "before" \`B\`: \`-top [-cum] -diff_base=B A\` |
| \`A.diff_base.topall.txt\` | \`-top -nodecount=0 -nodefraction=0 -diff_base=B A\` |
| \`A.base.top.txt\` | \`-top -base=B A\` |
| \`A.normalize.txt\` | \`-top -normalize -base=B A\` |
| \`A.drop_negative.txt\` | \`-top -drop_negative -diff_base=B A\` |
| \`P.trimpath.files.txt\`, \`P.sourcepath.files.txt\` | \`-top -files -trim_path=example.com\` and \`-top -files -source_path=/nonexistent/profsql-fixtures\`: file names after pprof's trim rules |
| \`A.merge.top.txt\`, \`A.merge.traces.txt\` | \`-top B A\` and \`-traces B A\`: pprof merges the two profiles first, so these check merge identity (which samples add up) and order |
| \`P.sample_types\` | the sample types \`type/unit\`, one a line in profile order, then \`default=<type>\`: the type marked \`[dflt]\` in \`-raw\`, else the last one (pprof's rule; runtime/pprof marks a default only in the allocs profile) |
| \`P.exact.T.tsv\` | for each sample type \`T\`: \`name<TAB>flat<TAB>cum\` (no header) for every function row of \`go tool pprof -top -nodecount=0 -nodefraction=0 -edgefraction=0 -sample_index=T -unit=U P\`, in pprof's row order, values as plain integers in the type's own unit. \`U\` is \`ns\` for nanoseconds, \`B\` for bytes, and \`-unit\` is not passed for counts. The unit suffix and a trailing \` (inline)\` / \` (partial-inline)\` on names are removed. |
| \`P.total.T\` | the report total for type \`T\`: \`Z\` from that run's \`Showing nodes accounting for X, Y% of Z total\`, an integer in the type's unit |

The parsing is done by \`scripts/pprof_exact.py\`, which fails if a value is
not an integer; it also checks MANIFEST.tsv (8 columns, every file there).

References where pprof printed nothing: ${empty_md:-none}.

### Regexes and label filters

From the table at the top of \`scripts/gen-fixtures.sh\`; each matches a
real part of its profile. \`like X\` means: X's value for every option the
profile does not set itself. \`traces skip\`: no \`-traces\` reference.
\`sample_index T\`: \`-sample_index=T\` is appended to the command of every
reference that uses a value of this table (focus ... tagroot, peek,
focus_traces, list_missing), for churn.heap.pb.gz, whose default type
(inuse_space) lacks the churn the regexes are about.

| profile | option | value |
| --- | --- | --- |
$regex_md

### Identical references

Same bytes, so a mismatch in one is a mismatch in the others (-top uses the
default sample type; goroutine has no node under 0.5%; mutex has fewer
than 10 nodes; heap.pb.gz has one tag key; the synthetic pair's "after"
only adds, so nothing is negative and no changed node is small):

${dups_md:-none}

### pprof's notes (stderr, exit codes)

| reference | notes |
| --- | --- |
${notes_md:-| (none) | |}

Notes:

- \`Interpreted '1kb:' as range, not regexp\` on stderr is how pprof
  confirms a numeric tag filter; a string label whose value looks like a
  number (goroutine.pb.gz's \`worker\` = 0, 1, 2) would be read as a range
  too, which is why the filters use \`pool\`.
- \`-tags\` prints nothing at all for profiles without labels (cpu, mutex,
  block, before, after, worker.goroutine).
- With \`-diff_base\`, the header's "Total samples" and the percentages
  are the *base* ("before") profile's total (pprof's computeTotal counts
  only the samples marked as diff base). With \`-base\`, the before
  samples are negated and merged in unmarked, so the total is the sum of
  absolute values of the merged samples (same stacks partly cancel).
  \`-normalize\` first scales the base to the "after" total, so the flat
  values sum to about 0 ("Showing nodes accounting for 0, ...").
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
