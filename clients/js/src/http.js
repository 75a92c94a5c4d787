// One HTTP exchange with a Gatehouse server, and the errors it can end in. Every answer body is read
// up to MAX_RESPONSE_BYTES and parsed as JSON when it can be; an answer that is not a success becomes a
// GatehouseError carrying the status, what the server said and, when it asked, how long to wait.

/** The most bytes of an answer body read; Gatehouse's answers are well under 1 KiB. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** The most characters of a plain-text error body kept as an error's detail. */
const MAX_TEXT_DETAIL_CHARS = 200;

/** HTTP's dates (RFC 9110 §5.6.7), all in UTC: `Sun, 06 Nov 1994 08:49:37 GMT`, … */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
/** … `Sunday, 06-Nov-94 08:49:37 GMT`, … */
const RFC_850_DATE = /^[A-Z][a-z]{5,8}, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
/** … and `Sun Nov  6 08:49:37 1994`, which names no zone. */
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * What went wrong, one word each:
 * - `network`: no answer (the fetch failed); transient
 * - `rate_limited`: 429; transient
 * - `unavailable`: 408 or 5xx; transient
 * - `unauthorized`: 401 (a missing or wrong API key or token)
 * - `invalid_request`: 400 or 422 (the server refused the request's fields)
 * - `http`: any other status that is not a success
 * - `bad_response`: a success whose body is not what the API answers
 * - `unknown_user`: the room does not know the token's user (finished, expired, abandoned)
 * - `no_token`: the room has the user queued already but gave no token, and none is held
 * - `unknown_ticket`: the gateway does not know the ticket
 * - `challenge_failed`: the gateway's proof of work could not be obtained, solved or accepted
 *
 * @typedef {'network' | 'rate_limited' | 'unavailable' | 'unauthorized' | 'invalid_request' | 'http'
 *     | 'bad_response' | 'unknown_user' | 'no_token' | 'unknown_ticket' | 'challenge_failed'} ErrorCode
 */

const TRANSIENT = new Set(['network', 'rate_limited', 'unavailable']);

/** An error of the SDK: a refusal by the server, an answer it could not use, or no answer at all. */
export class GatehouseError extends Error {
  /**
   * @param {ErrorCode} code
   * @param {string} message
   * @param {{ status?: number | null, detail?: unknown, retryAfterMs?: number | null, cause?: unknown }} [facts]
   *     `status` the HTTP status, `detail` what the server said (its `detail` or `error` field, or a
   *     short plain-text body), `retryAfterMs` its Retry-After in milliseconds
   */
  constructor(code, message, { status = null, detail = null, retryAfterMs = null, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'GatehouseError';
    /** @readonly */
    this.code = code;
    /** @readonly */
    this.status = status;
    /** @readonly */
    this.detail = detail;
    /** @readonly */
    this.retryAfterMs = retryAfterMs;
  }

  /** Whether asking again later may succeed: no answer, 408, 429 or 5xx. */
  get transient() {
    return TRANSIENT.has(this.code);
  }
}

/**
 * @typedef {object} Answer
 * @property {number} status
 * @property {unknown} body the parsed JSON body; undefined when it is not JSON or too long
 * @property {string | null} plainText the start of a text/plain body (the gateway's proxied refusals)
 * @property {number | null} retryAfterMs the Retry-After header in milliseconds, null when absent or malformed
 */

/**
 * @typedef {object} Exchange
 * @property {(url: string, init: RequestInit) => Promise<Response>} fetch
 * @property {() => number} now epoch milliseconds, for Retry-After dates
 */

/**
 * What `send` needs: a fetch (the global one by default), called without a receiver so that a
 * browser's own `fetch` may be passed as it is, and the clock's `now`.
 *
 * @param {typeof fetch | undefined} fetchOption
 * @param {() => number} now
 * @returns {Exchange}
 */
export function exchangeOf(fetchOption, now) {
  const fetchFunction = fetchOption ?? globalThis.fetch;
  if (typeof fetchFunction !== 'function') {
    const missing = fetchOption === undefined ? '; this host has no global fetch' : '';
    throw new TypeError(`fetch: ${describeValue(fetchOption)} (expected: a function${missing})`);
  }
  return { fetch: (url, init) => fetchFunction(url, init), now };
}

/**
 * Sends one request and reads its answer, whatever the status.
 *
 * @param {Exchange} exchange
 * @param {string} method
 * @param {string} url
 * @param {{ headers?: Record<string, string>, json?: unknown, signal?: AbortSignal }} [request]
 * @returns {Promise<Answer>}
 * @throws {GatehouseError} `network` when no answer came; the signal's reason when it was aborted
 */
export async function send(exchange, method, url, { headers = {}, json, signal } = {}) {
  signal?.throwIfAborted();
  const body = json === undefined ? undefined : JSON.stringify(json);
  const sent = json === undefined ? headers : { ...headers, 'Content-Type': 'application/json' };
  try {
    const response = await exchange.fetch(url, { method, headers: sent, body, cache: 'no-store', signal });
    const text = await readText(response);
    const plain = (response.headers.get('Content-Type') ?? '').startsWith('text/plain');
    return {
      status: response.status,
      body: text === null ? undefined : parseJson(text),
      plainText: plain && text !== null && text.trim() !== '' ? text.trim().slice(0, MAX_TEXT_DETAIL_CHARS) : null,
      retryAfterMs: retryAfterMs(response.headers.get('Retry-After'), exchange.now()),
    };
  } catch (error) {
    signal?.throwIfAborted();
    throw new GatehouseError('network', `${method} ${url}: no answer (${messageOf(error)})`, { cause: error });
  }
}

/**
 * The error an answer that is not a success stands for.
 *
 * @param {string} what the request, for the message (`POST /queue/enqueue`)
 * @param {Answer} answer
 * @returns {GatehouseError}
 */
function refusal(what, answer) {
  const { status, retryAfterMs: wait } = answer;
  const detail = detailOf(answer);
  const code = status === 401 ? 'unauthorized'
    : status === 400 || status === 422 ? 'invalid_request'
    : status === 429 ? 'rate_limited'
    : status === 408 || status >= 500 ? 'unavailable'
    : 'http';
  const said = detail === null ? '' : `: ${typeof detail === 'string' ? detail : describeValidation(detail)}`;
  return new GatehouseError(code, `${what}: HTTP ${status}${said}`, { status, detail, retryAfterMs: wait });
}

/**
 * The JSON object of a successful answer.
 *
 * @param {string} what
 * @param {Answer} answer
 * @returns {Record<string, unknown>}
 * @throws {GatehouseError} the refusal for a status that is not 2xx; `bad_response` for a body that is no JSON object
 */
export function successBody(what, answer) {
  if (answer.status < 200 || answer.status > 299) {
    throw refusal(what, answer);
  }
  const body = answer.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatehouseError('bad_response', `${what}: HTTP ${answer.status} without a JSON object`, {
      status: answer.status,
    });
  }
  return /** @type {Record<string, unknown>} */ (body);
}

/**
 * A server's base URL without its trailing slashes, for paths to be appended; '' stands for the
 * page's own origin.
 *
 * @param {unknown} baseUrl
 * @returns {string}
 */
export function baseUrlOf(baseUrl) {
  if (typeof baseUrl !== 'string') {
    const given = describeValue(baseUrl);
    throw new TypeError(`baseUrl: ${given} (expected: a URL such as https://queue.example.com, or '')`);
  }
  return baseUrl.replace(/\/+$/, '');
}

/**
 * A count of an answer: a non-negative safe integer, or null for anything else (absent, null, a
 * string, a fraction, a number too large to be exact).
 *
 * @param {unknown} value
 * @returns {number | null}
 */
export function countOf(value) {
  return Number.isSafeInteger(value) && /** @type {number} */ (value) >= 0 ? /** @type {number} */ (value) : null;
}

/**
 * A Retry-After value in milliseconds: delta-seconds or an HTTP-date (then measured from `nowMs`,
 * never below 0). Null when absent or neither form.
 *
 * @param {string | null} value
 * @param {number} nowMs
 * @returns {number | null}
 */
export function retryAfterMs(value, nowMs) {
  if (value === null) {
    return null;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    return Number(text) * 1000; // a huge count becomes Infinity, which the caller caps
  }
  // only the three forms HTTP knows: Date.parse alone takes "1" for a year, and asctime for local time
  const utc = ASCTIME_DATE.test(text) ? `${text} GMT` : IMF_FIXDATE.test(text) || RFC_850_DATE.test(text) ? text : null;
  const at = utc === null ? Number.NaN : Date.parse(utc);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/**
 * A header value for fetch: the UTF-8 bytes of `value`, one character per byte, which is how the
 * server reads them (Latin-1), so any string reaches it as its UTF-8 spelling.
 *
 * @param {string} name the option's name, for the message
 * @param {unknown} value
 * @param {number} maxBytes
 * @returns {string}
 * @throws {TypeError | RangeError} for a value that is no non-empty string, too long, or not sendable
 */
export function headerValue(name, value, maxBytes) {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${name}: ${describeValue(value)} (expected: a non-empty string)`);
  }
  // fetch refuses control characters and silently trims spaces at either end: refuse both here
  if (/[\u0000-\u001f\u007f]|^ | $/.test(value)) {
    throw new RangeError(`${name}: ${JSON.stringify(value)} (expected: no control characters, no space at either end)`);
  }
  const bytes = new TextEncoder().encode(value);
  if (bytes.length > maxBytes) {
    throw new RangeError(`${name}: ${bytes.length} bytes (expected: at most ${maxBytes} in UTF-8)`);
  }
  return Array.from(bytes, (byte) => String.fromCharCode(byte)).join('');
}

/**
 * A short description of a value for a message: strings quoted, other values by their type.
 *
 * @param {unknown} value
 * @returns {string}
 */
export function describeValue(value) {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  return value === null ? 'null' : typeof value === 'number' ? String(value) : typeof value;
}

/**
 * An error's message, for a message of the SDK's own.
 *
 * @param {unknown} error
 * @returns {string}
 */
export function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The body as text, or null when it is longer than MAX_RESPONSE_BYTES (the rest is not read).
 *
 * @param {Response} response
 * @returns {Promise<string | null>}
 */
async function readText(response) {
  if (response.body === null || typeof response.body?.getReader !== 'function') {
    const text = await response.text(); // a fetch without streams: bounded after the fact
    return text.length > MAX_RESPONSE_BYTES ? null : text;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    length += value.byteLength;
    if (length > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => {}); // the body is dropped either way
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** @param {string} text @returns {unknown} the parsed JSON, undefined when it is not JSON */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * What an error answer says: Gatehouse's room answers `{"detail": …}` (a string, or FastAPI's list of
 * validation errors), the gateway's admin API `{"error": "…"}`, its proxied refusals plain text.
 *
 * @param {Answer} answer
 * @returns {string | unknown[] | null}
 */
function detailOf(answer) {
  const body = answer.body;
  if (typeof body === 'object' && body !== null) {
    const fields = /** @type {Record<string, unknown>} */ (body);
    for (const value of [fields.detail, fields.error]) {
      if (typeof value === 'string' || Array.isArray(value)) {
        return value;
      }
    }
  }
  return answer.plainText;
}

/**
 * FastAPI's validation list in one line: `header user_id: Field required; …`.
 *
 * @param {unknown[]} detail
 * @returns {string}
 */
function describeValidation(detail) {
  return detail
    .map((entry) => {
      const loc = Array.isArray(entry?.loc) ? entry.loc.join(' ') : '';
      const msg = typeof entry?.msg === 'string' ? entry.msg : 'invalid';
      return loc === '' ? msg : `${loc}: ${msg}`;
    })
    .join('; ');
}
