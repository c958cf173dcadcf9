import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ensureBinary, makeWorld, restic, type TestWorld } from "../../helpers/env";

// Remote retention of a MODE=restic target from a trusted machine. The copies there have ids of
// their own; the host knows them by their originals (restic copy's `original`), so a copy removed
// there of a snapshot the host forgot itself is no loss, and one it did not forget is: the alarm
// names it by the id the host knows.

describe("MODE=restic target: remote retention and the host's tamper alarm", () => {
  let w: TestWorld;
  let vault: string;
  let vaultPw: string;
  let ids: string[];
  const resticVault = (args: string[]) =>
    spawnSync("restic", ["-r", vault, ...args], {
      env: { ...process.env, RESTIC_PASSWORD_FILE: vaultPw, RESTIC_PASSWORD: undefined },
      encoding: "utf8",
    });
  const vaultCount = () => (JSON.parse(resticVault(["snapshots", "--json", "--no-lock"]).stdout) as unknown[]).length;
  /** The trusted machine: a config naming only the vault, its own state, keeping the last `n`. */
  const laptop = (n: number) => {
    const dir = join(w.dir, `laptop-${n}`);
    mkdirSync(dir);
    writeFileSync(
      join(dir, "config.ini"),
      [
        "[docker]",
        `DOCKER_STACKS_DIR=${join(dir, "none")}`,
        "[local_backup]",
        `RESTIC_REPOSITORY=${join(dir, "unused")}`,
        `RESTIC_PASSWORD_FILE=${vaultPw}`,
        `KEEP_LAST=${n}`,
        "KEEP_DAILY=0",
        "KEEP_WEEKLY=0",
        "KEEP_MONTHLY=0",
        "KEEP_YEARLY=0",
        "[cloud_sync:vault]",
        "MODE=restic",
        `RESTIC_REPOSITORY=${vault}`,
        `RESTIC_PASSWORD_FILE=${vaultPw}`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    return { env: { ...w.env, BACKUP_TUI_CONFIG: join(dir, "config.ini"), BACKUP_TUI_STATE_DIR: join(dir, "state") } };
  };
  const sync = () => cli(w, ["sync", "--to", "vault", "--json"]);

  beforeAll(() => {
    ensureBinary();
    w = makeWorld();
    vault = join(w.dir, "vault");
    vaultPw = join(w.dir, "vault-pw");
    writeFileSync(vaultPw, "vault-pw-31337\n", { mode: 0o600 });
    appendFileSync(
      w.configFile,
      ["[cloud_sync:vault]", "MODE=restic", `RESTIC_REPOSITORY=${vault}`, `RESTIC_PASSWORD_FILE=${vaultPw}`, ""].join(
        "\n",
      ),
    );
    restic(w, ["init", "-q"]);
    const data = join(w.dir, "data");
    mkdirSync(data);
    for (const n of [1, 2, 3]) {
      writeFileSync(join(data, `f${n}.txt`), `version ${n}\n`);
      restic(w, ["backup", "-q", "--tag", "backup-tui,kind:stack,stack:app", data]);
    }
    ids = (JSON.parse(restic(w, ["snapshots", "--json"])) as Array<{ id: string; time: string }>)
      .sort((a, b) => a.time.localeCompare(b.time))
      .map((s) => s.id);
    const s = sync();
    expect(s.code, s.stderr).toBe(0);
    expect(vaultCount()).toBe(3);
  }, 120_000);
  afterAll(() => w?.cleanup());

  it("a copy removed there whose original this host deleted is no loss; one it kept is, named by the host's id", () => {
    // The host deletes its oldest snapshot; the trusted machine's retention then removes its copy.
    const d = cli(w, ["delete", ids[0], "--yes"]);
    expect(d.code, d.stderr).toBe(0);
    const keep2 = cli(laptop(2), ["forget", "--remote", "vault", "--prune", "--yes"]);
    expect(keep2.code, keep2.stderr).toBe(0);
    expect(vaultCount()).toBe(2);
    const quiet = sync();
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(resticVault(["check", "--no-lock"]).status).toBe(0);

    // Now the trusted machine removes the copy of one the host still has.
    const keep1 = cli(laptop(1), ["forget", "--remote", "vault", "--prune", "--yes"]);
    expect(keep1.code, keep1.stderr).toBe(0);
    expect(vaultCount()).toBe(1);
    const loud = sync();
    expect(loud.code).toBe(1);
    expect(loud.stderr).toContain(`the copy at vault lost 1 snapshot you did not forget (${ids[1].slice(0, 8)})`);
    // Accepted, the next sync copies it there again (the host still has it).
    const ok = cli(w, ["sync", "--to", "vault", "--accept-loss", "--yes"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(vaultCount()).toBe(2);
  });
});
