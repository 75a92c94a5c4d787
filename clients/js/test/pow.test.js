import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { MAX_DIFFICULTY, solvePow } from '../src/pow.js';

/** The smallest 8-byte big-endian counter meeting `difficulty`, found with node's own SHA-256. */
function referenceNonce(payloadHex, difficulty) {
  const payload = Buffer.from(payloadHex, 'hex');
  for (let counter = 0n; ; counter++) {
    const nonce = Buffer.alloc(8);
    nonce.writeBigUInt64BE(counter);
    if (zeroBits(createHash('sha256').update(payload).update(nonce).digest()) >= difficulty) {
      return nonce.toString('hex');
    }
  }
}

function zeroBits(bytes) {
  let bits = 0;
  for (const byte of bytes) {
    if (byte !== 0) {
      return bits + Math.clz32(byte) - 24;
    }
    bits += 8;
  }
  return bits;
}

describe('solvePow', () => {
  test('solvePow_knownVector_givesTheSmallestNonce', async () => {
    // computed apart, with Python's hashlib: SHA-256(00..0f ‖ 0000000000000277) = 0005388c…
    assert.equal(await solvePow('000102030405060708090a0b0c0d0e0f', 12), '0000000000000277');
  });

  test('solvePow_anyPayload_agreesWithNodeCrypto', async () => {
    for (const [payload, difficulty] of [['deadbeefcafef00d0123456789abcdef', 10], ['FFFFFFFF', 9], ['', 7]]) {
      const nonce = await solvePow(payload, difficulty);
      assert.equal(nonce, referenceNonce(payload, difficulty), `payload ${payload}, difficulty ${difficulty}`);
      const hash = createHash('sha256').update(Buffer.from(payload + nonce, 'hex')).digest();
      assert.ok(zeroBits(hash) >= difficulty);
    }
  });

  test('solvePow_difficultyZero_givesTheFirstCounter', async () => {
    assert.equal(await solvePow('00', 0), '0000000000000000');
  });

  test('solvePow_digestGiven_hashesPayloadThenCounterAndTakesTheSmallest', async () => {
    const inputs = [];
    const digest = async (bytes) => {
      const hex = Buffer.from(bytes).toString('hex');
      inputs.push(hex);
      const solves = hex === 'abcd0000000000000102' || hex === 'abcd0000000000000150';
      return solves ? new Uint8Array(32) : new Uint8Array(32).fill(0xff);
    };
    assert.equal(await solvePow('abcd', 64, { digest }), '0000000000000102');
    assert.equal(inputs[0], 'abcd0000000000000000');
    assert.equal(inputs[1], 'abcd0000000000000001');
    assert.ok(inputs.length < 0x200, `${inputs.length} hashes`);
  });

  test('solvePow_aborted_stopsWithinABatchWithTheReason', async () => {
    const controller = new AbortController();
    const reason = new Error('visitor left');
    let hashes = 0;
    const digest = async () => {
      hashes += 1;
      if (hashes === 5) {
        controller.abort(reason);
      }
      return new Uint8Array(32).fill(0xff);
    };
    await assert.rejects(solvePow('00', 1, { digest, signal: controller.signal }), reason);
    assert.ok(hashes <= 64, `${hashes} hashes`);
  });

  describe('refuses bad input before hashing', () => {
    const cases = [
      ['abc', 8, RangeError, /payloadHex: "abc" \(expected: an even number of hex digits\)/],
      ['zz', 8, RangeError, /payloadHex: "zz"/],
      ['0x00', 8, RangeError, /payloadHex/],
      [' 00', 8, RangeError, /payloadHex/],
      [null, 8, TypeError, /payloadHex: object \(expected: a string of hex digits\)/],
      [1234, 8, TypeError, /payloadHex: number/],
      ['00'.repeat(257), 8, RangeError, /payloadHex: 514 digits \(expected: at most 512\)/],
      ['00', -1, RangeError, /difficulty: -1 \(expected: an integer from 0 to 64\)/],
      ['00', MAX_DIFFICULTY + 1, RangeError, /difficulty: 65/],
      ['00', 1.5, RangeError, /difficulty: 1.5/],
      ['00', Number.NaN, RangeError, /difficulty: NaN/],
      ['00', '8', RangeError, /difficulty: 8/],
      ['00', undefined, RangeError, /difficulty: undefined/],
    ];
    for (const [payload, difficulty, type, message] of cases) {
      test(`solvePow_badInput_rejects ${String(payload).slice(0, 12)} ${String(difficulty)}`, async () => {
        let hashes = 0;
        const digest = async () => {
          hashes += 1;
          return new Uint8Array(32);
        };
        await assert.rejects(solvePow(payload, difficulty, { digest }), (error) => {
          assert.ok(error instanceof type, `${error.name}: ${error.message}`);
          assert.match(error.message, message);
          return true;
        });
        assert.equal(hashes, 0);
      });
    }
  });
});

describe('pow-worker.js', () => {
  test('worker_message_answersOnTheChallengePagesProtocol', async () => {
    const posted = [];
    globalThis.self = { postMessage: (message) => posted.push(message) };
    try {
      await import('../src/pow-worker.js');
      await globalThis.self.onmessage({ data: { payload: '000102030405060708090a0b0c0d0e0f', difficulty: 12 } });
      await globalThis.self.onmessage({ data: { payload: 'abc', difficulty: 12 } });
      await globalThis.self.onmessage({ data: null });
    } finally {
      delete globalThis.self;
    }
    assert.deepEqual(posted[0], { nonce: '0000000000000277' });
    assert.match(posted[1].error, /payloadHex: "abc"/);
    assert.match(posted[2].error, /payloadHex: undefined \(expected: a string of hex digits\)/);
    assert.equal(posted.length, 3);
  });
});
