// The challenge page: asks the gateway for a proof-of-work challenge, has a Web Worker find the
// nonce (SHA-256 through WebCrypto), sends the solution, and, given the admission cookie, goes back
// to the page that was asked for.
(function () {
  'use strict';
  var script = document.currentScript;
  var prefix = script.getAttribute('data-prefix');
  var status = document.getElementById('status');
  var ATTEMPTS = 3;

  function say(text) {
    status.textContent = text;
  }

  function post(path, body) {
    return fetch(prefix + path, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  function solve(challenge) {
    return new Promise(function (resolve, reject) {
      // the browser SDK's solver (clients/js), a module worker
      var worker = new Worker(prefix + 'assets/pow-worker.js', { type: 'module' });
      worker.onmessage = function (event) {
        worker.terminate();
        if (event.data.nonce) {
          resolve(event.data.nonce);
        } else {
          reject(new Error(event.data.error || 'the puzzle could not be solved'));
        }
      };
      worker.onerror = function (event) {
        worker.terminate();
        reject(new Error(event.message || 'the puzzle could not be solved'));
      };
      worker.postMessage({ payload: challenge.payload, difficulty: challenge.difficulty });
    });
  }

  async function attempt() {
    var issued = await post('challenge');
    if (!issued.ok) {
      throw new Error('no puzzle was given (' + issued.status + ')');
    }
    var challenge = await issued.json();
    var nonce = await solve(challenge);
    var solved = await post('solve', { id: challenge.id, nonce: nonce });
    return solved.ok;
  }

  async function run() {
    if (!window.crypto || !window.crypto.subtle) {
      say('This check needs a secure connection (HTTPS): open the page over https:// and it will go on by itself.');
      return;
    }
    for (var i = 0; i < ATTEMPTS; i++) {
      try {
        if (await attempt()) {
          say('Done; taking you to the page.');
          location.replace(location.href);
          return;
        }
      } catch (error) {
        say('The check failed (' + error.message + '); trying again.');
      }
    }
    say('The check could not be completed. Reload the page to try again.');
  }

  run();
})();
