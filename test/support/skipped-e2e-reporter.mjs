/**
 * Repeats, under jest's summary, that the e2e project (browser tests) was left out because
 * Chromium is missing, so a green run on such a machine does not read as "everything passed".
 * jest.config.js adds this reporter only when it leaves the e2e project out.
 */
export default class SkippedE2eReporter {
  onRunComplete() {
    process.stderr.write(
      '\njest: the e2e project (browser tests, test/e2e/) was NOT run: Chromium is not installed ' +
        '(`apt-get install -y chromium`). CI (`CI=true`, .ci/run) always runs it.\n',
    );
  }
}
