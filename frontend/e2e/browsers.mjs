// What the browser scripts share: Chromium with a fake microphone, and how a run reports.

import { chromium } from 'playwright-core';
import chromiumFlags from '../chromium-flags.cjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const MEDIA_FLAGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** The system Chromium (Playwright never downloads one); `wav` becomes its microphone. */
export function launchWithMicrophone(wav) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...chromiumFlags.HEADLESS_FLAGS,
      ...MEDIA_FLAGS,
      ...(wav ? [`--use-file-for-fake-audio-capture=${wav}`] : []),
    ],
  });
}

/** Opens `url` in `context`, collecting the page's console errors into `errors`. */
export async function openApp(context, url, role, errors) {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${role}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${role}: ${error.message}`));
  await page.goto(url);
  return page;
}

/** Prints the result as the last line on stdout; exits 1 if it holds an error. */
export function report(name, result) {
  console.log(JSON.stringify(result));
  if (result.error) {
    console.error(`${name} FAILED: ${result.error}`);
    process.exit(1);
  }
}
