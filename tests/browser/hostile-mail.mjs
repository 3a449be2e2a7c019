// Opens a mail whose subject and HTML carry <script> and a remote <img>: the
// subject shows as text, no script runs (no dialog, no marker), and the page
// asks for nothing remote until "Externe Inhalte anzeigen" is clicked; then
// the image loads, and still no script or style sheet (the Python side's
// listener counts the requests that arrive).
// Usage: node hostile-mail.mjs URL USER PASSWORD SCREENSHOT_DIR REMOTE_ORIGIN
import { run } from './lib.mjs';

const [url, user, password, shots, remote] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await browser.newPage();
  const asked = [];
  // Answers received: a request the page's policies block never gets one.
  page.on('response', (r) => r.url().startsWith(remote) && asked.push(new URL(r.url()).pathname));
  page.on('dialog', (d) => {
    failures.push(`a script opened a dialog: ${d.message()}`);
    d.dismiss();
  });
  await page.goto(url);
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.click('tr[data-message]');
  const frame = await page.waitForSelector('.reader iframe');
  if ((await frame.getAttribute('sandbox')) !== '') failures.push('the HTML frame is not sandboxed');
  await page.waitForTimeout(1500);
  const heading = await page.textContent('.reader h2');
  if (!heading.includes('<script>')) failures.push(`the subject was not shown as text: ${heading}`);
  if (await page.evaluate(() => document.querySelectorAll('body script').length))
    failures.push('a script element reached the page');
  if (await page.evaluate(() => window.pwned)) failures.push('a script ran in the page');
  await page.screenshot({ path: `${shots}/hostile-mail.png` });
  if (asked.length) failures.push(`remote content asked for before the user did: ${asked}`);
  await page.click('.reader button:has-text("Externe Inhalte anzeigen"), .reader button:has-text("Show remote content")');
  await page.waitForResponse((r) => r.url() === `${remote}/img`, { timeout: 10000 }).catch(() => {});
  await page.waitForTimeout(500);
  if (asked.join() !== '/img') failures.push(`after the click, asked for: ${asked}`);
  if (await page.evaluate(() => window.pwned)) failures.push('a script ran after remote content was allowed');
});
