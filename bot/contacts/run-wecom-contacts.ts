import type { Huifang } from '../huifang.js';
import { WecomClient } from '../channels/wecom/wecom-client.js';
import { WecomContactGateway } from '../channels/wecom/wecom-contact-gateway.js';
import { matchExternalContacts, type ContactMatchReport } from '../core/contacts/match-external-contacts.js';
import { collectContactResults, type ContactResultsSummary } from '../core/contacts/collect-contact-results.js';
import { WecomContactAccessError } from '../staff/sync-wecom-contacts.js';

const DAY_MS = 86_400_000;

/**
 * WeCom's customer-contact side (客户联系) for the configured application: the external contacts and the
 * outcome of group sends (docs/protocols/wecom.md §12).
 *
 * @throws WecomContactAccessError when WeCom is not configured
 */
export function wecomContactGateway(app: Huifang): WecomContactGateway {
  const wecom = app.config.wecom;
  if (!wecom) throw new WecomContactAccessError('WeCom is not configured: set WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_CALLBACK_TOKEN and WECOM_ENCODING_AES_KEY');
  return new WecomContactGateway(new WecomClient({ corpId: wecom.corpId, agentId: wecom.agentId, secret: wecom.secret, apiBase: wecom.apiBase, clock: app.clock, logger: app.logger }));
}

/** `huifang wecom-contacts match` and the daily `sync-wecom-contacts` job: customers matched to external contacts. */
export async function runWecomContactMatch(app: Huifang, options: { dryRun?: boolean } = {}): Promise<ContactMatchReport> {
  return matchExternalContacts({ clock: app.clock, store: app.directory.wecomContacts, directory: wecomContactGateway(app) }, options);
}

/** The `collect-wecom-contact-results` job: outcomes of queued 客户联系 messages, with their fallbacks. */
export async function runCollectWecomContactResults(app: Huifang): Promise<ContactResultsSummary> {
  const confirmWithinDays = app.config.wecom?.customerContact.confirmWithinDays ?? 3;
  return collectContactResults(app.deps, { store: app.directory.wecomContacts, results: wecomContactGateway(app), confirmWithinMs: confirmWithinDays * DAY_MS });
}
