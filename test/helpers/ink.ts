/** Keys and waits for driving Ink screens through ink-testing-library's stdin. */
export const KEY = {
  up: "\u001B[A",
  down: "\u001B[B",
  pageDown: "\u001B[6~",
  pageUp: "\u001B[5~",
  enter: "\r",
  esc: "\u001B",
  backspace: "\u007F",
  ctrlC: "\u0003",
  space: " ",
};

export const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

export async function press(stdin: { write(s: string): void }, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k);
    await tick();
  }
}

/** Waits until the last frame matches, or fails showing it. */
export async function until(frame: () => string | undefined, re: RegExp, ms = 3000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame() ?? "";
    if (re.test(f)) return f;
    if (Date.now() > end) throw new Error(`frame never matched ${re}:\n${f}`);
    await tick(10);
  }
}
