/**
 * SMS length and billing segments as Tencent Cloud counts them (docs/protocols/tencent-sms.md §4.2).
 * Pure: used for cost estimates and to refuse content Tencent would reject as too long.
 *
 * - Mainland (domestic) SMS: every character — CJK, letter, digit, punctuation of either width, space —
 *   counts as one, and the signature is counted with its brackets (`【签名】`). Up to 70 characters are
 *   one message; a longer one is billed per 67 characters (the rest of each part carries the
 *   concatenation header). The recipient still sees one message.
 * - International SMS: text made only of GSM 03.38 characters is 160 / 153 per part, the extension
 *   characters `^ { } [ ] ~ \ | €` counting two; any other text is UCS-2, 70 / 67 per part, counted in
 *   UTF-16 units (an emoji takes two).
 * - Tencent refuses a message (signature, text and variable values together) above 500 characters.
 */

/** How the message is encoded on the air interface. */
export type SmsEncoding = 'gsm7' | 'ucs2';

/** The measured length of one SMS. */
export interface SmsLength {
  encoding: SmsEncoding;
  /** Characters as Tencent counts them (GSM extension characters count two). */
  characters: number;
  /** Billed messages (Tencent's `Fee`): 1 up to the single-message limit, then per part. */
  segments: number;
  /** Whether Tencent accepts it (at most {@link SMS_MAX_CHARACTERS} characters). */
  withinLimit: boolean;
}

/** Largest message Tencent accepts: signature, text and variable values together. */
export const SMS_MAX_CHARACTERS = 500;

/** Single-message and per-part sizes by encoding. */
export const SMS_SEGMENT_SIZES: Readonly<Record<SmsEncoding, { single: number; part: number }>> = Object.freeze({
  gsm7: Object.freeze({ single: 160, part: 153 }),
  ucs2: Object.freeze({ single: 70, part: 67 }),
});

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '^{}\\[~]|€\f';
const GSM_BASIC_SET = new Set(GSM_BASIC);
const GSM_EXTENSION_SET = new Set(GSM_EXTENSION);

export interface MeasureSmsOptions {
  /** The approved signature text, without brackets; counted as `【signName】`. */
  signName?: string;
  /** A message to a number outside mainland China (GSM 7-bit allowed) [false]. */
  international?: boolean;
}

/**
 * Measures the text a recipient will read. `content` is the rendered template text without the
 * signature; pass `signName` to have `【signName】` counted as Tencent does.
 */
export function measureSms(content: string, options: MeasureSmsOptions = {}): SmsLength {
  const full = options.signName ? `【${options.signName}】${content}` : content;
  if (!options.international) {
    // Domestic: one per character (code point), 70/67 whatever the script.
    const characters = [...full].length;
    return length('ucs2', characters);
  }
  if (isGsm7(full)) {
    let characters = 0;
    for (const c of full) characters += GSM_EXTENSION_SET.has(c) ? 2 : 1;
    return length('gsm7', characters);
  }
  return length('ucs2', full.length);
}

/** Billed messages for `characters` in `encoding`. */
export function countSegments(characters: number, encoding: SmsEncoding): number {
  const size = SMS_SEGMENT_SIZES[encoding];
  if (characters <= 0) return 0;
  return characters <= size.single ? 1 : Math.ceil(characters / size.part);
}

/** Whether every character of `text` exists in the GSM 03.38 alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (const c of text) if (!GSM_BASIC_SET.has(c) && !GSM_EXTENSION_SET.has(c)) return false;
  return true;
}

function length(encoding: SmsEncoding, characters: number): SmsLength {
  return { encoding, characters, segments: countSegments(characters, encoding), withinLimit: characters <= SMS_MAX_CHARACTERS };
}
