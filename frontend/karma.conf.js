// Unit tests run in the system Chromium (CHROME_BIN), headless, without any network side traffic.
const { HEADLESS_FLAGS } = require('./chromium-flags.cjs');

module.exports = function (config) {
  config.set({
    basePath: '',
    frameworks: ['jasmine'],
    plugins: [
      require('karma-jasmine'),
      require('karma-chrome-launcher'),
      require('karma-coverage'),
    ],
    client: { jasmine: { random: true } },
    coverageReporter: {
      dir: require('path').join(__dirname, './coverage/captions'),
      subdir: '.',
      reporters: [{ type: 'text-summary' }, { type: 'html' }],
    },
    reporters: ['dots'],
    // The app's warnings (a lost connection, on purpose in many specs) would drown the dots.
    browserConsoleLogOptions: { level: 'error', terminal: true },
    customLaunchers: {
      ChromiumHeadlessCI: {
        base: 'ChromeHeadless',
        flags: HEADLESS_FLAGS,
      },
    },
    browsers: ['ChromiumHeadlessCI'],
    restartOnFileChange: true,
  });
};
