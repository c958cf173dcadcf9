import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseEngine, readEngineFacts } from "../../../src/docker/engine-facts";
import { engineWords, type EngineSituation } from "../../../src/docker/engine-words";
import { checkDocker } from "../../../src/services/doctor/doctor";

// scripts/lib/docker-engine.sh driven under bash with fake docker, dockerd, systemctl,
// apt-get and id first on PATH (they record their calls); nothing real is started or installed.
const LIB = resolve(__dirname, "../../../scripts/lib/docker-engine.sh");
const TOOLS = [
  "bash",
  "cat",
  "chmod",
  "dirname",
  "grep",
  "head",
  "mkdir",
  "rm",
  "sed",
  "seq",
  "setsid",
  "sleep",
  "stat",
  "tail",
  "timeout",
  "touch",
];
const BASH = spawnSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).stdout.trim();

interface World {
  dir: string;
  root: string;
  bin: string;
  state: string;
  log: string;
  env: Record<string, string>;
}

const worlds: string[] = [];
afterEach(() => {
  for (const d of worlds.splice(0)) rmSync(d, { recursive: true, force: true });
});

const script = (path: string, body: string) => {
  writeFileSync(path, `#!${BASH}\necho "\${0##*/} $*" >>"$STATE/calls"\n${body}\n`);
  chmodSync(path, 0o755);
};

/** A host with the docker CLI only: no engine answers, no dockerd, no systemd. */
function world(): World {
  const dir = mkdtempSync(join(tmpdir(), "engine-detect-"));
  worlds.push(dir);
  const [root, bin, tools, state, home] = ["root", "bin", "tools", "state", "home"].map((d) => join(dir, d));
  for (const d of [root, bin, tools, state, home, join(root, "proc"), join(root, "var/run")])
    mkdirSync(d, { recursive: true });
  for (const t of TOOLS) {
    const real = spawnSync("bash", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
    if (real) symlinkSync(real, join(tools, t));
  }
  script(
    join(bin, "docker"),
    `case "$1" in version) [ -e "$STATE/up" ] && { echo "27.3.1 1.47"; exit 0; }; echo "Cannot connect to the Docker daemon" >&2; exit 1 ;; esac`,
  );
  script(join(bin, "id"), `echo "\${FAKE_UID:-0}"`);
  const log = join(dir, "dockerd.log");
  const env = {
    PATH: `${bin}:${tools}`,
    HOME: home,
    STATE: state,
    BACKUP_TUI_ENGINE_ROOT: root,
    BACKUP_TUI_ENGINE_WAIT_S: "3",
    ENGINE_LOG: log,
  };
  return { dir, root, bin, state, log, env };
}

const dockerdUp = (w: World) =>
  script(join(w.bin, "dockerd"), `echo "API listen on /var/run/docker.sock"; touch "$STATE/up"`);
const systemdUnit = (w: World) => {
  mkdirSync(join(w.root, "run/systemd/system"), { recursive: true });
  mkdirSync(join(w.root, "lib/systemd/system"), { recursive: true });
  writeFileSync(join(w.root, "lib/systemd/system/docker.service"), "[Service]\n");
  script(join(w.bin, "systemctl"), `[ "$1" = start ] && touch "$STATE/up"`);
};
const aptInstallsDockerd = (w: World) =>
  script(
    join(w.bin, "apt-get"),
    `case " $* " in *" install "*) printf '#!%s\\necho "dockerd $*" >>"$STATE/calls"; touch "$STATE/up"\\n' "${BASH}" >"${w.bin}/dockerd"; chmod 755 "${w.bin}/dockerd" ;; esac`,
  );

function sh(w: World, code: string, env: Record<string, string> = {}) {
  const r = spawnSync(BASH, ["-c", `set -euo pipefail; source ${LIB}; ${code}`], {
    env: { ...w.env, ...env },
    encoding: "utf8",
    timeout: 15_000,
  });
  const calls = existsSync(join(w.state, "calls"))
    ? readFileSync(join(w.state, "calls"), "utf8").trim().split("\n")
    : [];
  return {
    rc: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    calls,
    started: calls.filter((c) => /^(dockerd|systemctl|apt-get)/.test(c)),
  };
}

const words = (s: EngineSituation) => engineWords(s);
const asArgs = (s: EngineSituation) => Object.values(s).map(String);

describe("engine_ensure (scripts/lib/docker-engine.sh): decides from what answers", () => {
  it("Given an engine that answers, When ensured, Then nothing is started or installed and its version is said", () => {
    const w = world();
    dockerdUp(w);
    aptInstallsDockerd(w);
    writeFileSync(join(w.state, "up"), "");
    const r = sh(w, "engine_ensure");
    expect(r.rc).toBe(0);
    expect(r.stdout).toContain(
      words({ kind: "ok", version: "27.3.1", apiVersion: "1.47", host: "unix:///var/run/docker.sock" }).detail,
    );
    expect(r.started).toEqual([]);
  });

  it("Given the docker CLI only (no dockerd, no unit), When ensured, Then docker.io is installed, started, and answers", () => {
    const w = world();
    aptInstallsDockerd(w);
    const r = sh(w, "engine_ensure");
    expect(r.rc, r.stderr).toBe(0);
    expect(r.calls.find((c) => c.startsWith("apt-get") && / install docker\.io$/.test(c))).toBeDefined();
    expect(r.calls.some((c) => c.startsWith("dockerd"))).toBe(true);
    expect(existsSync(join(w.root, "usr/sbin/policy-rc.d"))).toBe(false); // the temporary no-start policy is removed again
  });

  it("Given Docker's own docker-ce-cli (which docker.io conflicts with) and no engine, When ensured, Then docker-ce is installed, not docker.io", () => {
    const w = world();
    aptInstallsDockerd(w);
    script(join(w.bin, "dpkg-query"), `[ "\${!#}" = docker-ce-cli ] && printf installed`);
    const r = sh(w, "engine_ensure");
    expect(r.rc, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("apt-get") && c.includes(" install "))).toEqual([
      expect.stringMatching(/ install docker-ce$/),
    ]);
  });

  it("Given a dockerd binary that is not running, When ensured, Then it is started detached with its log and pid recorded, and nothing is installed", () => {
    const w = world();
    dockerdUp(w);
    aptInstallsDockerd(w);
    const pidfile = join(w.dir, "dockerd.pid");
    const r = sh(w, "engine_ensure", { ENGINE_PIDFILE: pidfile });
    expect(r.rc, r.stderr).toBe(0);
    expect(r.started).toEqual(["dockerd "]);
    expect(readFileSync(w.log, "utf8")).toContain("API listen on");
    expect(readFileSync(pidfile, "utf8")).toMatch(/^[0-9]+\n$/);
  });

  it("Given systemd as PID 1 and a docker.service, When ensured, Then systemctl starts it (not a bare dockerd), nothing is installed", () => {
    const w = world();
    dockerdUp(w);
    aptInstallsDockerd(w);
    systemdUnit(w);
    const r = sh(w, "engine_ensure");
    expect(r.rc, r.stderr).toBe(0);
    expect(r.started).toEqual(["systemctl start docker.service"]);
  });

  it("Given DOCKER_HOST set and not answering, When ensured, Then it fails naming DOCKER_HOST, and nothing is started or installed", () => {
    const w = world();
    dockerdUp(w);
    aptInstallsDockerd(w);
    systemdUnit(w);
    const r = sh(w, "engine_ensure", { DOCKER_HOST: "tcp://10.0.0.9:2375" });
    expect(r.rc).toBe(1);
    const s = words({ kind: "host-down", host: "tcp://10.0.0.9:2375" });
    expect(r.stderr).toBe(`error: ${s.detail}\nhint: ${s.hint}\n`);
    expect(r.stderr).toContain("DOCKER_HOST=tcp://10.0.0.9:2375");
    expect(r.started).toEqual([]);
  });

  it("Given a docker context other than default, not answering, When ensured, Then it fails naming the context, nothing started", () => {
    const w = world();
    dockerdUp(w);
    mkdirSync(join(w.env.HOME, ".docker"));
    writeFileSync(join(w.env.HOME, ".docker/config.json"), `{\n  "auths": {},\n  "currentContext": "nas"\n}\n`);
    const r = sh(w, "engine_ensure");
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain(words({ kind: "context-down", context: "nas" }).detail);
    expect(r.started).toEqual([]);
  });

  it("Given a dockerd that fails to come up, When ensured, Then a clear error names its log, and nothing is installed", () => {
    const w = world();
    aptInstallsDockerd(w);
    script(join(w.bin, "dockerd"), `echo "failed to start daemon: error initializing graphdriver" >&2; exit 1`);
    const r = sh(w, "engine_ensure");
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain(`error: dockerd was started but did not come up\nhint: Read ${w.log} for why.`);
    expect(r.stderr).toContain("error initializing graphdriver"); // the log's tail is shown
    expect(r.calls.some((c) => c.startsWith("apt-get"))).toBe(false);
  });

  it("Given a dockerd failing at its iptables setup, When ensured, Then it is retried once with --iptables=false", () => {
    const w = world();
    script(
      join(w.bin, "dockerd"),
      `case "$*" in *--iptables=false*) touch "$STATE/up" ;; *) echo "failed to create NAT chain DOCKER: iptables failed" >&2; exit 1 ;; esac`,
    );
    const r = sh(w, "engine_ensure");
    expect(r.rc, r.stderr).toBe(0);
    expect(r.started).toEqual(["dockerd ", "dockerd --iptables=false"]);
  });

  it("Given a dockerd process that never answers, When ensured, Then it waits, then says so, and starts no second one", () => {
    const w = world();
    dockerdUp(w);
    mkdirSync(join(w.root, "proc/4242"));
    writeFileSync(join(w.root, "proc/4242/comm"), "dockerd\n");
    const r = sh(w, "engine_ensure");
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain(words({ kind: "dockerd-hung", pid: 4242, host: "unix:///var/run/docker.sock" }).detail);
    expect(r.started).toEqual([]);
  });

  it("Given a non-root user and a stopped dockerd, When ensured, Then it says how to start it, and starts nothing", () => {
    const w = world();
    dockerdUp(w);
    const r = sh(w, "engine_ensure", { FAKE_UID: "1000" });
    expect(r.rc).toBe(1);
    const s = words({ kind: "dockerd-stopped", dockerd: join(w.bin, "dockerd") });
    expect(r.stderr).toBe(`error: ${s.detail}\nhint: ${s.hint}\n`);
    expect(r.started).toEqual([]);
  });

  it("Given no engine and no apt-get, When ensured, Then it says exactly that", () => {
    const w = world();
    const r = sh(w, "engine_ensure");
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain(words({ kind: "no-installer", pkg: "docker.io" }).detail);
  });
});

const SAMPLES: EngineSituation[] = [
  { kind: "ok", version: "27.3.1", apiVersion: "1.47", host: "unix:///var/run/docker.sock" },
  { kind: "host-down", host: "tcp://10.0.0.9:2375" },
  { kind: "context-down", context: "nas" },
  { kind: "permission-denied", socket: "/var/run/docker.sock" },
  { kind: "dockerd-hung", pid: 4242, host: "unix:///var/run/docker.sock" },
  { kind: "unit-stopped" },
  { kind: "dockerd-stopped", dockerd: "/usr/sbin/dockerd" },
  { kind: "no-engine" },
  { kind: "start-failed", what: "dockerd", log: "/var/log/dockerd.log" },
  { kind: "no-client" },
  { kind: "no-installer", pkg: "docker.io" },
  { kind: "install-needs-root", pkg: "docker.io" },
  { kind: "install-failed", pkg: "docker.io" },
];

describe("one wording: the scripts and doctor", () => {
  it.each(SAMPLES.map((s) => [s.kind, s] as const))(
    "Given the situation %s, Then engine_words prints engineWords' detail and hint",
    (_kind, s) => {
      const w = world();
      const r = spawnSync(BASH, ["-c", `source ${LIB}; engine_words "$@"`, "-", ...asArgs(s)], {
        env: w.env,
        encoding: "utf8",
      });
      const t = engineWords(s);
      expect(r.stdout).toBe(`${t.detail}\n${t.hint}\n`);
    },
  );

  const scenes: Array<[string, (w: World) => Record<string, string>]> = [
    ["no engine", () => ({})],
    ["a dockerd binary", (w) => (dockerdUp(w), {})],
    [
      "a dockerd in sbin only",
      (w) => (
        mkdirSync(join(w.root, "usr/sbin"), { recursive: true }), script(join(w.root, "usr/sbin/dockerd"), ""), {}
      ),
    ],
    ["a systemd unit", (w) => (dockerdUp(w), systemdUnit(w), {})],
    [
      "a unit file without systemd",
      (w) => (dockerdUp(w), systemdUnit(w), rmSync(join(w.root, "run/systemd"), { recursive: true }), {}),
    ],
    [
      "a running dockerd",
      (w) => (mkdirSync(join(w.root, "proc/77")), writeFileSync(join(w.root, "proc/77/comm"), "dockerd\n"), {}),
    ],
    ["DOCKER_HOST", (w) => (dockerdUp(w), { DOCKER_HOST: "ssh://me@nas" })],
    ["DOCKER_CONTEXT", () => ({ DOCKER_CONTEXT: "remote" })],
    ["DOCKER_CONTEXT=default", () => ({ DOCKER_CONTEXT: "default" })],
  ];
  it.each(scenes)("Given %s, Then the shell and doctor name the same situation", (_name, make) => {
    const w = world();
    const extra = make(w);
    const r = spawnSync(BASH, ["-c", `source ${LIB}; engine_diagnose; printf '%s\\n' "\${ENGINE_SITUATION[@]}"`], {
      env: { ...w.env, ...extra },
      encoding: "utf8",
    });
    const ts = diagnoseEngine(readEngineFacts({ ...w.env, ...extra }, w.root));
    expect(r.stdout.trim().split("\n")).toEqual(asArgs(ts));
  });

  it("Given an engine that does not answer, When the doctor checks it, Then it says the scripts' sentence and hint for the situation", async () => {
    const w = world();
    dockerdUp(w);
    const facts = readEngineFacts(w.env, w.root);
    const c = await checkDocker({
      docker: { version: () => Promise.reject(new Error("connect ECONNREFUSED /var/run/docker.sock")) },
      dockerHost: "unix:///var/run/docker.sock",
      engineFacts: () => facts,
    });
    const s = words({ kind: "dockerd-stopped", dockerd: join(w.bin, "dockerd") });
    expect(c).toMatchObject({ status: "fail", detail: s.detail, hint: s.hint });
    const r = sh(w, "engine_ensure", { FAKE_UID: "1000" });
    expect(r.stderr).toBe(`error: ${c.detail}\nhint: ${c.hint}\n`);
  });
});
