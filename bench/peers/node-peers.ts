/** Runs one peer in Node in a child process, with a time limit after which the child is killed. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AdapterJson } from '../browser-jobs.ts';
import { bundleInfo } from '../bundle-info.ts';
import type { PeerResult } from '../report-types.ts';
import type { NodePeerJob, NodePeerMessage } from './node-peer-job.ts';

/** The child: this folder's TypeScript through tsx, or in the device bundle its bundled .mjs with plain node. */
function childProcess(): { script: string; execArgv: string[] } {
  const bundle = bundleInfo();
  if (bundle) return { script: bundle.peerChild, execArgv: [] };
  return { script: fileURLToPath(new URL('./node-peer-process.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}

export async function runPeerInNode(
  job: NodePeerJob,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<{ result: PeerResult; adapter: AdapterJson | null }> {
  const base = { peer: job.peer, subject: job.subject.name, label: job.subject.label };
  // tsx runs the TypeScript child; the Vulkan environment is inherited from this process.
  const { script, execArgv } = childProcess();
  const child = fork(script, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PeerResult, adapter: AdapterJson | null = null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve({ result, adapter });
    };
    const timer = setTimeout(() => {
      log(`${job.peer}: timed out after ${Math.round(timeoutMs / 1000)} s; stopping it`);
      finish({ ...base, status: 'timed out', message: `no result within ${Math.round(timeoutMs / 1000)} s (--peer-timeout)` });
    }, timeoutMs);
    child.on('message', (message: NodePeerMessage) => {
      if (message.kind === 'log') log(message.line);
      else if (message.kind === 'done') finish(message.result, message.adapter);
      else finish({ ...base, status: message.unsupported ? 'unsupported' : 'failed', message: message.message });
    });
    // 'close' comes after the last IPC message has been delivered, unlike 'exit'.
    child.on('close', (code, signal) => {
      finish({ ...base, status: 'failed', message: `the peer's process ended (${signal ?? `exit code ${code}`}) without a result` });
    });
    child.on('error', (error) => finish({ ...base, status: 'failed', message: error.message }));
    child.send(job);
  });
}
