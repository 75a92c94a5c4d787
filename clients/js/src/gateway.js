// A client of the queue `gatehouse gateway` serves under its admin prefix on Wicket's wire: it takes a
// ticket (solving the proof of work first when the gateway asks for an admission token), polls the
// ticket's place, and waits until the ticket is admitted.
import {
  GatehouseError, baseUrlOf, countOf, describeValue, exchangeOf, send, successBody,
} from './http.js';
import { outcome, poll, pollingSettings } from './polling.js';
import { challengeIn, solveChallenge, solverOf } from './work.js';

/** No ticket is longer (the gateway's own bound). */
const MAX_TICKET_CHARS = 64;

/** A ticket or an admission token: visible ASCII, which a header or a query can carry. */
const CREDENTIAL_PATTERN = /^[\x21-\x7e]+$/;

/** The longest admission token accepted from `solve`. */
const MAX_ADMISSION_TOKEN_CHARS = 4096;

/**
 * @typedef {import('./polling.js').PollingOptions & GatewayOwnOptions} GatewayOptions
 */

/**
 * @typedef {object} GatewayOwnOptions
 * @property {string} [baseUrl=''] where the gateway answers; '' for the page's own origin
 * @property {string} [prefix='/__gatehouse__/'] the gateway's `admin_prefix` (`/__wicket__/` for
 *     Wicket's)
 * @property {string} [ticket] a ticket kept from an earlier enqueue, to go on polling with it
 * @property {import('./work.js').Solver} [solver] solves the proof of work: by default a module Web
 *     Worker running `pow-worker.js` where `Worker` exists, else `solvePow` on the calling thread
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
  const { baseUrl = '', prefix = '/__gatehouse__/', ticket: keptTicket, fetch } = options;
  if (typeof prefix !== 'string' || !/^\/(?:.*\/)?$/.test(prefix)) {
    throw new RangeError(`prefix: ${describeValue(prefix)} (expected: a path starting and ending with /)`);
  }
  const solver = solverOf(options.solver);
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
    const { id, nonce } = await solveChallenge(challenge, solver, { what: `POST ${prefix}challenge`, signal });
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
