// Proof of work as a client does it for the gateway and for a room that asks for one: checks the
// challenge it was given, solves it (in a module Web Worker where there are workers), and checks
// what the solver gave.
import { GatehouseError, describeValue, messageOf } from './http.js';
import { solvePow } from './pow.js';

/** A nonce as the servers take it: 1 to 64 bytes in hex. */
const NONCE_PATTERN = /^(?:[0-9a-fA-F]{2}){1,64}$/;

/**
 * Finds a proof-of-work nonce, as {@link solvePow} does.
 *
 * @callback Solver
 * @param {string} payloadHex
 * @param {number} difficulty
 * @param {{ signal?: AbortSignal }} options
 * @returns {Promise<string>} the nonce in hex
 */

/**
 * @param {unknown} solver the `solver` option, or undefined for the default
 * @returns {Solver}
 * @throws {TypeError} for anything but a function
 */
export function solverOf(solver) {
  if (solver === undefined) {
    return typeof Worker === 'function' ? solveInWorker : solvePow;
  }
  if (typeof solver !== 'function') {
    throw new TypeError(`solver: ${describeValue(solver)} (expected: a function like solvePow)`);
  }
  return /** @type {Solver} */ (solver);
}

/**
 * Solves `challenge`, as a server sent it (`id`, `payload`, `difficulty`, `algorithm`).
 *
 * @param {Record<string, unknown>} challenge
 * @param {Solver} solver
 * @param {{ what: string, signal?: AbortSignal }} options `what`: where the challenge came from,
 *     for messages (`POST /queue/challenge`)
 * @returns {Promise<{ id: string, nonce: string }>}
 * @throws {GatehouseError} `challenge_failed` for work this SDK cannot do or a solver that fails,
 *     `bad_response` for no challenge
 */
export async function solveChallenge(challenge, solver, { what, signal }) {
  const { id, payload, difficulty, algorithm } = challenge;
  if (algorithm !== undefined && algorithm !== 'sha256') {
    const asked = describeValue(algorithm);
    throw new GatehouseError('challenge_failed', `${what}: asks for ${asked} work; this SDK solves sha256 only`);
  }
  if (typeof id !== 'string' || id === '' || typeof payload !== 'string' || typeof difficulty !== 'number') {
    throw new GatehouseError('bad_response', `${what}: no challenge (expected: id, payload and difficulty)`);
  }
  let nonce;
  try {
    nonce = await solver(payload, difficulty, { signal });
  } catch (error) {
    signal?.throwIfAborted();
    const why = messageOf(error);
    throw new GatehouseError('challenge_failed', `the challenge could not be solved: ${why}`, { cause: error });
  }
  if (typeof nonce !== 'string' || !NONCE_PATTERN.test(nonce)) {
    const given = describeValue(nonce);
    const expected = 'a nonce in hex, at most 64 bytes';
    throw new GatehouseError('challenge_failed', `the solver gave ${given} (expected: ${expected})`);
  }
  return { id, nonce };
}

/** @param {unknown} body @returns {Record<string, unknown> | undefined} the challenge a refusal carries */
export function challengeIn(body) {
  const challenge = typeof body === 'object' && body !== null ? /** @type {any} */ (body).challenge : undefined;
  return typeof challenge === 'object' && challenge !== null && !Array.isArray(challenge) ? challenge : undefined;
}

/**
 * Solves in a module Web Worker running `pow-worker.js`, which is ended when done or aborted.
 *
 * @type {Solver}
 */
function solveInWorker(payloadHex, difficulty, { signal }) {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const worker = new Worker(new URL('./pow-worker.js', import.meta.url), { type: 'module' });
    const end = () => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      end();
      reject(signal?.reason);
    };
    worker.onmessage = (event) => {
      end();
      const { nonce, error } = event.data ?? {};
      if (typeof nonce === 'string') {
        resolve(nonce);
      } else {
        reject(new Error(typeof error === 'string' ? error : 'the worker gave no nonce'));
      }
    };
    worker.onerror = (event) => {
      end();
      reject(new Error(event.message || 'the worker failed'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.postMessage({ payload: payloadHex, difficulty });
  });
}
