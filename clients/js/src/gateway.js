// A client of the queue `gatehouse gateway` serves under its admin prefix on Wicket's wire: it takes a
// ticket (solving the proof of work first when the gateway asks for an admission token), polls the
// ticket's place, and waits until the ticket is admitted.
import {
  GatehouseError, baseUrlOf, countOf, describeValue, exchangeOf, messageOf, send, successBody,
} from './http.js';
import { outcome, poll, pollingSettings } from './polling.js';
import { solvePow } from './pow.js';

/** No ticket is longer (the gateway's own bound). */
const MAX_TICKET_CHARS = 64;

/** A ticket or an admission token: visible ASCII, which a header or a query can carry. */
const CREDENTIAL_PATTERN = /^[\x21-\x7e]+$/;

/** A nonce as `solve` takes it: 1 to 64 bytes in hex. */
const NONCE_PATTERN = /^(?:[0-9a-fA-F]{2}){1,64}$/;

/** The longest admission token accepted from `solve`. */
const MAX_ADMISSION_TOKEN_CHARS = 4096;

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
 * @typedef {import('./polling.js').PollingOptions & GatewayOwnOptions} GatewayOptions
 */

/**
 * @typedef {object} GatewayOwnOptions
 * @property {string} [baseUrl=''] where the gateway answers; '' for the page's own origin
 * @property {string} [prefix='/__gatehouse__/'] the gateway's `admin_prefix` (`/__wicket__/` for
 *     Wicket's)
 * @property {string} [ticket] a ticket kept from an earlier enqueue, to go on polling with it
 * @property {Solver} [solver] solves the proof of work: by default a module Web Worker running
 *     `pow-worker.js` where `Worker` exists, else {@link solvePow} on the calling thread
 * @property {typeof fetch} [fetch] the fetch to send requests with (the global one)
 */

/**
 * @typedef {object} Ticket
 * @property {string} ticket the ticket's id
 * @property {number | null} issued when it was issued, Unix seconds
 */

/**
 * @typedef {object} GatewayQueue
 * @property {(options?: { signal?: AbortSignal }) => Promise<Ticket>} enqueue takes a ticket
 *     (`POST <prefix>enqueue`); answered 401, it solves a challenge for an admission token and asks
 *     once more with it in `X-Gatehouse-Token`
 * @property {(ticket?: string, options?: { signal?: AbortSignal }) => Promise<import('./polling.js').Progress>} status
 *     a ticket's place (`GET <prefix>status?ticket=`), the held ticket's by default
 * @property {(options?: import('./polling.js').WaitOptions) => Promise<string>} waitUntilReady polls
 *     until the ticket is admitted and resolves with its id; takes a ticket first when none is held
 * @property {string | null} ticket the ticket held now
 */

/**
 * A client of one gateway's queue, for one visitor.
 *
 * @param {GatewayOptions} [options]
 * @returns {GatewayQueue}
 * @throws {TypeError | RangeError} for an option out of bounds, naming it
 */
export function createGatewayQueue(options = {}) {
  const { baseUrl = '', prefix = '/__gatehouse__/', ticket: keptTicket, solver = defaultSolver(), fetch } = options;
  if (typeof prefix !== 'string' || !/^\/(?:.*\/)?$/.test(prefix)) {
    throw new RangeError(`prefix: ${describeValue(prefix)} (expected: a path starting and ending with /)`);
  }
  if (typeof solver !== 'function') {
    throw new TypeError(`solver: ${describeValue(solver)} (expected: a function like solvePow)`);
  }
  const root = `${baseUrlOf(baseUrl)}${prefix}`;
  const settings = pollingSettings(options);
  const exchange = exchangeOf(fetch, settings.clock.now);
  /** @type {string | null} */
  let ticket = keptTicket === undefined ? null : checkedTicket('ticket', keptTicket);

  /** @type {GatewayQueue['enqueue']} */
  async function enqueue({ signal } = {}) {
    let answer = await send(exchange, 'POST', `${root}enqueue`, { signal });
    if (answer.status === 401) {
      const token = await admissionToken(challengeIn(answer.body), signal);
      answer = await send(exchange, 'POST', `${root}enqueue`, { headers: { 'X-Gatehouse-Token': token }, signal });
    }
    const body = successBody(`POST ${prefix}enqueue`, answer);
    if (!isTicket(body.ticket_id)) {
      const given = describeValue(body.ticket_id);
      throw new GatehouseError('bad_response', `POST ${prefix}enqueue: ticket_id ${given} (expected: a ticket)`, {
        status: answer.status,
      });
    }
    ticket = body.ticket_id;
    return { ticket, issued: countOf(body.issued) };
  }

  /**
   * Solves a challenge (the one given, or a new one) and trades the solution for an admission token.
   *
   * @param {Record<string, unknown> | undefined} given
   * @param {AbortSignal | undefined} signal
   * @returns {Promise<string>}
   */
  async function admissionToken(given, signal) {
    const challenge = given
      ?? successBody(`POST ${prefix}challenge`, await send(exchange, 'POST', `${root}challenge`, { signal }));
    const { id, payload, difficulty, algorithm } = challenge;
    if (algorithm !== undefined && algorithm !== 'sha256') {
      const asked = describeValue(algorithm);
      throw new GatehouseError('challenge_failed', `the gateway asks for ${asked} work; this SDK solves sha256 only`);
    }
    if (typeof id !== 'string' || id === '' || typeof payload !== 'string' || typeof difficulty !== 'number') {
      const what = `POST ${prefix}challenge`;
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
    const answer = await send(exchange, 'POST', `${root}solve`, { json: { id, nonce }, signal });
    if (answer.status === 401) {
      const said = 'the solution was refused (wrong, expired or used)';
      throw new GatehouseError('challenge_failed', `POST ${prefix}solve: ${said}`, { status: 401 });
    }
    const body = successBody(`POST ${prefix}solve`, answer);
    const token = body.token;
    if (typeof token !== 'string' || token.length > MAX_ADMISSION_TOKEN_CHARS || !CREDENTIAL_PATTERN.test(token)) {
      throw new GatehouseError('challenge_failed', `POST ${prefix}solve: accepted, but no admission token came back`, {
        status: answer.status,
      });
    }
    return token;
  }

  /** @type {GatewayQueue['status']} */
  async function status(asked = ticket ?? undefined, { signal } = {}) {
    const id = checkedTicket('ticket', asked);
    const answer = await send(exchange, 'GET', `${root}status?ticket=${encodeURIComponent(id)}`, { signal });
    const what = `GET ${prefix}status`;
    if (answer.status === 404 && isErrorBody(answer.body, 'unknown ticket')) {
      const said = `unknown ticket ${id} (never issued, or admitted and expired)`;
      throw new GatehouseError('unknown_ticket', `${what}: ${said}`, { status: 404, detail: 'unknown ticket' });
    }
    const body = successBody(what, answer);
    return {
      position: countOf(body.position),
      ahead: countOf(body.ahead),
      ready: body.admitted === true,
      estimatedWaitSeconds: null,
      prequeue: body.prequeue === true,
      ticket: id,
      opensAt: countOf(body.opens_at),
      draw: null,
      token: null,
    };
  }

  /** @type {GatewayQueue['waitUntilReady']} */
  function waitUntilReady({ onProgress, signal } = {}) {
    return poll(settings, async (attemptSignal) => {
      if (ticket === null) {
        await enqueue({ signal: attemptSignal });
      }
      const progress = await status(ticket ?? undefined, { signal: attemptSignal });
      onProgress?.(progress);
      return outcome(settings, progress, /** @type {string} */ (progress.ticket));
    }, signal);
  }

  return Object.freeze({
    enqueue,
    status,
    waitUntilReady,
    get ticket() {
      return ticket;
    },
  });
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

/** @returns {Solver} a Web Worker where there are workers; the calling thread elsewhere */
function defaultSolver() {
  return typeof Worker === 'function' ? solveInWorker : solvePow;
}

/** @param {unknown} body @returns {Record<string, unknown> | undefined} the challenge a 401 carries */
function challengeIn(body) {
  const challenge = typeof body === 'object' && body !== null ? /** @type {any} */ (body).challenge : undefined;
  return typeof challenge === 'object' && challenge !== null && !Array.isArray(challenge) ? challenge : undefined;
}

/** @param {unknown} body @param {string} error @returns {boolean} whether it is `{"error": error}` */
function isErrorBody(body, error) {
  return typeof body === 'object' && body !== null && /** @type {any} */ (body).error === error;
}

/** @param {unknown} value @returns {value is string} */
function isTicket(value) {
  return typeof value === 'string' && value.length <= MAX_TICKET_CHARS && CREDENTIAL_PATTERN.test(value);
}

/**
 * @param {string} name
 * @param {unknown} value
 * @returns {string}
 */
function checkedTicket(name, value) {
  if (!isTicket(value)) {
    throw new TypeError(`${name}: ${describeValue(value)} (expected: a ticket from enqueue())`);
  }
  return value;
}
