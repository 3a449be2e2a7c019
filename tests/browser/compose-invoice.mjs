// Writes a mail in the Compose dialog from a text block filled from an
// invoice, with the invoice attached, after looking at the preview.
// Usage: node compose-invoice.mjs URL USER PASSWORD SPEC_JSON
import { axe, run, signedIn } from './lib.mjs';

const [url, user, password, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
await run(async (browser, failures) => {
  const page = await signedIn(browser, url, user, password);
  await page.click('button[data-action=compose]');
  const dialog = page.locator('[role=dialog]');
  await dialog.locator('select[name=account]').selectOption(spec.account);
  await dialog.locator('input[name=to]').fill(spec.to);
  await dialog.locator(`select[name=textblock] option[value="${spec.textblock}"]`).waitFor({ state: 'attached' });
  await dialog.locator('select[name=textblock]').selectOption(spec.textblock);
  if ((await dialog.locator('input[name=doctype]').inputValue()) !== 'invoice') failures.push('the block did not suggest its document type');
  await dialog.locator('input[name=doc_id]').fill(spec.doc_id);
  await dialog.locator('input[name=attach_document]').check();
  await dialog.locator('textarea[name=text]').fill(spec.text);
  await dialog.getByRole('button', { name: /Vorschau|Preview/ }).click();
  const preview = dialog.locator('.preview');
  await preview.waitFor({ timeout: 10000 });
  const shown = await preview.textContent();
  for (const part of spec.preview_has) if (!shown.includes(part)) failures.push(`preview lacks "${part}": ${shown}`);
  await axe(page, 'compose', failures);
  await dialog.getByRole('button', { name: /^(Senden|Send)$/ }).click();
  await dialog.waitFor({ state: 'detached', timeout: 20000 });
  const notice = await page.locator('.notice').textContent();
  if (!/Postausgang|outbox/.test(notice)) failures.push(`after sending: ${notice}`);
});
