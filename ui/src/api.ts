/** The console's HTTP API (erphost serve --http): sign-in, invoke, events. */
export interface Session {
  user: string;
  csrf_token: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string,
  ) {
    super(message);
  }
}

let csrf = '';

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await r.text();
  let json: any = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(r.status, 'invalid_json', text);
  }
  if (!r.ok) {
    const e = json.error || {};
    throw new ApiError(r.status, e.code || String(r.status), e.message || r.statusText, e.field);
  }
  return json as T;
}

export async function signIn(user: string, password: string): Promise<Session> {
  const s = await request<Session>('POST', '/api/session', { user, password });
  csrf = s.csrf_token;
  return s;
}

export async function currentSession(): Promise<Session | null> {
  try {
    const s = await request<Session>('GET', '/api/session');
    csrf = s.csrf_token;
    return s;
  } catch {
    return null;
  }
}

export async function signOut(): Promise<void> {
  await request('DELETE', '/api/session');
  csrf = '';
}

/** Runs a plugin operation as the signed-in user; answers what `erphost call` answers. */
export function invoke<T = any>(op: string, params: object = {}): Promise<T> {
  return request<T>('POST', '/api/invoke/' + encodeURIComponent(op), params);
}

export interface RecentEvent {
  id: number;
  type: string;
  at_ms: number;
  data: any;
}

/** The events of the last day the user may see (GET /api/events/recent), oldest first. */
export async function recentEvents(): Promise<RecentEvent[]> {
  return (await request<{ events: RecentEvent[] }>('GET', '/api/events/recent')).events;
}

/** Subscribes to the server-sent events the user may see; returns the unsubscribe. */
export function events(onEvent: (kind: string, data: any) => void): () => void {
  const source = new EventSource('/api/events');
  const handler = (e: MessageEvent) => {
    let data: any = e.data;
    try {
      data = JSON.parse(e.data);
    } catch {
      /* a plain-text event */
    }
    onEvent(e.type, data);
  };
  source.onmessage = handler;
  for (const kind of ['mail.received', 'mail.sent', 'mail.send.failed', 'account.online', 'account.offline'])
    source.addEventListener(kind, handler as EventListener);
  return () => source.close();
}
