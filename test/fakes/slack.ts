/**
 * A local Slack Web API for tests: a real HTTP server on 127.0.0.1 (random port) that speaks the
 * methods Forewarn uses, the way Slack answers them (form-encoded POST, `{ ok, error }` bodies,
 * 429 + Retry-After). Point `@slack/web-api`'s `slackApiUrl` at `fake.apiUrl`.
 * It records every request, and can be told to rate-limit, fail for a user, or answer slowly.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

export interface FakeSlackUser { id: string; email: string; name: string; tz?: string; deleted?: boolean }

export interface FakeChannel {
  id: string;
  /** Empty for IMs (Slack gives them no name). */
  name: string;
  isIm: boolean;
  isPrivate: boolean;
  isArchived: boolean;
  /** IM partner. */
  user?: string;
  members: Set<string>;
  purpose: string;
  created: number;
  creator: string;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  threadTs?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  user: string;
  /** Date.now() when it was posted. */
  postedAt?: number;
}

export interface RecordedRequest {
  method: string;
  params: Record<string, string>;
  /** Date.now() when the request arrived. */
  at: number;
  /** HTTP status answered. */
  status: number;
  /** The `error` answered, when not ok. */
  error?: string;
}

export const BOT_USER = 'UFOREWARNBOT';

export class FakeSlack {
  readonly token: string;
  readonly requests: RecordedRequest[] = [];
  readonly users = new Map<string, FakeSlackUser>();
  readonly channels = new Map<string, FakeChannel>();
  readonly messages: FakeMessage[] = [];
  private server!: http.Server;
  private port = 0;
  private seq = 0;
  private rateLimits = new Map<string, { retryAfter: number; times: number }>();
  private userFailures = new Map<string, string>();
  private failures = new Map<string, { error: string; times: number; httpStatus?: number }>();
  private delays = new Map<string, number>();
  private lostAnswers = new Map<string, { times: number; httpStatus: number }>();
  private pending = new Set<http.ServerResponse>();
  private postInterval = 0;
  private lastPostAt = new Map<string, number>();

  private constructor(token: string) {
    this.token = token;
  }

  static async start(options: { token?: string; users?: FakeSlackUser[] } = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options.token ?? 'xoxb-test-token');
    for (const u of options.users ?? []) fake.addUser(u);
    fake.server = http.createServer((req, res) => { void fake.handle(req, res); });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** For WebClient's `slackApiUrl`. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  async close(): Promise<void> {
    for (const res of this.pending) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Forgets requests, messages, channels and injected failures (users stay). */
  reset(): void {
    this.requests.length = 0;
    this.messages.length = 0;
    this.channels.clear();
    this.rateLimits.clear();
    this.userFailures.clear();
    this.failures.clear();
    this.delays.clear();
    this.lostAnswers.clear();
  }

  addUser(user: FakeSlackUser): void {
    this.users.set(user.id, user);
  }

  /** The next `times` calls of `method` get HTTP 429 with `Retry-After: retryAfter`. */
  rateLimit(method: string, retryAfter: number, times = 1): void {
    this.rateLimits.set(method, { retryAfter, times });
  }

  /**
   * Slack's real posting limit: about one chat.postMessage per second per channel; a faster post
   * gets 429 with Retry-After (seconds until the channel's next slot).
   */
  limitPostsPerChannel(perSecond = 1): void {
    this.postInterval = 1000 / perSecond;
  }

  /** Every call about this user (by id or email) answers `error`, e.g. users_not_found, user_disabled. */
  failUser(idOrEmail: string, error: string): void {
    this.userFailures.set(idOrEmail.toLowerCase(), error);
  }

  /** The next `times` calls of `method` answer `{ ok: false, error }` (or an HTTP error status). */
  failNext(method: string, error: string, times = 1, httpStatus?: number): void {
    this.failures.set(method, { error, times, httpStatus });
  }

  /**
   * The next `times` successful calls of `method` are carried out (a post is made) but answered with an
   * HTTP error, as when Slack's answer is lost on the way: the caller cannot tell it was done.
   */
  loseAnswers(method: string, times = 1, httpStatus = 500): void {
    this.lostAnswers.set(method, { times, httpStatus });
  }

  /** Calls of `method` are carried out at once but answered `ms` later (a slow or hanging Slack). */
  delay(method: string, ms: number): void {
    if (ms <= 0) this.delays.delete(method);
    else this.delays.set(method, ms);
  }

  /** Milliseconds this post must still wait under limitPostsPerChannel (0: it may go now, and takes the slot). */
  private channelWait(method: string, channel: string | undefined): number {
    if (!this.postInterval || method !== 'chat.postMessage' || !channel) return 0;
    const now = Date.now();
    const wait = (this.lastPostAt.get(channel) ?? -Infinity) + this.postInterval - now;
    if (wait > 0) return wait;
    this.lastPostAt.set(channel, now);
    return 0;
  }

  calls(method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  imChannelOf(userId: string): FakeChannel | undefined {
    return [...this.channels.values()].find((c) => c.isIm && c.user === userId);
  }

  /** Top-level DMs the bot sent to a user. */
  dmsTo(userId: string): FakeMessage[] {
    const im = this.imChannelOf(userId);
    return im ? this.messages.filter((m) => m.channel === im.id && !m.threadTs) : [];
  }

  repliesTo(channel: string, ts: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.threadTs === ts);
  }

  channelByName(name: string): FakeChannel | undefined {
    return [...this.channels.values()].find((c) => c.name === name);
  }

  messagesIn(channel: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel);
  }

  /** Creates a channel as if someone else had (e.g. to test name clashes). */
  createChannel(name: string, options: { purpose?: string; isPrivate?: boolean; members?: string[]; creator?: string } = {}): FakeChannel {
    const ch: FakeChannel = {
      id: this.nextId('C'), name, isIm: false, isPrivate: options.isPrivate ?? false, isArchived: false,
      members: new Set(options.members ?? []), purpose: options.purpose ?? '', created: Math.floor(Date.now() / 1000),
      creator: options.creator ?? 'USOMEONEELSE',
    };
    this.channels.set(ch.id, ch);
    return ch;
  }

  private nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}${String(this.seq).padStart(8, '0')}`;
  }

  private nextTs(): string {
    this.seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq).padStart(6, '0')}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const type = String(req.headers['content-type'] ?? '');
    const raw = type.includes('application/json') ? JSON.parse(body || '{}') : parseQuery(body);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) params[k] = typeof v === 'string' ? v : JSON.stringify(v);
    const record: RecordedRequest = { method, params, at: Date.now(), status: 200 };
    this.requests.push(record);

    let status = 200;
    let headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    let result: Record<string, unknown>;
    const limit = this.rateLimits.get(method);
    const failure = this.failures.get(method);
    const channelWait = this.channelWait(method, params.channel);
    if (channelWait > 0) {
      status = 429;
      headers = { ...headers, 'retry-after': String(Math.ceil(channelWait / 1000)) };
      result = { ok: false, error: 'ratelimited' };
    } else if (limit && limit.times > 0) {
      limit.times -= 1;
      status = 429;
      headers = { ...headers, 'retry-after': String(limit.retryAfter) };
      result = { ok: false, error: 'ratelimited' };
    } else if (failure && failure.times > 0) {
      failure.times -= 1;
      status = failure.httpStatus ?? 200;
      result = { ok: false, error: failure.error };
    } else {
      result = this.authorized(req) ?? this.dispatch(method, params);
      const lost = this.lostAnswers.get(method);
      if (lost && lost.times > 0 && result.ok !== false) {
        lost.times -= 1;
        status = lost.httpStatus;
        result = { ok: false, error: 'internal_error' };
      }
    }
    record.status = status;
    if (result.ok === false) record.error = String(result.error);

    const delay = this.delays.get(method);
    if (delay) {
      this.pending.add(res);
      await new Promise((r) => setTimeout(r, delay));
      this.pending.delete(res);
      if (res.destroyed) return;
    }
    res.writeHead(status, headers);
    res.end(JSON.stringify(result));
  }

  private authorized(req: http.IncomingMessage): Record<string, unknown> | null {
    const auth = req.headers.authorization;
    if (!auth) return { ok: false, error: 'not_authed' };
    if (auth !== `Bearer ${this.token}`) return { ok: false, error: 'invalid_auth' };
    return null;
  }

  private userFailure(...keys: (string | undefined)[]): string | undefined {
    for (const k of keys) {
      if (!k) continue;
      const f = this.userFailures.get(k.toLowerCase());
      if (f) return f;
      const user = this.users.get(k);
      if (user) {
        const byEmail = this.userFailures.get(user.email.toLowerCase());
        if (byEmail) return byEmail;
      }
    }
    return undefined;
  }

  private userJson(u: FakeSlackUser) {
    return {
      id: u.id, name: u.name, real_name: u.name, deleted: Boolean(u.deleted), is_bot: false,
      tz: u.tz ?? null, tz_label: u.tz ?? null, profile: { email: u.email, real_name: u.name, display_name: u.name },
    };
  }

  private channelJson(c: FakeChannel) {
    return {
      id: c.id, name: c.isIm ? undefined : c.name, is_channel: !c.isIm && !c.isPrivate, is_group: !c.isIm && c.isPrivate, is_im: c.isIm,
      is_private: c.isPrivate, is_archived: c.isArchived, is_member: c.isIm || c.members.has(BOT_USER), user: c.user,
      created: c.created, creator: c.creator, purpose: { value: c.purpose }, num_members: c.members.size,
    };
  }

  private messageJson(m: FakeMessage, withMetadata: boolean) {
    return {
      type: 'message', user: m.user, bot_id: 'BFOREWARN', text: m.text, ts: m.ts, blocks: m.blocks,
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
    };
  }

  private openIm(userId: string): FakeChannel {
    const existing = this.imChannelOf(userId);
    if (existing) return existing;
    const ch: FakeChannel = {
      id: this.nextId('D'), name: '', isIm: true, isPrivate: true, isArchived: false, user: userId,
      members: new Set([userId, BOT_USER]), purpose: '', created: Math.floor(Date.now() / 1000), creator: BOT_USER,
    };
    this.channels.set(ch.id, ch);
    return ch;
  }

  private dispatch(method: string, p: Record<string, string>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://forewarn-test.slack.com/', team: 'Forewarn Test', user: 'forewarn', team_id: 'T0001', user_id: BOT_USER, bot_id: 'BFOREWARN' };

      case 'users.lookupByEmail': {
        const email = (p.email ?? '').toLowerCase();
        const failed = this.userFailure(email);
        if (failed) return { ok: false, error: failed };
        const user = [...this.users.values()].find((u) => u.email.toLowerCase() === email);
        return user ? { ok: true, user: this.userJson(user) } : { ok: false, error: 'users_not_found' };
      }

      case 'users.info': {
        const failed = this.userFailure(p.user);
        if (failed) return { ok: false, error: failed };
        const user = this.users.get(p.user ?? '');
        return user ? { ok: true, user: this.userJson(user) } : { ok: false, error: 'user_not_found' };
      }

      case 'conversations.open': {
        const ids = (p.users ?? '').split(',').filter(Boolean);
        if (ids.length !== 1) return { ok: false, error: ids.length ? 'not_implemented' : 'users_list_not_supplied' };
        const failed = this.userFailure(ids[0]);
        if (failed) return { ok: false, error: failed };
        const user = this.users.get(ids[0]);
        if (!user) return { ok: false, error: 'user_not_found' };
        if (user.deleted) return { ok: false, error: 'user_disabled' };
        return { ok: true, channel: { id: this.openIm(user.id).id } };
      }

      case 'conversations.create': {
        const name = p.name ?? '';
        if (!name) return { ok: false, error: 'invalid_name_required' };
        if (name.length > 80) return { ok: false, error: 'invalid_name_maxlength' };
        if (!/^[a-z0-9_-]+$/.test(name)) return { ok: false, error: 'invalid_name_specials' };
        if (this.channelByName(name)) return { ok: false, error: 'name_taken' };
        const ch = this.createChannel(name, { isPrivate: p.is_private === 'true', members: [BOT_USER], creator: BOT_USER });
        return { ok: true, channel: this.channelJson(ch) };
      }

      case 'conversations.setPurpose': {
        const ch = this.channels.get(p.channel ?? '');
        if (!ch) return { ok: false, error: 'channel_not_found' };
        ch.purpose = p.purpose ?? '';
        return { ok: true, purpose: ch.purpose };
      }

      case 'conversations.info': {
        const ch = this.channels.get(p.channel ?? '');
        return ch ? { ok: true, channel: this.channelJson(ch) } : { ok: false, error: 'channel_not_found' };
      }

      case 'conversations.invite': {
        const ch = this.channels.get(p.channel ?? '');
        if (!ch || ch.isIm) return { ok: false, error: 'channel_not_found' };
        if (ch.isArchived) return { ok: false, error: 'is_archived' };
        const ids = (p.users ?? '').split(',').filter(Boolean);
        if (ids.length === 0) return { ok: false, error: 'no_user' };
        const errors: { user: string; ok: false; error: string }[] = [];
        for (const id of ids) {
          const failed = this.userFailure(id);
          if (failed) errors.push({ user: id, ok: false, error: failed });
          else if (id === BOT_USER) errors.push({ user: id, ok: false, error: 'cant_invite_self' });
          else if (!this.users.has(id)) errors.push({ user: id, ok: false, error: 'user_not_found' });
          else if (ch.members.has(id)) errors.push({ user: id, ok: false, error: 'already_in_channel' });
        }
        const force = p.force === 'true';
        if (errors.length > 0 && !force) return { ok: false, error: errors[0].error, errors };
        for (const id of ids) if (!errors.some((e) => e.user === id)) ch.members.add(id);
        return { ok: true, channel: this.channelJson(ch), ...(errors.length ? { errors } : {}) };
      }

      case 'conversations.list': {
        const types = (p.types ?? 'public_channel').split(',');
        const all = [...this.channels.values()].filter((c) =>
          (c.isIm ? types.includes('im') : c.isPrivate ? types.includes('private_channel') && c.members.has(BOT_USER) : types.includes('public_channel'))
          && !(p.exclude_archived === 'true' && c.isArchived));
        const limit = Math.min(Number(p.limit) || 100, 1000);
        const start = Number(p.cursor || 0);
        const page = all.slice(start, start + limit);
        const next = start + limit < all.length ? String(start + limit) : '';
        return { ok: true, channels: page.map((c) => this.channelJson(c)), response_metadata: { next_cursor: next } };
      }

      case 'conversations.history': {
        const ch = this.channels.get(p.channel ?? '');
        if (!ch) return { ok: false, error: 'channel_not_found' };
        const oldest = Number(p.oldest ?? 0);
        const found = this.messages
          .filter((m) => m.channel === ch.id && !m.threadTs && Number(m.ts) >= oldest)
          .reverse()
          .slice(0, Math.min(Number(p.limit) || 100, 999));
        return { ok: true, messages: found.map((m) => this.messageJson(m, p.include_all_metadata === 'true')), has_more: false };
      }

      case 'conversations.replies': {
        const ch = this.channels.get(p.channel ?? '');
        if (!ch) return { ok: false, error: 'channel_not_found' };
        const parent = this.messages.find((m) => m.channel === ch.id && m.ts === p.ts);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        const thread = [parent, ...this.repliesTo(ch.id, parent.ts)];
        return { ok: true, messages: thread.map((m) => this.messageJson(m, p.include_all_metadata === 'true')), has_more: false };
      }

      case 'chat.postMessage': {
        let ch = this.channels.get(p.channel ?? '');
        if (!ch && this.users.has(p.channel ?? '')) ch = this.openIm(p.channel);
        if (!ch) return { ok: false, error: 'channel_not_found' };
        if (ch.isIm && ch.user) {
          const failed = this.userFailure(ch.user);
          if (failed) return { ok: false, error: failed };
        }
        if (ch.isArchived) return { ok: false, error: 'is_archived' };
        if (!ch.isIm && !ch.members.has(BOT_USER)) return { ok: false, error: 'not_in_channel' };
        const blocks = p.blocks ? JSON.parse(p.blocks) as unknown[] : [];
        if (!p.text && blocks.length === 0) return { ok: false, error: 'no_text' };
        const invalid = blockProblem(blocks);
        if (invalid) return { ok: false, error: 'invalid_blocks', errors: [invalid] };
        if ((p.text ?? '').length > 40_000) return { ok: false, error: 'msg_too_long' };
        if (p.thread_ts && !this.messages.some((m) => m.channel === ch.id && m.ts === p.thread_ts)) {
          return { ok: false, error: 'thread_not_found' };
        }
        const message: FakeMessage = {
          channel: ch.id, ts: this.nextTs(), text: p.text ?? '', blocks, user: BOT_USER,
          threadTs: p.thread_ts || undefined, metadata: p.metadata ? JSON.parse(p.metadata) : undefined, postedAt: Date.now(),
        };
        this.messages.push(message);
        return { ok: true, channel: ch.id, ts: message.ts, message: this.messageJson(message, true) };
      }

      case 'chat.update': {
        const m = this.messages.find((x) => x.channel === p.channel && x.ts === p.ts);
        if (!m) return { ok: false, error: 'message_not_found' };
        if (p.text !== undefined) m.text = p.text;
        if (p.blocks) m.blocks = JSON.parse(p.blocks);
        return { ok: true, channel: m.channel, ts: m.ts, text: m.text };
      }

      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

/** Slack's Block Kit limits, as enforced by chat.postMessage (invalid_blocks). */
function blockProblem(blocks: unknown[]): string | undefined {
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > 50) return `must be less than 51 items [json-pointer:/blocks]`;
  for (const [i, b] of (blocks as Record<string, any>[]).entries()) { // eslint-disable-line @typescript-eslint/no-explicit-any
    const text = b.text?.text as string | undefined;
    if (b.type === 'section' && (!text || text.length > 3000)) return `section text must be 1-3000 characters [json-pointer:/blocks/${i}/text]`;
    if (b.type === 'header' && (!text || text.length > 150)) return `header text must be 1-150 characters [json-pointer:/blocks/${i}/text]`;
    if (b.type === 'actions') {
      const elements = b.elements as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) return `actions must have 1-25 elements [json-pointer:/blocks/${i}]`;
      const ids = new Set<string>();
      for (const e of elements) {
        if (!e.text?.text || e.text.text.length > 75) return `button text must be 1-75 characters [json-pointer:/blocks/${i}]`;
        if (e.action_id && ids.has(e.action_id)) return `duplicate action_id [json-pointer:/blocks/${i}]`;
        if (e.action_id) ids.add(e.action_id);
        if (e.value && e.value.length > 2000) return `button value too long [json-pointer:/blocks/${i}]`;
      }
    }
  }
  return undefined;
}
