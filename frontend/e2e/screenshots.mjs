// Screenshots of the main screens for the README: the join screen, and a room where two
// speakers are captioned, at desktop and phone size, light and dark, English and Korean.
//
// Two speakers' browsers (one fake microphone each) and a listen-only reader, whose page is
// photographed once both speakers have final captions on it. Writes PNGs into OUT_DIR and
// prints one JSON line on stdout: the files written.
//
// Environment: BASE_URL, OUT_DIR, SPEAKER_WAVS (two WAV paths, comma-separated; required);
// ROOM, TIMEOUT_S, CHROMIUM (optional).

import path from 'node:path';
import {
  SIZES,
  joinRoom,
  launchWithMicrophone,
  openApp,
  report,
  setLook,
  waitForFinals,
} from './browsers.mjs';

const env = (name) => process.env[name] || fail(`environment variable ${name} is required`);
const BASE_URL = env('BASE_URL');
const OUT_DIR = env('OUT_DIR');
const SPEAKER_WAVS = env('SPEAKER_WAVS').split(',');
const ROOM = process.env.ROOM || 'team-standup';
const TIMEOUT_MS = Number(process.env.TIMEOUT_S || 120) * 1000;
const SPEAKERS = ['Alice', 'Eve'];

/** Which screen in which look: together they show every size, theme and language. */
const SHOTS = {
  join: [
    { theme: 'light', size: 'desktop', language: 'en' },
    { theme: 'dark', size: 'phone', language: 'ko' },
  ],
  room: [
    { theme: 'light', size: 'desktop', language: 'en' },
    { theme: 'dark', size: 'desktop', language: 'ko' },
    { theme: 'light', size: 'phone', language: 'ko' },
    { theme: 'dark', size: 'phone', language: 'en' },
  ],
};

function fail(message) {
  console.error(`screenshots: ${message}`);
  process.exit(2);
}

async function photograph(page, screen) {
  const files = [];
  for (const look of SHOTS[screen]) {
    await setLook(page, look);
    // No focus ring or hover left by the look's switches on the pictures.
    await page.evaluate(() => document.activeElement?.blur());
    await page.mouse.move(0, 0);
    const file = path.join(OUT_DIR, `${screen}-${look.size}-${look.theme}-${look.language}.png`);
    await page.screenshot({ path: file });
    files.push(file);
  }
  return files;
}

const consoleErrors = [];
const browsers = [];
try {
  const url = `${BASE_URL}/?room=${encodeURIComponent(ROOM)}`;
  for (const wav of SPEAKER_WAVS) browsers.push(await launchWithMicrophone(wav));
  const reader = await openApp(
    await browsers[0].newContext({ viewport: SIZES.desktop, locale: 'en-US' }),
    url,
    'reader',
    consoleErrors,
  );
  // The reader's name and languages as a new user would fill them in, for the join screen.
  await reader.getByTestId('join-name').fill('Minji');
  const files = await photograph(reader, 'join');
  await setLook(reader, { theme: 'light', size: 'desktop', language: 'en' });
  await joinRoom(reader, { name: 'Minji', listenOnly: true });

  for (const [i, browser] of browsers.entries()) {
    const page = await openApp(await browser.newContext(), url, SPEAKERS[i], consoleErrors);
    await joinRoom(page, { name: SPEAKERS[i], listenOnly: false });
  }
  await waitForFinals(reader, 4, TIMEOUT_MS);
  await reader.waitForFunction(
    (names) =>
      names.every((name) =>
        document.querySelector(`[data-testid="caption-line"][data-speaker="${name}"]`),
      ),
    SPEAKERS,
    { timeout: TIMEOUT_MS, polling: 500 },
  );
  files.push(...(await photograph(reader, 'room')));
  report('screenshots', { files, console_errors: consoleErrors });
} finally {
  await Promise.all(browsers.map((browser) => browser.close()));
}
