#!/usr/bin/env bash
# The GPU check: everything Strata's GPU path needs a real NVIDIA GPU for, in one run
# that fits a short device lease (about 8 minutes of a 15-minute budget).
#
#   tools/gpu_check.sh OUTDIR          run the checks; OUTDIR gets gpu_check.log (everything
#                                      printed), gpu_check.json (steps, environment, test
#                                      counts, benchmark numbers), benchmark.json, gpu_tests.xml
#   tools/gpu_check.sh --prepare DIR   (on a machine that can reach a package index) fill DIR
#                                      with the wheels a bare GPU machine lacks: xdsl and its
#                                      dependencies, pytest, pytest-xdist, lit, filecheck
#
# The GPU machine is expected to have Python 3.12, torch, triton (3.6 and the pinned 3.9
# both work), onnx, onnxruntime (CPU) and llvmlite, and no network: missing packages are
# installed from $STRATA_WHEELS, or from tools/gpu_wheels/ next to this script (the
# default --prepare target; git-ignored, so pass it to the device as a carried path).
#
# Steps (each timed and logged; a failed step does not stop the later ones):
#   1. environment: python, nvidia-smi, torch/triton/onnx/onnxruntime/llvmlite versions
#   2. install what is missing, from the wheels (no index)
#   3. GPU present? (tools.gpu_benchmark.gpu_problem) - without one the GPU steps are
#      skipped with the reason (a dry run: what this script does on a CPU machine)
#   4. tools.gpu_benchmark: Strata vs torch eager and torch.compile on the same GPU, the
#      autotune cache warm-up (cold first call that tunes, then a second compile that
#      reads the cache) and the precision options; stops starting models after
#      $STRATA_BENCH_DEADLINE_S seconds (default 180; the step is killed 60 s later)
#   5. the gpu-marked tests (tests/test_gpu_latency.py reads step 4's numbers instead of
#      timing again; tests/test_gpu_models.py runs every family model and the torch-built
#      models as compiled kernels against onnxruntime, and the precision bounds, tf32
#      included), under a $STRATA_GPU_TESTS_TIMEOUT_S (default 200) second limit, so the
#      whole script stays under 8 minutes even when a step runs into its limit
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${PYTHON:-python3}"
REQS=("xdsl~=0.74.0" "pytest>=8" "pytest-xdist>=3" "lit>=18" "filecheck>=1.0")

if [[ "${1:-}" == "--prepare" ]]; then
    DIR="${2:-$HERE/gpu_wheels}"
    mkdir -p "$DIR"
    # pure-Python wheels for CPython 3.12 on x86-64 Linux (what the GPU machine runs)
    "$PY" -m pip download --dest "$DIR" --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux2014_x86_64 --platform any "${REQS[@]}" || exit 1
    echo "wheels in $DIR:"; ls -1 "$DIR"
    exit 0
fi

OUT="${1:?usage: tools/gpu_check.sh OUTDIR | tools/gpu_check.sh --prepare [DIR]}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
LOG="$OUT/gpu_check.log"
STEPS="$OUT/steps.tsv"
: > "$LOG"
: > "$STEPS"
exec > >(tee -a "$LOG") 2>&1
cd "$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export STRATA_CACHE_DIR="$OUT/strata_cache"   # a fresh autotune cache: the first call tunes
unset TRITON_INTERPRET
START=$(date +%s)

stamp() { echo "[gpu_check $(( $(date +%s) - START ))s] $*"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$STEPS"; }   # name status seconds reason
run_step() {  # run_step NAME TIMEOUT_S COMMAND...
    local name="$1" limit="$2"; shift 2
    local t0=$(date +%s) rc
    stamp "== $name: $*"
    timeout --kill-after=10 "$limit" "$@"; rc=$?
    local dt=$(( $(date +%s) - t0 ))
    if [[ $rc -eq 0 ]]; then record "$name" ok "$dt" ""; stamp "== $name: ok (${dt}s)"
    elif [[ $rc -eq 124 || $rc -eq 137 ]]; then record "$name" failed "$dt" "timed out after ${limit}s"; stamp "== $name: TIMED OUT"
    else record "$name" failed "$dt" "exit status $rc"; stamp "== $name: FAILED (exit $rc)"; fi
    return $rc
}

# 1. environment -----------------------------------------------------------------------
run_step environment 60 bash -c "(nvidia-smi -L || echo 'nvidia-smi: not found') && $PY -m tools.gpu_benchmark --env"

# 2. missing packages from the wheels ---------------------------------------------------
WHEELS="${STRATA_WHEELS:-$HERE/gpu_wheels}"
missing=()
for mod_req in "xdsl:xdsl~=0.74.0" "pytest:pytest>=8" "xdist:pytest-xdist>=3" "lit:lit>=18" "filecheck:filecheck>=1.0"; do
    mod="${mod_req%%:*}"; req="${mod_req#*:}"
    "$PY" -c "import $mod" 2>/dev/null || missing+=("$req")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    record install ok 0 "nothing missing"; stamp "== install: nothing missing"
elif [[ ! -d "$WHEELS" ]]; then
    record install failed 0 "missing ${missing[*]} and no wheel folder $WHEELS (run tools/gpu_check.sh --prepare where pip can reach an index)"
    stamp "== install: FAILED: missing ${missing[*]}, no wheels in $WHEELS"
else
    run_step install 120 bash -c "$PY -m pip install --no-index --find-links '$WHEELS' ${missing[*]@Q} \
        || $PY -m pip install --no-index --find-links '$WHEELS' --break-system-packages ${missing[*]@Q}"
fi

# 3. a GPU? --------------------------------------------------------------------------------
PROBLEM="$("$PY" -c 'from tools.gpu_benchmark import gpu_problem; print(gpu_problem() or "")' 2>&1 | tail -1)"
if [[ -n "$PROBLEM" ]]; then
    record gpu skipped 0 "$PROBLEM"
    record benchmark skipped 0 "no GPU: $PROBLEM"
    record gpu_tests skipped 0 "no GPU: $PROBLEM"
    stamp "== no GPU ($PROBLEM): the benchmark and the gpu-marked tests are skipped"
else
    record gpu ok 0 "$("$PY" -c 'import torch; print(torch.cuda.get_device_name())' 2>/dev/null)"
    # 4. the benchmark (its numbers are also what step 5's latency tests check)
    run_step benchmark $(( ${STRATA_BENCH_DEADLINE_S:-180} + 60 )) "$PY" -m tools.gpu_benchmark --repeat 30 \
        --deadline-s "${STRATA_BENCH_DEADLINE_S:-180}" --precision-models "${STRATA_PRECISION_MODELS:-transformer_block}" \
        --json-out "$OUT/benchmark.json"
    # 5. the gpu-marked tests
    STRATA_GPU_BENCH_JSON="$OUT/benchmark.json" STRATA_AUTOTUNE=0 run_step gpu_tests "${STRATA_GPU_TESTS_TIMEOUT_S:-200}" \
        "$PY" -m pytest -m gpu -q -rs -p no:cacheprovider tests/test_gpu_latency.py tests/test_gpu_models.py \
        --junitxml="$OUT/gpu_tests.xml"
fi

# the summary --------------------------------------------------------------------------
"$PY" - "$OUT" "$START" <<'EOF'
import json, os, sys, time, xml.etree.ElementTree as ET
out, start = sys.argv[1], int(sys.argv[2])
steps = []
for line in open(os.path.join(out, "steps.tsv")):
    name, status, seconds, reason = (line.rstrip("\n").split("\t") + [""] * 4)[:4]
    steps.append({"step": name, "status": status, "seconds": int(seconds or 0), "reason": reason})
summary = {"seconds": int(time.time()) - start, "steps": steps}
bench = os.path.join(out, "benchmark.json")
if os.path.exists(bench):
    summary["benchmark"] = json.load(open(bench))
xml = os.path.join(out, "gpu_tests.xml")
if os.path.exists(xml):
    suite = ET.parse(xml).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    summary["gpu_tests"] = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    summary["gpu_tests"]["failed"] = [f"{c.get('classname')}::{c.get('name')}" for c in suite.iter("testcase")
                                      if c.find("failure") is not None or c.find("error") is not None]
json.dump(summary, open(os.path.join(out, "gpu_check.json"), "w"), indent=1)
print(json.dumps({k: v for k, v in summary.items() if k != "benchmark"}, indent=1))
EOF
stamp "done: $OUT/gpu_check.log, $OUT/gpu_check.json"
