import { describe, expect, it } from "vitest";
import { AppError, ExitCode } from "../../../../src/errors";
import { assertFewSnapshotsRemoved, snapshotIds } from "../../../../src/services/sync/delete-guard";

const id = (n: number) => n.toString(16).padStart(64, "0");
const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => id(from + i));
const guard =
  (remoteIds: string[], localIds: string[], maxDeletePercent = 50) =>
  () =>
    assertFewSnapshotsRemoved({ remote: "cloud:host1", remoteIds, localIds, maxDeletePercent, repo: "/srv/restic" });

describe("MAX_DELETE_PERCENT counts the remote's snapshot IDs the local repository lacks", () => {
  it("Given as many local snapshots as remote ones but 8 of 10 different, When checked, Then it refuses with exit 2 naming 8 of 10 and --force", () => {
    const err = (() => {
      try {
        guard(ids(0, 10), [...ids(8, 10), ...ids(100, 108)])();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).exitCode).toBe(ExitCode.usage);
    expect((err as AppError).message).toBe(
      "the sync would remove 8 of the 10 snapshots in cloud:host1 (80%, more than MAX_DELETE_PERCENT 50%): the local repository lacks them",
    );
    expect((err as AppError).hint).toContain("sync --force");
  });

  it("Given an emptied local repository, When checked, Then it refuses and says the local repository has no snapshot", () => {
    expect(guard(ids(0, 3), [])).toThrow(
      "would remove 3 of the 3 snapshots in cloud:host1 (100%, more than MAX_DELETE_PERCENT 50%): the local repository has no snapshot",
    );
  });

  it("Given exactly MAX_DELETE_PERCENT removed, new local snapshots, or an empty remote, When checked, Then it passes", () => {
    expect(guard(ids(0, 10), ids(5, 20))).not.toThrow();
    expect(guard(ids(0, 4), [...ids(0, 4), ...ids(50, 90)])).not.toThrow();
    expect(guard([], [])).not.toThrow();
  });

  it("Given MAX_DELETE_PERCENT=0, When one snapshot would go, Then it refuses", () => {
    expect(guard(ids(0, 200), ids(1, 200), 0)).toThrow("would remove 1 of the 200 snapshots");
  });

  it("Given names in snapshots/ that are not IDs, When listed, Then only the IDs count", () => {
    expect(snapshotIds([id(1), "tmp-upload.partial", `${id(2)}.rclone`, id(3)])).toEqual([id(1), id(3)]);
  });
});
