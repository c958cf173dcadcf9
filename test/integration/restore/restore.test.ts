import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { cli, ensureBinary, makeWorld, restic, ROOT, type TestWorld } from "../../helpers/env";
import { hangingFake, killHard, start } from "../../helpers/processes";
import { composeDown, composeUp, containerStates, docker, volumeMountpoint, writeStack } from "../../helpers/stacks";

const snapshots = (w: TestWorld, tag?: string) =>
  JSON.parse(restic(w, ["snapshots", "--json", ...(tag ? ["--tag", tag] : [])])) as Array<{
    id: string;
    short_id: string;
    tags: string[];
    paths: string[];
  }>;

describe("browse and restore: real stacks, real restic", () => {
  let w: TestWorld;
  let dir: string;
  let mp: string;
  let backedUp: Record<string, string>;
  const running = { "shop-db-1": "running", "shop-web-1": "running" };

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    restic(w, ["init", "-q"]);
    dir = writeStack(w.stacksDir, "shop", { db: { volumes: ["data:/data"] }, web: { dependsOn: ["db"] } }, ["data"]);
    composeUp(dir);
    mp = volumeMountpoint("shop_data");
    mkdirSync(join(mp, "orders"), { recursive: true });
    for (let i = 0; i < 20; i++)
      writeFileSync(join(mp, "orders", `order-${i}.json`), JSON.stringify({ i, items: "x".repeat(i * 100) }));
    writeFileSync(join(mp, "big.bin"), Buffer.alloc(3 * 1024 * 1024, 7));
    symlinkSync("orders/order-1.json", join(mp, "latest"));
    writeFileSync(join(dir, "app.conf"), "mode=production\n");
    expect(cli(w, ["backup", "shop"]).code).toBe(0);
    backedUp = treeDigest(mp);
  });
  afterAll(() => {
    composeDown(dir);
    w.cleanup();
  });

  it("restore --stack after data was changed, added and deleted brings back exactly the snapshot, keeps a safety snapshot, and restarts the stack", () => {
    writeFileSync(join(mp, "orders", "order-3.json"), "tampered");
    rmSync(join(mp, "orders", "order-4.json"));
    writeFileSync(join(mp, "stray.tmp"), "not in the snapshot");
    writeFileSync(join(dir, "app.conf"), "mode=broken\n");
    const r = cli(w, ["restore", "--stack", "shop", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(treeDigest(mp)).toEqual(backedUp);
    expect(readText(join(dir, "app.conf"))).toBe("mode=production\n");
    expect(containerStates("shop")).toEqual(running);
    const safety = snapshots(w, "kind:pre-restore");
    expect(safety).toHaveLength(1);
    expect(safety[0].tags).toEqual(expect.arrayContaining(["stack:shop", "vol:shop_data"]));
    const target = mkdtempSync(join(tmpdir(), "btui-safety-"));
    restic(w, ["restore", safety[0].id, "--target", target, "--include", join(mp, "stray.tmp")]);
    expect(readText(join(target, mp, "stray.tmp"))).toBe("not in the snapshot");
    expect(readdirSync(dirname(mp)).filter((n) => n.startsWith(".backup-tui"))).toEqual([]);
  });

  it("restore --dry-run lists what would change and changes nothing", () => {
    writeFileSync(join(mp, "orders", "order-5.json"), "edited");
    writeFileSync(join(mp, "new.txt"), "new");
    const before = treeDigest(mp);
    const r = cli(w, ["restore", "--stack", "shop", "--dry-run", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const vol = report.diff.find((d: { live: string }) => d.live === mp);
    expect(vol.changed).toEqual([join(mp, "orders", "order-5.json")]);
    expect(vol.removed).toEqual([join(mp, "new.txt")]);
    expect(treeDigest(mp)).toEqual(before);
  });

  it("restore --target puts the snapshot elsewhere and leaves live data untouched", () => {
    const before = treeDigest(mp);
    const target = mkdtempSync(join(tmpdir(), "btui-target-"));
    const r = cli(w, ["restore", "--stack", "shop", "--target", target]);
    expect(r.code, r.stderr).toBe(0);
    expect(treeDigest(join(target, mp))).toEqual(backedUp);
    expect(treeDigest(mp)).toEqual(before);
    expect(containerStates("shop")).toEqual(running);
  });

  it("restore --file brings back one file in place", () => {
    rmSync(join(mp, "orders", "order-7.json"));
    const r = cli(w, ["restore", "--stack", "shop", "--file", join(mp, "orders", "order-7.json"), "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(treeDigest(mp)["orders/order-7.json"]).toBe(backedUp["orders/order-7.json"]);
    expect(containerStates("shop")).toEqual(running);
  });

  it("a wrong or missing confirmation password refuses and changes nothing", () => {
    const pwFile = join(w.dir, "confirm-pw");
    writeFileSync(pwFile, "correct horse battery\n", { mode: 0o600 });
    expect(cli(w, ["config", "set-confirm-password", "--password-file", pwFile]).code).toBe(0);
    writeFileSync(join(mp, "orders", "order-8.json"), "changed after the backup");
    const before = treeDigest(mp);
    const snapsBefore = snapshots(w)
      .map((s) => s.id)
      .sort();
    const missing = cli(w, ["restore", "--stack", "shop", "--yes"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("confirmation password is required");
    const wrongFile = join(w.dir, "wrong-pw");
    writeFileSync(wrongFile, "tr0ub4dor\n");
    const wrong = cli(w, ["restore", "--stack", "shop", "--yes", "--confirm-password-file", wrongFile]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("wrong confirmation password");
    const del = cli(w, ["delete", snapsBefore[0], "--yes"], { BACKUP_TUI_CONFIRM_PASSWORD: "nope" });
    expect(del.code).toBe(2);
    expect(cli(w, ["forget", "--yes"]).code).toBe(2);
    expect(treeDigest(mp)).toEqual(before);
    expect(
      snapshots(w)
        .map((s) => s.id)
        .sort(),
    ).toEqual(snapsBefore);
    const ok = cli(w, ["restore", "--stack", "shop", "--yes", "--confirm-password-file", pwFile]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(treeDigest(mp)).toEqual(backedUp);
  });

  it("restore --volume recreates a removed volume with its data", () => {
    composeDown(dir); // removes the containers and the volume
    expect(() => docker(["volume", "inspect", "shop_data"])).toThrow();
    const r = cli(w, ["restore", "--volume", "shop_data", "--yes"], {
      BACKUP_TUI_CONFIRM_PASSWORD: "correct horse battery",
    });
    expect(r.code, r.stderr).toBe(0);
    expect(treeDigest(volumeMountpoint("shop_data"))).toEqual(backedUp);
    composeUp(dir);
    expect(containerStates("shop")).toEqual(running);
    expect(docker(["exec", "shop-db-1", "cat", "/data/orders/order-2.json"])).toContain('"i":2');
  });

  it("a restore killed while restic writes leaves the live data intact and the stack running (the copy is written before anything stops); recover cleans up", async () => {
    const before = treeDigest(mp);
    const marker = join(w.dir, "fake.pid");
    const run = start(["restore", "--stack", "shop", "--yes"], {
      ...w.env,
      BACKUP_TUI_CONFIRM_PASSWORD: "correct horse battery",
      BACKUP_TUI_LOCAL_BACKUP_RESTIC_BINARY: join(ROOT, "test", "helpers", "fake-restic.sh"),
      FAKE_RESTIC_HANG_ON: " restore ", // restic writing the restored copy beside the live data
      FAKE_RESTIC_MARKER: marker,
    });
    const fake = await hangingFake(marker);
    run.child.kill("SIGKILL");
    await run.done;
    killHard(fake);
    expect(treeDigest(mp)).toEqual(before);
    expect(containerStates("shop")).toEqual(running);
    const leftovers = () =>
      [dirname(mp), w.stacksDir].flatMap((d) => readdirSync(d).filter((n) => n.startsWith(".backup-tui")));
    expect(leftovers()).not.toEqual([]); // the partial restore, beside the stack directory
    const r = cli(w, ["recover"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`interrupted restore of ${dir}: discarded`);
    expect(containerStates("shop")).toEqual(running);
    expect(treeDigest(mp)).toEqual(before);
    expect(leftovers()).toEqual([]);
    expect(readdirSync(dirname(mp)).filter((n) => n.startsWith(".backup-tui"))).toEqual([]);
  });

  it("protected snapshots survive forget and cannot be deleted until unprotected", () => {
    const env = { BACKUP_TUI_CONFIRM_PASSWORD: "correct horse battery" };
    for (let i = 0; i < 2; i++) expect(cli(w, ["backup", "shop"]).code).toBe(0);
    const stackSnaps = snapshots(w, "kind:stack");
    const oldest = stackSnaps[0];
    expect(cli(w, ["protect", oldest.short_id]).code).toBe(0);
    const prot = snapshots(w, "protected");
    expect(prot).toHaveLength(1);
    expect(cli(w, ["delete", prot[0].short_id, "--yes"], env).code).toBe(2);
    // With a confirmation hash set, the keep policy comes from the config file only (not the environment).
    writeFileSync(
      w.configFile,
      readFileSync(w.configFile, "utf8").replace(
        "KEEP_LAST=3",
        "KEEP_LAST=1\nKEEP_DAILY=0\nKEEP_WEEKLY=0\nKEEP_MONTHLY=0\nKEEP_YEARLY=0",
      ),
      { mode: 0o600 },
    );
    const f = cli(w, ["forget", "--yes", "--prune"], env);
    expect(f.code, f.stderr).toBe(0);
    const left = snapshots(w, "kind:stack");
    expect(left.map((s) => s.id)).toContain(prot[0].id);
    expect(left).toHaveLength(2);
    expect(cli(w, ["unprotect", prot[0].short_id]).code).toBe(0);
    const unprot = snapshots(w, "kind:stack").find(
      (s) => !s.tags.includes("protected") && s.id !== left.find((x) => x.id !== prot[0].id)?.id,
    )!;
    expect(cli(w, ["delete", unprot.short_id, "--yes"], env).code).toBe(0);
    expect(snapshots(w, "kind:stack")).toHaveLength(1);
  });

  it("the catalog picks up snapshots made by plain restic, and ls/find agree with restic's own listing", () => {
    const extra = mkdtempSync(join(tmpdir(), "btui-plain-"));
    writeFileSync(join(extra, "needle.txt"), "found me");
    restic(w, ["backup", extra, "--tag", "handmade", "-q"]);
    const r = cli(w, ["snapshots", "--refresh", "--tag", "handmade", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout.trim().split("\n").pop()!).snapshots;
    expect(listed).toHaveLength(1);
    const id = listed[0].id;
    const ls = JSON.parse(cli(w, ["ls", id, extra, "--json"]).stdout.trim().split("\n").pop()!);
    const theirs = restic(w, ["ls", "--json", id, extra])
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((n) => n.struct_type === "node" && n.path !== extra)
      .map((n) => n.path);
    expect(ls.entries.map((e: { path: string }) => e.path).sort()).toEqual(theirs.sort());
    const found = JSON.parse(cli(w, ["find", "needle*", "--json"]).stdout.trim().split("\n").pop()!);
    expect(found.matches.map((m: { path: string }) => m.path)).toEqual([join(extra, "needle.txt")]);
    const stackLs = JSON.parse(
      cli(w, ["ls", "latest", join(mp, "orders"), "--stack", "shop", "--json"])
        .stdout.trim()
        .split("\n")
        .pop()!,
    );
    expect(stackLs.entries).toHaveLength(20);
  });
});

function readText(p: string): string {
  return readFileSync(p, "utf8");
}
