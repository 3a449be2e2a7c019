// What every browser script shares: Playwright from ui/node_modules, Debian's
// Chromium started as it runs here (also as root), and the exit status.
import { createRequire } from 'node:module';
import path from 'node:path';

export const require = createRequire(path.resolve('ui/package.json'));
const { chromium } = require('playwright-core');

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Runs body(browser, failures), closes the browser, exits 1 with the failures if any. */
export async function run(body) {
  const browser = await launch();
  const failures = [];
  try {
    await body(browser, failures);
  } finally {
    await browser.close();
  }
  if (failures.length) {
    console.error(failures.join('\n'));
    process.exit(1);
  }
  console.log('ok');
}

/** A new page signed in through the sign-in screen. */
export async function signedIn(browser, url, user, password) {
  const page = await (await browser.newContext()).newPage(); // a context of its own, as axe-core needs
  await page.goto(url);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav');
  return page;
}

/** Adds a failure for each serious or critical axe-core violation on the page as it is now. */
export async function axe(page, name, failures) {
  const AxeBuilder = require('@axe-core/playwright').default;
  const r = await new AxeBuilder({ page }).analyze();
  for (const v of r.violations)
    if (v.impact === 'serious' || v.impact === 'critical')
      failures.push(`${name}: axe ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
