import { useState } from 'react';
import { Dict } from '../i18n';
import { Account } from '../types';
import { AccountDialog } from './AccountDialog';
import { TableHead } from '../TableHead';

/** Mail > Einstellungen > E-Mail Konten: the accounts the user may see, with an add button. */
export function Accounts({ t, accounts, onChanged }: { t: Dict; accounts: Account[]; onChanged: () => void }) {
  const [editing, setEditing] = useState<string | null | undefined>(undefined);
  return (
    <main>
      <h2>{t.accounts}</h2>
      <button onClick={() => setEditing(null)}>{t.add}</button>
      <table>
        <TableHead columns={[t.label, t.owner, t.senderEmail]} actions={t.edit} />
        <tbody>
          {accounts.map((a) => (
            <tr key={a.id} data-account={a.id}>
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
      {editing !== undefined && (
        <AccountDialog
          t={t}
          id={editing}
          onClose={() => {
            setEditing(undefined);
            onChanged();
          }}
        />
      )}
    </main>
  );
}
