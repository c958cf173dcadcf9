import { btui } from "../../command-hint";
import { discoverStacks, scanStacksDir } from "../../docker/discovery";
import { UsageError } from "../../errors";
import { didYouMean } from "../../suggest";
import type { ServiceContext } from "../run/context";

export interface KnownStacks {
  names: string[];
  /** Set when Docker did not answer: only DOCKER_STACKS_DIR was searched. */
  partial?: string;
}

/** The stacks found on this host (Docker and DOCKER_STACKS_DIR); the directory alone when Docker is down. */
export async function knownStacks(ctx: ServiceContext): Promise<KnownStacks> {
  try {
    return { names: (await discoverStacks(ctx.docker, ctx.config.docker.stacksDir)).map((s) => s.name) };
  } catch {
    return {
      names: scanStacksDir(ctx.config.docker.stacksDir).map((d) => d.name),
      partial: "Docker did not answer: only DOCKER_STACKS_DIR was searched",
    };
  }
}

/** "no stack named X; did you mean Y?", with the stacks there are. */
export function unknownStack(name: string, known: KnownStacks | string[]): UsageError {
  const k = Array.isArray(known) ? { names: known } : known;
  const list = k.names.length ? k.names.join(", ") : "(none found)";
  return new UsageError(
    `no stack named ${JSON.stringify(name.slice(0, 128))}${didYouMean(name, k.names)}`,
    `Known stacks: ${list}${k.partial ? ` (${k.partial})` : ""}. Run \`${btui("stacks")}\`.`,
  );
}
