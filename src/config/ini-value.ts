import { unsafe } from "ini";

/**
 * An INI value (or section name) decoded as the `ini` package decodes it: a quoted value is
 * JSON-decoded ('single' quotes taken off first; kept as written when that fails); in an unquoted
 * one, \\, \; and \# stand for \, ; and #, and an unescaped ; or # ends it. The result is trimmed.
 * The line-by-line reading (for FILE:LINE positions) is ini-file.ts's; the decoding is the library's.
 */
export function unescapeIni(written: string): string {
  return String(unsafe(written));
}
