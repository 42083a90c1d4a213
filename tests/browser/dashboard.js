// Drives Debian's chromium headless through the admin dashboard: logs in with the token, opens
// every page, and reports per page its console errors, failed requests and whether the expected
// attacker (IP address and session id) shows. Screenshots go to OUT_DIR/NAME.png.
// Usage: node dashboard.js BASE_URL TOKEN IP SESSION_ID OUT_DIR
// Prints one JSON object; exit status 0 when every check passed, 1 otherwise.
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const [base, token, ip, sid, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node dashboard.js BASE_URL TOKEN IP SESSION_ID OUT_DIR');
  process.exit(2);
}

// Every page, and what each must show of the attacker the test created.
const pages = [
  { name: 'overview', path: '/', show: [ip, sid] },
  { name: 'attackers', path: '/attackers', show: [ip, sid] },
  { name: 'client', path: '/clients/' + sid, show: [ip, sid] },
  { name: 'detectors', path: '/detectors', show: [ip, sid] },
  { name: 'top', path: '/top', show: [ip, sid] },
];

function watch(page, sink) {
  page.on('console', (m) => { if (m.type() === 'error') sink.push('console: ' + m.text()); });
  page.on('pageerror', (e) => sink.push('page error: ' + e.message));
  page.on('requestfailed', (r) => sink.push('request failed: ' + r.url() + ' (' +
                                            ((r.failure() && r.failure().errorText) || '?') + ')'));
  page.on('response', (r) => { if (r.status() >= 400) sink.push(r.status() + ': ' + r.url()); });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const result = { login: {}, pages: [], ok: true };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    let errors = [];
    watch(page, errors);

    // Without the token, a page sends the browser to the login form.
    await page.goto(base + '/attackers');
    result.login.redirected = new URL(page.url()).pathname === '/login';
    result.login.hides_attacker = !(await page.content()).includes(ip);
    await page.screenshot({ path: path.join(outDir, 'login.png'), fullPage: true });
    await page.fill('#token', token);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    // Each page settles (its icon and stylesheet loaded) before the next navigation, which
    // would otherwise abort them and report the abort against the next page.
    await page.waitForLoadState('networkidle');
    result.login.landed = new URL(page.url()).pathname === '/';
    result.login.errors = errors;
    result.ok = result.login.redirected && result.login.hides_attacker && result.login.landed &&
                errors.length === 0;

    for (const p of pages) {
      errors = [];
      page.removeAllListeners('console');
      page.removeAllListeners('pageerror');
      page.removeAllListeners('requestfailed');
      page.removeAllListeners('response');
      watch(page, errors);
      const response = await page.goto(base + p.path, { waitUntil: 'networkidle' });
      const text = await page.content();
      const missing = p.show.filter((s) => !text.includes(s));
      await page.screenshot({ path: path.join(outDir, p.name + '.png'), fullPage: true });
      const entry = { name: p.name, path: p.path, status: response.status(), errors, missing };
      entry.ok = entry.status === 200 && errors.length === 0 && missing.length === 0;
      result.ok = result.ok && entry.ok;
      result.pages.push(entry);
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.ok ? 0 : 1);
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.stack || e) }) + '\n');
  process.exit(1);
});
