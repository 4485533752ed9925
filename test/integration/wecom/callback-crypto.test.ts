import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decrypt as wecomDecrypt, encrypt as wecomEncrypt } from '@wecom/crypto';
import { describe, expect, it } from 'vitest';
import {
  openCallback,
  openEncrypted,
  parseCallbackMessage,
  readEncryptedEnvelope,
  WecomCallbackError,
  type WecomCallbackSecrets,
} from '../../../bot/channels/wecom/callback-crypto.js';
import { simDecrypt, simEncrypt, simSignature } from '../../simulators/wecom/wecom-sim-crypto.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/wecom');
const vectors = JSON.parse(readFileSync(join(FIXTURES, 'official-vectors.json'), 'utf8')) as {
  token: string;
  encodingAesKey: string;
  corpId: string;
  verifyUrl: { timestamp: string; nonce: string; echostr: string; msgSignature: string; expectedReply: string };
  event: { timestamp: string; nonce: string; msgSignature: string; encrypt: string; expected: Record<string, string> };
};
const secrets: WecomCallbackSecrets = { token: vectors.token, encodingAesKey: vectors.encodingAesKey, corpId: vectors.corpId };
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

function rejection(fn: () => unknown): WecomCallbackError['code'] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WecomCallbackError);
    return (error as WecomCallbackError).code;
  }
  throw new Error('expected a WecomCallbackError');
}

describe('callback crypto with the official vectors (docs/protocols/wecom.md §8)', () => {
  const get = vectors.verifyUrl;
  const post = vectors.event;

  it('opens the URL-verification echostr', () => {
    const plaintext = openEncrypted(secrets, { msgSignature: get.msgSignature, timestamp: get.timestamp, nonce: get.nonce }, get.echostr);
    expect(plaintext).toBe('1616140317555161061');
  });

  it('opens the event and keeps MsgId a string', () => {
    const envelope = `<xml><ToUserName><![CDATA[${vectors.corpId}]]></ToUserName><Encrypt><![CDATA[${post.encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`;
    const message = openCallback(secrets, { msgSignature: post.msgSignature, timestamp: post.timestamp, nonce: post.nonce }, envelope);
    expect(message).toMatchObject({
      toUserName: 'wx5823bf96d3bd56c7',
      fromUserName: 'mycreate',
      createTime: '1409659813',
      msgType: 'text',
      content: 'hello',
      msgId: '4561255354251345929',
      agentId: '218',
      selectedItems: [],
    });
    expect(typeof message.msgId).toBe('string');
    expect(message.fields).toEqual(post.expected);
  });

  it('refuses a wrong signature, a wrong token and another corp', () => {
    const query = { msgSignature: get.msgSignature, timestamp: get.timestamp, nonce: get.nonce };
    expect(rejection(() => openEncrypted(secrets, { ...query, msgSignature: '0'.repeat(40) }, get.echostr))).toBe('BAD_SIGNATURE');
    expect(rejection(() => openEncrypted(secrets, { ...query, msgSignature: 'short' }, get.echostr))).toBe('BAD_SIGNATURE');
    expect(rejection(() => openEncrypted({ ...secrets, token: 'other' }, query, get.echostr))).toBe('BAD_SIGNATURE');
    expect(rejection(() => openEncrypted(secrets, { ...query, timestamp: '1409659590' }, get.echostr))).toBe('BAD_SIGNATURE');
    expect(rejection(() => openEncrypted({ ...secrets, corpId: 'ww0000000000000000' }, query, get.echostr))).toBe('BAD_RECEIVE_ID');
  });

  it('refuses a payload sealed with another key, even when correctly signed', () => {
    const otherKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
    const encrypted = simEncrypt(otherKey, '<xml/>', vectors.corpId);
    const query = { msgSignature: simSignature(vectors.token, '1', '2', encrypted), timestamp: '1', nonce: '2' };
    expect(rejection(() => openEncrypted(secrets, query, encrypted))).toBe('BAD_RECEIVE_ID');
  });
});

describe('parseCallbackMessage', () => {
  it('normalises SelectedItems to arrays (fixture: template-card-event.xml)', () => {
    const m = parseCallbackMessage(fixture('template-card-event.xml'));
    expect(m).toMatchObject({
      msgType: 'event',
      event: 'template_card_event',
      eventKey: 'satisfied:01HV4Q9Z:1',
      taskId: 'fu_01HV4Q9Z_1',
      cardType: 'button_interaction',
      responseCode: 'rc-scrubbed-0001',
      createTime: '1700000000',
      agentId: '1000002',
    });
    expect(m.selectedItems).toEqual([
      { questionKey: 'q1', optionIds: ['opt1'] },
      { questionKey: 'q2', optionIds: ['opt2', 'opt3'] },
    ]);
  });

  it('accepts the OpitonIds/OpitonId misspelling (fixture: template-card-event-opiton.xml)', () => {
    expect(parseCallbackMessage(fixture('template-card-event-opiton.xml')).selectedItems).toEqual([{ questionKey: 'q1', optionIds: ['optA'] }]);
  });

  it('keeps numeric-looking values as strings, however long', () => {
    const m = parseCallbackMessage(
      '<xml><ToUserName>c</ToUserName><FromUserName>u</FromUserName><CreateTime>0012</CreateTime><MsgType>text</MsgType><MsgId>18446744073709551615</MsgId><Content>1e3</Content></xml>',
    );
    expect(m).toMatchObject({ createTime: '0012', msgId: '18446744073709551615', content: '1e3', event: null, selectedItems: [] });
  });

  it.each([
    ['not XML at all', 'hello'],
    ['unclosed element', '<xml><ToUserName>c</ToUserName>'],
    ['another root', '<root><ToUserName>c</ToUserName></root>'],
    ['a DOCTYPE', '<!DOCTYPE xml [<!ENTITY a "b">]><xml><ToUserName>&a;</ToUserName></xml>'],
    ['a missing FromUserName', '<xml><ToUserName>c</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>'],
  ])('refuses %s as MALFORMED', (_what, xml) => {
    expect(rejection(() => parseCallbackMessage(xml))).toBe('MALFORMED');
  });

  it('refuses an envelope without Encrypt', () => {
    expect(rejection(() => readEncryptedEnvelope('<xml><ToUserName>c</ToUserName></xml>'))).toBe('MALFORMED');
  });
});

describe('simulator crypto (independent of @wecom/crypto)', () => {
  it('reproduces the official signatures and decrypts the official ciphertexts', () => {
    const get = vectors.verifyUrl;
    expect(simSignature(vectors.token, get.timestamp, get.nonce, get.echostr)).toBe(get.msgSignature);
    expect(simDecrypt(vectors.encodingAesKey, get.echostr)).toMatchObject({ message: get.expectedReply, receiveId: vectors.corpId });
    const post = vectors.event;
    expect(simSignature(vectors.token, post.timestamp, post.nonce, post.encrypt)).toBe(post.msgSignature);
    const opened = simDecrypt(vectors.encodingAesKey, post.encrypt);
    expect(opened.receiveId).toBe(vectors.corpId);
    expect(opened.message).toContain('<MsgId>4561255354251345929</MsgId>');
  });

  it('agrees with @wecom/crypto in both directions', () => {
    for (const message of ['', 'x', '回访'.repeat(5), 'a'.repeat(27), 'a'.repeat(28), '<xml>' + 'é'.repeat(300) + '</xml>']) {
      const random = randomBytes(16);
      const ours = simEncrypt(vectors.encodingAesKey, message, vectors.corpId, random);
      expect(ours).toBe(wecomEncrypt(vectors.encodingAesKey, message, vectors.corpId, random));
      expect(wecomDecrypt(vectors.encodingAesKey, ours)).toMatchObject({ message, id: vectors.corpId });
      expect(simDecrypt(vectors.encodingAesKey, wecomEncrypt(vectors.encodingAesKey, message, vectors.corpId))).toMatchObject({ message, receiveId: vectors.corpId });
    }
  });
});
