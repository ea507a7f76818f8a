// Headless Chromium as root, with no background traffic to hosts this machine cannot reach.
// Shared by the unit tests (karma.conf.js) and the end-to-end check (e2e/captions.e2e.mjs).
module.exports = {
  HEADLESS_FLAGS: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
