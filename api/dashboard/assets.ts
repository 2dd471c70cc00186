import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { escapeHtml } from '../html';

/** The dashboard's front end: plain ES modules and CSS in ./public, served by the API (no CDN, no build step). */
export const PUBLIC_DIR = path.join(__dirname, 'public');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * Reads every asset once at start. Only files listed here are ever served, so a request path
 * can never reach outside the folder.
 */
export function loadAssets(dir = PUBLIC_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (TYPES[path.extname(entry.name)]) {
        const body = readFileSync(path.join(dir, rel));
        assets.set(rel, { body, type: TYPES[path.extname(entry.name)]!, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
      }
    }
  };
  walk('');
  return assets;
}

/** One version for the whole set, so the shell's asset URLs change whenever any file changes. */
export function assetsVersion(assets: Map<string, Asset>): string {
  const h = createHash('sha1');
  for (const [name, a] of [...assets].sort(([x], [y]) => x.localeCompare(y))) h.update(name).update(a.etag);
  return h.digest('base64url').slice(0, 10);
}

/**
 * The page itself: header, navigation and the sign-in choices are server-rendered; every piece of
 * data is fetched by the script once signed in, so nothing is visible before.
 */
export function renderShell(opts: { version: string; title?: string }): string {
  const v = encodeURIComponent(opts.version);
  const title = escapeHtml(opts.title ?? 'Forewarn');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${title}</title>
<link rel="icon" href="/dashboard/assets/favicon.svg?v=${v}" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/assets/app.css?v=${v}">
<script type="module" src="/dashboard/assets/app.js?v=${v}"></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="#/incidents" aria-label="Forewarn, incidents"><img src="/dashboard/assets/favicon.svg?v=${v}" alt="" width="22" height="22"> Forewarn</a>
  <nav id="nav" aria-label="Views" hidden>
    <a href="#/incidents" data-view="incidents">Incidents</a>
    <a href="#/team" data-view="team">Team</a>
    <a href="#/outcomes" data-view="outcomes">Outcomes</a>
    <a href="#/outbox" data-view="outbox">Outbox</a>
    <a href="#/templates" data-view="templates">Templates</a>
    <a href="#/audit" data-view="audit">Audit</a>
    <a href="#/tokens" data-view="tokens" id="nav-tokens" hidden>Tokens</a>
    <a href="#/people" data-view="people" id="nav-people" hidden>People</a>
  </nav>
  <span id="live" class="live" role="status" aria-live="polite" hidden></span>
  <span id="who" class="who" hidden></span>
  <button id="sign-out" class="link-button" type="button" hidden>Sign out</button>
</header>
<main id="main" tabindex="-1">
  <section id="sign-in" class="sign-in" aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">Sign in to Forewarn</h1>
    <p id="sign-in-oidc" hidden><a id="sign-in-oidc-link" class="button">Sign in</a></p>
    <form id="sign-in-form" novalidate hidden>
      <p>Local development: use one of the API tokens configured in <code>API_TOKENS</code>. It is kept only for this browser tab's session.</p>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required spellcheck="false">
      <button type="submit">Sign in with the token</button>
    </form>
    <p id="sign-in-error" class="error" role="alert" hidden></p>
  </section>
  <div id="view" hidden></div>
</main>
<noscript><p class="error">The dashboard needs JavaScript. The same data is available from the REST API at /docs.</p></noscript>
</body>
</html>
`;
}
