import { UsageError } from "../errors";

export const interactive = (): boolean => !!process.stdin.isTTY && !!process.stderr.isTTY;

/** Reads one line from the terminal; `mask` hides what is typed. Ctrl-C or Ctrl-D cancels. */
export function ask(question: string, mask = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let value = "";
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003" || ch === "\u0004") return done(new UsageError("cancelled; nothing was changed"));
        if (ch === "\u007f" || ch === "\b") {
          if (value) {
            value = value.slice(0, -1);
            if (!mask) process.stderr.write("\b \b");
          }
          continue;
        }
        if (ch < " ") continue;
        value += ch;
        process.stderr.write(mask ? "" : ch);
      }
    };
    stdin.on("data", onData);
  });
}
