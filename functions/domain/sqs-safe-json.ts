/**
 * SQS takes only the XML character set in a message body: #x9 | #xA | #xD | #x20 to #xD7FF |
 * #xE000 to #xFFFD | #x10000 to #x10FFFF
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html,
 * MessageBody). Our message bodies and EventBridge details are JSON, where such characters can
 * only stand inside strings, and JSON lets any character inside a string be written as a \uXXXX
 * escape. Rewriting the refused ones that way leaves the JSON meaning exactly the same: the
 * parsed value, and so the event data a receiver gets, is unchanged.
 *
 * `astral` also escapes characters past U+FFFF (emoji), as UTF-16 surrogate pairs. SQS takes
 * those, but fauxqs (local mode's SQS) does not: its check is a regular expression without the
 * `u` flag and without the #x10000-#x10FFFF range, so it sees each half of a pair as a lone
 * surrogate. Local mode therefore sets it.
 */

// With the `u` flag a lone surrogate is one code point outside every range, and a valid pair one
// code point inside the last.
const REFUSED = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const REFUSED_OR_ASTRAL = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu;

const asEscapes = (ch: string): string => {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
};

export interface SqsSafeOptions {
  /** Escape characters past U+FFFF too (local mode: fauxqs refuses them). */
  astral?: boolean;
}

/** The same JSON text with every character SQS refuses written as a \uXXXX escape. */
export function sqsSafeJson(json: string, options: SqsSafeOptions = {}): string {
  const pattern = options.astral ? REFUSED_OR_ASTRAL : REFUSED;
  pattern.lastIndex = 0;
  return pattern.test(json) ? json.replace(pattern, asEscapes) : json;
}
