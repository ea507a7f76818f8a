// A browser whose TURN server refuses its credentials, on a server that tells browsers to
// relay only: the page must say so within seconds, naming the cause, instead of waiting for
// the connect timeout. Prints one JSON line on stdout: how long it took and what it said.
//
// Environment: BASE_URL, ROOM (required); CHROMIUM (optional).

import { launchWithMicrophone, openApp, report } from './browsers.mjs';

const env = (name) => process.env[name] || fail(`environment variable ${name} is required`);
const BASE_URL = env('BASE_URL');
const ROOM = env('ROOM');

function fail(message) {
  console.error(`turn e2e: ${message}`);
  process.exit(2);
}

const consoleErrors = [];
const browser = await launchWithMicrophone(null);
let result;
try {
  const context = await browser.newContext();
  const page = await openApp(context, `${BASE_URL}/?room=${ROOM}`, 'speaker', consoleErrors);
  await page.getByTestId('join-name').fill('Ada');
  await page.getByTestId('join-speak').click();
  const clicked = Date.now();
  await page.getByTestId('join-submit').click();
  const banner = page.locator('[data-testid="connection-banner"]');
  await page
    .locator('[data-testid="connection-state"][data-state="failed"]')
    .waitFor({ timeout: 30_000 });
  result = {
    told_after_ms: Date.now() - clicked,
    banner: (await banner.textContent()).trim(),
    console_errors: consoleErrors,
  };
} catch (error) {
  result = { error: String(error?.stack ?? error), console_errors: consoleErrors };
} finally {
  await browser.close();
}
report('turn e2e', result);
