/** Field-level checks shared by every entity: formats, limits and the reader that records errors per field. */
import type { ImportError } from './types';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Keys are what incidents and webhooks name components by: one spelling, no case surprises.
export const KEY = /^[a-z0-9][a-z0-9._-]*$/;
const MAX_TEXT = 1000;

export const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v) : typeof v === 'object' ? 'an object' : String(v);

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads one record's fields, recording an error for each bad one. */
export class FieldReader {
  constructor(
    private readonly value: Record<string, unknown>,
    private readonly at: (field?: string) => string,
    private readonly errors: ImportError[],
  ) {}

  fail(field: string, message: string): undefined {
    this.errors.push({ path: this.at(field), message });
    return undefined;
  }

  private present(field: string): boolean {
    const v = this.value[field];
    return v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');
  }

  /** A trimmed string; undefined (with an error when required) if absent or not a string. */
  string(field: string, required: boolean, max = MAX_TEXT): string | undefined {
    if (!this.present(field)) return required ? this.fail(field, 'is required') : undefined;
    const v = this.value[field];
    if (typeof v !== 'string') return this.fail(field, `must be a string, got ${describe(v)}`);
    const s = v.trim();
    if (s.length > max) return this.fail(field, `must be at most ${max} characters, got ${s.length}`);
    return s;
  }

  email(field: string, required: boolean): string | undefined {
    const s = this.string(field, required);
    if (s === undefined) return undefined;
    if (!EMAIL.test(s)) return this.fail(field, `must be an email address, got ${describe(s)}`);
    return s.toLowerCase();
  }

  key(field: string, required: boolean): string | undefined {
    const s = this.string(field, required, 100);
    if (s === undefined) return undefined;
    if (!KEY.test(s)) return this.fail(field, `must be lower-case letters, digits, ".", "_" or "-" (like "api-gateway"), got ${describe(s)}`);
    return s;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], required: boolean): T | undefined {
    const s = this.string(field, required);
    if (s === undefined) return undefined;
    // CRM exports capitalize freely ("Enterprise", "p1"); the stored value is canonical.
    const found = allowed.find((a) => a.toLowerCase() === s.toLowerCase());
    if (!found) return this.fail(field, `must be one of ${allowed.join(', ')}, got ${describe(s)}`);
    return found;
  }

  number(field: string, opts: { required: boolean; min: number; max: number; integer?: boolean; what: string }): number | undefined {
    if (!this.present(field)) return opts.required ? this.fail(field, 'is required') : undefined;
    const v = this.value[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < opts.min || v > opts.max || (opts.integer && !Number.isInteger(v))) {
      return this.fail(field, `must be ${opts.what}, got ${describe(v)}`);
    }
    return v;
  }

  boolean(field: string): boolean | undefined {
    if (!this.present(field)) return undefined;
    const v = this.value[field];
    if (typeof v !== 'boolean') return this.fail(field, `must be true or false, got ${describe(v)}`);
    return v;
  }

  timestamp(field: string, required: boolean): string | undefined {
    const s = this.string(field, required);
    if (s === undefined) return undefined;
    // Date.parse accepts far too much; demand ISO 8601 with a time zone so "03/04" is never guessed.
    const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? Date.parse(s) : NaN;
    if (Number.isNaN(ms)) return this.fail(field, `must be an ISO 8601 timestamp with a time zone (like "2026-01-29T14:00:00Z"), got ${describe(s)}`);
    return new Date(ms).toISOString();
  }

  /** An array of objects, each checked for unknown fields; absent gives undefined. */
  objects(field: string, known: readonly string[]): { value: Record<string, unknown>; at: (f?: string) => string }[] | undefined {
    if (!this.present(field)) return undefined;
    const v = this.value[field];
    if (!Array.isArray(v)) return this.fail(field, `must be an array, got ${describe(v)}`);
    const out: { value: Record<string, unknown>; at: (f?: string) => string }[] = [];
    v.forEach((item, i) => {
      const at = (f?: string) => this.at(f ? `${field}[${i}].${f}` : `${field}[${i}]`);
      if (!isObject(item)) {
        this.errors.push({ path: at(), message: `must be an object, got ${describe(item)}` });
        return;
      }
      unknownFields(item, known, at, this.errors);
      out.push({ value: item, at });
    });
    return out;
  }

  /** An array of non-empty strings, trimmed; absent gives []. */
  strings(field: string, lowerCase: boolean): string[] {
    if (!this.present(field)) return [];
    const v = this.value[field];
    if (!Array.isArray(v)) {
      this.fail(field, `must be an array of strings, got ${describe(v)}`);
      return [];
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'string' || item.trim() === '') {
        this.errors.push({ path: this.at(`${field}[${i}]`), message: `must be a non-empty string, got ${describe(item)}` });
        return;
      }
      const s = lowerCase ? item.trim().toLowerCase() : item.trim();
      if (!out.includes(s)) out.push(s);
    });
    return out;
  }
}

export function unknownFields(value: Record<string, unknown>, known: readonly string[], at: (f?: string) => string, errors: ImportError[]): void {
  for (const field of Object.keys(value)) {
    if (!known.includes(field)) errors.push({ path: at(field), message: `is not a known field (known: ${known.join(', ')})` });
  }
}

// Building an Intl formatter is slow (~1 ms); an export repeats a handful of zones thousands of times.
const timeZones = new Map<string, boolean>();
export function validTimeZone(tz: string): boolean {
  let valid = timeZones.get(tz);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
    timeZones.set(tz, valid);
  }
  return valid;
}
