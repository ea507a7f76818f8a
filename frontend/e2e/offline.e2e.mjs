// A speaker's browser goes offline mid-meeting and comes back, as when a laptop drops its
// Wi-Fi: every packet it sends is dropped (iptables, matching the group its Chromium runs as)
// for OFFLINE_S seconds. Run inside a network namespace of the test's own (as root).
//
// The page must say the connection is lost and retry by itself, and once the network is back,
// take its place in the room again (the same participant, its captions kept) and be captioned
// again, while a listen-only reader keeps every final.
// Prints one JSON line on stdout: when the page was told and what, when it was back, and the
// finals each page shows.
//
// Environment: BASE_URL, ROOM, SPEAKER_WAV, OFFLINE_GID (required); OFFLINE_S, CHROMIUM.

import { execFileSync } from 'node:child_process';
import { finals, joinRoom, launchWithMicrophone, openApp, report } from './browsers.mjs';

const env = (name) => process.env[name] || fail(`environment variable ${name} is required`);
const BASE_URL = env('BASE_URL');
const ROOM = env('ROOM');
const SPEAKER_WAV = env('SPEAKER_WAV');
const OFFLINE_GID = env('OFFLINE_GID');
const OFFLINE_MS = Number(process.env.OFFLINE_S || 8) * 1000;
const DROP = ['OUTPUT', '-m', 'owner', '--gid-owner', OFFLINE_GID, '-j', 'DROP'];

function fail(message) {
  console.error(`offline e2e: ${message}`);
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const consoleErrors = [];
const browsers = [];

async function openPage(role, wav, gid) {
  const browser = await launchWithMicrophone(wav, gid);
  browsers.push(browser);
  const context = await browser.newContext();
  return openApp(context, `${BASE_URL}/?room=${encodeURIComponent(ROOM)}`, role, consoleErrors);
}

/** Waits until the reader shows a final from Ada that it did not show before `since`. */
async function newFinalFromAda(reader, before, timeoutMs) {
  const known = new Set(before.map((line) => line.id));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const fresh = (await finals(reader)).filter((l) => l.speaker === 'Ada' && !known.has(l.id));
    if (fresh.length > 0) return;
    await sleep(250);
  }
  throw new Error(`no new final from Ada within ${timeoutMs} ms`);
}

const state = (page, value) =>
  page.locator(`[data-testid="connection-state"][data-state="${value}"]`);

let result;
try {
  const reader = await openPage('reader', null, null);
  await joinRoom(reader, { name: 'Reader', listenOnly: true });
  const speaker = await openPage('speaker', SPEAKER_WAV, OFFLINE_GID);
  await joinRoom(speaker, { name: 'Ada', listenOnly: false });
  await newFinalFromAda(reader, [], 90_000);

  execFileSync('iptables', ['-A', ...DROP]);
  const offline = Date.now();
  await state(speaker, 'reconnecting').waitFor({ timeout: 60_000 });
  const toldAfterMs = Date.now() - offline;
  const told = (await speaker.getByTestId('connection-banner').textContent()).trim();
  await sleep(Math.max(0, offline + OFFLINE_MS - Date.now()));
  execFileSync('iptables', ['-D', ...DROP]);
  const online = Date.now();
  await state(speaker, 'connected').waitFor({ timeout: 60_000 });
  const backAfterMs = Date.now() - online;
  const readerBefore = await finals(reader);
  await newFinalFromAda(reader, readerBefore, 90_000);

  result = {
    told_after_ms: toldAfterMs,
    told,
    back_after_ms: backAfterMs,
    reader_finals: await finals(reader),
    speaker_finals: await finals(speaker),
    reader_people: await reader.getByTestId('participant').count(),
    console_errors: consoleErrors,
  };
} catch (error) {
  result = { error: String(error?.stack ?? error), console_errors: consoleErrors };
} finally {
  try {
    execFileSync('iptables', ['-D', ...DROP], { stdio: 'ignore' });
  } catch {
    // not there: already removed
  }
  await Promise.all(browsers.map((browser) => browser.close().catch(() => undefined)));
}
report('offline e2e', result);
