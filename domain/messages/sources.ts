/**
 * Lines about the source incidents of a correlated incident (domain/incident/sources.ts), posted in each
 * alerted CSM's thread and the war room as part of an update, and written on the timeline.
 */
import { SOURCE_LABELS } from '../incident/sources';
import { STATUS_LABELS } from '../incident-state';
import type { IncidentSource, IncidentStatus } from '../types';
import { oneLine, truncate } from './format';

function described(source: IncidentSource, title: string, status: IncidentStatus): string {
  return `${SOURCE_LABELS[source]}: ${truncate(oneLine(title), 200)} — ${STATUS_LABELS[status].toLowerCase()}`;
}

/** A source incident joined the incident: "Also reported by Statuspage: Elevated error rates on checkout — identified". */
export function alsoReportedLine(source: IncidentSource, title: string, status: IncidentStatus): string {
  return `Also reported by ${described(source, title, status)}`;
}

/** A linked source incident's own status moved (the incident's may not have). */
export function sourceStatusLine(source: IncidentSource, title: string, status: IncidentStatus): string {
  return described(source, title, status);
}

/** This incident absorbed another (a person merged them). */
export function mergedLine(title: string, by?: string): string {
  return `Merged with "${truncate(oneLine(title), 200)}"${by ? ` by ${by}` : ''}: one incident from now on, followed here`;
}

/** A source incident was split out into its own incident. */
export function splitLine(source: IncidentSource, title: string, by?: string): string {
  return `${SOURCE_LABELS[source]} incident "${truncate(oneLine(title), 200)}" split out into its own incident${by ? ` by ${by}` : ''}`;
}
