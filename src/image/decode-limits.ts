/**
 * Photos are decoded at most this large (longest side); bigger ones are shrunk on decode. A 4096² RGBA photo is
 * 64 MiB, half of WebGPU's default binding limit, and every model input is far smaller. Node (decode-node.ts) and the
 * browser (src/web/decode-browser.ts) both follow it, so a photo gives the same fixations on either.
 */
export const maxDecodedSide = 4096;
/** Decompression-bomb guard: files declaring more pixels than this are refused before decoding. */
export const maxImagePixels = 268_402_689;
