import { useEffect, useState } from 'react';
import { invoke } from './api';
import { Dict } from './i18n';

export function Modules({ t }: { t: Dict }) {
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
