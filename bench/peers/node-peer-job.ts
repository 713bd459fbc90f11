/** What the Node runner sends the child process that runs one peer in Node, and what comes back. */
import type { AdapterJson } from '../browser-jobs.ts';
import type { PeerName, PeerResult } from '../report-types.ts';
import type { ModelSource, SubjectName } from '../subjects.ts';

export interface NodePeerJob {
  peer: PeerName;
  subject: { name: SubjectName; label: string; source: ModelSource };
  input: Float32Array;
  reference: Float32Array;
  onnxPath: string | null;
  warmup: number;
  runs: number;
  threads: number;
}

export type NodePeerMessage =
  | { kind: 'log'; line: string }
  | { kind: 'done'; result: PeerResult; adapter: AdapterJson | null }
  | { kind: 'failed'; message: string; unsupported: boolean };
