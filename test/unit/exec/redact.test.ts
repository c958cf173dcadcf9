import { format, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { isSecretName, MASK, redact, Secret } from "../../../src/exec/redact";

const PW = "hunter2-very-secret";

describe("Secret", () => {
  it("Given a Secret, When printed with String() or a template, Then it shows *** and not the value", () => {
    const s = new Secret(PW);
    expect(String(s)).toBe(MASK);
    expect(`pw=${s}`).toBe("pw=***");
  });

  it("Given a Secret inside an object, When JSON.stringify'd, Then the value is masked", () => {
    const json = JSON.stringify({ password: new Secret(PW), nested: [new Secret(PW)] });
    expect(json).toBe('{"password":"***","nested":["***"]}');
    expect(json).not.toContain(PW);
  });

  it("Given a Secret, When util.inspect'ed (console.log, error dumps), Then the value is masked", () => {
    const s = new Secret(PW);
    expect(inspect(s)).toBe(MASK);
    expect(inspect({ deep: { deeper: { s } } }, { depth: 10 })).not.toContain(PW);
    expect(format("%s %o %j", s, { s }, { s })).not.toContain(PW);
  });

  it("Given a Secret, When reveal() is called, Then the real value comes back", () => {
    expect(new Secret(PW).reveal()).toBe(PW);
  });

  it("Given a Secret, When its enumerable keys are listed, Then the value is not among them", () => {
    const s = new Secret(PW);
    expect(Object.values(s)).not.toContain(PW);
    expect({ ...s }).toEqual({});
  });
});

describe("redact", () => {
  it.each([
    ["restic -r s3://AKIA:topsecret@minio/bucket snapshots", "s3://AKIA:***@minio/bucket"],
    ["rest:http://backup:pa55word@127.0.0.1:8000/repo", "http://backup:***@127.0.0.1:8000/repo"],
    ["env RESTIC_PASSWORD=hunter2 restic", "RESTIC_PASSWORD=***"],
    ["AWS_SECRET_ACCESS_KEY=abc/def+ghi", "AWS_SECRET_ACCESS_KEY=***"],
    ["GOTIFY_TOKEN=Axyz123", "GOTIFY_TOKEN=***"],
  ])("Given %j, When redacted, Then the credential is masked", (input, expected) => {
    const out = redact(input);
    expect(out).toContain(expected);
    expect(out).not.toMatch(/topsecret|pa55word|hunter2|abc\/def|Axyz123/);
  });

  it("Given explicit secrets, When redacted, Then every occurrence is masked", () => {
    expect(redact(`a ${PW} b ${PW}`, [PW])).toBe("a *** b ***");
  });

  it("Given text without credentials, When redacted, Then it is unchanged", () => {
    const text = "restic -r /mnt/backup/repo backup /opt/stacks/web --tag stack:web https://example.com/x";
    expect(redact(text)).toBe(text);
  });
});

describe("isSecretName", () => {
  it("Given env var names, When classified, Then only credential names are secret", () => {
    for (const n of [
      "RESTIC_PASSWORD",
      "AWS_SECRET_ACCESS_KEY",
      "GOTIFY_TOKEN",
      "B2_ACCOUNT_KEY",
      "RCLONE_CONFIG_X_PASS",
    ]) {
      expect(isSecretName(n), n).toBe(true);
    }
    for (const n of ["PATH", "HOME", "RESTIC_REPOSITORY", "KEEP_DAILY", "DOCKER_HOST"])
      expect(isSecretName(n), n).toBe(false);
  });
});
