// Shared by the benchmark scripts: deterministic sizes (mulberry32), random file content in 8 MiB chunks.
import { randomFillSync } from "node:crypto";
import fs from "node:fs";

const CHUNK = Buffer.allocUnsafe(8 << 20);

/** Writes size random bytes into file at offset (flags "w" to create, "r+" to overwrite in place). */
export function writeRandom(file, size, offset = 0, flags = "w") {
  const fd = fs.openSync(file, flags);
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(CHUNK.length, size - done);
      randomFillSync(CHUNK, 0, n);
      fs.writeSync(fd, CHUNK, 0, n, offset + done);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A seeded generator of numbers in [0, 1) (mulberry32): the same sizes on every run. */
export function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
