/** What a signed link opens; part of the signature, so a link for one cannot open another. */
export type LinkPurpose = 'survey' | 'staff_form' | 'digest' | 'report' | 'escalation';

/**
 * Signs ids placed in URLs (`<id>.<signature>`) and checks them; `verify` returns the id, or null for
 * a link that was altered or signed for another purpose.
 */
export interface LinkSigner {
  sign(purpose: LinkPurpose, id: string): Promise<string>;
  verify(purpose: LinkPurpose, signed: string): Promise<string | null>;
}
