import { useState } from 'react';
import { invoke } from '../api';
import { Dict } from '../i18n';
import { fileBase64 } from '../types';
import { AccountDraft, INCOMING_TYPES, Incoming, SMTP_PORTS, Smtp } from './draft';

interface Step {
  step: string;
  ok: boolean;
  ms?: number;
  server?: string;
  error?: string | { message?: string };
}
interface Tested {
  ok: boolean;
  incoming?: { steps: Step[]; error?: any };
  smtp?: { steps: Step[]; error?: any };
  error?: string;
}

function Steps({ t, title, side }: { t: Dict; title: string; side?: { steps: Step[]; error?: any } }) {
  if (!side) return null;
  return (
    <>
      <h4>{title}</h4>
      <ol className="steps">
        {side.steps.map((s, i) => (
          <li key={i} className={s.ok ? 'ok' : 'failed'} data-step={s.step}>
            {s.ok ? '✓' : '✗'} {s.step}
            {typeof s.ms === 'number' ? ` (${s.ms} ms)` : ''}
            {s.server ? ` – ${s.server}` : ''}
            {s.error ? ` – ${typeof s.error === 'string' ? s.error : s.error.message}` : ''}
          </li>
        ))}
      </ol>
      {side.error && !side.steps.some((s) => !s.ok) && (
        <p className="error">
          {t.error}: {typeof side.error === 'string' ? side.error : side.error.message}
        </p>
      )}
    </>
  );
}

/** Server: incoming type with default ports, the IMAP folder from the server, copies, SMTP, the connection test. */
export function ServerTab({
  t,
  a,
  set,
  test,
}: {
  t: Dict;
  a: AccountDraft;
  set: (a: AccountDraft) => void;
  test: () => Promise<Tested>;
}) {
  const [folders, setFolders] = useState<{ name: string; special_use?: string[] }[] | null>(null);
  const [tested, setTested] = useState<Tested | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const i: Incoming = a.incoming || { protocol: 'imaps', port: 993, leave_on_server: { mode: 'never' } };
  const s: Smtp = a.smtp || { port: 587, security: 'starttls', requires_password: true };
  const setIn = (v: Partial<Incoming>) => set({ ...a, incoming: { ...i, ...v } });
  const setSmtp = (v: Partial<Smtp>) => set({ ...a, smtp: { ...s, ...v } });
  const leave = i.leave_on_server || { mode: 'never' };
  const imap = i.protocol.startsWith('imap') || i.protocol === 'm365';
  const loadFolders = async () => {
    setError('');
    try {
      setFolders((await invoke<{ folders: { name: string; special_use?: string[] }[] }>('mail.imap.folders', { account: a.id })).folders);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const caFile = async (file?: File) => {
    if (!file) return;
    const pem = atob(await fileBase64(file));
    set({ ...a, incoming: { ...i, ca: pem }, smtp: { ...s, ca: pem } });
  };
  return (
    <div role="tabpanel" className="form">
      <fieldset>
        <legend>{t.incoming}</legend>
        <label>
          {t.incomingType}
          <select
            name="protocol"
            value={i.protocol}
            onChange={(e) => setIn({ protocol: e.target.value, port: INCOMING_TYPES.find((x) => x.protocol === e.target.value)?.port })}
          >
            {INCOMING_TYPES.map((x) => (
              <option key={x.protocol} value={x.protocol}>
                {x.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.host}
          <input name="incoming_host" value={i.host || ''} onChange={(e) => setIn({ host: e.target.value })} />
        </label>
        <label>
          {t.port}
          <input name="incoming_port" type="number" value={i.port ?? ''} onChange={(e) => setIn({ port: Number(e.target.value) || undefined })} />
        </label>
        <label>
          {t.user}
          <input name="incoming_user" autoComplete="off" value={i.user || ''} onChange={(e) => setIn({ user: e.target.value })} />
        </label>
        <label>
          {t.password}
          <input
            name="incoming_password"
            type="password"
            autoComplete="new-password"
            placeholder={i.password_set ? t.passwordKept : ''}
            value={i.password || ''}
            onChange={(e) => setIn({ password: e.target.value })}
          />
        </label>
        {imap && (
          <label>
            {t.folder}
            {folders ? (
              <select name="folder" value={i.folder || 'INBOX'} onChange={(e) => setIn({ folder: e.target.value })}>
                {folders.map((f) => (
                  <option key={f.name} value={f.name}>
                    {f.name}
                    {f.special_use?.length ? ` (${f.special_use.join(' ')})` : ''}
                  </option>
                ))}
              </select>
            ) : (
              <input name="folder" value={i.folder || 'INBOX'} onChange={(e) => setIn({ folder: e.target.value })} />
            )}
            <button type="button" disabled={!a.id} title={a.id ? '' : t.saveFirst} onClick={loadFolders}>
              {t.loadFolders}
            </button>
          </label>
        )}
        <label>
          {t.leaveCopies}
          <select
            name="leave_mode"
            value={leave.mode}
            onChange={(e) => setIn({ leave_on_server: { mode: e.target.value, days: leave.days || 14 } })}
          >
            <option value="never">{t.never}</option>
            <option value="days">{t.days}</option>
            <option value="forever">{t.forever}</option>
          </select>
        </label>
        {leave.mode === 'days' && (
          <label>
            {t.days}
            <input
              name="leave_days"
              type="number"
              min={1}
              value={leave.days ?? ''}
              onChange={(e) => setIn({ leave_on_server: { mode: 'days', days: Number(e.target.value) || undefined } })}
            />
          </label>
        )}
        <label>
          {t.caFile}
          <input name="ca_file" type="file" accept=".pem,.crt,.cer" onChange={(e) => caFile(e.target.files?.[0])} />
          {(i.ca || s.ca) && <span className="hint"> {t.caLoaded}</span>}
        </label>
      </fieldset>
      <fieldset>
        <legend>{t.smtp}</legend>
        <label>
          {t.host}
          <input name="smtp_host" value={s.host || ''} onChange={(e) => setSmtp({ host: e.target.value })} />
        </label>
        <label>
          {t.security}
          <select name="smtp_security" value={s.security || 'starttls'} onChange={(e) => setSmtp({ security: e.target.value, port: SMTP_PORTS[e.target.value] })}>
            <option value="starttls">STARTTLS</option>
            <option value="tls">SSL/TLS</option>
            <option value="none">{t.noTls}</option>
          </select>
        </label>
        <label>
          {t.port}
          <input name="smtp_port" type="number" value={s.port ?? ''} onChange={(e) => setSmtp({ port: Number(e.target.value) || undefined })} />
        </label>
        <label className="check">
          <input
            type="checkbox"
            name="requires_password"
            checked={s.requires_password !== false}
            onChange={(e) => setSmtp({ requires_password: e.target.checked, user: e.target.checked ? i.user : undefined, password: e.target.checked ? i.password : undefined })}
          />
          {t.requiresPassword}
        </label>
        {s.requires_password !== false && (
          <>
            <label>
              {t.user}
              <input name="smtp_user" autoComplete="off" value={s.user || ''} placeholder={i.user} onChange={(e) => setSmtp({ user: e.target.value })} />
            </label>
            <label>
              {t.password}
              <input
                name="smtp_password"
                type="password"
                autoComplete="new-password"
                placeholder={s.password_set ? t.passwordKept : t.sameAsIncoming}
                value={s.password || ''}
                onChange={(e) => setSmtp({ password: e.target.value })}
              />
            </label>
          </>
        )}
      </fieldset>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setTested(null);
          try {
            setTested(await test());
          } catch (e) {
            setTested({ ok: false, error: (e as Error).message });
          } finally {
            setBusy(false);
          }
        }}
      >
        {t.testConnection}
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {tested && (
        <div className="tested" role="status" data-ok={String(tested.ok)}>
          <p>{tested.ok ? t.testOk : t.testFailed}</p>
          {tested.error && <p className="error">{tested.error}</p>}
          <Steps t={t} title={t.incoming} side={tested.incoming} />
          <Steps t={t} title={t.smtp} side={tested.smtp} />
        </div>
      )}
    </div>
  );
}
