/** How the page and the model list name models: the names `weights get` and the loaders give, as people write them. */
const knownLabels: Record<string, string> = {
  'tiny-darknet': 'Tiny Darknet',
  tiny: 'Tiny Darknet',
  vgg19: 'VGG19',
  vgg16: 'VGG16',
  'vgg19-keras': 'VGG19 (Keras)',
  'vgg16-keras': 'VGG16 (Keras)',
  'tiny-vgg': 'TinyVGG',
};

export function modelLabel(name: string): string {
  return knownLabels[name] ?? name;
}

/** The loaders number the classes ("class 0", "class 1", …) when no names came with the model. */
export function hasNumberedLabels(labels: readonly string[]): boolean {
  return labels.length > 0 && labels.every((label, i) => label === `class ${i}`);
}
