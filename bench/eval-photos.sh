#!/bin/bash
# eval photos/s on the real data (../shared/data beside the checkout), as docs/benchmark.md §11 measured them:
# multi-crop localization and faithfulness on Tiny Darknet, faithfulness on ResNet-20.
# Usage: bash bench/eval-photos.sh <checkout> <out dir>   (run it on two checkouts back to back to compare them)
set -euo pipefail
out="$(realpath -m "$2")"
cd "$1"
mkdir -p "$out"
D="$(realpath ../shared/data)"
uptime > "$out/load.txt"
/usr/bin/time -f "%e s" npx fixations eval localization -m "$D/tiny-darknet/tiny.cfg" --images "$D/imagenet-val/images" \
  --labels "$D/imagenet-val/labels.csv" --multi-crop --limit 12 --json "$out/loc-mc.json" > "$out/loc-mc.txt" 2>&1
/usr/bin/time -f "%e s" npx fixations eval faithfulness -m "$D/tiny-darknet/tiny.cfg" --images "$D/imagenet-val/images" \
  --labels "$D/imagenet-val/labels.csv" --limit 2 --steps 16 --sanity-photos 0 --json "$out/faith.json" > "$out/faith.txt" 2>&1
/usr/bin/time -f "%e s" npx fixations eval faithfulness -m "$D/resnet20-cifar10/resnet20-cifar10.onnx" --mean 0.485,0.456,0.406 \
  --std 0.229,0.224,0.225 --class-names "$D/resnet20-cifar10/classes.txt" --images "$D/resnet20-cifar10/images" \
  --labels "$D/resnet20-cifar10/labels.csv" --limit 4 --steps 16 --sanity-photos 0 --json "$out/faith-r20.json" > "$out/faith-r20.txt" 2>&1
uptime >> "$out/load.txt"
for f in loc-mc faith faith-r20; do echo "$f: $(tail -n 1 "$out/$f.txt")"; done
