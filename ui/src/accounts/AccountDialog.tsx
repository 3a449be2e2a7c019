import { useEffect, useState } from 'react';
import { invoke } from '../api';
import { Dict } from '../i18n';
import { AccountDraft, accountParams, newDraft } from './draft';
import { GeneralTab } from './GeneralTab';
import { SecurityTab } from './SecurityTab';
import { ServerTab } from './ServerTab';
import { TextblocksTab } from './TextblocksTab';

/** The account dialog with the seed's tabs: a new account (id null) or an existing one. */
export function AccountDialog({ t, id, onClose }: { t: Dict; id: string | null; onClose: () => void }) {
  const [tab, setTab] = useState(0);
  const [a, setA] = useState<AccountDraft | null>(id ? null : newDraft());
  const [saved, setSaved] = useState<AccountDraft | null>(null);
  const [message, setMessage] = useState('');
  const load = (accountId: string) =>
    invoke<AccountDraft>('mail.account.get', { id: accountId }).then((got) => {
      setA(got);
      setSaved(got);
    });
  useEffect(() => {
    if (id) load(id).catch((e) => setMessage(t.error + ': ' + e.message));
  }, [id]); // eslint-disable-line react-hooks/exhaustive-deps
  if (!a) return message ? <p role="alert">{message}</p> : null;

  /** Writes the form; answers the account's id, or null when it was not saved. */
  const save = async (): Promise<string | null> => {
    setMessage('');
    try {
      if (!a.id) {
        const created = await invoke<{ id: string }>('mail.account.create', accountParams(a));
        await load(created.id);
        setMessage(t.saved);
        return created.id;
      }
      const params: Record<string, unknown> = { id: a.id, ...accountParams(a) };
      if ((a.database || 'main') !== (saved?.database || 'main')) {
        if (!window.confirm(t.databaseWarning)) return null;
        params.confirm_database_change = true;
      }
      await invoke('mail.account.update', params);
      if (saved && a.owner && a.owner !== saved.owner) await invoke('mail.account.set_owner', { id: a.id, owner: a.owner });
      if (saved && a.online !== undefined && a.online !== saved.online)
        await invoke('mail.account.set_online', { id: a.id, online: a.online });
      await load(a.id);
      setMessage(t.saved);
      return a.id;
    } catch (e) {
      const err = e as Error & { field?: string };
      setMessage(`${t.error}: ${err.message}${err.field ? ` (${err.field})` : ''}`);
      return null;
    }
  };
  const test = async () => {
    const accountId = a.id || (await save());
    if (!accountId) throw new Error(message || t.saveFirst);
    return invoke('mail.account.test', { id: accountId, check_sender: true });
  };
  const remove = async () => {
    if (!a.id) return onClose();
    const s = await invoke<any>('mail.account.status', { id: a.id });
    // Every message of the account goes with it, whatever its state.
    const n = Object.values<number>(s.messages || {}).reduce((sum, k) => sum + k, 0);
    if (!window.confirm(t.deleteQuestion(a.label, n))) return;
    await invoke('mail.account.delete', { id: a.id, confirm: true });
    onClose();
  };
  const tabs = [t.tabGeneral, t.tabServer, t.tabSecurity, t.tabTextblocks];
  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-label={a.label || t.newAccount}>
      <h2>{a.id ? a.label : t.newAccount}</h2>
      <div role="tablist">
        {tabs.map((name, i) => (
          <button key={name} role="tab" aria-selected={tab === i} onClick={() => setTab(i)}>
            {name}
          </button>
        ))}
      </div>
      {tab === 0 && <GeneralTab t={t} a={a} set={setA} creating={!a.id} />}
      {tab === 1 && <ServerTab t={t} a={a} set={setA} test={test} />}
      {tab === 2 && <SecurityTab t={t} account={a.id} email={saved?.sender_email} />}
      {tab === 3 && <TextblocksTab t={t} account={a.id} />}
      <div className="buttons">
        {a.can_change !== false && <button onClick={save}>{t.save}</button>}
        {a.id && <button onClick={remove}>{t.delete}</button>}
        <button onClick={onClose}>{t.close}</button>
        {message && <span role="status">{message}</span>}
      </div>
    </div>
  );
}
