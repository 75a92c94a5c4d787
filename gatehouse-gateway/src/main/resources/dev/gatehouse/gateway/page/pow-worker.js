// Finds a nonce such that SHA-256(payload || nonce) starts with `difficulty` zero bits; the nonce is
// an 8-byte big-endian counter, sent back in hex. Hashing goes through WebCrypto.
'use strict';

function hexToBytes(hex) {
  var bytes = new Uint8Array(hex.length / 2);
  for (var i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  }
  return bytes;
}

function bytesToHex(bytes) {
  var hex = '';
  for (var i = 0; i < bytes.length; i++) {
    hex += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  }
  return hex;
}

function leadingZeroBits(bytes) {
  var bits = 0;
  for (var i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(bytes[i]) - 24;
  }
  return bits;
}

self.onmessage = async function (event) {
  var payload = hexToBytes(event.data.payload);
  var difficulty = event.data.difficulty;
  var input = new Uint8Array(payload.length + 8);
  input.set(payload, 0);
  var view = new DataView(input.buffer, payload.length, 8);
  try {
    for (var counter = 0; counter < Number.MAX_SAFE_INTEGER; counter++) {
      view.setUint32(0, Math.floor(counter / 4294967296));
      view.setUint32(4, counter >>> 0);
      var hash = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
      if (leadingZeroBits(hash) >= difficulty) {
        self.postMessage({ nonce: bytesToHex(input.subarray(payload.length)) });
        return;
      }
    }
    self.postMessage({ error: 'no nonce found' });
  } catch (error) {
    self.postMessage({ error: String(error && error.message || error) });
  }
};
