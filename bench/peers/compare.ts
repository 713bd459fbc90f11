import type { PeerCheck } from '../report-types.ts';

/** Peers must agree with our output to this, relative to the scale of the logits (float32 summation order differs). */
export const peerTolerance = 1e-3;

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * How far a peer's output is from ours on the same input: the largest |peer − ours| / (|ours| + mean |ours|), a
 * relative error that does not blow up on logits near zero. Same network, same weights: it should be ~1e-6.
 */
export function comparePeerOutput(peer: ArrayLike<number>, ours: ArrayLike<number>, compared: PeerCheck['compared']): PeerCheck {
  if (peer.length !== ours.length) {
    return { compared, maxError: Number.POSITIVE_INFINITY, tolerance: peerTolerance, top1Agrees: false, ok: false };
  }
  let meanAbs = 0;
  for (let i = 0; i < ours.length; i++) meanAbs += Math.abs(ours[i]);
  meanAbs /= Math.max(1, ours.length);
  let maxError = 0;
  for (let i = 0; i < ours.length; i++) {
    const error = Math.abs(peer[i] - ours[i]) / (Math.abs(ours[i]) + meanAbs + 1e-30);
    maxError = Number.isNaN(error) ? Number.POSITIVE_INFINITY : Math.max(maxError, error);
  }
  const top1Agrees = argmax(peer) === argmax(ours);
  return { compared, maxError, tolerance: peerTolerance, top1Agrees, ok: maxError <= peerTolerance && top1Agrees };
}
