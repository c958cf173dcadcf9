import type { Config } from "../../config/types";
import type { Stack } from "../../docker/discovery";
import { stackStrategy } from "../../docker/labels";
import { errorMessage } from "../../errors";
import type { Runner } from "../../exec/runner";
import { failed, type Check } from "./check";
import type { FsSnapshotProvider } from "../../fssnap/provider";
import { checkSnapshotSpace, decideSnapshot, snapshotPaths } from "../backup/fs-snapshot";
import { stackPaths } from "../stacks/paths";

/** What the snapshot strategy check reads: the discovered stacks and the filesystem snapshot providers. */
export interface SnapshotCheckDeps {
  stacks(): Promise<Stack[]>;
  providers: FsSnapshotProvider[];
}

/** Which stacks qualify for STOP_STRATEGY=snapshot (all their data on btrfs, root, room) and why the others do not. */
export async function checkSnapshotStrategy(config: Config, s: SnapshotCheckDeps, runner: Runner): Promise<Check> {
  const name = "snapshot strategy";
  let stacks: Stack[];
  try {
    stacks = await s.stacks();
  } catch (err) {
    return failed(name, err);
  }
  const rows: Array<{
    stack: string;
    configured: boolean;
    qualifies: boolean;
    reason?: string;
    subvolumes?: string[];
  }> = [];
  for (const stack of stacks) {
    const configured =
      stackStrategy(stack.containers, config.stacks[stack.name]?.strategy ?? config.docker.strategy) === "snapshot";
    const d = await decideSnapshot(
      { config, runner, fsSnapshotProviders: s.providers },
      snapshotPaths(stack, stackPaths(stack, config).paths),
      "doctor",
    );
    if (!d.use) {
      rows.push({ stack: stack.name, configured, qualifies: false, reason: d.reason });
      continue;
    }
    let reason: string | undefined;
    try {
      checkSnapshotSpace(config, d.plan);
    } catch (err) {
      reason = errorMessage(err);
    }
    rows.push({
      stack: stack.name,
      configured,
      qualifies: !reason,
      reason,
      subvolumes: d.plan.snapshots.map((x) => x.unit.source),
    });
  }
  const yes = rows.filter((r) => r.qualifies).map((r) => r.stack);
  const no = rows.filter((r) => !r.qualifies);
  const fallingBack = no.filter((r) => r.configured);
  // Nobody asked for snapshots: one line, not every path of every stack (--json keeps the rows).
  const detail = !rows.some((r) => r.configured)
    ? `not used (no stack has STOP_STRATEGY=snapshot); ${yes.length ? `would qualify: ${yes.join(", ")}` : `none of ${rows.length} stack(s) would qualify`}`
    : [
        `qualify: ${yes.length ? yes.join(", ") : "none"}`,
        ...no.map((r) => `${r.stack}${r.configured ? " (set to snapshot: falls back)" : ""}: ${r.reason}`),
      ].join("\n");
  return {
    name,
    status: fallingBack.length ? "warn" : "ok",
    detail: stacks.length ? detail : "no stacks found",
    hint: fallingBack.length
      ? "Put the stack's volumes on btrfs subvolumes (or choose another STOP_STRATEGY for it); LVM thin and ZFS are not supported yet."
      : undefined,
    data: { stacks: rows },
  };
}
