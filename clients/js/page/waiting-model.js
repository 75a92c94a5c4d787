// The hosted waiting page's logic, apart from the DOM so that Node can test it: the page's config,
// the language and its texts, what a poll's answer shows and says, when the live region speaks, the
// draw's files and where the visitor goes once it is their turn.

/**
 * Every text the page shows, in English; a room's config overrides any of them per language.
 * `{name}` stands for a value filled in when the text is shown.
 */
export const DEFAULT_TEXTS = Object.freeze({
  heading: 'Waiting room',
  joining: 'Getting you a place in line…',
  queued: 'You are in line. Keep this page open: it moves on by itself when it is your turn.',
  position: 'You are number {position} in line',
  ahead: '{ahead} ahead of you',
  next: 'You are next.',
  eta: 'Estimated wait: {wait}',
  eta_unknown: 'The wait cannot be estimated yet.',
  wait_under_minute: 'under a minute',
  wait_minutes: 'about {minutes} min',
  wait_hours: 'about {hours} h {minutes} min',
  wait_over_day: 'more than a day',
  progress: 'Your progress in line',
  prequeue: 'You are registered. When the event starts, everyone registered is put in line in an order'
    + ' drawn at random, so there is no need to hurry or to reload.',
  countdown: 'The draw starts in {time}',
  draw_due: 'The draw is under way; your place shows in a moment.',
  ticket: 'Your ticket: {ticket}',
  drawn_check: 'Your place was drawn at random. Anyone can check the draw and your place in it:',
  draw_record: 'Draw record',
  draw_commit: 'Commitment',
  draw_tickets: 'All tickets',
  draw_proof: 'Proof for your ticket',
  verify_command: 'Or check it all with the Gatehouse command line:',
  ready: 'It is your turn! Taking you there…',
  ready_no_return: 'It is your turn. Use this pass to go on:',
  pass: 'Your pass',
  copy: 'Copy',
  copied: 'Copied',
  error: 'Your place in line could not be checked.',
  retry: 'Try again',
  noscript: 'This page needs JavaScript to hold your place. Go on to the waiting page that works without it.',
});

/** @typedef {keyof typeof DEFAULT_TEXTS} TextKey */

/**
 * Looks a text up and fills in its values.
 *
 * @callback Text
 * @param {TextKey} key
 * @param {Record<string, string | number>} [values]
 * @returns {string}
 */

/** The query parameter the token is sent back in when the config names none. */
export const DEFAULT_TOKEN_PARAM = 'gatehouse_token';

/** While the place alone changes, the live region speaks at most this often. */
export const ANNOUNCE_INTERVAL_MS = 30_000;

/** A draw's path as the room gives it (`/draw/<room>/`): segments of URL-safe characters. */
const DRAW_PATH = /^\/(?:[A-Za-z0-9._~-]+\/)+$/;

/** A draw ticket id as it may stand, unquoted, in a URL's query and on a command line. */
const DRAW_TICKET = /^[A-Za-z0-9_-]{1,128}$/;

/** A word the shell takes as it is; any other is quoted. */
const PLAIN_SHELL_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The page's config, as the server puts it in the page; every field but `room` may be missing.
 *
 * @typedef {object} PageConfig
 * @property {string} room the room's public id
 * @property {string} api where the room's API answers ('' for the page's origin)
 * @property {string | null} title the room's title
 * @property {string | null} logoUrl the room's logo
 * @property {string | null} returnUrl where a visitor goes when it is their turn: an absolute
 *     http(s) URL, or null (then the page shows the token)
 * @property {string} tokenParam the query parameter the token is added to `returnUrl` as
 * @property {string | null} defaultLanguage the room's language, for visitors whose own it lacks
 * @property {Map<string, Record<string, unknown>>} languages texts per language tag (canonical)
 * @property {string | null} user the user id the business gave, or null for one the page makes
 */

/**
 * Reads the config JSON. A field of the wrong type counts as missing; a language whose tag is no
 * language tag is left out. `return_url` is an absolute http(s) URL or, given the page's own URL, a
 * path of the page's origin (`/seat?to=/shop`; never `//host`, which names another).
 *
 * @param {string} json
 * @param {string} [pageUrl] the page's own URL (`location.href`)
 * @returns {PageConfig}
 * @throws {TypeError} for text that is no JSON object, or one without a room
 */
export function readConfig(json, pageUrl) {
  let value;
  try {
    value = JSON.parse(json);
  } catch {
    throw new TypeError('page config: not JSON');
  }
  if (!isRecord(value)) {
    throw new TypeError('page config: not a JSON object');
  }
  const room = textOf(value.room);
  if (room === null) {
    throw new TypeError('page config: no room (expected: the room\'s public id)');
  }
  return Object.freeze({
    room,
    api: typeof value.api === 'string' ? value.api : '',
    title: textOf(value.title),
    logoUrl: textOf(value.logo_url),
    returnUrl: (httpUrl(value.return_url) ?? pathOfPage(value.return_url, pageUrl))?.href ?? null,
    tokenParam: textOf(value.token_param) ?? DEFAULT_TOKEN_PARAM,
    defaultLanguage: textOf(value.default_language),
    languages: languagesOf(value.languages),
    user: textOf(value.user),
  });
}

/**
 * The language to show: the first of `asked` (the page URL's `?lang=`), `preferred` (the browser's,
 * best first) and `fallback` (the room's) that `available` has, matched exactly, else by its primary
 * subtag (`de-CH` takes `de`, and `de` takes `de-CH` when that is all there is); English when none.
 *
 * @param {{ asked?: unknown, preferred?: readonly unknown[], fallback?: unknown, available: Iterable<string> }} choice
 *     `available`: canonical tags
 * @returns {string}
 */
export function chooseLanguage({ asked, preferred = [], fallback, available }) {
  const tags = [...available];
  for (const candidate of [asked, ...preferred, fallback]) {
    const tag = canonicalTag(candidate);
    if (tag === null) {
      continue;
    }
    const primary = primaryOf(tag);
    const match = tags.find((each) => each === tag)
      ?? tags.find((each) => each === primary)
      ?? tags.find((each) => primaryOf(each) === primary);
    if (match !== undefined) {
      return match;
    }
  }
  return 'en';
}

/**
 * The texts of `language`: the config's where it gives a key as a string, English for the rest.
 *
 * @param {Map<string, Record<string, unknown>>} languages
 * @param {string} language
 * @returns {Text}
 */
export function textsFor(languages, language) {
  const given = languages.get(language) ?? {};
  /** @type {Record<string, string>} */
  const texts = { ...DEFAULT_TEXTS };
  for (const key of Object.keys(DEFAULT_TEXTS)) {
    const text = given[key];
    if (Object.hasOwn(given, key) && typeof text === 'string') {
      texts[key] = text;
    }
  }
  return (key, values = {}) => {
    if (!Object.hasOwn(texts, key)) {
      throw new RangeError(`text: ${JSON.stringify(key)} (expected: a key of DEFAULT_TEXTS)`);
    }
    return substitute(texts[key], values);
  };
}

/**
 * `template` with each `{name}` replaced by `values[name]`; a name without a value stays as it is
 * written, so a text that asks for one it is not given shows the gap rather than failing. Values
 * are put in once: a value holding `{name}` is not filled in again.
 *
 * @param {string} template
 * @param {Record<string, string | number>} values
 * @returns {string}
 */
export function substitute(template, values) {
  return template.replace(/\{([a-z_]+)\}/g, (written, name) => (Object.hasOwn(values, name) ? String(values[name]) : written));
}

/**
 * The estimated wait in words: "Estimated wait: about 3 min"; the `eta_unknown` text when there is
 * no estimate (null, negative, not a number).
 *
 * @param {unknown} seconds
 * @param {Text} text
 * @returns {string}
 */
export function waitText(seconds, text) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    return text('eta_unknown');
  }
  const minutes = Math.round(seconds / 60);
  const wait = seconds < 60 ? text('wait_under_minute')
    : minutes < 60 ? text('wait_minutes', { minutes })
    : minutes < 24 * 60 ? text('wait_hours', { hours: Math.floor(minutes / 60), minutes: minutes % 60 })
    : text('wait_over_day');
  return text('eta', { wait });
}

/**
 * A countdown: `1:02:03`, or `4:05` under an hour; a fraction of a second counts as a whole one, and
 * a time gone by (or no number) is `0:00`.
 *
 * @param {unknown} seconds
 * @returns {string}
 */
export function countdown(seconds) {
  const whole = typeof seconds === 'number' && seconds > 0
    ? Math.min(Math.ceil(seconds), Number.MAX_SAFE_INTEGER) // beyond, numbers print with exponents
    : 0;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor(whole / 60) % 60;
  const twoDigits = (/** @type {number} */ count) => String(count).padStart(2, '0');
  const secondsText = twoDigits(whole % 60);
  return hours > 0 ? `${hours}:${twoDigits(minutes)}:${secondsText}` : `${minutes}:${secondsText}`;
}

/**
 * How far along the line the visitor is, from 0 at `furthest` (the furthest place seen) to 1 at the
 * head; null when either is no place (a pre-queue, a malformed answer).
 *
 * @param {number | null} furthest
 * @param {number | null} position
 * @returns {number | null}
 */
export function progressFraction(furthest, position) {
  if (!isPlace(furthest) || !isPlace(position)) {
    return null;
  }
  return Math.min(1, Math.max(0, (furthest - position) / furthest));
}

/**
 * @typedef {'joining' | 'registered' | 'queued' | 'ready' | 'error'} Phase
 */

/**
 * @typedef {object} Announced what the live region said last
 * @property {Phase} phase
 * @property {string} text
 * @property {number} atMs
 */

/**
 * Whether the live region should say `next`: always on a change of phase (registered, queued, ready,
 * an error), else only a new text (the place moving) at least {@link ANNOUNCE_INTERVAL_MS} after the
 * last one, so that a screen reader is not read every poll.
 *
 * @param {Announced | null} last
 * @param {{ phase: Phase, text: string }} next
 * @param {number} nowMs
 * @returns {boolean}
 */
export function announcementDue(last, next, nowMs) {
  if (last === null || next.phase !== last.phase) {
    return true;
  }
  return next.text !== last.text && nowMs - last.atMs >= ANNOUNCE_INTERVAL_MS;
}

/**
 * What the page shows of a poll's answer.
 *
 * @typedef {object} View
 * @property {Phase} phase
 * @property {string} status the main line
 * @property {string | null} position "You are number 3 in line"
 * @property {string | null} ahead "2 ahead of you"
 * @property {string | null} eta the estimated wait
 * @property {number | null} fraction the progress bar's value; null for a bar without one
 * @property {boolean} bar whether the progress bar shows
 * @property {string | null} countdown the time to the draw, or that it is under way
 * @property {string | null} ticket the visitor's ticket, while registered
 * @property {string} announcement what the live region says of it
 */

/**
 * @typedef {object} ViewContext
 * @property {Text} text
 * @property {string} language for numbers
 * @property {number | null} furthest the furthest place seen
 * @property {number} nowMs
 * @property {boolean} returning whether the page sends the visitor on when ready
 */

/**
 * The view of an answer, or of none yet (`null`: joining).
 *
 * @param {import('../src/gatehouse.js').Progress | null} progress
 * @param {ViewContext} context
 * @returns {View}
 */
export function viewOf(progress, { text, language, furthest, nowMs, returning }) {
  const none = { position: null, ahead: null, eta: null, fraction: null, bar: false, countdown: null, ticket: null };
  if (progress === null) {
    const status = text('joining');
    return { ...none, phase: 'joining', status, bar: true, announcement: status };
  }
  if (progress.ready) {
    const status = text(returning ? 'ready' : 'ready_no_return');
    return { ...none, phase: 'ready', status, fraction: 1, bar: true, announcement: status };
  }
  if (progress.prequeue) {
    const status = text('prequeue');
    const left = progress.opensAt === null ? null : progress.opensAt - nowMs / 1000;
    return {
      ...none,
      phase: 'registered',
      status,
      countdown: left === null ? null : left > 0 ? text('countdown', { time: countdown(left) }) : text('draw_due'),
      ticket: progress.ticket === null ? null : text('ticket', { ticket: progress.ticket }),
      announcement: status,
    };
  }
  const numbers = new Intl.NumberFormat(language);
  const position = progress.position === null ? null : text('position', { position: numbers.format(progress.position) });
  return {
    ...none,
    phase: 'queued',
    status: text('queued'),
    position,
    ahead: progress.ahead === null ? null
      : progress.ahead === 0 ? text('next')
      : text('ahead', { ahead: numbers.format(progress.ahead) }),
    eta: waitText(progress.estimatedWaitSeconds, text),
    fraction: progressFraction(furthest, progress.position),
    bar: true,
    announcement: position ?? text('queued'),
  };
}

/**
 * The page the visitor goes to when it is their turn: `returnUrl` with `token` in the query parameter
 * `tokenParam`, after the URL's own parameters (one of the same name, a token of an earlier visit,
 * is replaced) and before its fragment, both kept as written. Null for a URL that is not an
 * absolute http(s) one (`javascript:`, `data:`, a relative path, no URL at all).
 *
 * @param {unknown} returnUrl
 * @param {string} tokenParam
 * @param {string} token
 * @returns {string | null}
 */
export function returnUrlWithToken(returnUrl, tokenParam, token) {
  const url = httpUrl(returnUrl);
  if (url === null) {
    return null;
  }
  const kept = url.search.slice(1).split('&').filter((pair) => pair !== '' && parameterName(pair) !== tokenParam);
  url.search = [...kept, `${encodeURIComponent(tokenParam)}=${encodeURIComponent(token)}`].join('&');
  return url.href;
}

/**
 * @typedef {object} DrawCheck the draw's files for a ticket, and the command that checks them
 * @property {string} record
 * @property {string} commit
 * @property {string} tickets
 * @property {string} proof
 * @property {string} command `gatehouse verify …`
 */

/**
 * The draw's files (`{api}{draw}record`, `commit`, `tickets`, `proof?ticket=`) as absolute URLs, and
 * the `gatehouse verify` command line that checks the ticket's place in it. Null unless `draw` is a
 * path as the room gives it and `ticket` a ticket id, or when the files would not be http(s).
 *
 * @param {{ api: string, draw: unknown, ticket: unknown, pageUrl: string }} where `pageUrl` resolves
 *     an `api` of '' (the page's origin)
 * @returns {DrawCheck | null}
 */
export function drawCheck({ api, draw, ticket, pageUrl }) {
  if (typeof draw !== 'string' || !DRAW_PATH.test(draw) || typeof ticket !== 'string' || !DRAW_TICKET.test(ticket)) {
    return null;
  }
  let files;
  try {
    files = new URL(`${api.replace(/\/+$/, '')}${draw}`, pageUrl);
  } catch {
    return null;
  }
  if (files.protocol !== 'https:' && files.protocol !== 'http:') {
    return null;
  }
  const file = (/** @type {string} */ name) => new URL(name, files).href;
  const check = {
    record: file('record'), commit: file('commit'), tickets: file('tickets'), proof: file(`proof?ticket=${ticket}`),
  };
  const command = ['gatehouse', 'verify', '--record', check.record, '--commit', check.commit, '--ticket', ticket,
    '--proof', check.proof, '--tickets', check.tickets];
  return { ...check, command: command.map(shellWord).join(' ') };
}

/**
 * @typedef {object} Kept what the page keeps in the browser per room, so a reload keeps the place
 * @property {string} user
 * @property {string | null} token the latest queue token
 * @property {boolean} registered whether the visitor was registered for the room's draw
 */

/**
 * Where a visit starts: the user the business gave, else the one kept, else a new one from
 * `newUserId`; the kept token and draw registration only when they are that user's. `kept` is what
 * the browser kept (any text, or null when nothing or storage is unavailable).
 *
 * @param {string | null} kept
 * @param {string | null} configUser
 * @param {() => string} newUserId
 * @returns {Kept}
 */
export function resumeState(kept, configUser, newUserId) {
  let value;
  try {
    value = kept === null ? null : JSON.parse(kept);
  } catch {
    value = null;
  }
  const record = isRecord(value) ? value : {};
  const keptUser = textOf(record.user);
  const user = configUser ?? keptUser ?? newUserId();
  const same = keptUser === user;
  return { user, token: same ? textOf(record.token) : null, registered: same && record.registered === true };
}

/**
 * @param {unknown} value
 * @param {string | undefined} pageUrl
 * @returns {URL | null} the value, a path (`/a?b`), as a URL of the page's origin; null for anything else
 */
function pathOfPage(value, pageUrl) {
  const page = httpUrl(pageUrl);
  if (typeof value !== 'string' || page === null || !/^\/(?![/\\])/.test(value)) {
    return null;
  }
  let url;
  try {
    url = new URL(value, page);
  } catch {
    return null;
  }
  return url.origin === page.origin ? url : null;
}

/** @param {unknown} value @returns {URL | null} the value as an absolute http(s) URL */
function httpUrl(value) {
  if (typeof value !== 'string') {
    return null;
  }
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
}

/** @param {string} pair a query's `name=value` @returns {string} its name, decoded as forms encode it */
function parameterName(pair) {
  const name = pair.split('=', 1)[0].replaceAll('+', ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name; // a malformed escape: compared as written
  }
}

/** @param {string} word @returns {string} the word as a POSIX shell reads it back */
function shellWord(word) {
  return PLAIN_SHELL_WORD.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * @param {unknown} value
 * @returns {Map<string, Record<string, unknown>>} the texts per canonical language tag
 */
function languagesOf(value) {
  const languages = new Map();
  if (isRecord(value)) {
    for (const [tag, texts] of Object.entries(value)) {
      const canonical = canonicalTag(tag);
      if (canonical !== null && isRecord(texts)) {
        languages.set(canonical, texts);
      }
    }
  }
  return languages;
}

/** @param {unknown} value @returns {string | null} the language tag in its canonical case, null for none */
function canonicalTag(value) {
  if (typeof value !== 'string' || value === '') {
    return null;
  }
  try {
    return Intl.getCanonicalLocales(value)[0] ?? null;
  } catch {
    return null; // not a language tag
  }
}

/** @param {string} tag @returns {string} */
function primaryOf(tag) {
  return tag.split('-', 1)[0];
}

/** @param {unknown} value @returns {value is number} */
function isPlace(value) {
  return Number.isSafeInteger(value) && /** @type {number} */ (value) >= 1;
}

/** @param {unknown} value @returns {string | null} a non-empty string, else null */
function textOf(value) {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
