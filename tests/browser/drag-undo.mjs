// Drags a mail of one account onto another in the folder column, then
// clicks Undo in the notice: the Python side checks that it is back.
// Usage: node drag-undo.mjs URL USER PASSWORD FROM_ACCOUNT TO_ACCOUNT SUBJECT
import { run, signedIn } from './lib.mjs';

const [url, user, password, from, to, subject] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.click(`li[data-account="${from}"] button`);
  const row = page.locator('tr[data-message]', { hasText: subject });
  await row.dragTo(page.locator(`li[data-account="${to}"]`));
  const notice = page.locator('.notice');
  await notice.waitFor({ timeout: 10000 });
  await row.waitFor({ state: 'detached', timeout: 10000 }).catch(() => failures.push('the mail stayed in the list'));
  await notice.getByRole('button', { name: /Rückgängig|Undo/ }).click();
  await notice.waitFor({ state: 'detached', timeout: 10000 });
  await row.waitFor({ timeout: 10000 }).catch(() => failures.push('the mail did not come back to the list'));
});
