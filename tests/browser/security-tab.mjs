// The account dialog's Sicherheit tab: a PKCS#12 file with a wrong password
// is refused with a message and nothing listed; with the right one its
// certificate is listed with its private key, chosen for signing, and the
// account set to always sign. The Python side checks what was stored.
// Usage: node security-tab.mjs URL USER PASSWORD ACCOUNT P12_FILE P12_PASSWORD SCREENSHOT_DIR
import { axe, run, signedIn } from './lib.mjs';

const [url, user, password, account, p12, p12Password, shots] = process.argv.slice(2);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.click('nav button >> nth=4');
  await page.click(`tr[data-account="${account}"] button`);
  const dialog = page.locator('[role=dialog]');
  await dialog.locator('[role=tab] >> nth=2').click();
  await dialog.locator('input[name=certificate]').setInputFiles(p12);
  await dialog.locator('input[name=p12_password]').fill(`${p12Password}-falsch`);
  await dialog.getByRole('button', { name: /^(Importieren|Import)$/ }).click();
  const status = dialog.locator('[role=tabpanel] [role=status]');
  await status.waitFor({ timeout: 10000 });
  const refused = await status.textContent();
  if (!/Fehler|Error/.test(refused) || !/password|Passwort/i.test(refused)) failures.push(`wrong password: "${refused}"`);
  if (await dialog.locator('tr[data-certificate]').count()) failures.push('a certificate was listed after a wrong password');
  await dialog.locator('input[name=p12_password]').fill(p12Password);
  await dialog.getByRole('button', { name: /^(Importieren|Import)$/ }).click();
  const row = dialog.locator('tr[data-certificate]');
  await row.waitFor({ timeout: 10000 });
  const cells = await row.locator('td').allTextContents();
  if (cells[4] !== '✓') failures.push(`private key shown as "${cells[4]}"`);
  if (!/2\d\d\d/.test(cells[2])) failures.push(`valid until shown as "${cells[2]}"`);
  await row.getByRole('button', { name: /Zum Signieren wählen|Use for signing/ }).click();
  await row.locator('strong').waitFor({ timeout: 10000 });
  await dialog.locator('input[name=always_sign]').click(); // saved at once; checked once the server agreed
  await page.waitForFunction(() => document.querySelector('input[name=always_sign]')?.checked, null, { timeout: 10000 });
  await page.waitForTimeout(500);
  await axe(page, 'account dialog, security tab', failures);
  await page.screenshot({ path: `${shots}/account-dialog-security.png` });
});
