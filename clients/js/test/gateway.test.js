import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { createGatewayQueue, solvePow } from '../src/gatehouse.js';
import { failure, fakeClock, hang, json, raw, scriptedFetch, until } from '../testing/fakes.js';

const GATEWAY = 'https://shop.example';
const PREFIX = '/__gatehouse__/';

/** A gateway queue over `server`, with a fake clock and the jitter at its least unless given. */
function queueOver(server, clock = fakeClock(), options = {}) {
  return createGatewayQueue({ baseUrl: GATEWAY, fetch: server.fetch, clock, random: () => 0, ...options });
}

const challenge = (difficulty = 6) => ({
  id: 'v1.c2lnbmVk.opaque',
  payload: '9f86d081884c7d659a2feaa0c55ad015',
  difficulty,
  expires_at: 1893499500,
  algorithm: 'sha256',
});
const tokenRequired = () => json(401, { error: 'admission token required' });
const ticket = (id = '0123456789abcdef01234567') => json(200, { ticket_id: id, issued: 1893499200 });
const waiting = (position, ahead, id = '0123456789abcdef01234567') =>
  json(200, { ticket_id: id, position, cursor: position - ahead - 1, ahead, admitted: false });
const admitted = (id = '0123456789abcdef01234567') =>
  json(200, { ticket_id: id, position: 1, cursor: 1, ahead: 0, admitted: true });


const paths = (server) => server.calls.map((c) => `${c.method} ${c.url.slice(GATEWAY.length)}`);

describe('enqueue', () => {
  test('enqueue_noAdmissionAsked_takesATicket', async () => {
    const server = scriptedFetch(ticket());
    const queue = queueOver(server);
    assert.deepEqual(await queue.enqueue(), { ticket: '0123456789abcdef01234567', issued: 1893499200 });
    assert.equal(queue.ticket, '0123456789abcdef01234567');
    assert.deepEqual(paths(server), [`POST ${PREFIX}enqueue`]);
  });

  test('enqueue_tokenRequired_solvesTheChallengeAndRetriesWithTheToken', async () => {
    const server = scriptedFetch(
      tokenRequired(),
      json(200, challenge(6)),
      json(200, { ok: true, token: 'bm9uY2U.1893499500.c3ViamVjdA.bWFj' }),
      ticket(),
    );
    const queue = queueOver(server);

    await queue.enqueue();

    const routes = ['enqueue', 'challenge', 'solve', 'enqueue'];
    assert.deepEqual(paths(server), routes.map((route) => `POST ${PREFIX}${route}`));
    const solve = server.calls[2];
    assert.equal(solve.headers.get('Content-Type'), 'application/json');
    assert.equal(solve.body.id, 'v1.c2lnbmVk.opaque');
    const hash = createHash('sha256').update(Buffer.from(challenge().payload + solve.body.nonce, 'hex')).digest();
    assert.ok(hash[0] >> 2 === 0, `SHA-256 ${hash.toString('hex')} lacks 6 leading zero bits`);
    assert.equal(server.calls[0].headers.get('X-Gatehouse-Token'), null);
    assert.equal(server.calls[3].headers.get('X-Gatehouse-Token'), 'bm9uY2U.1893499500.c3ViamVjdA.bWFj');
  });

  test('enqueue_challengeInThe401_solvesThatOne', async () => {
    const solved = [];
    const solver = async (payload, difficulty) => {
      solved.push([payload, difficulty]);
      return '00000000000000ff';
    };
    const server = scriptedFetch(
      json(401, { error: 'admission required', challenge: challenge(20), solve: `${PREFIX}solve` }),
      json(200, { ok: true, token: 'tok' }),
      ticket(),
    );
    await queueOver(server, fakeClock(), { solver }).enqueue();
    assert.deepEqual(solved, [['9f86d081884c7d659a2feaa0c55ad015', 20]]);
    assert.deepEqual(paths(server), [`POST ${PREFIX}enqueue`, `POST ${PREFIX}solve`, `POST ${PREFIX}enqueue`]);
    assert.deepEqual(server.calls[1].body, { id: 'v1.c2lnbmVk.opaque', nonce: '00000000000000ff' });
  });

  test('enqueue_tokenRefusedAgain_failsWithTheGatewaysWords', async () => {
    const server = scriptedFetch(
      tokenRequired(),
      json(200, challenge(0)),
      json(200, { ok: true, token: 'tok' }),
      json(401, { error: 'admission token already used' }),
    );
    const error = await failure(queueOver(server).enqueue(), 'unauthorized');
    assert.equal(error.message, `POST ${PREFIX}enqueue: HTTP 401: admission token already used`);
    assert.equal(error.detail, 'admission token already used');
    assert.equal(server.calls.length, 4);
  });

  test('enqueue_solutionRefused_failsTheChallenge', async () => {
    const server = scriptedFetch(tokenRequired(), json(200, challenge(0)), json(401, { ok: false }));
    const error = await failure(queueOver(server).enqueue(), 'challenge_failed');
    assert.equal(error.status, 401);
  });

  test('enqueue_argon2Challenge_isRefusedWithoutSolving', async () => {
    let solves = 0;
    const server = scriptedFetch(
      tokenRequired(),
      json(200, {
        ...challenge(16), algorithm: 'argon2id', argon2: { memory_kib: 19456, iterations: 1, parallelism: 1 },
      }),
    );
    const solver = async () => {
      solves += 1;
      return '00';
    };
    const error = await failure(queueOver(server, fakeClock(), { solver }).enqueue(), 'challenge_failed');
    assert.match(error.message, /"argon2id" work; this SDK solves sha256 only/);
    assert.equal(solves, 0);
  });

  test('enqueue_solvedWithoutToken_failsTheChallenge', async () => {
    const server = scriptedFetch(tokenRequired(), json(200, challenge(0)), json(200, { ok: true }));
    const error = await failure(queueOver(server).enqueue(), 'challenge_failed');
    assert.match(error.message, /no admission token came back/);
  });

  test('enqueue_solverFails_failsTheChallengeWithItsCause', async () => {
    const server = scriptedFetch(tokenRequired(), json(200, { ...challenge(), difficulty: 99 }));
    const error = await failure(queueOver(server, fakeClock(), { solver: solvePow }).enqueue(), 'challenge_failed');
    assert.match(error.message, /difficulty: 99 \(expected: an integer from 0 to 64\)/);
    assert.ok(error.cause instanceof RangeError);
  });

  test('enqueue_solverGivesNoNonce_failsBeforeSolve', async () => {
    for (const nonce of [undefined, 'xyz', '0', 'ab'.repeat(65)]) {
      const server = scriptedFetch(tokenRequired(), json(200, challenge()));
      const queue = queueOver(server, fakeClock(), { solver: async () => nonce });
      const error = await failure(queue.enqueue(), 'challenge_failed');
      assert.match(error.message, /\(expected: a nonce in hex, at most 64 bytes\)$/);
      assert.equal(server.calls.length, 2);
    }
  });

  test('enqueue_challengerOff_failsWithTheGatewaysWords', async () => {
    const server = scriptedFetch(tokenRequired(), json(404, { error: 'challenger not configured' }));
    const error = await failure(queueOver(server).enqueue(), 'http');
    assert.equal(error.message, `POST ${PREFIX}challenge: HTTP 404: challenger not configured`);
  });

  test('enqueue_wicketPrefix_isUsed', async () => {
    const server = scriptedFetch(ticket());
    await queueOver(server, fakeClock(), { prefix: '/__wicket__/', baseUrl: `${GATEWAY}/` }).enqueue();
    assert.equal(server.calls[0].url, `${GATEWAY}/__wicket__/enqueue`);
  });

  test('createGatewayQueue_badOptions_areRefused', () => {
    for (const [options, message] of [
      [{ prefix: '__gatehouse__' }, 'prefix: "__gatehouse__" (expected: a path starting and ending with /)'],
      [{ prefix: '/__gatehouse__' }, 'prefix: "/__gatehouse__" (expected: a path starting and ending with /)'],
      [{ solver: 'fast' }, 'solver: "fast" (expected: a function like solvePow)'],
      [{ ticket: 'a b' }, 'ticket: "a b" (expected: a ticket from enqueue())'],
      [{ ticket: 'f'.repeat(65) }, `ticket: "${'f'.repeat(40)}…" (expected: a ticket from enqueue())`],
    ]) {
      assert.throws(() => createGatewayQueue({ fetch: async () => new Response('{}'), ...options }), { message });
    }
  });
});

describe('status and waitUntilReady', () => {
  test('waitUntilReady_waitingThenAdmitted_resolvesWithTheTicket', async () => {
    const server = scriptedFetch(ticket(), waiting(12, 2), waiting(12, 1), admitted());
    const clock = fakeClock();
    const progress = [];

    const id = await queueOver(server, clock).waitUntilReady({ onProgress: (p) => progress.push(p) });

    assert.equal(id, '0123456789abcdef01234567');
    assert.deepEqual(clock.delays, [1000, 1000]);
    assert.deepEqual(paths(server).slice(1), Array(3).fill(`GET ${PREFIX}status?ticket=0123456789abcdef01234567`));
    assert.deepEqual(progress[0], {
      position: 12, ahead: 2, ready: false, estimatedWaitSeconds: null, prequeue: false,
      ticket: '0123456789abcdef01234567', opensAt: null, draw: null, token: null,
    });
    assert.equal(progress[2].ready, true);
  });

  test('waitUntilReady_preQueue_pollsAtTheLongestInterval', async () => {
    const id = 'ffeeddccbbaa99887766554433221100';
    const server = scriptedFetch(
      json(200, { ticket_id: id, position: null, cursor: 0, ahead: null, admitted: false, prequeue: true }),
      waiting(40, 39, id),
      admitted(id),
    );
    const clock = fakeClock();
    const progress = [];
    await queueOver(server, clock, { ticket: id }).waitUntilReady({ onProgress: (p) => progress.push(p) });
    assert.deepEqual(clock.delays, [5000, 1000]);
    assert.deepEqual([progress[0].prequeue, progress[0].position, progress[0].ahead], [true, null, null]);
  });

  test('waitUntilReady_storeUnavailable_retriesAfterItsRetryAfter', async () => {
    const server = scriptedFetch(
      json(503, { error: 'status failed' }, { 'Retry-After': '1' }),
      json(503, { error: 'status failed' }, { 'Retry-After': '9' }),
      admitted(),
    );
    const clock = fakeClock();
    await queueOver(server, clock, { ticket: '0123456789abcdef01234567' }).waitUntilReady();
    assert.deepEqual(clock.delays, [1000, 9000]);
  });

  test('status_unknownTicket_isItsOwnError', async () => {
    const server = scriptedFetch(json(404, { error: 'unknown ticket' }));
    const error = await failure(queueOver(server).status('0123456789abcdef01234567'), 'unknown_ticket');
    assert.equal(error.detail, 'unknown ticket');
  });

  test('status_notFoundOtherwise_isAnHttpError', async () => {
    const server = scriptedFetch(
      json(404, { error: 'queue not configured' }),
      raw(404, '<h1>Not Found</h1>', { 'Content-Type': 'text/html' }),
    );
    const queue = queueOver(server);
    assert.equal((await failure(queue.status('abc'), 'http')).detail, 'queue not configured');
    assert.equal((await failure(queue.status('abc'), 'http')).detail, null);
  });

  test('status_ticketIsEscapedInTheQuery', async () => {
    const server = scriptedFetch(admitted('a+b&c'));
    await queueOver(server).status('a+b&c');
    assert.equal(server.calls[0].url, `${GATEWAY}${PREFIX}status?ticket=a%2Bb%26c`);
  });

  test('status_noTicket_isTheCallersMistake', async () => {
    const server = scriptedFetch();
    await assert.rejects(queueOver(server).status(), {
      name: 'TypeError', message: 'ticket: undefined (expected: a ticket from enqueue())',
    });
    assert.equal(server.calls.length, 0);
  });

  test('waitUntilReady_abortedWhileSolving_stopsBeforeSolve', async () => {
    const controller = new AbortController();
    const reason = new Error('left the page');
    const solver = (payload, difficulty, { signal }) => new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    let solving = false;
    const server = scriptedFetch(tokenRequired(), (call) => {
      solving = true;
      return json(200, challenge())(call);
    });
    const clock = fakeClock();
    const waitingForTicket = queueOver(server, clock, { solver }).waitUntilReady({ signal: controller.signal });
    await until(() => solving);
    await new Promise(setImmediate);

    controller.abort(reason);

    await assert.rejects(waitingForTicket, reason);
    assert.equal(server.calls.length, 2);
    assert.equal(clock.pending, 0);
  });

  test('waitUntilReady_abortedDuringStatus_abortsTheFetch', async () => {
    const server = scriptedFetch(ticket(), hang());
    const controller = new AbortController();
    const clock = fakeClock();
    const waitingForTicket = queueOver(server, clock).waitUntilReady({ signal: controller.signal });
    await until(() => server.calls.length === 2);

    controller.abort();

    await assert.rejects(waitingForTicket, { name: 'AbortError' });
    assert.equal(server.calls[1].signal.aborted, true);
    assert.equal(clock.pending, 0);
  });
});

describe('the default solver', () => {
  /** A stand-in for the browser's Worker: runs solvePow, as pow-worker.js would, and records its life. */
  class FakeWorker {
    static made = [];

    constructor(url, options) {
      this.url = String(url);
      this.options = options;
      this.terminated = false;
      FakeWorker.made.push(this);
    }

    postMessage({ payload, difficulty }) {
      if (difficulty === 64) {
        return; // never answers: the test aborts it
      }
      solvePow(payload, difficulty).then(
        (nonce) => this.onmessage?.({ data: { nonce } }),
        (error) => this.onmessage?.({ data: { error: error.message } }),
      );
    }

    terminate() {
      this.terminated = true;
    }
  }

  /** Runs `body` with FakeWorker as the global Worker. */
  async function withWorker(body) {
    FakeWorker.made = [];
    globalThis.Worker = FakeWorker;
    try {
      await body();
    } finally {
      delete globalThis.Worker;
    }
  }

  test('defaultSolver_inABrowser_solvesInAModuleWorkerAndEndsIt', () => withWorker(async () => {
    const solved = json(200, { ok: true, token: 'tok' });
    const server = scriptedFetch(tokenRequired(), json(200, challenge(4)), solved, ticket());
    await queueOver(server).enqueue();
    const [worker] = FakeWorker.made;
    assert.match(worker.url, /^file:.*\/src\/pow-worker\.js$/);
    assert.deepEqual(worker.options, { type: 'module' });
    assert.equal(worker.terminated, true);
    assert.match(server.calls[2].body.nonce, /^[0-9a-f]{16}$/);
  }));

  test('defaultSolver_workerError_failsTheChallenge', () => withWorker(async () => {
    const server = scriptedFetch(tokenRequired(), json(200, { ...challenge(), payload: 'xyz' }));
    const error = await failure(queueOver(server).enqueue(), 'challenge_failed');
    assert.match(error.message, /payloadHex: "xyz"/);
    assert.equal(FakeWorker.made[0].terminated, true);
  }));

  test('defaultSolver_aborted_terminatesTheWorker', () => withWorker(async () => {
    const server = scriptedFetch(tokenRequired(), json(200, challenge(64)));
    const controller = new AbortController();
    const enqueued = queueOver(server).enqueue({ signal: controller.signal });
    await until(() => FakeWorker.made.length === 1);
    controller.abort();
    await assert.rejects(enqueued, { name: 'AbortError' });
    assert.equal(FakeWorker.made[0].terminated, true);
  }));
});
