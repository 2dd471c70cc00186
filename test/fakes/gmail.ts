/**
 * A local Google for tests: the OAuth token endpoint (JWT-bearer grant of a service account with
 * domain-wide delegation) and the Gmail API calls Forewarn makes, as a real HTTP server on
 * 127.0.0.1 (random port). Point `GMAIL_API_ROOT_URL` at `fake.rootUrl` and `GOOGLE_TOKEN_URL` at
 * `fake.tokenUrl`; `writeServiceAccountKey()` writes a key file whose signature the fake checks.
 * It records every request and can be told to refuse a mailbox, rate-limit, or fail.
 *
 * The mailbox side of the outreach tracking: `sendDraft()` is the CSM pressing Send on a draft (it moves
 * to Sent with its Message-ID and thread, as Gmail keeps them), `receiveReply()` the customer answering
 * in the thread; messages.list (`q`: `rfc822msgid:`, `in:sent`), messages.get and threads.get answer
 * them as Gmail does (ids, threadId, labelIds, internalDate, payload.headers).
 */
import http from 'node:http';
import { createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface ParsedEmail {
  headers: Record<string, string>;
  from: string;
  to: string;
  subject: string;
  messageId?: string;
  text: string;
}

export interface FakeMail {
  id: string;
  messageId: string;
  threadId: string;
  /** The impersonated mailbox (the token's `sub`). */
  mailbox: string;
  raw: string;
  parsed: ParsedEmail;
  labelIds: string[];
  /** Epoch ms, as Gmail's internalDate (a string in its JSON). */
  internalDate: number;
}

export interface GmailRequest { method: string; path: string; at: number; status: number; mailbox?: string; body?: unknown }

type Operation = 'token' | 'drafts.create' | 'messages.send' | 'drafts.list' | 'messages.list' | 'messages.get' | 'threads.get';

// Deliberately close to Gmail's own check of the To header.
const ADDRESS = /<?([^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)>?\s*$/;

function decodeWords(value: string): string {
  return value.replace(/=\?UTF-8\?B\?([^?]*)\?=\s*/gi, (_m, b64: string) => Buffer.from(b64, 'base64').toString('utf8')).trim();
}

export function parseRawEmail(raw: string): ParsedEmail {
  const mime = Buffer.from(raw, 'base64url').toString('utf8');
  const split = mime.indexOf('\r\n\r\n');
  const head = mime.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = mime.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const text = /base64/i.test(headers['content-transfer-encoding'] ?? '')
    ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    : body;
  return {
    headers,
    from: decodeWords(headers.from ?? ''),
    to: decodeWords(headers.to ?? ''),
    subject: decodeWords(headers.subject ?? ''),
    messageId: headers['message-id']?.replace(/[<>]/g, ''),
    text: text.replace(/\r\n/g, '\n'),
  };
}

function googleError(code: number, message: string, status: string, reason?: string) {
  const why = reason ?? (status === 'INVALID_ARGUMENT' ? 'invalidArgument' : status.toLowerCase());
  const domain = why.endsWith('RateLimitExceeded') || why === 'rateLimitExceeded' ? 'usageLimits' : 'global';
  return { error: { code, message, errors: [{ message, domain, reason: why }], status } };
}

/** What Gmail answers when a mailbox's quota is used up: 429 rateLimitExceeded, or 403 with a rate-limit reason. */
const QUOTA_REASON: Record<number, string> = { 429: 'rateLimitExceeded' };

export class FakeGmail {
  readonly requests: GmailRequest[] = [];
  readonly drafts: FakeMail[] = [];
  readonly sent: FakeMail[] = [];
  /** Mail the mailboxes received (customers' replies). */
  readonly inbox: FakeMail[] = [];
  /** access token → impersonated mailbox */
  private tokens = new Map<string, string>();
  /** access token → the scopes it was granted */
  private tokenScopes = new Map<string, string>();
  private serviceAccounts = new Map<string, KeyObject>();
  private deniedMailboxes = new Set<string>();
  private failures = new Map<Operation, { status: number; message: string; times: number; retryAfter?: number; reason?: string }>();
  private server!: http.Server;
  private port = 0;
  private seq = 0;

  static async start(): Promise<FakeGmail> {
    const fake = new FakeGmail();
    fake.server = http.createServer((req, res) => { void fake.handle(req, res); });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get rootUrl(): string { return `http://127.0.0.1:${this.port}`; }
  get tokenUrl(): string { return `http://127.0.0.1:${this.port}/token`; }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.requests.length = 0;
    this.drafts.length = 0;
    this.sent.length = 0;
    this.inbox.length = 0;
    this.deniedMailboxes.clear();
    this.failures.clear();
  }

  /** Writes a service-account key file (as downloaded from Google Cloud) and trusts its key. */
  writeServiceAccountKey(clientEmail = 'forewarn@forewarn-test.iam.gserviceaccount.com'): string {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.serviceAccounts.set(clientEmail, publicKey);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'forewarn-sa-')), 'service-account.json');
    writeFileSync(file, JSON.stringify({
      type: 'service_account', project_id: 'forewarn-test', private_key_id: randomBytes(8).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), client_email: clientEmail,
      client_id: '1234567890', token_uri: this.tokenUrl,
    }, null, 2));
    return file;
  }

  /** The token endpoint refuses to impersonate this mailbox (delegation not granted). */
  denyMailbox(email: string): void {
    this.deniedMailboxes.add(email.toLowerCase());
  }

  /**
   * The next `times` calls of `operation` answer `status` with Gmail's error body (a 429 has
   * reason rateLimitExceeded; `reason` sets another, e.g. 403 userRateLimitExceeded), and a
   * Retry-After header of `retryAfter` seconds when given.
   */
  failNext(operation: Operation, status: number, message: string, times = 1, retryAfter?: number, reason?: string): void {
    this.failures.set(operation, { status, message, times, retryAfter, reason });
  }

  calls(operation: Operation): GmailRequest[] {
    return this.requests.filter((r) => r.method === operation);
  }

  draftsIn(mailbox: string): FakeMail[] {
    return this.drafts.filter((d) => d.mailbox === mailbox);
  }

  /** The CSM presses Send on a draft: it leaves Drafts for Sent, keeping its Message-ID and thread. */
  sendDraft(draftId: string, at = Date.now()): FakeMail {
    const i = this.drafts.findIndex((d) => d.id === draftId);
    if (i < 0) throw new Error(`no draft ${draftId}`);
    const [draft] = this.drafts.splice(i, 1);
    const mail = { ...draft!, labelIds: ['SENT'], internalDate: at };
    this.sent.push(mail);
    return mail;
  }

  /** The customer answers in the thread of `to` (a sent mail): a message in that mailbox's inbox. */
  receiveReply(to: FakeMail, from: string, text = 'Thanks, we are seeing errors too.', at = Date.now()): FakeMail {
    this.seq += 1;
    const headers = [
      `From: ${from}`, `To: ${to.mailbox}`, `Subject: Re: ${to.parsed.subject}`, `Message-ID: <reply-${this.seq}@customer.example>`,
      `In-Reply-To: <${to.parsed.messageId}>`, 'Content-Type: text/plain; charset=UTF-8',
    ];
    const raw = Buffer.from(`${headers.join('\r\n')}\r\n\r\n${text}`).toString('base64url');
    const mail: FakeMail = {
      id: `r-${this.seq}`, messageId: `m${String(this.seq).padStart(15, '0')}`, threadId: to.threadId, mailbox: to.mailbox,
      raw, parsed: parseRawEmail(raw), labelIds: ['INBOX', 'UNREAD'], internalDate: at,
    };
    this.inbox.push(mail);
    return mail;
  }

  /** A message as Gmail's messages.get / threads.get show it (format metadata: the headers asked for). */
  private messageResource(m: FakeMail, metadataHeaders: string[]) {
    const names: Record<string, string> = { from: 'From', to: 'To', subject: 'Subject', 'message-id': 'Message-ID', date: 'Date', 'in-reply-to': 'In-Reply-To' };
    const wanted = metadataHeaders.map((h) => h.toLowerCase());
    const headers = Object.entries(m.parsed.headers)
      .filter(([k]) => wanted.length === 0 || wanted.includes(k))
      .map(([k, value]) => ({ name: names[k] ?? k, value }));
    return { id: m.messageId, threadId: m.threadId, labelIds: m.labelIds, internalDate: String(m.internalDate), payload: { headers } };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.rootUrl);
    const route = this.route(req.method ?? 'GET', url.pathname);
    const record: GmailRequest = { method: route ?? `${req.method} ${url.pathname}`, path: url.pathname + url.search, at: Date.now(), status: 200 };
    this.requests.push(record);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(json));
    };
    if (!route) return reply(404, googleError(404, 'Not Found', 'NOT_FOUND'));

    const failure = this.failures.get(route);
    if (failure && failure.times > 0) {
      failure.times -= 1;
      const headers: Record<string, string> = failure.retryAfter ? { 'retry-after': String(failure.retryAfter) } : {};
      if (route === 'token') return reply(failure.status, { error: 'temporarily_unavailable', error_description: failure.message }, headers);
      const status = failure.status === 429 ? 'RESOURCE_EXHAUSTED' : failure.status === 403 ? 'PERMISSION_DENIED' : failure.status === 400 ? 'INVALID_ARGUMENT' : 'UNAVAILABLE';
      return reply(failure.status, googleError(failure.status, failure.message, status, failure.reason ?? QUOTA_REASON[failure.status]), headers);
    }
    if (route === 'token') return this.token(body, reply);

    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const mailbox = auth ? this.tokens.get(auth) : undefined;
    if (!mailbox) return reply(401, googleError(401, 'Request had invalid authentication credentials.', 'UNAUTHENTICATED'));
    record.mailbox = mailbox;
    const userId = decodeURIComponent(url.pathname.split('/')[4] ?? '');
    if (userId !== 'me' && userId.toLowerCase() !== mailbox) return reply(403, googleError(403, 'Delegation denied', 'PERMISSION_DENIED'));

    if (route === 'drafts.list' || route === 'messages.list') {
      const q = url.searchParams.get('q') ?? '';
      const wanted = /rfc822msgid:(\S+)/.exec(q)?.[1]?.replace(/[<>]/g, '');
      const pool = route === 'drafts.list' ? this.drafts : /(^|\s)in:sent(\s|$)/i.test(q) ? this.sent : [...this.sent, ...this.inbox];
      const found = pool.filter((m) => m.mailbox === mailbox && (!wanted || m.parsed.messageId === wanted));
      // Like Gmail, an empty result has no list at all.
      return route === 'drafts.list'
        ? reply(200, { ...(found.length ? { drafts: found.map((d) => ({ id: d.id, message: { id: d.messageId, threadId: d.threadId } })) } : {}), resultSizeEstimate: found.length })
        : reply(200, { ...(found.length ? { messages: found.map((m) => ({ id: m.messageId, threadId: m.threadId })) } : {}), resultSizeEstimate: found.length });
    }
    if (route === 'messages.get' || route === 'threads.get') {
      // Reading mail takes a read scope; gmail.compose alone is refused, as by Gmail.
      if (!/gmail\.(readonly|modify)|mail\.google\.com/.test(this.tokenScopes.get(auth!) ?? '')) {
        return reply(403, googleError(403, 'Request had insufficient authentication scopes.', 'PERMISSION_DENIED', 'insufficientPermissions'));
      }
      const id = decodeURIComponent(url.pathname.split('/')[6] ?? '');
      const headers = url.searchParams.getAll('metadataHeaders');
      const all = [...this.sent, ...this.inbox, ...this.drafts].filter((m) => m.mailbox === mailbox);
      if (route === 'messages.get') {
        const m = all.find((x) => x.messageId === id);
        return m ? reply(200, this.messageResource(m, headers)) : reply(404, googleError(404, 'Requested entity was not found.', 'NOT_FOUND', 'notFound'));
      }
      const thread = all.filter((x) => x.threadId === id && !x.labelIds.includes('DRAFT')).sort((a, b) => a.internalDate - b.internalDate);
      return thread.length
        ? reply(200, { id, historyId: String(this.seq), messages: thread.map((m) => this.messageResource(m, headers)) })
        : reply(404, googleError(404, 'Requested entity was not found.', 'NOT_FOUND', 'notFound'));
    }

    let json: { raw?: string; message?: { raw?: string } };
    try {
      json = JSON.parse(body || '{}');
    } catch {
      return reply(400, googleError(400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT'));
    }
    record.body = json;
    const raw = route === 'drafts.create' ? json.message?.raw : json.raw;
    if (!raw) return reply(400, googleError(400, "'raw' RFC822 payload message string or uploading message via /upload/* URL required", 'INVALID_ARGUMENT'));
    const parsed = parseRawEmail(raw);
    if (!ADDRESS.test(parsed.to)) return reply(400, googleError(400, 'Invalid To header', 'INVALID_ARGUMENT'));
    this.seq += 1;
    const mail: FakeMail = {
      id: `r-${this.seq}`, messageId: `m${String(this.seq).padStart(15, '0')}`, threadId: `t${String(this.seq).padStart(15, '0')}`,
      mailbox, raw, parsed, labelIds: route === 'drafts.create' ? ['DRAFT'] : ['SENT'], internalDate: Date.now(),
    };
    if (route === 'drafts.create') {
      this.drafts.push(mail);
      return reply(200, { id: mail.id, message: { id: mail.messageId, threadId: mail.threadId, labelIds: ['DRAFT'] } });
    }
    this.sent.push(mail);
    return reply(200, { id: mail.messageId, threadId: mail.threadId, labelIds: ['SENT'] });
  }

  private route(method: string, pathname: string): Operation | undefined {
    if (method === 'POST' && pathname === '/token') return 'token';
    const item = /^\/gmail\/v1\/users\/[^/]+\/(messages|threads)\/[^/]+$/.exec(pathname);
    if (item && item[1] === 'threads') return method === 'GET' ? 'threads.get' : undefined;
    if (item && pathname.split('/')[6] !== 'send') return method === 'GET' ? 'messages.get' : undefined;
    const m = /^\/gmail\/v1\/users\/[^/]+\/(drafts|messages\/send|messages)$/.exec(pathname);
    if (!m) return undefined;
    if (m[1] === 'drafts') return method === 'POST' ? 'drafts.create' : method === 'GET' ? 'drafts.list' : undefined;
    if (m[1] === 'messages/send') return method === 'POST' ? 'messages.send' : undefined;
    return method === 'GET' ? 'messages.list' : undefined;
  }

  private token(body: string, reply: (status: number, json: unknown) => void): void {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return reply(400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
    }
    const [h, p, sig] = (form.get('assertion') ?? '').split('.');
    if (!h || !p || !sig) return reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT' });
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { iss?: string; sub?: string; scope?: string; exp?: number; iat?: number };
    const key = claims.iss ? this.serviceAccounts.get(claims.iss) : undefined;
    if (header.alg !== 'RS256' || !key) return reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const valid = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key, Buffer.from(sig, 'base64url'));
    if (!valid) return reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    if (!claims.exp || claims.exp * 1000 < Date.now()) return reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token' });
    const mailbox = (claims.sub ?? claims.iss ?? '').toLowerCase();
    if (this.deniedMailboxes.has(mailbox)) {
      return reply(401, { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' });
    }
    if (!/gmail\.(compose|send|modify|readonly)|mail\.google\.com/.test(claims.scope ?? '')) {
      return reply(400, { error: 'invalid_scope', error_description: 'Invalid OAuth scope' });
    }
    const accessToken = `ya29.fake-${randomBytes(12).toString('hex')}`;
    this.tokens.set(accessToken, mailbox);
    this.tokenScopes.set(accessToken, claims.scope ?? '');
    return reply(200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
  }
}
