/**
 * A local OpenID Connect provider for tests, as a real HTTP server on 127.0.0.1 (random port):
 * discovery, authorize (signs in `fake.user` at once, no login form), token (authorization code
 * with PKCE S256 and client_secret_post/basic), JWKS, and RS256-signed ID tokens. It can be told to
 * misbehave on the next token: an expired ID token, the wrong audience, a tampered signature, the
 * wrong nonce, a signature by a key that is not in its JWKS.
 */
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export interface FakeUser { sub: string; email: string; name: string; slackUserId?: string; emailVerified?: boolean }
export type IdTokenFault = 'expired' | 'wrongAudience' | 'tamperedSignature' | 'wrongNonce' | 'unknownKey';

interface PendingCode { clientId: string; redirectUri: string; nonce: string; codeChallenge: string; user: FakeUser }

export interface FakeOidcOptions { clientId?: string; clientSecret?: string; user?: FakeUser }

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export class FakeOidc {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Who the next authorize request signs in. */
  user: FakeUser;
  /** The fault of the next ID token (cleared once used). */
  nextFault: IdTokenFault | undefined;
  /** Token requests the provider answered, for tests that check what the client sent. */
  readonly tokenRequests: Record<string, string>[] = [];
  private readonly codes = new Map<string, PendingCode>();
  private constructor(
    private readonly server: http.Server,
    readonly issuer: string,
    private readonly key: KeyPair,
    private readonly publicJwk: JWK,
    private readonly strangerKey: KeyPair,
    opts: FakeOidcOptions,
  ) {
    this.clientId = opts.clientId ?? 'forewarn-test-client';
    this.clientSecret = opts.clientSecret ?? 'forewarn-test-secret-0123456789';
    this.user = opts.user ?? { sub: 'U-ANA', email: 'ana@corp.example', name: 'Ana Ruiz', slackUserId: 'UA8RXUSPL' };
  }

  static async start(opts: FakeOidcOptions = {}): Promise<FakeOidc> {
    const key = await generateKeyPair('RS256', { extractable: true });
    const strangerKey = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = { ...await exportJWK(key.publicKey), kid: 'fake-key-1', alg: 'RS256', use: 'sig' };
    const holder: { fake?: FakeOidc } = {};
    const server = http.createServer((req, res) => {
      holder.fake!.handle(req, res).catch((err) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'server_error', error_description: String(err) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    holder.fake = new FakeOidc(server, issuer, key, publicJwk, strangerKey, opts);
    return holder.fake;
  }

  /** The variables that point Forewarn at this provider. */
  env(): Record<string, string> {
    return { OIDC_ISSUER: this.issuer, OIDC_CLIENT_ID: this.clientId, OIDC_CLIENT_SECRET: this.clientSecret, OIDC_PROVIDER_NAME: 'Slack' };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
        jwks_uri: `${this.issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'email', 'profile'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        claims_supported: ['sub', 'email', 'email_verified', 'name', 'https://slack.com/user_id'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [this.publicJwk] });
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri') ?? '';
      if (q.get('client_id') !== this.clientId || !redirectUri) return json(400, { error: 'invalid_request', error_description: 'unknown client or no redirect_uri' });
      if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge') || !q.get('nonce') || !q.get('state')) {
        return json(400, { error: 'invalid_request', error_description: 'code flow with PKCE S256, state and nonce required' });
      }
      const code = randomBytes(16).toString('hex');
      this.codes.set(code, { clientId: this.clientId, redirectUri, nonce: q.get('nonce')!, codeChallenge: q.get('code_challenge')!, user: this.user });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: back.href });
      return void res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const form = Object.fromEntries(new URLSearchParams(raw));
      this.tokenRequests.push(form);
      const basic = req.headers.authorization?.match(/^Basic (.+)$/)?.[1];
      const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [];
      const clientId = form.client_id ?? basicId;
      const secret = form.client_secret ?? basicSecret;
      if (clientId !== this.clientId || secret !== this.clientSecret) return json(401, { error: 'invalid_client' });
      const pending = this.codes.get(form.code ?? '');
      this.codes.delete(form.code ?? '');
      if (form.grant_type !== 'authorization_code' || !pending || pending.redirectUri !== form.redirect_uri) return json(400, { error: 'invalid_grant' });
      const challenge = createHash('sha256').update(form.code_verifier ?? '').digest('base64url');
      if (challenge !== pending.codeChallenge) return json(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      return json(200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 3600, id_token: await this.idToken(pending) });
    }
    return json(404, { error: 'not_found' });
  }

  private async idToken(pending: PendingCode): Promise<string> {
    const fault = this.nextFault;
    this.nextFault = undefined;
    const now = Math.floor(Date.now() / 1000);
    const { user } = pending;
    const jwt = new SignJWT({
      email: user.email, email_verified: user.emailVerified ?? true, name: user.name,
      nonce: fault === 'wrongNonce' ? 'not-the-nonce' : pending.nonce,
      ...(user.slackUserId ? { 'https://slack.com/user_id': user.slackUserId } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'fake-key-1', typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(user.sub)
      .setAudience(fault === 'wrongAudience' ? 'someone-else' : pending.clientId)
      .setIssuedAt(fault === 'expired' ? now - 7200 : now)
      .setExpirationTime(fault === 'expired' ? now - 3600 : now + 600);
    const token = await jwt.sign(fault === 'unknownKey' ? this.strangerKey.privateKey : this.key.privateKey);
    if (fault !== 'tamperedSignature') return token;
    // The same header and claims with another user's email: the signature no longer matches.
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.email = 'admin@corp.example';
    return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
  }
}
