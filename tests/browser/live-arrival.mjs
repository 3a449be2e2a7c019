// Opens the inbox of an account, then has the server fetch it (through the
// API, as the background fetch would): the new mail appears without a reload,
// and opening it shows its text and the attached invoice.
// Usage: node live-arrival.mjs URL USER PASSWORD ACCOUNT SUBJECT TEXT ATTACHMENT
import { run, signedIn } from './lib.mjs';

const [url, user, password, account, subject, text, attachment] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.click(`li[data-account="${account}"] button`);
  const row = page.locator('tr[data-message]', { hasText: subject });
  if (await row.count()) failures.push('the mail was there before the fetch');
  const fetched = await page.evaluate(async (id) => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch('/api/invoke/mail.fetch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
      body: JSON.stringify({ account: id }),
    });
    return r.json();
  }, account);
  if (!fetched.fetched) failures.push(`fetch: ${JSON.stringify(fetched)}`);
  await row.waitFor({ timeout: 20000 });
  const count = page.locator(`li[data-account="${account}"] .count`);
  await count.waitFor({ timeout: 10000 }).catch(() => {});
  const shown = Number((await count.textContent().catch(() => '')) || 0);
  const listed = await page.locator('tr[data-message]').count();
  if (shown !== listed) failures.push(`the folder column counts ${shown} in the inbox, the list shows ${listed}`);
  await row.click();
  const reader = page.locator('section.reader');
  await reader.locator('pre.text').waitFor();
  const body = await reader.textContent();
  if (!body.includes(text)) failures.push(`reader lacks "${text}": ${body}`);
  if (!body.includes(attachment)) failures.push(`reader lacks the attachment ${attachment}: ${body}`);
});
