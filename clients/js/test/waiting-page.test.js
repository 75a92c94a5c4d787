// The waiting page's files as text: what the server fills in, what the page's CSP allows, and that
// the page, its texts and the README agree. (The page's behaviour in a browser is the server's test.)
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DEFAULT_TEXTS } from '../page/waiting-model.js';

const read = (path) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const html = read('page/waiting.html');
const script = read('page/waiting.js');
const model = read('page/waiting-model.js');
const css = read('page/waiting.css');
const readme = read('README.md');

const PLACEHOLDERS = ['lang', 'title', 'assets', 'theme', 'config', 'noscript_url', 'noscript_text'];
const THEME_PROPERTIES = ['--gh-background', '--gh-surface', '--gh-text', '--gh-muted', '--gh-accent', '--gh-accent-text'];

/** The section of the README under `heading`, up to the next heading of its level or above. */
function readmeSection(heading) {
  const start = readme.indexOf(`${heading}\n`);
  assert.ok(start >= 0, heading);
  const level = heading.split(' ')[0];
  const rest = readme.slice(start + heading.length);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

describe('waiting.html', () => {
  test('template_placeholders_areTheDocumentedOnes', () => {
    const used = new Set([...html.matchAll(/\{\{([a-z_]+)\}\}/g)].map(([, name]) => name));
    assert.deepEqual([...used].sort(), [...PLACEHOLDERS].sort());
    const documented = [...readmeSection('### Placeholders').matchAll(/^\| `\{\{([a-z_]+)\}\}` \|/gm)].map(([, n]) => n);
    assert.deepEqual(documented, PLACEHOLDERS);
    assert.doesNotMatch(html.replace(/\{\{[a-z_]+\}\}/g, ''), /\{\{|\}\}/);
  });

  test('template_config_isADataBlockHoldingOnlyThePlaceholder', () => {
    assert.match(html, /<script type="application\/json" id="gatehouse-page">\{\{config\}\}<\/script>/);
  });

  test('template_scripts_areTheModuleAndTheDataBlockOnly', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map(([, attributes]) => attributes.trim());
    assert.deepEqual(scripts, [
      'type="application/json" id="gatehouse-page"',
      'type="module" src="{{assets}}page/waiting.js"',
    ]);
  });

  test('template_noInlineStyleOrHandler_forTheCsp', () => {
    assert.doesNotMatch(html, /<style\b/i);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
    assert.doesNotMatch(html, /javascript:/i);
    const links = [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map(([, url]) => url);
    for (const url of links) {
      assert.match(url, /^\{\{(assets|theme|noscript_url)\}\}/, `${url}: only the server's own files`);
    }
  });

  test('template_withoutJavaScript_goesToTheNoscriptPage', () => {
    const head = html.slice(html.indexOf('<head>'), html.indexOf('</head>'));
    assert.match(head, /<noscript><meta http-equiv="refresh" content="0; url=\{\{noscript_url\}\}"><\/noscript>/);
    const body = html.slice(html.indexOf('<body>'));
    assert.match(body, /<noscript><p><a href="\{\{noscript_url\}\}">\{\{noscript_text\}\}<\/a><\/p><\/noscript>/);
  });

  test('template_liveRegion_isPolite', () => {
    assert.match(html, /<p id="gh-announcer" class="gh-visually-hidden" aria-live="polite"><\/p>/);
  });

  test('template_ids_areUnique', () => {
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map(([, id]) => id);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('template_dataTexts_areKnownKeys', () => {
    for (const [, key] of html.matchAll(/data-text="([^"]+)"/g)) {
      assert.ok(Object.hasOwn(DEFAULT_TEXTS, key), key);
    }
  });

  test('template_copyButtons_nameFieldsThatExist', () => {
    for (const [, id] of html.matchAll(/data-copies="([^"]+)"/g)) {
      assert.match(html, new RegExp(`<(?:input|textarea) id="${id}"`), id);
    }
  });
});

describe('waiting.js', () => {
  test('page_elementsItReads_areInTheTemplate', () => {
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map(([, id]) => id));
    const read = [...script.matchAll(/['`](gh(?:-[a-z]+)+-?)/g), ...script.matchAll(/byId\('([a-z-]+)'/g)]
      .map(([, id]) => id);
    assert.ok(read.length > 20);
    for (const id of read) {
      assert.ok(ids.has(id) || (id.endsWith('-') && [...ids].some((each) => each.startsWith(id))), id);
    }
  });

  test('page_textsItLooksUp_areKnownKeys', () => {
    for (const source of [script, model]) {
      for (const [, key] of source.matchAll(/\btext\('([a-z_]+)'/g)) {
        assert.ok(Object.hasOwn(DEFAULT_TEXTS, key), key);
      }
    }
  });

  test('page_writesNoMarkupAndNoInlineStyle', () => {
    for (const source of [script, model]) {
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
      assert.doesNotMatch(source, /\.style\.(?!setProperty)|setAttribute\(\s*'style'/);
    }
  });

  test('page_imports_resolveInTheServedLayout', () => {
    // served as {assets}page/<file> and {assets}src/<file>: the same layout as this directory
    for (const [file, source] of [['page/waiting.js', script], ['page/waiting-model.js', model]]) {
      for (const [, path] of source.matchAll(/^import[^;]*?from '([^']+)'/gms)) {
        assert.ok(existsSync(new URL(`../${file}/../${path}`, import.meta.url)), `${file}: ${path}`);
      }
    }
  });
});

describe('waiting.css', () => {
  test('css_themeProperties_haveLightAndDarkDefaults', () => {
    const [light, dark] = css.split('@media (prefers-color-scheme: dark)');
    for (const property of THEME_PROPERTIES) {
      assert.match(light, new RegExp(`${property}: #[0-9a-f]{6};`), `${property} (light)`);
      assert.match(dark.slice(0, dark.indexOf('}')), new RegExp(`${property}: #[0-9a-f]{6};`), `${property} (dark)`);
    }
  });

  test('css_colours_comeFromTheThemeProperties', () => {
    const declared = new Set([...css.matchAll(/var\((--[a-z-]+)\)/g)].map(([, name]) => name));
    assert.deepEqual([...declared].sort(), [...THEME_PROPERTIES].sort());
  });

  test('css_nothingFromElsewhere', () => {
    assert.doesNotMatch(css, /@import|@font-face|url\(/);
  });

  test('css_motion_stopsForReducedMotion', () => {
    assert.match(css, /@media \(prefers-reduced-motion: reduce\) \{[^@]*animation: none !important;/);
  });
});

describe('README', () => {
  test('readme_texts_areTheDefaultsInOrder', () => {
    const rows = [...readmeSection('### Texts').matchAll(/^\| `([a-z_]+)` \| [^|]+ \| (.+) \|$/gm)];
    assert.deepEqual(rows.map(([, key, english]) => [key, english]), Object.entries(DEFAULT_TEXTS));
  });

  test('readme_themeProperties_areAllNamed', () => {
    const section = readmeSection('## The hosted waiting page');
    for (const property of THEME_PROPERTIES) {
      assert.ok(section.includes(`\`${property}\``), property);
    }
  });
});
