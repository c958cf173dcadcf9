/**
 * fakeSnapshotRestic: fakeRestic (fakes.ts) whose snapshots hold files, for the restore use cases.
 * Kept beside fakes.ts, in its own file, so helpers adding fakes in parallel do not collide.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Restic } from "../../src/restic/restic";
import { fakeRestic, type FakeRestic, type FakeResticOptions } from "./fakes";

export interface FakeSnapshotRestic extends FakeRestic {
  ls: Restic["ls"];
  restore: Restic["restore"];
  dump: Restic["dump"];
}

/**
 * `files` maps absolute paths to contents. ls lists them (with their folders), restore writes the
 * included ones under the target as restic does (absolute paths mirrored), dump reads one.
 * Calls are recorded with fakeRestic's: "ls", "restore", "dump".
 */
export function fakeSnapshotRestic(o: FakeResticOptions & { files: Record<string, string> }): FakeSnapshotRestic {
  const base = fakeRestic(o);
  const dirs = new Set<string>();
  for (const p of Object.keys(o.files))
    for (let d = p.slice(0, p.lastIndexOf("/")); d; d = d.slice(0, d.lastIndexOf("/"))) dirs.add(d);
  const name = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  return {
    ...base,
    ls: async (_snapshot, onNode) => {
      base.calls.push("ls");
      for (const d of [...dirs].sort()) onNode({ struct_type: "node", name: name(d), type: "dir", path: d });
      for (const [p, text] of Object.entries(o.files))
        onNode({ struct_type: "node", name: name(p), type: "file", path: p, size: Buffer.byteLength(text) });
    },
    restore: async (r) => {
      base.calls.push("restore");
      const inside = (p: string) =>
        (r.include ?? ["/"]).some((i) => p === i || p.startsWith(`${i.replace(/\/$/, "")}/`));
      for (const [p, text] of Object.entries(o.files)) {
        if (!inside(p)) continue;
        mkdirSync(join(r.target, p.slice(0, p.lastIndexOf("/"))), { recursive: true });
        writeFileSync(join(r.target, p), text);
      }
    },
    dump: async (_snapshot, path) => {
      base.calls.push("dump");
      const text = o.files[path];
      if (text === undefined) throw new Error(`fakeSnapshotRestic: no ${path} in the snapshot`);
      return text;
    },
  };
}
