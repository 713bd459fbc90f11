/** The subjects as Node prepares them: models built or read from disk, photos decoded, input tensors computed. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { decodeImageFile } from '../src/image/decode-node.ts';
import { preprocessReference } from '../src/reference/preprocess.ts';
import type { BenchOptions } from './options.ts';
import { loadSourceModel, subjectLabel, syntheticPhoto, vggMiniOptions, vggPhoto, vggSource, type ModelSource, type PreparedSubject, type SubjectName } from './subjects.ts';

const readBytes = async (path: string) => new Uint8Array(await readFile(path));

/** A subject, or why it was skipped (Tiny Darknet without its files). */
export async function prepareSubject(name: SubjectName, options: BenchOptions): Promise<PreparedSubject | { skipped: string }> {
  if (name === 'tiny-darknet') {
    const dir = options.tinyDarknetDir;
    const source: ModelSource = { kind: 'darknet', cfg: join(dir, 'tiny.cfg'), weights: join(dir, 'tiny.weights'), names: join(dir, 'names.txt') };
    const missing = [source.cfg, source.weights, source.names].filter((p) => !existsSync(p));
    if (missing.length > 0) return { skipped: `Tiny Darknet skipped: ${missing.join(', ')} not found (real weights live in ../shared/data)` };
    const photoPath = options.photo ?? join(dir, 'images', 'dog.jpg');
    if (!existsSync(photoPath)) return { skipped: `Tiny Darknet skipped: photo ${photoPath} not found` };
    const model = await loadSourceModel(source, readBytes);
    const photo = await decodeImageFile(photoPath);
    return { name, label: subjectLabel(name, model), source, model, photo, photoName: basename(photoPath), input: preprocessReference(photo, model.preprocess) };
  }
  if (name === 'model') {
    if (!options.model) return { skipped: 'part model skipped: give the model with --model net.onnx' };
    const source: ModelSource = { kind: 'onnx', model: options.model.path, preprocess: options.model.preprocess, names: options.model.classNames };
    const model = await loadSourceModel(source, readBytes);
    const photo = options.photo ? await decodeImageFile(options.photo) : syntheticPhoto(Math.round((model.input.width * 10) / 7), Math.round((model.input.height * 8) / 7), options.seed);
    const photoName = options.photo ? basename(options.photo) : `synthetic ${photo.width}×${photo.height}`;
    return { name, label: subjectLabel(name, model), source, model, photo, photoName, input: preprocessReference(photo, model.preprocess) };
  }
  if (name === 'resnet50' || name === 'mobilenet_v2') {
    const source: ModelSource = { kind: 'random-graph', arch: name, seed: options.seed, inputSize: options.vggInput };
    const model = await loadSourceModel(source, readBytes);
    const photo = vggPhoto(model.input.width, options.seed);
    return { name, label: subjectLabel(name, model), source, model, photo, photoName: `synthetic ${photo.width}×${photo.height}`, input: preprocessReference(photo, model.preprocess) };
  }
  const source = vggSource(options.seed, name === 'vgg-mini' ? vggMiniOptions : { inputSize: options.vggInput });
  const model = await loadSourceModel(source, readBytes);
  const photo = vggPhoto(model.input.width, options.seed);
  return { name, label: subjectLabel(name, model), source, model, photo, photoName: `synthetic ${photo.width}×${photo.height}`, input: preprocessReference(photo, model.preprocess) };
}
