import type { KeepPolicy } from "../../config/types";
import type { ServiceContext } from "../run/context";

/** The keep policy a stack's retention applies: its [stack:NAME] KEEP_* keys, else [local_backup]'s. */
export function policyFor(ctx: Pick<ServiceContext, "config">, stack: string): KeepPolicy {
  return ctx.config.stacks[stack]?.keep ?? ctx.config.retention.keep;
}
