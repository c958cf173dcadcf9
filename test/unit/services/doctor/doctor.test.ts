import { describe, expect, it } from "vitest";
import type { Config } from "../../../../src/config/types";
import { AppError, ConfigError, ToolError } from "../../../../src/errors";
import type { Runner } from "../../../../src/exec/runner";
import { featuresOf } from "../../../../src/restic/features";
import { runDoctor, type Check, type DoctorDeps, type FsProbe } from "../../../../src/services/doctor/doctor";

const GiB = 1024 ** 3;

function makeConfig(
  over: {
    file?: string;
    repository?: string;
    autoInit?: boolean;
    password?: Config["restic"]["password"];
    remote?: string;
    strategy?: Config["docker"]["strategy"];
    warnings?: string[];
  } = {},
): Config {
  const file = "file" in over ? over.file : "/etc/backup-tui/config.ini";
  return {
    source: { file, format: file ? "sectioned" : "embedded" },
    stateDir: "/var/lib/backup-tui",
    dirlistFile: "/etc/backup-tui/dirlist",
    hostname: "host1",
    docker: {
      timeoutSec: 300,
      stopTimeoutSec: 30,
      strategy: over.strategy ?? "stop",
      twoPass: true,
      backupBindMounts: false,
    },
    restic: {
      repository: over.repository ?? "/srv/repo",
      password: over.password ?? { kind: "file", path: "/etc/backup-tui/restic-password", origin: "config.ini:5" },
      binary: "restic",
      backupTimeoutSec: 3600,
      autoInit: over.autoInit ?? false,
    },
    retention: { keep: { daily: 7, weekly: 4, monthly: 12, yearly: 3 }, autoPrune: false },
    fleet: { publish: false, lockWait: "30m" },
    verification: { enabled: false, depth: "metadata", subset: "5%" },
    space: { lowSpaceAction: "skip" },
    cloud: {
      remote: over.remote,
      path: over.remote ? "backups/host1" : undefined,
      binary: "rclone",
      transfers: 4,
      retries: 3,
      syncTimeoutSec: 3600,
      keepDeletedDays: 7,
      maxDeletePercent: 50,
    },
    targets: over.remote
      ? [
          {
            name: "default",
            section: "cloud_sync",
            mode: "mirror",
            remote: over.remote,
            path: "backups/host1",
            transfers: 4,
            keepDeletedDays: 7,
            maxDeletePercent: 50,
          },
        ]
      : [],
    schedule: {},
    notify: { on: ["failure"] },
    security: {},
    stacks: {},
    warnings: over.warnings ?? [],
  };
}

type Stat = NonNullable<ReturnType<FsProbe["stat"]>>;

/** A file system of a few paths; free space per device. */
function fakeFs(files: Record<string, Partial<Stat>>, freePercent: Record<number, number> = {}): FsProbe {
  return {
    stat: (p) => (files[p] ? { mode: 0o600, dev: 1, isDirectory: false, ...files[p] } : undefined),
    statfs: (p) => {
      const dev = files[p]?.dev ?? 1;
      return { totalBytes: 100 * GiB, freeBytes: (freePercent[dev] ?? 40) * GiB };
    },
  };
}

const healthyFs = () =>
  fakeFs({
    "/": { isDirectory: true, mode: 0o755 },
    "/etc/backup-tui/config.ini": {},
    "/etc/backup-tui/restic-password": {},
    "/srv/repo": { isDirectory: true, mode: 0o700 },
    "/var/lib/backup-tui": { isDirectory: true, mode: 0o700 },
  });

const rcloneOk: Runner = {
  run: async (file) => {
    if (file === "rclone")
      return {
        exitCode: 0,
        stdout: "rclone v1.75.2\n- os/version: debian\n",
        stderr: "",
        durationMs: 5,
        command: "rclone version",
      };
    throw new Error(`unexpected ${file}`);
  },
};
const rcloneMissing: Runner = {
  run: async (file) => {
    throw new ToolError(
      `${file} could not be started: spawn ${file} ENOENT`,
      file,
      undefined,
      "",
      "spawn",
      `Is ${file} installed and on PATH?`,
    );
  },
};

function deps(over: Partial<DoctorDeps> = {}): DoctorDeps {
  return {
    runner: rcloneOk,
    docker: { version: async () => ({ version: "27.3.1", apiVersion: "1.47" }) },
    compose: { detect: async () => ["docker", "compose"], version: async () => "2.40.3" },
    restic: { features: async () => featuresOf("0.19.1"), exists: async () => true },
    config: { ok: true, config: makeConfig() },
    fs: healthyFs(),
    dockerHost: "unix:///var/run/docker.sock",
    ...over,
  };
}

const byName = (checks: Check[], name: string) => {
  const c = checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name} in ${checks.map((x) => x.name).join(", ")}`);
  return c;
};

describe("runDoctor", () => {
  it("Given a healthy host, When the doctor runs, Then every check is ok, in a stable order", async () => {
    const checks = await runDoctor(deps());
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ["docker", "ok"],
      ["compose", "ok"],
      ["restic", "ok"],
      ["rclone", "ok"],
      ["config", "ok"],
      ["permissions", "ok"],
      ["schedules", "ok"],
      ["repository", "ok"],
      ["space: repository, state dir", "ok"],
      ["state dir", "ok"],
    ]);
    expect(byName(checks, "docker").detail).toBe("Docker 27.3.1, API 1.47 at unix:///var/run/docker.sock");
    expect(byName(checks, "compose").detail).toContain("2.40.3 (v2 plugin)");
    expect(byName(checks, "restic").detail).toMatch(/^restic 0\.19\.1; has .*--retry-lock/);
  });

  it("Given restic 0.14, When checked, Then it is ok and names the features that version lacks", async () => {
    const checks = await runDoctor(
      deps({ restic: { features: async () => featuresOf("0.14.0"), exists: async () => true } }),
    );
    const r = byName(checks, "restic");
    expect(r.status).toBe("ok");
    expect(r.detail).toContain("lacks JSON restore progress, --retry-lock");
    expect(r.data).toMatchObject({ version: "0.14.0", retryLock: false });
  });

  it("Given a restic older than 0.14, When checked, Then restic fails with its message and a hint", async () => {
    const old = await runDoctor(
      deps({
        restic: {
          features: async () =>
            Promise.reject(
              new AppError("restic 0.12.1 is too old; backup-tui needs 0.14.0 or newer", 1, "Install a newer restic"),
            ),
          exists: async () => true,
        },
      }),
    );
    expect(byName(old, "restic")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("0.12.1 is too old"),
      hint: "Install a newer restic",
    });
  });

  it("Given an unreachable Docker engine, When the doctor runs, Then docker fails with a hint and the other checks still report", async () => {
    const checks = await runDoctor(
      deps({
        docker: {
          version: async () =>
            Promise.reject(
              new AppError(
                "cannot reach the Docker engine at /var/run/docker.sock (ECONNREFUSED)",
                1,
                "Is dockerd running?",
              ),
            ),
        },
      }),
    );
    expect(byName(checks, "docker")).toMatchObject({ status: "fail", hint: "Is dockerd running?" });
    expect(checks.filter((c) => c.status === "fail")).toHaveLength(1);
  });

  it("Given a Docker engine that never answers, When the doctor runs, Then docker fails after its time limit", async () => {
    const checks = await runDoctor(deps({ docker: { version: () => new Promise(() => {}) }, dockerTimeoutMs: 50 }));
    expect(byName(checks, "docker")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("did not answer"),
    });
  });

  it("Given no Compose, When the stop strategy is used, Then compose is a warning; When down is used, Then it fails", async () => {
    const compose = {
      detect: () =>
        Promise.reject(new AppError("neither `docker compose` (v2) nor `docker-compose` (v1) is available")),
      version: async () => "unknown",
    };
    expect(byName(await runDoctor(deps({ compose })), "compose").status).toBe("warn");
    const down = await runDoctor(deps({ compose, config: { ok: true, config: makeConfig({ strategy: "down" }) } }));
    expect(byName(down, "compose")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("down strategy needs it"),
    });
  });

  it("Given no rclone, When no remote is configured, Then it warns; When a remote is, Then it fails", async () => {
    expect(byName(await runDoctor(deps({ runner: rcloneMissing })), "rclone")).toMatchObject({
      status: "warn",
      detail:
        "rclone could not be started: not installed, not on PATH, or not executable; needed only for cloud sync (none configured)",
      hint: expect.stringContaining("https://rclone.org"),
    });
    const withRemote = await runDoctor(
      deps({ runner: rcloneMissing, config: { ok: true, config: makeConfig({ remote: "b2" }) } }),
    );
    expect(byName(withRemote, "rclone")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("RCLONE_REMOTE is b2"),
    });
  });

  it("Given a config that does not load, When the doctor runs, Then config fails with the message and hint, and the rest still runs", async () => {
    const error = new ConfigError(
      "/etc/backup-tui/config.ini:3: [docker] STOP_STRATEGY: Invalid option",
      "Fix the values named above",
    );
    const checks = await runDoctor(deps({ config: { ok: false, error, stateDir: "/var/lib/backup-tui" } }));
    expect(byName(checks, "config")).toMatchObject({
      status: "fail",
      detail: error.message,
      hint: "Fix the values named above",
    });
    expect(byName(checks, "repository")).toMatchObject({
      status: "warn",
      detail: expect.stringContaining("not checked"),
    });
    expect(byName(checks, "docker").status).toBe("ok");
    expect(byName(checks, "state dir").status).toBe("ok");
    expect(byName(checks, "space: state dir").status).toBe("ok");
  });

  it("Given config warnings, When checked, Then config warns and lists them", async () => {
    const checks = await runDoctor(
      deps({ config: { ok: true, config: makeConfig({ warnings: ["config.ini:4: unknown key FOO"] }) } }),
    );
    expect(byName(checks, "config")).toMatchObject({
      status: "warn",
      detail: expect.stringContaining("unknown key FOO"),
    });
  });

  it("Given a password file readable by others, When checked, Then permissions warn with the chmod to run", async () => {
    const fs = healthyFs();
    const loose: FsProbe = {
      ...fs,
      stat: (p) => (p === "/etc/backup-tui/restic-password" ? { mode: 0o644, dev: 1, isDirectory: false } : fs.stat(p)),
    };
    const checks = await runDoctor(deps({ fs: loose }));
    expect(byName(checks, "permissions")).toMatchObject({
      status: "warn",
      hint: "Run: chmod 600 /etc/backup-tui/restic-password",
    });
  });

  describe("repository", () => {
    it("Given the embedded default and no repository yet, When checked, Then it warns that the first backup creates it", async () => {
      const config = makeConfig({
        file: undefined,
        repository: "/var/lib/backup-tui/repository",
        autoInit: true,
        password: { kind: "file", path: "/var/lib/backup-tui/password", origin: "embedded default" },
      });
      const checks = await runDoctor(
        deps({
          config: { ok: true, config },
          restic: {
            features: async () => featuresOf("0.19.1"),
            exists: async () => {
              throw new Error("restic must not run without the password file");
            },
          },
        }),
      );
      expect(byName(checks, "repository")).toMatchObject({
        status: "warn",
        detail: expect.stringContaining("will be created on first backup"),
      });
    });

    it("Given the embedded default whose password exists but repository does not, When checked, Then it warns", async () => {
      const config = makeConfig({
        file: undefined,
        autoInit: true,
        password: { kind: "file", path: "/etc/backup-tui/restic-password", origin: "embedded default" },
      });
      const checks = await runDoctor(
        deps({
          config: { ok: true, config },
          restic: { features: async () => featuresOf("0.19.1"), exists: async () => false },
        }),
      );
      expect(byName(checks, "repository")).toMatchObject({
        status: "warn",
        detail: expect.stringContaining("created on first backup"),
      });
    });

    it("Given a configured repository that does not exist, When checked, Then it fails and points to init", async () => {
      const checks = await runDoctor(
        deps({ restic: { features: async () => featuresOf("0.19.1"), exists: async () => false } }),
      );
      expect(byName(checks, "repository")).toMatchObject({
        status: "fail",
        hint: expect.stringContaining("backup-tui init"),
      });
    });

    // 17.17: where a cloud copy is configured the missing repository may be data to bring back (a disaster): never a bare "create it with init".
    const onlyForNewSetup = /^(?:(?!init).)*for a new setup[^.]*`backup-tui init`/i;
    it("Given a configured repository that does not exist and a cloud copy, When checked, Then the hint brings it back from the cloud (restore PATH, --disaster); init only for a new setup", async () => {
      const checks = await runDoctor(
        deps({
          config: { ok: true, config: makeConfig({ remote: "cloud" }) },
          restic: { features: async () => featuresOf("0.19.1"), exists: async () => false },
        }),
      );
      const c = byName(checks, "repository");
      expect(c.status).toBe("fail");
      expect(c.hint).toContain(
        "in the cloud copy cloud:backups/host1, bring it back first with `backup-tui restore /srv/repo` (a whole new host: `backup-tui restore --disaster`)",
      );
      expect(c.hint).toMatch(onlyForNewSetup);
    });

    it("Given the embedded default with a cloud copy and no repository yet, When checked, Then the hint brings it back from the cloud first", async () => {
      const config = makeConfig({
        file: undefined,
        autoInit: true,
        remote: "cloud",
        password: { kind: "file", path: "/etc/backup-tui/restic-password", origin: "embedded default" },
      });
      const checks = await runDoctor(
        deps({
          config: { ok: true, config },
          restic: { features: async () => featuresOf("0.19.1"), exists: async () => false },
        }),
      );
      expect(byName(checks, "repository").hint).toContain("`backup-tui restore /srv/repo`");
      expect(byName(checks, "repository").hint).toMatch(onlyForNewSetup);
    });

    it("Given the embedded default with a cloud copy and neither password file nor repository, When checked, Then the hint asks for the safe copy of the password and the cloud copy", async () => {
      const config = makeConfig({
        file: undefined,
        autoInit: true,
        remote: "cloud",
        repository: "/var/lib/backup-tui/repository",
        password: { kind: "file", path: "/var/lib/backup-tui/password", origin: "embedded default" },
      });
      const checks = await runDoctor(
        deps({
          config: { ok: true, config },
          restic: { features: async () => featuresOf("0.19.1"), exists: async () => false },
        }),
      );
      const hint = byName(checks, "repository").hint;
      expect(hint).toContain(
        "put your safe copy of the password file at /var/lib/backup-tui/password and bring the repository back with `backup-tui restore /var/lib/backup-tui/repository`",
      );
      expect(hint).toMatch(onlyForNewSetup);
    });

    it("Given no password source and a cloud copy, When checked, Then the hint asks for the repository's password (safe copy), init only for a new setup", async () => {
      const checks = await runDoctor(
        deps({ config: { ok: true, config: makeConfig({ remote: "cloud", password: { kind: "none" } }) } }),
      );
      expect(byName(checks, "repository").hint).toContain(
        "your safe copy of the repository's password (the cloud copy cloud:backups/host1 opens with it only)",
      );
      expect(byName(checks, "repository").hint).toMatch(onlyForNewSetup);
    });

    it("Given a wrong password, When checked, Then it fails with restic's classified message", async () => {
      const err = Object.assign(
        new AppError("restic could not open /srv/repo: wrong password", 1, "Check the password source"),
        { kind: "wrong-password" },
      );
      const checks = await runDoctor(
        deps({ restic: { features: async () => featuresOf("0.19.1"), exists: () => Promise.reject(err) } }),
      );
      expect(byName(checks, "repository")).toMatchObject({
        status: "fail",
        detail: err.message,
        hint: "Check the password source",
      });
    });

    it("Given the password file is gone but the local repository exists, When checked, Then it fails and says to restore the file", async () => {
      const fs = healthyFs();
      const noPw: FsProbe = {
        ...fs,
        stat: (p) =>
          p === "/etc/backup-tui/restic-password"
            ? undefined
            : p === "/srv/repo/config"
              ? { mode: 0o400, dev: 1, isDirectory: false }
              : fs.stat(p),
      };
      const checks = await runDoctor(deps({ fs: noPw }));
      expect(byName(checks, "repository")).toMatchObject({
        status: "fail",
        detail: expect.stringContaining("but the repository at /srv/repo does"),
        hint: expect.stringContaining("safe copy"),
      });
    });

    it("Given no password source, When checked, Then it fails without running restic", async () => {
      const checks = await runDoctor(
        deps({ config: { ok: true, config: makeConfig({ password: { kind: "none" } }) } }),
      );
      expect(byName(checks, "repository")).toMatchObject({
        status: "fail",
        detail: expect.stringContaining("no repository password"),
      });
    });
  });

  describe("space and state dir", () => {
    const fsWith = (repoDev: number, free: Record<number, number>, stateMode = 0o700) =>
      fakeFs(
        {
          "/": { isDirectory: true, mode: 0o755 },
          "/etc/backup-tui/config.ini": {},
          "/etc/backup-tui/restic-password": {},
          "/srv/repo": { isDirectory: true, dev: repoDev },
          "/var/lib/backup-tui": { isDirectory: true, mode: stateMode },
        },
        free,
      );

    it("Given the repository on its own file system at 5% free and the state dir at 1%, When checked, Then one warns and one fails", async () => {
      const checks = await runDoctor(deps({ fs: fsWith(2, { 1: 1, 2: 5 }) }));
      expect(byName(checks, "space: repository")).toMatchObject({
        status: "warn",
        detail: expect.stringContaining("(5.0%)"),
      });
      expect(byName(checks, "space: state dir")).toMatchObject({ status: "fail" });
    });

    it("Given a repository URL, When checked, Then only the state dir's space is measured", async () => {
      const checks = await runDoctor(
        deps({ config: { ok: true, config: makeConfig({ repository: "s3:https://s3.example.com/bucket" }) } }),
      );
      expect(checks.filter((c) => c.name.startsWith("space")).map((c) => c.name)).toEqual(["space: state dir"]);
    });

    it("Given a repository path not created yet, When checked, Then the space of its nearest existing parent is measured", async () => {
      const checks = await runDoctor(
        deps({ config: { ok: true, config: makeConfig({ repository: "/srv/repo/not/yet" }) } }),
      );
      expect(byName(checks, "space: repository, state dir").detail).toContain("/srv/repo/not/yet");
    });

    it("Given a state dir with mode 0755, When checked, Then it warns with the chmod; Given none, Then it warns it will be created", async () => {
      expect(byName(await runDoctor(deps({ fs: fsWith(1, {}, 0o755) })), "state dir")).toMatchObject({
        status: "warn",
        hint: "Run: chmod 700 /var/lib/backup-tui",
      });
      const fs = healthyFs();
      const none: FsProbe = { ...fs, stat: (p) => (p === "/var/lib/backup-tui" ? undefined : fs.stat(p)) };
      expect(byName(await runDoctor(deps({ fs: none })), "state dir")).toMatchObject({
        status: "warn",
        detail: expect.stringContaining("does not exist yet"),
      });
    });
  });
});
