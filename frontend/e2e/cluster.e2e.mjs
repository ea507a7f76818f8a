// A meeting on a cluster, in two real Chromium processes, through a host's death.
//
// The speaker joins through the cluster's nginx (ENTRY_URL), so its room opens on one
// instance; a captions-only viewer opens the web app on the other instance (its own address),
// so its captions come from the host through Redis. Once the viewer shows the first speech's
// finals, the host is killed with SIGKILL. The speaker's page reconnects by itself and the
// room opens on the surviving instance; its microphone goes on, and the viewer, who never
// lost its connection, must see the next speech's captions. Prints one JSON line on stdout.
//
// Environment: ENTRY_URL, INSTANCES (JSON: [{"url": ..., "pid": ...}]), FAKE_MIC_WAV, ROOM.

import path from 'node:path';
import { finals, joinRoom, launchWithMicrophone, openApp, report } from './browsers.mjs';

const ENTRY_URL = process.env.ENTRY_URL;
const INSTANCES = JSON.parse(process.env.INSTANCES ?? '[]');
const FAKE_MIC_WAV = path.resolve(process.env.FAKE_MIC_WAV ?? '');
const ROOM = process.env.ROOM ?? `cluster-${Date.now()}`;

function log(message) {
  console.error(`[cluster e2e ${new Date().toISOString().slice(11, 23)}] ${message}`);
}

/** The instance hosting the room: the only one that hosts a room (the test's only room). */
async function host() {
  for (;;) {
    for (const instance of INSTANCES) {
      const metrics = await (await fetch(`${instance.url}/metrics`)).text();
      if (/^rtc_cluster_rooms_hosted 1(\.0)?$/m.test(metrics)) return instance;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function joinCaptionsOnly(page) {
  await page.getByTestId('join-name').fill('Viewer');
  await page.getByTestId('join-captions-only').click();
  await page.getByTestId('join-submit').click();
  await page
    .locator('[data-testid="connection-state"][data-state="connected"]')
    .waitFor({ timeout: 30_000 });
}

/** Final captions shown, once nothing is partial and nothing has changed for `quietMs`. */
async function settledFinals(page, quietMs = 3000) {
  let last = '';
  let since = Date.now();
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="caption-line"]')].map(
        (line) => `${line.getAttribute('data-final')}:${line.textContent}`,
      ),
    );
    const key = JSON.stringify(shown);
    if (key !== last) [last, since] = [key, Date.now()];
    const partial = shown.some((line) => line.startsWith('false:'));
    if (!partial && shown.length > 0 && Date.now() - since >= quietMs) return finals(page);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`captions did not settle: ${last}`);
}

const consoleErrors = [];
const browsers = [];
let result;
try {
  const speakerBrowser = await launchWithMicrophone(`${FAKE_MIC_WAV}%noloop`);
  browsers.push(speakerBrowser);
  const viewerBrowser = await launchWithMicrophone(null);
  browsers.push(viewerBrowser);

  const speaker = await openApp(
    await speakerBrowser.newContext(),
    `${ENTRY_URL}/?room=${ROOM}`,
    'speaker',
    consoleErrors,
  );
  await joinRoom(speaker, { name: 'Speaker', listenOnly: false });
  const hosting = await host();
  const other = INSTANCES.find((instance) => instance !== hosting);
  log(`room ${ROOM} is hosted at ${hosting.url}; the viewer opens ${other.url}`);
  const viewer = await openApp(
    await viewerBrowser.newContext(),
    `${other.url}/?room=${ROOM}`,
    'viewer',
    consoleErrors,
  );
  await joinCaptionsOnly(viewer);

  await viewer.waitForFunction(
    () => document.querySelectorAll('[data-testid="caption-line"][data-final="true"]').length > 0,
    null,
    { timeout: 60_000, polling: 250 },
  );
  const beforeKill = await settledFinals(viewer);
  log(`viewer shows ${beforeKill.length} final(s); killing the host`);
  process.kill(hosting.pid, 'SIGKILL');
  const killedAt = Date.now();
  await speaker
    .locator('[data-testid="connection-state"]:not([data-state="connected"])')
    .waitFor({ timeout: 30_000 });
  await speaker
    .locator('[data-testid="connection-state"][data-state="connected"]')
    .waitFor({ timeout: 30_000 });
  const speakerBackAfterMs = Date.now() - killedAt;
  log(`the speaker's page is connected again ${speakerBackAfterMs} ms after the kill`);

  await viewer.waitForFunction(
    (count) => document.querySelectorAll('[data-testid="caption-line"]').length > count,
    beforeKill.length,
    { timeout: 60_000, polling: 100 },
  );
  const captionsBackAfterMs = Date.now() - killedAt;
  log(`captions again at the viewer ${captionsBackAfterMs} ms after the kill`);
  await viewer.waitForFunction(
    (count) =>
      document.querySelectorAll('[data-testid="caption-line"][data-final="true"]').length > count,
    beforeKill.length,
    { timeout: 60_000, polling: 250 },
  );
  const viewerFinals = await settledFinals(viewer);
  const speakerFinals = await settledFinals(speaker);
  result = {
    before_kill: beforeKill.map((line) => line.text),
    viewer: viewerFinals.map((line) => line.text),
    speaker: speakerFinals.map((line) => line.text),
    speaker_back_after_ms: speakerBackAfterMs,
    captions_back_after_ms: captionsBackAfterMs,
    speaker_state: await speaker
      .locator('[data-testid="connection-state"]')
      .getAttribute('data-state'),
    console_errors: consoleErrors,
  };
} catch (error) {
  result = { error: String(error?.stack ?? error), console_errors: consoleErrors };
} finally {
  await Promise.all(browsers.map((browser) => browser.close().catch(() => undefined)));
}

report('cluster e2e', result);
