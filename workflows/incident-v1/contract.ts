/**
 * The contract of incidents started before the customer list moved to Postgres (workflow type
 * `incidentWorkflow`). Frozen with the code in this folder: the names are the ones those
 * workflows registered, the shapes the ones they carry. New incidents use ../contract.ts.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { IncidentSettings } from '../../domain/incident/model';
import type { CsmStateV1, CustomerStateV1, IncidentStateV1 } from '../../domain/incident/v1';
import type { IncidentEvent } from '../../domain/types';
import type { DraftEmailsInput, SetOutreachStatusInput, SetOutreachStatusResult } from '../contract';

export {
  acknowledgeSignal, incidentEventSignal, joinWarRoomSignal, scheduleFollowUpsUpdate, setOutreachStatusUpdate, SEARCH_ATTRIBUTES,
  UPDATE_REJECTIONS, type DraftEmailsInput, type IncidentSettings,
} from '../contract';
export type { SetOutreachStatusInput, SetOutreachStatusResult };
export type CsmState = CsmStateV1;
export type CustomerState = CustomerStateV1;
export type IncidentState = IncidentStateV1;

export interface IncidentWorkflowInput {
  settings: IncidentSettings;
  carried?: IncidentState;
  pending?: IncidentEvent[];
  continueAsNewAtHistoryLength?: number;
}

export const stateQuery = defineQuery<IncidentState>('state');
export interface DraftEmailsResult { drafted: number; customerIds: string[] }
export const draftEmailsUpdate = defineUpdate<DraftEmailsResult, [DraftEmailsInput]>('draftEmails');
export const sendResolutionEmailsUpdate = defineUpdate<DraftEmailsResult, [DraftEmailsInput]>('sendResolutionEmails');
