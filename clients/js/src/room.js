// A client of the waiting room `gatehouse serve` answers on GatekeeperAPI's wire: it enqueues a user,
// polls the user's place, keeps the queue token the room renews, and waits until the user is ready.
import {
  GatehouseError, baseUrlOf, countOf, describeValue, exchangeOf, headerValue, send, successBody,
} from './http.js';
import { outcome, poll, pollingSettings } from './polling.js';
import { challengeIn, solveChallenge, solverOf } from './work.js';

/** The room's bound on a user id, in bytes. */
const MAX_USER_ID_BYTES = 256;

/** The room's bound on an API key or a token, in characters (here bytes: both are ASCII). */
const MAX_CREDENTIAL_BYTES = 4096;

/** A queue token as the room issues it: a JWT, visible ASCII, which a header can carry as it is. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/** A room's id, which is its tenant's id: what the server accepts as one (`Tenant.isValidId`). */
const ROOM_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The header naming the room by its public id, for a page that must not hold the API key. */
const ROOM_HEADER = 'X-Gatehouse-Room';

/**
 * The headers that carry the API key, the user and the token: GatekeeperAPI's names, or names that
 * every proxy passes on (both read by Gatehouse).
 */
const HEADER_STYLES = Object.freeze({
  gatekeeper: Object.freeze({
    apiKey: 'business_id',
    user: 'user_id',
    token: (/** @type {string} */ token) => ({ jwt: token }),
  }),
  proxySafe: Object.freeze({
    apiKey: 'X-Api-Key',
    user: 'user-id',
    token: (/** @type {string} */ token) => ({ Authorization: `Bearer ${token}` }),
  }),
});

/**
 * @typedef {import('./polling.js').PollingOptions & RoomOwnOptions} RoomOptions
 */

/**
 * @typedef {object} RoomOwnOptions
 * @property {string} [baseUrl=''] where `gatehouse serve` answers (`https://room.example.com`);
 *     '' for the page's own origin
 * @property {string} [businessId] the tenant's API key, sent as `business_id`; exactly one of
 *     `businessId` and `room` is given
 * @property {string} [room] the room's public id (its tenant's id, `key-3f1c9a0b2d4e5f60`), sent as
 *     `X-Gatehouse-Room` instead of the API key: for pages anyone can read
 * @property {string} [userId] the user that `enqueue()` and `waitUntilReady()` enqueue by default
 * @property {string} [token] a queue token kept from an earlier enqueue, to go on polling with it
 * @property {boolean} [rejoinIfUnknown=false] when the room no longer knows the user (finished,
 *     expired, abandoned), enqueue `userId` again, at the back of the queue, instead of failing;
 *     once in a row: unknown again right after is the `unknown_user` error
 * @property {boolean} [proxySafeHeaders=false] send `X-Api-Key`, `user-id` and
 *     `Authorization: Bearer` instead of `business_id`, `user_id` and `jwt` (nginx drops header
 *     names with underscores unless told otherwise; GatekeeperAPI itself reads the underscored ones)
 * @property {import('./work.js').Solver} [solver] solves the proof of work a room may ask before
 *     it queues anyone (`pow_difficulty`): by default a module Web Worker running `pow-worker.js`
 *     where `Worker` exists, else `solvePow` on the calling thread
 * @property {typeof fetch} [fetch] the fetch to send requests with (the global one)
 */

/**
 * @typedef {object} Enqueued
 * @property {string | null} token the queue token now held: the new one, or for a user already
 *     queued (whom the room sends no token) the one held before, if any
 * @property {number | null} position the place (from 1; 0 when ready); null in a pre-queue
 * @property {boolean} prequeue whether the user is registered for a draw
 * @property {string | null} message the room's message
 * @property {string | null} ticket the pre-queue ticket, when the room gives one
 * @property {number | null} opensAt when the draw is due, Unix seconds, when the room says
 * @property {string | null} draw the path of the room's draw files (`/draw/<room>/`), in a room
 *     with an event
 */

/**
 * @typedef {object} Room
 * @property {(userId?: string, options?: { signal?: AbortSignal }) => Promise<Enqueued>} enqueue
 *     puts the user in the queue (`POST /queue/enqueue`); answered 428 by a room that asks for a
 *     proof of work, it solves the challenge the answer carries and asks once more with the solution
 * @property {(options?: { signal?: AbortSignal }) => Promise<import('./polling.js').Progress>} status
 *     the held token's place (`GET /queue/status`), keeping the token the room returns
 * @property {(options?: import('./polling.js').WaitOptions) => Promise<string>} waitUntilReady polls until the user is
 *     ready and resolves with the latest token, which the backend then verifies; enqueues `userId`
 *     first when no token is held
 * @property {string | null} token the queue token held now
 */

/**
 * A client of one room, for one user at a time.
 *
 * @param {RoomOptions} options
 * @returns {Room}
 * @throws {TypeError | RangeError} for an option out of bounds, naming it
 */
export function createRoom(options) {
  const {
    baseUrl = '', businessId, room, userId, token: keptToken, rejoinIfUnknown = false, proxySafeHeaders = false, fetch,
  } = options;
  const base = baseUrlOf(baseUrl);
  const settings = pollingSettings(options);
  const exchange = exchangeOf(fetch, settings.clock.now);
  const style = proxySafeHeaders ? HEADER_STYLES.proxySafe : HEADER_STYLES.gatekeeper;
  const tenant = tenantHeader(businessId, room, style);
  const solver = solverOf(options.solver);
  if (userId !== undefined) {
    headerValue('userId', userId, MAX_USER_ID_BYTES);
  }
  if (rejoinIfUnknown && userId === undefined) {
    throw new TypeError('rejoinIfUnknown: true (expected: with userId, the user to enqueue again)');
  }
  /** @type {string | null} */
  let token = null;
  if (keptToken !== undefined) {
    if (!isToken(keptToken)) {
      throw new TypeError(`token: ${describeValue(keptToken)} (expected: a queue token from an earlier enqueue)`);
    }
    token = keptToken;
  }

  /** @type {Room['enqueue']} */
  async function enqueue(user = userId, { signal } = {}) {
    const headers = { ...tenant, [style.user]: headerValue('userId', user, MAX_USER_ID_BYTES) };
    let answer = await send(exchange, 'POST', `${base}/queue/enqueue`, { headers, signal });
    if (answer.status === 428) {
      const challenge = challengeIn(answer.body);
      if (challenge === undefined) {
        throw new GatehouseError('bad_response', 'POST /queue/enqueue: 428 without a challenge to solve', {
          status: 428,
        });
      }
      const { id, nonce } = await solveChallenge(challenge, solver, { what: 'POST /queue/enqueue', signal });
      const solved = { ...headers, 'X-Gatehouse-Pow-Id': id, 'X-Gatehouse-Pow-Nonce': nonce };
      answer = await send(exchange, 'POST', `${base}/queue/enqueue`, { headers: solved, signal });
      if (answer.status === 428) {
        const said = typeof answer.body === 'object' && answer.body !== null
          ? describeValue(/** @type {any} */ (answer.body).detail) : 'no reason given';
        throw new GatehouseError('challenge_failed', `POST /queue/enqueue: the solution was refused: ${said}`, {
          status: 428,
        });
      }
    }
    const body = successBody('POST /queue/enqueue', answer);
    const issued = tokenOf('POST /queue/enqueue: jwt', body.jwt);
    if (issued !== null) {
      token = issued;
    }
    return {
      token,
      position: countOf(body.position),
      prequeue: body.prequeue === true,
      message: stringOf(body.message),
      ticket: stringOf(body.ticket),
      opensAt: countOf(body.opens_at),
      draw: stringOf(body.draw),
    };
  }

  /** @type {Room['status']} */
  async function status({ signal } = {}) {
    if (token === null) {
      const said = 'no queue token held (enqueue first, or pass options.token)';
      throw new GatehouseError('no_token', `GET /queue/status: ${said}`);
    }
    const held = token;
    const headers = { ...tenant, ...style.token(held) };
    const answer = await send(exchange, 'GET', `${base}/queue/status`, { headers, signal });
    const body = successBody('GET /queue/status', answer);
    if (typeof body.warning_msg === 'string' && body.warning_msg !== '') {
      throw new GatehouseError('unknown_user', `GET /queue/status: ${body.warning_msg}`, {
        status: 200, detail: body.warning_msg,
      });
    }
    const renewed = tokenOf('GET /queue/status: jwt_token', body.jwt_token);
    if (renewed !== null) {
      token = renewed;
    }
    const position = countOf(body.position);
    return {
      position,
      ahead: position === null ? null : Math.max(0, position - 1),
      ready: body.ready === true,
      estimatedWaitSeconds: countOf(body.estimated_wait_seconds),
      prequeue: body.prequeue === true,
      ticket: stringOf(body.ticket),
      opensAt: countOf(body.opens_at),
      draw: stringOf(body.draw),
      token: renewed ?? held,
    };
  }

  /** Enqueues `userId` for a wait that holds no token. */
  async function join(/** @type {AbortSignal | undefined} */ signal) {
    if (userId === undefined) {
      throw new GatehouseError('no_token', 'waitUntilReady: no queue token held and no userId to enqueue');
    }
    const joined = await enqueue(userId, { signal });
    if (joined.token === null) {
      throw new GatehouseError(
        'no_token',
        'POST /queue/enqueue: the user is queued already, and the room gives a token only on the first enqueue;'
          + ' pass the token kept from then as options.token',
      );
    }
  }

  /** @type {Room['waitUntilReady']} */
  function waitUntilReady({ onProgress, signal } = {}) {
    let rejoined = false;
    return poll(settings, async (attemptSignal) => {
      if (token === null) {
        await join(attemptSignal);
      }
      let progress;
      try {
        progress = await status({ signal: attemptSignal });
      } catch (error) {
        const unknown = error instanceof GatehouseError && error.code === 'unknown_user';
        if (!(unknown && rejoinIfUnknown && !rejoined)) {
          throw error;
        }
        token = null; // so the next attempt enqueues the user again, at the back
        rejoined = true;
        return { delayMs: 0 };
      }
      rejoined = false;
      onProgress?.(progress);
      return outcome(settings, progress, /** @type {string} */ (progress.token));
    }, signal);
  }

  return Object.freeze({
    enqueue,
    status,
    waitUntilReady,
    get token() {
      return token;
    },
  });
}

/**
 * The header naming the tenant: its API key, or its room's public id; exactly one must be given.
 *
 * @param {unknown} businessId
 * @param {unknown} room
 * @param {typeof HEADER_STYLES[keyof typeof HEADER_STYLES]} style
 * @returns {Record<string, string>}
 * @throws {TypeError | RangeError} for neither or both, or a value that cannot be one
 */
function tenantHeader(businessId, room, style) {
  if ((businessId === undefined) === (room === undefined)) {
    const given = businessId === undefined ? 'neither given' : 'both given';
    throw new TypeError(`businessId, room: ${given} (expected: exactly one, the API key or the room's public id)`);
  }
  if (businessId !== undefined) {
    return { [style.apiKey]: headerValue('businessId', businessId, MAX_CREDENTIAL_BYTES) };
  }
  if (typeof room !== 'string') {
    throw new TypeError(`room: ${describeValue(room)} (expected: a room id such as key-3f1c9a0b2d4e5f60)`);
  }
  if (!ROOM_ID_PATTERN.test(room)) {
    const expected = '1 to 64 of a-z, 0-9, _ and -, the first a letter or digit';
    throw new RangeError(`room: ${describeValue(room)} (expected: ${expected})`);
  }
  return { [ROOM_HEADER]: room };
}

/** @param {unknown} value @returns {string | null} the value when it is a string, else null */
function stringOf(value) {
  return typeof value === 'string' ? value : null;
}

/** @param {unknown} value @returns {value is string} whether it is a token the room could have issued */
function isToken(value) {
  return typeof value === 'string' && value.length <= MAX_CREDENTIAL_BYTES && TOKEN_PATTERN.test(value);
}

/**
 * The token of an answer's field: null for none (absent, null or '').
 *
 * @param {string} what the field, named for the message (`GET /queue/status: jwt_token`)
 * @param {unknown} value
 * @returns {string | null}
 * @throws {GatehouseError} `bad_response` for a value that is no token
 */
function tokenOf(what, value) {
  if (value === undefined || value === null || value === '') {
    return null;
  }
  if (!isToken(value)) {
    throw new GatehouseError('bad_response', `${what}: ${describeValue(value)} (expected: a token)`);
  }
  return value;
}
