// A module Web Worker that solves one proof-of-work challenge per message, on the gateway challenge
// page's protocol: it receives {payload, difficulty} and posts back {nonce} or {error}.
import { solvePow } from './pow.js';

self.onmessage = async (event) => {
  const { payload, difficulty } = event.data ?? {};
  try {
    self.postMessage({ nonce: await solvePow(payload, difficulty) });
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
