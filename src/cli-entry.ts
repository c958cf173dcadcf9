import type { Option } from "commander";

/** What a command line without a command does: the TUI on a terminal, the help otherwise. */
export type Entry = "tui" | "help" | "command";

/**
 * Decides from the arguments after the executable: nothing but global options (`--config FILE`,
 * `-c FILE`, `-cFILE`, `--config=FILE`, `-v`, `-q`, `-vq`, `--json`) means no command was given.
 * `-V`/`-h` and anything unknown, a missing option value included, go to commander as they are.
 */
export function entryFor(args: readonly string[], globals: readonly Option[], terminal: boolean): Entry {
  if (!onlyGlobalOptions(args, globals.filter((o) => o.long !== "--version" && o.long !== "--help"))) return "command";
  return terminal ? "tui" : "help";
}

function onlyGlobalOptions(args: readonly string[], options: readonly Option[]): boolean {
  const takesValue = (o: Option) => o.required || o.optional;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("-") || a === "-" || a === "--") return false;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const o = options.find((x) => x.long === (eq < 0 ? a : a.slice(0, eq)));
      if (!o) return false;
      if (eq >= 0) {
        if (!takesValue(o)) return false;
      } else if (o.required && ++i >= args.length) return false;
      continue;
    }
    // A cluster of short flags; one that takes a value takes the rest of the cluster, or the next argument.
    for (let j = 1; j < a.length; j++) {
      const o = options.find((x) => x.short === `-${a[j]}`);
      if (!o) return false;
      if (!takesValue(o)) continue;
      if (j === a.length - 1 && o.required && ++i >= args.length) return false;
      break;
    }
  }
  return true;
}
