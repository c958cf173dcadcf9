import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger, rotate } from "../../src/log";

describe("log file", () => {
  it("Given credentials in messages and fields, When logged, Then the file holds none of them", () => {
    const dir = mkdtempSync(join(tmpdir(), "log-"));
    const file = join(dir, "backup-tui.log");
    const log = createLogger({ file, fileLevel: "debug" });
    log.info(
      { repo: "rest:http://alice:s3cr3t-pw@127.0.0.1:8000/", password: "hunter2" },
      "opening rest:http://alice:s3cr3t-pw@127.0.0.1:8000/",
    );
    log.warn("env RESTIC_PASSWORD=topsecret leaked?");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("s3cr3t-pw");
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("topsecret");
    expect(text).toContain("alice:***@127.0.0.1");
    rmSync(dir, { recursive: true, force: true });
  });

  it("Given a log over the size cap, When a logger starts, Then it is rotated and at most `keep` old files remain", () => {
    const dir = mkdtempSync(join(tmpdir(), "log-"));
    const file = join(dir, "backup-tui.log");
    for (let i = 0; i < 5; i++) {
      writeFileSync(file, "x".repeat(2000));
      rotate(file, 1000, 3);
    }
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.1`) && existsSync(`${file}.2`) && existsSync(`${file}.3`)).toBe(true);
    expect(existsSync(`${file}.4`)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
