import { useEffect, useState } from 'react';
import { invoke } from '../api';
import { Dict } from '../i18n';
import { Message, Summary } from '../types';

/** The HTML part in a frame without scripts; remote content waits for the user. */
function htmlDocument(html: string, remote: boolean) {
  const csp = remote
    ? "default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline'"
    : "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
  return `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${csp}"></head><body>${html}</body></html>`;
}

export type Answer = 'reply' | 'forward';

export function Reader({
  t,
  summary,
  onAnswer,
}: {
  t: Dict;
  summary: Summary;
  onAnswer: (how: Answer, m: Message) => void;
}) {
  const [m, setM] = useState<Message | null>(null);
  const [remote, setRemote] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    setRemote(false);
    setM(null);
    setError('');
    invoke<Message>('mail.message.get', { account: summary.account, id: summary.id })
      .then(setM)
      .catch((e) => setError(e.message));
  }, [summary.account, summary.id]);
  if (error)
    return (
      <section className="reader">
        <p role="alert" className="error">
          {error}
        </p>
      </section>
    );
  if (!m) return <section className="reader">{t.loading}</section>;
  const links = (m as any).document_links as { doctype: string; id: string }[] | undefined;
  const security = m.security as any;
  return (
    <section className="reader" aria-label={m.subject || ''}>
      <div className="toolbar">
        <button onClick={() => onAnswer('reply', m)}>{t.reply}</button>
        <button onClick={() => onAnswer('forward', m)}>{t.forward}</button>
      </div>
      <h2>{m.subject}</h2>
      <p>
        {t.from}: {m.from}
        <br />
        {t.to}: {m.to}
      </p>
      {security && (
        <p className={'security ' + (security.status === 'valid' ? 'valid' : 'notvalid')} data-security={security.status}>
          {t.signature}: {security.status || security.kind}
          {security.partly_signed ? ` (${t.partlySigned})` : ''}
          {security.reason ? ` – ${security.reason}` : ''}
          {security.signers?.length > 0 && ` – ${security.signers.map((s: any) => s.emails?.[0] || s.subject).join(', ')}`}
        </p>
      )}
      {links && links.length > 0 && (
        <p className="links">
          {t.documents}: {links.map((d) => `${d.doctype} ${d.id}`).join(', ')}
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
                {a.file_name || a.content_type} ({a.size} B){a.removed ? ` – ${t.removed}` : ''}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
