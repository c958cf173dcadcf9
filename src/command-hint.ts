import { resolve } from "node:path";

/**
 * Every command we print for the user to paste (hints, next steps) carries the --config they ran
 * with, made absolute, so it works from any directory. Output options (--json, -q, -v) are left
 * out: they say how the user wanted this run to talk, not what the next command acts on.
 */
let configFlag: string | undefined;

/** Called once the global options are parsed (cli.ts). */
export function setHintGlobals(g: { config?: string }, cwd = process.cwd()): void {
  configFlag = g.config ? resolve(cwd, g.config) : undefined;
}

/** `backup-tui [--config FILE] <args>`; `config` names the file when this run is not the one that chose it (init). */
export function btui(args: string, o: { config?: string } = {}): string {
  const config = o.config ?? configFlag;
  return ["backup-tui", ...(config ? ["--config", shellQuote(config)] : []), ...(args ? [args] : [])].join(" ");
}

/** POSIX sh quoting: plain words as they are, anything else in single quotes. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
