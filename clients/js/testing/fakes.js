// Test doubles for the SDK: a clock whose timers never really wait, and a fetch that answers from a
// script and records every request. (Outside test/ so that `node --test test/` does not run it.)
import assert from 'node:assert/strict';
import { GatehouseError } from '../src/gatehouse.js';

/** Timers set by one test beyond this mean a loop that never ends: the clock refuses them. */
const MAX_TIMERS = 1000;

/** A moment for tests to start at: Tuesday, 1 January 2030, 12:00 UTC. */
export const START_MS = Date.UTC(2030, 0, 1, 12);

/**
 * A fake clock for the SDK's `clock` option. With `auto` (the default) every timer fires as soon as
 * the event loop turns, the time jumping ahead by its delay; without it, timers fire only by
 * `fireNext()`. Every delay asked for is kept in `delays`.
 *
 * @param {{ auto?: boolean }} [options]
 */
export function fakeClock({ auto = true } = {}) {
  let nowMs = START_MS;
  let nextHandle = 1;
  /** @type {Map<number, { atMs: number, callback: () => void }>} */
  const timers = new Map();
  /** @type {number[]} */
  const delays = [];

  /** @param {number} handle */
  function fire(handle) {
    const timer = timers.get(handle);
    if (timer === undefined) {
      return; // cleared
    }
    timers.delete(handle);
    nowMs = Math.max(nowMs, timer.atMs);
    timer.callback();
  }

  return {
    now: () => nowMs,
    /** @param {() => void} callback @param {number} delayMs */
    setTimeout(callback, delayMs) {
      if (delays.length >= MAX_TIMERS) {
        throw new Error(`more than ${MAX_TIMERS} timers: the test loops`);
      }
      const handle = nextHandle++;
      timers.set(handle, { atMs: nowMs + delayMs, callback });
      delays.push(delayMs);
      if (auto) {
        setImmediate(() => fire(handle));
      }
      return handle;
    },
    /** @param {unknown} handle */
    clearTimeout(handle) {
      timers.delete(/** @type {number} */ (handle));
    },
    delays,
    /** The timers set and neither fired nor cleared. */
    get pending() {
      return timers.size;
    },
    /** Fires the earliest pending timer. */
    fireNext() {
      const [handle] = [...timers.entries()].sort((a, b) => a[1].atMs - b[1].atMs)[0] ?? [];
      assert.ok(handle !== undefined, 'no timer is pending');
      fire(handle);
    },
  };
}

/**
 * Turns the event loop until `condition()` holds (a bounded number of times: a condition that
 * never holds fails the test instead of hanging it).
 *
 * @param {() => boolean} condition
 */
export async function until(condition) {
  for (let turn = 0; turn < 1000; turn++) {
    if (condition()) {
      return;
    }
    await new Promise(setImmediate);
  }
  assert.fail('the condition never held');
}

/**
 * @typedef {object} Call
 * @property {string} method
 * @property {string} url
 * @property {Headers} headers
 * @property {unknown} body the parsed JSON body, when one was sent
 * @property {AbortSignal | undefined} signal
 */

/** @typedef {(call: Call) => Response | Promise<Response>} Step */

/**
 * A fetch that answers the n-th request with the n-th step. A request beyond the script is answered
 * 418 with a detail naming it, which no SDK call retries, so the test fails with that message.
 *
 * @param {...Step} steps
 */
export function scriptedFetch(...steps) {
  /** @type {Call[]} */
  const calls = [];
  /** @param {string | URL} url @param {RequestInit} [init] */
  async function fetch(url, init = {}) {
    const call = {
      method: init.method ?? 'GET',
      url: String(url),
      headers: new Headers(init.headers),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      signal: init.signal ?? undefined,
    };
    calls.push(call);
    const step = steps.shift();
    if (step === undefined) {
      return json(418, { detail: `unexpected request #${calls.length}: ${call.method} ${call.url}` })();
    }
    return step(call);
  }
  return {
    fetch,
    calls,
    /** The steps not reached yet. */
    get left() {
      return steps.length;
    },
  };
}

/**
 * A JSON answer.
 *
 * @param {number} status
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 * @returns {Step}
 */
export function json(status, body, headers = {}) {
  return () => new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/**
 * An answer with any body.
 *
 * @param {number} status
 * @param {string} body
 * @param {Record<string, string>} [headers]
 * @returns {Step}
 */
export function raw(status, body, headers = {}) {
  return () => new Response(body, { status, headers });
}

/** A request that fails without an answer, as fetch fails when the network does. */
export function networkFailure() {
  return () => Promise.reject(new TypeError('fetch failed'));
}

/**
 * A request that never answers, but rejects with the signal's reason when aborted, as fetch does.
 *
 * @returns {Step}
 */
export function hang() {
  return (call) => new Promise((resolve, reject) => {
    call.signal?.addEventListener('abort', () => reject(call.signal?.reason), { once: true });
  });
}

/** The error `promise` rejects with, checked to be a GatehouseError of `code`. */
export async function failure(promise, code) {
  let caught;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof GatehouseError, `${caught?.name}: ${caught?.message}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}
