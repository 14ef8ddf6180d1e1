/** Each line-break form a parser honours, and NUL, which makes a parser drop an id. */
export const BREAKS: [name: string, text: string][] = [
  ["LF", "\n"],
  ["CR", "\r"],
  ["CRLF", "\r\n"],
  ["NUL", "\0"],
];

/** What an attacker puts in a field: an "admin" event with id 666 after a line break. */
export const forged = (lineBreak: string): string =>
  `x${lineBreak}event: admin${lineBreak}id: 666${lineBreak}data: pwned${lineBreak}${lineBreak}data: more`;
