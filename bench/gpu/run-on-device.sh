#!/usr/bin/env bash
# The benchmark on a real GPU: a bare x86-64 Linux machine with an NVIDIA driver, no registry access, nothing installed.
# Everything comes from the folder `npm run bench:gpu-pack` writes (out/gpu-bundle: this script and payload.tar.xz):
#
#   bash out/gpu-bundle/run-on-device.sh [bundle folder]      # reports under $OUT (default ./gpu-out)
#
# It unpacks the payload into $FIXATIONS_GPU_DIR (default /tmp/fixations-gpu), finds the NVIDIA Vulkan driver, runs
# `fixations tune` (its kernel choices are then used by the benchmark), then `npm run bench` in Node/Dawn once per
# model (VGG19, Tiny Darknet, ResNet-50, MobileNetV2, each against the four peers, same weights), each with a time
# limit so that a slow one leaves the others' reports. Everything it learns goes to $OUT: environment.txt (driver,
# Vulkan ICD, adapter), tune.txt and kernel-choices.json, bench/<model>/latest.{md,json} and each step's log.
#
# Settings (environment): FIXATIONS_GPU_MODELS (default "vgg19 tiny-darknet resnet50 mobilenet_v2"),
# FIXATIONS_BENCH_ARGS (default "--runs 5 --warmup 2 --peer-runs 3 --peer-warmup 1 --peer-timeout 150"),
# FIXATIONS_STEP_TIMEOUT (seconds per step, default 240), FIXATIONS_TOTAL_TIMEOUT (seconds for everything, default 540,
# within one 600 s device command), VK_ICD_FILENAMES (a Vulkan driver to use instead of
# NVIDIA's: how this script is tested on SwiftShader), FIXATIONS_SKIP_TUNE=1, FIXATIONS_BUNDLED_VULKAN=1 (the bundle's
# Vulkan loader even where the machine has one).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bundle=$(cd "${1:-$here}" && pwd)
out=${OUT:-$PWD/gpu-out}
work=${FIXATIONS_GPU_DIR:-/tmp/fixations-gpu}
models=${FIXATIONS_GPU_MODELS:-vgg19 tiny-darknet resnet50 mobilenet_v2}
bench_args=${FIXATIONS_BENCH_ARGS:---runs 5 --warmup 2 --peer-runs 3 --peer-warmup 1 --peer-timeout 150}
step_timeout=${FIXATIONS_STEP_TIMEOUT:-240}
# The whole run stays within one device command (600 s at most): each step gets what is left, up to step_timeout.
deadline=$((SECONDS + ${FIXATIONS_TOTAL_TIMEOUT:-540}))
limit() {
  local left=$((deadline - SECONDS))
  [ "$left" -gt "$step_timeout" ] && left=$step_timeout
  echo "$left"
}
mkdir -p "$out"
env_file="$out/environment.txt"
say() { echo "$(date -u +%T) run-on-device: $*" | tee -a "$out/run.log"; }

if [ ! -f "$bundle/payload.tar.xz" ]; then
  echo "run-on-device: $bundle/payload.tar.xz not found: run \`npm run bench:gpu-pack\` and carry out/gpu-bundle" >&2
  exit 1
fi
command -v xz >/dev/null || { echo "run-on-device: xz is needed to unpack payload.tar.xz and is not installed" >&2; exit 1; }

say "unpacking $bundle/payload.tar.xz into $work"
rm -rf "$work" && mkdir -p "$work"
tar -C "$work" -xJf "$bundle/payload.tar.xz" || { say "unpacking failed"; exit 1; }
root=$work/fixations-gpu
app=$root/app
node=$root/node/bin/node

# The Vulkan loader: the machine's if it has one, else Debian's libvulkan1 from the bundle.
libs=""
if [ "${FIXATIONS_BUNDLED_VULKAN:-}" = 1 ] || { ! { ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; } && ! ls /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /usr/lib64/libvulkan.so.1 >/dev/null 2>&1; }; then
  libs=$root/vulkan/usr/lib/x86_64-linux-gnu
  say "no Vulkan loader on this machine: using the bundle's ($libs)"
fi
export LD_LIBRARY_PATH=${libs}${LD_LIBRARY_PATH:+${libs:+:}$LD_LIBRARY_PATH}

# The NVIDIA Vulkan driver: its ICD file where the driver installed one, else one written for libGLX_nvidia.so.0
# (container runtimes mount the library without the file).
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json /usr/local/share/vulkan/icd.d/nvidia_icd*.json; do
    [ -f "$f" ] && { export VK_ICD_FILENAMES=$f; break; }
  done
fi
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  glx=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 /{print $NF; exit}')
  [ -z "$glx" ] && glx=$(ls /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 /usr/lib64/libGLX_nvidia.so.0 2>/dev/null | head -1)
  if [ -n "$glx" ]; then
    export VK_ICD_FILENAMES=$work/nvidia_icd.json
    printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$glx" > "$VK_ICD_FILENAMES"
    say "no NVIDIA ICD file: wrote $VK_ICD_FILENAMES for $glx"
  else
    say "no NVIDIA Vulkan driver found (no nvidia_icd.json, no libGLX_nvidia.so.0): Dawn will find no GPU adapter"
  fi
fi

# Node from the bundle needs glibc ≥ 2.28 and libstdc++; say so plainly when the machine lacks them.
if ! "$node" --version >/dev/null 2>>"$out/run.log"; then
  say "the bundle's node does not start here (see run.log): it needs x86-64 glibc ≥ 2.28 and libstdc++.so.6"
  exit 1
fi

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) CPUs, $(awk '/MemTotal/{print $2" kB"}' /proc/meminfo 2>/dev/null)"
  echo "glibc: $(ldd --version 2>/dev/null | head -1)"
  echo "node: $("$node" --version) (bundle)"
  echo "VK_ICD_FILENAMES: ${VK_ICD_FILENAMES:-unset}"
  [ -n "${VK_ICD_FILENAMES:-}" ] && [ -f "$VK_ICD_FILENAMES" ] && { cat "$VK_ICD_FILENAMES"; echo; }
  echo "LD_LIBRARY_PATH: ${LD_LIBRARY_PATH:-unset}"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  echo
  cat "$root/MANIFEST.txt"
} > "$env_file" 2>&1
say "environment in $env_file"

export FIXATIONS_CACHE_DIR=$out/cache
status=0
if [ "${FIXATIONS_SKIP_TUNE:-}" != 1 ]; then
  say "fixations tune"
  timeout --kill-after=10 "$(limit)" "$node" "$app/fixations.mjs" tune > "$out/tune.txt" 2>&1 || { say "tune failed or timed out (exit $?): see tune.txt"; status=1; }
  cp "$FIXATIONS_CACHE_DIR/kernel-choices.json" "$out/kernel-choices.json" 2>/dev/null
fi

for model in $models; do
  if [ "$(limit)" -lt 20 ]; then
    say "no time left for bench $model (FIXATIONS_TOTAL_TIMEOUT)"
    status=1
    continue
  fi
  say "bench $model (Node/Dawn, ours and the peers), at most $(limit) s"
  dir=$out/bench/$model
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # FIXATIONS_BENCH_ARGS is a list of flags
  timeout --kill-after=10 "$(limit)" "$node" "$app/bench.mjs" --node --only "$model,peers" --tiny-darknet "$root/data/tiny-darknet" --out "$dir" $bench_args > "$dir/bench.log" 2>&1
  code=$?
  if [ $code -ne 0 ]; then
    say "bench $model failed or timed out (exit $code): see bench/$model/bench.log"
    status=1
  fi
  rm -rf "$dir/onnx"
done
say "done (exit $status); reports under $out"
exit $status
