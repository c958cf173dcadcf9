/**
 * Small in-memory fakes of the external tools, passed in as arguments (no module mocking):
 * fakeDocker (DockerApi), fakeRestic (the Restic methods services use), fakeRunner (Runner),
 * fakeDockerCli (DockerCli, in fake-docker-cli.ts),
 * and testContext, a ServiceContext over them with the REAL StopJournal and StateStore in a temp dir.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSettings } from "../../src/config/defaults";
import type { Config, StackSettings } from "../../src/config/types";
import type { ContainerInfo, ContainerStatus, DockerApi, Mount, VolumeInfo } from "../../src/docker/client";
import { Rclone } from "../../src/rclone/rclone";
import { ComposeCli } from "../../src/docker/compose";
import { stackState, type Stack } from "../../src/docker/discovery";
import { COMPOSE } from "../../src/docker/labels";
import { ToolError } from "../../src/errors";
import type { Runner, RunOptions, RunResult } from "../../src/exec/runner";
import { silentLogger } from "../../src/log";
import { featuresOf } from "../../src/restic/features";
import type { ForgetGroup, Snapshot } from "../../src/restic/json";
import type {
  BackupRequest as ResticBackupRequest,
  BackupResult,
  ForgetRequest,
  Restic,
} from "../../src/restic/restic";
import type { ServiceContext } from "../../src/services/run/context";
import { StopJournal } from "../../src/state/journal";
import { currentOwner } from "../../src/state/process-info";
import { StateStore } from "../../src/state/store";
// ---- docker CLI fake (fake-docker-cli.ts): testContext passes it as ctx.dockerCli
import { fakeDockerCli, type FakeDockerCli } from "./fake-docker-cli";

// ---------------------------------------------------------------- docker

export interface ContainerSpec {
  name: string;
  id?: string;
  project?: string;
  service?: string;
  status?: ContainerStatus;
  dependsOn?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
  mounts?: Mount[];
  oneoff?: boolean;
}

/** A Compose-labelled container (project "app", service = name unless given). */
export function container(s: ContainerSpec): ContainerInfo {
  const project = s.project ?? "app";
  const labels: Record<string, string> = {
    [COMPOSE.project]: project,
    [COMPOSE.service]: s.service ?? s.name,
    [COMPOSE.oneoff]: s.oneoff ? "True" : "False",
  };
  if (s.dependsOn?.length) labels[COMPOSE.dependsOn] = s.dependsOn.map((d) => `${d}:service_started:true`).join(",");
  if (s.workingDir) labels[COMPOSE.workingDir] = s.workingDir;
  return {
    id: s.id ?? `id-${s.name}`,
    name: s.name,
    status: s.status ?? "running",
    image: "busybox:latest",
    imageId: "sha256:0123",
    labels: { ...labels, ...s.labels },
    mounts: s.mounts ?? [],
  };
}

/** A container without any Compose labels. */
export function plainContainer(name: string, status: ContainerStatus = "running"): ContainerInfo {
  return { id: `id-${name}`, name, status, image: "busybox:latest", imageId: "sha256:0123", labels: {}, mounts: [] };
}

export type DockerOp = "stop" | "start" | "pause" | "unpause";

export interface FakeDockerOptions {
  containers?: ContainerInfo[];
  volumes?: VolumeInfo[];
  /** By container name: start "succeeds" but the container stays exited with this code and log. */
  failStart?: Record<string, { exitCode?: number; logTail?: string }>;
  /** Container names whose stop is refused by the engine. */
  failStop?: string[];
  /** By container name: how long stop/start takes (the state changes when it returns, as with dockerd). */
  delayMs?: Record<string, number>;
  /** Called as an operation begins, before the state changes (to look at the world at that moment). */
  onCall?: (op: DockerOp, c: ContainerInfo) => void;
}

export interface FakeDocker extends DockerApi {
  /** Operations in the order they began: "stop web", "start db", ... */
  calls: string[];
  /** Most operations of a kind seen in flight at once. */
  maxParallel: Record<DockerOp, number>;
  /** The container as it is now, by name. */
  get(name: string): ContainerInfo | undefined;
  /** What `compose up` does to a container it recreates: same name and labels, a new id. */
  recreate(name: string, newId: string, status?: ContainerStatus): void;
}

export function fakeDocker(o: FakeDockerOptions = {}): FakeDocker {
  const byId = new Map<string, ContainerInfo>((o.containers ?? []).map((c) => [c.id, structuredClone(c)]));
  const volumes = new Map<string, VolumeInfo>((o.volumes ?? []).map((v) => [v.name, structuredClone(v)]));
  const calls: string[] = [];
  const inFlight: Record<DockerOp, number> = { stop: 0, start: 0, pause: 0, unpause: 0 };
  const maxParallel: Record<DockerOp, number> = { stop: 0, start: 0, pause: 0, unpause: 0 };

  const need = (id: string): ContainerInfo => {
    const c = byId.get(id);
    if (!c) throw new Error(`Docker: no such container: ${id}`);
    return c;
  };
  const op = async (kind: DockerOp, id: string, change: (c: ContainerInfo) => void) => {
    const c = need(id);
    calls.push(`${kind} ${c.name}`);
    o.onCall?.(kind, structuredClone(c));
    inFlight[kind]++;
    maxParallel[kind] = Math.max(maxParallel[kind], inFlight[kind]);
    try {
      // Always yield, so calls made together overlap as they would against dockerd.
      await new Promise((r) => setTimeout(r, o.delayMs?.[c.name] ?? 1));
      change(c);
    } finally {
      inFlight[kind]--;
    }
  };
  const matches = (labels: Record<string, string>, filter?: string) => {
    if (!filter) return true;
    const i = filter.indexOf("=");
    return i < 0 ? filter in labels : labels[filter.slice(0, i)] === filter.slice(i + 1);
  };

  return {
    calls,
    maxParallel,
    get: (name) => [...byId.values()].find((c) => c.name === name),
    recreate(name, newId, status = "exited") {
      const old = [...byId.values()].find((c) => c.name === name);
      if (!old) throw new Error(`fakeDocker: no container ${name} to recreate`);
      byId.delete(old.id);
      byId.set(newId, { ...old, id: newId, status });
    },
    version: async () => ({ version: "27.3.1", apiVersion: "1.47", os: "linux" }),
    listContainers: async (label) =>
      [...byId.values()].filter((c) => matches(c.labels, label)).map((c) => structuredClone(c)),
    inspect: async (id) => {
      const c = byId.get(id);
      return c && structuredClone(c);
    },
    stop: (id) =>
      op("stop", id, (c) => {
        if (o.failStop?.includes(c.name))
          throw new Error(`Docker: stop ${c.name} failed: cannot stop container: permission denied`);
        if (c.status === "running" || c.status === "restarting" || c.status === "paused")
          Object.assign(c, { status: "exited", exitCode: 0 });
      }),
    start: (id) =>
      op("start", id, (c) => {
        const fail = o.failStart?.[c.name];
        Object.assign(
          c,
          fail ? { status: "exited", exitCode: fail.exitCode ?? 1 } : { status: "running", exitCode: 0 },
        );
      }),
    pause: (id) =>
      op("pause", id, (c) => {
        if (c.status !== "running") throw new Error(`Docker: pause ${c.name} failed: container is not running`);
        c.status = "paused";
      }),
    unpause: (id) =>
      op("unpause", id, (c) => {
        if (c.status !== "paused") throw new Error(`Docker: unpause ${c.name} failed: container is not paused`);
        c.status = "running";
      }),
    listVolumes: async (label) =>
      [...volumes.values()].filter((v) => matches(v.labels, label)).map((v) => structuredClone(v)),
    inspectVolume: async (name) => {
      const v = volumes.get(name);
      return v && structuredClone(v);
    },
    createVolume: async (name, labels = {}) => {
      const v = { name, mountpoint: `/var/lib/docker/volumes/${name}/_data`, driver: "local", labels };
      volumes.set(name, v);
      return structuredClone(v);
    },
    logsTail: async (id) => {
      const c = byId.get(id);
      return (c && o.failStart?.[c.name]?.logTail) ?? "";
    },
    runConfig: async () => undefined,
    runScratch: async () => {
      throw new Error("the fake Docker engine runs no scratch containers");
    },
    removeContainer: async () => {},
  };
}

/** A Stack as discovery would report it. */
export function fakeStack(
  name: string,
  containers: ContainerInfo[],
  o: { dir?: string; project?: string; volumes?: VolumeInfo[] } = {},
): Stack {
  return {
    name,
    project: o.project ?? name,
    dir: o.dir,
    source: o.dir ? "both" : "labels",
    composeFiles: o.dir ? [join(o.dir, "compose.yaml")] : [],
    envFiles: [],
    containers,
    volumes: o.volumes ?? [],
    state: stackState(containers),
  };
}

// ---------------------------------------------------------------- runner

export interface RunnerAnswer {
  /** Matches `${file} ${args.join(" ")}`: a prefix, a RegExp, or a predicate. */
  match: string | RegExp | ((file: string, args: readonly string[], o: RunOptions) => boolean);
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Computes the answer from the call (e.g. to read a temp file before it is removed). */
  reply?: (
    file: string,
    args: readonly string[],
    o: RunOptions,
  ) => { stdout?: string; stderr?: string; exitCode?: number } | void;
  /** Answer only this many calls, then let later answers match. */
  times?: number;
  /** Reject with this instead (a spawn failure, a timeout). */
  error?: Error;
}

export interface FakeRunner extends Runner {
  calls: Array<{ file: string; args: string[]; options: RunOptions }>;
  /** The calls as command lines. */
  commands(): string[];
}

/**
 * A Runner that answers from a table, behaving like ProcessRunner: it feeds the line
 * callbacks and rejects with a ToolError (reason "exit") outside okExitCodes.
 * A call no answer matches rejects, naming the command.
 */
export function fakeRunner(answers: RunnerAnswer[] = []): FakeRunner {
  const table = answers.map((a) => ({ ...a, left: a.times ?? Infinity }));
  const calls: FakeRunner["calls"] = [];
  const line = (file: string, args: readonly string[]) => [file, ...args].join(" ");
  return {
    calls,
    commands: () => calls.map((c) => line(c.file, c.args)),
    async run(file, args, options = {}): Promise<RunResult> {
      const command = line(file, args);
      calls.push({ file, args: [...args], options });
      const a = table.find(
        (x) =>
          x.left > 0 &&
          (typeof x.match === "string"
            ? command.startsWith(x.match)
            : x.match instanceof RegExp
              ? x.match.test(command)
              : x.match(file, args, options)),
      );
      if (!a) throw new Error(`fakeRunner: no answer for \`${command}\``);
      a.left--;
      await new Promise((r) => setTimeout(r, 0));
      if (a.error) throw a.error;
      const r = {
        stdout: a.stdout ?? "",
        stderr: a.stderr ?? "",
        exitCode: a.exitCode ?? 0,
        ...a.reply?.(file, args, options),
      };
      for (const l of lines(r.stdout)) options.onStdoutLine?.(l);
      for (const l of lines(r.stderr)) options.onStderrLine?.(l);
      if (!(options.okExitCodes ?? [0]).includes(r.exitCode)) {
        const tail = r.stderr.trimEnd().split("\n").slice(-20).join("\n");
        const last = tail.split("\n").pop();
        throw new ToolError(
          `${file} failed (exit ${r.exitCode})${last ? `: ${last}` : ""}`,
          command,
          r.exitCode,
          tail,
          "exit",
        );
      }
      return {
        exitCode: r.exitCode,
        stdout: options.bufferStdout === false ? "" : r.stdout,
        stderr: r.stderr,
        durationMs: 1,
        command,
      };
    },
  };
}

function lines(text: string): string[] {
  if (!text) return [];
  const out = text.split("\n");
  if (out[out.length - 1] === "") out.pop();
  return out;
}

/** Compose answering every call (version --short says 2.40.3). */
export const COMPOSE_OK: RunnerAnswer[] = [
  { match: "docker compose version", stdout: "2.40.3\n" },
  { match: "docker compose", stdout: "" },
];

// ---------------------------------------------------------------- restic

export type ResticUsed = Pick<
  Restic,
  "repository" | "features" | "exists" | "init" | "snapshots" | "backup" | "forget" | "check" | "prune" | "unlock"
>;

export interface FakeResticOptions {
  /** What `snapshots` lists (filtered by host and tags as restic would). */
  snapshots?: Snapshot[];
  version?: string;
  /** Make a backup pass throw: "hot" is the kind:hot pass, "final" any other (final or single). */
  failOn?: "hot" | "final";
  failWith?: Error;
  /** Files the final/single pass could not read: it ends partial (restic exit 3). */
  unreadable?: Array<{ item: string; message: string }>;
  forgetGroups?: (req: ForgetRequest) => ForgetGroup[];
  forgetError?: Error;
  checkOk?: boolean;
  /** Called as each backup begins (to look at the world at that moment). */
  onBackup?: (req: ResticBackupRequest) => void;
}

export interface FakeRestic extends ResticUsed {
  /** Every call in order, e.g. "backup kind:hot", "forget", "prune". */
  calls: string[];
  backups: ResticBackupRequest[];
  forgets: ForgetRequest[];
  /** Snapshot ids returned by backups, in order. */
  created: string[];
}

export function fakeRestic(o: FakeResticOptions = {}): FakeRestic {
  const calls: string[] = [];
  const backups: ResticBackupRequest[] = [];
  const forgets: ForgetRequest[] = [];
  const created: string[] = [];
  return {
    calls,
    backups,
    forgets,
    created,
    repository: "/srv/restic-repo",
    features: async () => featuresOf(o.version ?? "0.19.1"),
    exists: async () => true,
    init: async () => {
      calls.push("init");
      return "exists";
    },
    snapshots: async (q = {}) => {
      calls.push("snapshots");
      return (o.snapshots ?? []).filter(
        (s) => (!q.host || s.hostname === q.host) && (q.tags ?? []).every((t) => s.tags.includes(t)),
      );
    },
    backup: async (req): Promise<BackupResult> => {
      const kind = req.tags.find((t) => t.startsWith("kind:")) ?? "kind:?";
      calls.push(`backup ${kind}`);
      backups.push(req);
      o.onBackup?.(req);
      await new Promise((r) => setTimeout(r, 1));
      const pass = kind === "kind:hot" ? "hot" : "final";
      if (o.failOn === pass) {
        throw (
          o.failWith ??
          new ToolError(
            "restic failed (exit 1): Fatal: unable to save snapshot: disk full",
            "restic backup --json",
            1,
            "Fatal: unable to save snapshot: disk full",
            "exit",
          )
        );
      }
      req.onProgress?.({
        percent: 1,
        bytesDone: 1000,
        totalBytes: 1000,
        filesDone: 1,
        totalFiles: 1,
        currentFiles: [],
      });
      const snapshotId = `snap${created.length + 1}-${kind.slice(5)}`;
      created.push(snapshotId);
      const unreadable = pass === "final" ? (o.unreadable ?? []) : [];
      return {
        snapshotId,
        partial: unreadable.length > 0,
        unreadable,
        summary: {
          message_type: "summary",
          files_new: 2,
          files_changed: 1,
          files_unmodified: 10,
          data_added: 1000 * created.length,
          total_files_processed: 13,
          total_bytes_processed: 50_000,
          total_duration: 0.5,
          snapshot_id: snapshotId,
        },
      };
    },
    forget: async (req) => {
      calls.push("forget");
      forgets.push(req);
      if (o.forgetError) throw o.forgetError;
      return o.forgetGroups?.(req) ?? [];
    },
    check: async () => {
      calls.push("check");
      return {
        ok: o.checkOk ?? true,
        output: o.checkOk === false ? "Fatal: repository contains errors" : "no errors were found",
      };
    },
    prune: async () => {
      calls.push("prune");
    },
    unlock: async () => {
      calls.push("unlock");
    },
  };
}

/** A snapshot as `restic snapshots --json` lists it. */
export function snapshot(s: { id: string; time: string; host?: string; tags: string[] }): Snapshot {
  return {
    id: s.id,
    short_id: s.id.slice(0, 8),
    time: s.time,
    hostname: s.host ?? "test-host",
    tags: s.tags,
    paths: ["/srv/stacks/x"],
    tree: "tree",
  };
}

// ---------------------------------------------------------------- context

/**
 * A Config for unit tests: the schema's defaults (src/config/defaults.ts), with what tests rely on
 * set here: shorter Docker timeouts and hooks, a compose command, a keep policy of the last 3.
 */
export function testConfig(
  stateDir: string,
  over: {
    stacks?: Record<string, Partial<StackSettings>>;
    docker?: Partial<Config["docker"]>;
    retention?: Partial<Config["retention"]>;
    verification?: Partial<Config["verification"]>;
  } = {},
): Config {
  const { stack, ...d } = defaultSettings();
  const stacks: Record<string, StackSettings> = {};
  for (const [name, s] of Object.entries(over.stacks ?? {}))
    stacks[name] = { ...stack, hookTimeoutSec: 60, ...s } as StackSettings;
  return {
    ...d,
    source: { format: "embedded" },
    stateDir,
    dirlistFile: join(stateDir, "dirlist"),
    hostname: "test-host",
    docker: { ...d.docker, timeoutSec: 30, stopTimeoutSec: 10, composeCommand: "docker compose", ...over.docker },
    restic: {
      ...d.restic,
      repository: "/srv/restic-repo",
      password: { kind: "file", path: join(stateDir, "restic-password"), origin: "test" },
      autoInit: false,
    },
    retention: { ...d.retention, keep: { last: 3 }, ...over.retention },
    verification: { ...d.verification, ...over.verification },
    stacks,
    warnings: [],
  };
}

export interface TestContext {
  ctx: ServiceContext;
  /** A temp dir for the test: state/ (journal, state.db) and stacks/ live here. */
  dir: string;
  stateDir: string;
  stacksDir: string;
  docker: FakeDocker;
  /** The docker CLI calls (exec, save/load, network create, raw inspect): fake-docker-cli.ts. */
  dockerCli: FakeDockerCli;
  restic: FakeRestic;
  runner: FakeRunner;
  cleanup(): void;
}

/** A ServiceContext over fakes, with the real StopJournal and StateStore in a fresh temp dir. */
export function testContext(
  o: {
    docker?: FakeDocker;
    dockerCli?: FakeDockerCli;
    restic?: FakeRestic;
    runner?: FakeRunner;
    config?: Parameters<typeof testConfig>[1];
  } = {},
): TestContext {
  const dir = mkdtempSync(join(tmpdir(), "btui-unit-"));
  const stateDir = join(dir, "state");
  const stacksDir = join(dir, "stacks");
  mkdirSync(stacksDir, { recursive: true });
  const config = testConfig(stateDir, o.config);
  const docker = o.docker ?? fakeDocker();
  const dockerCli = o.dockerCli ?? fakeDockerCli();
  const restic = o.restic ?? fakeRestic();
  const runner = o.runner ?? fakeRunner(COMPOSE_OK);
  const store = StateStore.open(join(stateDir, "state.db"));
  const ctx: ServiceContext = {
    config,
    runner,
    docker,
    dockerCli,
    compose: new ComposeCli(runner, config.docker.composeCommand),
    // ServiceContext names the Restic class, whose private fields make it nominal:
    // the fake has every method services call.
    restic: restic as unknown as Restic,
    resticFor: () => restic as unknown as Restic,
    rclone: new Rclone(runner, { binary: "rclone" }),
    store,
    journal: new StopJournal(stateDir),
    log: silentLogger,
    owner: currentOwner(config.hostname, "backup-tui backup"),
    version: "0.1.0-test",
    hotPassMin: { bytes: 0, entries: 0 },
  };
  return {
    ctx,
    dir,
    stateDir,
    stacksDir,
    docker,
    dockerCli,
    restic,
    runner,
    cleanup() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- use cases (h/jobs-a)
// rclone and a local repository directory for the job tests (test/unit/usecases); kept apart
// from the fakes above so other additions to this file do not collide.

export interface FakeRcloneOptions {
  /** The remote's repository `config` (undefined: a new, empty remote path). */
  remoteConfig?: string;
  /** What `rclone check` finds differing (none: the copy matches). */
  differences?: string[];
  /** Make the kit's `rclone copy` throw. */
  copyError?: Error;
  /** The file names under the remote's snapshots/ (change it between syncs to play a loss). */
  snapshots?: string[];
}

export interface FakeRclone {
  /** Every call in order: "cat PATH", "sync SRC DST", "check", "copy SRC DST", "lsf PATH", "purge PATH". */
  calls: string[];
  /** The options each `sync` got (stall timeout, dry run...). */
  syncs: Array<Record<string, unknown>>;
}

/** An in-memory rclone for sync and the kit copy, set as tc.ctx.rclone. */
export function fakeRclone(tc: TestContext, o: FakeRcloneOptions = {}): FakeRclone {
  const calls: string[] = [];
  const syncs: FakeRclone["syncs"] = [];
  const fake = {
    cat: async (path: string) => (calls.push(`cat ${path}`), o.remoteConfig),
    lsf: async (path: string) => (calls.push(`lsf ${path}`), path.endsWith("/snapshots") ? (o.snapshots ?? []) : []),
    sync: async (src: string, dst: string, opts: Record<string, unknown>) => {
      calls.push(`sync ${src} ${dst}`);
      syncs.push(opts);
      return { copied: 3, deleted: 0, stats: { bytes: 3000, elapsedTime: 1 } };
    },
    check: async () => {
      calls.push("check");
      const differences = o.differences ?? [];
      return { ok: differences.length === 0, differences };
    },
    copy: async (src: string, dst: string) => {
      calls.push(`copy ${src} ${dst}`);
      if (o.copyError) throw o.copyError;
      return { copied: 1, deleted: 0 };
    },
    purge: async (path: string) => void calls.push(`purge ${path}`),
    size: async (path: string) => (calls.push(`size ${path}`), { count: 0, bytes: 0 }),
  };
  tc.ctx.rclone = fake as unknown as Rclone;
  return { calls, syncs };
}

/**
 * A local restic repository directory (config and snapshot files, no packs) as the configured
 * repository, a cloud remote "cloud:backups/test-host" and a recovery kit in the state dir.
 */
export function localRepositoryWithKit(tc: TestContext, o: { kit?: boolean } = {}): string {
  const repo = join(tc.dir, "repo");
  mkdirSync(join(repo, "snapshots"), { recursive: true });
  writeFileSync(join(repo, "config"), "repository-config-1");
  writeFileSync(join(repo, "snapshots", "aaaa"), "");
  tc.ctx.config.restic.repository = repo;
  tc.ctx.config.cloud = { ...tc.ctx.config.cloud, remote: "cloud", path: "backups/test-host" };
  tc.ctx.config.targets = [
    {
      name: "default",
      section: "cloud_sync",
      mode: "mirror",
      remote: "cloud",
      path: "backups/test-host",
      transfers: 4,
      keepDeletedDays: 7,
      maxDeletePercent: 50,
    },
  ];
  if (o.kit !== false) {
    mkdirSync(join(tc.stateDir, "kit"), { recursive: true });
    writeFileSync(join(tc.stateDir, "kit", "README.txt"), "how to recover");
  }
  return repo;
}

/** fakeRestic with `tag` (protect/unprotect): it records "tag ID +protected" and rewrites nothing. */
export function withTag(restic: FakeRestic): FakeRestic & { tag: Restic["tag"] } {
  return Object.assign(restic, {
    tag: async (ids: string[], change: { add?: string[]; remove?: string[] }) => {
      restic.calls.push(
        `tag ${ids.join(",")} ${[...(change.add ?? []).map((t) => `+${t}`), ...(change.remove ?? []).map((t) => `-${t}`)].join(" ")}`,
      );
    },
  });
}
