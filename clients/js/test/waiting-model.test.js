import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ANNOUNCE_INTERVAL_MS, DEFAULT_TEXTS, DEFAULT_TOKEN_PARAM, announcementDue, chooseLanguage, countdown, drawCheck,
  progressFraction, readConfig, resumeState, returnUrlWithToken, substitute, textsFor, viewOf, waitText,
} from '../page/waiting-model.js';
import { START_MS } from '../testing/fakes.js';

const ROOM = 'key-3f1c9a0b2d4e5f60';
const TICKET = '5b1e0c9d2f8a4e7b9c3d1f0a6e2b8c4d';
const english = textsFor(new Map(), 'en');

/** A config's JSON with `fields` over the room alone. */
const configJson = (fields = {}) => JSON.stringify({ room: ROOM, ...fields });

/** A poll's answer as the SDK gives it, queued at `position` unless told otherwise. */
function progress(fields = {}) {
  return {
    position: 3, ahead: 2, ready: false, estimatedWaitSeconds: 150, prequeue: false, ticket: null, opensAt: null,
    draw: null, token: 'T1', ...fields,
  };
}

const context = (fields = {}) => ({
  text: english, language: 'en', furthest: 10, nowMs: START_MS, returning: true, ...fields,
});

describe('readConfig', () => {
  test('readConfig_everyField_isRead', () => {
    const config = readConfig(JSON.stringify({
      room: ROOM, api: 'https://room.example', title: 'Spring drop', logo_url: 'https://cdn.example/logo.svg',
      return_url: 'https://shop.example/checkout?step=2', token_param: 'qt', default_language: 'de',
      languages: { de: { position: 'Nummer {position}' } }, user: 'alice-42',
    }));
    assert.equal(config.room, ROOM);
    assert.equal(config.api, 'https://room.example');
    assert.equal(config.title, 'Spring drop');
    assert.equal(config.logoUrl, 'https://cdn.example/logo.svg');
    assert.equal(config.returnUrl, 'https://shop.example/checkout?step=2');
    assert.equal(config.tokenParam, 'qt');
    assert.equal(config.defaultLanguage, 'de');
    assert.deepEqual([...config.languages], [['de', { position: 'Nummer {position}' }]]);
    assert.equal(config.user, 'alice-42');
  });

  test('readConfig_roomAlone_takesTheDefaults', () => {
    const config = readConfig(configJson({ api: null, title: null, token_param: null, languages: null, user: null }));
    assert.deepEqual({ ...config, languages: [...config.languages] }, {
      room: ROOM, api: '', title: null, logoUrl: null, returnUrl: null, tokenParam: DEFAULT_TOKEN_PARAM,
      defaultLanguage: null, languages: [], user: null,
    });
  });

  test('readConfig_wrongTypes_countAsMissing', () => {
    const config = readConfig(configJson({
      api: 7, title: '', logo_url: {}, return_url: ['https://shop.example'], token_param: '', default_language: 3,
      languages: ['de'], user: 42,
    }));
    assert.equal(config.api, '');
    assert.equal(config.title, null);
    assert.equal(config.logoUrl, null);
    assert.equal(config.returnUrl, null);
    assert.equal(config.tokenParam, DEFAULT_TOKEN_PARAM);
    assert.equal(config.defaultLanguage, null);
    assert.equal(config.languages.size, 0);
    assert.equal(config.user, null);
  });

  test('readConfig_returnUrlNotHttp_isRefused', () => {
    const refused = [
      'javascript:alert(document.cookie)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>x</script>',
      'vbscript:msgbox', 'file:///etc/passwd', '/checkout', '//shop.example/checkout', 'shop.example', 'https://',
    ];
    for (const url of refused) {
      assert.equal(readConfig(configJson({ return_url: url })).returnUrl, null, url);
    }
    assert.equal(readConfig(configJson({ return_url: 'HTTP://Shop.Example/a' })).returnUrl, 'http://shop.example/a');
  });

  test('readConfig_returnUrlAPathWithThePagesUrl_isOfThePagesOrigin', () => {
    const page = 'https://shop.example:8443/shop/cart?x=1';
    assert.equal(readConfig(configJson({ return_url: '/__gatehouse__/room/seat?to=%2Fshop' }), page).returnUrl,
      'https://shop.example:8443/__gatehouse__/room/seat?to=%2Fshop');
    const refused = [
      '//evil.example/x', '/\\evil.example/x', '\\\\evil.example', 'seat', '', ' /seat', 'javascript:alert(1)',
    ];
    for (const url of refused) {
      assert.equal(readConfig(configJson({ return_url: url }), page).returnUrl, null, url);
    }
    assert.equal(readConfig(configJson({ return_url: '/seat' })).returnUrl, null, 'no page URL: no path');
    assert.equal(readConfig(configJson({ return_url: '/seat' }), 'file:///tmp/page.html').returnUrl, null);
  });

  test('readConfig_languages_keepsValidTagsInCanonicalCase', () => {
    const config = readConfig(configJson({
      languages: { 'de-ch': { ready: 'Sie sind dran' }, EN: { copy: 'Copy it' }, 'not a tag!': { copy: 'x' }, fr: 'Bonjour' },
    }));
    assert.deepEqual([...config.languages.keys()], ['de-CH', 'en']);
  });

  test('readConfig_languagesNamedLikeObjectMembers_stayPlainData', () => {
    const config = readConfig('{"room": "r", "languages": {"__proto__": {"copy": "x"}, "constructor": {"copy": "y"}}}');
    assert.deepEqual([...config.languages.keys()], []);
    assert.equal({}.copy, undefined);
  });

  test('readConfig_notAConfig_throws', () => {
    const cases = [
      ['', 'page config: not JSON'],
      ['{"room": "r"', 'page config: not JSON'],
      ['null', 'page config: not a JSON object'],
      ['["r"]', 'page config: not a JSON object'],
      ['{}', "page config: no room (expected: the room's public id)"],
      ['{"room": ""}', "page config: no room (expected: the room's public id)"],
      ['{"room": 7}', "page config: no room (expected: the room's public id)"],
    ];
    for (const [json, message] of cases) {
      assert.throws(() => readConfig(json), { name: 'TypeError', message }, json);
    }
  });
});

describe('chooseLanguage', () => {
  const available = ['en', 'de', 'fr-CA', 'pt-BR', 'pt'];

  test('chooseLanguage_askedInTheUrl_comesFirst', () => {
    assert.equal(chooseLanguage({ asked: 'fr-CA', preferred: ['de'], fallback: 'en', available }), 'fr-CA');
  });

  test('chooseLanguage_regionalVariant_matchesItsLanguage', () => {
    assert.equal(chooseLanguage({ asked: 'de-CH', available }), 'de');
    assert.equal(chooseLanguage({ asked: 'DE-ch', available }), 'de');
    assert.equal(chooseLanguage({ asked: 'pt-PT', available }), 'pt'); // the language before another region
  });

  test('chooseLanguage_languageAlone_matchesItsOnlyRegionalVariant', () => {
    assert.equal(chooseLanguage({ asked: 'fr', available }), 'fr-CA');
  });

  test('chooseLanguage_browserThenRoom_inThatOrder', () => {
    assert.equal(chooseLanguage({ asked: null, preferred: ['ja', 'de-AT', 'en'], fallback: 'fr-CA', available }), 'de');
    assert.equal(chooseLanguage({ asked: null, preferred: ['ja', 'ko'], fallback: 'fr-CA', available }), 'fr-CA');
  });

  test('chooseLanguage_unknownOrMalformed_fallsBackToEnglish', () => {
    const hostile = ['xx', '', '../../etc', 'de_DE!', '<script>', 42, null, undefined, {}];
    for (const asked of hostile) {
      assert.equal(chooseLanguage({ asked, preferred: hostile, fallback: 'zz', available }), 'en', String(asked));
    }
    assert.equal(chooseLanguage({ asked: 'de', available: [] }), 'en');
  });
});

describe('textsFor', () => {
  const languages = readConfig(configJson({
    languages: {
      de: { position: 'Sie sind Nummer {position} in der Schlange', copy: 42, unknown_key: 'x' },
      fr: { eta: 'Attente estimée : {duree}' },
    },
  })).languages;

  test('textsFor_givenKey_isTheLanguages', () => {
    assert.equal(textsFor(languages, 'de')('position', { position: 7 }), 'Sie sind Nummer 7 in der Schlange');
  });

  test('textsFor_missingOrNotAString_fallsBackToEnglish', () => {
    const german = textsFor(languages, 'de');
    assert.equal(german('copy'), 'Copy');
    assert.equal(german('ready'), DEFAULT_TEXTS.ready);
  });

  test('textsFor_unknownLanguage_isEnglish', () => {
    const text = textsFor(languages, 'ja');
    for (const key of Object.keys(DEFAULT_TEXTS)) {
      assert.equal(text(key), DEFAULT_TEXTS[key]);
    }
  });

  test('textsFor_variableTheTextDoesNotGet_staysVisible', () => {
    assert.equal(textsFor(languages, 'fr')('eta', { wait: '3 min' }), 'Attente estimée : {duree}');
  });

  test('textsFor_unknownKey_throws', () => {
    assert.throws(() => english('unknown_key'), {
      name: 'RangeError', message: 'text: "unknown_key" (expected: a key of DEFAULT_TEXTS)',
    });
    assert.throws(() => english('toString'), RangeError);
  });

  test('defaultTexts_everyVariable_isOneTheViewFillsIn', () => {
    const filled = new Set(['position', 'ahead', 'wait', 'minutes', 'hours', 'time', 'ticket']);
    for (const [key, text] of Object.entries(DEFAULT_TEXTS)) {
      for (const [, name] of text.matchAll(/\{([a-z_]+)\}/g)) {
        assert.ok(filled.has(name), `${key}: {${name}}`);
      }
    }
  });
});

describe('substitute', () => {
  test('substitute_values_fillTheirNames', () => {
    assert.equal(substitute('{a} and {b}, {a} again', { a: 1, b: 'two' }), '1 and two, 1 again');
  });

  test('substitute_missingVariable_leftAsWritten', () => {
    assert.equal(substitute('You are number {position} of {total}', { position: 3 }), 'You are number 3 of {total}');
  });

  test('substitute_valueHoldingABrace_isNotFilledAgain', () => {
    assert.equal(substitute('{a}', { a: '{b}', b: 'no' }), '{b}');
  });

  test('substitute_inheritedNames_areNotValues', () => {
    assert.equal(substitute('{constructor} {__proto__} {to_string}', {}), '{constructor} {__proto__} {to_string}');
  });

  test('substitute_markup_isLeftAsText', () => {
    assert.equal(substitute('{t}', { t: '<img src=x onerror=alert(1)>' }), '<img src=x onerror=alert(1)>');
  });
});

describe('waitText', () => {
  test('waitText_eachRange_hasItsWords', () => {
    const cases = [
      [0, 'Estimated wait: under a minute'],
      [59, 'Estimated wait: under a minute'],
      [60, 'Estimated wait: about 1 min'],
      [150, 'Estimated wait: about 3 min'],
      [3569, 'Estimated wait: about 59 min'],
      [3570, 'Estimated wait: about 1 h 0 min'],
      [5400, 'Estimated wait: about 1 h 30 min'],
      [86_369, 'Estimated wait: about 23 h 59 min'],
      [86_370, 'Estimated wait: more than a day'],
      [2 ** 53, 'Estimated wait: more than a day'],
      [1e300, 'Estimated wait: more than a day'],
    ];
    for (const [seconds, words] of cases) {
      assert.equal(waitText(seconds, english), words, String(seconds));
    }
  });

  test('waitText_noEstimate_saysSo', () => {
    for (const seconds of [null, undefined, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '60']) {
      assert.equal(waitText(seconds, english), 'The wait cannot be estimated yet.', String(seconds));
    }
  });
});

describe('countdown', () => {
  test('countdown_underAnHour_isMinutesAndSeconds', () => {
    assert.equal(countdown(245), '4:05');
    assert.equal(countdown(59), '0:59');
    assert.equal(countdown(3599), '59:59');
  });

  test('countdown_anHourOrMore_hasHours', () => {
    assert.equal(countdown(3600), '1:00:00');
    assert.equal(countdown(3723), '1:02:03');
    assert.equal(countdown(100 * 3600 + 1), '100:00:01');
  });

  test('countdown_fraction_countsAsAWholeSecond', () => {
    assert.equal(countdown(0.001), '0:01');
    assert.equal(countdown(3599.2), '1:00:00');
  });

  test('countdown_pastZeroOrNoNumber_isZero', () => {
    for (const seconds of [0, -1, -1e300, Number.NaN, Number.NEGATIVE_INFINITY, null, undefined, '90']) {
      assert.equal(countdown(seconds), '0:00', String(seconds));
    }
  });

  test('countdown_huge_staysInDigits', () => {
    for (const seconds of [1e300, Number.POSITIVE_INFINITY]) {
      assert.match(countdown(seconds), /^\d+:\d{2}:\d{2}$/);
    }
  });
});

describe('progressFraction', () => {
  test('progressFraction_fromTheFurthestPlaceToTheHead', () => {
    assert.equal(progressFraction(10, 10), 0);
    assert.equal(progressFraction(10, 5), 0.5);
    assert.equal(progressFraction(10, 1), 0.9);
    assert.equal(progressFraction(1, 1), 0);
  });

  test('progressFraction_placeBeyondTheFurthest_isZero', () => {
    assert.equal(progressFraction(5, 9), 0);
  });

  test('progressFraction_noPlace_isNull', () => {
    for (const [furthest, position] of [[null, 3], [10, null], [0, 0], [10, 0], [-5, 2], [10, 2.5], [Number.NaN, 1],
      [2 ** 60, 1], [10, Number.POSITIVE_INFINITY]]) {
      assert.equal(progressFraction(furthest, position), null, `${furthest}, ${position}`);
    }
  });
});

describe('announcementDue', () => {
  const queued = (text, atMs = START_MS) => ({ phase: 'queued', text, atMs });

  test('announcementDue_first_isDue', () => {
    assert.equal(announcementDue(null, { phase: 'queued', text: 'You are number 9 in line' }, START_MS), true);
  });

  test('announcementDue_placeMoves_atMostEveryThirtySeconds', () => {
    const last = queued('You are number 9 in line');
    const next = { phase: 'queued', text: 'You are number 8 in line' };
    assert.equal(announcementDue(last, next, START_MS + 1000), false);
    assert.equal(announcementDue(last, next, START_MS + ANNOUNCE_INTERVAL_MS - 1), false);
    assert.equal(announcementDue(last, next, START_MS + ANNOUNCE_INTERVAL_MS), true);
  });

  test('announcementDue_sameText_neverAgain', () => {
    const last = queued('You are number 9 in line');
    assert.equal(announcementDue(last, { phase: 'queued', text: last.text }, START_MS + 10 * ANNOUNCE_INTERVAL_MS), false);
  });

  test('announcementDue_phaseChange_atOnce', () => {
    const transitions = [['joining', 'registered'], ['registered', 'queued'], ['queued', 'ready'], ['queued', 'error'],
      ['error', 'joining'], ['registered', 'error']];
    for (const [from, to] of transitions) {
      const last = { phase: from, text: 'before', atMs: START_MS };
      assert.equal(announcementDue(last, { phase: to, text: 'after' }, START_MS), true, `${from} → ${to}`);
    }
  });

  test('announcementDue_clockBackwardsOrNaN_isNotDue', () => {
    const last = queued('You are number 9 in line');
    const next = { phase: 'queued', text: 'You are number 8 in line' };
    assert.equal(announcementDue(last, next, START_MS - ANNOUNCE_INTERVAL_MS), false);
    assert.equal(announcementDue(last, next, Number.NaN), false);
  });
});

describe('viewOf', () => {
  test('viewOf_nothingYet_isJoiningWithAMovingBar', () => {
    const view = viewOf(null, context());
    assert.deepEqual(view, {
      phase: 'joining', status: DEFAULT_TEXTS.joining, position: null, ahead: null, eta: null, fraction: null,
      bar: true, countdown: null, ticket: null, announcement: DEFAULT_TEXTS.joining,
    });
  });

  test('viewOf_queued_showsPlaceAheadEstimateAndBar', () => {
    const view = viewOf(progress({ position: 1234, ahead: 1233, estimatedWaitSeconds: 5400 }), context({ furthest: 2468 }));
    assert.deepEqual(view, {
      phase: 'queued', status: DEFAULT_TEXTS.queued, position: 'You are number 1,234 in line',
      ahead: '1,233 ahead of you', eta: 'Estimated wait: about 1 h 30 min', fraction: 0.5, bar: true, countdown: null,
      ticket: null, announcement: 'You are number 1,234 in line',
    });
  });

  test('viewOf_numbers_inTheLanguagesWay', () => {
    const german = textsFor(readConfig(configJson({ languages: { de: { ahead: '{ahead} vor Ihnen' } } })).languages, 'de');
    const view = viewOf(progress({ position: 12_346, ahead: 12_345 }), context({ text: german, language: 'de' }));
    assert.equal(view.ahead, '12.345 vor Ihnen');
  });

  test('viewOf_headOfTheLine_saysNext', () => {
    assert.equal(viewOf(progress({ position: 1, ahead: 0 }), context()).ahead, 'You are next.');
  });

  test('viewOf_placeUnknown_stillSaysQueued', () => {
    const view = viewOf(progress({ position: null, ahead: null, estimatedWaitSeconds: null }), context());
    assert.equal(view.position, null);
    assert.equal(view.ahead, null);
    assert.equal(view.eta, DEFAULT_TEXTS.eta_unknown);
    assert.equal(view.fraction, null);
    assert.equal(view.announcement, DEFAULT_TEXTS.queued);
  });

  test('viewOf_registered_countsDownToTheDrawAndShowsTheTicket', () => {
    const opensAt = START_MS / 1000 + 3723;
    const view = viewOf(progress({ position: null, ahead: null, prequeue: true, ticket: TICKET, opensAt }), context());
    assert.equal(view.phase, 'registered');
    assert.equal(view.status, DEFAULT_TEXTS.prequeue);
    assert.equal(view.countdown, 'The draw starts in 1:02:03');
    assert.equal(view.ticket, `Your ticket: ${TICKET}`);
    assert.equal(view.bar, false);
    assert.equal(view.announcement, DEFAULT_TEXTS.prequeue);
  });

  test('viewOf_registeredPastTheDraw_saysItIsUnderWay', () => {
    const opensAt = START_MS / 1000;
    for (const nowMs of [START_MS, START_MS + 1, START_MS + 3_600_000]) {
      const view = viewOf(progress({ position: null, prequeue: true, opensAt }), context({ nowMs }));
      assert.equal(view.countdown, DEFAULT_TEXTS.draw_due);
    }
    const view = viewOf(progress({ position: null, prequeue: true, opensAt }), context({ nowMs: START_MS - 1 }));
    assert.equal(view.countdown, 'The draw starts in 0:01');
  });

  test('viewOf_registeredWithoutTimeOrTicket_showsNeither', () => {
    const view = viewOf(progress({ position: null, prequeue: true }), context());
    assert.equal(view.countdown, null);
    assert.equal(view.ticket, null);
  });

  test('viewOf_ready_fillsTheBarAndSaysWhatComesNext', () => {
    const ready = progress({ position: null, ahead: null, ready: true });
    assert.deepEqual(viewOf(ready, context()), {
      phase: 'ready', status: DEFAULT_TEXTS.ready, position: null, ahead: null, eta: null, fraction: 1, bar: true,
      countdown: null, ticket: null, announcement: DEFAULT_TEXTS.ready,
    });
    const staying = viewOf(ready, context({ returning: false }));
    assert.equal(staying.status, DEFAULT_TEXTS.ready_no_return);
    assert.equal(staying.announcement, DEFAULT_TEXTS.ready_no_return);
  });
});

describe('returnUrlWithToken', () => {
  test('returnUrlWithToken_ownQueryAndFragment_keptAsWritten', () => {
    const url = 'https://shop.example/checkout?step=2&q=a%20b+c&flag#pay';
    assert.equal(returnUrlWithToken(url, 'gatehouse_token', 'eyJ.x.y'),
      'https://shop.example/checkout?step=2&q=a%20b+c&flag&gatehouse_token=eyJ.x.y#pay');
  });

  test('returnUrlWithToken_noQuery_startsOne', () => {
    assert.equal(returnUrlWithToken('https://shop.example/', 'gatehouse_token', 'T'), 'https://shop.example/?gatehouse_token=T');
    assert.equal(returnUrlWithToken('https://shop.example/?', 'gatehouse_token', 'T'), 'https://shop.example/?gatehouse_token=T');
    assert.equal(returnUrlWithToken('http://shop.example#top', 't', 'T'), 'http://shop.example/?t=T#top');
  });

  test('returnUrlWithToken_earlierToken_isReplaced', () => {
    const url = 'https://shop.example/?gatehouse_token=OLD&a=1&gatehouse%5Ftoken=OLDER&gatehouse_tokens=keep';
    assert.equal(returnUrlWithToken(url, 'gatehouse_token', 'NEW'),
      'https://shop.example/?a=1&gatehouse_tokens=keep&gatehouse_token=NEW');
  });

  test('returnUrlWithToken_parameterAndTokenNeedingEscapes_areEscaped', () => {
    assert.equal(returnUrlWithToken('https://shop.example/', 'queue token&x', 'a+b/c=&#'),
      'https://shop.example/?queue%20token%26x=a%2Bb%2Fc%3D%26%23');
  });

  test('returnUrlWithToken_malformedEscapeInTheQuery_isKept', () => {
    assert.equal(returnUrlWithToken('https://shop.example/?bad=%E0%A4%A&%zz=1', 't', 'T'),
      'https://shop.example/?bad=%E0%A4%A&%zz=1&t=T');
  });

  test('returnUrlWithToken_notHttp_isRefused', () => {
    const refused = [
      'javascript:alert(1)//https://shop.example/', 'jAvAsCrIpT:alert(1)', '\tjavascript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=', 'blob:https://shop.example/uuid', 'ftp://shop.example/',
      '/relative', '', null, undefined, 42, {},
    ];
    for (const url of refused) {
      assert.equal(returnUrlWithToken(url, 'gatehouse_token', 'T'), null, String(url));
    }
  });
});

describe('drawCheck', () => {
  const page = `https://room.example/wait/${ROOM}?user=alice-42`;
  const draw = `/draw/${ROOM}/`;

  test('drawCheck_sameOrigin_filesAndCommandOnThePagesOrigin', () => {
    const check = drawCheck({ api: '', draw, ticket: TICKET, pageUrl: page });
    const files = `https://room.example/draw/${ROOM}/`;
    assert.deepEqual(check, {
      record: `${files}record`, commit: `${files}commit`, tickets: `${files}tickets`,
      proof: `${files}proof?ticket=${TICKET}`,
      command: `gatehouse verify --record ${files}record --commit ${files}commit --ticket ${TICKET}`
        + ` --proof '${files}proof?ticket=${TICKET}' --tickets ${files}tickets`,
    });
  });

  test('drawCheck_apiElsewhere_filesThere', () => {
    for (const api of ['https://api.example/room', 'https://api.example/room/']) {
      const check = drawCheck({ api, draw, ticket: TICKET, pageUrl: page });
      assert.equal(check.record, `https://api.example/room/draw/${ROOM}/record`);
    }
  });

  test('drawCheck_notADrawPathOrTicket_isNull', () => {
    const paths = [null, '', 'draw/x/', '/draw/x', '//evil.example/', 'javascript:alert(1)//', '/draw/x y/',
      "/draw/x'/", '/draw/x?/', 'https://evil.example/draw/x/', 42];
    for (const path of paths) {
      assert.equal(drawCheck({ api: '', draw: path, ticket: TICKET, pageUrl: page }), null, String(path));
    }
    for (const ticket of [null, '', 'a b', "x'; rm -rf ~; '", 'a&b', 'x'.repeat(129)]) {
      assert.equal(drawCheck({ api: '', draw, ticket, pageUrl: page }), null, String(ticket));
    }
  });

  test('drawCheck_apiNotHttp_isNull', () => {
    assert.equal(drawCheck({ api: 'javascript:alert(1)', draw, ticket: TICKET, pageUrl: page }), null);
    assert.equal(drawCheck({ api: '', draw, ticket: TICKET, pageUrl: 'file:///tmp/wait.html' }), null);
  });

  test('drawCheck_quoteInTheApiPath_isQuotedForTheShell', () => {
    const check = drawCheck({ api: "https://api.example/it's", draw, ticket: TICKET, pageUrl: page });
    assert.ok(check.command.includes(`--record 'https://api.example/it'\\''s/draw/${ROOM}/record'`), check.command);
  });
});

describe('resumeState', () => {
  const newId = () => 'NEW';
  const kept = (fields) => JSON.stringify({ user: 'u1', token: 'T1', registered: true, ...fields });

  test('resumeState_nothingKept_makesAUser', () => {
    assert.deepEqual(resumeState(null, null, newId), { user: 'NEW', token: null, registered: false });
  });

  test('resumeState_kept_goesOnWithIt', () => {
    assert.deepEqual(resumeState(kept(), null, newId), { user: 'u1', token: 'T1', registered: true });
  });

  test('resumeState_businessGaveTheSameUser_goesOn', () => {
    assert.deepEqual(resumeState(kept(), 'u1', newId), { user: 'u1', token: 'T1', registered: true });
  });

  test('resumeState_businessGaveAnotherUser_dropsTheKeptToken', () => {
    assert.deepEqual(resumeState(kept(), 'alice-42', newId), { user: 'alice-42', token: null, registered: false });
  });

  test('resumeState_garbageKept_startsAfresh', () => {
    for (const text of ['', 'not json', '[1,2]', 'null', '"u1"', '{"user": 7, "token": "T1"}', '{"user": ""}']) {
      assert.deepEqual(resumeState(text, null, newId), { user: 'NEW', token: null, registered: false }, text);
    }
  });

  test('resumeState_oddFields_areDropped', () => {
    assert.deepEqual(resumeState(kept({ token: 42, registered: 'yes' }), null, newId),
      { user: 'u1', token: null, registered: false });
  });
});
