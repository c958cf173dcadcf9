import { describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/types";
import { nextSteps } from "../../../src/commands/pull";

const stacks = [{ stack: "web", host: "old-host", snapshots: 2, latest: "", latestId: "" }];
const config = (over: { file?: string; repo?: string; password?: Config["restic"]["password"] } = {}) =>
  ({
    source: { file: over.file ?? "/srv/my config.ini", format: "sectioned" },
    stateDir: "/srv/state",
    restic: {
      repository: over.repo ?? "/srv/restic",
      password: over.password ?? { kind: "file", path: "/srv/pw", origin: "/srv/my config.ini:4" },
    },
  }) as unknown as Config;

describe("stage 3's next steps: commands that work when pasted", () => {
  it("Given --config and a PATH other than the configured repository, Then both are in the command (quoted), and no --yes", () => {
    const { commands } = nextSteps(config(), "/mnt/pulled", stacks, {}, undefined);
    expect(commands).toEqual([
      "BACKUP_TUI_LOCAL_BACKUP_RESTIC_REPOSITORY=/mnt/pulled backup-tui --config '/srv/my config.ini' restore --stack web --host old-host",
    ]);
  });

  it("Given the config the default search finds and the configured repository, Then the command is plain", () => {
    expect(
      nextSteps(config({ file: "/etc/backup-tui/config.ini" }), "/srv/restic", stacks, {}, "/etc/backup-tui/config.ini")
        .commands,
    ).toEqual(["backup-tui restore --stack web --host old-host"]);
  });

  it("Given the state dir and a password file from the environment, Then both go in front; a password value from the environment is never printed, a note says to keep it set", () => {
    const file = nextSteps(
      config({
        password: {
          kind: "file",
          path: "/root/pw",
          origin: "environment BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD_FILE",
        },
      }),
      "/srv/restic",
      stacks,
      { BACKUP_TUI_STATE_DIR: "/srv/state" },
      "/srv/my config.ini",
    );
    expect(file.commands[0]).toBe(
      "BACKUP_TUI_STATE_DIR=/srv/state BACKUP_TUI_LOCAL_BACKUP_RESTIC_PASSWORD_FILE=/root/pw backup-tui restore --stack web --host old-host",
    );
    const value = nextSteps(
      config({
        password: { kind: "value", value: { reveal: () => "hunter2" } as never, origin: "environment RESTIC_PASSWORD" },
      }),
      "/srv/restic",
      stacks,
      {},
      "/srv/my config.ini",
    );
    expect(value.commands.join(" ")).not.toContain("hunter2");
    expect(value.notes).toEqual([
      "Keep RESTIC_PASSWORD set in the environment as for this run: the repository password comes from it.",
    ]);
  });
});
