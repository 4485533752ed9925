import type { ContactSendOutcome, ContactSendResults, ExternalContactDirectory, ExternalContactEntry } from '../../core/ports/wecom-contacts.js';
import type { WecomClient } from './wecom-client.js';

/**
 * WeCom's side of customer contact (客户联系, docs/protocols/wecom.md §12) for the core: the external
 * contacts of every member with the feature (`get_follow_user_list`, then `batch/get_by_user` 100
 * members at a time), and what became of a group send (`get_groupmsg_send_result` for its member;
 * `cancel_groupmsg_send` to withdraw it).
 */
export class WecomContactGateway implements ContactSendResults, ExternalContactDirectory {
  constructor(private readonly client: WecomClient) {}

  async listExternalContacts(): Promise<ExternalContactEntry[]> {
    const members = await this.client.listFollowUsers();
    const entries: ExternalContactEntry[] = [];
    for (let i = 0; i < members.length; i += 100) {
      const batch = members.slice(i, i + 100);
      let cursor = '';
      do {
        const page = await this.client.listExternalContacts(batch, cursor);
        for (const c of page.contacts) entries.push({ externalUserId: c.externalUserid, followUserId: c.followUserid, name: c.name, remark: c.remark, mobiles: c.remarkMobiles });
        cursor = page.nextCursor;
      } while (cursor !== '');
    }
    return entries;
  }

  async outcomeOf(send: { providerMessageId: string; followUserId: string; externalUserId: string }): Promise<ContactSendOutcome> {
    const results = await this.client.getGroupMsgSendResults(send.providerMessageId, send.followUserId);
    const mine = results.find((r) => r.externalUserid === send.externalUserId);
    // No row for the customer at all: WeCom dropped them from the send (not a contact when it was created).
    if (!mine) return { status: 'failed', reason: 'NOT_A_CONTACT' };
    switch (mine.status) {
      case 1:
        return { status: 'sent', at: new Date((mine.sendTime ?? 0) * 1000) };
      case 2:
        return { status: 'failed', reason: 'NOT_A_CONTACT' };
      case 3:
        return { status: 'failed', reason: 'GROUP_MESSAGE_LIMIT' };
      default:
        return { status: 'pending' };
    }
  }

  async withdraw(providerMessageId: string): Promise<void> {
    await this.client.cancelGroupMsgSend(providerMessageId);
  }
}
