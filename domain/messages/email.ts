/**
 * Customer emails a CSM sends from their own mailbox: the first outreach about an incident and
 * the resolution notice. Built around the approved message (never unapproved text), personalised
 * with the contact's name, the components this customer uses and the status page link.
 */
import type { Incident, Segment } from '../types';
import { componentLabels, formatDuration, joinWords, oneLine } from './format';
import { approvedMessage, type ApprovedMessage, type MessageTemplate } from './templates';
import { csatLinksText } from '../csat';

export type EmailKind = 'outreach' | 'resolution';

export interface EmailCustomer {
  id: string;
  name: string;
  contactName?: string;
  contactEmail?: string;
  componentNames: string[];
  /** Picks templates written for the customer's segment. */
  segment?: Segment;
}

export interface CustomerEmail {
  subject: string;
  text: string;
  approved: ApprovedMessage;
}

function firstName(contactName: string | undefined): string | undefined {
  const first = contactName?.trim().split(/\s+/)[0];
  return first || undefined;
}

export function renderCustomerEmail(input: {
  kind: EmailKind;
  incident: Incident;
  customer: EmailCustomer;
  csm: { name: string; email: string };
  templates: MessageTemplate[];
  componentNames?: Record<string, string>;
  /** Resolution emails: the customer's signed rating link (domain/csat-link.ts), when rating is configured. */
  ratingLink?: string;
}): CustomerEmail {
  const { kind, incident, customer, csm } = input;
  const ratingLinks = kind === 'resolution' && input.ratingLink ? csatLinksText(input.ratingLink) : undefined;
  const approved = approvedMessage(input.templates, {
    incident,
    componentNames: input.componentNames,
    customer: { name: customer.name, contactName: customer.contactName, componentNames: customer.componentNames, segment: customer.segment },
    csm,
    ratingLinks,
  }, { audience: 'customer', channel: 'email', status: kind === 'resolution' ? 'resolved' : undefined });

  const uses = customer.componentNames.length
    ? joinWords(customer.componentNames)
    : joinWords(componentLabels(incident.components, input.componentNames));
  const title = oneLine(incident.title);
  const customerName = oneLine(customer.name);
  const greeting = `Hi ${firstName(customer.contactName) ?? 'there'},`;
  const link = incident.statusPageUrl;
  const lines: string[] = [greeting, '', approved.text, ''];

  if (kind === 'outreach') {
    if (uses) lines.push(`I know ${customerName} relies on ${uses}, so I wanted you to hear about this from me directly rather than discover it yourselves.`, '');
    if (link) lines.push(`You can follow live updates here: ${link}`, '');
    lines.push('I will keep you posted until this is fully resolved. If you are seeing something specific on your side, just reply to this email and I will get it to the right people.', '');
  } else {
    const duration = incident.resolvedAt ? formatDuration(incident.startedAt, incident.resolvedAt) : undefined;
    const span = duration ? ` after ${duration}` : '';
    lines.push(`The issue${uses ? ` affecting ${uses}` : ''} was resolved${span}. Thank you for your patience while we worked on it.`, '');
    if (link) lines.push(`The full timeline is available here: ${link}`, '');
    lines.push(`I would be glad to set up a short call to walk you through what happened and what we are doing to prevent it. Just reply with a time that suits ${customerName}.`, '');
    // A template may place the links itself ({{rating.links}}); otherwise they close the email.
    if (ratingLinks && !approved.text.includes(input.ratingLink!)) lines.push(ratingLinks, '');
  }
  lines.push('Best regards,', oneLine(csm.name));

  // An email template's own subject when it has one; else Forewarn's.
  const subject = approved.subject ? oneLine(approved.subject)
    : kind === 'outreach' ? `${title}: update for ${customerName}` : `Resolved: ${title}`;
  return { subject, text: lines.join('\n'), approved };
}
