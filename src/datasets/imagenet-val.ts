/** ImageNet validation annotations in the CSV form of ../shared/data/imagenet-val/labels.csv. */

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface ImagenetValEntry {
  file: string;
  /** Class index in sorted-wnid order (torchvision / Keras output order). */
  classIndex: number;
  wnid: string;
  originalWidth: number;
  originalHeight: number;
  /** Ground-truth boxes in the (resized) image's pixels. */
  boxes: Box[];
}

/** Parses `file,class,wnid,orig_width,orig_height,boxes` rows; boxes are `x0 y0 x1 y1`, several separated by `;`. */
export function parseImagenetValLabels(csv: string): ImagenetValEntry[] {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = lines.shift()?.split(',');
  if (!header || header[0] !== 'file' || header[2] !== 'wnid') throw new Error('labels.csv: expected a header file,class,wnid,…');
  return lines.map((line, i) => {
    const [file, classIndex, wnid, width, height, boxes = ''] = line.split(',');
    const parsed = boxes
      .split(';')
      .filter((b) => b.trim())
      .map((b) => {
        const [x0, y0, x1, y1] = b.trim().split(/\s+/).map(Number);
        if (![x0, y0, x1, y1].every(Number.isFinite)) throw new Error(`labels.csv line ${i + 2}: bad box "${b}"`);
        return { x0, y0, x1, y1 };
      });
    return { file, classIndex: Number(classIndex), wnid, originalWidth: Number(width), originalHeight: Number(height), boxes: parsed };
  });
}

/** Maps a model's class index to a wnid, given the model's wnid list in output order (darknet's wnids.txt). */
export function wnidsFromText(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}
