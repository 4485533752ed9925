/**
 * What Tencent Cloud SMS lets an organisation of each sector send (docs/protocols/tencent-sms.md §4.6),
 * and which channels it should use instead. Pure data: `campaign list` flags a campaign whose sector
 * cannot send it by SMS, and the README repeats the table.
 */

/** Sectors a campaign (templates/campaigns, `sector`) may declare. */
export type Sector = 'general' | 'property' | 'auto_repair' | 'utilities' | 'medical' | 'real_estate' | 'education' | 'decoration' | 'finance';

export const SECTORS: readonly Sector[] = ['general', 'property', 'auto_repair', 'utilities', 'medical', 'real_estate', 'education', 'decoration', 'finance'];

/**
 * - `notifications`: service notifications and, for enterprise-verified accounts, marketing (greetings) are allowed;
 * - `verification_only`: only verification codes — no follow-up, survey or greeting SMS;
 * - `none`: the content is banned whatever the template type.
 */
export type SmsAllowance = 'notifications' | 'verification_only' | 'none';

export interface SectorRule {
  sms: SmsAllowance;
  /** Chinese name of the sector. */
  label: string;
  /** Why, in one line (Tencent's 正文模板审核标准). */
  why: string;
  /** Where such an organisation reaches customers instead. */
  instead: string;
}

const INSTEAD = '企业微信客户联系（员工一对一发送）、电话回访、微信服务号模板消息（仅限问卷邀请等服务通知，不可营销）';

export const SECTOR_RULES: Readonly<Record<Sector, SectorRule>> = Object.freeze({
  general: { sms: 'notifications', label: '一般服务业', why: '通知短信与（企业认证账号的）营销短信均可，内容须符合审核标准', instead: '' },
  property: { sms: 'notifications', label: '物业服务', why: '通知短信与营销短信均可，内容须符合审核标准', instead: '' },
  auto_repair: { sms: 'notifications', label: '汽车维修', why: '通知短信与营销短信均可，内容须符合审核标准', instead: '' },
  utilities: { sms: 'notifications', label: '供电、供水等公用事业', why: '通知短信与营销短信均可，内容须符合审核标准', instead: '' },
  medical: { sms: 'none', label: '医疗', why: '腾讯云审核标准禁止医疗内容的短信（通知与营销均不可）', instead: INSTEAD },
  real_estate: { sms: 'verification_only', label: '房地产', why: '腾讯云目前只允许房地产行业发送验证码短信', instead: INSTEAD },
  education: { sms: 'verification_only', label: '教育培训', why: '腾讯云目前只允许教育行业发送验证码短信', instead: INSTEAD },
  decoration: { sms: 'none', label: '装修（含建材和家私）', why: '腾讯云审核标准禁止装修、建材和家私内容的短信', instead: INSTEAD },
  finance: { sms: 'none', label: '金融', why: '腾讯云审核标准禁止金融相关的全部短信（验证码、通知和营销）', instead: INSTEAD },
});

/** Whether an organisation of the sector may send follow-up and greeting SMS at all. */
export function sectorMaySendSms(sector: Sector): boolean {
  return SECTOR_RULES[sector].sms === 'notifications';
}
