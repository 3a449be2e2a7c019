import { useEffect, useState } from 'react';
import { invoke } from './api';
import { Dict } from './i18n';
import { Account, when } from './types';
import { TableHead } from './TableHead';

export function Health({ t, accounts }: { t: Dict; accounts: Account[] }) {
  const [status, setStatus] = useState<Record<string, any>>({});
  useEffect(() => {
    for (const a of accounts)
      invoke('mail.account.status', { id: a.id }).then((s) => setStatus((all) => ({ ...all, [a.id]: s })));
  }, [accounts]);
  return (
    <main>
      <h2>{t.health}</h2>
      <table>
        <TableHead columns={[t.account, t.online, t.lastFetch, t.lastError, t.passwordAccepted, t.certificate, t.backlog]} />
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
