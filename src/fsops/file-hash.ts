import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** A file's sha256 (hex), streamed: dumps may be large. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (c) => h.update(c))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}

/** One pass over a text file: each line to onLine, and the sha256 (hex) of its bytes. */
export async function sha256Lines(file: string, onLine: (line: string) => void): Promise<string> {
  const hash = createHash("sha256");
  const stream = createReadStream(file);
  stream.on("data", (chunk) => hash.update(chunk));
  for await (const l of createInterface({ input: stream, crlfDelay: Infinity })) onLine(l);
  return hash.digest("hex");
}
