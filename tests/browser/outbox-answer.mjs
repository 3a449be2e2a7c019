// The Outbox screen shows a refused mail's state and the server's own answer.
// Usage: node outbox-answer.mjs URL USER PASSWORD SUBJECT ANSWER_PATTERN
import { run, signedIn } from './lib.mjs';

const [url, user, password, subject, pattern] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.click('nav button >> nth=1');
  const row = page.locator('tr[data-outbox]', { hasText: subject });
  await row.waitFor({ timeout: 20000 });
  const cells = await row.locator('td').allTextContents();
  if (cells[1] !== 'failed') failures.push(`state ${cells[1]}`);
  if (!new RegExp(pattern).test(cells[3])) failures.push(`answer "${cells[3]}" does not match ${pattern}`);
  if (!(await row.getByRole('button', { name: /Erneut senden|Retry/ }).count())) failures.push('no retry button');
});
