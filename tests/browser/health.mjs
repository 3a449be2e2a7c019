// The Health screen against live answers: the account's last fetch and the
// time its password was last accepted are shown, and the day's events list
// the mail that arrived.
// Usage: node health.mjs URL USER PASSWORD ACCOUNT SUBJECT
import { run, signedIn } from './lib.mjs';

const [url, user, password, account, subject] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.click('nav button >> nth=2');
  const row = page.locator(`tr[data-health="${account}"]`);
  await row.waitFor();
  await page.waitForFunction((id) => {
    const cells = document.querySelectorAll(`tr[data-health="${id}"] td`);
    return cells.length > 4 && cells[2].textContent !== '–' && cells[4].textContent !== '–';
  }, account, { timeout: 10000 }).catch(() => {});
  const cells = await row.locator('td').allTextContents();
  if (cells[1] !== '✓') failures.push(`online shown as "${cells[1]}"`);
  if (cells[2] === '–' || !/\d/.test(cells[2])) failures.push(`last fetch shown as "${cells[2]}"`);
  if (cells[4] === '–' || !/\d/.test(cells[4])) failures.push(`password last accepted shown as "${cells[4]}"`);
  const event = page.locator('tr[data-event="mail.received"]', { hasText: subject });
  await event.waitFor({ timeout: 10000 }).catch(() => failures.push(`no mail.received event for "${subject}"`));
});
