/** Shapes of the operations' answers that more than one screen reads. */
export interface Account {
  id: string;
  label: string;
  owner?: string;
  online?: boolean;
  main?: boolean;
  sender_email?: string;
  sender_name?: string;
  kind?: string;
}

export interface Summary {
  account: string;
  id: number;
  subject: string | null;
  from: string | null;
  date_ms: number | null;
  received_at_ms: number;
  message_id: string | null;
}

export interface Message {
  subject: string | null;
  from: string | null;
  to: string | null;
  cc?: string | null;
  message_id?: string | null;
  text: string | null;
  html: string | null;
  attachments: { file_name: string | null; content_type: string; size: number; removed?: boolean }[];
  security: { signature?: string; status?: string; signer?: string; reason?: string } | null;
  documents?: { doctype: string; id: string }[];
}

export const when = (ms?: number | null) => (ms ? new Date(ms).toLocaleString() : '–');

/** A file chosen in an <input type=file>, as base64 without the data: prefix. */
export function fileBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** Offers bytes (base64) or text to the browser as a download. */
export function download(name: string, type: string, data: { base64?: string; text?: string }) {
  const blob = data.base64
    ? new Blob([Uint8Array.from(atob(data.base64), (c) => c.charCodeAt(0))], { type })
    : new Blob([data.text ?? ''], { type });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
