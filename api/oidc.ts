/**
 * The OpenID Connect relying party (openid-client): authorization code flow with PKCE, state and
 * nonce; the ID token's signature is checked against the provider's JWKS as well as its issuer,
 * audience, expiry and nonce. Discovery runs on first use and is retried after a failure.
 */
import * as oidc from 'openid-client';
import type { AuthConfig } from '../config';

type OidcSettings = NonNullable<AuthConfig['oidc']>;

export interface SignInStart { url: string; state: string; nonce: string; codeVerifier: string }
export interface SignedInIdentity { subject: string; email: string; name: string; slackUserId?: string }

export class SignInError extends Error {}

/**
 * A refused answer (bad signature, audience, expiry, nonce, an error from the provider) becomes a
 * SignInError naming the check, from the library's innermost message; anything else (the provider
 * unreachable) is thrown as it is.
 */
function refusal(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  const isProtocol = err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError
    || (typeof code === 'string' && code.startsWith('OAUTH_'));
  if (!isProtocol) return err;
  const cause = (err as Error).cause;
  const reason = cause instanceof Error ? cause.message : (err as Error).message;
  return new SignInError(`The identity provider's answer was refused: ${reason}.`);
}

export function createOidcClient(settings: OidcSettings) {
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc.discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, {
      execute: [...(settings.allowInsecureIssuer ? [oidc.allowInsecureRequests] : []), oidc.enableNonRepudiationChecks],
      timeout: 10,
    }).catch((err) => {
      discovered = undefined;
      throw err;
    });
    return discovered;
  };

  return {
    async start(): Promise<SignInStart> {
      const config = await configuration();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUrl, scope: settings.scopes, state, nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
      });
      return { url: url.href, state, nonce, codeVerifier };
    },

    /** Exchanges the code from the callback's query and returns who signed in; throws SignInError with the reason. */
    async finish(query: string, expected: { state: string; nonce: string; codeVerifier: string }): Promise<SignedInIdentity> {
      const config = await configuration();
      const callback = new URL(settings.redirectUrl);
      callback.search = query;
      let claims: oidc.IDToken | undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: expected.codeVerifier, expectedState: expected.state, expectedNonce: expected.nonce, idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (err) {
        throw refusal(err);
      }
      if (!claims) throw new SignInError('The identity provider sent no ID token.');
      const email = typeof claims.email === 'string' ? claims.email : undefined;
      if (!email || claims.email_verified === false) throw new SignInError('The identity provider did not vouch for an email address (scope "email", email_verified).');
      const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name : email;
      // Slack's OIDC names the Slack user in a claim of its own: it links the person to their Slack clicks.
      const slackUserId = claims['https://slack.com/user_id'];
      return { subject: claims.sub, email, name, ...(typeof slackUserId === 'string' ? { slackUserId } : {}) };
    },
  };
}

export type OidcClient = ReturnType<typeof createOidcClient>;
