/** Graph input and output names of the ONNX files the benchmark writes, as the ONNX Runtime peers feed and read them. */
export const onnxNames = { input: 'input', logits: 'logits', probabilities: 'probabilities' } as const;
