import type { Huifang } from '../huifang.js';
import { WecomClient } from '../channels/wecom/wecom-client.js';
import { syncWecomContacts, WecomContactAccessError, type SyncWecomContactsSummary } from './sync-wecom-contacts.js';

/**
 * Runs the WeCom contact sync for the configured application (`huifang staff sync-wecom` and the
 * `sync-wecom-contacts` job): a WeCom client from the WECOM_* settings, then {@link syncWecomContacts}.
 *
 * @throws WecomContactAccessError when WeCom is not configured or refuses the contact list
 */
export async function runWecomContactSync(app: Huifang, options: { dryRun?: boolean } = {}): Promise<SyncWecomContactsSummary> {
  const wecom = app.config.wecom;
  if (!wecom) throw new WecomContactAccessError('WeCom is not configured: set WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_CALLBACK_TOKEN and WECOM_ENCODING_AES_KEY');
  const client = new WecomClient({ corpId: wecom.corpId, agentId: wecom.agentId, secret: wecom.secret, apiBase: wecom.apiBase, clock: app.clock, logger: app.logger });
  return syncWecomContacts({ directory: app.directory.staff, wecom: client, clock: app.clock, ids: app.deps.ids }, options);
}
