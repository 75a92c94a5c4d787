import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { createRoom, solvePow } from '../src/gatehouse.js';
import { START_MS, failure, fakeClock, hang, json, networkFailure, raw, scriptedFetch, until } from '../testing/fakes.js';

const ROOM = 'https://room.example';

/** A room over `server`, with a fake clock and the jitter at its least unless given. */
function roomOver(server, clock = fakeClock(), options = {}) {
  return createRoom({
    baseUrl: ROOM,
    businessId: 'key-one',
    userId: 'alice',
    fetch: server.fetch,
    clock,
    random: () => 0,
    ...options,
  });
}

const queued = (position, token = 'T1', estimate = null) =>
  json(200, { warning_msg: null, jwt_token: token, position, ready: false, estimated_wait_seconds: estimate });
const ready = (token = 'T1') =>
  json(200, { warning_msg: null, jwt_token: token, position: null, ready: true, estimated_wait_seconds: 0 });
const enqueued = (token = 'T1', position = 3) =>
  json(200, { jwt: token, position, message: 'User enqueued successfully.' });
const unknown = () => json(200, {
  warning_msg: 'User not found in queue or ready list.', jwt_token: null, position: null, ready: false,
  estimated_wait_seconds: null,
});


describe('enqueue', () => {
  test('enqueue_newUser_sendsKeyAndUserAndKeepsTheToken', async () => {
    const server = scriptedFetch(enqueued('T1', 3));
    const room = roomOver(server);

    const joined = await room.enqueue();

    assert.deepEqual(joined, {
      token: 'T1', position: 3, prequeue: false, message: 'User enqueued successfully.', ticket: null, opensAt: null,
      draw: null,
    });
    assert.equal(room.token, 'T1');
    const [call] = server.calls;
    assert.equal(call.method, 'POST');
    assert.equal(call.url, `${ROOM}/queue/enqueue`);
    assert.equal(call.headers.get('business_id'), 'key-one');
    assert.equal(call.headers.get('user_id'), 'alice');
  });

  test('enqueue_userIdBeyondAscii_sendsItsUtf8Bytes', async () => {
    const server = scriptedFetch(enqueued());
    await roomOver(server).enqueue('zoë');
    // one character per byte on the wire, as the room reads headers (Latin-1): C3 AB is ë in UTF-8
    assert.equal(server.calls[0].headers.get('user_id'), 'zo\u00c3\u00ab');
  });

  test('enqueue_alreadyQueued_keepsTheHeldToken', async () => {
    const server = scriptedFetch(json(200, { jwt: '', position: 4, message: 'User already in queue.' }));
    const room = roomOver(server, fakeClock(), { token: 'KEPT' });
    const joined = await room.enqueue();
    assert.equal(joined.token, 'KEPT');
    assert.equal(joined.position, 4);
  });

  test('enqueue_alreadyQueuedWithoutHeldToken_givesNoToken', async () => {
    const server = scriptedFetch(json(200, { jwt: '', position: 4, message: 'User already in queue.' }));
    const joined = await roomOver(server).enqueue();
    assert.equal(joined.token, null);
  });

  test('enqueue_preQueue_passesTicketOpeningAndDrawThrough', async () => {
    const server = scriptedFetch(json(200, {
      jwt: 'T1', position: null, prequeue: true, ticket: 'a1b2', opens_at: 1893499200, message: 'User enqueued.',
      draw: '/draw/key-3f1c9a0b2d4e5f60/',
    }));
    const joined = await roomOver(server).enqueue();
    assert.equal(joined.position, null);
    assert.equal(joined.prequeue, true);
    assert.equal(joined.ticket, 'a1b2');
    assert.equal(joined.opensAt, 1893499200);
    assert.equal(joined.draw, '/draw/key-3f1c9a0b2d4e5f60/');
  });

  test('enqueue_drawNotAString_isNull', async () => {
    const server = scriptedFetch(json(200, { jwt: 'T1', position: 1, draw: { path: '/draw/x/' } }));
    assert.equal((await roomOver(server).enqueue()).draw, null);
  });

  test('room_publicId_sendsTheRoomHeaderInsteadOfTheKey', async () => {
    const server = scriptedFetch(enqueued('T1'), ready('T1'));
    const room = roomOver(server, fakeClock(), { businessId: undefined, room: 'key-3f1c9a0b2d4e5f60' });
    await room.waitUntilReady();
    for (const call of server.calls) {
      assert.equal(call.headers.get('X-Gatehouse-Room'), 'key-3f1c9a0b2d4e5f60');
      assert.equal(call.headers.get('business_id'), null);
      assert.equal(call.headers.get('X-Api-Key'), null);
    }
    assert.equal(server.calls[0].headers.get('user_id'), 'alice');
    assert.equal(server.calls[1].headers.get('jwt'), 'T1');
  });

  test('room_publicIdWithProxySafeHeaders_sendsTheRoomHeaderAndHyphenatedNames', async () => {
    const server = scriptedFetch(enqueued('T1'), ready('T1'));
    const room = roomOver(server, fakeClock(), { businessId: undefined, room: 'acme', proxySafeHeaders: true });
    await room.waitUntilReady();
    const [join, poll] = server.calls;
    assert.equal(join.headers.get('X-Gatehouse-Room'), 'acme');
    assert.equal(join.headers.get('user-id'), 'alice');
    assert.equal(join.headers.get('X-Api-Key'), null);
    assert.equal(poll.headers.get('Authorization'), 'Bearer T1');
  });

  test('enqueue_proxySafeHeaders_sendsHyphenatedNamesAndBearer', async () => {
    const server = scriptedFetch(enqueued('T1'), ready('T1'));
    const room = roomOver(server, fakeClock(), { proxySafeHeaders: true });
    await room.waitUntilReady();
    const [join, poll] = server.calls;
    assert.equal(join.headers.get('X-Api-Key'), 'key-one');
    assert.equal(join.headers.get('user-id'), 'alice');
    assert.equal(join.headers.get('business_id'), null);
    assert.equal(poll.headers.get('Authorization'), 'Bearer T1');
    assert.equal(poll.headers.get('jwt'), null);
  });

  test('enqueue_validationError_saysWhatTheServerSaid', async () => {
    const tooLong = {
      type: 'string_too_long', loc: ['header', 'user_id'], msg: 'String should have at most 256 characters',
    };
    const server = scriptedFetch(json(422, { detail: [tooLong, { type: 'missing', loc: [], msg: 'Field required' }] }));
    const error = await failure(roomOver(server).enqueue(), 'invalid_request');
    assert.equal(error.status, 422);
    assert.equal(error.message, `POST /queue/enqueue: HTTP 422: header user_id: ${tooLong.msg}; Field required`);
    assert.equal(error.detail[0].type, 'string_too_long');
  });

  test('enqueue_unknownKey_isUnauthorizedWithTheDetail', async () => {
    const server = scriptedFetch(json(401, { detail: 'Invalid API key' }));
    const error = await failure(roomOver(server).enqueue(), 'unauthorized');
    assert.equal(error.detail, 'Invalid API key');
    assert.equal(error.message, 'POST /queue/enqueue: HTTP 401: Invalid API key');
    assert.equal(error.transient, false);
  });
});

describe('createRoom options', () => {
  const base = { businessId: 'key-one', fetch: async () => new Response('{}') };
  const cases = [
    [{ businessId: undefined }, TypeError,
      "businessId, room: neither given (expected: exactly one, the API key or the room's public id)"],
    [{ room: 'acme' }, TypeError,
      "businessId, room: both given (expected: exactly one, the API key or the room's public id)"],
    [{ businessId: '' }, TypeError, 'businessId: "" (expected: a non-empty string)'],
    [{ businessId: undefined, room: 7 }, TypeError, 'room: 7 (expected: a room id such as key-3f1c9a0b2d4e5f60)'],
    [{ businessId: undefined, room: '' }, RangeError,
      'room: "" (expected: 1 to 64 of a-z, 0-9, _ and -, the first a letter or digit)'],
    [{ businessId: undefined, room: 'Key-One' }, RangeError,
      'room: "Key-One" (expected: 1 to 64 of a-z, 0-9, _ and -, the first a letter or digit)'],
    [{ businessId: undefined, room: '-acme' }, RangeError,
      'room: "-acme" (expected: 1 to 64 of a-z, 0-9, _ and -, the first a letter or digit)'],
    [{ businessId: undefined, room: 'acme\r\nX-Api-Key: k' }, RangeError,
      'room: "acme\\r\\nX-Api-Key: k" (expected: 1 to 64 of a-z, 0-9, _ and -, the first a letter or digit)'],
    [{ businessId: undefined, room: 'a'.repeat(65) }, RangeError,
      `room: "${'a'.repeat(40)}…" (expected: 1 to 64 of a-z, 0-9, _ and -, the first a letter or digit)`],
    [{ userId: 'al\nice' }, RangeError, 'userId: "al\\nice" (expected: no control characters, no space at either end)'],
    [{ userId: ' alice' }, RangeError, 'userId: " alice" (expected: no control characters, no space at either end)'],
    [{ userId: 'é'.repeat(129) }, RangeError, 'userId: 258 bytes (expected: at most 256 in UTF-8)'],
    [{ token: 'two words' }, TypeError, 'token: "two words" (expected: a queue token from an earlier enqueue)'],
    [{ rejoinIfUnknown: true }, TypeError, 'rejoinIfUnknown: true (expected: with userId, the user to enqueue again)'],
    [{ pollIntervalMs: 50 }, RangeError, 'pollIntervalMs: 50 (expected: milliseconds from 100 to 2147483647)'],
    [{ pollIntervalMs: 2000, maxPollIntervalMs: 1000 }, RangeError,
      'maxPollIntervalMs: 1000 (expected: milliseconds from 2000 to 2147483647)'],
    [{ maxBackoffMs: Number.POSITIVE_INFINITY }, RangeError,
      'maxBackoffMs: Infinity (expected: milliseconds from 1000 to 2147483647)'],
    [{ maxRetryAfterMs: 2 ** 31 }, RangeError,
      'maxRetryAfterMs: 2147483648 (expected: milliseconds from 1000 to 2147483647)'],
    [{ clock: { now: () => 0 } }, TypeError, 'clock.setTimeout: undefined (expected: a function)'],
    [{ baseUrl: null }, TypeError, "baseUrl: null (expected: a URL such as https://queue.example.com, or '')"],
    [{ fetch: 'nope' }, TypeError, 'fetch: "nope" (expected: a function)'],
  ];
  for (const [options, type, message] of cases) {
    test(`createRoom_badOption_throws ${message}`, () => {
      assert.throws(() => createRoom({ ...base, ...options }), (error) => {
        assert.ok(error instanceof type, `${error.name}: ${error.message}`);
        assert.equal(error.message, message);
        return true;
      });
    });
  }

  test('createRoom_noFetchAnywhere_saysSo', () => {
    const globalFetch = globalThis.fetch;
    globalThis.fetch = undefined;
    try {
      assert.throws(
        () => createRoom({ businessId: 'key-one' }),
        { name: 'TypeError', message: 'fetch: undefined (expected: a function; this host has no global fetch)' },
      );
    } finally {
      globalThis.fetch = globalFetch;
    }
  });

  test('createRoom_longIntervalAlone_raisesTheBoundsWithIt', async () => {
    const server = scriptedFetch(queued(9, 'T1', 3600), json(503, {}), ready());
    const clock = fakeClock();
    await roomOver(server, clock, { token: 'T1', pollIntervalMs: 60_000 }).waitUntilReady();
    assert.deepEqual(clock.delays, [60_000, 60_000]);
  });
});

describe('waitUntilReady', () => {
  test('waitUntilReady_queuedThenReady_pollsAtTheIntervalAndResolvesWithTheToken', async () => {
    const server = scriptedFetch(enqueued('T1', 3), queued(3), queued(2), queued(1), ready('T1'));
    const clock = fakeClock();
    const progress = [];

    const token = await roomOver(server, clock).waitUntilReady({ onProgress: (p) => progress.push(p) });

    assert.equal(token, 'T1');
    assert.deepEqual(clock.delays, [1000, 1000, 1000]);
    assert.deepEqual(server.calls.map((c) => `${c.method} ${c.url.slice(ROOM.length)}`), [
      'POST /queue/enqueue', 'GET /queue/status', 'GET /queue/status', 'GET /queue/status', 'GET /queue/status',
    ]);
    for (const poll of server.calls.slice(1)) {
      assert.deepEqual([poll.headers.get('jwt'), poll.headers.get('business_id')], ['T1', 'key-one']);
    }
    assert.deepEqual(
      progress.map((p) => [p.position, p.ahead, p.ready]),
      [[3, 2, false], [2, 1, false], [1, 0, false], [null, null, true]],
    );
    assert.deepEqual(progress[0], {
      position: 3, ahead: 2, ready: false, estimatedWaitSeconds: null,
      prequeue: false, ticket: null, opensAt: null, draw: null, token: 'T1',
    });
    assert.equal(clock.pending, 0);
  });

  test('waitUntilReady_tokenHeld_pollsWithoutEnqueueing', async () => {
    const server = scriptedFetch(ready('KEPT'));
    const token = await roomOver(server, fakeClock(), { token: 'KEPT' }).waitUntilReady();
    assert.equal(token, 'KEPT');
    assert.equal(server.calls.length, 1);
    assert.equal(server.calls[0].headers.get('jwt'), 'KEPT');
  });

  test('waitUntilReady_estimate_setsTheIntervalWithinItsBounds', async () => {
    // a tenth of the estimate, at least pollIntervalMs (1 s), at most maxPollIntervalMs (5 s)
    const server = scriptedFetch(
      queued(40, 'T1', 30), queued(30, 'T1', 600), queued(2, 'T1', 2), queued(1, 'T1', null), ready(),
    );
    const clock = fakeClock();
    await roomOver(server, clock, { token: 'T1' }).waitUntilReady();
    assert.deepEqual(clock.delays, [3000, 5000, 1000, 1000]);
  });

  test('waitUntilReady_preQueue_pollsAtTheLongestIntervalAndPassesDrawFieldsThrough', async () => {
    const server = scriptedFetch(
      json(200, {
        warning_msg: null, jwt_token: 'T1', position: null, ready: false, estimated_wait_seconds: null,
        prequeue: true, ticket: 'c0ffee', opens_at: 1893499200, draw: '/draw/key-one/',
      }),
      queued(7),
      ready(),
    );
    const clock = fakeClock();
    const progress = [];
    const room = roomOver(server, clock, { token: 'T1', maxPollIntervalMs: 8000 });
    await room.waitUntilReady({ onProgress: (p) => progress.push(p) });
    assert.deepEqual(clock.delays, [8000, 1000]);
    assert.deepEqual(progress[0], {
      position: null, ahead: null, ready: false, estimatedWaitSeconds: null,
      prequeue: true, ticket: 'c0ffee', opensAt: 1893499200, draw: '/draw/key-one/', token: 'T1',
    });
    assert.equal(progress[1].prequeue, false);
  });

  test('waitUntilReady_tokenRenewed_sendsTheNewOneAndResolvesWithTheNewest', async () => {
    const server = scriptedFetch(queued(2, 'T1'), queued(1, 'T2'), queued(1, 'T2'), ready('T3'));
    const room = roomOver(server, fakeClock(), { token: 'T1' });
    const seen = [];

    const token = await room.waitUntilReady({ onProgress: (p) => seen.push(p.token) });

    assert.deepEqual(server.calls.map((c) => c.headers.get('jwt')), ['T1', 'T1', 'T2', 'T2']);
    assert.deepEqual(seen, ['T1', 'T2', 'T2', 'T3']);
    assert.equal(token, 'T3');
    assert.equal(room.token, 'T3');
  });

  test('waitUntilReady_serverErrors_backOffExponentiallyUpToTheBound', async () => {
    const server = scriptedFetch(
      ...Array(7).fill(json(503, { detail: "The waiting room's store is unavailable; retry shortly" })),
      queued(1),
      networkFailure(),
      ready(),
    );
    const clock = fakeClock();
    await roomOver(server, clock, { token: 'T1', maxBackoffMs: 20_000 }).waitUntilReady();
    // least jitter: half of min(20 s, 1 s · 2^n); a usable answer starts the count again
    assert.deepEqual(clock.delays, [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 1000, 1000]);
  });

  test('waitUntilReady_jitter_staysBetweenHalfAndAllOfTheBackoff', async () => {
    const cases = [
      [0.5, [1500, 3000, 6000, 12_000, 22_500, 22_500]],
      [0.999999, [2000, 4000, 8000, 16_000, 30_000, 30_000]],
    ];
    for (const [random, expected] of cases) {
      const server = scriptedFetch(...Array.from({ length: 6 }, () => networkFailure()), ready());
      const clock = fakeClock();
      await roomOver(server, clock, { token: 'T1', random: () => random }).waitUntilReady();
      assert.deepEqual(clock.delays, expected, `random ${random}`);
    }
  });

  test('waitUntilReady_retryAfterSeconds_waitsAtLeastThat', async () => {
    const server = scriptedFetch(
      json(429, { detail: 'Too many status requests from this IP: at most 120 per 60 s; retry in 7 s' }, {
        'Retry-After': '7', RateLimit: '"ip_status";r=0;t=7', 'RateLimit-Policy': '"ip_status";q=120;w=60',
      }),
      json(503, { detail: 'busy' }, { 'Retry-After': '3' }),
      ready(),
    );
    const clock = fakeClock();
    await roomOver(server, clock, { token: 'T1' }).waitUntilReady();
    assert.deepEqual(clock.delays, [7000, 3000]);
  });

  test('waitUntilReady_retryAfterDate_waitsUntilThen', async () => {
    const later = new Date(START_MS + 12_000).toUTCString(); // "Tue, 01 Jan 2030 12:00:12 GMT"
    const past = new Date(START_MS - 60_000).toUTCString();
    const server = scriptedFetch(
      json(429, { detail: 'slow down' }, { 'Retry-After': later }),
      json(429, { detail: 'slow down' }, { 'Retry-After': past }),
      ready(),
    );
    const clock = fakeClock();
    await roomOver(server, clock, { token: 'T1' }).waitUntilReady();
    // the date is 12 s ahead of the clock; a date gone by leaves the backoff (2 s: the second failure)
    assert.deepEqual(clock.delays, [12_000, 2000]);
  });

  test('waitUntilReady_retryAfterMalformed_isIgnored', async () => {
    const values = ['soon', '-5', '1.5', '', '7 s', 'Thu, 99 Foo 2030 00:00:00 GMT', '0x10'];
    const refusals = values.map((value) => json(429, { detail: 'slow down' }, { 'Retry-After': value }));
    const server = scriptedFetch(...refusals, ready());
    const clock = fakeClock();
    await roomOver(server, clock, { token: 'T1', maxBackoffMs: 4000 }).waitUntilReady();
    assert.deepEqual(clock.delays, [1000, 2000, 2000, 2000, 2000, 2000, 2000]);
  });

  test('waitUntilReady_unknownUser_failsWithTheWarning', async () => {
    const server = scriptedFetch(queued(2), unknown());
    const error = await failure(roomOver(server, fakeClock(), { token: 'T1' }).waitUntilReady(), 'unknown_user');
    assert.equal(error.detail, 'User not found in queue or ready list.');
    assert.equal(server.calls.length, 2);
  });

  test('waitUntilReady_unknownUserWithRejoin_enqueuesAgainAndGoesOn', async () => {
    const server = scriptedFetch(queued(2, 'T1'), unknown(), enqueued('T9', 50), queued(50, 'T9'), ready('T9'));
    const progress = [];
    const token = await roomOver(server, fakeClock(), { token: 'T1', rejoinIfUnknown: true })
      .waitUntilReady({ onProgress: (p) => progress.push(p.position) });
    assert.equal(token, 'T9');
    assert.equal(server.calls[2].method, 'POST');
    assert.equal(server.calls[2].headers.get('user_id'), 'alice');
    assert.equal(server.calls[3].headers.get('jwt'), 'T9');
    assert.deepEqual(progress, [2, 50, null]);
  });

  test('waitUntilReady_unknownRightAfterRejoin_fails', async () => {
    const server = scriptedFetch(unknown(), enqueued('T9'), unknown());
    const room = roomOver(server, fakeClock(), { token: 'T1', rejoinIfUnknown: true });
    await failure(room.waitUntilReady(), 'unknown_user');
    assert.equal(server.calls.length, 3);
  });

  test('waitUntilReady_forgedToken_failsWithTheDetailAtOnce', async () => {
    const server = scriptedFetch(json(401, { detail: 'Invalid queue token' }));
    const error = await failure(roomOver(server, fakeClock(), { token: 'T1' }).waitUntilReady(), 'unauthorized');
    assert.equal(error.message, 'GET /queue/status: HTTP 401: Invalid queue token');
    assert.equal(server.calls.length, 1);
  });

  test('waitUntilReady_queuedAlreadyWithoutToken_failsSayingToKeepIt', async () => {
    const server = scriptedFetch(json(200, { jwt: '', position: 4, message: 'User already in queue.' }));
    const error = await failure(roomOver(server).waitUntilReady(), 'no_token');
    assert.match(error.message, /pass the token kept from then as options.token/);
  });

  test('waitUntilReady_noTokenNoUser_fails', async () => {
    const server = scriptedFetch();
    const room = createRoom({ businessId: 'key-one', fetch: server.fetch, clock: fakeClock() });
    await failure(room.waitUntilReady(), 'no_token');
    await failure(room.status(), 'no_token');
    assert.equal(server.calls.length, 0);
  });

  test('waitUntilReady_enqueueRefusedFor429_retriesTheEnqueue', async () => {
    const tooMany = json(429, { detail: 'Too many enqueue requests' }, { 'Retry-After': '4' });
    const server = scriptedFetch(tooMany, enqueued('T1'), ready('T1'));
    const clock = fakeClock();
    assert.equal(await roomOver(server, clock).waitUntilReady(), 'T1');
    assert.deepEqual(clock.delays, [4000]);
    assert.deepEqual(server.calls.map((c) => c.method), ['POST', 'POST', 'GET']);
  });

  test('waitUntilReady_onProgressThrows_endsTheWaitWithIt', async () => {
    const server = scriptedFetch(queued(2));
    const bug = new Error('render failed');
    const onProgress = () => {
      throw bug;
    };
    await assert.rejects(roomOver(server, fakeClock(), { token: 'T1' }).waitUntilReady({ onProgress }), bug);
    assert.equal(server.calls.length, 1);
  });
});

describe('cancellation', () => {
  test('waitUntilReady_abortedBefore_sendsNothing', async () => {
    const server = scriptedFetch();
    const clock = fakeClock();
    const reason = new Error('left the page');
    await assert.rejects(roomOver(server, clock).waitUntilReady({ signal: AbortSignal.abort(reason) }), reason);
    assert.equal(server.calls.length, 0);
    assert.equal(clock.pending, 0);
  });

  test('waitUntilReady_abortedWhileWaiting_clearsTheTimerAndStops', async () => {
    const server = scriptedFetch(queued(5));
    const clock = fakeClock({ auto: false });
    const controller = new AbortController();
    const waiting = roomOver(server, clock, { token: 'T1' }).waitUntilReady({ signal: controller.signal });
    await until(() => clock.pending === 1);

    controller.abort();

    await assert.rejects(waiting, (error) => error.name === 'AbortError');
    assert.equal(clock.pending, 0);
    await new Promise(setImmediate);
    assert.equal(server.calls.length, 1);
  });

  test('waitUntilReady_abortedDuringAPoll_abortsTheFetch', async () => {
    const server = scriptedFetch(queued(5), hang());
    const clock = fakeClock({ auto: false });
    const controller = new AbortController();
    const reason = new Error('left the page');
    const waiting = roomOver(server, clock, { token: 'T1' }).waitUntilReady({ signal: controller.signal });
    await until(() => clock.pending === 1);
    clock.fireNext();
    await until(() => server.calls.length === 2);

    controller.abort(reason);

    await assert.rejects(waiting, reason);
    assert.equal(server.calls[1].signal.aborted, true);
    assert.equal(clock.pending, 0);
    assert.equal(server.calls.length, 2);
  });

  test('waitUntilReady_abortedOnTheSystemClock_leavesNoTimerBehind', async () => {
    const server = scriptedFetch(queued(5));
    const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    const controller = new AbortController();
    const room = createRoom({ businessId: 'key-one', token: 'T1', fetch: server.fetch, pollIntervalMs: 60_000 });
    const waiting = room.waitUntilReady({ signal: controller.signal });
    await until(() => timers() === before + 1);

    controller.abort();

    await assert.rejects(waiting, (error) => error.name === 'AbortError');
    assert.equal(timers(), before);
  });
});

describe('raw answers', () => {
  test('status_htmlErrorPage_isTransientWithoutADetail', async () => {
    const page = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    const server = scriptedFetch(raw(502, page, { 'Content-Type': 'text/html' }));
    const error = await failure(roomOver(server, fakeClock(), { token: 'T1' }).status(), 'unavailable');
    assert.equal(error.transient, true);
    assert.equal(error.detail, null);
    assert.equal(error.message, 'GET /queue/status: HTTP 502');
  });
});

describe('proof of work', () => {
  const workChallenge = (difficulty = 6) => ({
    id: 'v1.cm9vbQ.opaque', payload: '9f86d081884c7d659a2feaa0c55ad015', difficulty, expires_at: 1893499500,
    algorithm: 'sha256',
  });
  const workRequired = (difficulty) => json(428, {
    detail: 'This room asks for a proof of work before it queues anyone.', challenge: workChallenge(difficulty),
  });

  test('enqueue_roomAsksForWork_solvesTheChallengeAndSendsTheSolution', async () => {
    const server = scriptedFetch(workRequired(6), enqueued('T1', 2));
    const room = roomOver(server, fakeClock(), { solver: solvePow });

    const joined = await room.enqueue();

    assert.equal(joined.token, 'T1');
    assert.equal(server.calls.length, 2);
    const [first, second] = server.calls;
    assert.equal(first.headers.get('X-Gatehouse-Pow-Id'), null);
    assert.equal(second.headers.get('X-Gatehouse-Pow-Id'), 'v1.cm9vbQ.opaque');
    assert.equal(second.headers.get('user_id'), 'alice');
    assert.equal(second.headers.get('business_id'), 'key-one');
    const nonce = second.headers.get('X-Gatehouse-Pow-Nonce');
    const hash = createHash('sha256').update(Buffer.from(workChallenge().payload + nonce, 'hex')).digest();
    assert.ok(hash[0] >> 2 === 0, `SHA-256 ${hash.toString('hex')} lacks 6 leading zero bits`);
  });

  test('waitUntilReady_roomAsksForWork_solvesOnceThenPolls', async () => {
    let solves = 0;
    const solver = async () => {
      solves += 1;
      return '00000000000000ff';
    };
    const server = scriptedFetch(workRequired(20), enqueued('T1', 1), ready('T2'));
    const token = await roomOver(server, fakeClock(), { solver }).waitUntilReady();
    assert.equal(token, 'T2');
    assert.equal(solves, 1);
  });

  test('enqueue_solutionRefusedAgain_failsTheChallengeWithTheRoomsWords', async () => {
    const server = scriptedFetch(workRequired(0), json(428, {
      detail: 'The proof of work was refused (replayed): solve this challenge.', challenge: workChallenge(0),
    }));
    const error = await failure(roomOver(server, fakeClock(), { solver: solvePow }).enqueue(), 'challenge_failed');
    assert.match(error.message, /the solution was refused: "The proof of work was refused \(replayed\)/);
    assert.equal(error.status, 428);
    assert.equal(server.calls.length, 2);
  });

  test('enqueue_428WithoutAChallenge_isABadResponse', async () => {
    const server = scriptedFetch(json(428, { detail: 'work' }));
    const error = await failure(roomOver(server).enqueue(), 'bad_response');
    assert.match(error.message, /428 without a challenge/);
  });

  test('enqueue_workThisSdkCannotDo_isRefusedWithoutSolving', async () => {
    let solves = 0;
    const server = scriptedFetch(json(428, { challenge: { ...workChallenge(), algorithm: 'argon2id' } }));
    const solver = async () => {
      solves += 1;
      return '00';
    };
    const error = await failure(roomOver(server, fakeClock(), { solver }).enqueue(), 'challenge_failed');
    assert.match(error.message, /"argon2id" work; this SDK solves sha256 only/);
    assert.equal(solves, 0);
  });

  test('enqueue_abortedWhileSolving_endsTheWorkAndRejectsWithTheReason', async () => {
    const controller = new AbortController();
    const solver = (payload, difficulty, { signal }) => new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      controller.abort(new Error('left the page'));
    });
    const server = scriptedFetch(workRequired(30));
    await assert.rejects(
      roomOver(server, fakeClock(), { solver }).enqueue(undefined, { signal: controller.signal }),
      { message: 'left the page' },
    );
    assert.equal(server.calls.length, 1);
  });

  test('createRoom_solverNotAFunction_isRefused', () => {
    assert.throws(() => roomOver(scriptedFetch(), fakeClock(), { solver: 'fast' }), {
      message: 'solver: "fast" (expected: a function like solvePow)',
    });
  });
});
