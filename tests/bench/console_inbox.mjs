// The console's inbox screen in headless Chromium: signed in already (the
// session cookie set in a fresh browser context, so nothing is cached), the
// time from the start of the navigation until the message table shows its
// rows. The page itself records the moment: performance.now() (milliseconds
// since the navigation started) in the first animation frame after the rows
// entered the table, the frame that paints them.
// Prints one JSON line: each run's time, the rows shown and the first subject.
// Usage (from the repository's root): node tests/bench/console_inbox.mjs URL USER PASSWORD RUNS
import { launch } from '../browser/lib.mjs';

const [url, user, password, runsText] = process.argv.slice(2);
const runs = Number(runsText);
const browser = await launch();
const result = { runs_ms: [], wall_ms: [], rows: [], first_subject: null };
try {
  for (let i = 0; i < runs; ++i) {
    const context = await browser.newContext();
    const signIn = await context.request.post(new URL('/api/session', url).href, { data: { user, password } });
    if (!signIn.ok()) throw new Error(`sign-in answered ${signIn.status()}: ${await signIn.text()}`);
    await context.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.querySelector('section.list tbody tr[data-message]')) {
          observer.disconnect();
          requestAnimationFrame(() => (window.__inboxReadyMs = performance.now()));
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(url);
    await page.waitForFunction(() => window.__inboxReadyMs !== undefined, null, { timeout: 60000 });
    result.wall_ms.push(performance.now() - started);
    result.runs_ms.push(await page.evaluate(() => window.__inboxReadyMs));
    result.rows.push(await page.locator('section.list tbody tr[data-message]').count());
    result.first_subject = await page.locator('section.list tbody tr[data-message] td').nth(1).textContent();
    if (await page.locator('form input[name=password]').count()) throw new Error('the page asked to sign in');
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
