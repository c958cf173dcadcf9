import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";
import { composeDown, composeUp, containerStates, volumeMountpoint, writeStack } from "../../helpers/stacks";

// verify --level files: each stack's newest snapshot restored into scratch space with restic's
// content verification and compared with its listing; a damaged pack is found and named.

const MiB = 1024 * 1024;

describe("verify --level files", () => {
  let w: TestWorld;
  const dirs: string[] = [];

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    for (const name of ["vfa", "vfb"]) {
      const dir = writeStack(w.stacksDir, name, { app: { volumes: ["data:/data"] } }, ["data"]);
      dirs.push(dir);
      composeUp(dir);
      const vol = volumeMountpoint(`${name}_data`);
      mkdirSync(join(vol, "sub", "deeper"), { recursive: true });
      for (let i = 0; i < 20; i++) writeFileSync(join(vol, "sub", `f${i}.bin`), randomBytes(4096 + i));
      writeFileSync(join(vol, "sub", "deeper", "big.bin"), randomBytes(3 * MiB));
      writeFileSync(join(vol, "empty"), "");
      expect(cli(w, ["backup", name]).code).toBe(0);
    }
  });
  afterAll(() => {
    for (const d of dirs) composeDown(d);
    w.cleanup();
  });

  it("a good repository: every stack's newest snapshot restores identical to its listing; scratch space is left empty; the run is recorded", () => {
    const r = cli(w, ["verify", "--level", "files", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const result = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "verify");
    expect(result.ok).toBe(true);
    expect(result.files.map((f: { stack: string }) => f.stack)).toEqual(["vfa", "vfb"]);
    for (const f of result.files) {
      expect(f).toMatchObject({ ok: true, missing: [], extra: [], differing: [] });
      expect(f.files).toBeGreaterThanOrEqual(22); // 20 + big + empty (+ the stack's compose.yaml and manifest)
      expect(f.bytes).toBeGreaterThan(3 * MiB);
    }
    const scratch = join(w.stateDir, "verify-scratch");
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
    const hist = JSON.parse(cli(w, ["history", "--json", "--kind", "verify"]).stdout).runs;
    expect(hist[0]).toMatchObject({ kind: "verify", status: "succeeded" });
    const status = cli(w, ["status"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/last verify: .* files OK/);
    expect(status.stdout).toMatch(/^vfa .* ago ok\s*$/m);
    expect(status.stdout).toMatch(/^vfb .* ago ok\s*$/m);
  });

  it("--stack limits it; an unknown stack is a usage error (exit 2); --stack without --level files too", () => {
    const one = cli(w, ["verify", "--level", "files", "--stack", "vfb", "--json"]);
    expect(one.code, one.stderr).toBe(0);
    const result = one.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "verify");
    expect(result.files.map((f: { stack: string }) => f.stack)).toEqual(["vfb"]);
    const unknown = cli(w, ["verify", "--level", "files", "--stack", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no snapshot of nope");
    expect(cli(w, ["verify", "--stack", "vfa"]).code).toBe(2);
  });

  it("a flipped byte in a pack the newest snapshot needs: metadata passes, files fails (exit 1) naming the stack and restic's error; the live stack is untouched", () => {
    // A damaged copy of the repository; the catalog of the copy is re-read from it.
    const copy = join(w.dir, "repo-damaged");
    cpSync(w.repo, copy, { recursive: true });
    const packs = readdirSync(join(copy, "data"), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    const biggest = packs[0]; // holds big.bin's data
    const bytes = readFileSync(biggest);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(biggest, bytes);
    const env = { BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY: copy, BACKUP_TUI_STATE_DIR: join(w.dir, "state-damaged") };

    expect(cli(w, ["verify", "--level", "metadata"], env).code).toBe(0); // the structure is intact
    const r = cli(w, ["verify", "--level", "files"], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("VERIFICATION FAILED");
    expect(r.stdout).toMatch(/vf[ab]: [0-9a-f]{8} \(.*\) FAILED/);
    expect(r.stdout + r.stderr).toMatch(/ciphertext verification failed|checksum|hash|does not match|error/i);
    expect(Object.values(containerStates("vfa"))).toEqual(["running"]);
    expect(readdirSync(join(w.dir, "state-damaged", "verify-scratch"))).toEqual([]);
    // status remembers it: the failed stack says FAILED and the check exits 1 (a monitoring signal).
    const status = cli(w, ["status"], env);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/last verify: .* files FAILED/);
    expect(status.stdout).toMatch(/^vf[ab] .* ago FAILED/m);
  });

  it("--subset next/3 reads the parts in turn (1/3, 2/3, 3/3, then 1/3 again) and status names the last part read", () => {
    const parts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = cli(w, ["verify", "--level", "subset", "--subset", "next/3"]);
      expect(r.code, r.stderr).toBe(0);
      parts.push(/subset (\d\/3) OK/.exec(r.stdout)![1]);
    }
    expect(parts).toEqual(["1/3", "2/3", "3/3", "1/3"]);
    expect(cli(w, ["status"]).stdout).toMatch(/last verify: .* subset 1\/3 OK/);
    const bad = cli(w, ["verify", "--level", "subset", "--subset", "next/1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("next/N");
  });
});
