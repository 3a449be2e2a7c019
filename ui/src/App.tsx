import { useCallback, useEffect, useState } from 'react';
import { ApiError, Session, currentSession, events, invoke, signIn, signOut } from './api';
import { Dict, Lang, dictionaries } from './i18n';

type Screen = 'mail' | 'outbox' | 'health' | 'modules' | 'accounts';
type View = 'pending' | 'archived' | 'trash' | 'sent';

interface Account {
  id: string;
  label: string;
  owner?: string;
  online?: boolean;
  main?: boolean;
  sender_email?: string;
  sender_name?: string;
  kind?: string;
}

interface Summary {
  account: string;
  id: number;
  subject: string | null;
  from: string | null;
  date_ms: number | null;
  received_at_ms: number;
  message_id: string | null;
}

const when = (ms?: number | null) => (ms ? new Date(ms).toLocaleString() : '–');

export function App() {
  const [lang, setLang] = useState<Lang>((localStorage.getItem('erpmail.lang') as Lang) || 'de-CH');
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const t = dictionaries[lang];
  useEffect(() => {
    document.documentElement.lang = lang;
    localStorage.setItem('erpmail.lang', lang);
  }, [lang]);
  useEffect(() => {
    currentSession().then(setSession);
  }, []);
  const picker = (
    <label className="lang">
      {t.language}{' '}
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="de-CH">Deutsch</option>
        <option value="en">English</option>
      </select>
    </label>
  );
  if (session === undefined) return <main>{t.loading}</main>;
  if (!session) return <SignIn t={t} picker={picker} onSignedIn={setSession} />;
  return <Console t={t} picker={picker} session={session} onSignedOut={() => setSession(null)} />;
}

function SignIn({ t, picker, onSignedIn }: { t: Dict; picker: JSX.Element; onSignedIn: (s: Session) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      onSignedIn(await signIn(user, password));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 429 ? t.tooMany : t.signInFailed);
    }
  };
  return (
    <main className="signin">
      <h1>{t.appTitle}</h1>
      <form onSubmit={submit} aria-label={t.signIn}>
        <label>
          {t.user}
          <input name="user" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} />
        </label>
        <label>
          {t.password}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit">{t.signIn}</button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
      {picker}
    </main>
  );
}

function Console({
  t,
  picker,
  session,
  onSignedOut,
}: {
  t: Dict;
  picker: JSX.Element;
  session: Session;
  onSignedOut: () => void;
}) {
  const [screen, setScreen] = useState<Screen>('mail');
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [tick, setTick] = useState(0);
  const reloadAccounts = useCallback(() => {
    invoke<{ accounts: Account[] }>('mail.account.list').then((r) => setAccounts(r.accounts));
  }, []);
  useEffect(reloadAccounts, [reloadAccounts, tick]);
  useEffect(() => events(() => setTick((n) => n + 1)), []);
  const screens: [Screen, string][] = [
    ['mail', t.mail],
    ['outbox', t.outbox],
    ['health', t.health],
    ['modules', t.modules],
    ['accounts', t.accounts],
  ];
  return (
    <div className="console">
      <header>
        <h1>{t.appTitle}</h1>
        <nav aria-label={t.appTitle}>
          {screens.map(([s, label]) => (
            <button key={s} aria-current={screen === s ? 'page' : undefined} onClick={() => setScreen(s)}>
              {label}
            </button>
          ))}
        </nav>
        <span className="who">{session.user}</span>
        {picker}
        <button onClick={() => signOut().then(onSignedOut)}>{t.signOut}</button>
      </header>
      {screen === 'mail' && <Mail t={t} accounts={accounts} tick={tick} onAccountsChanged={reloadAccounts} />}
      {screen === 'outbox' && <Outbox t={t} tick={tick} />}
      {screen === 'health' && <Health t={t} accounts={accounts} />}
      {screen === 'modules' && <Modules t={t} />}
      {screen === 'accounts' && <Accounts t={t} accounts={accounts} onChanged={reloadAccounts} />}
    </div>
  );
}

function Mail({
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
  const current = account || accounts.find((a) => a.main)?.id || accounts[0]?.id || '';

  const reload = useCallback(() => {
    if (!current) return;
    invoke<{ items: Summary[] }>('mail.message.list', { account: current, state: view, page_size: 200 })
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
    const moving = items.filter((m) => ids.includes(m.id)).map((m) => m.message_id);
    try {
      const r = await invoke<{ moved: number }>('mail.message.move', { account: from, ids, to_account: to.id });
      setSelected([]);
      setOpen(null);
      reload();
      const undo = async () => {
        // The move gives the messages new ids in the target; find them again by Message-ID.
        const there = await invoke<{ items: Summary[] }>('mail.message.list', {
          account: to.id,
          state: view,
          page_size: 500,
        });
        const back = there.items.filter((m) => m.message_id && moving.includes(m.message_id)).map((m) => m.id);
        if (back.length) await invoke('mail.message.move', { account: to.id, ids: back, to_account: from });
        setNotice(null);
        reload();
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
          {view === 'pending' && <button onClick={() => act('mail.message.archive')}>{t.archive}</button>}
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
            <thead>
              <tr>
                <th scope="col">{t.from}</th>
                <th scope="col">{t.subject}</th>
                <th scope="col">{t.date}</th>
              </tr>
            </thead>
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
      {open && <Reader t={t} summary={open} />}
    </main>
  );
}

interface Message {
  subject: string | null;
  from: string | null;
  to: string | null;
  text: string | null;
  html: string | null;
  attachments: { file_name: string | null; content_type: string; size: number }[];
  security: { signature?: string; status?: string; signer?: string } | null;
}

/** The HTML part in a frame without scripts; remote content waits for the user. */
function htmlDocument(html: string, remote: boolean) {
  const csp = remote
    ? "default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline'"
    : "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
  return `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${csp}"></head><body>${html}</body></html>`;
}

function Reader({ t, summary }: { t: Dict; summary: Summary }) {
  const [m, setM] = useState<Message | null>(null);
  const [remote, setRemote] = useState(false);
  useEffect(() => {
    setRemote(false);
    invoke<Message>('mail.message.get', { account: summary.account, id: summary.id }).then(setM);
  }, [summary.account, summary.id]);
  if (!m) return <section className="reader">{t.loading}</section>;
  return (
    <section className="reader" aria-label={m.subject || ''}>
      <h2>{m.subject}</h2>
      <p>
        {t.from}: {m.from}
        <br />
        {t.to}: {m.to}
      </p>
      {m.security && (
        <p className="security">
          {t.signature}: {m.security.status || m.security.signature || JSON.stringify(m.security)}
        </p>
      )}
      {m.html ? (
        <>
          {!remote && <button onClick={() => setRemote(true)}>{t.showRemote}</button>}
          <iframe title={m.subject || 'HTML'} sandbox="" srcDoc={htmlDocument(m.html, remote)} />
        </>
      ) : (
        <pre className="text">{m.text}</pre>
      )}
      {m.attachments?.length > 0 && (
        <>
          <h3>{t.attachments}</h3>
          <ul>
            {m.attachments.map((a, i) => (
              <li key={i}>
                {a.file_name || a.content_type} ({a.size} B)
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Outbox({ t, tick }: { t: Dict; tick: number }) {
  const [items, setItems] = useState<any[]>([]);
  const reload = useCallback(() => {
    invoke<{ items: any[] }>('mail.outbox.list', { page_size: 200 }).then((r) => setItems(r.items));
  }, []);
  useEffect(reload, [reload, tick]);
  return (
    <main>
      <h2>{t.outbox}</h2>
      <button onClick={reload}>{t.refresh}</button>
      <table>
        <thead>
          <tr>
            <th scope="col">{t.subject}</th>
            <th scope="col">{t.state}</th>
            <th scope="col">{t.attempts}</th>
            <th scope="col">{t.lastAnswer}</th>
            <th scope="col">
              <span className="sr">{t.edit}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((o) => (
            <tr key={o.account + ':' + o.id} data-outbox={o.id}>
              <td>{o.subject}</td>
              <td>{o.state}</td>
              <td>{o.attempts}</td>
              <td className="answer">{o.last_response ?? o.last_error ?? o.last_answer ?? ''}</td>
              <td>
                {(o.state === 'failed' || o.state === 'cancelled') && (
                  <button onClick={() => invoke('mail.outbox.retry', { account: o.account, id: o.id }).then(reload)}>
                    {t.retry}
                  </button>
                )}
                {(o.state === 'queued' || o.state === 'failed') && (
                  <button onClick={() => invoke('mail.outbox.cancel', { account: o.account, id: o.id }).then(reload)}>
                    {t.cancel}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

function Health({ t, accounts }: { t: Dict; accounts: Account[] }) {
  const [status, setStatus] = useState<Record<string, any>>({});
  useEffect(() => {
    for (const a of accounts)
      invoke('mail.account.status', { id: a.id }).then((s) => setStatus((all) => ({ ...all, [a.id]: s })));
  }, [accounts]);
  return (
    <main>
      <h2>{t.health}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t.account}</th>
            <th scope="col">{t.online}</th>
            <th scope="col">{t.lastFetch}</th>
            <th scope="col">{t.lastError}</th>
            <th scope="col">{t.passwordAccepted}</th>
            <th scope="col">{t.certificate}</th>
            <th scope="col">{t.backlog}</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => {
            const s = status[a.id] || {};
            return (
              <tr key={a.id}>
                <td>{a.label}</td>
                <td>{String(s.online ?? a.online ?? '')}</td>
                <td>{when(s.fetch?.last_success_ms)}</td>
                <td>{s.fetch?.last_error ? JSON.stringify(s.fetch.last_error) : ''}</td>
                <td>{when(s.password_last_accepted_ms)}</td>
                <td>{when(s.signing_certificate?.not_after_ms)}</td>
                <td>{s.outbox ? JSON.stringify(s.outbox) : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </main>
  );
}

function Modules({ t }: { t: Dict }) {
  const [data, setData] = useState<any>(null);
  useEffect(() => {
    invoke('mail.modules.status').then(setData);
  }, []);
  const list: any[] = data?.modules || [];
  return (
    <main>
      <h2>{t.modules}</h2>
      <table>
        <tbody>
          {list.map((m) => (
            <tr key={m.name}>
              <th scope="row">{m.name}</th>
              <td>{m.enabled === false ? t.disabled : t.enabled}</td>
              <td>{m.running ? t.running : t.stopped}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

function Accounts({ t, accounts, onChanged }: { t: Dict; accounts: Account[]; onChanged: () => void }) {
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <main>
      <h2>{t.accounts}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t.label}</th>
            <th scope="col">{t.owner}</th>
            <th scope="col">{t.senderEmail}</th>
            <th scope="col">
              <span className="sr">{t.edit}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => (
            <tr key={a.id}>
              <td>{a.label}</td>
              <td>{a.owner}</td>
              <td>{a.sender_email}</td>
              <td>
                <button onClick={() => setEditing(a.id)}>{t.edit}</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && (
        <AccountDialog
          t={t}
          id={editing}
          onClose={() => {
            setEditing(null);
            onChanged();
          }}
        />
      )}
    </main>
  );
}

function AccountDialog({ t, id, onClose }: { t: Dict; id: string; onClose: () => void }) {
  const [tab, setTab] = useState(0);
  const [a, setA] = useState<any>(null);
  const [steps, setSteps] = useState<any>(null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    invoke('mail.account.get', { id }).then(setA);
  }, [id]);
  if (!a) return null;
  const set = (k: string, v: unknown) => setA({ ...a, [k]: v });
  const save = async () => {
    try {
      await invoke('mail.account.update', {
        id,
        label: a.label,
        sender_name: a.sender_name,
        sender_email: a.sender_email,
      });
      setMessage(t.saved);
    } catch (e) {
      setMessage(t.error + ': ' + (e as Error).message);
    }
  };
  const remove = async () => {
    const s = await invoke<any>('mail.account.status', { id });
    const n = typeof s.messages === 'number' ? s.messages : (s.messages?.stored ?? 0);
    if (!window.confirm(t.deleteQuestion(a.label, n))) return;
    await invoke('mail.account.delete', { id, confirm: true });
    onClose();
  };
  const tabs = [t.tabGeneral, t.tabServer, t.tabSecurity, t.tabTextblocks];
  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-label={a.label}>
      <div role="tablist">
        {tabs.map((name, i) => (
          <button key={name} role="tab" aria-selected={tab === i} onClick={() => setTab(i)}>
            {name}
          </button>
        ))}
      </div>
      {tab === 0 && (
        <div role="tabpanel" className="form">
          <p className="warning">
            {t.database}: {a.database} — {t.databaseWarning}
          </p>
          <label>
            {t.label}
            <input value={a.label || ''} onChange={(e) => set('label', e.target.value)} />
          </label>
          <p>
            {t.owner}: {a.owner}
          </p>
          <label>
            {t.senderName}
            <input value={a.sender_name || ''} onChange={(e) => set('sender_name', e.target.value)} />
          </label>
          <label>
            {t.senderEmail}
            <input value={a.sender_email || ''} onChange={(e) => set('sender_email', e.target.value)} />
          </label>
          <p>
            {t.kind}: {a.kind}
          </p>
          <p>
            {t.online}: {String(a.online)}
          </p>
        </div>
      )}
      {tab === 1 && (
        <div role="tabpanel" className="form">
          <p>
            {t.incoming}: {a.incoming?.kind} {a.incoming?.host}:{a.incoming?.port}
          </p>
          <p>
            {t.leaveCopies}: {a.leave_on_server?.mode}
          </p>
          <p>
            {t.smtp}: {a.smtp?.host}:{a.smtp?.port} {a.smtp?.security}
          </p>
          <button
            onClick={() =>
              invoke('mail.account.test', { id })
                .then(setSteps)
                .catch((e) => setSteps({ error: e.message }))
            }
          >
            {t.testConnection}
          </button>
          {steps && <pre className="steps">{JSON.stringify(steps, null, 2)}</pre>}
        </div>
      )}
      {tab >= 2 && <div role="tabpanel" />}
      <div className="buttons">
        <button onClick={save}>{t.save}</button>
        <button onClick={remove}>{t.delete}</button>
        <button onClick={onClose}>{t.close}</button>
        {message && <span role="status">{message}</span>}
      </div>
    </div>
  );
}
