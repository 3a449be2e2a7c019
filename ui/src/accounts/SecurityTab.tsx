import { useCallback, useEffect, useState } from 'react';
import { invoke } from '../api';
import { Dict } from '../i18n';
import { download, fileBase64, when } from '../types';
import { TableHead } from '../TableHead';

interface Certificate {
  id: string;
  store: string;
  subject: string;
  issuer: string;
  not_after_ms?: number;
  not_after?: string;
  expired?: boolean;
  private_key?: boolean;
  fingerprint_sha256: string;
  extended_key_usage?: string[];
  key_usage?: string[];
  email?: string;
}

interface Selection {
  signing: { id: string } | null;
  encryption: { id: string } | null;
  always_sign: boolean;
  always_encrypt: boolean;
  cipher: string;
}

/** Sicherheit: the certificates issued to the sender e-mail, from every store; import, show, export, delete, select. */
export function SecurityTab({ t, account, email }: { t: Dict; account?: string; email?: string | null }) {
  const [items, setItems] = useState<Certificate[]>([]);
  const [book, setBook] = useState<Certificate[]>([]);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [shown, setShown] = useState<any>(null);
  const [file, setFile] = useState<File | null>(null);
  const [password, setPassword] = useState('');
  const [store, setStore] = useState('personal');
  const [message, setMessage] = useState('');
  const reload = useCallback(() => {
    if (!email) return;
    invoke<{ items: Certificate[] }>('mail.certificate.list', { store: 'all', email })
      .then((r) => setItems(r.items.filter((c) => c.store !== 'system')))
      .catch((e) => setMessage(e.message));
    if (account) {
      invoke<{ items: Certificate[] }>('mail.certificate.list', { store: 'address_book', account })
        .then((r) => setBook(r.items))
        .catch(() => setBook([]));
      invoke<Selection>('mail.certificate.select', { account }).then(setSelection).catch(() => setSelection(null));
    }
  }, [account, email]);
  useEffect(reload, [reload]);
  if (!email) return <div role="tabpanel">{t.needsSenderEmail}</div>;
  const validUntil = (c: Certificate) => when(c.not_after_ms ?? (c.not_after ? Date.parse(c.not_after) : null));
  const storeName = (s: string) => (s === 'personal' ? t.personalStore : s === 'plugin' ? t.pluginStore : s);
  const run = async (what: () => Promise<unknown>) => {
    setMessage('');
    try {
      await what();
      reload();
    } catch (e) {
      setMessage(t.error + ': ' + (e as Error).message);
    }
  };
  const importFile = () =>
    run(async () => {
      if (!file) return;
      const r = await invoke<{ subject: string }>('mail.certificate.import', {
        data_base64: await fileBase64(file),
        ...(password ? { password } : {}),
        store,
      });
      setMessage(t.imported(r.subject));
    });
  const select = (params: object) =>
    run(async () => setSelection(await invoke<Selection>('mail.certificate.select', { account, ...params })));
  return (
    <div role="tabpanel" className="form">
      <table aria-label={t.certificates}>
        <TableHead columns={[t.subjectName, t.issuer, t.validUntil, t.store, t.privateKey]} actions={t.edit} />
        <tbody>
          {items.map((c) => (
            <tr key={c.id} data-certificate={c.fingerprint_sha256}>
              <td>
                {c.subject}
                {selection?.signing?.id === c.id && <strong> ({t.forSigning})</strong>}
                {selection?.encryption?.id === c.id && <strong> ({t.forEncryption})</strong>}
              </td>
              <td>{c.issuer}</td>
              <td className={c.expired ? 'error' : ''}>{validUntil(c)}</td>
              <td>{storeName(c.store)}</td>
              <td>{c.private_key ? '✓' : ''}</td>
              <td>
                <button type="button" onClick={() => run(async () => setShown(await invoke('mail.certificate.show', { id: c.id })))}>
                  {t.show}
                </button>
                <button
                  type="button"
                  onClick={() =>
                    run(async () => {
                      const r = await invoke<{ pem: string }>('mail.certificate.export', { id: c.id, format: 'pem' });
                      download(`${c.fingerprint_sha256.slice(0, 16)}.pem`, 'application/x-pem-file', { text: r.pem });
                    })
                  }
                >
                  {t.export}
                </button>
                <button
                  type="button"
                  onClick={() => window.confirm(t.deleteCertificate(c.subject)) && run(() => invoke('mail.certificate.delete', { id: c.id }))}
                >
                  {t.delete}
                </button>
                {account && c.private_key && (
                  <button type="button" onClick={() => select({ signing: c.id })}>
                    {t.useForSigning}
                  </button>
                )}
                {account && (
                  <button type="button" onClick={() => select({ encryption: c.id })}>
                    {t.useForEncryption}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && <p>{t.noCertificates(email)}</p>}
      {account && selection && (
        <fieldset>
          <legend>{t.selection}</legend>
          <label className="check">
            <input type="checkbox" name="always_sign" checked={selection.always_sign} onChange={(e) => select({ always_sign: e.target.checked })} />
            {t.alwaysSign}
          </label>
          <label className="check">
            <input type="checkbox" name="always_encrypt" checked={selection.always_encrypt} onChange={(e) => select({ always_encrypt: e.target.checked })} />
            {t.alwaysEncrypt}
          </label>
          <label>
            {t.cipher}
            <select name="cipher" value={selection.cipher} onChange={(e) => select({ cipher: e.target.value })}>
              <option value="cbc">AES-256-CBC (EnvelopedData)</option>
              <option value="gcm">AES-256-GCM (AuthEnvelopedData)</option>
            </select>
          </label>
        </fieldset>
      )}
      <fieldset>
        <legend>{t.import}</legend>
        <label>
          {t.certificateFile}
          <input type="file" name="certificate" accept=".cer,.crt,.pem,.der,.p12,.pfx" onChange={(e) => setFile(e.target.files?.[0] || null)} />
        </label>
        <label>
          {t.p12Password}
          <input type="password" name="p12_password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label>
          {t.store}
          <select name="store" value={store} onChange={(e) => setStore(e.target.value)}>
            <option value="personal">{t.personalStore}</option>
            <option value="plugin">{t.pluginStore}</option>
          </select>
        </label>
        <button type="button" disabled={!file} onClick={importFile}>
          {t.import}
        </button>
      </fieldset>
      {message && <p role="status">{message}</p>}
      {shown && (
        <div className="shown">
          <pre>{JSON.stringify(shown, null, 2)}</pre>
          <button type="button" onClick={() => setShown(null)}>
            {t.close}
          </button>
        </div>
      )}
      {book.length > 0 && (
        <>
          <h3>{t.addressBook}</h3>
          <ul>
            {book.map((c) => (
              <li key={c.fingerprint_sha256}>
                {c.email}: {c.subject} ({t.validUntil} {validUntil(c)})
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
