import type { KeepPolicy } from "../../config/types";
import type { ServiceContext } from "../run/context";

/** The keep policy a stack's retention applies: its [stack:NAME] KEEP_* keys, else [local_backup]'s. */
export function policyFor(ctx: Pick<ServiceContext, "config">, stack: string): KeepPolicy {
  return ctx.config.stacks[stack]?.keep ?? ctx.config.retention.keep;
}

/** Whether a keep policy keeps any snapshot (retention refuses one that does not; doctor and validate flag it). */
export function policyKeepsSomething(policy: KeepPolicy): boolean {
  const counts = [policy.last, policy.hourly, policy.daily, policy.weekly, policy.monthly, policy.yearly];
  return counts.some((n) => (n ?? 0) > 0) || !!policy.within;
}
