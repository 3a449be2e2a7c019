import { useCallback, useState, useEffect } from 'react';
import { invoke } from '../api';
import { Dict } from '../i18n';
import { Account, Message, Summary, when } from '../types';
import { Compose, Draft } from './Compose';
import { Answer, Reader } from './Reader';
import { TableHead } from '../TableHead';

type View = 'pending' | 'archived' | 'trash' | 'sent';

const quote = (text: string | null) => (text || '').replace(/^/gm, '> ');

/** A reply or forward of a mail, from the account it is in. */
function answer(how: Answer, account: string, m: Message): Draft {
  const subject = m.subject || '';
  if (how === 'reply')
    return {
      account,
      to: m.from || '',
      subject: /^(re|aw):/i.test(subject) ? subject : `Re: ${subject}`,
      text: `\n\n${m.from}:\n${quote(m.text)}`,
    };
  return {
    account,
    to: '',
    subject: /^(fwd?|wg):/i.test(subject) ? subject : `Fwd: ${subject}`,
    text: `\n\n-------- ${m.from}, ${m.subject} --------\n${m.text || ''}`,
  };
}

export function Mail({
  t,
  accounts,
  tick,
  onAccountsChanged,
}: {
  t: Dict;
  accounts: Account[];
  tick: number;
  onAccountsChanged: () => void;
}) {
  const [account, setAccount] = useState<string>('');
  const [view, setView] = useState<View>('pending');
  const [items, setItems] = useState<Summary[]>([]);
  const [selected, setSelected] = useState<number[]>([]);
  const [open, setOpen] = useState<Summary | null>(null);
  const [notice, setNotice] = useState<{ text: string; undo?: () => void } | null>(null);
  const [menu, setMenu] = useState<{ account: Account; x: number; y: number } | null>(null);
  const [error, setError] = useState('');
  const [draft, setDraft] = useState<Draft | null>(null);
  const [pending, setPending] = useState<Record<string, number>>({});
  useEffect(() => {
    for (const a of accounts)
      if (a.online !== false)
        invoke<{ messages?: { pending?: number } }>('mail.account.status', { id: a.id })
          .then((s) => setPending((all) => ({ ...all, [a.id]: s.messages?.pending ?? 0 })))
          .catch(() => undefined);
  }, [accounts, tick]);
  const current = account || accounts.find((a) => a.main)?.id || accounts[0]?.id || '';

  const reload = useCallback(() => {
    if (!current) return;
    invoke<{ items: Summary[] }>('mail.message.list', { account: current, state: view, page_size: 200, total: false })
      .then((r) => setItems(r.items))
      .catch((e) => setError(e.message));
  }, [current, view]);
  useEffect(reload, [reload, tick]);

  const act = async (op: string, ids = selected) => {
    if (!ids.length) return;
    await invoke(op, { account: current, ids });
    setSelected([]);
    setOpen(null);
    reload();
  };

  const moveTo = async (from: string, ids: number[], to: Account) => {
    if (from === to.id || !ids.length) return;
    try {
      const r = await invoke<{ moved: number; ids: number[] }>('mail.message.move', { account: from, ids, to_account: to.id });
      setSelected([]);
      setOpen(null);
      reload();
      const undo = async () => {
        try {
          // The move answers the messages' ids in the target (new ones in another database).
          if (r.ids.length) await invoke('mail.message.move', { account: to.id, ids: r.ids, to_account: from });
          setNotice(null);
          reload();
        } catch (e) {
          setError((e as Error).message);
        }
      };
      setNotice({ text: t.moved(r.moved, to.label), undo });
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const toggle = (id: number, additive: boolean) =>
    setSelected((s) => (additive ? (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]) : [id]));

  const views: [View, string][] = [
    ['pending', t.inbox],
    ['archived', t.archived],
    ['trash', t.trash],
    ['sent', t.sent],
  ];
  return (
    <main className="mail" onClick={() => setMenu(null)}>
      <section className="folders" aria-label={t.folders}>
        <h2>{t.folders}</h2>
        <ul>
          {accounts.map((a) => (
            <li
              key={a.id}
              data-account={a.id}
              className={(a.id === current ? 'current ' : '') + (a.online === false ? 'offline' : '')}
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => {
                e.preventDefault();
                const data = JSON.parse(e.dataTransfer.getData('application/x-erpmail') || '{}');
                if (data.ids) moveTo(data.account, data.ids, a);
              }}
              onContextMenu={(e) => {
                e.preventDefault();
                setMenu({ account: a, x: e.clientX, y: e.clientY });
              }}
            >
              <button onClick={() => setAccount(a.id)}>
                {a.label}
                {a.online !== false && pending[a.id] > 0 && (
                  <span className="count" aria-label={t.inInbox(pending[a.id])}>
                    {' '}
                    {pending[a.id]}
                  </span>
                )}
                {a.online === false && <span className="badge"> ({t.offline})</span>}
              </button>
            </li>
          ))}
        </ul>
        <div role="group" aria-label={t.state}>
          {views.map(([v, label]) => (
            <button key={v} aria-pressed={view === v} onClick={() => setView(v)}>
              {label}
            </button>
          ))}
        </div>
        {menu && (
          <div className="menu" role="menu" style={{ left: menu.x, top: menu.y }}>
            <button
              role="menuitem"
              onClick={async () => {
                await invoke('mail.account.set_online', { id: menu.account.id, online: menu.account.online === false });
                setMenu(null);
                onAccountsChanged();
              }}
            >
              {menu.account.online === false ? t.setOnline : t.setOffline}
            </button>
          </div>
        )}
      </section>
      <section className="list" aria-label={t.messages}>
        <div className="toolbar">
          <button data-action="compose" onClick={() => setDraft({ account: current, to: '', subject: '', text: '' })}>{t.compose}</button>
          {view === 'pending' && <button data-action="archive" onClick={() => act('mail.message.archive')}>{t.archive}</button>}
          {view !== 'trash' && <button onClick={() => act('mail.message.trash')}>{t.toTrash}</button>}
          {(view === 'archived' || view === 'trash') && (
            <button onClick={() => act('mail.message.unarchive')}>{t.restore}</button>
          )}
          <button onClick={() => act('mail.message.delete')}>{t.deleteForGood}</button>
        </div>
        {notice && (
          <p role="status" className="notice">
            {notice.text} {notice.undo && <button onClick={notice.undo}>{t.undo}</button>}
          </p>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        {items.length === 0 ? (
          <p>{t.noMessages}</p>
        ) : (
          <table>
            <TableHead columns={[t.from, t.subject, t.date]} />
            <tbody>
              {items.map((m) => (
                <tr
                  key={m.id}
                  data-message={m.id}
                  className={selected.includes(m.id) ? 'selected' : ''}
                  draggable
                  onDragStart={(e) => {
                    const ids = selected.includes(m.id) ? selected : [m.id];
                    e.dataTransfer.setData('application/x-erpmail', JSON.stringify({ account: current, ids }));
                  }}
                  onClick={(e) => {
                    toggle(m.id, e.ctrlKey || e.metaKey);
                    setOpen(m);
                  }}
                >
                  <td>{m.from}</td>
                  <td>{m.subject}</td>
                  <td>{when(m.date_ms ?? m.received_at_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {open && <Reader t={t} summary={open} onAnswer={(how, m) => setDraft(answer(how, open.account, m))} />}
      {draft && (
        <Compose
          t={t}
          accounts={accounts}
          draft={draft}
          onClose={(queued) => {
            setDraft(null);
            if (queued) setNotice({ text: t.queued(queued) });
          }}
        />
      )}
    </main>
  );
}

