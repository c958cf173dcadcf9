/**
 * Guarded actions change nothing without the right confirmation password.
 *
 * A real stack with a named volume, backed up twice with different data, then changed again so
 * that every guarded action would visibly change something if it ran: the restores would rewrite
 * the live data, delete/forget would remove snapshot #1, prune would free data a forgotten
 * snapshot left behind. Each refused attempt must exit 2 with a clear message and leave the
 * snapshot list, every file of the repository, the live data (volume and stack directory) and
 * the containers (state, start time) exactly as they were. Positive controls with the right
 * password then show each action really does its work, so the refusals mean something.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeDigest } from "../../helpers/checksums";
import { cli, ensureBinary, makeWorld, restic, type CliResult, type TestWorld } from "../../helpers/env";
import { composeDown, composeUp, docker, volumeMountpoint, writeStack } from "../../helpers/stacks";

const RIGHT = "Correct-Horse-7391-guard";
const WRONG = "Wrong-Battery-5523-guard";
const ATTACKER = "Attacker-Chosen-0001-guard";
/**
 * Retention that would remove every kind:stack snapshot but the newest (so a forget always has work).
 * Written into the config file: with a confirmation hash set, the environment may not change it.
 */
const POLICY = {
  BACKUP_TUI_LOCAL_BACKUP_KEEP_LAST: "1",
  BACKUP_TUI_LOCAL_BACKUP_KEEP_DAILY: "0",
  BACKUP_TUI_LOCAL_BACKUP_KEEP_WEEKLY: "0",
  BACKUP_TUI_LOCAL_BACKUP_KEEP_MONTHLY: "0",
  BACKUP_TUI_LOCAL_BACKUP_KEEP_YEARLY: "0",
};

interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  tags?: string[];
}

interface Observed {
  snapshots: string[];
  repo: Record<string, string>;
  volume: Record<string, string>;
  stackDir: Record<string, string>;
  /** What sits beside the live paths (a restore stages there). */
  beside: string[];
  /** name → status, start time, restart count, id. */
  containers: Record<string, string>;
}

let w: TestWorld;
let project: string;
let volume: string;
let stackDir: string;
let mp: string;
let fileLive: string;
let pwDir: string;
const files = {
  right: "",
  wrong: "",
  rightTrailingSpace: "",
  empty: "",
  missing: "",
  directory: "",
};
/** Snapshots by role. */
const snap = { first: "", second: "" };
/** Digests of the data as snapshot #2 holds it. */
let v2: { volume: Record<string, string>; stackDir: Record<string, string>; file: string };
/** Every output of the binary, for the "secrets never shown" check at the end. */
const outputs: string[] = [];
let wrongAttempts = 0;

function run(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = cli(w, args, env);
  outputs.push(r.stdout, r.stderr);
  return r;
}
const show = (r: CliResult) =>
  `exit ${r.code}\n--- stdout\n${r.stdout.slice(0, 2000)}\n--- stderr\n${r.stderr.slice(0, 2000)}`;
const noStackTrace = (r: CliResult) => {
  expect(r.stdout + r.stderr, show(r)).not.toMatch(/^\s+at \S/m);
  expect(r.stdout + r.stderr, show(r)).not.toMatch(/internal error/);
};

// --no-lock: reading the list must not itself add files to the repository being compared.
const snapshots = (): Snapshot[] =>
  (JSON.parse(restic(w, ["snapshots", "--json", "--no-lock"])) as Snapshot[]).sort((a, b) =>
    a.time.localeCompare(b.time),
  );
const stackSnapshots = () => snapshots().filter((s) => s.tags?.includes("kind:stack"));
const ids = () =>
  snapshots()
    .map((s) => s.id)
    .sort();

function containers(): Record<string, string> {
  const list = docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`])
    .trim()
    .split("\n")
    .filter(Boolean);
  const out = docker([
    "inspect",
    "-f",
    "{{.Name}} {{.State.Status}} {{.State.StartedAt}} {{.RestartCount}} {{.Id}}",
    ...list,
  ]);
  return Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((l) => [l.split(" ")[0].replace(/^\//, ""), l.split(" ").slice(1).join(" ")]),
  );
}

function observe(): Observed {
  return {
    snapshots: ids(),
    repo: Object.fromEntries(
      Object.entries(treeDigest(w.repo)).filter(([k]) => !k.startsWith("locks/") && k !== "locks"),
    ),
    volume: treeDigest(mp),
    stackDir: treeDigest(stackDir),
    beside: [
      ...readdirSync(dirname(mp)).map((n) => `vol:${n}`),
      ...readdirSync(w.stacksDir).map((n) => `stacks:${n}`),
    ].sort(),
    containers: containers(),
  };
}

function backup(extra: string[] = []): void {
  const r = run(["backup", project, ...extra]);
  expect(r.code, show(r)).toBe(0);
}

/** Leaves data in the repository that no snapshot uses, so a prune has something to delete. */
function unreferencedData(): void {
  const junk = join(w.dir, `junk-${randomBytes(4).toString("hex")}`);
  mkdirSync(junk);
  writeFileSync(join(junk, "noise.bin"), randomBytes(3 * 1024 * 1024));
  const out = JSON.parse(restic(w, ["backup", junk, "--json"]).trim().split("\n").pop()!) as { snapshot_id: string };
  restic(w, ["forget", out.snapshot_id]);
  rmSync(junk, { recursive: true, force: true });
}

const writeData = (version: string) => {
  mkdirSync(join(mp, "records"), { recursive: true });
  for (let i = 0; i < 8; i++)
    writeFileSync(join(mp, "records", `r${i}.txt`), `${version} record ${i}\n`.repeat(50 + i));
  writeFileSync(join(mp, "settings.json"), JSON.stringify({ version }));
  writeFileSync(join(stackDir, "app.conf"), `version=${version}\n`);
};

beforeAll(() => {
  ensureBinary();
  w = makeWorld();
  const policyLines = Object.entries(POLICY)
    .map(([k, v]) => `${k.replace("BACKUP_TUI_LOCAL_BACKUP_", "")}=${v}`)
    .join("\n");
  writeFileSync(w.configFile, readFileSync(w.configFile, "utf8").replace("KEEP_LAST=3", policyLines), { mode: 0o600 });
  restic(w, ["init", "-q"]);
  project = `grd${randomBytes(4).toString("hex")}`;
  volume = `${project}_data`;
  stackDir = writeStack(
    w.stacksDir,
    project,
    { db: { volumes: ["data:/data"] }, web: { dependsOn: ["db"], volumes: ["data:/shared"] } },
    ["data"],
  );
  composeUp(stackDir);
  mp = volumeMountpoint(volume);
  fileLive = join(mp, "records", "r1.txt");

  writeData("v1");
  backup();
  writeData("v2");
  rmSync(join(mp, "records", "r7.txt"));
  writeFileSync(join(mp, "added-in-v2.txt"), "v2 only\n");
  backup();
  v2 = { volume: treeDigest(mp), stackDir: treeDigest(stackDir), file: readFileSync(fileLive, "utf8") };
  const stack = stackSnapshots();
  expect(stack, "two stack snapshots").toHaveLength(2);
  [snap.first, snap.second] = stack.map((s) => s.id);

  // The live data now differs from both snapshots: any restore would change it.
  writeData("v3");
  writeFileSync(join(mp, "stray-in-v3.txt"), "not in any snapshot\n");
  unreferencedData();

  pwDir = join(w.dir, "passwords");
  mkdirSync(pwDir, { mode: 0o700 });
  files.right = join(pwDir, "right");
  writeFileSync(files.right, `${RIGHT}\n`, { mode: 0o600 });
  files.wrong = join(pwDir, "wrong");
  writeFileSync(files.wrong, `${WRONG}\n`, { mode: 0o600 });
  files.rightTrailingSpace = join(pwDir, "right-space");
  writeFileSync(files.rightTrailingSpace, `${RIGHT} \n`, { mode: 0o600 });
  files.empty = join(pwDir, "empty");
  writeFileSync(files.empty, "", { mode: 0o600 });
  files.missing = join(pwDir, "missing");
  files.directory = join(pwDir, "a-directory");
  mkdirSync(files.directory);
  const set = run(["config", "set-confirm-password", "--password-file", files.right]);
  expect(set.code, show(set)).toBe(0);
  expect(readFileSync(w.configFile, "utf8")).toMatch(/^CONFIRM_PASSWORD_HASH=scrypt\$/m);
});

afterAll(() => {
  if (stackDir) composeDown(stackDir);
  w?.cleanup();
});

interface Action {
  name: string;
  args: () => string[];
  env?: NodeJS.ProcessEnv;
}

const ACTIONS: Action[] = [
  { name: "restore --stack", args: () => ["restore", "--stack", project] },
  { name: "restore --volume", args: () => ["restore", "--volume", volume] },
  { name: "restore --stack --file", args: () => ["restore", "--stack", project, "--file", fileLive] },
  { name: "delete ID", args: () => ["delete", snap.first] },
  { name: "forget", args: () => ["forget"] },
  { name: "forget --prune", args: () => ["forget", "--prune"] },
  { name: "prune", args: () => ["prune"] },
];

interface Attempt {
  name: string;
  args: () => string[];
  env?: NodeJS.ProcessEnv;
  says: RegExp;
  /** A password was given and is wrong: the refusal is logged. */
  wrong?: boolean;
}

const REQUIRED = /refusing to .* a confirmation password is required/;
const WRONG_MSG = /wrong confirmation password; nothing was changed/;

/** Every action: no --yes, no password, a wrong password by file and by variable. */
const CORE: Attempt[] = [
  { name: "without --yes", args: () => [], says: /refusing to .* without confirmation \(no terminal to ask on\)/ },
  {
    name: "without --yes, even with the right password in BACKUP_TUI_CONFIRM_PASSWORD",
    args: () => [],
    env: { BACKUP_TUI_CONFIRM_PASSWORD: RIGHT },
    says: /without confirmation/,
  },
  { name: "--yes without a password", args: () => ["--yes"], says: REQUIRED },
  {
    name: "--yes with a wrong --confirm-password-file",
    args: () => ["--yes", "--confirm-password-file", files.wrong],
    says: WRONG_MSG,
    wrong: true,
  },
  {
    name: "--yes with a wrong BACKUP_TUI_CONFIRM_PASSWORD",
    args: () => ["--yes"],
    env: { BACKUP_TUI_CONFIRM_PASSWORD: WRONG },
    says: WRONG_MSG,
    wrong: true,
  },
];
/** Near misses and unusable password sources, for delete. */
const EDGES: Attempt[] = [
  {
    name: "--yes with the right password minus its last character",
    args: () => ["--yes"],
    env: { BACKUP_TUI_CONFIRM_PASSWORD: RIGHT.slice(0, -1) },
    says: WRONG_MSG,
    wrong: true,
  },
  {
    name: "--yes with the right password plus a trailing space (file)",
    args: () => ["--yes", "--confirm-password-file", files.rightTrailingSpace],
    says: WRONG_MSG,
    wrong: true,
  },
  {
    name: "--yes with an empty password file",
    args: () => ["--yes", "--confirm-password-file", files.empty],
    says: WRONG_MSG,
    wrong: true,
  },
  {
    name: "--yes with a wrong file while the variable holds the right one (the file counts)",
    args: () => ["--yes", "--confirm-password-file", files.wrong],
    env: { BACKUP_TUI_CONFIRM_PASSWORD: RIGHT },
    says: WRONG_MSG,
    wrong: true,
  },
  {
    name: "--yes with a missing password file",
    args: () => ["--yes", "--confirm-password-file", files.missing],
    says: /cannot read --confirm-password-file .*ENOENT/,
  },
  {
    name: "--yes with a directory as the password file",
    args: () => ["--yes", "--confirm-password-file", files.directory],
    says: /cannot read --confirm-password-file .*EISDIR/,
  },
  {
    name: "--yes with an empty BACKUP_TUI_CONFIRM_PASSWORD",
    args: () => ["--yes"],
    env: { BACKUP_TUI_CONFIRM_PASSWORD: "" },
    says: WRONG_MSG,
    wrong: true,
  },
];

const CASES = ACTIONS.flatMap((a) =>
  [...CORE, ...(a.name === "delete ID" ? EDGES : [])].map((t) => ({ action: a, attempt: t })),
);

describe("guarded actions refused: exit 2, and nothing changes", () => {
  let baseline: Observed;

  beforeAll(() => {
    baseline = observe();
    expect(
      Object.values(baseline.containers).every((c) => c.startsWith("running ")),
      JSON.stringify(baseline.containers),
    ).toBe(true);
    expect(Object.keys(baseline.containers)).toHaveLength(2);
  });

  it.each(CASES.map((c) => [`${c.action.name} — ${c.attempt.name}`, c] as const))(
    "%s",
    (_name, { action, attempt }) => {
      const r = run([...action.args(), ...attempt.args()], { ...action.env, ...attempt.env });
      if (attempt.wrong) wrongAttempts++;
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr, show(r)).toMatch(/^error: /m);
      expect(r.stderr, show(r)).toMatch(attempt.says);
      noStackTrace(r);
      const now = observe();
      expect(now.snapshots, "snapshot list").toEqual(baseline.snapshots);
      expect(now.repo, "repository files").toEqual(baseline.repo);
      expect(now.volume, "live volume data").toEqual(baseline.volume);
      expect(now.stackDir, "stack directory").toEqual(baseline.stackDir);
      expect(now.beside, "staging left beside the live paths").toEqual(baseline.beside);
      expect(now.containers, "containers (state, start time, restarts)").toEqual(baseline.containers);
    },
  );

  it("every wrong password was logged as refused, naming the action, and no password or hash is in the log", () => {
    const log = readFileSync(join(w.stateDir, "backup-tui.log"), "utf8");
    const refused = log.split("\n").filter((l) => l.includes("refused: wrong confirmation password"));
    expect(wrongAttempts).toBeGreaterThan(0);
    expect(refused).toHaveLength(wrongAttempts);
    for (const what of [
      "restore stack",
      "restore volume",
      "restore " + fileLive,
      "delete 1 snapshot",
      "apply retention",
      "and prune",
      "prune the repository",
    ]) {
      expect(
        refused.some((l) => l.includes(what)),
        `a refusal naming "${what}"`,
      ).toBe(true);
    }
    const hash = /^CONFIRM_PASSWORD_HASH=(.*)$/m.exec(readFileSync(w.configFile, "utf8"))![1];
    for (const secret of [RIGHT, WRONG, RIGHT.slice(0, -1), hash]) expect(log).not.toContain(secret);
  });
});

describe("positive controls: the right password lets each action do its work", () => {
  const env = { BACKUP_TUI_CONFIRM_PASSWORD: RIGHT };

  it("restore --stack (password file) brings back snapshot #2 exactly, keeps a safety snapshot, restarts the stack", () => {
    const before = ids();
    const r = run(["restore", "--stack", project, "--yes", "--confirm-password-file", files.right]);
    expect(r.code, show(r)).toBe(0);
    expect(treeDigest(mp)).toEqual(v2.volume);
    expect(treeDigest(stackDir)).toEqual(v2.stackDir);
    const added = ids().filter((id) => !before.includes(id));
    expect(added).toHaveLength(1);
    expect(snapshots().find((s) => s.id === added[0])?.tags).toContain("kind:pre-restore");
    expect(Object.values(containers()).every((c) => c.startsWith("running "))).toBe(true);
  });

  it("restore --volume (password variable) brings back the volume", () => {
    writeFileSync(join(mp, "settings.json"), "changed again");
    rmSync(join(mp, "records", "r2.txt"));
    const r = run(["restore", "--volume", volume, "--yes"], env);
    expect(r.code, show(r)).toBe(0);
    expect(treeDigest(mp)).toEqual(v2.volume);
    expect(Object.values(containers()).every((c) => c.startsWith("running "))).toBe(true);
  });

  it("restore --stack --file brings back that file only", () => {
    writeFileSync(fileLive, "edited\n");
    writeFileSync(join(mp, "records", "r3.txt"), "also edited\n");
    const r = run(["restore", "--stack", project, "--file", fileLive, "--yes"], env);
    expect(r.code, show(r)).toBe(0);
    expect(readFileSync(fileLive, "utf8")).toBe(v2.file);
    expect(readFileSync(join(mp, "records", "r3.txt"), "utf8")).toBe("also edited\n");
  });

  it("delete ID removes exactly that snapshot", () => {
    const before = ids();
    const r = run(["delete", snap.first, "--yes"], env);
    expect(r.code, show(r)).toBe(0);
    expect(ids()).toEqual(before.filter((id) => id !== snap.first));
  });

  it("forget applies the policy: removes exactly the older stack snapshot, keeps the safety snapshots", () => {
    backup(["--strategy", "none"]);
    const before = ids();
    const r = run(["forget", "--yes"], env);
    expect(r.code, show(r)).toBe(0);
    expect(ids()).toEqual(before.filter((id) => id !== snap.second));
  });

  it("forget --prune removes the older stack snapshot and prunes", () => {
    const older = stackSnapshots()[0].id;
    backup(["--strategy", "none"]);
    const before = ids();
    const r = run(["forget", "--prune", "--yes", "--confirm-password-file", files.right]);
    expect(r.code, show(r)).toBe(0);
    expect(ids()).toEqual(before.filter((id) => id !== older));
    expect(restic(w, ["check"])).toContain("no errors were found");
  });

  it("prune deletes data no snapshot uses, and no snapshot", () => {
    unreferencedData();
    const before = observe();
    const r = run(["prune", "--yes"], env);
    expect(r.code, show(r)).toBe(0);
    const after = observe();
    expect(after.snapshots).toEqual(before.snapshots);
    const data = (o: Observed) => Object.keys(o.repo).filter((k) => k.startsWith("data/") && o.repo[k] !== "dir");
    expect(data(after).length).toBeLessThan(data(before).length);
    expect(restic(w, ["check"])).toContain("no errors were found");
  });

  it("the passwords never appeared in any output", () => {
    for (const secret of [RIGHT, WRONG, RIGHT.slice(0, -1)]) for (const o of outputs) expect(o).not.toContain(secret);
  });
});

describe("ways around the guard", () => {
  // Was a guard bypass (fixed): a caller set BACKUP_TUI_SECURITY_CONFIRM_PASSWORD_HASH to the hash of a
  // password of their own choosing and deleted. The hash now comes from the config file only.
  it("a confirmation hash from the environment does not replace the configured one", () => {
    backup(["--strategy", "none"]);
    const victim = stackSnapshots()[0].id;
    const scratch = join(w.dir, "attacker.ini");
    copyFileSync(w.configFile, scratch);
    writeFileSync(scratch, readFileSync(scratch, "utf8").replace(/^CONFIRM_PASSWORD_HASH=.*$/m, ""), { mode: 0o600 });
    const attackerPw = join(pwDir, "attacker");
    writeFileSync(attackerPw, ATTACKER, { mode: 0o600 });
    expect(run(["--config", scratch, "config", "set-confirm-password", "--password-file", attackerPw]).code).toBe(0);
    const hash = /^CONFIRM_PASSWORD_HASH=(.*)$/m.exec(readFileSync(scratch, "utf8"))![1];
    const before = ids();
    const r = run(["delete", victim, "--yes"], {
      BACKUP_TUI_SECURITY_CONFIRM_PASSWORD_HASH: hash,
      BACKUP_TUI_CONFIRM_PASSWORD: ATTACKER,
    });
    expect(ids(), "the snapshot was deleted with a password the admin never set").toEqual(before);
    expect(r.code, show(r)).toBe(2);
  });

  // Was a guard bypass (fixed): `forget --scheduled` skips the guard ("the policy is the consent"), but the
  // policy itself could come from the caller's environment (BACKUP_TUI_LOCAL_BACKUP_KEEP_*), so anyone could
  // forget and prune by hand without the password. Now refused (exit 2) when a policy key comes from the environment
  // (by the config loader, for every command: test/integration/guard-env-keys.test.ts).
  it("forget --scheduled by hand with a policy from the environment is refused", () => {
    backup(["--strategy", "none"]);
    const before = ids();
    expect(stackSnapshots().length).toBeGreaterThanOrEqual(2);
    const r = run(["forget", "--prune", "--scheduled"], POLICY);
    expect(ids(), "snapshots were forgotten without the confirmation password").toEqual(before);
    expect(r.code, show(r)).toBe(2);
  });

  it("the configured hash is still the one in the file", () => {
    expect(readFileSync(w.configFile, "utf8")).toMatch(/^CONFIRM_PASSWORD_HASH=scrypt\$/m);
    expect(existsSync(files.right)).toBe(true);
    expect(execFileSync("sh", ["-c", `stat -c %a ${w.configFile}`], { encoding: "utf8" }).trim()).toBe("600");
  });
});
