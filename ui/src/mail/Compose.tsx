import { useEffect, useState } from 'react';
import { ApiError, invoke } from '../api';
import { Dict } from '../i18n';
import { Account, fileBase64 } from '../types';

export interface Draft {
  account: string;
  to: string;
  subject: string;
  text: string;
}

interface Block {
  id: string;
  name: string;
  doctypes?: string[];
}

const addresses = (s: string) =>
  s
    .split(/[,;]/)
    .map((a) => a.trim())
    .filter(Boolean);

/** A new mail, a reply or a forward: written, or filled from a text block and a host document. */
export function Compose({
  t,
  accounts,
  draft,
  onClose,
}: {
  t: Dict;
  accounts: Account[];
  draft: Draft;
  onClose: (queued?: string) => void;
}) {
  const [d, setD] = useState(draft);
  const [cc, setCc] = useState('');
  const [blocks, setBlocks] = useState<Block[]>([]);
  const [block, setBlock] = useState('');
  const [doctype, setDoctype] = useState('');
  const [docId, setDocId] = useState('');
  const [attachDocument, setAttachDocument] = useState(false);
  const [files, setFiles] = useState<File[]>([]);
  const [sign, setSign] = useState(false);
  const [encrypt, setEncrypt] = useState(false);
  const [preview, setPreview] = useState<{ subject?: string; text?: string } | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setBlocks([]);
    setBlock('');
    if (d.account)
      invoke<{ items: Block[] }>('mail.textblock.list', { account: d.account })
        .then((r) => setBlocks(r.items.filter((b: any) => !b.signature)))
        .catch(() => setBlocks([]));
  }, [d.account]);
  useEffect(() => {
    const b = blocks.find((x) => x.id === block);
    if (b?.doctypes?.length && !doctype) setDoctype(b.doctypes[0]);
  }, [block, blocks, doctype]);

  const document = doctype && docId ? { doctype, id: docId } : null;
  const explain = (e: unknown) =>
    setError(e instanceof ApiError && e.field ? `${e.message} (${e.field})` : String((e as Error).message ?? e));

  const showPreview = async () => {
    setError('');
    try {
      setPreview(
        await invoke('mail.textblock.render', {
          id: block,
          ...(document ? { doctype, doc_id: docId } : {}),
          text: d.text,
        }),
      );
    } catch (e) {
      explain(e);
    }
  };

  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      const attachments: object[] = [];
      if (document && attachDocument) attachments.push({ document });
      for (const f of files)
        attachments.push({
          file_name: f.name,
          content_type: f.type || 'application/octet-stream',
          base64: await fileBase64(f),
        });
      const params: Record<string, unknown> = { account: d.account, to: addresses(d.to), text: d.text };
      if (addresses(cc).length) params.cc = addresses(cc);
      if (d.subject) params.subject = d.subject;
      if (block) params.textblock = block;
      if (document) params.documents = [document];
      if (attachments.length) params.attachments = attachments;
      if (sign) params.sign = true;
      if (encrypt) params.encrypt = true;
      const r = await invoke<{ message_id: string }>('mail.send', params);
      onClose(r.message_id);
    } catch (err) {
      explain(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="dialog" role="dialog" aria-modal="true" aria-label={t.compose}>
      <h2>{t.compose}</h2>
      <form className="form" onSubmit={send}>
        <label>
          {t.fromAccount}
          <select name="account" value={d.account} onChange={(e) => setD({ ...d, account: e.target.value })}>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.label}
                {a.sender_email ? ` <${a.sender_email}>` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.to}
          <input name="to" value={d.to} onChange={(e) => setD({ ...d, to: e.target.value })} />
        </label>
        <label>
          {t.cc}
          <input name="cc" value={cc} onChange={(e) => setCc(e.target.value)} />
        </label>
        <label>
          {t.subject}
          <input name="subject" value={d.subject} onChange={(e) => setD({ ...d, subject: e.target.value })} />
        </label>
        <fieldset>
          <legend>{t.textblock}</legend>
          <label>
            {t.textblock}
            <select name="textblock" value={block} onChange={(e) => setBlock(e.target.value)}>
              <option value="">{t.none}</option>
              {blocks.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.doctype}
            <input name="doctype" value={doctype} onChange={(e) => setDoctype(e.target.value)} />
          </label>
          <label>
            {t.documentId}
            <input name="doc_id" value={docId} onChange={(e) => setDocId(e.target.value)} />
          </label>
          <label className="check">
            <input
              type="checkbox"
              name="attach_document"
              checked={attachDocument}
              onChange={(e) => setAttachDocument(e.target.checked)}
            />
            {t.attachDocument}
          </label>
          {block && (
            <button type="button" onClick={showPreview}>
              {t.preview}
            </button>
          )}
          {preview && (
            <div className="preview" aria-label={t.preview}>
              <strong>{preview.subject}</strong>
              <pre>{preview.text}</pre>
            </div>
          )}
        </fieldset>
        <label>
          {t.text}
          <textarea name="text" rows={10} value={d.text} onChange={(e) => setD({ ...d, text: e.target.value })} />
        </label>
        <label>
          {t.attachments}
          <input type="file" name="files" multiple onChange={(e) => setFiles(Array.from(e.target.files || []))} />
        </label>
        <label className="check">
          <input type="checkbox" name="sign" checked={sign} onChange={(e) => setSign(e.target.checked)} />
          {t.sign}
        </label>
        <label className="check">
          <input type="checkbox" name="encrypt" checked={encrypt} onChange={(e) => setEncrypt(e.target.checked)} />
          {t.encrypt}
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="buttons">
          <button type="submit" disabled={busy}>
            {t.send}
          </button>
          <button type="button" onClick={() => onClose()}>
            {t.cancel}
          </button>
        </div>
      </form>
    </div>
  );
}
