import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { graphArchitectureNames, graphArchitectures, type GraphArchitectureName } from '../src/architectures/index.ts';
import { buildGraph } from '../src/graph/model.ts';
import { loadSafetensorsModel } from '../src/loaders/safetensors-model.ts';
import { recogniseArchitecture } from '../src/loaders/torchvision-graph.ts';
import { forwardReference } from '../src/reference/forward.ts';
import { expectClose } from './helpers/compare.ts';

/** Debian's python3-torchvision: the independent oracle for every built-in graph architecture. */
const python = '/usr/bin/python3';
const oracle = new URL('./helpers/torchvision_oracle.py', import.meta.url).pathname;
const hasTorchvision = existsSync(python) && (() => {
  try {
    execFileSync(python, ['-c', 'import torchvision'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const scratch = mkdtempSync(join(tmpdir(), 'fixations-torchvision-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The logits tensor: the input of the softmax every built-in ends in. */
function logitsOf(name: GraphArchitectureName): string {
  const { nodes, output } = graphArchitectures[name]().architecture;
  return nodes.find((n) => n.output === output)!.inputs[0];
}

describe.skipIf(!hasTorchvision)('built-in graph architectures against torchvision itself', () => {
  // torchvision's torchvision.models names; alexnet-caffe has no torchvision counterpart. Of the VGGs with batch norm,
  // which differ only in how many convs a block repeats, vgg11_bn stands for all four (each is 130 M parameters).
  const names = graphArchitectureNames.filter((n) => n !== 'alexnet-caffe' && !/^vgg(13|16|19)_bn$/.test(n));
  for (const name of names) {
    it(`${name}: torchvision's own state_dict loads by name, and our CPU reference gives torchvision's logits`, () => {
      const dir = join(scratch, name);
      execFileSync('mkdir', ['-p', dir]);
      // Small inputs keep the reference fast; every net ends in an adaptive or global pool, as torchvision's do.
      const size = name === 'alexnet' ? 96 : 64;
      execFileSync(python, [oracle, name, String(size), '7', dir], { stdio: 'pipe' });
      const bytes = new Uint8Array(readFileSync(join(dir, 'model.safetensors')));
      // No --arch: the architecture is recognised from torchvision's parameter names.
      const model = loadSafetensorsModel({ bytes, fileName: `${name}.safetensors`, inputSize: size });
      expect(model.name).toBe(name === 'mobilenet_v2' ? 'mobilenet_v2' : name);
      const floats = (file: string) => {
        const bytes = readFileSync(join(dir, file));
        return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      };
      const input = floats('input.bin');
      const want = floats('logits.bin');
      const got = forwardReference(model, input).get(logitsOf(name))!;
      expectClose(got, want, 1e-4, `${name} logits`);
    });
  }
});

describe.skipIf(!hasTorchvision)('VGG with batch norm under timm\'s names', () => {
  it('vgg11_bn as timm\'s vgg11_bn.tv_in1k names it (fc6 and fc7 as convolutions, head.fc) gives torchvision\'s logits', () => {
    // The oracle's files of the vgg11_bn test above, made here when that test did not run.
    const dir = join(scratch, 'vgg11_bn');
    if (!existsSync(join(dir, 'logits.bin'))) {
      execFileSync('mkdir', ['-p', dir]);
      execFileSync(python, [oracle, 'vgg11_bn', '64', '7', dir], { stdio: 'pipe' });
    }
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString()) as Record<string, { shape: number[] }>;
    const renamed: Record<string, { shape: number[] }> = {};
    for (const [name, entry] of Object.entries(header)) {
      const timm = name.replace(/^classifier\.0\./, 'pre_logits.fc1.').replace(/^classifier\.3\./, 'pre_logits.fc2.').replace(/^classifier\.6\./, 'head.fc.');
      const shape = timm === 'pre_logits.fc1.weight' ? [entry.shape[0], 512, 7, 7] : timm === 'pre_logits.fc2.weight' ? [...entry.shape, 1, 1] : entry.shape;
      renamed[timm] = { ...entry, shape };
    }
    let text = Buffer.from(JSON.stringify(renamed));
    text = Buffer.concat([text, Buffer.alloc((8 - (text.length % 8)) % 8, 0x20)]);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(text.length));
    const timmBytes = new Uint8Array(Buffer.concat([length, text, bytes.subarray(8 + headerLength)]));
    const model = loadSafetensorsModel({ bytes: timmBytes, fileName: 'vgg11_bn.tv_in1k.safetensors', inputSize: 64 });
    expect(model.name).toBe('vgg11_bn');
    const floats = (file: string) => {
      const b = readFileSync(join(dir, file));
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    expectClose(forwardReference(model, floats('input.bin')).get(logitsOf('vgg11_bn'))!, floats('logits.bin'), 1e-4, 'vgg11_bn (timm names) logits');
  });
});

describe('built-in graph architectures', () => {
  it('every one builds a valid graph at 224×224 with 1000 classes', () => {
    for (const name of graphArchitectureNames) {
      const { architecture } = graphArchitectures[name]();
      const graph = buildGraph(architecture);
      expect(graph.shapes.get(architecture.output), name).toEqual({ channels: 1000, height: 1, width: 1 });
    }
  });

  it('recognises each from its parameter names', () => {
    for (const name of graphArchitectureNames) {
      const built = graphArchitectures[name]();
      const names = new Set<string>();
      for (const source of built.parameters.values()) {
        if (source.weight) names.add(source.weight);
        if (source.bias) names.add(source.bias);
        if (source.batchNorm) ['weight', 'bias', 'running_mean', 'running_var'].forEach((f) => names.add(`${source.batchNorm!.name}.${f}`));
      }
      const shapes = new Map(built.architecture.nodes.flatMap((n) => ('kernel' in n ? [[`${n.name}.weight`, [n.outChannels, n.inChannels, n.kernel, n.kernel]]] : [])));
      expect(recogniseArchitecture(names, (n) => shapes.get(n) ?? [0, 0, 0, 0]), name).toBe(name);
    }
  });
});

