import { useCallback, useEffect, useState } from 'react';
import { ApiError, Session, currentSession, events, invoke, signIn, signOut } from './api';
import { Dict, Lang, dictionaries } from './i18n';
import { Accounts } from './accounts/Accounts';
import { Health } from './Health';
import { Mail } from './mail/Mail';
import { Modules } from './Modules';
import { Outbox } from './Outbox';
import { Account } from './types';

type Screen = 'mail' | 'outbox' | 'health' | 'modules' | 'accounts';

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
      {screen === 'health' && <Health t={t} accounts={accounts} tick={tick} />}
      {screen === 'modules' && <Modules t={t} />}
      {screen === 'accounts' && <Accounts t={t} accounts={accounts} onChanged={reloadAccounts} />}
    </div>
  );
}
