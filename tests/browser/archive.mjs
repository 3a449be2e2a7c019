// Signs in, checks that another user's account is not in the folder column,
// and archives the first mail of the inbox with the toolbar's button.
// Usage: node archive.mjs URL USER PASSWORD HIDDEN_ACCOUNT
import { run, signedIn } from './lib.mjs';

const [url, user, password, hidden] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.waitForSelector('li[data-account]');
  if (await page.$(`li[data-account="${hidden}"]`)) failures.push(`${user} sees the account ${hidden}`);
  await page.click('tr[data-message]');
  await page.click('button[data-action=archive]');
  await page.waitForSelector('tr[data-message]', { state: 'detached', timeout: 10000 });
});
