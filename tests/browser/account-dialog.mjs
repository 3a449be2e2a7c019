// Creates an account through the account dialog: General, then Server with
// the port defaults of each incoming type, the test bed's CA file, SMTP with
// STARTTLS; "Test connection" saves it and shows each step; the IMAP folder
// is then picked from the server's folders. The Python side checks what was stored.
// Usage: node account-dialog.mjs URL USER PASSWORD SPEC_JSON SCREENSHOT_DIR
import { axe, run, signedIn } from './lib.mjs';

const [url, user, password, specJson, shots] = process.argv.slice(2);
const spec = JSON.parse(specJson);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.click('nav button >> nth=4'); // E-Mail Konten
  await page.click('main > button'); // Hinzufügen
  const dialog = page.locator('[role=dialog]');
  await dialog.locator('input[name=label]').fill(spec.label);
  await dialog.locator('input[name=sender_name]').fill(spec.sender_name);
  await dialog.locator('input[name=sender_email]').fill(spec.sender_email);
  await dialog.locator('input[name=empty_trash_after_days]').fill('30');
  await page.waitForFunction(() => /30/.test(document.querySelector('.hint')?.textContent || ''), null, { timeout: 10000 });
  await dialog.locator('[role=tab] >> nth=1').click();
  for (const [protocol, port] of [['pop3', '110'], ['pop3s', '995'], ['imap', '143'], ['imaps', '993']]) {
    await dialog.locator('select[name=protocol]').selectOption(protocol);
    const shown = await dialog.locator('input[name=incoming_port]').inputValue();
    if (shown !== port) failures.push(`${protocol}: default port ${shown}, expected ${port}`);
  }
  await dialog.locator('input[name=incoming_host]').fill('localhost');
  await dialog.locator('input[name=incoming_port]').fill(String(spec.imaps_port));
  await dialog.locator('input[name=incoming_user]').fill(spec.user);
  await dialog.locator('input[name=incoming_password]').fill(spec.password);
  await dialog.locator('select[name=leave_mode]').selectOption('forever');
  await dialog.locator('input[name=ca_file]').setInputFiles(spec.ca_file);
  await dialog.locator('input[name=smtp_host]').fill('localhost');
  await dialog.locator('select[name=smtp_security]').selectOption('tls');
  if ((await dialog.locator('input[name=smtp_port]').inputValue()) !== '465') failures.push('SSL/TLS did not suggest port 465');
  await dialog.locator('select[name=smtp_security]').selectOption('starttls');
  await dialog.locator('input[name=smtp_port]').fill(String(spec.submission_port));
  await dialog.getByRole('button', { name: /Verbindung testen|Test connection/ }).click();
  const tested = dialog.locator('.tested');
  await tested.waitFor({ timeout: 60000 });
  if ((await tested.getAttribute('data-ok')) !== 'true') failures.push(`connection test: ${await tested.textContent()}`);
  for (const step of ['greeting', 'login', 'select', 'mail_from'])
    if (!(await dialog.locator(`li[data-step=${step}].ok`).count())) failures.push(`step ${step} not shown as passed`);
  await axe(page, 'account dialog, server tab', failures);
  await page.screenshot({ path: `${shots}/account-dialog-tested.png`, fullPage: true });
  await dialog.getByRole('button', { name: /Ordner vom Server laden|Load folders/ }).click();
  await dialog.locator('select[name=folder] option[value=INBOX]').waitFor({ state: 'attached', timeout: 20000 });
  const folders = await dialog.locator('select[name=folder] option').allTextContents();
  if (!folders.some((f) => f.includes(spec.folder))) failures.push(`folders offered: ${folders.join(', ')}`);
  await dialog.locator('select[name=folder]').selectOption(spec.folder);
  await dialog.getByRole('button', { name: /^(Speichern|Save)$/ }).click();
  await page.waitForFunction(() => /Gespeichert|Saved/.test(document.querySelector('.dialog .buttons [role=status]')?.textContent || ''), null, { timeout: 10000 });
  await dialog.locator('[role=tab] >> nth=3').click();
  await dialog.getByRole('button', { name: /Neuer Textbaustein|New text block/ }).click();
  await dialog.locator('input[name=block_name]').fill('Gruss');
  await dialog.locator('textarea[name=block_text]').fill('Hallo {{ customer.nmae }}');
  const alert = dialog.locator('[role=alert][data-field=text]');
  await alert.waitFor({ timeout: 10000 });
  if (!/line 1, column 7/.test(await alert.textContent())) failures.push(`check while typing: ${await alert.textContent()}`);
  await dialog.locator('textarea[name=block_text]').fill('Freundliche Grüsse\n');
  await dialog.locator('select[name=variable]').selectOption('user.name');
  await alert.waitFor({ state: 'detached', timeout: 10000 });
  const text = await dialog.locator('textarea[name=block_text]').inputValue();
  if (!text.includes('{{ user.name }}')) failures.push(`insert variable gave: ${text}`);
  await dialog.getByRole('button', { name: /^(Speichern|Save)$/ }).first().click();
  await dialog.locator('.blocks button', { hasText: 'Gruss' }).waitFor({ timeout: 10000 });
  await axe(page, 'account dialog, text blocks tab', failures);
  for (const i of [0, 2]) {
    await dialog.locator(`[role=tab] >> nth=${i}`).click();
    await page.waitForTimeout(300);
    await axe(page, `account dialog, tab ${i}`, failures);
    await page.screenshot({ path: `${shots}/account-dialog-tab-${i}.png` });
  }
});
