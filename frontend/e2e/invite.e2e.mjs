// Invite links in a real Chromium against a server that requires join tokens.
//
// Opens the room without a token (the join screen must say an invite link is needed), with an
// expired invite link (it must say so), and with a valid one (it must join and connect, and
// keep the token in the page's address). Prints one JSON line on stdout.
//
// Environment: BASE_URL, ROOM, INVITE_URL, EXPIRED_URL (required); CHROMIUM (optional).

import { launchChromium } from './browsers.mjs';

const env = (name) => process.env[name] || fail(`environment variable ${name} is required`);
const BASE_URL = env('BASE_URL');
const ROOM = env('ROOM');
const INVITE_URL = env('INVITE_URL');
const EXPIRED_URL = env('EXPIRED_URL');

function fail(message) {
  console.error(`invite e2e: ${message}`);
  process.exit(2);
}

/** The join screen's access notice for `url`, once the server's config has arrived. */
async function accessNotice(browser, url) {
  const page = await browser.newPage();
  await page.goto(url);
  const notice = page.getByTestId('join-access');
  await notice.waitFor({ timeout: 10_000 });
  const text = (await notice.textContent()).trim();
  await page.close();
  return text;
}

const browser = await launchChromium(['--use-fake-ui-for-media-stream']);
try {
  const withoutToken = await accessNotice(browser, `${BASE_URL}/?room=${ROOM}`);
  const expired = await accessNotice(browser, EXPIRED_URL);

  const page = await browser.newPage();
  await page.goto(INVITE_URL);
  await page.getByTestId('join-name').fill('Guest');
  await page.getByTestId('join-listen-only').click();
  await page.getByTestId('join-submit').click();
  await page
    .locator('[data-testid="connection-state"][data-state="connected"]')
    .waitFor({ timeout: 20_000 });
  console.log(JSON.stringify({ withoutToken, expired, joinedAddress: page.url() }));
} finally {
  await browser.close();
}
