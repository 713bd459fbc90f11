/** The 10 classes of CNN Explainer's TinyVGG, in its output order (a subset of Tiny ImageNet). */
export const tinyVggLabels: readonly string[] = [
  'lifeboat',
  'ladybug',
  'pizza',
  'bell pepper',
  'school bus',
  'koala',
  'espresso',
  'red panda',
  'orange',
  'sport car',
];
