import { useCallback, useEffect, useRef, useState } from 'react';
import { invoke } from '../api';
import { Dict } from '../i18n';

interface Block {
  id?: string;
  name: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  doctypes: string[];
  signature: boolean;
}
interface Variable {
  name: string;
  description?: string;
  example?: string;
}

const empty: Block = { name: '', subject: '', text: '', html: null, doctypes: [], signature: false };
const fields = (b: Block) => ({
  name: b.name,
  subject: b.subject || null,
  text: b.text || null,
  html: b.html || null,
  doctypes: b.doctypes,
  signature: b.signature,
});

/** Textbausteine: the signature and the blocks, with the variable picker, checking as one types, and a preview. */
export function TextblocksTab({ t, account }: { t: Dict; account?: string }) {
  const [blocks, setBlocks] = useState<Block[]>([]);
  const [b, setB] = useState<Block | null>(null);
  const [variables, setVariables] = useState<Variable[]>([]);
  const [check, setCheck] = useState<{ ok: boolean; field?: string; message?: string } | null>(null);
  const [docId, setDocId] = useState('');
  const [preview, setPreview] = useState<{ subject?: string; text?: string } | null>(null);
  const [message, setMessage] = useState('');
  const text = useRef<HTMLTextAreaElement>(null);
  const reload = useCallback(() => {
    if (account) invoke<{ items: Block[] }>('mail.textblock.list', { account }).then((r) => setBlocks(r.items));
  }, [account]);
  useEffect(reload, [reload]);
  const doctype = b?.doctypes[0] || '';
  useEffect(() => {
    invoke<{ items: Variable[] }>('mail.textblock.variables', doctype ? { doctype } : {})
      .then((r) => setVariables(r.items))
      .catch(() => setVariables([]));
  }, [doctype]);
  // Checked as it is typed, a moment after the last key.
  useEffect(() => {
    if (!b) return;
    const timer = setTimeout(() => {
      invoke<{ ok: boolean; field?: string; message?: string }>('mail.textblock.check', fields(b))
        .then(setCheck)
        .catch((e) => setCheck({ ok: false, message: e.message }));
    }, 300);
    return () => clearTimeout(timer);
  }, [b]);
  if (!account) return <div role="tabpanel">{t.saveFirst}</div>;

  const insert = (name: string) => {
    if (!b || !name) return;
    const area = text.current;
    const at = area ? area.selectionStart : (b.text || '').length;
    const value = b.text || '';
    const placeholder = `{{ ${name} }}`;
    setB({ ...b, text: value.slice(0, at) + placeholder + value.slice(area ? area.selectionEnd : at) });
  };
  const save = async () => {
    if (!b) return;
    setMessage('');
    try {
      const saved = b.id
        ? await invoke<Block>('mail.textblock.update', { id: b.id, ...fields(b) })
        : await invoke<Block>('mail.textblock.create', { account, ...fields(b) });
      setB(saved);
      setMessage(t.saved);
      reload();
    } catch (e) {
      setMessage(t.error + ': ' + (e as Error).message);
    }
  };
  const showPreview = async () => {
    if (!b?.id) return;
    setMessage('');
    try {
      setPreview(await invoke('mail.textblock.render', { id: b.id, ...(doctype && docId ? { doctype, doc_id: docId } : {}) }));
    } catch (e) {
      setMessage(t.error + ': ' + (e as Error).message);
    }
  };
  return (
    <div role="tabpanel" className="form textblocks">
      <ul className="blocks">
        {blocks.map((x) => (
          <li key={x.id}>
            <button type="button" aria-pressed={b?.id === x.id} onClick={() => (setB(x), setPreview(null))}>
              {x.name}
              {x.signature ? ` (${t.signatureBlock})` : ''}
            </button>
          </li>
        ))}
        <li>
          <button type="button" onClick={() => (setB({ ...empty }), setPreview(null))}>
            {t.newBlock}
          </button>
        </li>
      </ul>
      {b && (
        <fieldset>
          <legend>{b.name || t.newBlock}</legend>
          <label>
            {t.blockName}
            <input name="block_name" value={b.name} onChange={(e) => setB({ ...b, name: e.target.value })} />
          </label>
          <label>
            {t.doctypes}
            <input
              name="doctypes"
              value={b.doctypes.join(', ')}
              onChange={(e) => setB({ ...b, doctypes: e.target.value.split(/[,\s]+/).filter(Boolean) })}
            />
          </label>
          <label className="check">
            <input type="checkbox" name="signature_block" checked={b.signature} onChange={(e) => setB({ ...b, signature: e.target.checked })} />
            {t.signatureBlock}
          </label>
          <label>
            {t.subject}
            <input name="block_subject" value={b.subject || ''} onChange={(e) => setB({ ...b, subject: e.target.value })} />
          </label>
          <label>
            {t.insertVariable}
            <select name="variable" value="" onChange={(e) => insert(e.target.value)}>
              <option value="">…</option>
              {variables.map((v) => (
                <option key={v.name} value={v.name}>
                  {v.name}
                  {v.description ? ` – ${v.description}` : ''}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.text}
            <textarea ref={text} name="block_text" rows={10} value={b.text || ''} onChange={(e) => setB({ ...b, text: e.target.value })} />
          </label>
          {check && !check.ok && (
            <p role="alert" className="error" data-field={check.field}>
              {check.message}
            </p>
          )}
          <div className="buttons">
            <button type="button" onClick={save}>
              {t.save}
            </button>
            {b.id && (
              <button
                type="button"
                onClick={async () => {
                  await invoke('mail.textblock.delete', { id: b.id });
                  setB(null);
                  reload();
                }}
              >
                {t.delete}
              </button>
            )}
          </div>
          {b.id && (
            <>
              <label>
                {t.documentId} {doctype && `(${doctype})`}
                <input name="preview_doc_id" value={docId} onChange={(e) => setDocId(e.target.value)} />
              </label>
              <button type="button" onClick={showPreview}>
                {t.preview}
              </button>
            </>
          )}
          {preview && (
            <div className="preview" aria-label={t.preview}>
              <strong>{preview.subject}</strong>
              <pre>{preview.text}</pre>
            </div>
          )}
          {message && <p role="status">{message}</p>}
        </fieldset>
      )}
    </div>
  );
}
