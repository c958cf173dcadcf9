import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../../../../src/exec/redact";
import { DisasterJournal } from "../../../../src/services/disaster/journal";
import { redactConfigText, runbookText } from "../../../../src/services/doomsday/kit";
import { portainerBackup } from "../../../../src/services/doomsday/portainer";
import { imagesToSave } from "../../../../src/services/doomsday/doomsday";
import {
  stackDependencies,
  startOrder,
  type InventoryContainer,
  type InventoryNetwork,
  type InventoryVolume,
} from "../../../../src/services/doomsday/inventory";

const img = (tags: string[], digests: string[] = []) => ({
  id: `sha256:${tags[0] ?? "x"}`,
  tags,
  digests,
  size: 1,
  local: !digests.length,
});

describe("doomsday: the recovery kit", () => {
  it("Given a config with secrets, Then the kit's copy has every secret value removed and the rest kept", () => {
    const text =
      "[local_backup]\nRESTIC_REPOSITORY=/srv/repo\nRESTIC_PASSWORD=hunter2\n[notify]\nWEBHOOK_URL = https://hooks/secret-path\nGOTIFY_URL=https://gotify\ngotify_token=abc123\n[doomsday]\nPORTAINER_TOKEN=ptr_x\nPASSWORD_HINT=the safe\n";
    const out = redactConfigText(text);
    for (const secret of ["hunter2", "secret-path", "abc123", "ptr_x"]) expect(out).not.toContain(secret);
    expect(out).toContain("RESTIC_REPOSITORY=/srv/repo");
    expect(out).toContain("GOTIFY_URL=https://gotify");
    expect(out).toContain("PASSWORD_HINT=the safe");
    // The line stays, emptied, under a note saying what to fill in (the kit's copy still loads).
    expect(out).toMatch(
      /^# removed from the recovery kit \(a secret\): fill in RESTIC_PASSWORD by hand\nRESTIC_PASSWORD=$/m,
    );
  });

  it("Given the facts, Then the runbook names the remote, the hint and the commands in order, never a password", () => {
    const t = runbookText({
      host: "h1",
      createdAt: "2026-01-01T00:00:00Z",
      version: "1.0",
      remote: "b2:backups/h1",
      repository: "/srv/repo",
      passwordHint: "vault entry X",
      passwordSource: "the file /etc/pw",
      stacks: [
        { name: "web", running: true },
        { name: "old", running: false },
      ],
      volumes: 3,
      networks: 1,
      savedImages: [],
      localImages: ["me/app:1"],
    });
    expect(t).toContain("b2:backups/h1");
    expect(t).toContain("vault entry X");
    expect(t).toContain("SAVE_IMAGES=local");
    expect(t).toContain("old (was stopped)");
    const steps = [
      "backup-tui doctor",
      "backup-tui restore --disaster --yes",
      "backup-tui status",
      "backup-tui schedule install",
    ].map((c) => t.indexOf(c));
    expect(steps.every((i) => i > 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  });

  it("Given SAVE_IMAGES, Then off saves nothing, local saves images without a registry digest, a list saves those that exist", () => {
    const images = [img(["local/app:latest"]), img(["postgres:16"], ["postgres@sha256:1"]), img(["<none>:<none>"])];
    expect(imagesToSave(images, "off")).toEqual([]);
    expect(imagesToSave(images, "local")).toEqual(["local/app:latest"]);
    expect(imagesToSave(images, "local/app, postgres:16, missing/x")).toEqual(["local/app:latest", "postgres:16"]);
  });
});

describe("doomsday: inventory and start order", () => {
  const c = (project: string, networks: string[], mounts: string[] = []): InventoryContainer => ({
    name: `${project}-1`,
    image: "i",
    imageId: "x",
    status: "running",
    labels: {},
    networks,
    mounts: mounts.map((m) => ({ type: "volume", name: m, source: `/v/${m}`, destination: "/d", rw: true })),
    project,
  });
  const net = (name: string, project?: string): InventoryNetwork => ({
    name,
    driver: "bridge",
    internal: false,
    attachable: false,
    labels: project ? { "com.docker.compose.project": project } : {},
    options: {},
    subnets: [],
  });
  const vol = (name: string, project?: string): InventoryVolume => ({
    name,
    driver: "local",
    mountpoint: `/v/${name}`,
    labels: project ? { "com.docker.compose.project": project } : {},
    in: "",
  });

  it("Given a stack on another stack's network or volume, Then it depends on that stack and starts after it", () => {
    const projects = new Map([
      ["proxy", "proxy"],
      ["app", "app"],
      ["db", "db"],
    ]);
    const containers = [
      c("proxy", ["proxy_front"]),
      c("app", ["proxy_front", "app_default"], ["db_shared"]),
      c("db", ["db_default"]),
    ];
    const networks = [net("proxy_front", "proxy"), net("app_default", "app"), net("db_default", "db")];
    const volumes = [vol("db_shared", "db")];
    expect(stackDependencies("app", containers, networks, volumes, projects)).toEqual(["db", "proxy"]);
    expect(stackDependencies("proxy", containers, networks, volumes, projects)).toEqual([]);
    expect(
      startOrder([
        { name: "app", dependsOn: ["db", "proxy"] },
        { name: "proxy", dependsOn: [] },
        { name: "db", dependsOn: [] },
      ]),
    ).toEqual(["db", "proxy", "app"]);
  });

  it("Given a dependency cycle, Then every stack is still started once", () => {
    expect(
      startOrder([
        { name: "a", dependsOn: ["b"] },
        { name: "b", dependsOn: ["a"] },
      ]).sort(),
    ).toEqual(["a", "b"]);
  });
});

describe("doomsday: the disaster journal", () => {
  it("Given a step done by a run that died, Then a new run skips it; a completed recovery starts afresh", async () => {
    const dir = mkdtempSync(join(tmpdir(), "btui-dj-"));
    try {
      let runs = 0;
      const j1 = new DisasterJournal(dir);
      expect(j1.resumed).toBe(false);
      await j1.step("pull", async () => void runs++);
      j1.commit();
      const j2 = new DisasterJournal(dir);
      expect(j2.resumed).toBe(true);
      await j2.step("pull", async () => void runs++);
      await j2.step("networks", async () => void runs++);
      expect(runs).toBe(2);
      j2.complete();
      expect(new DisasterJournal(dir).resumed).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// No Portainer image can be had here: a loopback HTTP server answers the way Portainer's API
// documents POST /api/backup (200 with an application/x-gzip archive; 401 for a bad X-API-Key).
describe("doomsday: Portainer backup through its API (a loopback stand-in for Portainer)", () => {
  let server: Server;
  let url: string;
  const dir = mkdtempSync(join(tmpdir(), "btui-pt-"));
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        if (req.method !== "POST" || req.url !== "/api/backup") return void res.writeHead(404).end();
        if (req.headers["x-api-key"] !== "good-token") return void res.writeHead(401).end('{"message":"Unauthorized"}');
        if (JSON.parse(body).password !== "") return void res.writeHead(400).end();
        res.writeHead(200, { "Content-Type": "application/x-gzip" }).end(gzipSync("archive"));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("Given a valid token, Then the archive is written", async () => {
    const bytes = await portainerBackup(url, new Secret("good-token"), join(dir, "p.tar.gz"));
    expect(bytes).toBeGreaterThan(0);
    expect(readFileSync(join(dir, "p.tar.gz"))).toEqual(gzipSync("archive"));
  });

  it("Given a bad token or nothing listening, Then a clear error that never shows the token", async () => {
    const bad = await portainerBackup(url, new Secret("wrong-token-123"), join(dir, "q.tar.gz")).catch((e: Error) => e);
    expect(String(bad)).toMatch(/HTTP 401: the token is not accepted/);
    expect(String(bad)).not.toContain("wrong-token-123");
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const down = await portainerBackup(`http://127.0.0.1:${port}/`, new Secret("t"), join(dir, "r.tar.gz")).catch(
      (e: Error) => e,
    );
    expect(String(down)).toMatch(/cannot be reached \(ECONNREFUSED\)/);
  });
});
