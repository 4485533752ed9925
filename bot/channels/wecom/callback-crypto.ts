import { timingSafeEqual } from 'node:crypto';
import { decrypt, getSignature } from '@wecom/crypto';
import { XmlReadError, readXml, type XmlValue } from '../read-xml.js';
import { unsafeTextReason } from '../../inbound-text.js';

/**
 * The WeCom callback envelope (docs/protocols/wecom.md §6): `msg_signature` check, AES decryption and
 * receiveid check with `@wecom/crypto` (which does neither check itself, §8), then XML parsing.
 * Every XML value stays a string: `MsgId` is a 64-bit integer beyond JS's safe range (§6.3).
 */

/** Why a callback was refused. `BAD_SIGNATURE` and `BAD_RECEIVE_ID` mean "not from our WeCom app". */
export type WecomCallbackRejection = 'BAD_SIGNATURE' | 'BAD_RECEIVE_ID' | 'MALFORMED';

export class WecomCallbackError extends Error {
  override readonly name = 'WecomCallbackError';
  constructor(
    readonly code: WecomCallbackRejection,
    message: string,
  ) {
    super(message);
  }
}

/** What verifying a callback needs: `WECOM_CALLBACK_TOKEN`, `WECOM_ENCODING_AES_KEY`, `WECOM_CORP_ID`. */
export interface WecomCallbackSecrets {
  token: string;
  encodingAesKey: string;
  /** For a self-built application the receiveid is the corp id (§6.1). */
  corpId: string;
}

/** The signed query parameters of a callback request. */
export interface WecomSignedQuery {
  msgSignature: string;
  timestamp: string;
  nonce: string;
}

/** One selection of a vote / multiple-choice card (§7.3). */
export interface WecomSelectedItem {
  questionKey: string;
  optionIds: string[];
}

/**
 * A decrypted callback message. The common elements are named; every other top-level element with text
 * is in `fields` under its XML name. All values are strings as received.
 */
export interface WecomCallbackMessage {
  toUserName: string;
  fromUserName: string;
  createTime: string;
  msgType: string;
  agentId: string | null;
  event: string | null;
  eventKey: string | null;
  taskId: string | null;
  cardType: string | null;
  responseCode: string | null;
  content: string | null;
  msgId: string | null;
  selectedItems: WecomSelectedItem[];
  fields: Readonly<Record<string, string>>;
}

function equalInConstantTime(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Verifies `msg_signature` over `encrypted` (the GET `echostr` or the POST `Encrypt`), decrypts it and
 * checks that it was sealed for our corp. Returns the plaintext (GET: the echo string; POST: the XML).
 *
 * @throws WecomCallbackError `BAD_SIGNATURE` or `BAD_RECEIVE_ID`
 */
export function openEncrypted(secrets: WecomCallbackSecrets, query: WecomSignedQuery, encrypted: string): string {
  const expected = getSignature(secrets.token, query.timestamp, query.nonce, encrypted);
  if (!equalInConstantTime(expected, query.msgSignature.toLowerCase())) {
    throw new WecomCallbackError('BAD_SIGNATURE', 'msg_signature does not match');
  }
  let opened: { message: string; id: string };
  try {
    // With a wrong key @wecom/crypto returns garbage rather than throwing (§8); it throws on bad padding
    // or a short buffer. Either way the receiveid check below is what rejects it.
    opened = decrypt(secrets.encodingAesKey, encrypted);
  } catch {
    throw new WecomCallbackError('BAD_RECEIVE_ID', 'the payload does not decrypt with our EncodingAESKey');
  }
  if (!equalInConstantTime(opened.id, secrets.corpId)) {
    throw new WecomCallbackError('BAD_RECEIVE_ID', 'the payload was not sealed for our corp id');
  }
  return opened.message;
}

/** One or several of these may occur (§7.3); the misspelling Opiton* comes from a widely used SDK. */
const ALWAYS_ARRAYS: ReadonlySet<string> = new Set(['SelectedItem', 'OptionId', 'OpitonId']);

/**
 * Parses XML whose root must be `<xml>` (bot/channels/read-xml.ts: one strict pass; no DOCTYPE, so no XXE;
 * nesting capped, WeCom nests four levels). Values stay strings: MsgId, CreateTime and AgentID look
 * numeric but MsgId is 64-bit.
 */
function parseXml(xml: string, what: string): Record<string, unknown> {
  let read: { root: string; value: XmlValue };
  try {
    read = readXml(xml, { arrays: ALWAYS_ARRAYS });
  } catch (error) {
    if (error instanceof XmlReadError) throw new WecomCallbackError('MALFORMED', `${what} is not well-formed XML: ${error.message}`);
    throw error;
  }
  if (read.root !== 'xml' || typeof read.value !== 'object' || Array.isArray(read.value)) throw new WecomCallbackError('MALFORMED', `${what} has no <xml> root element`);
  return read.value;
}

/** The `<Encrypt>` of a POST body (§6.3). @throws WecomCallbackError `MALFORMED` */
export function readEncryptedEnvelope(bodyXml: string): { encrypt: string } {
  const root = parseXml(bodyXml, 'the callback body');
  const encrypt = root.Encrypt;
  if (typeof encrypt !== 'string' || encrypt === '') throw new WecomCallbackError('MALFORMED', 'the callback body has no <Encrypt> element');
  return { encrypt };
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function selectedItemsOf(root: Record<string, unknown>): WecomSelectedItem[] {
  const container = root.SelectedItems;
  if (container === undefined || container === '' || container === null) return [];
  if (typeof container !== 'object') throw new WecomCallbackError('MALFORMED', 'SelectedItems is not a list');
  return asArray((container as Record<string, unknown>).SelectedItem).map((item) => {
    if (item === null || typeof item !== 'object') throw new WecomCallbackError('MALFORMED', 'a SelectedItem is empty');
    const entry = item as Record<string, unknown>;
    const options = (entry.OptionIds ?? entry.OpitonIds) as Record<string, unknown> | string | undefined;
    const ids = options && typeof options === 'object' ? asArray(options.OptionId ?? options.OpitonId) : [];
    return {
      questionKey: typeof entry.QuestionKey === 'string' ? entry.QuestionKey : '',
      optionIds: ids.filter((id): id is string => typeof id === 'string'),
    };
  });
}

/**
 * Parses a decrypted callback message (§7). `ToUserName`, `FromUserName`, `CreateTime` and `MsgType`
 * are required; `SelectedItems` is normalised to arrays whatever the count and spelling.
 *
 * @throws WecomCallbackError `MALFORMED`
 */
export function parseCallbackMessage(xml: string): WecomCallbackMessage {
  const root = parseXml(xml, 'the decrypted message');
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(root)) if (typeof value === 'string') fields[name] = value;
  for (const [name, value] of Object.entries(fields)) {
    // A character reference such as &#0; decodes to text no database can store.
    const reason = unsafeTextReason(value);
    if (reason) throw new WecomCallbackError('MALFORMED', `<${name}> ${reason}`);
  }
  const required = (name: string): string => {
    const value = fields[name];
    if (value === undefined || value === '') throw new WecomCallbackError('MALFORMED', `the decrypted message has no <${name}>`);
    return value;
  };
  const optional = (name: string): string | null => fields[name] ?? null;
  return {
    toUserName: required('ToUserName'),
    fromUserName: required('FromUserName'),
    createTime: required('CreateTime'),
    msgType: required('MsgType'),
    agentId: optional('AgentID'),
    event: optional('Event'),
    eventKey: optional('EventKey'),
    taskId: optional('TaskId'),
    cardType: optional('CardType'),
    responseCode: optional('ResponseCode'),
    content: optional('Content'),
    msgId: optional('MsgId'),
    selectedItems: selectedItemsOf(root),
    fields,
  };
}

/**
 * A POST callback from body to message: envelope, signature over `Encrypt`, decryption, receiveid, XML.
 *
 * @throws WecomCallbackError
 */
export function openCallback(secrets: WecomCallbackSecrets, query: WecomSignedQuery, bodyXml: string): WecomCallbackMessage {
  const { encrypt } = readEncryptedEnvelope(bodyXml);
  return parseCallbackMessage(openEncrypted(secrets, query, encrypt));
}
