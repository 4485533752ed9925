import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SettingStore } from './core/ports/settings.js';
import type { LinkSigner, LinkPurpose } from './core/ports/links.js';

/** Key of the Setting row holding the generated secret when HUIFANG_LINK_SECRET is not set. */
export const LINK_SECRET_SETTING = 'link_secret';

/** Characters of base64url HMAC kept in a link (16 → 96 bits). */
const SIGNATURE_CHARS = 16;

/**
 * Signs the ids put into links (survey pages, staff forms, digest pages, report downloads):
 * `<id>.<signature>`, with HMAC-SHA256 over the purpose and the id. A link cannot be guessed (the id
 * is random) nor altered (the signature is checked before the database is asked). The secret is
 * HUIFANG_LINK_SECRET or, when unset, one generated on first use and kept in the Setting table so
 * every replica and every restart signs alike.
 */
export class HmacLinkSigner implements LinkSigner {
  #secret: Promise<Buffer> | null = null;

  constructor(
    private readonly source: { secret: string | null; settings: SettingStore },
  ) {}

  async sign(purpose: LinkPurpose, id: string): Promise<string> {
    if (id.includes('.')) throw new Error('link ids must not contain "."');
    return `${id}.${signature(await this.#key(), purpose, id)}`;
  }

  async verify(purpose: LinkPurpose, signed: string): Promise<string | null> {
    const dot = signed.lastIndexOf('.');
    if (dot <= 0 || signed.length > 200) return null;
    const id = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1));
    const expected = Buffer.from(signature(await this.#key(), purpose, id));
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
  }

  #key(): Promise<Buffer> {
    this.#secret ??= this.#load().catch((error: unknown) => {
      this.#secret = null;
      throw error;
    });
    return this.#secret;
  }

  async #load(): Promise<Buffer> {
    if (this.source.secret) return Buffer.from(this.source.secret);
    return Buffer.from(await this.source.settings.getOrCreateSetting(LINK_SECRET_SETTING, () => randomBytes(32).toString('base64url')));
  }
}

function signature(key: Buffer, purpose: LinkPurpose, id: string): string {
  return createHmac('sha256', key).update(`${purpose}:${id}`).digest('base64url').slice(0, SIGNATURE_CHARS);
}
