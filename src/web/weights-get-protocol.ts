/** What the page and the dev server's `weights get` endpoint (weights-get-node.ts) say to each other. */
export const weightsGetPath = '/__fixations/weights/get';

/** The answer to `GET`: the endpoint is there, where it puts models, and what it is downloading now. */
export interface WeightsGetStatus {
  available: true;
  folder: string;
  running: string | null;
}

/** One line of the `POST` answer's stream. */
export type WeightsGetEvent =
  | { type: 'start'; name: string; description: string; folder: string }
  | { type: 'progress'; file: string; received: number; total: number | null }
  | { type: 'log'; line: string }
  | { type: 'done'; converted: string | null }
  | { type: 'error'; message: string };

/** A download through the endpoint failed; the message is `weights get`'s own (which file, why, how to place it by hand). */
export class WeightsDownloadError extends Error {
  override name = 'WeightsDownloadError';
}
