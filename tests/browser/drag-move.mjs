// Drags the first mail of the open account onto another account in the
// folder column, then checks that a request without the CSRF token is
// refused. The Python side checks where the mail ended up.
// Usage: node drag-move.mjs URL USER PASSWORD TO_ACCOUNT
import { run, signedIn } from './lib.mjs';

const [url, user, password, to] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.locator('tr[data-message]').first().dragTo(page.locator(`li[data-account="${to}"]`));
  const notice = await page.waitForSelector('[role=status]', { timeout: 10000 });
  if (!/1/.test(await notice.textContent())) failures.push(`move notice: ${await notice.textContent()}`);
  const status = await page.evaluate(async () =>
    (await fetch('/api/invoke/mail.account.list', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                     body: '{}' })).status);
  if (status !== 403) failures.push(`a request without the CSRF token answered ${status}`);
});
