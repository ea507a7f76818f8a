// End-to-end check in two real Chromium processes against a running server.
//
// Browser A joins as a speaker whose fake microphone plays FAKE_MIC_WAV once; browser B joins
// the same room listen-only (or captions only, LISTENER_MODE=captions-only) with captions in
// LISTENER_CAPTION_LANGUAGE. Succeeds when A shows final captions and B shows them with their
// translations; prints one JSON line on stdout.
//
// Environment: BASE_URL, FAKE_MIC_WAV, OUT_DIR (required); ROOM, LISTENER_CAPTION_LANGUAGE,
// LISTENER_MODE, SPEAKER_LANGUAGE, E2E_TIMEOUT_S, CHROMIUM (optional).

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { launchWithMicrophone, openApp, report } from './browsers.mjs';

const BASE_URL = required('BASE_URL');
const FAKE_MIC_WAV = path.resolve(required('FAKE_MIC_WAV'));
const OUT_DIR = path.resolve(required('OUT_DIR'));
const ROOM = process.env.ROOM || `e2e-${Date.now()}`;
const LISTENER_CAPTION_LANGUAGE = process.env.LISTENER_CAPTION_LANGUAGE || 'de';
const LISTENER_MODE = process.env.LISTENER_MODE || 'listen-only';
const SPEAKER_LANGUAGE = process.env.SPEAKER_LANGUAGE || 'en';
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_S || 60) * 1000;

/** Once everything looks done, it must stay unchanged this long (no late finals). */
const SETTLE_MS = 2500;

function required(name) {
  const value = process.env[name];
  if (!value) fail(`environment variable ${name} is required`);
  return value;
}

function fail(message) {
  console.error(`captions e2e: ${message}`);
  process.exit(2);
}

function log(message) {
  console.error(`[e2e ${new Date().toISOString().slice(11, 23)}] ${message}`);
}

/** Seconds of audio in a PCM WAV file, from its `fmt ` byte rate and `data` size. */
function wavSeconds(file) {
  const wav = readFileSync(file);
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') {
    fail(`${file} is not a WAV file`);
  }
  let byteRate = 0;
  for (let offset = 12; offset + 8 <= wav.length;) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'fmt ') byteRate = wav.readUInt32LE(offset + 16);
    if (id === 'data' && byteRate > 0) return size / byteRate;
    offset += 8 + size + (size % 2);
  }
  fail(`${file} has no audio data`);
}

async function openPage(browser, role, consoleErrors) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Counts the page's peer connections: a captions-only listener must open none.
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.peerConnections = 0;
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        window.peerConnections++;
      }
    };
  });
  return openApp(context, `${BASE_URL}/?room=${encodeURIComponent(ROOM)}`, role, consoleErrors);
}

async function join(page, { name, language, captionLanguage, mode }) {
  await page.getByTestId('join-name').fill(name);
  // Languages come from /api/config; wait until the options are there.
  await page
    .locator(`[data-testid="join-caption-language"] option[value="${captionLanguage}"]`)
    .waitFor({ state: 'attached' });
  await page.getByTestId('join-language').selectOption(language);
  await page.getByTestId('join-caption-language').selectOption(captionLanguage);
  await page.getByTestId(`join-${mode}`).click();
  await page.getByTestId('join-submit').click();
  await page
    .locator('[data-testid="connection-state"][data-state="connected"]')
    .waitFor({ timeout: 20_000 });
}

/** What a page shows right now: final originals, final translations, and open partials. */
async function snapshot(page) {
  return page.evaluate(() => {
    const finals = [
      ...document.querySelectorAll('[data-testid="caption-line"][data-final="true"]'),
    ];
    const textOf = (el) => (el?.textContent ?? '').trim();
    return {
      finals: finals.map((line) => textOf(line.querySelector('[data-testid="caption-original"]'))),
      translations: finals
        .map((line) => line.querySelector('[data-testid="caption-translation"][data-final="true"]'))
        .filter((el) => el !== null)
        .map(textOf),
      partials: document.querySelectorAll('[data-testid="caption-line"][data-final="false"]')
        .length,
      state: document.querySelector('[data-testid="connection-state"]')?.getAttribute('data-state'),
    };
  });
}

function isComplete(speaker, listener) {
  return (
    speaker.finals.length > 0 &&
    speaker.partials === 0 &&
    listener.partials === 0 &&
    listener.finals.length === speaker.finals.length &&
    listener.translations.length === listener.finals.length
  );
}

const consoleErrors = [];
const audioSeconds = wavSeconds(FAKE_MIC_WAV);
mkdirSync(OUT_DIR, { recursive: true });

const browsers = [];
let result;
let timedOut = false;
try {
  const listenerBrowser = await launchWithMicrophone(null);
  browsers.push(listenerBrowser);
  const speakerBrowser = await launchWithMicrophone(`${FAKE_MIC_WAV}%noloop`);
  browsers.push(speakerBrowser);
  const listener = await openPage(listenerBrowser, 'listener', consoleErrors);
  const speaker = await openPage(speakerBrowser, 'speaker', consoleErrors);

  log(`room ${ROOM}: listener joins (captions in ${LISTENER_CAPTION_LANGUAGE})`);
  await join(listener, {
    name: 'Listener',
    language: 'auto',
    captionLanguage: LISTENER_CAPTION_LANGUAGE,
    mode: LISTENER_MODE,
  });
  log(`speaker joins; the microphone plays ${audioSeconds.toFixed(1)} s of audio`);
  const speakerJoinedAt = Date.now();
  await join(speaker, {
    name: 'Speaker',
    language: SPEAKER_LANGUAGE,
    captionLanguage: SPEAKER_LANGUAGE,
    mode: 'speak',
  });

  const deadline = speakerJoinedAt + TIMEOUT_MS;
  let last = '';
  let stableSince = Date.now();
  let views;
  for (;;) {
    views = { speaker: await snapshot(speaker), listener: await snapshot(listener) };
    const key = JSON.stringify(views);
    if (key !== last) {
      last = key;
      stableSince = Date.now();
      log(
        `speaker ${views.speaker.finals.length} final(s), ${views.speaker.partials} partial(s); listener ${views.listener.finals.length} final(s), ${views.listener.translations.length} translation(s)`,
      );
    }
    const audioOver = Date.now() - speakerJoinedAt > audioSeconds * 1000;
    if (
      audioOver &&
      isComplete(views.speaker, views.listener) &&
      Date.now() - stableSince >= SETTLE_MS
    )
      break;
    if (Date.now() > deadline) {
      timedOut = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const screenshots = [];
  for (const [role, page] of [
    ['speaker', speaker],
    ['listener', listener],
  ]) {
    const file = path.join(OUT_DIR, `${role}.png`);
    await page.screenshot({ path: file, fullPage: true });
    screenshots.push(file);
  }
  await Promise.all(
    [speaker, listener].map((page) =>
      page
        .getByTestId('leave')
        .click()
        .catch(() => undefined),
    ),
  );

  result = {
    speaker_captions: views.speaker.finals.join(' '),
    listener_captions: views.listener.finals.join(' '),
    listener_translations: views.listener.translations.join(' '),
    listener_peer_connections: await listener.evaluate(() => window.peerConnections),
    console_errors: consoleErrors,
    screenshots,
  };
  if (timedOut) {
    result.error = `timed out after ${TIMEOUT_MS / 1000} s waiting for final captions and translations: ${JSON.stringify(views)}`;
  }
} catch (error) {
  result = { error: String(error?.stack ?? error), console_errors: consoleErrors, screenshots: [] };
} finally {
  await Promise.all(browsers.map((browser) => browser.close().catch(() => undefined)));
}

report('captions e2e', result);
