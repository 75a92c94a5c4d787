import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { headerValue, retryAfterMs } from '../src/http.js';

const NOW_MS = Date.UTC(2030, 0, 1, 12, 0, 0);

describe('retryAfterMs', () => {
  const cases = [
    ['120', 120_000],
    [' 5 ', 5000],
    ['0', 0],
    ['Tue, 01 Jan 2030 12:00:30 GMT', 30_000], // IMF-fixdate
    ['Tuesday, 01-Jan-30 12:00:30 GMT', 30_000], // RFC 850
    ['Tue Jan  1 12:00:30 2030', 30_000], // asctime: UTC, whatever the machine's zone
    ['Mon, 31 Dec 2029 12:00:00 GMT', 0], // gone by
    [null, null],
    ['', null],
    ['-1', null],
    ['1.5', null],
    ['1e3', null],
    ['soon', null],
    ['1', 1000],
    ['Tue, 01 Jan 2030 12:00:30 +0000', null], // not an HTTP date
    ['2030-01-01T12:00:30Z', null],
    ['Tue, 01 Foo 2030 12:00:30 GMT', null],
  ];
  for (const [value, expected] of cases) {
    test(`retryAfterMs_${JSON.stringify(value)}_is_${expected}`, () => {
      assert.equal(retryAfterMs(value, NOW_MS), expected);
    });
  }

  test('retryAfterMs_hugeCount_isInfinityForTheCallerToCap', () => {
    assert.equal(retryAfterMs('9'.repeat(400), NOW_MS), Number.POSITIVE_INFINITY);
  });
});

describe('headerValue', () => {
  test('headerValue_ascii_isAsItIs', () => {
    assert.equal(headerValue('userId', 'alice@example.com', 256), 'alice@example.com');
  });

  test('headerValue_nonAscii_isItsUtf8BytesOneCharacterEach', () => {
    assert.equal(headerValue('userId', '李', 256), '\u00e6\u009d\u008e');
    assert.equal(headerValue('userId', '🙂', 256), '\u00f0\u009f\u0099\u0082');
  });

  test('headerValue_boundIsInBytes', () => {
    assert.equal(headerValue('userId', 'ü'.repeat(128), 256).length, 256);
    assert.throws(() => headerValue('userId', `${'ü'.repeat(128)}x`, 256), {
      name: 'RangeError', message: 'userId: 257 bytes (expected: at most 256 in UTF-8)',
    });
  });

  test('headerValue_unsendable_isRefused', () => {
    for (const value of ['a\u0000b', 'tab\there', 'end ', '\u007f']) {
      assert.throws(() => headerValue('userId', value, 256), { name: 'RangeError' }, JSON.stringify(value));
    }
    for (const value of [undefined, null, 7, '']) {
      assert.throws(() => headerValue('userId', value, 256), { name: 'TypeError' }, String(value));
    }
  });
});
