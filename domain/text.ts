/**
 * Text that Postgres or JSON cannot hold: a NUL character (Postgres text and jsonb refuse \u0000) and
 * an unpaired UTF-16 surrogate (not Unicode: jsonb and UTF-8 encoders refuse it). A value carrying
 * either is refused where it enters, because accepted data must be storable and deliverable.
 */

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface TextProblem { path: string; message: string }

/** Why a string cannot be stored, or undefined when it can. */
export function unstorableReason(s: string): string | undefined {
  const m = UNSTORABLE.exec(s);
  if (!m) return undefined;
  return m[0] === '\u0000'
    ? 'contains a NUL character (\\u0000), which cannot be stored'
    : `contains an unpaired surrogate (\\u${m[0].charCodeAt(0).toString(16)}), which is not valid Unicode`;
}

/**
 * Every string (and object key) in a parsed value that cannot be stored, with its path
 * (`body/title`, `body/affectedComponents/0`); at most `limit` of them.
 */
export function findUnstorableText(value: unknown, path: string, limit = 20): TextProblem[] {
  const found: TextProblem[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, p: string) => {
    if (found.length >= limit) return;
    if (typeof v === 'string') {
      const reason = unstorableReason(v);
      if (reason) found.push({ path: p, message: reason });
      return;
    }
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${p}/${i}`));
      return;
    }
    for (const [key, item] of Object.entries(v)) {
      const reason = unstorableReason(key);
      const keyPath = `${p}/${key.replace(/[\u0000\ud800-\udfff]/g, '\ufffd')}`;
      if (reason) found.push({ path: keyPath, message: `its name ${reason}` });
      walk(item, keyPath);
    }
  };
  walk(value, path);
  return found;
}

const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/** `s` with every NUL and unpaired surrogate replaced by U+FFFD: always storable, for text Forewarn writes about bad input. */
export function storableText(s: string): string {
  return s.replace(UNSTORABLE_ALL, '\ufffd');
}

/** `value` with every string (and object key) made storable (storableText); other values as they are. */
export function storableValue<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map((v) => storableValue(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableValue(v)])) as T;
}
