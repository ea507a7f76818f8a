// Accessibility in real Chromium: axe-core and the checks axe leaves out, on the join screen and
// in a room with live captions, in both themes, at desktop and phone size, in English and Korean.
//
// A speaker's fake microphone plays FAKE_MIC_WAV; a listen-only reader (its own browser
// context), opened from an invite link whose room name is invalid, fixes it, joins and waits
// for captions. For every look (theme × size × language) it reports, per screen:
// - axe violations of impact serious or critical (names, roles, contrast, ...);
// - selects whose chosen option is cut off, and text that overflows the window;
// - at phone size, controls smaller than 44×44 px;
// - a page not in the chosen language.
// Then: the Join button's focus ring (width, contrast), a toast over the Leave button, a reload
// in the room (it must rejoin the same room), and the screen after leaving.
// Prints one JSON line on stdout.
//
// Environment: BASE_URL, FAKE_MIC_WAV (required); ROOM, TIMEOUT_S, CHROMIUM (optional).

import { createRequire } from 'node:module';
import {
  SIZES,
  joinRoom,
  launchWithMicrophone,
  looks,
  openApp,
  report,
  setLook,
  settled,
  waitForFinals,
} from './browsers.mjs';

const env = (name) => process.env[name] || fail(`environment variable ${name} is required`);
const BASE_URL = env('BASE_URL');
const FAKE_MIC_WAV = env('FAKE_MIC_WAV');
const ROOM = process.env.ROOM || `a11y-${Date.now()}`;
const TIMEOUT_MS = Number(process.env.TIMEOUT_S || 90) * 1000;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const MIN_TARGET_PX = 44;
const BROKEN_ROOM = 'Team Meeting #1';

function fail(message) {
  console.error(`accessibility e2e: ${message}`);
  process.exit(2);
}

function log(message) {
  console.error(`[a11y ${new Date().toISOString().slice(11, 23)}] ${message}`);
}

/** Serious and critical axe violations: rule, impact and the elements concerned. */
async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const { violations } = await window.axe.run(document, { resultTypes: ['violations'] });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        rule: v.id,
        impact: v.impact,
        nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`).slice(0, 5),
      }));
  });
}

/** Layout problems axe does not see: cut-off selects, overflow, small touch targets. */
function layoutProblems(page, checkTargets) {
  return page.evaluate(
    ({ checkTargets, minTarget }) => {
      const visible = (el) => el.checkVisibility() && el.getBoundingClientRect().width > 0;
      const describe = (el) =>
        el.getAttribute('data-testid') ||
        el.getAttribute('aria-label') ||
        el.textContent.trim().slice(0, 30) ||
        el.tagName;
      const canvas = document.createElement('canvas').getContext('2d');
      const clipped = [...document.querySelectorAll('select')].filter(visible).flatMap((select) => {
        const style = getComputedStyle(select);
        canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const text = select.selectedOptions[0]?.text.trim() ?? '';
        const room =
          select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return canvas.measureText(text).width > room + 1 ? [`${describe(select)}: "${text}"`] : [];
      });
      const root = document.documentElement;
      const overflow = [...document.querySelectorAll('header, footer, main, form, aside')]
        .filter(visible)
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => `${el.tagName.toLowerCase()}: ${el.scrollWidth} > ${el.clientWidth}`);
      // One pixel of slack, as for the elements above: sub-pixel widths round up.
      if (root.scrollWidth > root.clientWidth + 1) overflow.push(`page: ${root.scrollWidth}`);
      const small = checkTargets
        ? [...document.querySelectorAll('button, select, input:not([type=checkbox]), summary')]
            .filter((el) => visible(el) && !el.closest('[role=menu], [role=dialog]'))
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([, box]) => box.width < minTarget - 0.5 || box.height < minTarget - 0.5)
            .map(
              ([el, box]) => `${describe(el)}: ${Math.round(box.width)}×${Math.round(box.height)}`,
            )
        : [];
      return { clipped, overflow, small };
    },
    { checkTargets, minTarget: MIN_TARGET_PX },
  );
}

/** Runs every check in every look; returns only the looks with a problem. */
async function checkEveryLook(page, screen) {
  const problems = [];
  for (const look of looks()) {
    await setLook(page, look);
    const lang = await page.evaluate(() => document.documentElement.lang);
    const found = {
      language: lang === look.language ? [] : [`the page is in "${lang}"`],
      violations: await axeViolations(page),
      ...(await layoutProblems(page, look.size === 'phone')),
    };
    log(`${screen} ${JSON.stringify(look)}: ${JSON.stringify(found)}`);
    if (Object.values(found).some((list) => list.length > 0)) problems.push({ ...look, ...found });
  }
  return problems;
}

/** The Join button's focus ring after keyboard focus: its width and contrast with the page. */
async function focusRing(page) {
  await page.getByTestId('join-name').focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  await page.getByTestId('join-submit').focus();
  await settled(page);
  return page.evaluate(() => {
    const button = document.querySelector('[data-testid="join-submit"]');
    const style = getComputedStyle(button);
    const canvas = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    const rgb = (color) => {
      canvas.clearRect(0, 0, 1, 1);
      canvas.fillStyle = color;
      canvas.fillRect(0, 0, 1, 1);
      return [...canvas.getImageData(0, 0, 1, 1).data.slice(0, 3)];
    };
    const luminance = (color) => {
      const [r, g, b] = rgb(color).map((v) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const panel = getComputedStyle(button.closest('form')).backgroundColor;
    const [a, b] = [luminance(style.outlineColor), luminance(panel)].sort((x, y) => y - x);
    return {
      focusVisible: button.matches(':focus-visible'),
      width: parseFloat(style.outlineWidth),
      contrast: Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100,
    };
  });
}

/** Whether a toast (after copying the invite link) covers the Leave button. */
async function toastOverLeave(page) {
  await page.getByTestId('copy-invite').click();
  const toast = page.getByTestId('toast').first();
  await toast.waitFor();
  const [a, b] = [await toast.boundingBox(), await page.getByTestId('leave').boundingBox()];
  await page.locator('[data-testid="toast"] button').last().click();
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

const consoleErrors = [];
const speakerBrowser = await launchWithMicrophone(FAKE_MIC_WAV);
const url = `${BASE_URL}/?room=${encodeURIComponent(ROOM)}`;
try {
  const speaker = await openApp(await speakerBrowser.newContext(), url, 'speaker', consoleErrors);
  const readerContext = await speakerBrowser.newContext({
    viewport: SIZES.desktop,
    locale: 'en-US',
  });
  // Opened from an invite link with an invalid room name, so its error and fix are checked too.
  const brokenLink = `${BASE_URL}/?room=${encodeURIComponent(BROKEN_ROOM)}`;
  const reader = await openApp(readerContext, brokenLink, 'reader', consoleErrors);

  const result = { join: await checkEveryLook(reader, 'join') };
  await setLook(reader, { theme: 'light', size: 'desktop', language: 'en' });
  result.broken_link = {
    room: await reader.getByTestId('join-room').inputValue(),
    error: (await reader.getByTestId('join-room-error').textContent()).replace(/\s+/g, ' ').trim(),
  };
  await reader.getByTestId('join-room').fill(ROOM);
  result.focus_ring = { light: await focusRing(reader) };
  await setLook(reader, { theme: 'dark', size: 'desktop', language: 'en' });
  result.focus_ring.dark = await focusRing(reader);
  await setLook(reader, { theme: 'light', size: 'desktop', language: 'en' });

  await joinRoom(reader, { name: 'Minji', listenOnly: true });
  await joinRoom(speaker, { name: 'Alice', listenOnly: false });
  log('both joined; waiting for captions');
  await waitForFinals(reader, 2, TIMEOUT_MS);

  result.room = await checkEveryLook(reader, 'room');
  result.toast_over_leave = {};
  for (const size of Object.keys(SIZES)) {
    await setLook(reader, { theme: 'light', size, language: 'en' });
    result.toast_over_leave[size] = await toastOverLeave(reader);
  }

  await reader.reload();
  await reader
    .locator('[data-testid="connection-state"][data-state="connected"]')
    .waitFor({ timeout: 30_000 });
  result.after_reload = {
    room: (await reader.getByTestId('room-name').textContent()).trim(),
    language: await reader.evaluate(() => document.documentElement.lang),
  };

  await reader.getByTestId('leave').click();
  await reader.getByTestId('left-screen').waitFor();
  result.left = {
    text: (await reader.getByTestId('left-screen').textContent()).replace(/\s+/g, ' ').trim(),
    download_enabled: await reader.getByTestId('transcript-menu').isEnabled(),
    violations: await axeViolations(reader),
  };
  result.console_errors = consoleErrors;
  report('accessibility e2e', result);
} finally {
  await speakerBrowser.close();
}
