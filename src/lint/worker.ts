import { parentPort } from 'node:worker_threads';
import { lintStatements } from './engine.js';
import type { BatchRequest } from './workers.js';

// A lint worker thread: lints the batches of files it is sent, one at a time, and replies with their findings.
parentPort!.on('message', async ({ sources, rules }: BatchRequest) => {
  parentPort!.postMessage(await lintStatements(sources, rules));
});
