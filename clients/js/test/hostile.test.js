// Servers that answer badly, by accident or on purpose: the SDK must neither crash, hang, hammer
// nor believe them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createGatewayQueue, createRoom } from '../src/gatehouse.js';
import { MAX_RESPONSE_BYTES } from '../src/http.js';
import { START_MS, failure, fakeClock, json, raw, scriptedFetch } from '../testing/fakes.js';

function roomOver(server, clock = fakeClock(), options = {}) {
  return createRoom({
    baseUrl: 'https://room.example',
    businessId: 'key-one',
    token: 'T1',
    fetch: server.fetch,
    clock,
    random: () => 0,
    ...options,
  });
}

function queueOver(server, clock = fakeClock()) {
  return createGatewayQueue({ baseUrl: 'https://shop.example', fetch: server.fetch, clock, random: () => 0 });
}

const ready = () =>
  json(200, { warning_msg: null, jwt_token: 'T1', position: null, ready: true, estimated_wait_seconds: 0 });


describe('bodies that are not the API', () => {
  for (const [name, body, type] of [
    ['html', '<!doctype html><title>Welcome to nginx!</title>', 'text/html'],
    ['truncatedJson', '{"warning_msg": null, "position": 3', 'application/json'],
    ['jsonArray', '[1, 2, 3]', 'application/json'],
    ['jsonNull', 'null', 'application/json'],
    ['jsonNumber', '42', 'application/json'],
    ['empty', '', 'application/json'],
  ]) {
    test(`status_${name}Success_isABadResponseNotRetried`, async () => {
      const server = scriptedFetch(raw(200, body, { 'Content-Type': type }));
      const error = await failure(roomOver(server).waitUntilReady(), 'bad_response');
      assert.equal(error.message, 'GET /queue/status: HTTP 200 without a JSON object');
      assert.equal(server.calls.length, 1);
    });
  }

  test('status_bodyOverTheBound_isABadResponse', async () => {
    const huge = JSON.stringify({ ready: false, padding: 'x'.repeat(MAX_RESPONSE_BYTES) });
    const server = scriptedFetch(raw(200, huge, { 'Content-Type': 'application/json' }));
    await failure(roomOver(server).status(), 'bad_response');
  });

  test('status_errorBodyOverTheBound_staysTransient', async () => {
    const huge = 'x'.repeat(10 * MAX_RESPONSE_BYTES);
    const server = scriptedFetch(raw(503, huge, { 'Content-Type': 'text/plain' }), ready());
    const clock = fakeClock();
    assert.equal(await roomOver(server, clock).waitUntilReady(), 'T1');
    assert.deepEqual(clock.delays, [1000]);
  });

  test('status_bodyBrokenMidway_isANetworkFailureAndRetried', async () => {
    const broken = () => new Response(new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"ready": tr'));
        controller.error(new Error('connection reset'));
      },
    }), { status: 200 });
    const server = scriptedFetch(broken, ready());
    const clock = fakeClock();
    assert.equal(await roomOver(server, clock).waitUntilReady(), 'T1');
    assert.deepEqual(clock.delays, [1000]);
  });

  test('status_htmlBadGatewayPage_isRetriedAsTransient', async () => {
    const page = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>'
      + '<hr><center>nginx</center></body></html>';
    const badGateway = raw(502, page, { 'Content-Type': 'text/html' });
    const server = scriptedFetch(badGateway, badGateway, ready());
    const clock = fakeClock();
    assert.equal(await roomOver(server, clock).waitUntilReady(), 'T1');
    assert.deepEqual(clock.delays, [1000, 2000]);
  });

  test('gateway_plainTextRefusal_keepsTheText', async () => {
    const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '2' };
    const server = scriptedFetch(raw(429, 'rate limit exceeded\n', headers));
    const error = await failure(queueOver(server).enqueue(), 'rate_limited');
    assert.equal(error.detail, 'rate limit exceeded');
    assert.equal(error.retryAfterMs, 2000);
    assert.equal(error.transient, true);
  });

  test('status_teapot_isAnHttpErrorNotRetried', async () => {
    const server = scriptedFetch(json(418, { detail: "I'm a teapot" }));
    const error = await failure(roomOver(server).waitUntilReady(), 'http');
    assert.equal(error.message, "GET /queue/status: HTTP 418: I'm a teapot");
    assert.equal(server.calls.length, 1);
  });
});

describe('fields out of their bounds', () => {
  test('status_hugeAndOddNumbers_becomeUnknown', async () => {
    const odd = [
      '{"jwt_token":"T1","position":1e400,"ready":false,"estimated_wait_seconds":1e400}',
      `{"jwt_token":"T1","position":${2 ** 60},"ready":false,"estimated_wait_seconds":${2 ** 60}}`,
      '{"jwt_token":"T1","position":-3,"ready":false,"estimated_wait_seconds":-1}',
      '{"jwt_token":"T1","position":2.5,"ready":false,"estimated_wait_seconds":"30"}',
      '{"jwt_token":"T1","position":"5","ready":"true","estimated_wait_seconds":true}',
    ];
    const server = scriptedFetch(...odd.map((body) => raw(200, body)), ready());
    const clock = fakeClock();
    const progress = [];
    await roomOver(server, clock).waitUntilReady({ onProgress: (p) => progress.push(p) });
    for (const p of progress.slice(0, odd.length)) {
      assert.deepEqual([p.position, p.ahead, p.estimatedWaitSeconds, p.ready], [null, null, null, false]);
    }
    assert.deepEqual(clock.delays, Array(odd.length).fill(1000));
  });

  test('status_missingFields_keepWaitingWithTheHeldToken', async () => {
    const server = scriptedFetch(json(200, {}), json(200, { ready: false }), ready());
    const progress = [];
    const token = await roomOver(server).waitUntilReady({ onProgress: (p) => progress.push(p) });
    assert.equal(token, 'T1');
    assert.deepEqual(progress[0], {
      position: null, ahead: null, ready: false, estimatedWaitSeconds: null,
      prequeue: false, ticket: null, opensAt: null, draw: null, token: 'T1',
    });
    assert.deepEqual(server.calls.map((c) => c.headers.get('jwt')), ['T1', 'T1', 'T1']);
  });

  const badTokens = [
    ['number', 42], ['newline', 'eyJ.a\r\nSet-Cookie: x=1'], ['tooLong', 'a'.repeat(5000)], ['object', { jwt: 'x' }],
  ];
  for (const [name, token] of badTokens) {
    test(`status_${name}Token_isABadResponse`, async () => {
      const server = scriptedFetch(json(200, { warning_msg: null, jwt_token: token, position: 1, ready: false }));
      const room = roomOver(server);
      const error = await failure(room.waitUntilReady(), 'bad_response');
      assert.match(error.message, /^GET \/queue\/status: jwt_token: .* \(expected: a token\)$/);
      assert.equal(room.token, 'T1');
    });
  }

  test('gateway_enqueueWithoutTicket_isABadResponse', async () => {
    for (const body of [{ issued: 1 }, { ticket_id: 'a'.repeat(10_000) }, { ticket_id: 7 }, { ticket_id: '' }]) {
      const server = scriptedFetch(json(200, body));
      await failure(queueOver(server).enqueue(), 'bad_response');
    }
  });

  test('gateway_admittedNotTrue_isNotAdmitted', async () => {
    const server = scriptedFetch(
      raw(200, '{"ticket_id": "abc", "admitted": "yes", "position": 1e400}'),
      json(200, { ticket_id: 'abc', admitted: true }),
    );
    const progress = [];
    const queue = createGatewayQueue({ ticket: 'abc', fetch: server.fetch, clock: fakeClock() });
    await queue.waitUntilReady({ onProgress: (p) => progress.push(p) });
    assert.deepEqual(progress.map((p) => p.ready), [false, true]);
    assert.equal(progress[0].position, null);
  });

  test('gateway_challengeMissingFields_isABadResponse', async () => {
    const tokenRequired = json(401, { error: 'admission token required' });
    const server = scriptedFetch(tokenRequired, json(200, { id: 'c1', difficulty: 4 }));
    await failure(queueOver(server).enqueue(), 'bad_response');
  });
});

describe('Retry-After out of bounds', () => {
  test('retryAfter_aYear_isCutToTheDocumentedMaximum', async () => {
    const yearSeconds = 365 * 24 * 3600;
    const inTwentyYears = new Date(START_MS + 20 * yearSeconds * 1000).toUTCString();
    const server = scriptedFetch(
      json(429, { detail: 'come back next year' }, { 'Retry-After': String(yearSeconds) }),
      json(429, { detail: 'come back never' }, { 'Retry-After': '9'.repeat(400) }),
      json(503, { detail: 'much later' }, { 'Retry-After': inTwentyYears }),
      ready(),
    );
    const clock = fakeClock();
    await roomOver(server, clock).waitUntilReady();
    assert.deepEqual(clock.delays, [600_000, 600_000, 600_000]);
  });

  test('retryAfter_longerThanTheOptionAllows_isCutToTheOption', async () => {
    const server = scriptedFetch(json(429, {}, { 'Retry-After': '86400' }), ready());
    const clock = fakeClock();
    await roomOver(server, clock, { maxRetryAfterMs: 90_000 }).waitUntilReady();
    assert.deepEqual(clock.delays, [90_000]);
  });

  test('retryAfter_zero_stillBacksOff', async () => {
    const server = scriptedFetch(json(429, {}, { 'Retry-After': '0' }), json(429, {}, { 'Retry-After': '0' }), ready());
    const clock = fakeClock();
    await roomOver(server, clock).waitUntilReady();
    assert.deepEqual(clock.delays, [1000, 2000]);
  });
});
