// A meeting in real Chromium processes: one listen-only reader and three speakers, each speaker
// its own browser whose fake microphone loops its own recording, so everyone keeps talking.
//
// 1. The speakers join one after another; the reader must then see finals from each of them.
// 2. Each speaker's page must receive the other two voices (getStats: inbound-rtp packets
//    rising, audio level above zero).
// 3. The first speaker mutes; the second leaves and joins again; the first unmutes: both must be
//    captioned again.
// 4. The third speaker's browser stops sending: the page must say it is not heard and offer a
//    reconnect, and after that one click it must be captioned again.
// Prints one JSON line on stdout: what the reader saw in each phase, and the audio stats.
//
// Environment: BASE_URL, ROOM, SPEAKER_WAVS (three WAV paths, comma-separated; required);
// PHASE_TIMEOUT_S, CHROMIUM (optional).

import { finals, joinRoom, launchWithMicrophone, openApp, report } from './browsers.mjs';

const env = (name) => process.env[name] || fail(`environment variable ${name} is required`);
const BASE_URL = env('BASE_URL');
const ROOM = env('ROOM');
const SPEAKER_WAVS = env('SPEAKER_WAVS').split(',');
const PHASE_TIMEOUT_MS = Number(process.env.PHASE_TIMEOUT_S || 90) * 1000;
const SPEAKERS = ['Alice', 'Eve', 'Omar'];
const JOIN_GAP_MS = 5000;
const FINALS_EACH = 2;

function fail(message) {
  console.error(`meeting e2e: ${message}`);
  process.exit(2);
}

function log(message) {
  console.error(`[meeting ${new Date().toISOString().slice(11, 23)}] ${message}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const consoleErrors = [];
const browsers = [];

/** A browser of its own (the fake microphone is per process) with the app open in the room. */
async function openPage(role, wav) {
  const browser = await launchWithMicrophone(wav);
  browsers.push(browser);
  const context = await browser.newContext();
  // Keeps the page's peer connections reachable for getStats; the app itself is unchanged.
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.__peerConnections = [];
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        window.__peerConnections.push(this);
      }
    };
  });
  return openApp(context, `${BASE_URL}/?room=${encodeURIComponent(ROOM)}`, role, consoleErrors);
}

/** Every final the reader shows, with the time it first appeared. */
const seen = new Map();
async function watch(reader) {
  for (const line of await finals(reader)) {
    if (!seen.has(line.id)) seen.set(line.id, { ...line, at: Date.now() });
  }
}

/**
 * Waits until the reader shows `FINALS_EACH` finals from each of `names` that appeared after
 * `since`: the first may be a fragment (a speaker unmuted or reconnected mid-sentence).
 */
async function finalsFromEach(reader, names, since, phase) {
  const deadline = Date.now() + PHASE_TIMEOUT_MS;
  for (;;) {
    await watch(reader);
    const fresh = [...seen.values()].filter((line) => line.at > since);
    const count = (name) => fresh.filter((line) => line.speaker === name).length;
    const missing = names.filter((name) => count(name) < FINALS_EACH);
    if (missing.length === 0) return fresh;
    if (Date.now() > deadline) {
      throw new Error(`${phase}: fewer than ${FINALS_EACH} finals from ${missing.join(', ')}`);
    }
    await sleep(250);
  }
}

/** Incoming audio on a page: packets received and the loudest level seen, per inbound stream. */
async function inboundAudio(page) {
  return page.evaluate(async () => {
    const streams = {};
    for (const pc of window.__peerConnections) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((stat) => {
        if (stat.type === 'inbound-rtp' && stat.kind === 'audio') {
          streams[stat.mid ?? stat.id] = {
            packets: stat.packetsReceived ?? 0,
            level: stat.audioLevel ?? 0,
          };
        }
      });
    }
    return streams;
  });
}

/**
 * Every inbound stream of the page's open peer connections over six seconds: packets a second
 * and the loudest level seen; with the connections' states, to tell a dropped connection from
 * a silent stream.
 */
async function inboundAudioOverSixSeconds(page) {
  const before = await inboundAudio(page);
  const started = Date.now();
  let loudest = {};
  for (let i = 0; i < 24; i++) {
    await sleep(250);
    for (const [mid, stream] of Object.entries(await inboundAudio(page))) {
      loudest[mid] = Math.max(loudest[mid] ?? 0, stream.level);
    }
  }
  const after = await inboundAudio(page);
  const seconds = (Date.now() - started) / 1000;
  return {
    connections: await page.evaluate(() =>
      window.__peerConnections.map((pc) => pc.connectionState),
    ),
    streams: Object.keys(after).map((mid) => ({
      mid,
      packets_per_s: (after[mid].packets - (before[mid]?.packets ?? 0)) / seconds,
      level: loudest[mid] ?? 0,
    })),
  };
}

let result;
try {
  const reader = await openPage('reader', null);
  await joinRoom(reader, { name: 'Reader', listenOnly: true });
  log('Reader joined');
  const speakers = [];
  for (let i = 0; i < SPEAKERS.length; i++) {
    if (i > 0) await sleep(JOIN_GAP_MS);
    const page = await openPage(SPEAKERS[i], SPEAKER_WAVS[i]);
    await joinRoom(page, { name: SPEAKERS[i], listenOnly: false });
    log(`${SPEAKERS[i]} joined`);
    speakers.push(page);
  }
  const allJoined = Date.now();
  log('all three speakers joined; waiting for finals from each');
  const afterLastJoin = await finalsFromEach(reader, SPEAKERS, allJoined, 'after the last join');

  const audio = {};
  for (let i = 0; i < SPEAKERS.length; i++)
    audio[SPEAKERS[i]] = await inboundAudioOverSixSeconds(speakers[i]);
  log(`inbound audio: ${JSON.stringify(audio)}`);

  const [alice, eve] = speakers;
  await alice.getByTestId('mic-mute').click();
  log('Alice muted; Eve leaves and joins again');
  await eve.getByTestId('leave').click();
  await eve.getByTestId('start-over').click(); // from "You left" back to the join screen
  await eve.getByTestId('join-submit').waitFor();
  await joinRoom(eve, { name: 'Eve', listenOnly: false });
  log('Eve joined');
  await sleep(2000);
  await alice.getByTestId('mic-mute').click();
  const unmuted = Date.now();
  log('Alice unmuted');
  const afterUnmute = await finalsFromEach(reader, ['Alice', 'Eve'], unmuted, 'after unmuting');

  const omar = speakers[2];
  // The browser stops sending (as when a media path breaks) while its signaling stays up.
  await omar.evaluate(() => {
    const pc = window.__peerConnections.at(-1);
    return pc
      .getSenders()
      .find((sender) => sender.track?.kind === 'audio')
      .replaceTrack(null);
  });
  const silenced = Date.now();
  log('Omar’s browser stopped sending');
  const notHeard = omar.locator('[data-testid="toast"]', { hasText: 'stopped receiving' });
  await notHeard.waitFor({ timeout: 15_000 });
  const toldAfterMs = Date.now() - silenced;
  await notHeard.getByTestId('toast-action').click();
  await omar
    .locator('[data-testid="connection-state"][data-state="connected"]')
    .waitFor({ timeout: 30_000 });
  const reconnected = Date.now();
  log(`Omar was told after ${toldAfterMs} ms and reconnected in one click`);
  const afterReconnect = await finalsFromEach(reader, ['Omar'], reconnected, 'after reconnecting');

  result = {
    after_last_join: afterLastJoin,
    after_unmute: afterUnmute,
    not_heard_told_after_ms: toldAfterMs,
    after_reconnect: afterReconnect,
    inbound_audio: audio,
    console_errors: consoleErrors,
  };
} catch (error) {
  result = {
    error: String(error?.stack ?? error),
    seen: [...seen.values()],
    console_errors: consoleErrors,
  };
} finally {
  await Promise.all(browsers.map((browser) => browser.close().catch(() => undefined)));
}

report('meeting e2e', result);
