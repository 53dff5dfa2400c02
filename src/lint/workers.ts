import { Worker } from 'node:worker_threads';
import { type RuleSettings, type Source, lintStatements } from './engine.js';
import type { Finding } from './types.js';

export interface BatchRequest {
  sources: Source[];
  rules: RuleSettings;
}

// Small batches, handed out as threads finish, keep every thread busy to the end.
const BATCH_BYTES = 48 * 1024;

/**
 * Lints on `threads` threads: this one and `threads - 1` workers, each with its own parser,
 * pulling batches of files from one queue. Results come back in the order of `sources`.
 */
export async function lintInWorkers(sources: Source[], rules: RuleSettings, threads: number): Promise<Finding[][]> {
  const results: Finding[][] = new Array(sources.length);
  const batches = batchesOf(sources);
  let next = 0;
  const take = () => batches[next++];
  const workers = Array.from({ length: threads - 1 }, startWorker);
  try {
    const done = Promise.all(workers.map((worker) => feed(worker, sources, rules, take, results)));
    for (let batch = take(); batch; batch = take()) {
      const found = await lintStatements(batch.map((index) => sources[index]!), rules);
      batch.forEach((index, position) => (results[index] = found[position]!));
      await new Promise((resume) => setImmediate(resume)); // let the workers' replies in between batches
    }
    await done;
    return results;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url));
  // Running the TypeScript sources (tests, under tsx): worker threads do not inherit tsx's loader hooks,
  // so the worker loads its module through tsx's API.
  const worker = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then((api) => api.tsImport(${worker}, ${worker}))`, { eval: true });
}

function batchesOf(sources: Source[]): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sources.forEach((source, index) => {
    current.push(index);
    bytes += source.content.length;
    if (bytes >= BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  });
  if (current.length) batches.push(current);
  return batches;
}

/** Sends the worker one batch at a time until the queue is empty. */
function feed(worker: Worker, sources: Source[], rules: RuleSettings, take: () => number[] | undefined, results: Finding[][]): Promise<void> {
  return new Promise((resolve, reject) => {
    let batch: number[] | undefined;
    const sendNext = () => {
      batch = take();
      if (!batch) return resolve();
      const request: BatchRequest = { sources: batch.map((index) => sources[index]!), rules };
      worker.postMessage(request);
    };
    worker.on('message', (found: Finding[][]) => {
      batch!.forEach((index, position) => (results[index] = found[position]!));
      sendNext();
    });
    worker.on('error', reject);
    sendNext();
  });
}
