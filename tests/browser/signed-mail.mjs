// The reader shows a signed mail's verdict and its signer.
// Usage: node signed-mail.mjs URL USER PASSWORD ACCOUNT SUBJECT VERDICT SIGNER
import { run, signedIn } from './lib.mjs';

const [url, user, password, account, subject, verdict, signer] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.click(`li[data-account="${account}"] button`);
  await page.locator('tr[data-message]', { hasText: subject }).click();
  const line = page.locator('.reader .security');
  await line.waitFor({ timeout: 10000 });
  if ((await line.getAttribute('data-security')) !== verdict) failures.push(`verdict ${await line.getAttribute('data-security')}`);
  const text = await line.textContent();
  if (!text.includes(signer)) failures.push(`the signer is not named: ${text}`);
});
