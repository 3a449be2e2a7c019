import { useEffect, useState } from 'react';
import { RecentEvent, invoke, recentEvents } from './api';
import { Dict } from './i18n';
import { TableHead } from './TableHead';
import { Account, when } from './types';

const errorText = (e: any) => (!e ? '' : typeof e === 'string' ? e : e.message || JSON.stringify(e));
const counts = (o: Record<string, number> | undefined) =>
  o ? Object.entries(o).map(([state, n]) => `${state} ${n}`).join(', ') : '';

/** Per account: online, last fetch and error, password last accepted, certificate expiry, outbox; the day's events. */
export function Health({ t, accounts, tick }: { t: Dict; accounts: Account[]; tick: number }) {
  const [status, setStatus] = useState<Record<string, any>>({});
  const [recent, setRecent] = useState<RecentEvent[]>([]);
  useEffect(() => {
    for (const a of accounts)
      invoke('mail.account.status', { id: a.id })
        .then((s) => setStatus((all) => ({ ...all, [a.id]: s })))
        .catch((e) => setStatus((all) => ({ ...all, [a.id]: { error: e.message } })));
    recentEvents()
      .then(setRecent)
      .catch(() => setRecent([]));
  }, [accounts, tick]);
  const label = (id?: string) => accounts.find((a) => a.id === id)?.label ?? id ?? '';
  return (
    <main>
      <h2>{t.health}</h2>
      <table>
        <TableHead columns={[t.account, t.online, t.lastFetch, t.lastError, t.passwordAccepted, t.certificate, t.backlog]} />
        <tbody>
          {accounts.map((a) => {
            const s = status[a.id] || {};
            return (
              <tr key={a.id} data-health={a.id}>
                <td>{a.label}</td>
                <td>
                  {s.online === false
                    ? `${t.offline} ${when(s.offline_since_ms)}${s.offline_reason ? ` – ${s.offline_reason}` : ''}`
                    : s.online === true
                      ? '✓'
                      : ''}
                </td>
                <td>{when(s.fetch?.last_success_ms)}</td>
                <td className={s.fetch?.last_error || s.error ? 'error' : ''}>{errorText(s.fetch?.last_error ?? s.error)}</td>
                <td>{when(s.fetch?.password_last_accepted_ms)}</td>
                <td>{s.signing_certificate ? when(s.signing_certificate.not_after_ms) : ''}</td>
                <td>{counts(s.outbox)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>{t.recentEvents}</h3>
      {recent.length === 0 ? (
        <p>{t.noEvents}</p>
      ) : (
        <table aria-label={t.recentEvents}>
          <TableHead columns={[t.date, t.event, t.account, t.details]} />
          <tbody>
            {[...recent].reverse().map((e) => (
              <tr key={e.id} data-event={e.type}>
                <td>{when(e.at_ms)}</td>
                <td>{e.type}</td>
                <td>{label(e.data?.account)}</td>
                <td>{e.data?.subject ?? e.data?.message_id ?? e.data?.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
