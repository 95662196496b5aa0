/**
 * The languages Plivo's "Speak text on a call" API takes, and the voices each has, from
 * https://www.plivo.com/docs/voice/api/call/speak-text-on-calls/speak-text-on-a-call ("Latest").
 * That page's list is Amazon Polly's standard voices language for language (arb to pt-PT,
 * checked entry by entry); from Romanian on, the copy of the page at hand was cut off, so
 * those entries are Polly's standard voices for the same languages. Plivo's older ("Legacy")
 * list of 16 languages, where pt-PT has only MAN, is superseded by this one.
 * The editor gets this list at build time (scripts/build.js), so it is written once.
 */
export type Voice = 'MAN' | 'WOMAN';

export interface SpeakLanguage {
  code: string;
  name: string;
  voices: readonly Voice[];
}

const BOTH: readonly Voice[] = ['WOMAN', 'MAN'];
const WOMAN: readonly Voice[] = ['WOMAN'];
const MAN: readonly Voice[] = ['MAN'];

export const SPEAK_LANGUAGES: readonly SpeakLanguage[] = [
  { code: 'arb', name: 'Arabic', voices: WOMAN },
  { code: 'cmn-CN', name: 'Chinese Mandarin', voices: WOMAN },
  { code: 'da-DK', name: 'Danish (Denmark)', voices: BOTH },
  { code: 'nl-NL', name: 'Dutch (Netherlands)', voices: BOTH },
  { code: 'en-AU', name: 'English (Australia)', voices: BOTH },
  { code: 'en-IN', name: 'English (India)', voices: WOMAN },
  { code: 'en-GB', name: 'English (UK)', voices: BOTH },
  { code: 'en-US', name: 'English (US)', voices: BOTH },
  { code: 'en-GB-WLS', name: 'English (Welsh)', voices: MAN },
  { code: 'fr-CA', name: 'French (Canada)', voices: WOMAN },
  { code: 'fr-FR', name: 'French (France)', voices: BOTH },
  { code: 'de-DE', name: 'German (Germany)', voices: BOTH },
  { code: 'hi-IN', name: 'Hindi (India)', voices: WOMAN },
  { code: 'is-IS', name: 'Icelandic (Iceland)', voices: BOTH },
  { code: 'it-IT', name: 'Italian (Italy)', voices: BOTH },
  { code: 'ja-JP', name: 'Japanese (Japan)', voices: BOTH },
  { code: 'ko-KR', name: 'Korean (South Korea)', voices: WOMAN },
  { code: 'nb-NO', name: 'Norwegian (Norway)', voices: WOMAN },
  { code: 'pl-PL', name: 'Polish (Poland)', voices: BOTH },
  { code: 'pt-BR', name: 'Portuguese (Brazil)', voices: BOTH },
  { code: 'pt-PT', name: 'Portuguese (Portugal)', voices: BOTH },
  { code: 'ro-RO', name: 'Romanian (Romania)', voices: WOMAN },
  { code: 'ru-RU', name: 'Russian (Russia)', voices: BOTH },
  { code: 'es-MX', name: 'Spanish (Mexico)', voices: WOMAN },
  { code: 'es-ES', name: 'Spanish (Spain)', voices: BOTH },
  { code: 'es-US', name: 'Spanish (US)', voices: BOTH },
  { code: 'sv-SE', name: 'Swedish (Sweden)', voices: WOMAN },
  { code: 'tr-TR', name: 'Turkish (Turkey)', voices: WOMAN },
  { code: 'cy-GB', name: 'Welsh (Wales)', voices: WOMAN },
];

/** What Plivo uses when the request names no voice or language. */
export const DEFAULT_VOICE: Voice = 'WOMAN';
export const DEFAULT_LANGUAGE = 'en-US';

const BY_CODE = new Map(SPEAK_LANGUAGES.map((language) => [language.code, language]));

export function speakLanguage(code: string): SpeakLanguage | undefined {
  return BY_CODE.get(code);
}

/** The listed code that `code` matches but for letter case ("en-us" -> "en-US"), if any. */
export function languageCaseOf(code: string): string | undefined {
  const lower = code.toLowerCase();
  return SPEAK_LANGUAGES.find((language) => language.code.toLowerCase() === lower)?.code;
}
