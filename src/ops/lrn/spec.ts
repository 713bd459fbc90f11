/**
 * Local response normalisation across channels (Caffe's AlexNet and GoogLeNet, ONNX LRN, torch LocalResponseNorm):
 * b[c] = a[c] / (bias + alpha / size · Σ a[j]²)^beta over the `size` channels j around c that exist. The window is
 * ONNX's: [c − ⌊(size − 1) / 2⌋, c + ⌈(size − 1) / 2⌉]. Odd sizes (Caffe allows no others) centre it the same in every
 * framework; for an even size torch's window starts one channel lower, so a torch loader must shift or refuse it.
 * TensorFlow's depth_radius r and unscaled alpha are size = 2r + 1 and alpha · size here.
 */
export interface LrnSpec {
  kind: 'lrn';
  name: string;
  size: number;
  alpha: number;
  beta: number;
  bias: number;
}
