import { openContext, type CommandEnv } from "../app";
import { DirlistFile, STACK_NAME } from "../docker/dirlist";
import { discoverStacks } from "../docker/discovery";
import { btui } from "../command-hint";
import { UsageError } from "../errors";
import { knownStacks, unknownStack } from "../services/stacks/known";
import { table } from "../output";

export async function run(env: CommandEnv, action: string, names: string[]): Promise<number> {
  const ctx = openContext(env);
  const dirlist = new DirlistFile(ctx.config.dirlistFile);
  switch (action) {
    case "list": {
      const { entries, warnings } = dirlist.read();
      for (const w of warnings) env.printer.warn(w);
      env.printer.result({ type: "dirlist", file: dirlist.path, entries }, () =>
        entries.length
          ? `${dirlist.path}\n${table(
              ["ENTRY", "ENABLED"],
              entries.map((e) => [e.kind === "external" ? `EXT:${e.name}` : e.name, e.enabled ? "yes" : "no"]),
            )}`
          : `${dirlist.path} lists nothing yet. Run \`${btui("dirlist sync")}\` to add the stacks found here (disabled).`,
      );
      return 0;
    }
    case "enable":
    case "disable": {
      if (!names.length) throw new UsageError(`dirlist ${action} needs at least one stack name or EXT:/path`);
      // Every name first: one typo changes nothing. Disabling also takes a name the dirlist holds.
      const known = await knownStacks(ctx);
      const listed =
        action === "disable"
          ? dirlist
              .read()
              .entries.filter((e) => e.kind === "stack")
              .map((e) => e.name)
          : [];
      // A malformed name is refused by the dirlist itself, saying what a name may be.
      const unknown = names.find((n) => STACK_NAME.test(n) && !known.names.includes(n) && !listed.includes(n));
      if (unknown !== undefined) throw unknownStack(unknown, known);
      for (const n of names) await (action === "enable" ? dirlist.enable(n) : dirlist.disable(n));
      env.printer.result({ type: "dirlist", action, names }, () => `${action}d: ${names.join(", ")}`);
      return 0;
    }
    case "add": {
      if (!names.length) throw new UsageError("dirlist add needs an external directory: EXT:/absolute/path");
      for (const n of names) await dirlist.addExternal(n.replace(/^EXT:/, ""), true);
      env.printer.result({ type: "dirlist", action, names }, () => `added (enabled): ${names.join(", ")}`);
      return 0;
    }
    case "sync": {
      const found = await discoverStacks(ctx.docker, ctx.config.docker.stacksDir);
      const r = await dirlist.sync(found.map((s) => s.name));
      env.printer.result({ type: "dirlist", action, ...r }, () =>
        [`added (disabled): ${r.added.join(", ") || "none"}`, `removed: ${r.removed.join(", ") || "none"}`].join("\n"),
      );
      return 0;
    }
    default:
      throw new UsageError(
        `unknown dirlist action ${JSON.stringify(action)}`,
        "Use list, enable, disable, add or sync.",
      );
  }
}
