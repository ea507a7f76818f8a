// What the browser scripts share: Chromium with a fake microphone, and how a run reports.

import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import chromiumFlags from '../chromium-flags.cjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MEDIA_FLAGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * The system Chromium (Playwright never downloads one), headless, with `args`, at a lower
 * priority than the server (see chromium-low-priority.sh); `gid`: the group it runs as.
 */
export function launchChromium(args, gid = null) {
  return chromium.launch({
    executablePath: fileURLToPath(new URL('./chromium-low-priority.sh', import.meta.url)),
    env: { ...process.env, CHROMIUM, ...(gid === null ? {} : { CHROMIUM_GID: String(gid) }) },
    headless: true,
    args: [...chromiumFlags.HEADLESS_FLAGS, ...args],
  });
}

/** Chromium whose microphone is `wav` (none: a fake tone); `gid` as for `launchChromium`. */
export function launchWithMicrophone(wav, gid = null) {
  return launchChromium(
    [...MEDIA_FLAGS, ...(wav ? [`--use-file-for-fake-audio-capture=${wav}`] : [])],
    gid,
  );
}

/**
 * Opens `url` in `context`, collecting the page's console errors into `errors`; its warnings
 * (a lost connection, with the reason) go to stderr, for the test's log.
 */
export async function openApp(context, url, role, errors) {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${role}: ${message.text()}`);
    if (message.type() === 'warning') console.error(`[${role}] ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${role}: ${error.message}`));
  await page.goto(url);
  return page;
}

/** Final captions on a page: id, speaker name and text. */
export function finals(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="caption-line"][data-final="true"]')].map(
      (line) => ({
        id: line.getAttribute('data-caption-id'),
        speaker: line.getAttribute('data-speaker'),
        text: line.querySelector('[data-testid="caption-original"]')?.textContent.trim(),
      }),
    ),
  );
}

/** Prints the result as the last line on stdout; exits 1 if it holds an error. */
export function report(name, result) {
  console.log(JSON.stringify(result));
  if (result.error) {
    console.error(`${name} FAILED: ${result.error}`);
    process.exit(1);
  }
}

/** The two screen sizes the app is designed for. */
export const SIZES = {
  desktop: { width: 1366, height: 850 },
  phone: { width: 390, height: 844 },
};

/** Joins from the join screen (room from the page's address) and waits until connected. */
export async function joinRoom(page, { name, listenOnly, language = 'en' }) {
  await page.getByTestId('join-name').fill(name);
  // Languages come from /api/config.
  await page
    .locator(`[data-testid="join-language"] option[value="${language}"]`)
    .waitFor({ state: 'attached' });
  await page.getByTestId('join-language').selectOption(language);
  await page.getByTestId(listenOnly ? 'join-listen-only' : 'join-speak').click();
  await page.getByTestId('join-submit').click();
  await page
    .locator('[data-testid="connection-state"][data-state="connected"]')
    .waitFor({ timeout: 30_000 });
}

/** Waits until the page shows at least `count` final captions. */
export async function waitForFinals(page, count, timeoutMs) {
  await page.waitForFunction(
    (count) =>
      document.querySelectorAll('[data-testid="caption-line"][data-final="true"]').length >= count,
    count,
    { timeout: timeoutMs, polling: 250 },
  );
}

/**
 * Theme (the system's, as the app follows it by default), window size and interface language,
 * chosen with the language switch: in the header on the join screen, in Display in the room.
 */
export async function setLook(page, { theme, size, language }) {
  await page.emulateMedia({ colorScheme: theme });
  await page.setViewportSize(SIZES[size]);
  const inRoom = await page.getByTestId('display-menu').isVisible();
  if (inRoom) await page.getByTestId('display-menu').click();
  await page.getByTestId('ui-language').selectOption(language);
  if (inRoom) {
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="display-menu"][aria-expanded="false"]').waitFor();
  }
  await settled(page);
}

/** Waits until no CSS transition runs (colours fade, e.g. between themes or into focus). */
export function settled(page) {
  return page.waitForFunction(
    () =>
      !document
        .getAnimations()
        .some((a) => a instanceof CSSTransition && a.playState === 'running'),
    null,
    { polling: 'raf' },
  );
}

/** Every combination of theme, size and interface language. */
export function looks() {
  const all = [];
  for (const theme of ['light', 'dark'])
    for (const size of Object.keys(SIZES))
      for (const language of ['en', 'ko']) all.push({ theme, size, language });
  return all;
}
