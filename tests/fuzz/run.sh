#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers with AFL++ (Debian) and SharpFuzz.
#   bash tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target, one at a time)
# Installs afl++ (apt) and the sharpfuzz dotnet tool (.config/dotnet-tools.json) when missing, builds, instruments a
# copy of the dlls, runs afl-fuzz on tests/fuzz/corpus/TARGET, merges what it found back into the corpus (afl-cmin,
# at most MAX_CORPUS files), copies the smallest crash and hang inputs to tests/fuzz/crashes/TARGET/, and prints per target:
# executions, corpus count, crashes, hangs. Work files go to out/fuzz/ (git-ignored). SKIP_BUILD=1 fuzzes the last build.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(ejfat evio evio-reader hipo yaml frames protocol)
MAX_CORPUS="${MAX_CORPUS:-40}"
MAX_CRASHES="${MAX_CRASHES:-5}"
WORK="out/fuzz"
mkdir -p "$WORK"

if ! command -v afl-fuzz >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing afl++ (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
dotnet tool restore >/dev/null

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "building tests/fuzz/Streams.Fuzz (Release)"
  dotnet build tests/fuzz/Streams.Fuzz/Streams.Fuzz.csproj -c Release -nologo -v quiet >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; exit 1; }
fi
BIN="tests/fuzz/Streams.Fuzz/bin/Release/net10.0"

export AFL_SKIP_BIN_CHECK=1                      # the target is `dotnet`; SharpFuzz speaks the forkserver protocol
export AFL_SKIP_CPUFREQ=1                        # shared machine: no CPU governor changes
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1   # no core_pattern changes on a shared machine
export AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_QUIET=1
export AFL_TRY_AFFINITY=0 AFL_FORKSRV_INIT_TMOUT=60000
DOTNET="$(command -v dotnet)"   # afl-cmin wants a path
export DOTNET_TieredPGO=0 DOTNET_TC_QuickJitForLoops=1 DOTNET_ReadyToRun=1

summary=()
for t in "${TARGETS[@]}"; do
  dir="$WORK/$t"
  rm -rf "$dir" && mkdir -p "$dir"
  cp -r "$BIN" "$dir/bin"
  # Instrument only the assemblies this target exercises (the harness itself and the runtime stay as they are).
  for dll in $(dotnet "$BIN/Streams.Fuzz.dll" list | awk -v t="$t" '$1 == t { $1 = ""; print }'); do
    dotnet tool run sharpfuzz "$dir/bin/$dll" >/dev/null
  done
  corpus="tests/fuzz/corpus/$t"
  [ "$t" = yaml ] && cp -n deploy/pipelines/*.yaml "$corpus/" 2>/dev/null || true
  echo "fuzzing $t for ${SECONDS_PER_TARGET}s"
  # -t: ms per input (the first inputs also JIT); -m none: .NET reserves far more virtual memory than it uses.
  timeout -k 10 $((SECONDS_PER_TARGET + 120)) afl-fuzz -i "$corpus" -o "$dir/findings" -t 5000 -m none \
    -V "$SECONDS_PER_TARGET" -- "$DOTNET" "$dir/bin/Streams.Fuzz.dll" "$t" >"$dir/afl.log" 2>&1 || true
  stats="$dir/findings/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "afl-fuzz did not start for $t:"; tail -30 "$dir/afl.log"; summary+=("$t: did not run"); continue
  fi
  get() { awk -F: -v k="$1" '$1 ~ "^"k" *$" { gsub(/ /, "", $2); print $2 }' "$stats"; }
  execs=$(get execs_done); paths=$(get corpus_count); crashes=$(get saved_crashes); hangs=$(get saved_hangs)

  # Crash and hang inputs: all of them stay in $dir/findings for triage (Streams.Fuzz replay TARGET DIR); the smallest
  # MAX_CRASHES of each kind are copied to tests/fuzz/crashes/TARGET, replayed by the CI test (FuzzCorpusTests) once fixed.
  for kind in crashes hangs; do
    src="$dir/findings/default/$kind"
    for f in $(ls -S -r "$src" 2>/dev/null | grep '^id:' | head -n "$MAX_CRASHES"); do
      mkdir -p "tests/fuzz/crashes/$t"
      cp "$src/$f" "tests/fuzz/crashes/$t/$kind-$(sha1sum "$src/$f" | cut -c1-12)"
    done
  done

  # New corpus entries: minimize corpus + queue to the inputs that keep the coverage, then cap the count (smallest first).
  merged="$dir/merged"; mkdir -p "$dir/all"
  cp "$corpus"/* "$dir/all/"; cp "$dir/findings/default/queue"/id:* "$dir/all/" 2>/dev/null || true
  if timeout 600 afl-cmin -i "$dir/all" -o "$merged" -t 5000 -m none -- "$DOTNET" "$dir/bin/Streams.Fuzz.dll" "$t" >"$dir/cmin.log" 2>&1 \
     && [ -n "$(ls -A "$merged" 2>/dev/null)" ]; then
    added=0
    for f in $(ls -S -r "$merged" | head -n "$MAX_CORPUS"); do
      name="$f"; case "$f" in id:*) name="afl-$(sha1sum "$merged/$f" | cut -c1-12)";; esac
      [ -f "$corpus/$name" ] || { cp "$merged/$f" "$corpus/$name"; added=$((added + 1)); }
    done
    # Drop fuzzer-found entries afl-cmin no longer needs, but keep the hand-made seeds (no afl- prefix).
    needed=$(cd "$merged" && sha1sum -- * | cut -c1-40 | sort -u)
    for f in "$corpus"/afl-*; do
      [ -f "$f" ] || continue
      grep -qx "$(sha1sum "$f" | cut -c1-40)" <<<"$needed" || rm -f "$f"
    done
  else
    added="0 (afl-cmin failed: see $dir/cmin.log)"
  fi
  summary+=("$t: executions $execs, corpus $paths, crashes $crashes, hangs $hangs, added to tests/fuzz/corpus/$t: $added")
done

echo
echo "== fuzzing summary (${SECONDS_PER_TARGET}s per target) =="
printf '%s\n' "${summary[@]}"
