import { useEffect, useState } from 'react';
import { invoke } from '../api';
import { Dict } from '../i18n';
import { AccountDraft, Retention } from './draft';

type Set = (a: AccountDraft) => void;

function Days({ label, name, value, onChange }: { label: string; name: string; value?: number | null; onChange: (v: number | null) => void }) {
  return (
    <label>
      {label}
      <input
        type="number"
        min={0}
        name={name}
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
      />
    </label>
  );
}

/** Allgemein: database, label, owner, sender, type, online, retention, signature, visibility. */
export function GeneralTab({ t, a, set, creating }: { t: Dict; a: AccountDraft; set: Set; creating: boolean }) {
  const [rulesText, setRulesText] = useState('');
  const [candidates, setCandidates] = useState<{ id: string; name: string }[]>([]);
  const rule = (k: keyof Retention) => (v: number | null) => set({ ...a, retention: { ...a.retention, [k]: v } });
  useEffect(() => {
    const rules = Object.fromEntries(Object.entries(a.retention).filter(([, v]) => typeof v === 'number' && v > 0));
    invoke<{ description: string }>('mail.retention.validate', rules)
      .then((r) => setRulesText(r.description))
      .catch((e) => setRulesText(e.message));
  }, [a.retention]);
  const group = a.visibility.group || '';
  useEffect(() => {
    invoke<{ users: { id: string; name: string }[] }>('mail.account.visibility_candidates', group ? { group } : {})
      .then((r) => setCandidates(r.users))
      .catch(() => setCandidates([]));
  }, [group]);
  const visibleFor = (id: string, on: boolean) =>
    set({
      ...a,
      visibility: {
        ...a.visibility,
        users: on ? [...a.visibility.users, id] : a.visibility.users.filter((u) => u !== id),
      },
    });
  return (
    <div role="tabpanel" className="form">
      <label>
        {t.database}
        <input name="database" value={a.database || ''} placeholder="main" onChange={(e) => set({ ...a, database: e.target.value })} />
      </label>
      {!creating && <p className="warning">{t.databaseWarning}</p>}
      <label>
        {t.label}
        <input name="label" required value={a.label} onChange={(e) => set({ ...a, label: e.target.value })} />
      </label>
      <label>
        {t.owner}
        <input name="owner" value={a.owner || ''} onChange={(e) => set({ ...a, owner: e.target.value })} />
      </label>
      <label>
        {t.senderName}
        <input name="sender_name" value={a.sender_name || ''} onChange={(e) => set({ ...a, sender_name: e.target.value })} />
      </label>
      <label>
        {t.senderEmail}
        <input
          name="sender_email"
          type="email"
          value={a.sender_email || ''}
          onChange={(e) => set({ ...a, sender_email: e.target.value })}
        />
      </label>
      <label>
        {t.kind}
        <select name="kind" value={a.kind} onChange={(e) => set({ ...a, kind: e.target.value })}>
          <option value="personal">{t.personal}</option>
          <option value="public">{t.public}</option>
        </select>
      </label>
      {!creating && (
        <label className="check">
          <input type="checkbox" name="online" checked={a.online !== false} onChange={(e) => set({ ...a, online: e.target.checked })} />
          {t.online}
        </label>
      )}
      <fieldset>
        <legend>{t.retention}</legend>
        <Days label={t.emptyTrashAfterDays} name="empty_trash_after_days" value={a.retention.empty_trash_after_days} onChange={rule('empty_trash_after_days')} />
        <Days label={t.attachmentsLargerThanKb} name="attachments_larger_than_kb" value={a.retention.attachments_larger_than_kb} onChange={rule('attachments_larger_than_kb')} />
        <Days label={t.attachmentsAfterDays} name="attachments_after_days" value={a.retention.attachments_after_days} onChange={rule('attachments_after_days')} />
        <Days label={t.deleteAfterMonths} name="delete_messages_after_months" value={a.retention.delete_messages_after_months} onChange={rule('delete_messages_after_months')} />
        <p className="hint" role="status">{rulesText}</p>
      </fieldset>
      <label className="check">
        <input type="checkbox" name="always_signature" checked={!!a.always_signature} onChange={(e) => set({ ...a, always_signature: e.target.checked })} />
        {t.alwaysSignature}
      </label>
      <label className="check">
        <input type="checkbox" name="contacts_sync" checked={!!a.contacts_sync} onChange={(e) => set({ ...a, contacts_sync: e.target.checked })} />
        {t.outlookSync}
      </label>
      <fieldset>
        <legend>{t.visibleFor}</legend>
        <label>
          {t.userGroup}
          <input
            name="group"
            value={group}
            onChange={(e) => set({ ...a, visibility: { ...a.visibility, group: e.target.value || null } })}
          />
        </label>
        <ul className="candidates">
          {candidates.map((u) => (
            <li key={u.id}>
              <label className="check">
                <input type="checkbox" checked={a.visibility.users.includes(u.id)} onChange={(e) => visibleFor(u.id, e.target.checked)} />
                {u.name} ({u.id})
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
    </div>
  );
}
