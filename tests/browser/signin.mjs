// Signs in through the console's screen: a wrong password is refused with a
// message, the right one opens the main window. Checks each screen with axe
// and saves screenshots in both languages.
// Usage: node signin.mjs URL USER PASSWORD SCREENSHOT_DIR
import fs from 'node:fs';
import { axe, run } from './lib.mjs';

const [url, user, password, shots] = process.argv.slice(2);
fs.mkdirSync(shots, { recursive: true });
await run(async (browser, failures) => {
  for (const lang of ['de-CH', 'en']) {
    const context = await browser.newContext();
    await context.addInitScript((l) => localStorage.setItem('erpmail.lang', l), lang);
    const page = await context.newPage();
    await page.goto(url);
    await page.fill('input[name=user]', user);
    await page.fill('input[name=password]', password + '-wrong');
    await page.click('button[type=submit]');
    const alert = await page.waitForSelector('[role=alert]');
    const wrong = await alert.textContent();
    if (!/fehlgeschlagen|failed/i.test(wrong)) failures.push(`wrong password answered "${wrong}"`);
    if (await page.$('nav')) failures.push('a wrong password opened the console');
    await axe(page, `signin ${lang}`, failures);
    await page.screenshot({ path: `${shots}/signin-${lang}.png` });
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('nav');
    const screens = await page.$$eval('nav button', (bs) => bs.map((b) => b.textContent));
    for (let i = 0; i < screens.length; ++i) {
      await page.click(`nav button >> nth=${i}`);
      await page.waitForTimeout(300);
      await axe(page, `${screens[i]} ${lang}`, failures);
      await page.screenshot({ path: `${shots}/screen-${i}-${lang}.png`, fullPage: true });
    }
    await context.close();
  }
});
