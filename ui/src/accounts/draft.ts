/** The account dialog's working copy: mail.account.get's shape, plus the passwords typed in. */
export interface Incoming {
  protocol: string;
  host?: string;
  port?: number;
  user?: string;
  folder?: string;
  password?: string;
  password_set?: boolean;
  ca?: string;
  leave_on_server?: { mode: string; days?: number };
}

export interface Smtp {
  host?: string;
  port?: number;
  security?: string;
  requires_password?: boolean;
  user?: string;
  password?: string;
  password_set?: boolean;
  ca?: string;
}

export interface Retention {
  empty_trash_after_days?: number | null;
  attachments_larger_than_kb?: number | null;
  attachments_after_days?: number | null;
  delete_messages_after_months?: number | null;
}

export interface AccountDraft {
  id?: string;
  label: string;
  owner?: string;
  database?: string;
  kind: string;
  sender_name?: string | null;
  sender_email?: string | null;
  online?: boolean;
  always_signature?: boolean;
  contacts_sync?: boolean;
  retention: Retention;
  visibility: { group: string | null; users: string[] };
  incoming: Incoming | null;
  smtp: Smtp | null;
  can_change?: boolean;
}

/** The incoming types of the seed's Server tab: protocol, default port, TLS from the first byte. */
export const INCOMING_TYPES: { protocol: string; label: string; port: number }[] = [
  { protocol: 'pop3', label: 'POP3', port: 110 },
  { protocol: 'pop3s', label: 'POP3/SSL', port: 995 },
  { protocol: 'imap', label: 'IMAP', port: 143 },
  { protocol: 'imaps', label: 'IMAP/SSL', port: 993 },
  { protocol: 'm365', label: 'Microsoft 365', port: 993 },
];

export const SMTP_PORTS: Record<string, number> = { starttls: 587, tls: 465, none: 25 };

export function newDraft(): AccountDraft {
  return {
    label: '',
    kind: 'personal',
    sender_name: '',
    sender_email: '',
    retention: {},
    visibility: { group: null, users: [] },
    incoming: { protocol: 'imaps', host: '', port: 993, user: '', folder: 'INBOX', leave_on_server: { mode: 'never' } },
    smtp: { host: '', port: 587, security: 'starttls', requires_password: true },
  };
}

const given = (s?: string | null) => (s && s.trim() ? s.trim() : undefined);

/** The parameters of mail.account.create or .update: only what the form holds; an empty password keeps the stored one. */
export function accountParams(a: AccountDraft): Record<string, unknown> {
  const p: Record<string, unknown> = {
    label: a.label,
    kind: a.kind,
    sender_name: given(a.sender_name) ?? null,
    sender_email: given(a.sender_email) ?? null,
    always_signature: !!a.always_signature,
    contacts_sync: !!a.contacts_sync,
    visibility: { group: given(a.visibility.group ?? '') ?? null, users: a.visibility.users },
  };
  const rules = Object.fromEntries(Object.entries(a.retention).filter(([, v]) => typeof v === 'number' && v > 0));
  p.retention = rules;
  if (!a.id && given(a.owner)) p.owner = given(a.owner);
  if (given(a.database)) p.database = given(a.database);
  const i = a.incoming;
  if (i && (given(i.host) || i.protocol === 'm365')) {
    const leave = i.leave_on_server || { mode: 'never' };
    p.incoming = {
      protocol: i.protocol,
      ...(given(i.host) ? { host: given(i.host) } : {}),
      ...(i.port ? { port: i.port } : {}),
      user: i.user || '',
      ...(i.protocol.startsWith('imap') && given(i.folder) ? { folder: given(i.folder) } : {}),
      leave_on_server: leave.mode === 'days' ? { mode: 'days', days: leave.days || 1 } : { mode: leave.mode },
      ...(i.password ? { password: i.password } : {}),
      ...(given(i.ca) ? { ca: i.ca } : {}),
    };
  }
  const s = a.smtp;
  if (s && given(s.host)) {
    p.smtp = {
      host: given(s.host),
      ...(s.port ? { port: s.port } : {}),
      security: s.security || 'starttls',
      requires_password: s.requires_password !== false,
      // The incoming user without a password of its own: the server uses the incoming credentials.
      ...(s.requires_password !== false && given(s.user) && (s.password || given(s.user) !== given(i?.user ?? ''))
        ? { user: given(s.user) }
        : {}),
      ...(s.requires_password !== false && s.password ? { password: s.password } : {}),
      ...(given(s.ca) ? { ca: s.ca } : {}),
    };
  }
  return p;
}
