// Failed sign-ins through the screen: after ATTEMPTS wrong passwords even the
// right one is held back, and the screen says so.
// Usage: node rate-limit.mjs URL USER PASSWORD ATTEMPTS
import { run } from './lib.mjs';

const [url, user, password, attempts] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await browser.newPage();
  await page.goto(url);
  const tryWith = async (pw) => {
    await page.fill('input[name=user]', user);
    await page.fill('input[name=password]', pw);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/session') && r.request().method() === 'POST');
    await page.click('button[type=submit]');
    return (await answer).status();
  };
  for (let i = 0; i < Number(attempts); ++i) {
    const status = await tryWith(`${password}-wrong-${i}`);
    if (status !== 401) failures.push(`wrong password ${i + 1} answered ${status}`);
  }
  const status = await tryWith(password);
  if (status !== 429) failures.push(`the right password after ${attempts} wrong ones answered ${status}`);
  const alert = await page.locator('[role=alert]').textContent();
  if (!/Zu viele Versuche|Too many/.test(alert)) failures.push(`the screen said "${alert}"`);
  if (await page.$('nav')) failures.push('the console opened');
});
