import { DomainError } from '../errors.js';
import type { CoreDeps } from '../deps.js';

/**
 * The customer's survey link: `${publicBaseUrl}/s/<token>.<signature>`. The page checks the signature
 * before it asks the database anything, so an altered or guessed link costs no lookup.
 */
export async function surveyLink(deps: Pick<CoreDeps, 'links' | 'publicBaseUrl'>, token: string): Promise<string> {
  return `${deps.publicBaseUrl}/s/${await deps.links.sign('survey', token)}`;
}

/**
 * The id a staff 详情 form link carries: the follow-up and the activation whose card it belongs to
 * (`<followUpId>_<activation>`), so a form of a superseded card is recognised as such.
 */
export function staffFormId(followUpId: string, activation: number): string {
  return `${followUpId}_${activation}`;
}

/** Reads `<followUpId>_<activation>`; throws `INVALID_FORM_LINK` for anything else. */
export function parseStaffFormId(id: string): { followUpId: string; activation: number } {
  const m = /^([0-9A-Za-z]{1,64})_(\d{1,6})$/.exec(id);
  if (!m) throw new DomainError('INVALID_FORM_LINK', 'The form link is not valid', {});
  return { followUpId: m[1]!, activation: Number(m[2]) };
}

/** The staff 详情 form of activation n of a follow-up: `${publicBaseUrl}/f/<id>.<signature>`. */
export async function staffFormLink(deps: Pick<CoreDeps, 'links' | 'publicBaseUrl'>, followUpId: string, activation: number): Promise<string> {
  return `${deps.publicBaseUrl}/f/${await deps.links.sign('staff_form', staffFormId(followUpId, activation))}`;
}
