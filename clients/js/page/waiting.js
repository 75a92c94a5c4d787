// The hosted waiting page: reads the room's config from the page, waits in the room with the SDK,
// shows where the visitor stands, and sends them on with their queue token when it is their turn.
// What it shows and says is decided in waiting-model.js; this file only reads and writes the DOM.
import { createRoom } from '../src/gatehouse.js';
import {
  announcementDue, chooseLanguage, drawCheck, readConfig, resumeState, returnUrlWithToken, textsFor, viewOf,
} from './waiting-model.js';

/** How often the countdown to a draw is redrawn. */
const COUNTDOWN_TICK_MS = 1000;

const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

start();

function start() {
  let config;
  try {
    config = readConfig(byId('gatehouse-page').textContent ?? '', location.href);
  } catch (error) {
    // without a config there is no room to wait in, nor a language: English it is
    const text = textsFor(new Map(), 'en');
    fillStaticTexts(text);
    showFailure(text, error, { canRetry: false });
    return;
  }
  const language = chooseLanguage({
    asked: new URL(location.href).searchParams.get('lang'),
    preferred: navigator.languages ?? [],
    fallback: config.defaultLanguage,
    available: ['en', ...config.languages.keys()],
  });
  const text = textsFor(config.languages, language);
  document.documentElement.lang = language;
  const title = config.title ?? text('heading');
  document.title = title;
  byId('gh-title').textContent = title;
  if (config.logoUrl !== null) {
    const logo = /** @type {HTMLImageElement} */ (byId('gh-logo'));
    logo.addEventListener('load', () => { logo.hidden = false; }, { once: true }); // a broken logo stays hidden
    logo.src = config.logoUrl;
  }
  fillStaticTexts(text);
  runRoom(config, language, text);
}

/**
 * Waits in the room and shows it, until the visitor is sent on, holds a pass, or an error ends it
 * (then the retry button starts over, from what the browser kept).
 *
 * @param {import('./waiting-model.js').PageConfig} config
 * @param {string} language
 * @param {import('./waiting-model.js').Text} text
 */
function runRoom(config, language, text) {
  const store = keptPlace(config.room);
  /** @type {import('./waiting-model.js').Kept | null} */
  let kept = null;
  /** @type {import('../src/gatehouse.js').Progress | null} the latest answer; null while joining */
  let latest = null;
  /** @type {number | null} */
  let furthest = null;
  /** @type {import('./waiting-model.js').Announced | null} */
  let announced = null;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let countdownTimer;

  /** @param {import('./waiting-model.js').Phase} phase @param {string} announcement */
  function say(phase, announcement) {
    const next = { phase, text: announcement };
    const nowMs = Date.now();
    if (announcementDue(announced, next, nowMs)) {
      if (phase !== 'joining') { // the page says it is joining by itself; the region speaks of changes
        byId('gh-announcer').textContent = announcement;
      }
      announced = { ...next, atMs: nowMs };
    }
  }

  function stopCountdown() {
    clearInterval(countdownTimer);
    countdownTimer = undefined;
  }

  /** Shows the latest answer (and the time now, for the countdown). */
  function show() {
    const progress = latest;
    const returning = config.returnUrl !== null;
    const view = viewOf(progress, { text, language, furthest, nowMs: Date.now(), returning });
    render(view);
    const drawn = progress !== null && kept?.registered === true && !progress.prequeue;
    const api = config.api;
    renderDraw(drawn ? drawCheck({ api, draw: progress.draw, ticket: progress.ticket, pageUrl: location.href }) : null);
    say(view.phase, view.announcement);
    const ticking = view.phase === 'registered' && progress?.opensAt != null;
    if (ticking && countdownTimer === undefined) {
      countdownTimer = setInterval(show, COUNTDOWN_TICK_MS);
    } else if (!ticking) {
      stopCountdown();
    }
  }

  async function wait() {
    let room;
    kept = resumeState(store.load(), config.user, newUserId);
    try {
      room = createRoom(roomOptions(config, kept));
    } catch {
      kept = resumeState(null, config.user, newUserId); // what the browser kept cannot be used: start afresh
      room = createRoom(roomOptions(config, kept));
    }
    store.save(kept);
    latest = null;
    show();
    const token = await room.waitUntilReady({
      onProgress(progress) {
        kept = { ...kept, token: progress.token, registered: kept.registered || progress.prequeue };
        store.save(kept);
        latest = progress;
        if (progress.position !== null) {
          furthest = Math.max(furthest ?? 0, progress.position);
        }
        show();
      },
    });
    kept = { ...kept, token };
    store.save(kept);
    const target = returnUrlWithToken(config.returnUrl, config.tokenParam, token);
    if (target !== null) {
      location.replace(target);
      return;
    }
    /** @type {HTMLInputElement} */ (byId('gh-token')).value = token;
    byId('gh-pass').hidden = false;
  }

  function run() {
    byId('gh-failure').hidden = true;
    wait().catch((error) => {
      stopCountdown();
      if (kept !== null && error?.code === 'unauthorized') {
        kept = { ...kept, token: null }; // a token the room refuses holds no place: the next try enqueues
        store.save(kept);
      }
      showFailure(text, error, { canRetry: true });
      say('error', text('error'));
    });
  }

  byId('gh-retry').addEventListener('click', run);
  run();
}

/**
 * @param {import('./waiting-model.js').PageConfig} config
 * @param {import('./waiting-model.js').Kept} kept
 * @returns {import('../src/gatehouse.js').RoomOptions}
 */
function roomOptions(config, kept) {
  return {
    room: config.room,
    baseUrl: config.api,
    userId: kept.user,
    token: kept.token ?? undefined,
    rejoinIfUnknown: true, // a visitor back after their turn ran out queues again rather than being stuck
    // user-id and Authorization: Bearer, which Gatehouse reads as user_id and jwt: nginx in front of it drops
    // header names with underscores unless told otherwise
    proxySafeHeaders: true,
  };
}

/** @param {import('./waiting-model.js').View} view */
function render(view) {
  byId('gh-status').textContent = view.status;
  showText('gh-position', view.position);
  showText('gh-ahead', view.ahead);
  byId('gh-place').hidden = view.position === null && view.ahead === null;
  showText('gh-eta', view.eta);
  showText('gh-countdown', view.countdown);
  showText('gh-ticket', view.ticket);
  byId('gh-registration').hidden = view.countdown === null && view.ticket === null;
  const bar = /** @type {HTMLProgressElement} */ (byId('gh-progress'));
  bar.hidden = !view.bar;
  if (view.fraction === null) {
    bar.removeAttribute('value'); // a bar without a value moves to and fro: something is happening
  } else {
    bar.value = view.fraction;
  }
}

/** @param {import('./waiting-model.js').DrawCheck | null} check */
function renderDraw(check) {
  byId('gh-draw').hidden = check === null;
  if (check === null) {
    return;
  }
  for (const file of /** @type {const} */ (['record', 'commit', 'tickets', 'proof'])) {
    /** @type {HTMLAnchorElement} */ (byId(`gh-draw-${file}`)).href = check[file];
  }
  const command = /** @type {HTMLTextAreaElement} */ (byId('gh-command'));
  if (command.value !== check.command) {
    command.value = check.command;
  }
}

/**
 * @param {import('./waiting-model.js').Text} text
 * @param {unknown} error
 * @param {{ canRetry: boolean }} options
 */
function showFailure(text, error, { canRetry }) {
  byId('gh-status').textContent = text('error');
  for (const id of ['gh-place', 'gh-progress', 'gh-eta', 'gh-registration', 'gh-draw']) {
    byId(id).hidden = true;
  }
  byId('gh-error-detail').textContent = error instanceof Error ? error.message : String(error);
  byId('gh-retry').hidden = !canRetry;
  byId('gh-failure').hidden = false;
}

/** @param {string} id @param {string | null} value shown, or the element hidden when null */
function showText(id, value) {
  const element = byId(id);
  element.hidden = value === null;
  element.textContent = value ?? '';
}

/**
 * Puts the texts of the page's fixed parts (`data-text`) in place, and wires the copy buttons
 * (`data-copies`: the field they copy).
 *
 * @param {import('./waiting-model.js').Text} text
 */
function fillStaticTexts(text) {
  for (const element of document.querySelectorAll('[data-text]')) {
    element.textContent = text(/** @type {any} */ (/** @type {HTMLElement} */ (element).dataset.text));
  }
  byId('gh-progress').setAttribute('aria-label', text('progress'));
  for (const button of document.querySelectorAll('[data-copies]')) {
    const field = /** @type {HTMLInputElement | HTMLTextAreaElement} */ (
      byId(/** @type {string} */ (/** @type {HTMLElement} */ (button).dataset.copies)));
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(field.value);
        button.textContent = text('copied');
      } catch {
        field.focus();
        field.select(); // no clipboard (an insecure origin, a refusal): selected for the visitor to copy
      }
    });
  }
}

/**
 * What the browser keeps of the visitor's place in `room`: in localStorage, which may be missing or
 * refuse (private modes, blocked storage); then nothing is kept, and a reload starts over.
 *
 * @param {string} room
 */
function keptPlace(room) {
  const key = `gatehouse.wait.${room}`;
  const storage = () => globalThis.localStorage; // reading the property alone throws where storage is blocked
  return {
    /** @returns {string | null} */
    load() {
      try {
        return storage().getItem(key);
      } catch {
        return null;
      }
    },
    /** @param {import('./waiting-model.js').Kept} kept */
    save(kept) {
      try {
        storage().setItem(key, JSON.stringify(kept));
      } catch {
        // kept in this page only
      }
    },
  };
}

/** A new user id: a random UUID, which outside secure contexts (plain http) is made by hand. */
function newUserId() {
  if (typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
