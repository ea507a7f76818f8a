// Caption languages in real Chromium, one scenario per run (SCENARIO):
//
// limits: against a server that cannot translate into every offered language. The join screen
//   and the room must list every language, disable those the server cannot produce, and say
//   why next to the select (linked with aria-describedby). Reports what each select offers,
//   the help text, its accessible description, and form controls without an accessible name.
// history: a speaker's fake microphone plays FAKE_MIC_WAV once while the speaker reads the
//   originals; then the speaker switches the caption language to each of SWITCH_TO in turn.
//   Earlier captions must get translations into the new language (the server re-sends them),
//   with the badge naming that language and the machine-translation mark; none in the
//   previous language may stay on screen meanwhile. Reports what the page showed at each step.
// Prints one JSON line on stdout.
//
// Environment: SCENARIO, BASE_URL (required); FAKE_MIC_WAV (history), ROOM, SWITCH_TO (history,
// comma-separated; default de,fr), TIMEOUT_S, CHROMIUM (optional).

import path from 'node:path';
import { joinRoom, launchWithMicrophone, openApp, report } from './browsers.mjs';

const env = (name) => process.env[name] || fail(`environment variable ${name} is required`);
const SCENARIO = env('SCENARIO');
const BASE_URL = env('BASE_URL');
const ROOM = process.env.ROOM || `languages-${Date.now()}`;
const TIMEOUT_MS = Number(process.env.TIMEOUT_S || 90) * 1000;
/** Once the captions look complete, they must stay unchanged this long. */
const SETTLE_MS = 2500;
const SCENARIOS = { limits, history };
if (!(SCENARIO in SCENARIOS)) fail(`unknown SCENARIO ${SCENARIO}`);

function fail(message) {
  console.error(`languages e2e: ${message}`);
  process.exit(2);
}

function log(message) {
  console.error(`[languages ${new Date().toISOString().slice(11, 23)}] ${message}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Lets the app render what the last action changed (it renders on the next frame). */
function rendered(page) {
  return page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
}

/** A caption-language select: its options, and the text its aria-describedby points to. */
function describeSelect(page, testId) {
  return page.evaluate((testId) => {
    const select = document.querySelector(`[data-testid="${testId}"]`);
    const ids = (select.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
    return {
      options: [...select.options].map((o) => ({
        value: o.value,
        label: o.text.trim(),
        disabled: o.disabled,
      })),
      description: ids
        .map((id) => document.getElementById(id)?.textContent.replace(/\s+/g, ' ').trim() ?? '')
        .join(' '),
    };
  }, testId);
}

/** Visible form controls without an accessible name (label, aria-label or aria-labelledby). */
function unlabeledControls(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => el.checkVisibility() && el.type !== 'hidden')
      .filter(
        (el) =>
          !(el.labels?.length > 0) &&
          !el.getAttribute('aria-label') &&
          !el.getAttribute('aria-labelledby') &&
          !(el.tagName === 'BUTTON' && el.textContent.trim()),
      )
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

async function limits(page) {
  await page
    .locator('[data-testid="join-caption-language"] option:not([value=""])')
    .first()
    .waitFor({ state: 'attached' });
  const joinScreen = {
    ...(await describeSelect(page, 'join-caption-language')),
    reason: (await page.getByTestId('translation-unavailable-reason').textContent()).trim(),
    reason_visible: await page.getByTestId('translation-unavailable-reason').isVisible(),
    unlabeled: await unlabeledControls(page),
  };
  log(`join screen offers ${joinScreen.options.length} caption languages`);

  await joinRoom(page, { name: 'Reader', language: 'auto', listenOnly: true });
  const why = page.getByTestId('caption-language-why');
  await why.click();
  await rendered(page);
  const room = {
    ...(await describeSelect(page, 'caption-language')),
    reason: (await page.getByTestId('caption-language-reason').textContent()).trim(),
    reason_visible: await page.getByTestId('caption-language-reason').isVisible(),
    why_expanded: await why.getAttribute('aria-expanded'),
    unlabeled: await unlabeledControls(page),
  };
  return { join: joinScreen, room };
}

/** Final caption lines as shown: original, translation, and the badges next to them. */
function lines(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="caption-line"]')].map((line) => {
      const find = (id) => line.querySelector(`[data-testid="${id}"]`);
      const translationBadge = find('caption-translation-language');
      return {
        final: line.getAttribute('data-final') === 'true',
        original: find('caption-original')?.textContent.trim() ?? null,
        translation: find('caption-translation')?.textContent.trim() ?? null,
        translation_final: find('caption-translation')?.getAttribute('data-final') === 'true',
        badge: find('caption-line-language').getAttribute('data-language'),
        badge_marked:
          find('caption-line-language')
            .querySelector('[data-testid="machine-translation"]')
            ?.getAttribute('aria-label') ?? null,
        translation_badge: translationBadge?.getAttribute('data-language') ?? null,
        translation_marked:
          translationBadge
            ?.querySelector('[data-testid="machine-translation"]')
            ?.getAttribute('aria-label') ?? null,
      };
    }),
  );
}

/** Polls `lines` until `done` holds and the page has not changed for SETTLE_MS. */
async function settle(page, done, what) {
  const deadline = Date.now() + TIMEOUT_MS;
  let last = '';
  let stableSince = Date.now();
  for (;;) {
    const seen = await lines(page);
    const key = JSON.stringify(seen);
    if (key !== last) {
      last = key;
      stableSince = Date.now();
    }
    if (done(seen) && Date.now() - stableSince >= SETTLE_MS) return { lines: seen };
    if (Date.now() > deadline) {
      log(`timed out waiting for ${what}`);
      return { lines: seen, timed_out: true };
    }
    await sleep(250);
  }
}

async function history(page) {
  await page
    .locator('[data-testid="join-language"] option[value="en"]')
    .waitFor({ state: 'attached' });
  await joinRoom(page, { name: 'Ada', language: 'en', listenOnly: false });
  log('speaker joined; waiting for the final captions');
  const spoken = await settle(
    page,
    (seen) => seen.length > 0 && seen.every((line) => line.final),
    'final captions',
  );
  const result = { spoken, switched: [] };
  const captions = spoken.lines.length;
  for (const language of (process.env.SWITCH_TO || 'de,fr').split(',')) {
    log(`switching the caption language to ${language}`);
    await page.getByTestId('caption-language').selectOption(language);
    await rendered(page);
    // Right after the switch: nothing in the previous language may remain.
    const atOnce = await lines(page);
    const both = await settle(
      page,
      (seen) =>
        seen.length >= captions && seen.every((line) => line.translation && line.translation_final),
      `translations into ${language}`,
    );
    await page.getByTestId('display-menu').click();
    await page.getByTestId('view-translation').click();
    await rendered(page);
    const translationOnly = await lines(page);
    await page.getByTestId('view-both').click();
    await page.getByTestId('display-menu').click();
    result.switched.push({ language, at_once: atOnce, both, translation_only: translationOnly });
    if (both.timed_out) break;
  }
  return result;
}

const consoleErrors = [];
let browser;
let result;
try {
  const wav = SCENARIO === 'history' ? `${path.resolve(env('FAKE_MIC_WAV'))}%noloop` : null;
  browser = await launchWithMicrophone(wav);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await openApp(
    context,
    `${BASE_URL}/?room=${encodeURIComponent(ROOM)}`,
    SCENARIO,
    consoleErrors,
  );
  result = { ...(await SCENARIOS[SCENARIO](page)), console_errors: consoleErrors };
} catch (error) {
  result = { error: String(error?.stack ?? error), console_errors: consoleErrors };
} finally {
  await browser?.close().catch(() => undefined);
}

report('languages e2e', result);
