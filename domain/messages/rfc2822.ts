/**
 * A minimal RFC 2822 / MIME builder for Gmail's `raw` field: one text/plain UTF-8 part, headers
 * encoded per RFC 2047 when they are not ASCII, the whole message base64url-encoded.
 */
export interface Mailbox { name?: string; email: string }

export interface RawEmail {
  from: Mailbox;
  to: Mailbox;
  subject: string;
  text: string;
  /** Without angle brackets; lets a retry find an earlier copy (Gmail search `rfc822msgid:`). */
  messageId?: string;
  date?: Date;
}

// Deliberately strict: a CSM can fix a contact address, a bounce reaches nobody.
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isValidEmailAddress(address: string | undefined | null): address is string {
  if (!address || address.length > 254) return false;
  if (!ADDRESS.test(address)) return false;
  const local = address.slice(0, address.lastIndexOf('@'));
  return local.length <= 64 && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..');
}

export class InvalidAddressError extends Error {
  constructor(public readonly address: string, public readonly field: 'from' | 'to') {
    super(`invalid ${field} address: ${JSON.stringify(address)}`);
    this.name = 'InvalidAddressError';
  }
}

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** RFC 2047 encoded-word(s) for non-ASCII header text; chunks stay under 75 characters each. */
export function encodeHeaderText(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  if (isAscii(clean)) return clean;
  const words: string[] = [];
  let chunk = '';
  for (const ch of clean) {
    // 45 bytes of UTF-8 become 60 base64 characters: "=?UTF-8?B?" + 60 + "?=" = 72.
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

function formatMailbox(m: Mailbox, field: 'from' | 'to'): string {
  if (!isValidEmailAddress(m.email)) throw new InvalidAddressError(m.email, field);
  const name = m.name?.replace(/[\r\n]+/g, ' ').trim();
  if (!name) return m.email;
  if (!isAscii(name)) return `${encodeHeaderText(name)} <${m.email}>`;
  // Quoted-string for names with specials (commas, dots...); escape quotes and backslashes.
  const quoted = /[()<>[\]:;@\\,."]/.test(name) ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name;
  return `${quoted} <${m.email}>`;
}

function wrapBase64(data: string): string {
  return (data.match(/.{1,76}/g) ?? []).join('\r\n');
}

export function buildRawEmail(email: RawEmail): string {
  const headers = [
    `From: ${formatMailbox(email.from, 'from')}`,
    `To: ${formatMailbox(email.to, 'to')}`,
    `Subject: ${encodeHeaderText(email.subject)}`,
    ...(email.date ? [`Date: ${email.date.toUTCString().replace('GMT', '+0000')}`] : []),
    ...(email.messageId ? [`Message-ID: <${email.messageId.replace(/[<>\s]/g, '')}>`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: base64',
  ];
  const body = wrapBase64(Buffer.from(email.text.replace(/\r?\n/g, '\r\n'), 'utf8').toString('base64'));
  return `${headers.join('\r\n')}\r\n\r\n${body}\r\n`;
}

export function toBase64Url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** The value for Gmail's `raw` field. */
export function rawEmailBase64Url(email: RawEmail): string {
  return toBase64Url(buildRawEmail(email));
}
