/**
 * Phone number normalisation and masking. Pure: no I/O, no environment, no clock.
 *
 * Numbers are stored as E.164 (`+8613812345678`) and shown to staff, logs and API clients only in
 * masked form (`138****5678`).
 */
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import { DomainError } from './errors.js';

/** A validated phone number. */
export interface NormalizedPhone {
  /** E.164 form, e.g. `+8613812345678`. The only form stored or sent to providers. */
  e164: string;
  /** Display form safe for logs and staff screens, see {@link maskPhone}. */
  masked: string;
}

/**
 * After NFKC (full-width digits, `＋`, `（）`, `－` and the ideographic space become ASCII) a phone
 * number may only contain digits, one leading `+` (possibly inside `(+86)`), and the usual separators. Checked before
 * libphonenumber because its parser otherwise extracts a number from surrounding text
 * (`abc13812345678xyz` would be accepted).
 */
const ALLOWED_CHARACTERS = /^[\s(]*\+?[\d\s\-().]+$/;

/** A mainland China mobile national number: 11 digits starting 13–19. */
const CN_MOBILE_NATIONAL = /^1[3-9]\d{9}$/;

/**
 * Validates a phone number as typed by a person or exported from a HIS/CRM and returns its E.164
 * and masked forms.
 *
 * Accepts national and international forms with spaces, hyphens, dots or parentheses:
 * `13812345678`, `138 1234 5678`, `138-1234-5678`, `+86 138 1234 5678`, `008613812345678`,
 * `86-13812345678`, full-width `１３８１２３４５６７８`, landlines such as `022-23456789` and foreign
 * numbers in international form (`+44 20 7946 0958`). Validity is checked against the full
 * libphonenumber metadata (number ranges, not only lengths), so `12012345678` is rejected.
 *
 * @param input the raw text
 * @param defaultCountry ISO 3166-1 alpha-2 country assumed for numbers without a country code
 * @throws DomainError `INVALID_PHONE` (details `{ field: 'phone' }`) when the input is not a valid
 *   number; the message never repeats the input.
 */
export function normalizePhone(input: string, defaultCountry: string = 'CN'): NormalizedPhone {
  const text = input.normalize('NFKC').trim();
  if (!ALLOWED_CHARACTERS.test(text)) throw invalidPhone();
  const parsed = parsePhoneNumberFromString(text, defaultCountry.toUpperCase() as CountryCode);
  if (parsed === undefined || !parsed.isValid()) throw invalidPhone();
  // Masked from the number just parsed: parsing its E.164 form again would double the cost of a batch's phones.
  return { e164: parsed.number, masked: maskParsed(parsed) };
}

/**
 * Masks an E.164 number for display.
 *
 * - mainland mobile `+8613812345678` → `138****5678` (first 3 and last 4 digits kept);
 * - other mainland numbers `+862223456789` → `******6789` (last 4 kept);
 * - other countries `+442079460958` → `+44 ******0958` (country code, last 4 kept).
 *
 * Never throws: input that is not E.164 keeps only its last 4 digits (`****5678`), so it is safe to
 * call on anything about to be logged.
 */
export function maskPhone(e164: string): string {
  const parsed = e164.startsWith('+') ? parsePhoneNumberFromString(e164) : undefined;
  if (parsed === undefined) return maskAllButLast4(e164.replace(/\D/g, ''));
  return maskParsed(parsed);
}

/** {@link maskPhone} of a parsed number. */
function maskParsed(parsed: PhoneNumber): string {
  const national: string = parsed.nationalNumber;
  if (parsed.countryCallingCode === '86') {
    if (CN_MOBILE_NATIONAL.test(national)) return `${national.slice(0, 3)}****${national.slice(-4)}`;
    return maskAllButLast4(national);
  }
  return `+${parsed.countryCallingCode} ${maskAllButLast4(national)}`;
}

function maskAllButLast4(digits: string): string {
  // Too short to keep anything: revealing 4 of 5 digits would reveal the number.
  if (digits.length <= 6) return '*'.repeat(Math.max(digits.length, 4));
  return '*'.repeat(digits.length - 4) + digits.slice(-4);
}

function invalidPhone(): DomainError {
  return new DomainError('INVALID_PHONE', 'phone is not a valid phone number', { field: 'phone' });
}

/** A mainland mobile number inside free text, with an optional `+86`/`86` prefix and spaces or dashes. */
const MOBILE_IN_TEXT = /(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)/g;

/**
 * Masks every mainland mobile number inside text people typed (a customer's reply, a note):
 * `请联系13812345678` → `请联系138****5678`. Used wherever such text is shown outside its own record.
 */
export function maskPhonesInText(text: string): string {
  return text.replace(MOBILE_IN_TEXT, (_match, head: string, tail: string) => `${head}****${tail}`);
}
