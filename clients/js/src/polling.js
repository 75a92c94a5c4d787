// How the SDK waits: the polling settings, the delay before the next poll, and the loop that asks
// until the answer is "ready", backing off on transient failures and honouring Retry-After.
import { GatehouseError, describeValue } from './http.js';

/**
 * Where the SDK reads time and sets its timers; replace it to test without waiting.
 *
 * @typedef {object} Clock
 * @property {() => number} now epoch milliseconds
 * @property {(callback: () => void, delayMs: number) => unknown} setTimeout
 * @property {(handle: unknown) => void} clearTimeout
 */

/**
 * @typedef {object} PollingOptions
 * @property {number} [pollIntervalMs=1000] the delay between polls while waiting (at least 100)
 * @property {number} [maxPollIntervalMs] the longest delay between polls taken from the room's
 *     estimate or during a pre-queue (5000, or pollIntervalMs if longer); keep it well below the
 *     room's `abandon_after_seconds`
 * @property {number} [maxBackoffMs] the longest delay after failures (30000, or pollIntervalMs if
 *     longer)
 * @property {number} [maxRetryAfterMs=600000] the longest Retry-After obeyed; a longer one is cut to it
 * @property {Clock} [clock] the time source and timers (the global ones)
 * @property {() => number} [random=Math.random] the jitter's source of numbers in [0, 1)
 */

/**
 * @typedef {object} PollingSettings
 * @property {number} pollIntervalMs
 * @property {number} maxPollIntervalMs
 * @property {number} maxBackoffMs
 * @property {number} maxRetryAfterMs
 * @property {Clock} clock
 * @property {() => number} random
 */

/**
 * Where a wait stands, as given to `onProgress`.
 *
 * @typedef {object} Progress
 * @property {number | null} position the place in the queue (the room's from 1; the gateway's from
 *     the queue's start); null when ready or in a pre-queue
 * @property {number | null} ahead how many wait in front; null when unknown
 * @property {boolean} ready whether the wait is over (the room's `ready`, the gateway's `admitted`)
 * @property {number | null} estimatedWaitSeconds the room's estimate; null when it gives none
 * @property {boolean} prequeue whether the user is registered for a draw that has not happened yet
 * @property {string | null} ticket the pre-queue or gateway ticket, when there is one
 * @property {number | null} opensAt when the pre-queue's draw is due, Unix seconds, when announced
 * @property {string | null} draw the path of the room's draw files (`/draw/<room>/`), in a room
 *     with an event; null for the gateway (whose files are under its prefix, `<prefix>draw/`)
 * @property {string | null} token the room's latest queue token (null for the gateway)
 */

/**
 * @typedef {object} WaitOptions
 * @property {(progress: Progress) => void} [onProgress] called after every answered poll; an
 *     exception thrown there ends the wait with it
 * @property {AbortSignal} [signal] ends the wait at once, rejecting with the signal's reason
 */

/** The shortest poll interval accepted: faster polling only spends the per-IP polling limit. */
const MIN_POLL_INTERVAL_MS = 100;

/** The longest delay a timer can take: setTimeout fires at once for any longer one, so every bound stays under it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** While queued with an estimate, the SDK polls about this many times over the estimated wait. */
const POLLS_PER_ESTIMATE = 10;

/** @type {Clock} */
const SYSTEM_CLOCK = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => globalThis.setTimeout(callback, delayMs),
  clearTimeout: (handle) => globalThis.clearTimeout(/** @type {any} */ (handle)),
});

/**
 * The polling settings of `options`, checked.
 *
 * @param {PollingOptions} options
 * @returns {PollingSettings}
 * @throws {TypeError | RangeError} for a value out of bounds, naming it
 */
export function pollingSettings({
  pollIntervalMs = 1000,
  maxPollIntervalMs,
  maxBackoffMs,
  maxRetryAfterMs = 600_000,
  clock = SYSTEM_CLOCK,
  random = Math.random,
}) {
  checkDuration('pollIntervalMs', pollIntervalMs, MIN_POLL_INTERVAL_MS);
  // the bounds' defaults never fall below the interval, so setting only the interval is enough
  maxPollIntervalMs ??= Math.max(5000, pollIntervalMs);
  maxBackoffMs ??= Math.max(30_000, pollIntervalMs);
  checkDuration('maxPollIntervalMs', maxPollIntervalMs, pollIntervalMs);
  checkDuration('maxBackoffMs', maxBackoffMs, pollIntervalMs);
  checkDuration('maxRetryAfterMs', maxRetryAfterMs, 1000); // Retry-After counts whole seconds
  for (const name of /** @type {const} */ (['now', 'setTimeout', 'clearTimeout'])) {
    if (typeof clock?.[name] !== 'function') {
      throw new TypeError(`clock.${name}: ${describeValue(clock?.[name])} (expected: a function)`);
    }
  }
  if (typeof random !== 'function') {
    throw new TypeError(`random: ${describeValue(random)} (expected: a function)`);
  }
  return Object.freeze({ pollIntervalMs, maxPollIntervalMs, maxBackoffMs, maxRetryAfterMs, clock, random });
}

/**
 * The delay before the next poll after `progress`: the longest interval during a pre-queue (nothing
 * moves before the draw); a tenth of the room's estimate within [pollIntervalMs, maxPollIntervalMs]
 * while it gives one; pollIntervalMs otherwise.
 *
 * @param {PollingSettings} settings
 * @param {Progress} progress
 * @returns {number}
 */
function progressDelayMs(settings, progress) {
  if (progress.prequeue) {
    return settings.maxPollIntervalMs;
  }
  if (progress.estimatedWaitSeconds === null) {
    return settings.pollIntervalMs;
  }
  const share = (progress.estimatedWaitSeconds * 1000) / POLLS_PER_ESTIMATE;
  return Math.min(settings.maxPollIntervalMs, Math.max(settings.pollIntervalMs, share));
}

/**
 * A poll's outcome for `progress`: the wait is over with `value` when ready, else the next poll
 * comes after {@link progressDelayMs}.
 *
 * @template T
 * @param {PollingSettings} settings
 * @param {Progress} progress
 * @param {T} value
 * @returns {{ value: T } | { delayMs: number }}
 */
export function outcome(settings, progress, value) {
  return progress.ready ? { value } : { delayMs: progressDelayMs(settings, progress) };
}

/**
 * The delay after the `failures`-th transient failure in a row: exponential backoff from twice the
 * poll interval up to maxBackoffMs, with equal jitter (between half and all of it, so retries spread
 * out but never come at once), never shorter than the poll interval, and never shorter than the
 * server's Retry-After, which is obeyed up to maxRetryAfterMs.
 *
 * @param {PollingSettings} settings
 * @param {number} failures 1 for the first
 * @param {number | null} retryAfterMs
 * @returns {number}
 */
function failureDelayMs(settings, failures, retryAfterMs) {
  const ceiling = Math.min(settings.maxBackoffMs, settings.pollIntervalMs * 2 ** failures);
  const backoff = ceiling / 2 + (settings.random() * ceiling) / 2;
  const asked = retryAfterMs === null ? 0 : Math.min(retryAfterMs, settings.maxRetryAfterMs);
  return Math.ceil(Math.max(settings.pollIntervalMs, backoff, asked));
}

/**
 * @template T
 * @typedef {{ value: T } | { delayMs: number }} Outcome what one attempt came to: the wait's result,
 *     or how long to wait before the next attempt
 */

/**
 * Runs `attempt` until it gives a value, sleeping between attempts: the delay it asks for after a
 * usable answer, {@link failureDelayMs} after a transient GatehouseError. Any other error ends it.
 * An abort of `signal` ends it at once, with the signal's reason: the pending timer is cleared, and
 * the attempt in flight is given the signal to abort its fetch.
 *
 * @template T
 * @param {PollingSettings} settings
 * @param {(signal: AbortSignal | undefined) => Promise<Outcome<T>>} attempt
 * @param {AbortSignal | undefined} signal
 * @returns {Promise<T>}
 */
export async function poll(settings, attempt, signal) {
  let failures = 0;
  for (;;) {
    signal?.throwIfAborted();
    let delayMs;
    try {
      const outcome = await attempt(signal);
      if ('value' in outcome) {
        return outcome.value;
      }
      failures = 0;
      delayMs = outcome.delayMs;
    } catch (error) {
      signal?.throwIfAborted();
      if (!(error instanceof GatehouseError) || !error.transient) {
        throw error;
      }
      failures += 1;
      delayMs = failureDelayMs(settings, failures, error.retryAfterMs);
    }
    await sleep(settings.clock, delayMs, signal);
  }
}

/**
 * Resolves after `delayMs`, or rejects with the signal's reason as soon as it aborts (the timer is
 * cleared then, so nothing is left pending).
 *
 * @param {Clock} clock
 * @param {number} delayMs
 * @param {AbortSignal | undefined} signal
 * @returns {Promise<void>}
 */
function sleep(clock, delayMs, signal) {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * @param {string} name
 * @param {unknown} value
 * @param {number} least
 */
function checkDuration(name, value, least) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < least || value > MAX_TIMER_MS) {
    throw new RangeError(`${name}: ${describeValue(value)} (expected: milliseconds from ${least} to ${MAX_TIMER_MS})`);
  }
}
