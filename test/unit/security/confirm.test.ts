import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../../src/exec/redact";
import {
  checkConfirmPassword,
  confirmWithoutPassword,
  passwordRequired,
  requireConfirmation,
  type Confirmed,
} from "../../../src/security/confirm";
import { hashConfirmPassword } from "../../../src/security/confirm-hash";
import { capturedLog } from "../../helpers/captured-log";
import { testConfig } from "../../helpers/fakes";

const SECRET = "correct horse";
const HASH = hashConfirmPassword(SECRET);
const ACTION = "restore stack web from snapshot abcd1234 (2026-11-22 22:45) over the live data";

function gate(hash: string | null = HASH) {
  const config = testConfig("/nonexistent-state");
  if (hash) config.security.confirmPasswordHash = new Secret(hash);
  const { log, lines } = capturedLog();
  return { c: { config, log }, lines };
}

const user = process.env.USER;
afterEach(() => {
  process.env.USER = user;
});

describe("the confirmation check", () => {
  it("Given a confirmation hash, When the wrong password is checked, Then it is refused and logged once with the action and the user", () => {
    process.env.USER = "alice";
    const { c, lines } = gate();
    expect(passwordRequired(c.config)).toBe(true);
    expect(checkConfirmPassword(c, ACTION, "wrong")).toBeUndefined();
    expect(lines).toEqual([
      {
        level: "warn",
        msg: "refused: wrong confirmation password",
        fields: { action: ACTION, user: process.env.SUDO_USER ?? "alice" },
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it("Given the right password, When it is checked on the screen and again by the run, Then 'confirmed' is logged once and nothing is logged as refused", () => {
    const { c, lines } = gate();
    const first = checkConfirmPassword(c, ACTION, SECRET);
    const again = checkConfirmPassword(c, ACTION, SECRET, { again: true });
    expect(first?.guarded).toBe(true);
    expect(again?.action).toBe(ACTION);
    expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual(["info confirmed destructive action"]);
    expect(lines[0].fields).toEqual({ action: ACTION });
  });

  it("Given a Confirmed from the check, When a use case requires it for the same action (or a longer wording of it), Then it passes without a second log line", () => {
    const { c, lines } = gate();
    const token = checkConfirmPassword(c, `${ACTION}, replacing /srv/web`, SECRET)!;
    expect(requireConfirmation(c, ACTION, token)).toBe(token);
    expect(lines).toHaveLength(1);
  });

  it("Given a forged Confirmed (a literal, a copy) or one for another action, When a use case requires it, Then it is refused", () => {
    const { c } = gate();
    const forged: Confirmed = { action: ACTION, guarded: true };
    expect(() => requireConfirmation(c, ACTION, forged)).toThrow(
      /refusing to restore stack web .*: the confirmation given is not for it/,
    );
    const real = checkConfirmPassword(c, "prune the repository", SECRET)!;
    expect(() => requireConfirmation(c, ACTION, { ...real })).toThrow(/not for it/);
    expect(() => requireConfirmation(c, ACTION, real)).toThrow(/not for it/);
  });

  it("Given a confirmation hash, When a use case gets no password, no confirmation or a Confirmed made before any password was set, Then it is refused (exit 2)", () => {
    const { c } = gate();
    expect(() => requireConfirmation(c, ACTION, { password: undefined })).toThrow(
      `refusing to ${ACTION}: a confirmation password is required`,
    );
    expect(() => requireConfirmation(c, ACTION, undefined)).toThrow(`refusing to ${ACTION} without confirmation`);
    const open = gate(null);
    const unguarded = confirmWithoutPassword(open.c, ACTION);
    expect(() => requireConfirmation(c, ACTION, unguarded)).toThrow(/a confirmation password is required/);
    try {
      requireConfirmation(c, ACTION, { password: "wrong" });
      expect.unreachable();
    } catch (err) {
      expect((err as { exitCode: number }).exitCode).toBe(2);
      expect((err as Error).message).toBe("wrong confirmation password; nothing was changed");
    }
  });

  it("Given no confirmation hash, When a use case gets a password or none, Then it passes unguarded; confirmWithoutPassword refuses once a hash is set", () => {
    const { c, lines } = gate(null);
    expect(passwordRequired(c.config)).toBe(false);
    expect(requireConfirmation(c, ACTION, { password: undefined }).guarded).toBe(false);
    expect(requireConfirmation(c, ACTION, { password: "anything" }).guarded).toBe(false);
    expect(lines).toEqual([]);
    expect(() => confirmWithoutPassword(gate().c, ACTION)).toThrow(/a confirmation password is required/);
  });
});
