/**
 * The storm rule: when a CSM would get more than `threshold` new top-level alerts within
 * `windowSeconds`, further alerts are folded into one digest DM (listing the incidents, each one's
 * detail in the digest's thread) instead of a DM each. A digest stays open while alerts keep
 * joining it within the window; once the storm has been quiet for a window, alerts are top-level
 * again. So a CSM gets at most `threshold` alerts plus one digest per storm.
 *
 * Pure: the caller (db/alert-digests.ts) counts under a per-CSM lock and passes the clock.
 */

export interface DigestSettings {
  /** Top-level alerts a CSM gets within the window before the next ones join a digest; 0 turns digests off. */
  threshold: number;
  windowSeconds: number;
}

export type AlertRoute =
  | { kind: 'direct' }
  | { kind: 'join'; digestKey: string }
  | { kind: 'open'; digestKey: string };

export interface AlertRouteInput {
  /** The alert's own outbox key (a digest it opens is keyed after it). */
  alertKey: string;
  /** Top-level alerts to this CSM created within the window (sent or being sent). */
  recentDirect: number;
  /** The CSM's latest digest, if any. */
  latestDigest?: { key: string; lastJoinedAt: Date };
  now: Date;
  settings: DigestSettings;
}

/** Keyed after the alert that opens it; not an alert's key shape, so nothing counts the digest as that incident's alert. */
export function digestKeyFor(alertKey: string): string {
  return `digest:${alertKey}`;
}

export function routeAlert(input: AlertRouteInput): AlertRoute {
  const { threshold, windowSeconds } = input.settings;
  if (threshold <= 0) return { kind: 'direct' };
  const windowMs = windowSeconds * 1000;
  const latest = input.latestDigest;
  if (latest && input.now.getTime() - latest.lastJoinedAt.getTime() < windowMs) return { kind: 'join', digestKey: latest.key };
  if (input.recentDirect >= threshold) return { kind: 'open', digestKey: digestKeyFor(input.alertKey) };
  return { kind: 'direct' };
}
