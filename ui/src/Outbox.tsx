import { useCallback, useEffect, useState } from 'react';
import { invoke } from './api';
import { Dict } from './i18n';
import { TableHead } from './TableHead';

export function Outbox({ t, tick }: { t: Dict; tick: number }) {
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
        <TableHead columns={[t.subject, t.state, t.attempts, t.lastAnswer]} actions={t.edit} />
        <tbody>
          {items.map((o) => (
            <tr key={o.account + ':' + o.id} data-outbox={o.id}>
              <td>{o.subject ?? o.message_id}</td>
              <td>{o.state}</td>
              <td>{o.attempts}</td>
              <td className="answer">
                {o.last_answer ??
                  (o.recipient_outcomes || [])
                    .filter((r: any) => r.answer)
                    .map((r: any) => `${r.address}: ${r.answer}`)
                    .join('; ')}
              </td>
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
